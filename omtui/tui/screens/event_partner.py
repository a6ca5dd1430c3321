"""Link a partner to an event as exhibitor or sponsor, adding the partner on the way if new."""

from __future__ import annotations

import asyncio

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select

from omtui.context import ClubContext
from omtui.core import events as ev
from omtui.core import labels
from omtui.core import partners as pt
from omtui.core.db import Database
from omtui.errors import OmtuiError
from omtui.i18n import _
from omtui.tui.text import markup, plain


class PartnerDialog(ModalScreen[pt.Partner | None]):
    """dismiss(Partner) once linked, None on Esc."""

    DEFAULT_CSS = """
    PartnerDialog { align: center middle; }
    PartnerDialog > Vertical {
        width: 72; max-width: 100%; height: auto; max-height: 100%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    PartnerDialog .row { height: 1; margin-top: 1; }
    PartnerDialog .row Label { width: 14; }
    PartnerDialog .row Input, PartnerDialog .row Select { width: 1fr; }
    PartnerDialog #error { color: $error; height: auto; }
    PartnerDialog #buttons { height: 1; align-horizontal: right; margin-top: 1; }
    PartnerDialog #buttons Button { margin-left: 1; }
    """
    BINDINGS = [
        Binding("escape", "cancel", _("Cancel")),
        Binding("ctrl+s", "save", _("Link"), priority=True),
    ]

    def __init__(self, club: ClubContext, event: ev.Event) -> None:
        super().__init__()
        self.club = club
        self.event = event

    def compose(self) -> ComposeResult:
        known = [(plain(p.company), p.id) for p in pt.list_partners(self.club.db)]
        with Vertical():
            yield Label(markup(_("Partner of [b]{title}[/b]"), title=self.event.title))
            with Horizontal(classes="row"):
                yield Label(_("Partner"))
                yield Select(
                    known, prompt=_("choose, or type a new one below"), compact=True, id="partner"
                )
            with Horizontal(classes="row"):
                yield Label(_("New company"))
                yield Input(placeholder=_("only for a new partner"), compact=True, id="company")
            with Horizontal(classes="row"):
                yield Label(_("Contact"))
                yield Input(compact=True, id="contact")
            with Horizontal(classes="row"):
                yield Label(_("Email"))
                yield Input(compact=True, id="email")
            with Horizontal(classes="row"):
                yield Label(_("Role"))
                yield Select(
                    [(labels.partner_role(r), r) for r in pt.ROLES],
                    value="exhibitor",
                    allow_blank=False,
                    compact=True,
                    id="role",
                )
            yield Label("", id="error")
            with Horizontal(id="buttons"):
                yield Button(_("Cancel"), id="cancel", compact=True)
                yield Button(_("Link"), id="save", variant="primary", compact=True)

    async def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save":
            await self.action_save()
        else:
            self.action_cancel()

    async def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        await self.action_save()

    async def action_save(self) -> None:
        company = self.query_one("#company", Input).value.strip()
        chosen = self.query_one("#partner", Select).value
        role = str(self.query_one("#role", Select).value)
        fields = {
            "company": company,
            "contact": self.query_one("#contact", Input).value,
            "email": self.query_one("#email", Input).value,
        }

        def link(db: Database) -> pt.Partner:
            with db.transaction():  # a new partner is kept only if linked
                return self._link(db, fields, chosen, role)

        try:  # in a thread, on its own connection: the write may wait for another process
            partner = await asyncio.to_thread(self.club.in_worker, link)
        except OmtuiError as exc:
            self.query_one("#error", Label).update(plain(str(exc)))
            return
        self.dismiss(partner)

    def _link(self, db: Database, fields: dict, chosen: object, role: str) -> pt.Partner:
        if fields["company"]:
            partner = pt.add_partner(db, fields, now=self.club.now())
        elif isinstance(chosen, int):
            partner = pt.get_partner(db, chosen)
        else:
            raise OmtuiError(_("choose a partner, or type a new company"))
        pt.link_partner(db, self.event.id, partner.id, role)
        return partner

    def action_cancel(self) -> None:
        self.dismiss(None)
