"""A small rota for the Rota tab and volunteer app tests (plain SQL events, real core)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from omtui.context import ClubContext
from omtui.core import members, rota
from omtui.core.dates import to_iso

H = timedelta(hours=1)


@dataclass
class SmallRota:
    event_id: int
    late_event_id: int
    desk: int  # in 5 days, 2 places, Alice on it
    setup: int  # overlaps desk, 1 place, empty
    teardown: int  # after desk, 1 place, Chloé on it
    cloakroom: int  # right after desk (back-to-back), 1 place, empty
    soon: int  # in 30 hours, Alice on it (dropping needs a reason)
    alice: int
    chloe: int
    bob: int  # not a volunteer
    start: datetime


def add_event(club: ClubContext, title: str, starts: datetime, hours: float = 4) -> int:
    with club.db.transaction() as conn:
        return conn.execute(
            "INSERT INTO events (kind, title, starts_at, ends_at, uid, created_at, updated_at)"
            " VALUES ('summit', ?, ?, ?, ?, ?, ?)",
            (
                title,
                to_iso(starts),
                to_iso(starts + timedelta(hours=hours)),
                f"{title}@test",
                to_iso(starts),
                to_iso(starts),
            ),
        ).lastrowid


def small_rota(club: ClubContext) -> SmallRota:
    db, now, tz = club.db, club.now(), club.tz
    start = now + timedelta(days=5)
    event_id = add_event(club, "Sommet de Lyon", start)
    late = add_event(club, "Afterwork Nantes", now + 30 * H, hours=3)
    people = {}
    for first, last, tags, phone in (
        ("Alice", "Zebulon", "volunteer", "+33 6 10 10 10 10"),
        ("Chloé", "Yquem", "volunteer", "+33 6 20 20 20 20"),
        ("Bob", "Xavier", "speaker", "+33 6 30 30 30 30"),
    ):
        people[first] = members.add_member(
            db,
            {
                "first_name": first,
                "last_name": last,
                "email": f"{first.lower()}.{last.lower()}@example.org",
                "phone": phone,
                "tags": tags,
            },
            now=now,
        ).id

    def shift(event, role, begins, hours, needed):
        return rota.create_shift(
            db, event, role=role, starts_at=begins, ends_at=begins + hours * H, needed=needed
        ).id

    desk = shift(event_id, "welcome desk", start, 2, 2)
    setup = shift(event_id, "set-up", start - H, 2, 1)
    teardown = shift(event_id, "tear-down", start + 4 * H, 1, 1)
    cloakroom = shift(event_id, "cloakroom", start + 2 * H, 1, 1)
    soon = shift(late, "host", now + 30 * H, 2, 1)
    for shift_id, who in ((desk, "Alice"), (teardown, "Chloé"), (soon, "Alice")):
        assert rota.take_shift(db, shift_id, people[who], now=now, tz=tz).ok
    return SmallRota(
        event_id,
        late,
        desk,
        setup,
        teardown,
        cloakroom,
        soon,
        people["Alice"],
        people["Chloé"],
        people["Bob"],
        start,
    )
