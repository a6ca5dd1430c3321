"""The mail omtui did not understand: each message with its one-line reason, the raw
message viewable, and the three ways to settle it (handled, unsubscribe the sender, mark
the address bounced)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Footer, Label, TextArea

from omtui.context import ClubContext
from omtui.core.dates import format_date_time
from omtui.core.db import Database
from omtui.core.mail import triage
from omtui.errors import OmtuiError
from omtui.i18n import _, ngettext
from omtui.tui.text import cell, plain
from omtui.tui.widgets.fit_table import FitTable


class RawMessage(ModalScreen[None]):
    """A message exactly as it came (read-only text: nothing in it is markup)."""

    DEFAULT_CSS = """
    RawMessage { align: center middle; }
    RawMessage > Vertical {
        width: 100; max-width: 100%; height: 90%;
        border: thick $primary; background: $surface;
    }
    RawMessage TextArea { height: 1fr; }
    """
    BINDINGS = [Binding("escape,q", "close", _("Close"))]

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def compose(self) -> ComposeResult:
        with Vertical():
            yield TextArea(self.text, read_only=True, id="raw-message", soft_wrap=True)
        yield Footer()

    def action_close(self) -> None:
        self.dismiss(None)


class MailboxTriage(ModalScreen[bool]):
    """The triage list; dismisses True when something was settled."""

    DEFAULT_CSS = """
    MailboxTriage { align: center middle; }
    MailboxTriage > Vertical {
        width: 120; max-width: 100%; height: 90%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    MailboxTriage #triage-title { text-style: bold; }
    MailboxTriage #triage-reason { height: auto; margin-top: 1; }
    MailboxTriage DataTable { height: 1fr; }
    """
    BINDINGS = [
        Binding("escape", "close", _("Close")),
        Binding("enter,v", "view", _("View message")),
        Binding("h", "handled", _("Mark handled")),
        Binding("u", "unsubscribe_sender", _("Unsubscribe sender")),
        Binding("b", "mark_bounced", _("Mark bounced")),
    ]

    def __init__(self, club: ClubContext) -> None:
        super().__init__()
        self.club = club
        self.items: list[triage.TriageItem] = []
        self.changed = False

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("", id="triage-title")
            # the reason (shown whole below), the subject, then the sender give way with "…"
            yield FitTable(id="triage-table", cursor_type="row", zebra_stripes=True, fit=(3, 2, 1))
            yield Label("", id="triage-reason")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns(_("Date"), _("From"), _("Subject"), _("Why it is here"))
        self.reload()
        table.focus()

    def reload(self) -> None:
        self.items = triage.open_items(self.club.db)
        table = self.query_one(DataTable)
        table.clear()
        tz = self.club.tz
        for item in self.items:
            table.add_row(
                format_date_time(item.sent_at or item.read_at, tz),
                cell(item.sender or "?"),
                cell(item.subject),
                cell(item.reason),
                key=str(item.id),
            )
        count = len(self.items)
        self.query_one("#triage-title", Label).update(
            ngettext("{count} message to triage", "{count} messages to triage", count).format(
                count=count
            )
            if count
            else _("Nothing to triage.")
        )
        self.show_reason()

    def current(self) -> triage.TriageItem | None:
        table = self.query_one(DataTable)
        if not self.items or table.cursor_row is None:
            return None
        return self.items[min(table.cursor_row, len(self.items) - 1)]

    def show_reason(self) -> None:
        item = self.current()
        self.query_one("#triage-reason", Label).update(plain(item.reason if item else ""))

    def on_data_table_row_highlighted(self, _event: DataTable.RowHighlighted) -> None:
        self.show_reason()

    def on_data_table_row_selected(self, _event: DataTable.RowSelected) -> None:
        self.action_view()  # Enter in the table

    def action_view(self) -> None:
        item = self.current()
        if item is not None:
            raw = triage.raw_message(self.club.db, item.id)
            self.app.push_screen(RawMessage(raw.decode("utf-8", "replace")))

    async def _act(self, func: Callable[[Database, int], Any], done: str) -> None:
        item = self.current()
        if item is None:
            return
        try:  # in a thread, on its own connection: the write may wait for another process
            await asyncio.to_thread(self.club.in_worker, lambda db: func(db, item.id))
        except OmtuiError as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        self.changed = True
        self.notify(done, markup=False)
        self.reload()

    async def action_handled(self) -> None:
        now = self.club.now()
        await self._act(lambda db, i: triage.mark_handled(db, i, now=now), _("Marked handled."))

    async def action_unsubscribe_sender(self) -> None:
        now = self.club.now()
        await self._act(
            lambda db, i: triage.unsubscribe_sender(db, i, now=now), _("Sender unsubscribed.")
        )

    async def action_mark_bounced(self) -> None:
        now = self.club.now()
        await self._act(
            lambda db, i: triage.mark_bounced(db, i, now=now), _("Address marked bounced.")
        )

    def action_close(self) -> None:
        self.dismiss(self.changed)
