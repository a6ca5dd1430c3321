"""OmtuiApp, the organiser's full-screen app, and the one factory the CLI and tests use."""

from __future__ import annotations

import gc
import importlib
from collections.abc import Iterable
from typing import TYPE_CHECKING

from textual import work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Header, Tab, TabbedContent, TabPane
from textual.widgets._tabbed_content import ContentTabs
from textual.widgets._tabs import Underline

from omtui.context import ClubContext
from omtui.core.club import display_name
from omtui.i18n import N_, _, translate_declared
from omtui.tui.dbwork import waiting_notifier
from omtui.tui.messages import DataChanged, OpenTarget
from omtui.tui.panes.base import ClubPane
from omtui.tui.screens.confirm import ConfirmDialog
from omtui.tui.text import PlainTextApp
from omtui.tui.textual_words import TranslatedApp

if TYPE_CHECKING:
    from textual.command import Provider

POLL_SECONDS = 1.0
INITIAL_TAB = "today"
TABS: tuple[tuple[str, str, str], ...] = (
    ("today", N_("Today"), "omtui.tui.panes.today:TodayPane"),
    ("members", N_("Members"), "omtui.tui.panes.members:MembersPane"),
    ("events", N_("Events"), "omtui.tui.panes.events:EventsPane"),
    ("rota", N_("Rota"), "omtui.tui.panes.rota:RotaPane"),
    ("newsletter", N_("Newsletter"), "omtui.tui.panes.newsletter:NewsletterPane"),
)
"""tab id, label (translated when shown), and where its pane class lives: a tab's code is
imported on first show."""


def pane_class(tab_id: str) -> type[ClubPane]:
    """Import the pane class of `tab_id` (only when the tab is first shown)."""
    target = next(path for tid, _label, path in TABS if tid == tab_id)
    module, _sep, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


class ClubTabs(TabbedContent):
    """Tabs that change only when the user asks.

    TabbedContent switches to a hidden pane when a widget in it takes focus; a pane that
    finishes loading late must not pull the user back from the tab they just chose.
    """

    def _on_tab_pane_focused(self, event: TabPane.Focused) -> None:
        event.stop()
        event.prevent_default()


def _tab_actions_provider() -> type[Provider]:
    """The other tabs' actions in the command palette (imported when the palette opens)."""
    from omtui.tui.palette import TabActionsProvider

    return TabActionsProvider


class ReadyFooter(Footer):
    """A footer whose keys are in the app's first frame.

    Textual's Footer composes empty and fills in its keys only after the screen's
    "bindings updated" signal and a recompose, two to three frames later: the first screen
    is not complete until then (issue 10, start-up). This one composes its keys at once
    from the bindings active at mount; the signal still recomposes it when focus changes
    them.
    """

    def __init__(self) -> None:
        super().__init__()
        self.set_reactive(Footer._bindings_ready, True)  # Textual 8.2 (pinned)


class OmtuiApp(PlainTextApp, TranslatedApp):
    """Today (the overview it opens on), Members, Events, Rota and Newsletter tabs over one
    club database."""

    CSS_PATH = "app.tcss"
    TITLE = "omtui"
    COMMANDS = PlainTextApp.COMMANDS | {_tab_actions_provider}
    BINDINGS = [
        Binding("0", "show_tab('today')", _("Today"), show=False),
        Binding("1", "show_tab('members')", _("Members"), show=False),
        Binding("2", "show_tab('events')", _("Events"), show=False),
        Binding("3", "show_tab('rota')", _("Rota"), show=False),
        Binding("4", "show_tab('newsletter')", _("Newsletter"), show=False),
        Binding("question_mark", "help", _("Help")),
        Binding("ctrl+t", "mailbox_triage", _("Mailbox triage"), show=False),
        Binding("ctrl+q", "quit", _("Quit"), priority=True),
    ]

    def __init__(self, club: ClubContext, *, poll: bool = True, auto_backup: bool = False) -> None:
        super().__init__()
        self.club = club
        self.poll = poll
        self.auto_backup = auto_backup
        self.title = display_name(club.db, club.config.club_name) or "omtui"
        self.sub_title = str(club.db_path.name)
        self._data_version: int | None = None
        club.set_notifier(waiting_notifier(self))  # a toast while a write waits its turn

    def compose(self) -> ComposeResult:
        yield Header()
        with ClubTabs(initial=INITIAL_TAB):
            for tab_id, label, _path in TABS:
                with TabPane(translate_declared(label), id=tab_id):
                    if tab_id == INITIAL_TAB:  # the others mount when first shown
                        yield pane_class(tab_id)(self.club, id=f"{tab_id}-pane")
        yield ReadyFooter()

    def on_mount(self) -> None:
        if not gc.isenabled():  # `omtui` turned it off for the start-up (cli.main)
            self.call_after_refresh(self._collect_garbage_again)
        self._complete_first_frame()
        self._data_version = self.club.db.data_version()
        if self.poll:
            self.set_interval(POLL_SECONDS, self.check_for_outside_changes)
        if self.auto_backup:  # after the first screen is drawn, never before it
            self.call_after_refresh(self.daily_backup)

    @staticmethod
    def _collect_garbage_again() -> None:
        """After the first frame: what start-up built lives as long as the app, so it is
        frozen out of the collector's rounds, then the collector is back on."""
        gc.freeze()
        gc.enable()

    def _complete_first_frame(self) -> None:
        """Settle now what Textual would settle over the next frames, each a full redraw:
        the focus (the screen focuses the tabs first, then the pane takes it) and the
        active tab's underline (placed after a refresh). The first frame is then the
        complete screen (issue 10, start-up)."""
        pane = self.active_pane()
        if pane is not None:
            pane.focus_default()
        tabs = self.query_one(ContentTabs)
        start = 0
        for tab in tabs.query(Tab):  # width: auto, padding 0 1 (Textual's Tab CSS)
            width = tab.label.cell_length
            if tab.has_class("-active"):
                underline = tabs.query_one(Underline)
                underline.show_highlight = True
                underline.highlight_start, underline.highlight_end = start + 1, start + 1 + width
                break
            start += width + 2

    @work(thread=True, group="backup", exit_on_error=False)
    def daily_backup(self) -> None:
        """At most once a day, and only if the data changed (see core/privacy/jobs.py)."""
        from omtui.core.privacy.jobs import daily_backup

        try:
            self.club.in_worker(
                lambda db: daily_backup(db, self.club.config.backup, now=self.club.now())
            )
        except Exception as exc:  # a failed backup must not stop the organiser's work
            message = _("The daily backup failed: {error}").format(error=exc)
            self.call_from_thread(self.notify, message, severity="error", markup=False)

    # -- navigation -----------------------------------------------------------------
    def action_show_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab

    def tab_list(self) -> tuple[tuple[str, str, str], ...]:
        """The tabs (id, label, pane class path), for the command palette."""
        return TABS

    def new_pane(self, tab_id: str) -> ClubPane:
        """A pane for `tab_id`, not mounted (the palette reads its commands)."""
        return pane_class(tab_id)(self.club, id=f"{tab_id}-pane")

    async def mount_pane(self, tab_id: str) -> ClubPane:
        """The pane of `tab_id`, mounted first if the tab was never shown."""
        tab = self.query_one(TabbedContent).get_pane(tab_id)
        if not tab.query(ClubPane):
            await tab.mount(self.new_pane(tab_id))
        return tab.query_one(ClubPane)

    async def on_open_target(self, message: OpenTarget) -> None:
        """A Today line leads to its place: mount that tab's pane if needed, tell it what to
        select, then show it."""
        tab_id = message.target.tab
        tabs = self.query_one(TabbedContent)
        tab = tabs.get_pane(tab_id)
        if not tab.query(ClubPane):
            await tab.mount(pane_class(tab_id)(self.club, id=f"{tab_id}-pane"))
        tab.query_one(ClubPane).reveal(message.target)
        tabs.active = tab_id

    async def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        """Mount the tab's pane on its first show, and keep the keyboard in it."""
        tab_id = event.pane.id or ""
        if not event.pane.query(ClubPane):
            await event.pane.mount(pane_class(tab_id)(self.club, id=f"{tab_id}-pane"))
        pane = self.active_pane()
        focused = self.focused
        if pane is not None and (focused is None or pane not in focused.ancestors_with_self):
            pane.focus_default()

    def action_help(self) -> None:
        from omtui.tui.screens.help import HelpScreen, bindings_of, global_rows  # slow import

        sections = []
        pane = self.active_pane()
        if pane is not None:
            label = next((lbl for tid, lbl, _path in TABS if pane.id == f"{tid}-pane"), "")
            sections.append(
                (_("{tab} tab").format(tab=translate_declared(label)), bindings_of(pane))
            )
        sections.append((_("Everywhere"), global_rows(self)))
        self.push_screen(HelpScreen(sections))

    def action_audit_log(self) -> None:
        from omtui.tui.screens.audit_log import AuditLogScreen

        self.push_screen(AuditLogScreen(self.club))

    def action_mailbox_triage(self) -> None:
        """The mail the mailbox sync did not understand (bounces marked there change plans)."""
        from omtui.tui.screens.mailbox_triage import MailboxTriage

        def closed(changed: bool | None) -> None:
            if changed:
                self.post_message(DataChanged("members"))

        self.push_screen(MailboxTriage(self.club), closed)

    @property
    def panes(self) -> list[ClubPane]:
        return list(self.query(ClubPane))

    def active_pane(self) -> ClubPane | None:
        active = self.query_one(TabbedContent).active
        for pane in self.panes:
            if pane.id == f"{active}-pane":
                return pane
        return None

    async def action_quit(self) -> None:
        """Quit, but first ask when a pane has work under way (e.g. a newsletter send)."""
        warnings = [text for pane in self.panes if (text := pane.quit_warning())]
        if not warnings:
            self.exit()
            return

        async def answered(quit_anyway: bool | None) -> None:
            if quit_anyway:
                for pane in self.panes:
                    await pane.before_quit()
                self.exit()

        question = "\n".join([*warnings, _("Quit anyway?")])
        self.push_screen(ConfirmDialog(question, yes=_("Quit"), no=_("Stay")), answered)

    # -- data flow: panes post DataChanged, the app tells every pane -------------------
    def on_data_changed(self, message: DataChanged) -> None:
        self._data_version = self.club.db.data_version()
        for pane in self.panes:
            pane.data_changed(message.area)

    def check_for_outside_changes(self) -> None:
        """Another process (a CLI command, a second SSH session) committed: refresh."""
        version = self.club.db.data_version()
        if version != self._data_version:
            self._data_version = version
            for pane in self.panes:
                pane.data_changed("*")

    # -- command palette -------------------------------------------------------------
    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for tab_id, label, _path in TABS:
            yield SystemCommand(
                _("Go to {tab}").format(tab=translate_declared(label)),
                _("Show the {tab} tab").format(tab=translate_declared(label)),
                lambda tab_id=tab_id: self.action_show_tab(tab_id),
            )
        yield SystemCommand(_("Help"), _("Show every key"), self.action_help)
        yield SystemCommand(_("Audit log"), _("Who changed what, and when"), self.action_audit_log)
        yield SystemCommand(
            _("Mailbox triage"),
            _("The mail the mailbox sync did not understand"),
            self.action_mailbox_triage,
        )
        pane = self.active_pane()
        if pane is not None:
            yield from pane.palette_commands()


def make_app(club: ClubContext, *, poll: bool = True, auto_backup: bool = False) -> OmtuiApp:
    """The one factory: the CLI, the tests and the screenshot script all build the app here."""
    return OmtuiApp(club, poll=poll, auto_backup=auto_backup)


def run_app(club: ClubContext) -> None:
    """Open the database (failing before the screen takes over) and run the app."""
    club.db  # noqa: B018 - surface database errors as a clean CLI message
    make_app(club, auto_backup=True).run()
