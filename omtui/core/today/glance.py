"""The club at a glance: member figures, the next events, the last newsletter,
attendance, and the cities waiting for a lunch."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from omtui.core.dates import from_iso, to_iso
from omtui.core.db import Database
from omtui.core.today.model import (
    Attendance,
    CityIdea,
    LastNewsletter,
    MemberFigures,
    NextEvent,
)
from omtui.core.today.reads import event_counts, month_start, outbox_count

NEXT_EVENTS = 5
UNSUB_WINDOW = timedelta(days=7)
ATTENDANCE_MONTHS = 6
LUNCH_MONTHS = 6
LUNCH_CITIES = 5
SPARK_MONTHS = 12


def unsubscribes(db: Database, since: datetime, until: datetime) -> int:
    """Members who unsubscribed from the newsletter between `since` and `until`: a consent
    withdrawn after being given (a member imported unsubscribed did not unsubscribe;
    declining reminders is another purpose)."""
    return db.scalar(
        "SELECT count(DISTINCT c.member_id) FROM consent_events c"
        " INDEXED BY consent_events_unsubscribed"
        " WHERE c.subscribed = 0 AND c.at >= ? AND c.at < ? AND c.purpose = 'newsletter'"
        " AND EXISTS (SELECT 1 FROM consent_events p WHERE p.member_id = c.member_id"
        "   AND p.id < c.id AND p.subscribed = 1 AND p.purpose = 'newsletter')",
        (to_iso(since), to_iso(until)),
    )


def member_figures(db: Database, now: datetime, tz: ZoneInfo) -> MemberFigures:
    # count(*) of a whole table is SQLite's fast path; the archived are few (partial index)
    total = db.scalar("SELECT count(*) FROM members") - db.scalar(
        "SELECT count(*) FROM members WHERE archived_at IS NOT NULL"
    )
    starts = [month_start(now, tz, back) for back in range(SPARK_MONTHS - 1, -1, -1)]
    bounds = [to_iso(s) for s in starts] + [to_iso(now)]
    # one range count per month, on the joined_at index
    by_month = tuple(
        (
            starts[i].strftime("%Y-%m"),
            db.scalar(
                "SELECT count(*) AS n FROM members WHERE joined_at >= ? AND joined_at < ?",
                (bounds[i], bounds[i + 1]),
            ),
        )
        for i in range(SPARK_MONTHS)
    )
    unsubscribed = unsubscribes(db, starts[-1], now)
    return MemberFigures(total, by_month[-1][1], unsubscribed, by_month)


def next_events(db: Database, now: datetime) -> tuple[NextEvent, ...]:
    rows = db.query(
        "SELECT id, title, kind, city, starts_at, capacity FROM events"
        " WHERE starts_at > ? AND status != 'cancelled' ORDER BY starts_at, id LIMIT ?",
        (to_iso(now), NEXT_EVENTS),
    )
    counts = event_counts(db, [r["id"] for r in rows])
    return tuple(
        NextEvent(
            id=r["id"],
            title=r["title"],
            kind=r["kind"],
            city=r["city"],
            starts_at=from_iso(r["starts_at"]),
            registered=counts[r["id"]].get("registered", 0),
            capacity=r["capacity"],
            waiting=counts[r["id"]].get("waiting", 0),
        )
        for r in rows
    )


def last_newsletter(db: Database) -> LastNewsletter | None:
    row = db.query_one(
        "SELECT id, subject, sent_at FROM newsletters WHERE status = 'sent' AND sent_at IS NOT NULL"
        " ORDER BY sent_at DESC, id DESC LIMIT 1"
    )
    if row is None:
        return None
    sent_at = from_iso(row["sent_at"])
    sent, failed = (outbox_count(db, row["id"], state) for state in ("sent", "failed"))
    unsubscribed = unsubscribes(db, sent_at, sent_at + UNSUB_WINDOW)
    return LastNewsletter(row["id"], row["subject"], sent_at, sent, failed, unsubscribed)


def attendance(db: Database, now: datetime, tz: ZoneInfo) -> tuple[Attendance, ...]:
    rows = db.query(
        "SELECT e.kind, count(DISTINCT e.id) AS events,"
        " count(r.id) AS registered, count(r.attended_at) AS checked_in"
        " FROM events e LEFT JOIN registrations r"
        "   ON r.event_id = e.id AND r.status = 'registered'"
        " WHERE e.starts_at >= ? AND e.starts_at < ? AND e.status != 'cancelled'"
        " GROUP BY e.kind ORDER BY e.kind",
        (to_iso(month_start(now, tz, ATTENDANCE_MONTHS)), to_iso(now)),
    )
    return tuple(Attendance(r["kind"], r["events"], r["registered"], r["checked_in"]) for r in rows)


def lunch_cities(db: Database, now: datetime, tz: ZoneInfo) -> tuple[CityIdea, ...]:
    """Cities with the most members and no event in the last 6 months (nor one planned)."""
    visited = {
        r["city"].strip().casefold()
        for r in db.query(
            "SELECT DISTINCT city FROM events WHERE starts_at >= ? AND status != 'cancelled'",
            (to_iso(month_start(now, tz, LUNCH_MONTHS)),),
        )
    }
    # Counted on the covering city index (all members), less the archived (few): the
    # partial live-city index would read every row (SQLite 3.40 cannot cover with it).
    counts: dict[str, list] = {}
    for row in db.query("SELECT city, count(*) AS n FROM members GROUP BY city COLLATE NOCASE"):
        counts[row["city"].strip().casefold()] = [row["city"].strip(), row["n"]]
    for row in db.query(
        "SELECT city FROM members INDEXED BY members_archived WHERE archived_at IS NOT NULL"
    ):
        if (key := row["city"].strip().casefold()) in counts:
            counts[key][1] -= 1
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1][1], kv[0]))
    ideas = [
        CityIdea(city, n) for key, (city, n) in ranked if key and key not in visited and n > 0
    ][:LUNCH_CITIES]
    return tuple(ideas)
