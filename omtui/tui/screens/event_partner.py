"""The partners of an event: link one as exhibitor or sponsor (adding the partner on the
way if new), or unlink one already linked (Enter on it, then confirm)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList, Select
from textual.widgets.option_list import Option

from omtui.context import ClubContext
from omtui.core import events as ev
from omtui.core import labels
from omtui.core import partners as pt
from omtui.core.db import Database
from omtui.errors import OmtuiError
from omtui.i18n import _
from omtui.tui.screens.confirm import ConfirmDialog
from omtui.tui.text import markup, plain


@dataclass(frozen=True)
class PartnerChange:
    """What the dialog changed: the partner linked (if any) and the companies unlinked."""

    linked: pt.Partner | None = None
    unlinked: list[str] = field(default_factory=list)


class PartnerDialog(ModalScreen[PartnerChange | None]):
    """dismiss(PartnerChange) once linked, or on Esc after unlinking; None when nothing
    changed."""

    DEFAULT_CSS = """
    PartnerDialog { align: center middle; }
    PartnerDialog > Vertical {
        width: 72; max-width: 100%; height: auto; max-height: 100%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    PartnerDialog #linked-heading { margin-top: 1; }
    PartnerDialog #linked { height: auto; max-height: 5; }
    PartnerDialog .row { height: 1; }
    PartnerDialog #row-partner { margin-top: 1; }
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
        self._unlinked: list[str] = []

    def compose(self) -> ComposeResult:
        known = [(plain(p.company), p.id) for p in pt.list_partners(self.club.db)]
        with Vertical():
            yield Label(markup(_("Partners of [b]{title}[/b]"), title=self.event.title))
            yield Label(_("Linked now (Enter on one unlinks it):"), id="linked-heading")
            yield OptionList(id="linked", compact=True)
            with Horizontal(classes="row", id="row-partner"):
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

    def on_mount(self) -> None:
        self._show_linked()
        self.query_one("#partner", Select).focus()

    def _show_linked(self) -> None:
        linked = pt.event_partners(self.club.db, self.event.id)
        options = self.query_one("#linked", OptionList)
        options.clear_options()
        options.add_options(
            Option(
                plain(f"{p.partner.company} ({labels.partner_role(p.role)})"),
                id=f"{p.partner.id}:{p.role}",
            )
            for p in linked
        )
        options.display = bool(linked)
        self.query_one("#linked-heading").display = bool(linked)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        partner_id, role = str(event.option.id).split(":", 1)
        company = pt.get_partner(self.club.db, int(partner_id)).company
        question = _("Unlink {company} ({role}) from {title}?").format(
            company=company, role=labels.partner_role(role), title=self.event.title
        )

        async def answered(yes: bool | None) -> None:
            if yes:
                await self._unlink(int(partner_id), role, company)

        self.app.push_screen(ConfirmDialog(question, yes=_("Unlink"), no=_("Keep")), answered)

    async def _unlink(self, partner_id: int, role: str, company: str) -> None:
        event_id = self.event.id
        try:  # in a thread, on its own connection: the write may wait for another process
            await asyncio.to_thread(
                self.club.in_worker, lambda db: pt.unlink_partner(db, event_id, partner_id, role)
            )
        except OmtuiError as exc:
            self.query_one("#error", Label).update(plain(str(exc)))
            return
        self._unlinked.append(company)
        self.query_one("#error", Label).update(
            plain(_("{company} unlinked.").format(company=company))
        )
        self._show_linked()

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
        self.dismiss(PartnerChange(partner, list(self._unlinked)))

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
        self.dismiss(PartnerChange(None, list(self._unlinked)) if self._unlinked else None)
