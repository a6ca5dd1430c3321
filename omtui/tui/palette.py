"""The command palette's tab actions: every tab's commands, whichever tab is shown.

The tab shown offers its own commands through `OmtuiApp.get_system_commands`; this provider
adds those of the other tabs. Choosing one shows its tab (mounting its pane on first use),
waits for the pane to load, then runs the command there, as if the organiser had gone to
the tab and pressed its key.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.css.query import NoMatches
from textual.widget import Widget
from textual.widgets import TabbedContent

from omtui.i18n import _, translate_declared

if TYPE_CHECKING:
    from omtui.tui.panes.base import ClubPane

# The app is reached through the methods it offers (tab_list, new_pane, mount_pane), not
# imported: the app imports this module when the palette opens.
OmtuiApp = Any

READY_POLL_SECONDS = 0.05
READY_LIMIT_SECONDS = 5.0
"""How long a command waits for its tab to finish loading before it runs anyway."""


@dataclass(frozen=True)
class TabCommand:
    tab_id: str
    tab_label: str
    title: str
    help: str


def _commands_of(pane: ClubPane) -> list[tuple[str, str]]:
    """(title, help) of a pane's palette commands; a pane not mounted yet may stop early
    (a command that depends on a selection needs its widgets), keeping those before."""
    found: list[tuple[str, str]] = []
    try:
        for command in pane.palette_commands():
            found.append((str(command.title), str(command.help)))
    except NoMatches:
        pass
    return found


def other_tab_commands(app: OmtuiApp) -> list[TabCommand]:
    """The palette commands of every tab but the one shown."""
    from omtui.tui.panes.base import ClubPane

    tabs = app.query_one(TabbedContent)
    commands = []
    for tab_id, label, _path in app.tab_list():
        if tab_id == tabs.active:
            continue  # get_system_commands offers the shown tab's own
        mounted = tabs.get_pane(tab_id).query(ClubPane)
        pane = mounted.first() if mounted else app.new_pane(tab_id)
        tab_label = translate_declared(label)
        for title, help_text in _commands_of(pane):
            commands.append(TabCommand(tab_id, tab_label, title, help_text))
    return commands


def _busy(pane: ClubPane) -> bool:
    """Whether the pane has not finished loading (a worker of it or of a child still runs)."""
    if not pane.loaded or pane.stale:
        return True
    for worker in pane.app.workers:
        node = worker.node
        if worker.is_running and isinstance(node, Widget) and pane in node.ancestors_with_self:
            return True
    return False


async def run_in_tab(app: OmtuiApp, tab_id: str, title: str) -> None:
    """Show `tab_id` (mounting its pane if it never was), then run its command `title`."""
    pane = await app.mount_pane(tab_id)
    app.query_one(TabbedContent).active = tab_id
    waited = 0.0

    def when_ready() -> None:
        nonlocal waited
        if _busy(pane) and waited < READY_LIMIT_SECONDS:
            waited += READY_POLL_SECONDS
            pane.set_timer(READY_POLL_SECONDS, when_ready)
            return
        command = next((c for c in pane.palette_commands() if str(c.title) == title), None)
        if command is not None:
            app.call_later(command.callback)

    pane.call_after_refresh(when_ready)


class TabActionsProvider(Provider):
    """Finds the actions of the tabs not shown; running one switches to its tab."""

    async def startup(self) -> None:
        app = self.app
        base = app.screen_stack[0] if app.screen_stack else None
        # Only over the tabs themselves: a command must not switch tabs under a dialog.
        if not hasattr(app, "mount_pane") or self.screen is not base:
            self.commands: list[TabCommand] = []
            return
        self.commands = other_tab_commands(app)

    def _run(self, command: TabCommand):
        async def run() -> None:
            await run_in_tab(self.app, command.tab_id, command.title)

        return run

    def _help(self, command: TabCommand) -> str:
        return _("{help} ({tab} tab)").format(help=command.help, tab=command.tab_label)

    async def discover(self) -> Hits:
        for command in self.commands:
            yield DiscoveryHit(
                command.title, self._run(command), text=command.title, help=self._help(command)
            )

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for command in self.commands:
            if (score := matcher.match(command.title)) > 0:
                yield Hit(
                    score,
                    matcher.highlight(command.title),
                    self._run(command),
                    text=command.title,
                    help=self._help(command),
                )
