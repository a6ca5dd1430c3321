"""The audit log, newest first, filtered by action as you type (read-only)."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Footer, Input, Label

from omtui.context import ClubContext
from omtui.core import audit
from omtui.core.dates import format_local
from omtui.i18n import _
from omtui.tui.text import cell
from omtui.tui.widgets.fit_table import FitTable

SHOWN = 500


class AuditLogScreen(ModalScreen[None]):
    """Who changed what, and when; targets by id, never the data itself."""

    DEFAULT_CSS = """
    AuditLogScreen { align: center middle; }
    AuditLogScreen > Vertical {
        width: 110; max-width: 100%; height: 90%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    AuditLogScreen #audit-title { text-style: bold; }
    AuditLogScreen DataTable { height: 1fr; }
    """
    BINDINGS = [Binding("escape", "close", _("Close"))]

    def __init__(self, club: ClubContext) -> None:
        super().__init__()
        self.club = club

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(_("Audit log (newest first)"), id="audit-title")
            yield Input(placeholder=_("Filter by action: member., shift., backup"), id="filter")
            # detail, target, then action give way with "…" to fit the screen
            yield FitTable(
                id="audit", cursor_type="row", zebra_stripes=True, fit=(4, 3, 2), min_fit=10
            )
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#audit", DataTable)
        table.add_columns(_("When"), _("Who"), _("Action"), _("Target"), _("Detail"))
        self.load("")
        self.query_one("#filter", Input).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        self.load(event.value.strip())

    @work(thread=True, exclusive=True, group="audit-load", exit_on_error=False)
    def load(self, action: str) -> None:
        found = self.club.in_worker(
            lambda db: audit.entries(db, action=action or None, limit=SHOWN)
        )
        self.app.call_from_thread(self.show, found)

    def show(self, found: list[audit.AuditEntry]) -> None:
        table = self.query_one("#audit", DataTable)
        table.clear()
        tz = self.club.tz
        table.add_rows(
            [
                format_local(e.at, tz),
                cell(e.actor),
                cell(e.action),
                cell(f"{e.target} #{e.target_id}" if e.target_id is not None else e.target),
                cell(e.detail),
            ]
            for e in reversed(found)
        )

    def action_close(self) -> None:
        self.dismiss(None)
