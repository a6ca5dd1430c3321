"""Textual's own words in the interface language, wherever Textual lets an app set them.

Both apps derive from `TranslatedApp`: the command palette's placeholder and its footer
label, the theme picker's placeholder, the system commands of the palette (Theme, Quit,
Keys, Maximize, Minimize, Screenshot) and the Ctrl+C hint. What Textual keeps private
("No matches found", the Keys panel's descriptions of built-in widgets' keys) stays
English; the README lists it.
"""

from __future__ import annotations

from collections.abc import Iterable

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.command import CommandPalette
from textual.screen import Screen

from omtui.i18n import _


def system_command_words() -> dict[tuple[str, str], tuple[str, str]]:
    """Textual's (title, help) of each system command -> ours, in the current language."""
    return {
        ("Theme", "Change the current theme"): (_("Theme"), _("Change the colour theme")),
        ("Quit", "Quit the application as soon as possible"): (
            _("Quit"),
            _("Quit the application as soon as possible"),
        ),
        ("Keys", "Hide the keys and widget help panel"): (
            _("Keys"),
            _("Hide the panel of keys and widget help"),
        ),
        ("Keys", "Show help for the focused widget and a summary of available keys"): (
            _("Keys"),
            _("Show help for the focused widget and a summary of the available keys"),
        ),
        ("Minimize", "Minimize the widget and restore to normal size"): (
            _("Minimize"),
            _("Minimize the widget and restore its normal size"),
        ),
        ("Maximize", "Maximize the focused widget"): (
            _("Maximize"),
            _("Maximize the focused widget"),
        ),
        ("Screenshot", "Save an SVG 'screenshot' of the current screen"): (
            _("Screenshot"),
            _("Save an SVG “screenshot” of the current screen"),
        ),
    }


class TranslatedApp(App[None]):
    """An App whose palette, system commands and hints speak the interface language."""

    BINDINGS = [
        # Declared here so that App.__init__ does not add its own, English, "palette" binding.
        Binding(
            "ctrl+p",
            "command_palette",
            _("palette"),
            show=False,
            priority=True,
            tooltip=_("Open the command palette"),
        ),
    ]

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        words = system_command_words()
        for command in super().get_system_commands(screen):
            original = (command.title, command.help)
            title, help_text = words.get(original, original)
            yield command._replace(title=title, help=help_text)

    def action_command_palette(self) -> None:
        if self.use_command_palette and not CommandPalette.is_open(self):  # type: ignore[arg-type]
            self.push_screen(
                CommandPalette(placeholder=_("Search for commands…"), id="--command-palette")
            )

    def search_themes(self) -> None:
        from textual.theme import ThemeProvider

        self.push_screen(
            CommandPalette(providers=[ThemeProvider], placeholder=_("Search for themes…"))
        )

    def action_help_quit(self) -> None:
        for key, active_binding in self.active_bindings.items():
            if active_binding.binding.action in ("quit", "app.quit"):
                self.notify(
                    _("Press [b]{key}[/b] to quit the app").format(key=key),
                    title=_("Do you want to quit?"),
                )
                return
