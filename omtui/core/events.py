"""Events, registrations, the waiting list, promotion, check-in and attendance.

Times are aware datetimes, stored as UTC ISO 8601 (omtui.core.dates) and shown in the
club's timezone by the faces. Every write that reads a count before writing (the last
seat, a promotion) runs in one `db.transaction()` (BEGIN IMMEDIATE), so two processes
taking the last seat at the same moment cannot both get it.

The rota (core/rota.py) reads events through `get_event` and `list_events`.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from omtui.core import audit, dateparse, members
from omtui.core.dates import from_iso, to_iso
from omtui.core.db import Database
from omtui.core.text import clean_text, fold
from omtui.errors import NotFound, OmtuiError, ValidationError
from omtui.i18n import _, ngettext

KINDS = ("meetup", "webinar", "lunch", "summit")
STATUSES = ("planned", "confirmed", "cancelled")
EVENT_FIELDS = (
    "kind",
    "title",
    "starts_at",
    "ends_at",
    "city",
    "host_member_id",
    "host_company",
    "address",
    "online_url",
    "capacity",
    "room_capacity",
    "access_notes",
    "arrive_before",
    "description",
    "status",
)
_INT_FIELDS = ("host_member_id", "capacity", "room_capacity", "arrive_before")
ARRIVE_BEFORE_MAX = 12 * 60
"""Volunteers arrive at most this many minutes before their shift."""
_TIME_FIELDS = ("starts_at", "ends_at")


class AlreadyRegistered(OmtuiError):
    """The member already holds a seat or a place on the waiting list."""


@dataclass(frozen=True)
class Event:
    id: int
    kind: str
    title: str
    starts_at: datetime
    ends_at: datetime
    uid: str
    status: str = "planned"
    city: str = ""
    host_member_id: int | None = None
    host_company: str = ""
    address: str = ""
    online_url: str = ""
    capacity: int | None = None
    room_capacity: int | None = None
    access_notes: str = ""
    arrive_before: int | None = None
    """Minutes before their shift the event's volunteers arrive; None: at its start."""
    description: str = ""
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Event:
        values = {k: row[k] for k in EVENT_FIELDS if k not in _TIME_FIELDS}
        return cls(
            id=row["id"],
            uid=row["uid"],
            starts_at=from_iso(row["starts_at"]),
            ends_at=from_iso(row["ends_at"]),
            created_at=from_iso(row["created_at"]) if row.get("created_at") else None,
            updated_at=from_iso(row["updated_at"]) if row.get("updated_at") else None,
            **values,
        )

    @property
    def cancelled(self) -> bool:
        return self.status == "cancelled"

    def is_past(self, now: datetime) -> bool:
        """Over once it has ended."""
        return self.ends_at <= now

    def arrive_by(self, shift_start: datetime) -> datetime:
        """When a volunteer of a shift starting at `shift_start` should be there."""
        return shift_start - timedelta(minutes=self.arrive_before or 0)

    def arrival_rule(self) -> str:
        """The event's rule for its volunteers, as a sentence ("" when none is set)."""
        if not self.arrive_before:
            return ""
        return ngettext(
            "Volunteers arrive {n} minute before their shift.",
            "Volunteers arrive {n} minutes before their shift.",
            self.arrive_before,
        ).format(n=self.arrive_before)

    @property
    def location(self) -> str:
        """One line saying where: company, address, city, or the online link."""
        if self.kind == "webinar" and self.online_url:
            return self.online_url
        parts = [p for p in (self.host_company, self.address) if p]
        if self.city and fold(self.city) not in fold(self.address):
            parts.append(self.city)
        return ", ".join(parts)

    def as_dict(self) -> dict[str, Any]:
        """Every field, JSON-ready (times ISO 8601 UTC)."""
        out: dict[str, Any] = {"id": self.id, "uid": self.uid}
        for name in EVENT_FIELDS:
            value = getattr(self, name)
            out[name] = to_iso(value) if isinstance(value, datetime) else value
        return out


@dataclass(frozen=True)
class Registration:
    id: int
    event_id: int
    member_id: int
    status: str
    registered_at: datetime
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    promoted_at: datetime | None = None
    cancelled_at: datetime | None = None
    attended_at: datetime | None = None
    source: str = ""

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Registration:
        def when(name: str) -> datetime | None:
            return from_iso(row[name]) if row.get(name) else None

        return cls(
            id=row["id"],
            event_id=row["event_id"],
            member_id=row["member_id"],
            status=row["status"],
            registered_at=from_iso(row["registered_at"]),
            first_name=row.get("first_name") or "",
            last_name=row.get("last_name") or "",
            email=row.get("email") or "",
            promoted_at=when("promoted_at"),
            cancelled_at=when("cancelled_at"),
            attended_at=when("attended_at"),
            source=row.get("source") or "",
        )

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


@dataclass(frozen=True)
class EventStats:
    capacity: int | None
    registered: int
    waiting: int
    cancelled: int
    attended: int

    @property
    def seats_left(self) -> int | None:
        """None when the event has no capacity limit."""
        if self.capacity is None:
            return None
        return max(self.capacity - self.registered, 0)

    @property
    def attendance_rate(self) -> float | None:
        """Attended / registered, or None before anyone registered."""
        return self.attended / self.registered if self.registered else None


# -- validation ----------------------------------------------------------------------------
def parse_when(
    text: str, tz: ZoneInfo, field: str, *, now: datetime, start: datetime | None = None
) -> datetime:
    """A time typed in the club's timezone -> aware UTC datetime (see core.dateparse).

    With `start` (for an end), a time alone ("14:00", "14h") is on the start's day.
    """
    try:
        if start is not None:
            return dateparse.parse_end(text, start=start, tz=tz, now=now)
        return dateparse.parse_datetime(text, tz=tz, now=now)
    except dateparse.UnreadableDate as exc:
        raise ValidationError(
            _("{field}: {text!r} is not a date and time; type it like 2026-12-03 12:30").format(
                field=field.replace("_", " "), text=text
            ),
            field=field,
        ) from exc
    except dateparse.DateParseError as exc:
        exc.field = field
        raise


def _int_or_none(name: str, value: Any) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise ValidationError(
            _("{field}: {value!r} is not a whole number").format(
                field=name.replace("_", " "), value=value
            ),
            field=name,
        ) from exc


def clean_event(db: Database, fields: Mapping[str, Any]) -> dict[str, Any]:
    """Validate a complete set of event fields; raise the first ValidationError (naming
    its field) when anything is wrong."""
    out, problems = check_event(db, fields)
    if problems:
        raise problems[0]
    return out


def check_event(
    db: Database, fields: Mapping[str, Any]
) -> tuple[dict[str, Any], list[ValidationError]]:
    """The cleaned fields and EVERY problem found, each naming its field, so that a form
    shows them all at once instead of one per attempt. Valid when the list is empty."""
    unknown = set(fields) - set(EVENT_FIELDS)
    if unknown:
        error = ValidationError(_("unknown event fields: {names}").format(names=sorted(unknown)))
        return {}, [error]
    problems: list[ValidationError] = []
    out: dict[str, Any] = {}
    for name in EVENT_FIELDS:
        value = fields.get(name)
        if name in _INT_FIELDS:
            try:
                out[name] = _int_or_none(name, value)
            except ValidationError as exc:
                problems.append(exc)
                out[name] = None
        elif name in _TIME_FIELDS:
            out[name] = value
        elif name in ("description", "access_notes"):
            out[name] = clean_text(value, multiline=True).strip()  # no control characters
        else:
            out[name] = " ".join(clean_text(value).split())
    out["kind"] = out["kind"].lower() or "meetup"
    out["status"] = out["status"].lower() or "planned"

    def problem(message: str, field: str) -> None:
        problems.append(ValidationError(message, field=field))

    if out["kind"] not in KINDS:
        problem(
            _("kind must be one of {kinds}, not {kind!r}").format(
                kinds=", ".join(KINDS), kind=out["kind"]
            ),
            "kind",
        )
    if out["status"] not in STATUSES:
        problem(
            _("status must be one of {names}, not {status!r}").format(
                names=", ".join(STATUSES), status=out["status"]
            ),
            "status",
        )
    if not out["title"]:
        problem(_("an event needs a title"), "title")
    times_known = True
    for name in _TIME_FIELDS:
        value = out[name]
        if not isinstance(value, datetime) or value.tzinfo is None:
            times_known = False
            problem(
                _("{field} is required (a date and time)").format(field=name.replace("_", " ")),
                name,
            )
    if times_known and out["ends_at"] <= out["starts_at"]:
        problem(_("the event must end after it starts"), "ends_at")
    for name in ("capacity", "room_capacity"):
        if out[name] is not None and out[name] < 1:
            problem(
                _("{field} must be at least 1 (leave it empty for no limit)").format(
                    field=name.replace("_", " ")
                ),
                name,
            )
    if (
        out["capacity"] is not None
        and out["room_capacity"] is not None
        and out["capacity"] > out["room_capacity"]
        and out["room_capacity"] >= 1
    ):
        problem(
            _("capacity {cap} is more than the host's room holds ({room})").format(
                cap=out["capacity"], room=out["room_capacity"]
            ),
            "capacity",
        )
    early = out["arrive_before"]
    if early is not None and not 0 <= early <= ARRIVE_BEFORE_MAX:
        problem(
            _(
                "arrive before: {n} is not a number of minutes from 0 to {max} "
                "(leave it empty to arrive at the shift's start)"
            ).format(n=early, max=ARRIVE_BEFORE_MAX),
            "arrive_before",
        )
    url = out["online_url"]
    if url and not url.lower().startswith(("https://", "http://")):
        problem(
            _("the online link must start with https:// (got {url!r})").format(url=url),
            "online_url",
        )
    if out["kind"] == "webinar" and not url:
        problem(_("a webinar needs an online link"), "online_url")
    if out["kind"] != "webinar" and not out["city"]:
        problem(_("a {kind} needs a city").format(kind=out["kind"]), "city")
    if out["host_member_id"] is not None:
        host = db.query_one("SELECT company FROM members WHERE id = ?", (out["host_member_id"],))
        if host is None:
            problem(
                _("no member with id {id} to host the event").format(id=out["host_member_id"]),
                "host_member_id",
            )
        else:
            out["host_company"] = out["host_company"] or host["company"]
    if out["kind"] == "meetup" and not out["host_company"]:
        problem(_("a meetup needs a host (a member or at least the host company)"), "host_company")
    return out, problems


# -- events --------------------------------------------------------------------------------
def get_event(db: Database, event_id: int) -> Event:
    """The event with this id, or NotFound."""
    row = db.query_one("SELECT * FROM events WHERE id = ?", (event_id,))
    if row is None:
        raise NotFound(_("no event with id {id}").format(id=event_id))
    return Event.from_row(row)


def list_events(
    db: Database, *, now: datetime, include_past: bool = False, past_only: bool = False
) -> list[Event]:
    """Upcoming (not yet ended) events, soonest first; `include_past` adds ended events
    after them, most recent first; `past_only` gives only those."""
    stamp = to_iso(now)
    upcoming = (
        []
        if past_only
        else db.query("SELECT * FROM events WHERE ends_at > ? ORDER BY starts_at, id", (stamp,))
    )
    past = (
        db.query("SELECT * FROM events WHERE ends_at <= ? ORDER BY starts_at DESC, id", (stamp,))
        if include_past or past_only
        else []
    )
    return [Event.from_row(r) for r in upcoming + past]


def _row_values(cleaned: Mapping[str, Any]) -> dict[str, Any]:
    return {k: (to_iso(v) if isinstance(v, datetime) else v) for k, v in cleaned.items()}


def create_event(
    db: Database, fields: Mapping[str, Any], *, now: datetime, uid: str | None = None
) -> Event:
    """Validate and add an event; its calendar UID is made once, here, and never changes
    (`uid` only lets the deterministic demo choose it)."""
    cleaned = clean_event(db, fields)
    values = _row_values(cleaned)
    values.update(
        uid=uid or f"{uuid.uuid4()}@omtui", created_at=to_iso(now), updated_at=to_iso(now)
    )
    names = ", ".join(values)
    marks = ", ".join(f":{k}" for k in values)
    with db.transaction() as conn:
        cursor = conn.execute(f"INSERT INTO events ({names}) VALUES ({marks})", values)
        event_id = cursor.lastrowid
        assert event_id is not None  # set by every INSERT
        audit.record(db, "event.add", "event", event_id, now=now)
    return get_event(db, event_id)


def update_event(db: Database, event_id: int, fields: Mapping[str, Any], *, now: datetime) -> Event:
    """Change some fields (validated together with the others). A larger capacity
    promotes waiting members into the new seats, in the same transaction."""
    with db.transaction():
        current = get_event(db, event_id)
        merged = {name: getattr(current, name) for name in EVENT_FIELDS}
        merged.update(fields)
        cleaned = clean_event(db, merged)
        taken = _count(db, event_id, "registered")
        if cleaned["capacity"] is not None and cleaned["capacity"] < taken:
            raise ValidationError(
                ngettext(
                    "capacity {cap} is less than the {n} member already registered; "
                    "cancel registrations first",
                    "capacity {cap} is less than the {n} members already registered; "
                    "cancel registrations first",
                    taken,
                ).format(cap=cleaned["capacity"], n=taken),
                field="capacity",
            )
        values = _row_values(cleaned)
        sets = ", ".join(f"{k} = :{k}" for k in values)
        values.update(id=event_id, updated_at=to_iso(now))
        db.execute(f"UPDATE events SET {sets}, updated_at = :updated_at WHERE id = :id", values)
        if cleaned["status"] == "cancelled" and not current.cancelled:
            # Seats and waiting places of a cancelled event are cancelled with it.
            # The status each had is kept: the cancellation notice (core/mail/
            # cancel_notice.py) goes to exactly these people.
            db.execute(
                "UPDATE registrations SET status = 'cancelled', cancelled_at = ?, "
                "cancelled_with_event = status "
                "WHERE event_id = ? AND status IN ('registered', 'waiting')",
                (to_iso(now), event_id),
            )
        audit.record(db, "event.edit", "event", event_id, detail=",".join(sorted(fields)), now=now)
        promote_waiting(db, event_id, now=now)
    return get_event(db, event_id)


def cancel_event(db: Database, event_id: int, *, now: datetime) -> Event:
    """Mark the event cancelled (kept, so calendars get STATUS:CANCELLED)."""
    return update_event(db, event_id, {"status": "cancelled"}, now=now)


def delete_event(db: Database, event_id: int) -> None:
    """Remove an event with its registrations, partner links and shifts."""
    with db.transaction():
        get_event(db, event_id)
        db.execute("DELETE FROM events WHERE id = ?", (event_id,))
        audit.record(db, "event.delete", "event", event_id)


# -- registrations -------------------------------------------------------------------------
_REG_SELECT = (
    "SELECT r.*, m.first_name, m.last_name, m.email FROM registrations r "
    "JOIN members m ON m.id = r.member_id "
)


def get_registration(db: Database, event_id: int, member_id: int) -> Registration | None:
    row = db.query_one(
        _REG_SELECT + "WHERE r.event_id = ? AND r.member_id = ?", (event_id, member_id)
    )
    return Registration.from_row(row) if row else None


def registrations(db: Database, event_id: int, *, status: str | None = None) -> list[Registration]:
    """Registrations of an event: registered by last name, then the waiting list in order,
    then cancellations; or only those with `status`."""
    where = "WHERE r.event_id = ?"
    params: list[Any] = [event_id]
    if status:
        where += " AND r.status = ?"
        params.append(status)
    order = (
        " ORDER BY CASE r.status WHEN 'registered' THEN 0 WHEN 'waiting' THEN 1 ELSE 2 END, "
        "CASE WHEN r.status = 'registered' THEN m.name_key END, r.id"
    )
    return [Registration.from_row(r) for r in db.query(_REG_SELECT + where + order, tuple(params))]


def waiting_list(db: Database, event_id: int) -> list[Registration]:
    """The waiting list, first in line first."""
    return registrations(db, event_id, status="waiting")


def _count(db: Database, event_id: int, status: str) -> int:
    return db.scalar(
        "SELECT count(*) FROM registrations WHERE event_id = ? AND status = ?", (event_id, status)
    )


def register(
    db: Database, event_id: int, member_id: int, *, now: datetime, source: str = ""
) -> Registration:
    """Give the member a seat, or a place at the end of the waiting list when full.

    The count and the insert happen under one write lock, so the last seat goes to
    exactly one of two simultaneous registrations. A member who had cancelled may
    register again (they go to the end of the line).
    """
    with db.transaction():
        event = get_event(db, event_id)
        member = members.get_member(db, member_id)
        if event.cancelled:
            raise OmtuiError(_("{title} is cancelled").format(title=event.title))
        if event.is_past(now):
            raise OmtuiError(_("{title} has already ended").format(title=event.title))
        if member.archived_at is not None:
            raise OmtuiError(_("{name} is archived").format(name=member.full_name))
        existing = get_registration(db, event_id, member_id)
        if existing and existing.status != "cancelled":
            where = _("registered") if existing.status == "registered" else _("on the waiting list")
            raise AlreadyRegistered(
                _("{name} is already {where} for {title}").format(
                    name=member.full_name, where=where, title=event.title
                )
            )
        if existing:  # cancelled before: a fresh row puts them at the end of the line
            db.execute("DELETE FROM registrations WHERE id = ?", (existing.id,))
        full = event.capacity is not None and _count(db, event_id, "registered") >= event.capacity
        # Someone already waiting keeps their turn even if a seat is free for a moment.
        status = "waiting" if full or _count(db, event_id, "waiting") else "registered"
        db.execute(
            "INSERT INTO registrations (event_id, member_id, status, registered_at, source) "
            "VALUES (?, ?, ?, ?, ?)",
            (event_id, member_id, status, to_iso(now), source),
        )
        audit.record(
            db,
            "registration.add",
            "member",
            member_id,
            detail=f"event #{event_id} {status}",
            now=now,
        )
        if status == "waiting":
            promote_waiting(db, event_id, now=now)
        registration = get_registration(db, event_id, member_id)
    assert registration is not None
    return registration


def promote_waiting(db: Database, event_id: int, *, now: datetime) -> list[Registration]:
    """Move waiting members, first in line first, into free seats; record promoted_at."""
    promoted: list[Registration] = []
    with db.transaction():
        event = get_event(db, event_id)
        if event.cancelled:
            return promoted
        while True:
            free = (
                1 if event.capacity is None else event.capacity - _count(db, event_id, "registered")
            )
            if free <= 0:
                break
            first = db.query_one(
                "SELECT id, member_id FROM registrations WHERE event_id = ? AND status = 'waiting' "
                "ORDER BY id LIMIT 1",
                (event_id,),
            )
            if first is None:
                break
            db.execute(
                "UPDATE registrations SET status = 'registered', promoted_at = ? WHERE id = ?",
                (to_iso(now), first["id"]),
            )
            detail = f"event #{event_id}"
            audit.record(
                db, "registration.promote", "member", first["member_id"], detail=detail, now=now
            )
            reg = get_registration(db, event_id, first["member_id"])
            assert reg is not None
            promoted.append(reg)
    return promoted


def cancel_registration(
    db: Database, event_id: int, member_id: int, *, now: datetime
) -> Registration | None:
    """Cancel a seat or a waiting place; return the waiting member promoted into the
    freed seat, if any."""
    with db.transaction():
        reg = get_registration(db, event_id, member_id)
        if reg is None or reg.status == "cancelled":
            member = members.get_member(db, member_id)
            raise NotFound(
                _("{name} is not registered for event {id}").format(
                    name=member.full_name, id=event_id
                )
            )
        db.execute(
            "UPDATE registrations SET status = 'cancelled', cancelled_at = ? WHERE id = ?",
            (to_iso(now), reg.id),
        )
        audit.record(
            db, "registration.cancel", "member", member_id, detail=f"event #{event_id}", now=now
        )
        promoted = promote_waiting(db, event_id, now=now) if reg.status == "registered" else []
    return promoted[0] if promoted else None


CHECKIN_OPENS = timedelta(hours=2)
"""Check-in opens this long before the start (people arrive early; not days before)."""


class NeedsSeat(OmtuiError):
    """Checking this person in needs a seat the event does not have: ask, then overbook."""


class CheckInNotOpen(OmtuiError):
    """Too early: check-in opens CHECKIN_OPENS before the start (`opens_at`, UTC)."""

    def __init__(self, message: str, opens_at: datetime) -> None:
        super().__init__(message)
        self.opens_at = opens_at


def checkin_opens_at(event: Event) -> datetime:
    return event.starts_at - CHECKIN_OPENS


def checkin_is_open(event: Event, now: datetime) -> bool:
    return not event.cancelled and now >= checkin_opens_at(event)


def _door_checks(event: Event, now: datetime, early: bool) -> None:
    if event.cancelled:
        raise OmtuiError(_("{title} is cancelled").format(title=event.title))
    if not early and now < checkin_opens_at(event):
        raise CheckInNotOpen(
            _("check-in for {title} opens 2 hours before the start").format(title=event.title),
            checkin_opens_at(event),
        )


def _free_seat(db: Database, event: Event) -> bool:
    return event.capacity is None or _count(db, event.id, "registered") < event.capacity


def check_in(
    db: Database,
    event_id: int,
    member_id: int,
    *,
    now: datetime,
    overbook: bool = False,
    early: bool = False,
) -> Registration:
    """Mark a registered member as attended (idempotent: the first time is kept).

    Check-in opens CHECKIN_OPENS before the start (`early` lifts that, for a correction).
    A member on the waiting list who came takes a free seat; when there is none, NeedsSeat
    is raised unless `overbook` (the organiser confirmed going over capacity).
    """
    with db.transaction():
        event = get_event(db, event_id)
        _door_checks(event, now, early)
        reg = get_registration(db, event_id, member_id)
        if reg is not None and reg.status == "waiting":
            if not overbook and not _free_seat(db, event):
                raise NeedsSeat(
                    _(
                        "cannot check in {name}: is on the waiting list for event {id} and "
                        "every seat is taken"
                    ).format(name=reg.full_name, id=event_id)
                )
            db.execute(
                "UPDATE registrations SET status = 'registered', promoted_at = ? WHERE id = ?",
                (to_iso(now), reg.id),
            )
            reg = get_registration(db, event_id, member_id)
        if reg is None or reg.status != "registered":
            member = members.get_member(db, member_id)
            raise OmtuiError(
                _("cannot check in {name}: {reason} for event {id}").format(
                    name=member.full_name, reason=_("is not registered"), id=event_id
                )
            )
        if reg.attended_at is None:
            db.execute(
                "UPDATE registrations SET attended_at = ? WHERE id = ?", (to_iso(now), reg.id)
            )
            audit.record(
                db,
                "registration.check-in",
                "member",
                member_id,
                detail=f"event #{event_id}",
                now=now,
            )
        reg = get_registration(db, event_id, member_id)
    assert reg is not None
    return reg


def walk_in(
    db: Database,
    event_id: int,
    member_id: int,
    *,
    now: datetime,
    overbook: bool = False,
    early: bool = False,
) -> Registration:
    """Register and check in, in one step, a member who came without registering.

    Takes a free seat; when there is none, NeedsSeat unless `overbook`. A member already
    registered or waiting is simply checked in (see check_in).
    """
    with db.transaction():
        event = get_event(db, event_id)
        _door_checks(event, now, early)
        member = members.get_member(db, member_id)
        if member.archived_at is not None:
            raise OmtuiError(_("{name} is archived").format(name=member.full_name))
        existing = get_registration(db, event_id, member_id)
        if existing is not None and existing.status != "cancelled":
            return check_in(db, event_id, member_id, now=now, overbook=overbook, early=early)
        if not overbook and not _free_seat(db, event):
            raise NeedsSeat(
                _("{title} is full: {name} did not register").format(
                    title=event.title, name=member.full_name
                )
            )
        if existing is not None:
            db.execute("DELETE FROM registrations WHERE id = ?", (existing.id,))
        db.execute(
            "INSERT INTO registrations (event_id, member_id, status, registered_at, source,"
            " attended_at) VALUES (?, ?, 'registered', ?, 'door', ?)",
            (event_id, member_id, to_iso(now), to_iso(now)),
        )
        reg = get_registration(db, event_id, member_id)
    assert reg is not None
    return reg


def add_walk_in(
    db: Database,
    event_id: int,
    fields: Mapping[str, Any],
    *,
    now: datetime,
    overbook: bool = False,
    early: bool = False,
) -> Registration:
    """A new person at the door: add them as a member (name and email; not subscribed to
    anything) then register and check them in, all or nothing."""
    with db.transaction():
        event = get_event(db, event_id)
        _door_checks(event, now, early)
        if not overbook and not _free_seat(db, event):
            raise NeedsSeat(
                _("{title} is full: {name} did not register").format(
                    title=event.title,
                    name=" ".join(
                        str(fields.get(k, "")).strip() for k in ("first_name", "last_name")
                    ).strip(),
                )
            )
        member = members.add_member(db, fields, now=now, subscribed=False, source="door")
        return walk_in(db, event_id, member.id, now=now, overbook=overbook, early=early)


@dataclass(frozen=True)
class DoorMatch:
    """One line of the door list: a registered attendee, someone on the waiting list, or
    a member who did not register (`status` "registered", "waiting" or "none")."""

    member_id: int
    first_name: str
    last_name: str
    email: str
    status: str
    attended_at: datetime | None = None
    place: int = 0  # on the waiting list, 1 = first in line

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


def door_matches(db: Database, event_id: int, text: str, *, limit: int = 50) -> list[DoorMatch]:
    """Everyone the door may meet, matching the typed words: registered attendees (not yet
    checked in first), then the waiting list, then, once something is typed, members who
    did not register (walk-ins)."""
    found = [
        DoorMatch(r.member_id, r.first_name, r.last_name, r.email, "registered", r.attended_at)
        for r in checkin_matches(db, event_id, text, limit=limit)
    ]
    words = fold(text).split()
    for place, reg in enumerate(waiting_list(db, event_id), start=1):
        haystack = fold(f"{reg.first_name} {reg.last_name} {reg.email.split('@')[0]}")
        if all(word in haystack for word in words):
            found.append(
                DoorMatch(
                    reg.member_id, reg.first_name, reg.last_name, reg.email, "waiting", place=place
                )
            )
    if words and len(found) < limit:
        taken = {m.member_id for m in found} | {
            r.member_id for r in registrations(db, event_id) if r.status != "cancelled"
        }
        for member in find_members(db, text, limit=limit):
            if member.id not in taken and member.archived_at is None:
                found.append(
                    DoorMatch(member.id, member.first_name, member.last_name, member.email, "none")
                )
    return found[:limit]


def undo_check_in(db: Database, event_id: int, member_id: int) -> None:
    """Forget a check-in made by mistake."""
    with db.transaction():
        db.execute(
            "UPDATE registrations SET attended_at = NULL WHERE event_id = ? AND member_id = ?",
            (event_id, member_id),
        )
        audit.record(
            db, "registration.undo-check-in", "member", member_id, detail=f"event #{event_id}"
        )


def event_stats(db: Database, event_id: int) -> EventStats:
    """Seats taken and left, waiting, cancelled, attended and the attendance rate."""
    event = get_event(db, event_id)
    counts = {
        r["status"]: r["n"]
        for r in db.query(
            "SELECT status, count(*) AS n FROM registrations WHERE event_id = ? GROUP BY status",
            (event_id,),
        )
    }
    attended = db.scalar(
        "SELECT count(*) FROM registrations WHERE event_id = ? AND status = 'registered' "
        "AND attended_at IS NOT NULL",
        (event_id,),
    )
    return EventStats(
        capacity=event.capacity,
        registered=counts.get("registered", 0),
        waiting=counts.get("waiting", 0),
        cancelled=counts.get("cancelled", 0),
        attended=attended,
    )


def guest_list(db: Database, event_id: int) -> list[str]:
    """Names only ("First Last"), registered members sorted by last name: for the host's
    reception desk, so no emails or phones leave the club."""
    get_event(db, event_id)
    rows = db.query(
        "SELECT m.first_name, m.last_name FROM registrations r "
        "JOIN members m ON m.id = r.member_id "
        "WHERE r.event_id = ? AND r.status = 'registered' ORDER BY m.name_key, m.id",
        (event_id,),
    )
    return [f"{r['first_name']} {r['last_name']}".strip() for r in rows]


def checkin_matches(
    db: Database, event_id: int, text: str, *, limit: int = 50
) -> list[Registration]:
    """Registered attendees whose name (or email address) contains every typed word,
    accents and case ignored; not yet checked in first, then by last name."""
    words = fold(text).split()
    found = []
    for reg in registrations(db, event_id, status="registered"):
        haystack = fold(f"{reg.first_name} {reg.last_name} {reg.email.split('@')[0]}")
        if all(word in haystack for word in words):
            found.append(reg)
    found.sort(key=lambda r: r.attended_at is not None)  # stable: keeps the name order
    return found[:limit]


def find_members(db: Database, text: str, *, limit: int = 20) -> list[members.Member]:
    """Members matching part of a name or email, for the register form."""
    if not text.strip():
        return []
    return members.query_members(db, members.MemberFilter(text=text), limit=limit)


def member_by_email(db: Database, email: str) -> members.Member:
    """The member with this email, or NotFound saying so."""
    member = members.find_by_email(db, email)
    if member is None:
        raise NotFound(_("no member with email {email}").format(email=email.strip()))
    return member
