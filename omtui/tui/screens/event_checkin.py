"""Check-in at the door: type a few letters, the registered attendees narrow down, Enter
marks the highlighted one attended. Made for 80x24, e.g. a phone's SSH client."""

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
from omtui.core.dates import format_time
from omtui.errors import OmtuiError
from omtui.i18n import _
from omtui.tui.messages import DataChanged
from omtui.tui.text import markup, plain


class CheckInScreen(ModalScreen[None]):
    """The door list of one event. Esc closes; ctrl+z undoes the last check-in."""

    DEFAULT_CSS = """
    CheckInScreen { align: center top; }
    CheckInScreen > Vertical {
        width: 100%; height: 100%;
        background: $surface; padding: 0 1;
    }
    CheckInScreen #heading { height: auto; }
    CheckInScreen #count { color: $text-muted; }
    CheckInScreen OptionList { height: 1fr; }
    CheckInScreen #last { height: 1; }
    CheckInScreen #last.-error { color: $error; }
    CheckInScreen #last.-ok { color: $success; }
    CheckInScreen .hint { color: $text-muted; height: 1; }
    """
    BINDINGS = [
        Binding("escape", "close", _("Close")),
        Binding("down", "move(1)", show=False),
        Binding("up", "move(-1)", show=False),
        Binding("ctrl+z", "undo", _("Undo last"), show=False),
    ]

    def __init__(self, club: ClubContext, event: ev.Event) -> None:
        super().__init__()
        self.club = club
        self.event = event
        self.last_checked: ev.Registration | None = None

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(markup(_("Check-in: [b]{title}[/b]"), title=self.event.title), id="heading")
            yield Label("", id="count")
            yield Input(placeholder=_("type a few letters of a name"), id="typed")
            yield OptionList(id="attendees")
            yield Label("", id="last")
            yield Label(_("↑↓ choose · Enter check in · ctrl+z undo · Esc close"), classes="hint")

    def on_mount(self) -> None:
        self.refresh_list("")
        self.query_one("#typed", Input).focus()

    def refresh_list(self, text: str) -> None:
        db, tz = self.club.db, self.club.tz
        found = ev.checkin_matches(db, self.event.id, text)
        options = []
        for reg in found:
            mark = f"✓ {format_time(reg.attended_at, tz)}" if reg.attended_at else "     "
            options.append(Option(plain(f"{mark}  {reg.full_name}"), id=str(reg.member_id)))
        attendees = self.query_one("#attendees", OptionList)
        attendees.clear_options()
        attendees.add_options(options)
        if options:
            attendees.highlighted = 0
        stats = ev.event_stats(db, self.event.id)
        self.query_one("#count", Label).update(
            _("{att} of {reg} checked in · {shown} shown").format(
                att=stats.attended, reg=stats.registered, shown=len(options)
            )
        )

    @on(Input.Changed, "#typed")
    def narrow(self, event: Input.Changed) -> None:
        self.refresh_list(event.value)

    def action_move(self, step: int) -> None:
        attendees = self.query_one("#attendees", OptionList)
        if attendees.option_count:
            current = attendees.highlighted or 0
            attendees.highlighted = max(0, min(attendees.option_count - 1, current + step))

    def _say(self, text: str, ok: bool) -> None:
        last = self.query_one("#last", Label)
        last.update(plain(text))
        last.set_class(ok, "-ok")
        last.set_class(not ok, "-error")

    @on(Input.Submitted, "#typed")
    async def submit(self) -> None:
        attendees = self.query_one("#attendees", OptionList)
        if attendees.highlighted is None:
            self._say(_("Nobody registered matches; check the spelling."), ok=False)
            return
        option = attendees.get_option_at_index(attendees.highlighted)
        await self.check_in(int(option.id or 0))

    @on(OptionList.OptionSelected, "#attendees")
    async def picked(self, event: OptionList.OptionSelected) -> None:
        await self.check_in(int(event.option.id or 0))

    async def check_in(self, member_id: int) -> None:
        db, tz, event_id, now = self.club.db, self.club.tz, self.event.id, self.club.now()
        before = ev.get_registration(db, event_id, member_id)
        try:  # in a thread, on its own connection: the write may wait for another process
            reg = await asyncio.to_thread(
                self.club.in_worker, lambda wdb: ev.check_in(wdb, event_id, member_id, now=now)
            )
        except OmtuiError as exc:
            self._say(str(exc), ok=False)
            return
        if before and before.attended_at:
            when = format_time(before.attended_at, tz)
            self._say(
                _("{name} was already checked in at {when}.").format(name=reg.full_name, when=when),
                ok=False,
            )
        else:
            self.last_checked = reg
            self._say(_("✓ {name} checked in.").format(name=reg.full_name), ok=True)
            self.app.post_message(DataChanged("events"))
        typed = self.query_one("#typed", Input)
        typed.value = ""
        typed.focus()
        self.refresh_list("")

    async def action_undo(self) -> None:
        if self.last_checked is None:
            return
        event_id, member_id = self.event.id, self.last_checked.member_id
        try:
            await asyncio.to_thread(
                self.club.in_worker, lambda db: ev.undo_check_in(db, event_id, member_id)
            )
        except OmtuiError as exc:
            self._say(str(exc), ok=False)
            return
        if self.last_checked is None:
            return
        self._say(_("Check-in of {name} undone.").format(name=self.last_checked.full_name), ok=True)
        self.last_checked = None
        self.app.post_message(DataChanged("events"))
        self.refresh_list(self.query_one("#typed", Input).value)

    def action_close(self) -> None:
        self.dismiss(None)
