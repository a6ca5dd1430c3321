"""Reads shared by the "needs you" lines and the club's figures."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from omtui.core.dates import to_iso
from omtui.core.db import Database


def event_counts(db: Database, event_ids: list[int]) -> dict[int, dict[str, int]]:
    """Registrations of each event by status ("registered", "waiting"), cancelled left out."""
    if not event_ids:
        return {}
    rows = db.query(
        "SELECT event_id, status, count(*) AS n FROM registrations"
        f" WHERE event_id IN ({','.join('?' * len(event_ids))}) AND status != 'cancelled'"
        " GROUP BY event_id, status",
        tuple(event_ids),
    )
    out: dict[int, dict[str, int]] = {i: {} for i in event_ids}
    for row in rows:
        out[row["event_id"]][row["status"]] = row["n"]
    return out


def upcoming_events(db: Database, now: datetime, days: int) -> list[dict]:
    """The events (not cancelled) starting in the next `days` days, soonest first."""
    return db.query(
        "SELECT * FROM events WHERE starts_at > ? AND starts_at < ? AND status != 'cancelled'"
        " ORDER BY starts_at, id",
        (to_iso(now), to_iso(now + timedelta(days=days))),
    )


def outbox_count(db: Database, newsletter_id: int, state: str) -> int:
    """A newsletter's recipients in one outbox state ("sent", "failed", "queued"...)."""
    return db.scalar(
        "SELECT count(*) AS n FROM outbox WHERE newsletter_id = ? AND state = ?",
        (newsletter_id, state),
    )


def month_start(now: datetime, tz: ZoneInfo, back: int = 0) -> datetime:
    """Midnight on the first of the club's month `back` months before `now`'s."""
    day = now.astimezone(tz).date()
    year, month = day.year, day.month - back
    while month < 1:
        month += 12
        year -= 1
    return datetime(year, month, 1, tzinfo=tz)
