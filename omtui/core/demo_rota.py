"""Demo data for the rota area (part of the deterministic demo club, in French like it).

Works on whatever events exist: shifts by event kind, some held by demo volunteers,
some left open (the gaps the Rota tab highlights), and a couple of dropped places.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from omtui.core import rota
from omtui.core.dates import from_iso, to_iso
from omtui.core.db import Database

H = timedelta(hours=1)
M = timedelta(minutes=1)
# kind -> (role, start offset from event start or None = from event end, length, needed)
PLANS: dict[str, tuple[tuple[str, timedelta | None, timedelta, int], ...]] = {
    "summit": (
        ("installation", -2 * H, 2 * H, 3),
        ("accueil", -30 * M, 2 * H, 2),
        ("relations intervenants", 0 * H, 3 * H, 1),
        ("vestiaire", -30 * M, 3 * H, 1),
        ("rangement", None, 90 * M, 2),
    ),
    "meetup": (
        ("accueil", -30 * M, 90 * M, 1),
        ("animation", 0 * H, 2 * H, 1),
    ),
    "lunch": (("accueil", -15 * M, 75 * M, 1),),
    "webinar": (("animation", -15 * M, 90 * M, 1),),
}
REASONS = (
    "Ma fille est malade, je dois rester à la maison, désolée !",
    "Train annulé, je ne pourrai pas venir sur place.",
)


def seed(db: Database, *, now: datetime) -> int:
    """Create the demo rota records; return how many shifts were made."""
    rng = random.Random(11)
    tz = ZoneInfo("Europe/Paris")
    events = db.query("SELECT id, kind, starts_at, ends_at FROM events ORDER BY starts_at, id")
    people = rota.volunteers(db)
    created: list[rota.Shift] = []
    for event in events:
        start, end = from_iso(event["starts_at"]), from_iso(event["ends_at"])
        for role, offset, length, needed in PLANS.get(event["kind"], PLANS["meetup"]):
            begins = end if offset is None else start + offset
            created.append(
                rota.create_shift(
                    db,
                    event["id"],
                    role=role,
                    starts_at=begins,
                    ends_at=begins + length,
                    needed=needed,
                    notes=_note(role),
                )
            )
    if not people:
        return len(created)
    for shift in created:
        # About three places in four are filled; the rest are the gaps to staff.
        for _place in range(shift.needed):
            if rng.random() > 0.75:
                continue
            member = rng.choice(people)
            at = min(now, shift.starts_at - timedelta(days=rng.randint(3, 20)))
            rota.take_shift(
                db, shift.id, member.id, now=at, tz=tz, by=rng.choice(("volunteer", "organiser"))
            )
    _drop_some(db, now=now, tz=tz)
    return len(created)


def _note(role: str) -> str:
    return {
        "installation": "Chaises, signalétique et kakémonos.",
        "accueil": "Badges et liste des invités ; accueillir par le prénom.",
        "rangement": "Rendre la salle comme on l’a trouvée.",
    }.get(role, "")


def _drop_some(db: Database, *, now: datetime, tz: ZoneInfo) -> None:
    """One late drop with a reason, and one early drop, so the organiser view has both."""
    sql = """SELECT a.shift_id, a.member_id FROM shift_assignments a
        JOIN shifts s ON s.id = a.shift_id
        WHERE a.dropped_at IS NULL AND s.starts_at > ? AND s.starts_at < ?
        ORDER BY s.starts_at, a.id LIMIT 1"""
    late = db.query(sql, (to_iso(now), to_iso(now + timedelta(hours=47))))
    early = db.query(sql, (to_iso(now + timedelta(days=4)), to_iso(now + timedelta(days=60))))
    for row, reason in ((late, REASONS[0]), (early, "")):
        if row:
            at = now - timedelta(hours=2)
            rota.drop_shift(
                db, row[0]["shift_id"], row[0]["member_id"], now=at, tz=tz, reason=reason
            )
