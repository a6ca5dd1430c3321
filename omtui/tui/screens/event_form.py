"""Add or edit an event: a modal form that saves through the core and returns the Event.

Title comes first. Enter moves to the next field and saves only from the last one (ctrl+s
saves from anywhere), so a half-filled form is never sent by a stray Enter. Every wrong
value is listed at once under the form, its field's label marked, the first one focused;
nothing is written until every field is valid.
"""

from __future__ import annotations

import asyncio
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select

from omtui.context import ClubContext
from omtui.core import events as ev
from omtui.core import labels, members
from omtui.core.dates import format_local
from omtui.core.text import clean_text
from omtui.errors import OmtuiError, ValidationError
from omtui.i18n import _, ngettext
from omtui.tui.text import plain

WHEN = "%Y-%m-%d %H:%M"
TEXT_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("title", _("Title"), ""),
    ("starts_at", _("Starts"), _("03/12/2026 12:30, 3 Dec 12h30")),
    ("ends_at", _("Ends"), _("14:00 (the same day) or 03/12/2026 14:00")),
    ("city", _("City"), ""),
    ("host", _("Host (email)"), _("member hosting a meetup")),
    ("host_company", _("Host company"), _("or venue, restaurant")),
    ("address", _("Address"), ""),
    ("online_url", _("Online link"), "https://"),
    ("capacity", _("Capacity"), _("empty: no limit")),
    ("room_capacity", _("Room holds"), _("host's room capacity")),
    ("access_notes", _("Access notes"), _("floor, badge, door code")),
    ("arrive_before", _("Arrive early"), _("volunteers: minutes before their shift")),
    ("description", _("Description"), ""),
)
LAST_FIELD = TEXT_FIELDS[-1][0]
FORM_ORDER = ("title", "kind", "status", *(name for name, _l, _p in TEXT_FIELDS[1:]))
"""The fields top to bottom: the first wrong one gets the focus."""


class FieldSelect(Select):
    """A Select where Enter moves on, as in the form's inputs; Space or the arrows open
    its list (Enter in the open list picks a value)."""

    BINDINGS = [
        Binding("enter", "next_field", show=False),
        Binding("down,space,up", "show_overlay", show=False),
    ]

    def action_next_field(self) -> None:
        self.screen.focus_next()


class EventForm(ModalScreen[ev.Event | None]):
    """dismiss(Event) once saved, dismiss(None) on Esc."""

    DEFAULT_CSS = """
    EventForm { align: center middle; }
    EventForm > Vertical {
        width: 80; max-width: 100%; height: auto; max-height: 100%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    EventForm #fields { height: auto; }
    EventForm .row { height: 1; }
    EventForm .row Label { width: 16; }
    EventForm .row Input, EventForm .row Select { width: 1fr; }
    EventForm .row.-wrong Label { color: $error; text-style: bold; }
    EventForm #error { color: $error; width: 100%; height: auto; }
    EventForm #buttons { height: 1; align-horizontal: right; }
    EventForm #buttons Button { margin-left: 1; }
    """
    BINDINGS = [
        Binding("escape", "cancel", _("Cancel")),
        Binding("ctrl+s", "save", _("Save"), priority=True),
    ]

    def __init__(self, club: ClubContext, event: ev.Event | None = None) -> None:
        super().__init__()
        self.club = club
        self.event = event
        self._prefill: dict[str, str] = {}

    def _initial(self) -> dict[str, str]:
        event = self.event
        if event is None:
            return {}
        tz = self.club.tz
        host = ""
        if event.host_member_id:
            try:
                host = members.get_member(self.club.db, event.host_member_id).email
            except OmtuiError:
                host = ""
        return {
            "title": event.title,
            "starts_at": format_local(event.starts_at, tz, WHEN),
            "ends_at": format_local(event.ends_at, tz, WHEN),
            "city": event.city,
            "host": host,
            "host_company": event.host_company,
            "address": event.address,
            "online_url": event.online_url,
            "capacity": "" if event.capacity is None else str(event.capacity),
            "room_capacity": "" if event.room_capacity is None else str(event.room_capacity),
            "access_notes": event.access_notes,
            "arrive_before": "" if event.arrive_before is None else str(event.arrive_before),
            "description": event.description,
        }

    def compose(self) -> ComposeResult:
        # an Input shows what saving would store: no control characters
        initial = self._prefill = {
            k: clean_text(v, multiline=True) for k, v in self._initial().items()
        }
        heading = _("Edit event {id}").format(id=self.event.id) if self.event else _("New event")
        with Vertical():
            hint = _("Enter next field · ctrl+s save · Esc cancel")
            yield Label(f"[b]{heading}[/b]  [dim]{hint}[/dim]")
            with VerticalScroll(id="fields"):
                title, *rest = TEXT_FIELDS
                yield self._text_row(title, initial)
                with Horizontal(classes="row", id="row-kind"):
                    yield Label(_("Kind"))
                    yield FieldSelect(
                        [(labels.event_kind(k), k) for k in ev.KINDS],
                        value=self.event.kind if self.event else "meetup",
                        allow_blank=False,
                        compact=True,
                        id="kind",
                    )
                with Horizontal(classes="row", id="row-status"):
                    yield Label(_("Status"))
                    yield FieldSelect(
                        [(labels.event_status(s), s) for s in ev.STATUSES],
                        value=self.event.status if self.event else "planned",
                        allow_blank=False,
                        compact=True,
                        id="status",
                    )
                for field in rest:
                    yield self._text_row(field, initial)
            yield Label("", id="error")
            with Horizontal(id="buttons"):
                yield Button(_("Cancel"), id="cancel", compact=True)
                yield Button(_("Save"), id="save", variant="primary", compact=True)

    @staticmethod
    def _text_row(field: tuple[str, str, str], initial: dict[str, str]) -> Horizontal:
        name, label, placeholder = field
        return Horizontal(
            Label(label),
            Input(initial.get(name, ""), placeholder=placeholder, compact=True, id=name),
            classes="row",
            id=f"row-{name}",
        )

    def on_mount(self) -> None:
        self._fit()
        self.query_one("#title", Input).focus()

    def on_resize(self) -> None:
        self.call_after_refresh(self._fit)

    def _fit(self) -> None:
        """Every row when there is room; the rows scroll to leave room for all the errors
        (border 2, heading 1, buttons 1)."""
        room = self.size.height - 4 - self.query_one("#error").outer_size.height
        self.query_one("#fields").styles.max_height = max(3, min(len(FORM_ORDER), room))

    async def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save":
            await self.action_save()
        else:
            self.action_cancel()

    async def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter goes on to the next field; only the last field's Enter saves."""
        event.stop()
        if event.input.id == LAST_FIELD:
            await self.action_save()
        else:
            self.focus_next()

    def _value(self, name: str) -> str:
        return self.query_one(f"#{name}", Input).value.strip()

    def check(self) -> tuple[dict[str, Any], list[ValidationError]]:
        """The typed values as core fields and every problem with them, in form order."""
        tz = self.club.tz
        problems: list[ValidationError] = []
        fields: dict[str, Any] = {
            "kind": self.query_one("#kind", Select).value,
            "status": self.query_one("#status", Select).value,
        }
        for name, _label, _placeholder in TEXT_FIELDS:
            if name not in ("starts_at", "ends_at", "host"):
                fields[name] = self._value(name)
        now = self.club.now()
        fields["starts_at"] = fields["ends_at"] = None
        start_text = self._value("starts_at")
        # A time left as shown keeps its stored moment: 02:30 on the night the clocks go
        # back reads two ways, and saving another field must not ask which.
        try:
            if not start_text:
                raise ValidationError(_("type when the event starts"), field="starts_at")
            if self.event is not None and start_text == self._prefill.get("starts_at"):
                fields["starts_at"] = self.event.starts_at
            else:
                fields["starts_at"] = ev.parse_when(start_text, tz, "starts_at", now=now)
        except ValidationError as exc:
            problems.append(exc)
        end_text = self._value("ends_at")
        try:
            if not end_text:
                raise ValidationError(_("type when the event ends"), field="ends_at")
            if self.event is not None and end_text == self._prefill.get("ends_at"):
                fields["ends_at"] = self.event.ends_at
            elif fields["starts_at"] is not None:  # "14:00" is on the start's day
                fields["ends_at"] = ev.parse_when(
                    end_text, tz, "ends_at", now=now, start=fields["starts_at"]
                )
        except ValidationError as exc:
            problems.append(exc)
        host = self._value("host")
        fields["host_member_id"] = None
        if host:
            member = members.find_by_email(self.club.db, host)
            if member is None:
                problems.append(
                    ValidationError(
                        _("no member with email {email}").format(email=host), field="host"
                    )
                )
            else:
                fields["host_member_id"] = member.id
        seen = {_form_field(p.field) for p in problems}
        if fields["starts_at"] is None:
            seen.add("ends_at")  # an end is read against its start: judged once that reads
        _cleaned, found = ev.check_event(self.club.db, fields)
        # a time that could not be read is reported once, not again as "required"
        problems += [p for p in found if _form_field(p.field) not in seen]
        problems.sort(key=lambda p: _position(_form_field(p.field)))
        return fields, problems

    def show_problems(self, problems: list[ValidationError]) -> None:
        """List every problem under the form, mark each field's label, focus the first."""
        for row in self.query(".row"):
            row.remove_class("-wrong")
        labels_by_name = {name: label for name, label, _p in TEXT_FIELDS}
        labels_by_name.update(kind=_("Kind"), status=_("Status"))
        lines = []
        for problem in problems:
            field = _form_field(problem.field)
            if field in labels_by_name:
                self.query_one(f"#row-{field}").add_class("-wrong")
                lines.append(
                    _("{field}: {problem}").format(field=labels_by_name[field], problem=problem)
                )
            else:
                lines.append(str(problem))
        if len(problems) > 1:
            lines.insert(
                0,
                ngettext("{n} field to fix:", "{n} fields to fix:", len(problems)).format(
                    n=len(problems)
                ),
            )
        self.query_one("#error", Label).update(plain("\n".join(lines)))
        self.call_after_refresh(self._fit)
        first = _form_field(problems[0].field) if problems else None
        if first and self.query(f"#{first}"):
            self.query_one(f"#{first}").focus()

    async def action_save(self) -> None:
        fields, problems = self.check()
        if problems:
            self.show_problems(problems)
            return
        try:
            now, event = self.club.now(), self.event
            # In a thread, on its own connection: the write may wait for another process.
            saved = await asyncio.to_thread(
                self.club.in_worker,
                lambda db: (
                    ev.create_event(db, fields, now=now)
                    if event is None
                    else ev.update_event(db, event.id, fields, now=now)
                ),
            )
        except ValidationError as exc:  # found only when writing (capacity under the seats taken)
            self.show_problems([exc])
            return
        except OmtuiError as exc:
            self.show_problems([])
            self.query_one("#error", Label).update(plain(str(exc)))
            return
        self.dismiss(saved)

    def action_cancel(self) -> None:
        self.dismiss(None)


def _form_field(field: str | None) -> str | None:
    """The form's field for a core field name (the host is typed as an email)."""
    return "host" if field == "host_member_id" else field


def _position(field: str | None) -> int:
    return FORM_ORDER.index(field) if field in FORM_ORDER else len(FORM_ORDER)
