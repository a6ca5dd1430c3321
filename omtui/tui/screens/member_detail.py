"""One member: their fields and the consent history; subscribe or unsubscribe from here."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Literal

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import DataTable, Footer, Label, Static

from omtui.context import ClubContext
from omtui.core import labels
from omtui.core import members as core
from omtui.core.dates import format_date, format_date_time, humanize_delta
from omtui.core.mail import bounces
from omtui.errors import OmtuiError
from omtui.i18n import _
from omtui.tui.text import cell, markup, plain

Outcome = Literal["edit", "changed"] | None
"""What the pane should do next: open the form, refresh, or nothing."""


class MemberDetail(ModalScreen[Outcome]):
    """A member's record and consent history. `s` toggles the subscription (source "form")."""

    DEFAULT_CSS = """
    MemberDetail { align: center middle; }
    MemberDetail > Vertical {
        width: 90; max-width: 100%; height: auto; max-height: 100%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    MemberDetail #detail-title { text-style: bold; }
    MemberDetail #detail-fields { height: auto; margin-bottom: 1; }
    MemberDetail #consent-title { text-style: bold; }
    MemberDetail DataTable { height: auto; max-height: 10; }
    """
    BINDINGS = [
        Binding("escape,q", "close", _("Close")),
        Binding("s", "toggle_subscription", _("Subscribe/unsubscribe")),
        Binding("e", "edit", _("Edit")),
        Binding("x", "export_data", _("Export data")),
        Binding("X", "erase", _("Erase")),
    ]

    def __init__(self, club: ClubContext, member_id: int) -> None:
        super().__init__()
        self.club = club
        self.member_id = member_id
        self.changed = False

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("", id="detail-title")
            yield Static("", id="detail-fields")
            yield Label(_("Consent history (oldest first, never rewritten)"), id="consent-title")
            yield DataTable(id="consent-history", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#consent-history", DataTable)
        table.add_columns(_("When"), _("Purpose"), _("State"), _("Source"), _("Detail"))
        self.refresh_member()
        table.focus()

    def refresh_member(self) -> None:
        member = core.get_member(self.club.db, self.member_id)
        now, tz = self.club.now(), self.club.tz
        state = _("subscribed") if member.subscribed else _("not subscribed")
        reminders = (
            _("accepted") if core.reminders_allowed(self.club.db, self.member_id) else _("declined")
        )
        self.query_one("#detail-title", Label).update(
            plain(f"{member.full_name or member.email} <{member.email}> · {state}")
        )
        joined = (
            f"{format_date(member.joined_at, tz)} ({humanize_delta(member.joined_at, now)})"
            if member.joined_at
            else ""
        )
        lines = [
            (_("Phone"), member.phone),
            (_("Company"), member.company),
            (_("Job title"), member.job_title),
            (_("City"), member.city),
            (_("Tags"), ", ".join(member.tags)),
            (_("Joined"), joined),
            (_("Reminders"), reminders),
            (_("Notes"), member.notes),
            (_("Address"), self._address_status(member.email)),
        ]
        self.query_one("#detail-fields", Static).update(
            Content("\n").join(markup("[b]{k}:[/b] {v}", k=k, v=v) for k, v in lines if v)
        )
        table = self.query_one("#consent-history", DataTable)
        table.clear()
        for event in core.consent_history(self.club.db, self.member_id):
            table.add_row(
                f"{format_date_time(event.at, tz)} ({humanize_delta(event.at, now)})",
                labels.consent_purpose(event.purpose),
                (_("subscribed") if event.subscribed else _("unsubscribed"))
                if event.purpose == "newsletter"
                else (_("accepted") if event.subscribed else _("declined")),
                cell(event.source),
                cell(event.detail),
            )
        if table.row_count:
            table.move_cursor(row=table.row_count - 1)
        self.member = member

    def _address_status(self, email: str) -> str:
        """Why mail no longer goes to this address (the DSN's date and status line)."""
        status = bounces.status_of(self.club.db, email)
        if status.status is bounces.EmailState.OK:
            return ""
        when = format_date_time(status.reported_at, self.club.tz) if status.reported_at else "?"
        return _("{status} ({when}): {line}").format(
            status=labels.email_status(status.status), when=when, line=status.status_line
        )

    async def action_toggle_subscription(self) -> None:
        wanted, member_id, now = not self.member.subscribed, self.member_id, self.club.now()
        try:  # in a thread, on its own connection: the write may wait for another process
            await asyncio.to_thread(
                self.club.in_worker,
                lambda db: core.set_subscription(db, member_id, wanted, now=now, source="form"),
            )
        except OmtuiError as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        self.changed = True
        self.refresh_member()
        self.notify(_("Subscribed.") if wanted else _("Unsubscribed."))

    def action_export_data(self) -> None:
        """Everything held on the member, as JSON (core/privacy/export.py)."""
        from omtui.paths import default_export_dir
        from omtui.tui.screens.file_picker import tilde
        from omtui.tui.screens.import_preview import PathPrompt

        prompt = PathPrompt(
            _("Write this member's data (JSON) to"),
            must_exist=False,
            initial=tilde(default_export_dir() / f"member-{self.member_id}-data.json"),
        )
        self.app.push_screen(prompt, self._export_to)

    async def _export_to(self, path: Path | None) -> None:
        if path is None:
            return
        from omtui.core.privacy.export import write_export

        member_id, now = self.member_id, self.club.now()
        try:
            await asyncio.to_thread(
                self.club.in_worker, lambda db: write_export(db, member_id, path, now=now)
            )
        except (OmtuiError, OSError) as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        self.notify(_("Data written to {path}.").format(path=path), markup=False)

    def action_erase(self) -> None:
        """Erase the member's personal data, once their address is typed back."""
        from omtui.tui.screens.confirm import TypeToConfirmDialog

        question = _(
            "Erase this member's personal data for good? Their names, email, phone, company "
            "and notes leave the database; their attendance stays, anonymous. Type their "
            "email ({email}) to confirm."
        ).format(email=self.member.email)
        self.app.push_screen(TypeToConfirmDialog(question, self.member.email), self._erase)

    async def _erase(self, confirmed: bool | None) -> None:
        if not confirmed:
            return
        from omtui.core.privacy import erase, jobs

        member_id, now, config = self.member_id, self.club.now(), self.club.config.backup

        def run(db):
            jobs.backup_before(db, config, "erase", now=now)
            return erase.erase_member(db, member_id, now=now)

        try:
            await asyncio.to_thread(self.club.in_worker, run)
        except OmtuiError as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        self.notify(_("Member #{id} is erased.").format(id=member_id))
        self.dismiss("changed")

    def action_edit(self) -> None:
        self.dismiss("edit")

    def action_close(self) -> None:
        self.dismiss("changed" if self.changed else None)
