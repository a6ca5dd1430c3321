"""Add or edit an event: a modal form that saves through the core and returns the Event.

Wrong values are explained under the form with the field focused; nothing is written
until every field is valid.
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
from omtui.i18n import _
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
    ("description", _("Description"), ""),
)


class EventForm(ModalScreen[ev.Event | None]):
    """dismiss(Event) once saved, dismiss(None) on Esc."""

    DEFAULT_CSS = """
    EventForm { align: center middle; }
    EventForm > Vertical {
        width: 80; max-width: 100%; height: auto; max-height: 100%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    EventForm VerticalScroll { height: auto; max-height: 16; }
    EventForm .row { height: 1; }
    EventForm .row Label { width: 14; }
    EventForm .row Input, EventForm .row Select { width: 1fr; }
    EventForm #error { color: $error; height: auto; }
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
            "description": event.description,
        }

    def compose(self) -> ComposeResult:
        # an Input shows what saving would store: no control characters
        initial = self._prefill = {
            k: clean_text(v, multiline=True) for k, v in self._initial().items()
        }
        heading = _("Edit event {id}").format(id=self.event.id) if self.event else _("New event")
        with Vertical():
            hint = _("ctrl+s save · Esc cancel")
            yield Label(f"[b]{heading}[/b]  [dim]{hint}[/dim]")
            with VerticalScroll():
                with Horizontal(classes="row"):
                    yield Label(_("Kind"))
                    yield Select(
                        [(labels.event_kind(k), k) for k in ev.KINDS],
                        value=self.event.kind if self.event else "meetup",
                        allow_blank=False,
                        compact=True,
                        id="kind",
                    )
                with Horizontal(classes="row"):
                    yield Label(_("Status"))
                    yield Select(
                        [(labels.event_status(s), s) for s in ev.STATUSES],
                        value=self.event.status if self.event else "planned",
                        allow_blank=False,
                        compact=True,
                        id="status",
                    )
                for name, label, placeholder in TEXT_FIELDS:
                    with Horizontal(classes="row"):
                        yield Label(label)
                        yield Input(
                            initial.get(name, ""),
                            placeholder=placeholder,
                            compact=True,
                            id=name,
                        )
            yield Label("", id="error")
            with Horizontal(id="buttons"):
                yield Button(_("Cancel"), id="cancel", compact=True)
                yield Button(_("Save"), id="save", variant="primary", compact=True)

    def on_mount(self) -> None:
        self.query_one("#title", Input).focus()

    async def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save":
            await self.action_save()
        else:
            self.action_cancel()

    async def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        await self.action_save()

    def _value(self, name: str) -> str:
        return self.query_one(f"#{name}", Input).value.strip()

    def collect(self) -> dict[str, Any]:
        """The typed values as core fields (times parsed in the club's timezone)."""
        tz = self.club.tz
        fields: dict[str, Any] = {
            "kind": self.query_one("#kind", Select).value,
            "status": self.query_one("#status", Select).value,
        }
        for name, _label, _placeholder in TEXT_FIELDS:
            if name not in ("starts_at", "ends_at", "host"):
                fields[name] = self._value(name)
        start_text = self._value("starts_at")
        if not start_text:
            raise ValidationError(_("type when the event starts"), field="starts_at")
        now = self.club.now()
        # A time left as shown keeps its stored moment: 02:30 on the night the clocks go
        # back reads two ways, and saving another field must not ask which.
        if self.event is not None and start_text == self._prefill.get("starts_at"):
            fields["starts_at"] = self.event.starts_at
        else:
            fields["starts_at"] = ev.parse_when(start_text, tz, "starts_at", now=now)
        end_text = self._value("ends_at")
        if not end_text:
            raise ValidationError(_("type when the event ends"), field="ends_at")
        if self.event is not None and end_text == self._prefill.get("ends_at"):
            fields["ends_at"] = self.event.ends_at
        else:
            fields["ends_at"] = ev.parse_when(
                end_text, tz, "ends_at", now=now, start=fields["starts_at"]
            )
        host = self._value("host")
        if host:
            member = members.find_by_email(self.club.db, host)
            if member is None:
                raise ValidationError(
                    _("no member with email {email}").format(email=host), field="host"
                )
            fields["host_member_id"] = member.id
        else:
            fields["host_member_id"] = None
        return fields

    async def action_save(self) -> None:
        error = self.query_one("#error", Label)
        try:
            fields = self.collect()
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
        except ValidationError as exc:
            error.update(plain(str(exc)))
            field = "host" if exc.field == "host_member_id" else exc.field
            if field:
                widgets = self.query(f"#{field}")
                if widgets:
                    widgets.first().focus()
            return
        except OmtuiError as exc:
            error.update(plain(str(exc)))
            return
        self.dismiss(saved)

    def action_cancel(self) -> None:
        self.dismiss(None)
