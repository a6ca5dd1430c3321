"""Register a member for an event: type part of a name or email, pick from the matches."""

from __future__ import annotations

import asyncio

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from omtui.context import ClubContext
from omtui.core import events as ev
from omtui.core import labels, members
from omtui.core.text import fold
from omtui.errors import OmtuiError
from omtui.i18n import _
from omtui.tui.text import markup, plain

MATCHES = 30


class RegisterDialog(ModalScreen[ev.Registration | None]):
    """dismiss(Registration) once registered (seat or waiting list), None on Esc."""

    DEFAULT_CSS = """
    RegisterDialog { align: center middle; }
    RegisterDialog > Vertical {
        width: 80; max-width: 100%; height: 22; max-height: 100%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    RegisterDialog OptionList { height: 1fr; }
    RegisterDialog #error { color: $error; height: auto; }
    """
    BINDINGS = [
        Binding("escape", "cancel", _("Cancel")),
        Binding("down", "move(1)", show=False),
        Binding("up", "move(-1)", show=False),
    ]

    def __init__(self, club: ClubContext, event: ev.Event) -> None:
        super().__init__()
        self.club = club
        self.event = event
        self._moved = False

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(markup(_("Register for [b]{title}[/b]"), title=self.event.title))
            yield Input(placeholder=_("part of a name or email"), id="search")
            yield OptionList(id="matches")
            yield Label(_("↑↓ choose · Enter register · Esc cancel"), classes="hint")
            yield Label("", id="error")

    def on_mount(self) -> None:
        self.query_one("#search", Input).focus()

    @on(Input.Changed, "#search")
    def refresh_matches(self, event: Input.Changed) -> None:
        found = ev.find_members(self.club.db, event.value, limit=MATCHES)
        taken = {
            r.member_id: r.status
            for r in ev.registrations(self.club.db, self.event.id)
            if r.status != "cancelled"
        }
        options = []
        for member in found:
            note = (
                f"  [{labels.registration_status(taken[member.id])}]" if member.id in taken else ""
            )
            details = " · ".join(p for p in (member.email, member.city) if p)
            option = plain(f"{member.full_name} — {details}{note}")
            options.append(Option(option, id=str(member.id)))
        matches = self.query_one("#matches", OptionList)
        matches.clear_options()
        matches.add_options(options)
        if options:
            matches.highlighted = 0
        self._moved = False
        self.query_one("#error", Label).update("")

    def action_move(self, step: int) -> None:
        self._moved = True  # a person chosen with the arrows is meant, namesake or not
        matches = self.query_one("#matches", OptionList)
        if matches.option_count:
            current = matches.highlighted or 0
            matches.highlighted = max(0, min(matches.option_count - 1, current + step))

    @on(Input.Submitted, "#search")
    async def submit(self) -> None:
        matches = self.query_one("#matches", OptionList)
        if matches.highlighted is None:
            self.query_one("#error", Label).update(_("No member matches; type more or less."))
            return
        member_id = int(matches.get_option_at_index(matches.highlighted).id or 0)
        if not self._moved:
            chosen = members.get_member(self.club.db, member_id)
            shown = [
                int(matches.get_option_at_index(i).id or 0) for i in range(matches.option_count)
            ]
            namesakes = [
                m
                for m in shown
                if fold(members.get_member(self.club.db, m).full_name) == fold(chosen.full_name)
            ]
            if len(namesakes) > 1:  # the first match is not enough: ask which one
                self.query_one("#error", Label).update(
                    plain(
                        _(
                            "{n} people are called {name}: choose one by their email, then Enter."
                        ).format(n=len(namesakes), name=chosen.full_name)
                    )
                )
                matches.focus()
                return
        await self.choose(member_id)

    @on(OptionList.OptionSelected, "#matches")
    async def picked(self, event: OptionList.OptionSelected) -> None:
        await self.choose(int(event.option.id or 0))

    async def choose(self, member_id: int) -> None:
        event_id, now = self.event.id, self.club.now()
        try:  # in a thread, on its own connection: the write may wait for another process
            reg = await asyncio.to_thread(
                self.club.in_worker,
                lambda db: ev.register(db, event_id, member_id, now=now, source="tui"),
            )
        except OmtuiError as exc:
            self.query_one("#error", Label).update(plain(str(exc)))
            return
        self.dismiss(reg)

    def action_cancel(self) -> None:
        self.dismiss(None)
