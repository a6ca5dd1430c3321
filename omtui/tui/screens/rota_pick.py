"""Pick one person from a list by typing a few letters (assign or unassign a volunteer)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from omtui.core.text import fold
from omtui.i18n import _
from omtui.tui.screens.confirm import DIALOG_CSS
from omtui.tui.text import plain


def _person(label: str) -> str:
    """The name part of a choice ("Hélène Dupré <h@x>  ⚠ busy"), folded to compare."""
    return fold(label.split(" <", 1)[0])


class RotaPickDialog(ModalScreen[int | None]):
    """Type to filter, arrows to move, Enter to pick; dismiss(id) or dismiss(None) on Esc."""

    DEFAULT_CSS = (
        DIALOG_CSS.replace("{name}", "RotaPickDialog")
        + """
    RotaPickDialog > Vertical { width: 84; }
    RotaPickDialog OptionList { height: auto; max-height: 12; }
    """
    )
    BINDINGS = [Binding("escape", "cancel", _("Cancel"))]

    def __init__(self, title: str, choices: list[tuple[int, str]]) -> None:
        super().__init__()
        self.title_text = title
        self.choices = choices

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(plain(self.title_text), id="pick-title")
            yield Input(placeholder=_("type a few letters of the name"), id="pick-filter")
            yield OptionList(*self._options(""), id="pick-list")
            yield Label(_("↓ to the list, Enter to pick, Esc to cancel."), id="pick-hint")
            yield Label("", id="pick-error", classes="error")

    def _options(self, text: str) -> list[Option]:
        words = fold(text).split()
        return [
            Option(plain(label), id=str(key))
            for key, label in self.choices
            if all(w in fold(label) for w in words)
        ]

    def on_input_changed(self, event: Input.Changed) -> None:
        options = self.query_one("#pick-list", OptionList)
        options.clear_options()
        options.add_options(self._options(event.value))
        if options.option_count:
            options.highlighted = 0

    def on_input_submitted(self, event: Input.Submitted) -> None:
        options = self.query_one("#pick-list", OptionList)
        if not options.option_count:
            return
        index = options.highlighted or 0
        key = int(options.get_option_at_index(index).id or 0)
        labels = dict(self.choices)
        name = _person(labels[key])
        namesakes = [
            k
            for k in (
                int(options.get_option_at_index(i).id or 0) for i in range(options.option_count)
            )
            if _person(labels[k]) == name
        ]
        if len(namesakes) > 1:  # the first match is not enough: ask which one
            self.query_one("#pick-error", Label).update(
                plain(
                    _(
                        "{n} people are called {name}: choose one by their email, then Enter."
                    ).format(n=len(namesakes), name=labels[key].split(" <", 1)[0])
                )
            )
            options.highlighted = index
            options.focus()
            return
        self.dismiss(key)

    def key_down(self) -> None:
        if self.focused is self.query_one("#pick-filter", Input):
            self.query_one("#pick-list", OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(int(event.option.id or 0))

    def action_cancel(self) -> None:
        self.dismiss(None)
