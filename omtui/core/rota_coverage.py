"""Rota coverage for the organiser: needed against filled per event, who is on when,
and the places volunteers dropped (with their reasons)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from omtui.core.dates import from_iso, to_iso
from omtui.core.db import Database
from omtui.core.rota import MAX_SHIFT, Assignment, Shift, assignments, list_shifts


@dataclass(frozen=True)
class EventCoverage:
    """One event's shifts, with places needed against places filled."""

    event_id: int
    title: str
    starts_at: datetime
    status: str
    shifts: tuple[Shift, ...]

    @property
    def needed(self) -> int:
        return sum(s.needed for s in self.shifts)

    @property
    def filled(self) -> int:
        return sum(min(s.filled, s.needed) for s in self.shifts)

    @property
    def missing(self) -> int:
        return sum(s.missing for s in self.shifts)


def coverage(db: Database, *, since: datetime) -> list[EventCoverage]:
    """Every event not yet ended at `since`, in start order, with its shifts."""
    events = db.query(
        "SELECT id, title, starts_at, status FROM events WHERE ends_at > ? ORDER BY starts_at, id",
        (to_iso(since),),
    )
    by_event: dict[int, list[Shift]] = {}
    if events:
        first = from_iso(events[0]["starts_at"]) - MAX_SHIFT * 7
        for shift in list_shifts(db, since=first):
            by_event.setdefault(shift.event_id, []).append(shift)
    return [
        EventCoverage(
            event_id=e["id"],
            title=e["title"],
            starts_at=from_iso(e["starts_at"]),
            status=e["status"],
            shifts=tuple(by_event.get(e["id"], ())),
        )
        for e in events
    ]


def who_is_on(
    db: Database, *, now: datetime, days: int = 30
) -> list[tuple[Shift, list[Assignment]]]:
    """Every shift not ended between now and `days` ahead, with who holds it."""
    shifts = list_shifts(db, since=now, until=now + timedelta(days=days))
    held = assignments(db, [s.id for s in shifts])
    return [(s, held.get(s.id, [])) for s in shifts]


def dropped(db: Database, *, event_id: int | None = None) -> list[tuple[Shift, Assignment]]:
    """Dropped places, newest first, with the reason given (for the organiser)."""
    shifts = {s.id: s for s in list_shifts(db, event_id=event_id)}
    out = [
        (shifts[shift_id], a)
        for shift_id, items in assignments(db, list(shifts), dropped=True).items()
        for a in items
    ]
    return sorted(out, key=lambda pair: pair[1].dropped_at or pair[1].assigned_at, reverse=True)
