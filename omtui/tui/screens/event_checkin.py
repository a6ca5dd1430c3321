"""Check-in at the door: type a few letters, the registered attendees narrow down, Enter
marks the highlighted one attended. The waiting list and members who did not register are
found too (checked in after a question: a free seat, or over capacity), and a new person
can be added with a name and email. Made for 80x24, e.g. a phone's SSH client."""

from __future__ import annotations

import asyncio

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList
from textual.widgets.option_list import Option

from omtui.context import ClubContext
from omtui.core import events as ev
from omtui.core import members
from omtui.core.dates import format_day_time, format_time
from omtui.errors import OmtuiError
from omtui.i18n import _
from omtui.tui.messages import DataChanged
from omtui.tui.screens.confirm import DIALOG_CSS, ConfirmDialog
from omtui.tui.text import markup, plain

NEW_PERSON = "new"


class WalkInDialog(ModalScreen[dict | None]):
    """A new person at the door: name and email; dismiss(fields) or None on Esc."""

    DEFAULT_CSS = DIALOG_CSS.replace("{name}", "WalkInDialog")
    BINDINGS = [
        Binding("escape", "cancel", _("Cancel")),
        Binding("ctrl+s", "save", _("Check in")),
    ]

    def __init__(self, typed: str = "") -> None:
        super().__init__()
        words = typed.split()
        self.first = words[0].capitalize() if words and "@" not in typed else ""
        self.last = " ".join(words[1:]) if "@" not in typed else ""
        self.email = typed.strip() if "@" in typed else ""

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(_("A new person: register and check in"))
            yield Input(self.first, placeholder=_("First name"), id="first_name")
            yield Input(self.last, placeholder=_("Last name"), id="last_name")
            yield Input(self.email, placeholder=_("Email"), id="email")
            yield Label("", id="error", classes="error")
            with Horizontal():
                yield Button(_("Cancel"), id="cancel")
                yield Button(_("Check in"), id="save", variant="primary")

    def on_mount(self) -> None:
        empty = [i for i in self.query(Input) if not i.value]
        (empty[0] if empty else self.query_one("#email", Input)).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "email":
            self.action_save()
        else:
            self.focus_next()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save":
            self.action_save()
        else:
            self.dismiss(None)

    def action_save(self) -> None:
        fields = {
            name: self.query_one(f"#{name}", Input).value
            for name in ("first_name", "last_name", "email")
        }
        error = self.query_one("#error", Label)
        if not (fields["first_name"].strip() or fields["last_name"].strip()):
            error.update(plain(_("Type their name.")))
            self.query_one("#first_name", Input).focus()
            return
        try:
            members.clean_fields(fields)
        except OmtuiError as exc:
            error.update(plain(str(exc)))
            self.query_one("#email", Input).focus()
            return
        self.dismiss(fields)

    def action_cancel(self) -> None:
        self.dismiss(None)


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
        if not ev.checkin_is_open(self.event, self.club.now()) and not self.event.cancelled:
            self._say(self._not_open_text(ev.checkin_opens_at(self.event)), ok=False)

    def _not_open_text(self, opens_at) -> str:
        return _("Check-in opens at {when}, 2 hours before the start.").format(
            when=format_day_time(opens_at, self.club.tz)
        )

    def refresh_list(self, text: str) -> None:
        db, tz = self.club.db, self.club.tz
        found = ev.door_matches(db, self.event.id, text)
        options = []
        for match in found:
            if match.status == "registered":
                mark = f"✓ {format_time(match.attended_at, tz)}" if match.attended_at else "     "
                options.append(Option(plain(f"{mark}  {match.full_name}"), id=str(match.member_id)))
            elif match.status == "waiting":
                label = _("waiting #{n}: {name} <{email}>").format(
                    n=match.place, name=match.full_name, email=match.email
                )
                options.append(Option(plain(f"   …  {label}"), id=f"w:{match.member_id}"))
            else:
                label = _("not registered: {name} <{email}>").format(
                    name=match.full_name, email=match.email
                )
                options.append(Option(plain(f"   +  {label}"), id=f"m:{match.member_id}"))
        if text.strip():
            options.append(
                Option(plain("   +  " + _("Someone new: add a name and email")), id=NEW_PERSON)
            )
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
        await self.dispatch_option(option.id or "")

    @on(OptionList.OptionSelected, "#attendees")
    async def picked(self, event: OptionList.OptionSelected) -> None:
        await self.dispatch_option(event.option.id or "")

    async def dispatch_option(self, option_id: str) -> None:
        if option_id.isdigit():
            await self.check_in(int(option_id))
        elif option_id == NEW_PERSON:
            self.app.push_screen(
                WalkInDialog(self.query_one("#typed", Input).value), self._new_person
            )
        else:
            kind, _sep, number = option_id.partition(":")
            self.offer(int(number), walk_in=kind == "m")

    def _full(self) -> bool:
        stats = ev.event_stats(self.club.db, self.event.id)
        return stats.capacity is not None and stats.registered >= stats.capacity

    def offer(self, member_id: int, *, walk_in: bool) -> None:
        """Ask before checking in someone on the waiting list or who did not register."""
        name = members.get_member(self.club.db, member_id).full_name
        full = self._full()
        if walk_in:
            question = (
                _(
                    "{name} did not register and every seat is taken. "
                    "Register and check them in over capacity?"
                )
                if full
                else _("{name} did not register. Register and check them in (a free seat)?")
            )
        else:
            question = (
                _(
                    "{name} is on the waiting list and every seat is taken. "
                    "Check them in over capacity?"
                )
                if full
                else _("{name} is on the waiting list. Check them in (a free seat)?")
            )

        async def answered(yes: bool | None) -> None:
            if yes:
                await self.check_in(member_id, walk_in=walk_in, overbook=full)
            else:
                self.query_one("#typed", Input).focus()

        self.app.push_screen(
            ConfirmDialog(question.format(name=name), yes=_("Check in"), no=_("Not now")), answered
        )

    def _new_person(self, fields: dict | None) -> None:
        if fields is None:
            self.query_one("#typed", Input).focus()
            return
        name = " ".join(fields[k].strip() for k in ("first_name", "last_name")).strip()

        async def go(overbook: bool) -> None:
            await self.check_in(0, fields=fields, overbook=overbook)

        if not self._full():
            self.run_worker(go(False), exclusive=True, group="door")
            return

        async def answered(yes: bool | None) -> None:
            if yes:
                await go(True)

        self.app.push_screen(
            ConfirmDialog(
                _("Every seat is taken. Register and check in {name} over capacity?").format(
                    name=name
                ),
                yes=_("Check in"),
                no=_("Not now"),
            ),
            answered,
        )

    async def check_in(
        self,
        member_id: int,
        *,
        walk_in: bool = False,
        overbook: bool = False,
        fields: dict | None = None,
    ) -> None:
        db, tz, event_id, now = self.club.db, self.club.tz, self.event.id, self.club.now()
        before = ev.get_registration(db, event_id, member_id) if member_id else None

        def write(wdb):
            if fields is not None:
                return ev.add_walk_in(wdb, event_id, fields, now=now, overbook=overbook)
            if walk_in:
                return ev.walk_in(wdb, event_id, member_id, now=now, overbook=overbook)
            return ev.check_in(wdb, event_id, member_id, now=now, overbook=overbook)

        try:  # in a thread, on its own connection: the write may wait for another process
            reg = await asyncio.to_thread(self.club.in_worker, write)
        except ev.CheckInNotOpen as exc:
            self._say(self._not_open_text(exc.opens_at), ok=False)
            return
        except ev.NeedsSeat:
            if member_id:
                self.offer(member_id, walk_in=walk_in or before is None)
            return
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
