"""What `omtui remind` sent lately and what is due next (opened from the Events tab)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Label

from omtui.context import ClubContext
from omtui.core import events as ev
from omtui.core import labels
from omtui.core.dates import format_day_time
from omtui.core.mail import reminders
from omtui.errors import OmtuiError
from omtui.i18n import _
from omtui.tui.text import cell, plain
from omtui.tui.widgets.fit_table import FitTable


class RemindersScreen(ModalScreen[None]):
    """Two tables: reminders due in the next 7 days, and the latest ones handled."""

    DEFAULT_CSS = """
    RemindersScreen { align: center middle; }
    RemindersScreen > Vertical {
        width: 110; max-width: 100%; height: 90%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    RemindersScreen DataTable { height: 1fr; }
    """
    BINDINGS = [Binding("escape,q", "close", _("Close"), show=True)]

    def __init__(self, club: ClubContext) -> None:
        super().__init__()
        self.club = club

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(_("Reminders due in the next 7 days"), classes="title")
            yield FitTable(id="next", cursor_type="row", zebra_stripes=True, fit=2)
            yield Label(_("Latest reminders handled"), classes="title")
            yield FitTable(id="recent", cursor_type="row", zebra_stripes=True, fit=2)
            last = self._last_run()
            yield Label(plain(last), id="last-run")

    def _title(self, event_id: int | None, cache: dict[int, str]) -> str:
        if event_id is None:
            return ""
        if event_id not in cache:
            try:
                cache[event_id] = ev.get_event(self.club.db, event_id).title
            except OmtuiError:
                cache[event_id] = "?"
        return cache[event_id]

    def _last_run(self) -> str:
        from omtui.core.runs import last_runs

        run = last_runs(self.club.db).get("remind")
        if run is None:
            return _("omtui remind has never run: add it to cron (see the README).")
        return _("Last run of omtui remind: {when}, {detail}").format(
            when=format_day_time(run.finished_at, self.club.tz), detail=run.detail
        )

    def on_mount(self) -> None:
        db, tz, now = self.club.db, self.club.tz, self.club.now()
        settings = self.club.config.reminders
        titles: dict[int, str] = {}
        upcoming = self.query_one("#next", DataTable)
        upcoming.add_columns(_("Due"), _("Kind"), _("Event"), _("People"))
        for due, kind, event_id, people in reminders.upcoming(db, settings, now=now, tz=tz):
            upcoming.add_row(
                cell(format_day_time(due, tz)),
                cell(labels.reminder_kind(kind)),
                cell(self._title(event_id, titles)),
                cell(people),
            )
        recent = self.query_one("#recent", DataTable)
        recent.add_columns(_("Updated"), _("Kind"), _("Event"), _("To"), _("State"), _("Reply"))
        for row in reminders.recent(db, limit=50):
            when = row.sent_at or row.due_at
            recent.add_row(
                cell(format_day_time(when, tz)),
                cell(labels.reminder_kind(row.kind)),
                cell(self._title(row.event_id, titles)),
                cell(row.email),
                cell(labels.reminder_state(row.state)),
                cell(row.reply),
                key=str(row.id),
            )

    def action_close(self) -> None:
        self.dismiss(None)
