"""The base of every tab: loads on first show, refreshes when the database changes."""

from __future__ import annotations

from collections.abc import Iterable

from textual.app import SystemCommand
from textual.binding import Binding
from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import TabbedContent

from omtui.context import ClubContext
from omtui.core.today import Target
from omtui.i18n import _


class ClubPane(Vertical):
    """A tab's content. Subclasses implement `load()` and may offer palette commands.

    `load()` runs the first time the pane is shown (tabs load lazily) and again whenever
    the data it shows changed, while it is visible; a hidden pane is marked stale instead.
    """

    BINDINGS = [
        # the app's `?`, repeated here so the footer shows it first: at 80 columns a tab's
        # keys fill the footer, and `?` lists every one of them (issue 10)
        Binding("question_mark", "app.help", _("Help")),
    ]

    AREAS: frozenset[str] = frozenset()
    """The `DataChanged.area` values this pane shows ("*" always matches)."""

    def __init__(self, club: ClubContext, **kwargs) -> None:
        super().__init__(**kwargs)
        self.club = club
        self.loaded = False
        self.stale = False

    def on_show(self) -> None:
        if not self.loaded or self.stale:
            self.loaded = True
            self.stale = False
            self.load()

    def data_changed(self, area: str) -> None:
        """Called by the app when `area` changed."""
        if area != "*" and area not in self.AREAS:
            return
        if self.loaded and self.is_on_screen:
            self.load()
        else:
            self.stale = True

    def is_active_tab(self) -> bool:
        """Whether this pane's tab is the one shown (always true outside a TabbedContent)."""
        tabs = next((a for a in self.ancestors if isinstance(a, TabbedContent)), None)
        return tabs is None or self.parent is None or tabs.active == self.parent.id

    def focus_in_tab(self, widget: Widget) -> None:
        """Focus `widget` only while this tab is shown.

        Focusing a widget in a hidden tab makes TabbedContent switch back to it, so a late
        load (the user already pressed "2") must not steal the screen.
        """
        if self.is_active_tab():
            # set_focus now: Widget.focus() is deferred and could land after a tab switch
            self.screen.set_focus(widget)

    def focus_default(self) -> None:
        """Focus the pane's first focusable widget (its table, usually)."""
        for widget in self.query("*"):
            if widget.focusable:
                self.screen.set_focus(widget)
                return

    def load(self) -> None:
        """(Re)read what the pane shows from the database."""

    def reveal(self, target: Target) -> None:
        """Select what `target` names (an event, a shift, a newsletter) when next shown.

        The app calls it before switching to this tab (the Today tab's lines lead here);
        panes that can select something override `want()`.
        """
        self.want(target)
        if self.loaded:
            self.stale = True  # reload on show, honouring the selection

    def want(self, target: Target) -> None:
        """Remember what to select at the next load."""

    def quit_warning(self) -> str | None:
        """Why quitting now would interrupt something (the app asks first), or None."""
        return None

    async def before_quit(self) -> None:
        """The organiser chose to quit anyway: stop work cleanly (e.g. pause a send)."""

    def palette_commands(self) -> Iterable[SystemCommand]:
        """Commands this pane offers in the command palette."""
        return ()
