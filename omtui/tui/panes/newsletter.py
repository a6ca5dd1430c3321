"""The Newsletter tab: drafts and sent issues, the way into the editor, and running sends.

Sends run in the app's send service (omtui.tui.newsletter_sends), not in a screen, so
closing the progress window or switching tabs never stops them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from datetime import datetime

from textual import on, work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.widgets import DataTable, Static

from omtui.core import newsletter as nl
from omtui.core import sender
from omtui.core.dates import humanize_delta
from omtui.core.numbers import format_number
from omtui.core.today import Target
from omtui.errors import OmtuiError
from omtui.i18n import _, ngettext
from omtui.tui.messages import DataChanged
from omtui.tui.newsletter_sends import NewsletterSends, RunChanged, SendRun, sends_of
from omtui.tui.panes.base import ClubPane
from omtui.tui.screens.confirm import ConfirmDialog
from omtui.tui.screens.newsletter_editor import EditorOutcome, NewsletterEditor
from omtui.tui.screens.newsletter_plan import ask_to_send, wrap
from omtui.tui.screens.newsletter_progress import SendProgressScreen
from omtui.tui.text import cell
from omtui.tui.widgets.fit_table import FitTable

STATE_LABELS = {
    "draft": _("draft"),
    "sending": _("interrupted"),
    "paused": _("paused"),
    "sent": _("sent"),
    "cancelled": _("cancelled"),
}
QUIT_GRACE_SECONDS = 30.0
"""How long quitting waits for the messages in flight before giving up on them."""


class NewsletterPane(ClubPane):
    """Every newsletter, newest first; Enter opens one, `s` sends or resumes it."""

    AREAS = frozenset({"newsletter", "members"})
    BINDINGS = [
        Binding("n", "new", _("New draft")),
        Binding("d", "duplicate", _("Duplicate")),
        Binding("s", "send", _("Send/resume")),
        Binding("p", "progress", _("Progress")),
    ]
    _want_id: int | None = None
    """The newsletter a Today line asked to select at the next load."""

    @property
    def sends(self) -> NewsletterSends:
        return sends_of(self.app, self.club)

    @property
    def runs(self) -> dict[int, SendRun]:
        return self.sends.runs

    def on_mount(self) -> None:
        if self not in self.sends.subscribers:
            self.sends.subscribers.append(self)

    def compose(self) -> ComposeResult:
        yield Static(
            _("No newsletter yet: press n to write the first one."), id="nl-empty", classes="empty"
        )
        table = FitTable(id="nl-table", cursor_type="row", zebra_stripes=True, fit=0)
        table.add_column(_("Subject"), key="subject")
        table.add_column(_("State"), key="state")
        table.add_column(_("Audience"), key="audience")
        table.add_column(_("Sent"), key="sent")
        table.add_column(_("Failed"), key="failed")
        table.add_column(_("When"), key="when")
        yield table
        yield Static("", id="nl-status")

    def on_show(self) -> None:  # ClubPane.on_show (the loading) runs as well
        self.call_after_refresh(self._focus_table)

    def _focus_table(self) -> None:
        """Focus the list (or the pane itself when empty) so the keys in the footer work."""
        if self.screen is not self.app.screen:
            return
        table = self.query_one("#nl-table", DataTable)
        self.can_focus = not table.display
        (table if table.display else self).focus()

    # -- loading ---------------------------------------------------------------------
    def load(self) -> None:
        table = self.query_one("#nl-table", DataTable)
        keep = table.cursor_row
        now = self.club.now()
        db = self.club.db
        summaries = nl.list_newsletters(db)
        rows = []
        for summary in summaries:
            item = summary.newsletter
            counts = summary.counts
            if item.status == "draft":
                audience = nl.audience_size(db, item.audience_tags, item.audience_city)
            else:
                audience = summary.recipients
            rows.append(
                (
                    cell(item.subject or _("(no subject)")),
                    self._state_label(item.id, item.status),
                    format_number(audience),
                    format_number(counts.get("sent", 0)) if item.status != "draft" else "",
                    self._failed(counts.get("failed", 0), counts.get("uncertain", 0)),
                    self._when(item, now),
                    str(item.id),
                )
            )
        table.clear()
        for *cells, key in rows:
            table.add_row(*cells, key=key)
        table.display = bool(rows)
        self.query_one("#nl-empty").display = not rows
        if rows and self._want_id is not None:  # a Today line named this newsletter
            ids = [row[-1] for row in rows]
            keep = ids.index(str(self._want_id)) if str(self._want_id) in ids else keep
            self._want_id = None
        if rows:
            table.move_cursor(row=min(keep, len(rows) - 1))
        if self.is_on_screen:
            self._focus_table()
        self.query_one("#nl-status", Static).update(
            _("n new · Enter open · d duplicate · s send or resume · p progress")
        )

    def _state_label(self, newsletter_id: int, status: str) -> str:
        run = self.runs.get(newsletter_id)
        if run is not None and run.running:
            return _("sending")
        if status == "sending" and sender.is_running(self.club.db, newsletter_id):
            return _("sending elsewhere")  # e.g. `omtui newsletter send` from cron
        return STATE_LABELS.get(status, status)

    @staticmethod
    def _failed(failed: int, uncertain: int) -> str:
        """ "7", "7 + 1 uncertain": what did not surely arrive (80 columns hold it)."""
        if not uncertain:
            return format_number(failed) if failed else ""
        return ngettext("{failed} + {n} uncertain", "{failed} + {n} uncertain", uncertain).format(
            failed=format_number(failed), n=format_number(uncertain)
        )

    @staticmethod
    def _when(item: nl.Newsletter, now: datetime) -> str:
        """When it was sent, its send started, or it was last edited (its state says which:
        the verb would push the subject off an 80-column screen)."""
        moment = item.sent_at or item.send_started_at or item.updated_at
        return humanize_delta(moment, now) if moment is not None else ""

    def want(self, target: Target) -> None:
        self._want_id = target.newsletter_id

    def selected_id(self) -> int | None:
        table = self.query_one("#nl-table", DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        return int(key.value) if key.value is not None else None

    # -- actions ---------------------------------------------------------------------
    def action_new(self) -> None:
        self.open_editor(None)

    def open_editor(self, newsletter_id: int | None) -> None:
        self.app.push_screen(NewsletterEditor(self.club, newsletter_id), self._editor_closed)

    def _editor_closed(self, outcome: EditorOutcome | None) -> None:
        """The editor asked to send its newsletter, or to open a copy of it."""
        if outcome is None:
            return
        action, newsletter_id = outcome
        if action == "send":
            self.send(newsletter_id)
        elif action == "open":
            self.open_editor(newsletter_id)

    @on(DataTable.RowSelected, "#nl-table")
    def open_selected(self) -> None:
        newsletter_id = self.selected_id()
        if newsletter_id is not None:
            self.open_editor(newsletter_id)

    async def action_duplicate(self) -> None:
        newsletter_id = self.selected_id()
        if newsletter_id is None:
            return
        now = self.club.now()
        try:  # in a thread, on its own connection: the write may wait for another process
            copy = await asyncio.to_thread(
                self.club.in_worker, lambda db: nl.duplicate(db, newsletter_id, now=now)
            )
        except OmtuiError as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        self.post_message(DataChanged("newsletter"))
        self.open_editor(copy.id)
        self.notify(_("Duplicated as draft #{id}.").format(id=copy.id))

    def action_send(self) -> None:
        newsletter_id = self.selected_id()
        if newsletter_id is not None:
            self.send(newsletter_id)

    def action_progress(self) -> None:
        newsletter_id = self.selected_id()
        if newsletter_id is not None:
            self.show_progress(newsletter_id)

    # -- sending ---------------------------------------------------------------------
    def send(self, newsletter_id: int) -> None:
        """A draft: plan, type the number of recipients, start. A stopped send: resume."""
        run = self.runs.get(newsletter_id)
        if run is not None and run.running:
            self.show_progress(newsletter_id)
            return
        db, config = self.club.db, self.club.config
        try:
            item = nl.get_newsletter(db, newsletter_id)
            if item.status in ("sending", "paused"):
                self._ask_to_resume(newsletter_id)
                return
            if item.status != "draft":
                self.notify(
                    _("This newsletter is {status}: duplicate it (d) to send it again.").format(
                        status=STATE_LABELS.get(item.status, item.status)
                    ),
                    severity="warning",
                )
                return
            plan = sender.prepare(db, newsletter_id, config)
        except OmtuiError as exc:
            self.notify(str(exc), title=_("Cannot send"), severity="error", markup=False)
            return

        def confirmed(go: bool) -> None:
            if go:
                self._start_send(newsletter_id, plan)

        warnings = sender.plan_warnings(config)
        problems: list[str] = []
        try:
            sender.ensure_sendable_config(config)
        except OmtuiError as exc:  # shown in the plan, which then cannot be confirmed
            problems.append(str(exc))
        ask_to_send(
            self.app,
            item.subject,
            plan,
            self.club.now(),
            confirmed,
            warnings=warnings,
            problems=problems,
        )

    @work(thread=True, group="newsletter-write", exit_on_error=False)
    def _start_send(self, newsletter_id: int, plan: sender.SendPlan) -> None:
        """Queue the outbox off the UI thread (it may wait for another process), then send."""
        config, now = self.club.config, self.club.now()
        try:
            self.club.in_worker(
                lambda db: sender.start_send(db, newsletter_id, config, plan, now=now)
            )
        except OmtuiError as exc:
            self.app.call_from_thread(
                self.notify, str(exc), title=_("Cannot send"), severity="error", markup=False
            )
            return
        self.app.call_from_thread(self.start_run, newsletter_id)

    def _ask_to_resume(self, newsletter_id: int) -> None:
        progress = sender.progress(self.club.db, newsletter_id)
        if progress.running:
            self.notify(_("Another omtui is sending this newsletter right now."))
            return
        question = ngettext(
            "Resume this send? {remaining} recipient is left; {sent} already received it.",
            "Resume this send? {remaining} recipients are left; {sent} already received it.",
            progress.remaining,
        ).format(remaining=format_number(progress.remaining), sent=format_number(progress.sent))

        def answered(yes: bool | None) -> None:
            if yes:
                self.start_run(newsletter_id)

        dialog = ConfirmDialog(wrap(question), yes=_("Resume"), no=_("Not now"))
        self.app.push_screen(dialog, answered)

    def start_run(self, newsletter_id: int) -> SendRun:
        """Run (or resume) a started send in the app's service and show its progress."""
        run = self.sends.start(newsletter_id, watcher=self)
        if not isinstance(self.app.screen, SendProgressScreen):
            self.show_progress(newsletter_id)
        return run

    def show_progress(self, newsletter_id: int) -> None:
        status = nl.get_newsletter(self.club.db, newsletter_id).status
        if newsletter_id not in self.runs and status == "draft":
            self.notify(_("This draft has not been sent yet: s shows its send plan."))
            return
        run = self.sends.run(newsletter_id)
        self.app.push_screen(SendProgressScreen(self.club, run, self.sends))

    @on(RunChanged)
    def _run_changed(self, message: RunChanged) -> None:
        message.stop()
        run = message.run
        if not run.running:
            self.load()
            return
        table = self.query_one("#nl-table", DataTable)
        key = str(run.newsletter_id)
        if run.progress is not None and key in table.rows:
            failed = run.progress.failed
            table.update_cell(key, "sent", format_number(run.progress.sent))
            table.update_cell(key, "failed", format_number(failed) if failed else "")

    # -- quitting ----------------------------------------------------------------------
    def running(self) -> list[SendRun]:
        return self.sends.running()

    def quit_warning(self) -> str | None:
        if not self.running():
            return None
        return wrap(
            _(
                "A newsletter is being sent. Quitting pauses it after the messages in flight; "
                "resume it later from the Newsletter tab (s)."
            )
        )

    async def before_quit(self) -> None:
        await self.sends.pause_all(_("the app was closed during the send"), QUIT_GRACE_SECONDS)

    def palette_commands(self) -> Iterable[SystemCommand]:
        yield SystemCommand(_("Newsletter: new draft"), _("Write a newsletter"), self.action_new)
        if self.selected_id() is not None:
            yield SystemCommand(
                _("Newsletter: send or resume the selected one"),
                _("Show the send plan, then send"),
                self.action_send,
            )
