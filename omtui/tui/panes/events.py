"""The Events tab: upcoming events with a countdown (past ones behind `p`), and the selected
event's details: where, seats left, registrations, the waiting list and partners."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from textual import on
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.events import Resize
from textual.widgets import DataTable, Label, Static

from omtui.core import events as ev
from omtui.core import labels, members
from omtui.core import partners as pt
from omtui.core.dates import format_day_time, format_numeric, format_time, humanize_day
from omtui.core.numbers import format_percent
from omtui.core.today import Target
from omtui.errors import OmtuiError
from omtui.i18n import _
from omtui.tui.messages import DataChanged
from omtui.tui.panes.base import ClubPane
from omtui.tui.screens.confirm import ConfirmDialog
from omtui.tui.screens.event_checkin import CheckInScreen
from omtui.tui.screens.event_form import EventForm
from omtui.tui.screens.event_partner import PartnerChange, PartnerDialog
from omtui.tui.screens.event_register import RegisterDialog
from omtui.tui.text import cell, markup, plain
from omtui.tui.widgets.fit_table import FitTable

NARROW = 140
"""Below this width the details go under the table instead of beside it: at 120 columns
the table keeps its titles whole and the details get the full width (not a strip)."""


class EventsPane(ClubPane):
    """Events, registrations, waiting list and check-in."""

    AREAS = frozenset({"events", "members", "rota"})
    DEFAULT_CSS = """
    EventsPane #body { layout: horizontal; height: 1fr; }
    EventsPane.-narrow #body { layout: vertical; }
    EventsPane #list { width: 3fr; height: 1fr; }
    EventsPane #detail { width: 2fr; height: 1fr; border-left: solid $primary-darken-2;
        padding: 0 1; }
    EventsPane.-narrow #list { width: 1fr; height: 2fr; }
    EventsPane.-narrow #detail { width: 1fr; height: 3fr; border-left: none;
        border-top: solid $primary-darken-2; }
    EventsPane #caption { height: 1; padding: 0 1; background: $boost; }
    EventsPane #events { height: 1fr; overflow-x: hidden; }
    EventsPane #legend { height: 1; padding: 0 1; color: $text-muted; }
    EventsPane #regs { height: auto; overflow-x: hidden; }
    EventsPane #info { height: auto; }
    """
    BINDINGS = [
        Binding("p", "toggle_past", _("Past/upcoming")),
        Binding("a", "add_event", _("Add")),
        Binding("e", "edit_event", _("Edit")),
        Binding("r", "register", _("Register")),
        Binding("x", "cancel_registration", _("Cancel reg.")),
        Binding("X", "cancel_event", _("Cancel event"), show=False),
        Binding("c", "check_in", _("Check-in")),
        Binding("l", "link_partner", _("Partners"), show=False),
    ]

    def __init__(self, club, **kwargs) -> None:
        super().__init__(club, **kwargs)
        self.show_past = False
        self.selected_id: int | None = None
        self._want_member: tuple[int, int] | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="body"):
            with Vertical(id="list"):
                yield Label("", id="caption")
                # the title gives way (cut with "…") so the city stays on screen at 80 columns
                yield FitTable(id="events", cursor_type="row", zebra_stripes=True, fit=4)
                # what "14/14 +3" in the Seats column means, said once under the table
                yield Label(
                    _("Seats: registered/capacity, +n on the waiting list · ✗ cancelled"),
                    id="legend",
                )
            with VerticalScroll(id="detail"):
                yield Static("", id="info")
                yield FitTable(id="regs", cursor_type="row", show_cursor=True, fit=(3, 1))

    def on_mount(self) -> None:
        events_table = self.query_one("#events", DataTable)
        events_table.add_column(_("When"), key="when")
        events_table.add_column(_("Countdown"), key="countdown")
        events_table.add_column(_("Kind"), key="kind")
        events_table.add_column(_("Seats"), key="seats")
        events_table.add_column(_("Title"), key="title")
        events_table.add_column(_("City"), key="city")
        regs = self.query_one("#regs", DataTable)
        regs.add_column("", key="mark")
        regs.add_column(_("Name"), key="name")
        regs.add_column(_("Status"), key="status")
        regs.add_column(_("Email"), key="email")

    def on_show(self) -> None:
        super().on_show()
        self.focus_in_tab(self.query_one("#events", DataTable))

    def on_resize(self, event: Resize) -> None:
        self.set_class(event.size.width < NARROW, "-narrow")

    # -- loading ---------------------------------------------------------------------
    def load(self) -> None:
        db, tz, now = self.club.db, self.club.tz, self.club.now()
        found = ev.list_events(db, now=now, past_only=self.show_past)
        table = self.query_one("#events", DataTable)
        table.clear()
        rows = []
        for event in found:
            stats = ev.event_stats(db, event.id)
            seats = (
                f"{stats.registered}/{event.capacity}" if event.capacity else str(stats.registered)
            )
            title = event.title if event.status != "cancelled" else f"✗ {event.title}"
            rows.append(
                (
                    format_numeric(event.starts_at, tz),
                    humanize_day(event.starts_at, now, tz, time=False),  # "When" has the time
                    labels.event_kind(event.kind),
                    f"{seats} +{stats.waiting}" if stats.waiting else seats,
                    cell(title),
                    cell(event.city or _("online")),
                )
            )
        for event, row in zip(found, rows, strict=True):
            table.add_row(*row, key=str(event.id))
        which = _("Past events") if self.show_past else _("Upcoming events")
        other = _("upcoming") if self.show_past else _("past")
        self.query_one("#caption", Label).update(
            _(
                "[b]{which}[/b] ({n})  [dim]p: {other} · a: add · r: register · c: check-in[/dim]"
            ).format(which=which, n=len(found), other=other)
        )
        ids = [e.id for e in found]
        if self.selected_id in ids:
            table.move_cursor(row=ids.index(self.selected_id))
        elif ids:
            self.selected_id = ids[0]
            table.move_cursor(row=0)
        else:
            self.selected_id = None
        self.show_detail()

    def want(self, target: Target) -> None:
        """Select the Today line's event (upcoming list) and its member's registration."""
        if target.event_id is not None:
            self.show_past = False
            self.selected_id = target.event_id
            self._want_member = (
                (target.event_id, target.member_id) if target.member_id is not None else None
            )

    @on(DataTable.RowHighlighted, "#events")
    def row_highlighted(self, message: DataTable.RowHighlighted) -> None:
        if message.row_key.value is None or message.cursor_row != message.data_table.cursor_row:
            return  # a highlight left over from a refill: the cursor has moved on since
        event_id = int(message.row_key.value)
        if event_id != self.selected_id:
            self.selected_id = event_id
            self.show_detail()

    def selected_event(self) -> ev.Event | None:
        """The event under the table's cursor, read from the table itself so that a key
        typed right after a cursor move acts on the row the person sees."""
        table = self.query_one("#events", DataTable)
        if table.row_count:
            key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
            if key is not None and int(key) != self.selected_id:
                self.selected_id = int(key)
                self.show_detail()
        return self._current()

    def _current(self) -> ev.Event | None:
        if self.selected_id is None:
            return None
        try:
            return ev.get_event(self.club.db, self.selected_id)
        except OmtuiError:
            return None

    def show_detail(self) -> None:
        info = self.query_one("#info", Static)
        regs_table = self.query_one("#regs", DataTable)
        regs_table.clear()
        event = self._current()
        if event is None:
            info.update(_("No event here. Press a to add one, p for past events."))
            return
        info.update(self.describe(event))
        waiting_no = 0
        for reg in ev.registrations(self.club.db, event.id):
            if reg.status == "cancelled":
                if not event.cancelled:  # a cancelled event lists who was coming
                    continue
                status = labels.registration_status("cancelled")
            elif reg.status == "waiting":
                waiting_no += 1
                status = _("waiting #{n}").format(n=waiting_no)
            else:
                status = _("registered")
            mark = "✓" if reg.attended_at else ""
            regs_table.add_row(
                mark, cell(reg.full_name), status, cell(reg.email), key=str(reg.member_id)
            )
        if self._want_member is not None and event.id == self._want_member[0]:
            # a Today line named this registration
            member_key = str(self._want_member[1])
            if member_key in {k.value for k in regs_table.rows}:
                regs_table.move_cursor(row=regs_table.get_row_index(member_key))
            self._want_member = None

    def describe(self, event: ev.Event) -> Content:
        db, tz, now = self.club.db, self.club.tz, self.club.now()
        stats = ev.event_stats(db, event.id)
        start = format_day_time(event.starts_at, tz, year=True)
        end = format_time(event.ends_at, tz)
        countdown = humanize_day(event.starts_at, now, tz)
        lines = [
            plain(event.title, style="bold"),
            plain(
                f"{labels.event_kind(event.kind)} · {labels.event_status(event.status)} · "
                f"{start}-{end} ({countdown})"
            ),
            plain(event.location or "-"),
        ]
        if event.host_member_id:
            try:
                host = members.get_member(db, event.host_member_id)
                lines.append(plain(_("Host: {name}").format(name=host.full_name)))
            except OmtuiError:
                pass
        if event.room_capacity or event.access_notes:
            room = _("room holds {n}").format(n=event.room_capacity) if event.room_capacity else ""
            notes = " · ".join(p for p in (room, event.access_notes) if p)
            lines.append(plain(_("Access: {notes}").format(notes=notes)))
        if event.arrive_before:
            lines.append(plain(event.arrival_rule()))
        left = _("no limit") if stats.seats_left is None else str(stats.seats_left)
        lines.append(
            markup(
                _(
                    "[b]{reg}[/b] registered · [b]{left}[/b] seats left · "
                    "[b]{wait}[/b] waiting · {att} checked in"
                ),
                reg=stats.registered,
                left=left,
                wait=stats.waiting,
                att=stats.attended,
            )
        )
        if event.is_past(now) and stats.attendance_rate is not None:
            rate = format_percent(stats.attendance_rate)
            lines.append(plain(_("Attendance rate: {rate}").format(rate=rate)))
        linked = pt.event_partners(db, event.id)
        if linked:
            names = ", ".join(
                f"{p.partner.company} ({labels.partner_role(p.role)})" for p in linked
            )
            lines.append(plain(_("Partners: {names}").format(names=names)))
        return Content("\n").join(lines)

    # -- actions ---------------------------------------------------------------------
    def changed(self) -> None:
        self.post_message(DataChanged("events"))

    def action_toggle_past(self) -> None:
        self.show_past = not self.show_past
        self.selected_id = None
        self.load()

    def action_add_event(self) -> None:
        self.app.push_screen(EventForm(self.club), self._saved)

    def action_edit_event(self) -> None:
        event = self.selected_event()
        if event is None:
            self.notify(_("Select an event first."), severity="warning")
            return
        self.app.push_screen(EventForm(self.club, event), self._saved)

    def _saved(self, event: ev.Event | None) -> None:
        if event is None:
            return
        self.selected_id = event.id
        self.show_past = event.is_past(self.club.now())
        self.notify(_("Saved {title}.").format(title=event.title))
        self.changed()
        if event.cancelled:  # set cancelled in the form: its members are told
            from omtui.tui.panes import events_cancel

            events_cancel.after_form(self, event)

    def action_register(self) -> None:
        event = self.selected_event()
        if event is None:
            self.notify(_("Select an event first."), severity="warning")
            return
        self.app.push_screen(RegisterDialog(self.club, event), self._registered)

    def _registered(self, reg: ev.Registration | None) -> None:
        if reg is None:
            return
        if reg.status == "registered":
            self.notify(_("{name} is registered.").format(name=reg.full_name))
        else:
            self.notify(
                _("Full: {name} is on the waiting list.").format(name=reg.full_name),
                severity="warning",
            )
        self.changed()

    def action_cancel_registration(self) -> None:
        event = self.selected_event()
        regs_table = self.query_one("#regs", DataTable)
        if event is None or regs_table.row_count == 0:
            self.notify(_("No registration to cancel here."), severity="warning")
            return
        row_key = regs_table.coordinate_to_cell_key(regs_table.cursor_coordinate).row_key
        member_id = int(row_key.value or 0)
        reg = ev.get_registration(self.club.db, event.id, member_id)
        if reg is None:
            return

        async def done(confirmed: bool | None) -> None:
            if not confirmed:
                return
            now = self.club.now()
            try:  # in a thread, on its own connection: the write may wait for another process
                promoted = await asyncio.to_thread(
                    self.club.in_worker,
                    lambda db: ev.cancel_registration(db, event.id, member_id, now=now),
                )
            except OmtuiError as exc:
                self.notify(str(exc), severity="error")
                return
            message = _("Cancelled {name}.").format(name=reg.full_name)
            if promoted:
                message += " " + _("{name} moved up from the waiting list.").format(
                    name=promoted.full_name
                )
            self.notify(message)
            self.changed()

        self.app.push_screen(
            ConfirmDialog(
                _("Cancel {name}'s registration for {title}?").format(
                    name=reg.full_name, title=event.title
                ),
                yes=_("Cancel registration"),
                no=_("Keep"),
            ),
            done,
        )

    def action_cancel_event(self) -> None:
        event = self.selected_event()
        if event is None:
            self.notify(_("Select an event first."), severity="warning")
            return
        from omtui.tui.panes import events_cancel  # the reminders' queue: loaded when used

        events_cancel.ask_and_cancel(self, event)

    def action_check_in(self) -> None:
        event = self.selected_event()
        if event is None:
            self.notify(_("Select an event first."), severity="warning")
            return
        self.app.push_screen(CheckInScreen(self.club, event))

    def action_link_partner(self) -> None:
        event = self.selected_event()
        if event is None:
            self.notify(_("Select an event first."), severity="warning")
            return

        def done(change: PartnerChange | None) -> None:
            if change is None:
                return
            for company in change.unlinked:
                self.notify(_("{company} unlinked.").format(company=company), markup=False)
            if change.linked is not None:
                self.notify(
                    _("{company} linked.").format(company=change.linked.company), markup=False
                )
            self.changed()

        self.app.push_screen(PartnerDialog(self.club, event), done)

    def action_reminders(self) -> None:
        from omtui.tui.screens.reminders import RemindersScreen

        self.app.push_screen(RemindersScreen(self.club))

    def palette_commands(self) -> Iterable[SystemCommand]:
        yield SystemCommand(
            _("Events: add an event"), _("Open the event form"), self.action_add_event
        )
        yield SystemCommand(
            _("Events: edit the selected event"), _("Open the event form"), self.action_edit_event
        )
        yield SystemCommand(
            _("Events: register a member"),
            _("Type part of a name or email, pick a match"),
            self.action_register,
        )
        yield SystemCommand(
            _("Events: check-in at the door"),
            _("Type a few letters, Enter marks attended"),
            self.action_check_in,
        )
        yield SystemCommand(
            _("Events: cancel the highlighted registration"),
            _("The first on the waiting list moves up"),
            self.action_cancel_registration,
        )
        yield SystemCommand(
            _("Events: cancel the selected event"),
            _("Its registrations too; its members are told by email"),
            self.action_cancel_event,
        )
        yield SystemCommand(
            _("Events: link or unlink a partner of the selected event"),
            _("Exhibitor or sponsor; a new partner can be added here"),
            self.action_link_partner,
        )
        yield SystemCommand(
            _("Events: reminders sent and due"),
            _("What omtui remind sent lately and what is due next"),
            self.action_reminders,
        )
        yield SystemCommand(
            _("Events: show past or upcoming events"),
            _("Toggle past events"),
            self.action_toggle_past,
        )
