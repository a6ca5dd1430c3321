"""Which reminders are due, and the `reminders` table that makes each go out once.

A reminder is identified by (kind, member, event or shift, lead): the table's unique key.
Rows are only written when a reminder is due, in the same transaction that claims them for
sending, so an event moved before its reminder went out is simply due at its new time.
States are those of the outbox (queued -> sending -> sent | failed | uncertain, with
`transmit_at` set once DATA starts), plus `skipped`: due so long ago (more than its lead
time late: the server was off) that sending it now would be wrong; it is reported instead.

Kinds:
- event: to each registered member, `event_lead_hours` before the start (club time);
- shift: to each assigned volunteer, `shift_lead_hours` before the shift;
- promotion: to a member moved from the waiting list (once);
- call_for_help: to volunteers free then, for shifts within `call_for_help_days` with open
  places (once per volunteer and shift);
- drop_notice: to `organiser_email` when a volunteer drops a shift within
  `drop_notice_hours` of its start, with the reason;
- change: to registrants and assigned volunteers when an event's time, place, link or
  access notes change (one notice for the fields changed together);
- cancellation: to each member registered or waiting when an event is cancelled (once,
  queued at once by core/mail/cancel_notice.py; found here too when the event was cancelled
  another way). It is news about what they signed up for, so it goes even to members who
  declined reminders; never after the event's start.

Lead times count in the club's wall-clock time: 24 hours before 10:00 on the Sunday the
clocks change is 10:00 on Saturday, 23 or 25 real hours earlier.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from omtui.config import RemindersConfig
from omtui.core.consent import REMINDERS_ALLOWED_SQL
from omtui.core.dates import from_iso, to_iso
from omtui.core.db import Database

KINDS = ("event", "shift", "promotion", "call_for_help", "drop_notice", "change", "cancellation")
STATES = ("queued", "sending", "sent", "failed", "uncertain", "skipped")
WATCHED = ("starts_at", "ends_at", "host_company", "address", "city", "online_url", "access_notes")
"""The event fields whose change members are told about."""
RECENT = timedelta(days=7)
"""Promotions and drops older than this when first seen are history, not news."""

_ALLOWED = REMINDERS_ALLOWED_SQL.format(member="m.id")
_LIVE_MEMBER = f"m.archived_at IS NULL AND {_ALLOWED}"


@dataclass(frozen=True)
class Due:
    """A reminder due now (or found late): what `enqueue` writes as a row."""

    kind: str
    member_id: int
    email: str
    event_id: int | None
    shift_id: int | None
    lead: str
    due_at: datetime
    detail: str = ""
    late: bool = False
    name: str = ""

    @property
    def key(self) -> tuple:
        return (self.kind, self.member_id, self.shift_id or 0, self.event_id or 0, self.lead)


@dataclass(frozen=True)
class ReminderRow:
    id: int
    kind: str
    member_id: int
    event_id: int | None
    shift_id: int | None
    lead: str
    email: str
    due_at: datetime
    detail: str
    state: str
    reply: str = ""
    sent_at: datetime | None = None

    @classmethod
    def from_row(cls, row: dict) -> ReminderRow:
        return cls(
            id=row["id"],
            kind=row["kind"],
            member_id=row["member_id"],
            event_id=row["event_id"],
            shift_id=row["shift_id"],
            lead=row["lead"],
            email=row["email"],
            due_at=from_iso(row["due_at"]),
            detail=row["detail"],
            state=row["state"],
            reply=row["reply"],
            sent_at=from_iso(row["sent_at"]) if row["sent_at"] else None,
        )

    def as_dict(self) -> dict:
        return {
            "id": self.id,
            "kind": self.kind,
            "email": self.email,
            "event_id": self.event_id,
            "shift_id": self.shift_id,
            "due_at": to_iso(self.due_at),
            "state": self.state,
            "reply": self.reply,
        }


def due_time(start: datetime, hours: float, tz: ZoneInfo) -> datetime:
    """`hours` before `start` on the club's clocks (wall time), as an aware UTC time."""
    wall = start.astimezone(tz).replace(tzinfo=None) - timedelta(hours=hours)
    return wall.replace(tzinfo=tz).astimezone(start.tzinfo or tz)


def lead_key(hours: float) -> str:
    return f"{hours:g}h"


# -- what is due -------------------------------------------------------------------------
def due_now(
    db: Database, settings: RemindersConfig, *, organiser: str, now: datetime, tz: ZoneInfo
) -> list[Due]:
    """Every reminder due at `now` that has no row yet (late ones marked `late`)."""
    found: list[Due] = []
    if settings.event:
        found += _event_reminders(db, settings.event_lead_hours, now, tz)
    if settings.shift:
        found += _shift_reminders(db, settings.shift_lead_hours, now, tz)
    if settings.promotion:
        found += _promotions(db, now)
    if settings.call_for_help:
        found += _calls_for_help(db, settings.call_for_help_days, now, tz)
    if settings.drop_notice and organiser.strip():
        found += _drop_notices(db, settings.drop_notice_hours, organiser.strip(), now)
    if settings.change:
        found += _changes(db, now, write=False)
    found += cancellations(db, now)
    known = _existing_keys(db, {d.key for d in found})
    seen: set[tuple] = set()
    out = []
    for d in found:
        if d.key not in known and d.key not in seen:
            seen.add(d.key)
            out.append(d)
    return out


def _existing_keys(db: Database, keys: set[tuple]) -> set[tuple]:
    if not keys:
        return set()
    rows = db.query(
        "SELECT kind, member_id, COALESCE(shift_id, 0) AS s, COALESCE(event_id, 0) AS e, lead"
        f" FROM reminders WHERE kind IN ({','.join('?' * len(KINDS))})",
        KINDS,
    )
    return {(r["kind"], r["member_id"], r["s"], r["e"], r["lead"]) for r in rows} & keys


def _dues(kind: str, rows: list[dict], hours: float, now: datetime, tz: ZoneInfo) -> list[Due]:
    """The rows (an event's or a shift's start, and a member) whose reminder is due now."""
    out = []
    for r in rows:
        start = from_iso(r["starts_at"])
        due = due_time(start, hours, tz)
        if due > now:
            continue
        late = now - due > start - due
        shift_id = r.get("shift_id")
        out.append(
            Due(kind, r["member_id"], r["email"], r["event_id"], shift_id, lead_key(hours), due,
                late=late, name=r["first_name"])
        )  # fmt: skip
    return out


def _event_reminders(db: Database, hours: float, now: datetime, tz: ZoneInfo) -> list[Due]:
    # Wall-clock leads differ from real ones by at most an hour: look an hour wider.
    span = timedelta(hours=hours + 1)
    rows = db.query(
        "SELECT e.id AS event_id, e.starts_at, m.id AS member_id, m.email, m.first_name"
        " FROM events e JOIN registrations r ON r.event_id = e.id AND r.status = 'registered'"
        f" JOIN members m ON m.id = r.member_id WHERE e.status != 'cancelled' AND {_LIVE_MEMBER}"
        " AND e.starts_at > ? AND e.starts_at <= ? ORDER BY e.starts_at, m.id",
        (to_iso(now - span), to_iso(now + span)),
    )
    return _dues("event", rows, hours, now, tz)


def _shift_reminders(db: Database, hours: float, now: datetime, tz: ZoneInfo) -> list[Due]:
    span = timedelta(hours=hours + 1)
    rows = db.query(
        "SELECT s.id AS shift_id, s.event_id, s.starts_at, m.id AS member_id, m.email,"
        " m.first_name FROM shifts s JOIN events e ON e.id = s.event_id"
        " JOIN shift_assignments a ON a.shift_id = s.id AND a.dropped_at IS NULL"
        f" JOIN members m ON m.id = a.member_id WHERE e.status != 'cancelled' AND {_LIVE_MEMBER}"
        " AND s.starts_at > ? AND s.starts_at <= ? ORDER BY s.starts_at, m.id",
        (to_iso(now - span), to_iso(now + span)),
    )
    return _dues("shift", rows, hours, now, tz)


def _promotions(db: Database, now: datetime) -> list[Due]:
    rows = db.query(
        "SELECT r.event_id, r.promoted_at, m.id AS member_id, m.email, m.first_name"
        " FROM registrations r JOIN events e ON e.id = r.event_id"
        " JOIN members m ON m.id = r.member_id"
        " WHERE r.status = 'registered' AND r.promoted_at IS NOT NULL AND r.promoted_at > ?"
        f" AND e.status != 'cancelled' AND e.starts_at > ? AND {_LIVE_MEMBER}",
        (to_iso(now - RECENT), to_iso(now)),
    )
    return [
        Due(
            "promotion",
            r["member_id"],
            r["email"],
            r["event_id"],
            None,
            "once",
            from_iso(r["promoted_at"]),
            name=r["first_name"],
        )
        for r in rows
    ]


def _calls_for_help(db: Database, days: float, now: datetime, tz: ZoneInfo) -> list[Due]:
    from omtui.core import rota  # here: the Today tab counts reminders at start-up (upcoming)

    shifts = [
        s
        for s in rota.list_shifts(db, since=now, until=now + timedelta(days=days))
        if s.starts_at > now and s.missing > 0 and s.event_status != "cancelled"
    ]
    if not shifts:
        return []
    volunteers = db.query(
        "SELECT m.id, m.email, m.first_name FROM members m"
        f" WHERE (',' || m.tags || ',') LIKE '%,{rota.VOLUNTEER_TAG},%' AND {_LIVE_MEMBER}"
        " ORDER BY m.id"
    )
    out = []
    for shift in shifts:
        # Those on it, and those who dropped it (asking them back would be tactless).
        on_it = {
            a.member_id
            for dropped in (False, True)
            for a in rota.assignments(db, [shift.id], dropped=dropped).get(shift.id, [])
        }
        for v in volunteers:
            if v["id"] in on_it or rota.find_clash(db, shift, v["id"], tz) is not None:
                continue
            out.append(
                Due(
                    "call_for_help",
                    v["id"],
                    v["email"],
                    shift.event_id,
                    shift.id,
                    f"{days:g}d",
                    now,
                    name=v["first_name"],
                )
            )
    return out


def _drop_notices(db: Database, hours: float, organiser: str, now: datetime) -> list[Due]:
    out = []
    for r in db.query(
        "SELECT a.id, a.member_id, a.dropped_at, a.drop_reason, s.id AS shift_id, s.event_id,"
        " s.starts_at FROM shift_assignments a JOIN shifts s ON s.id = a.shift_id"
        " WHERE a.dropped_at IS NOT NULL AND a.dropped_at > ? AND s.starts_at > ?",
        (to_iso(now - RECENT), to_iso(now - RECENT)),
    ):
        dropped, start = from_iso(r["dropped_at"]), from_iso(r["starts_at"])
        if start - dropped >= timedelta(hours=hours) or dropped > start:
            continue
        out.append(
            Due(
                "drop_notice",
                r["member_id"],
                organiser,
                r["event_id"],
                r["shift_id"],
                f"drop{r['id']}",
                dropped,
                detail=r["drop_reason"],
            )
        )
    return out


def cancellations(db: Database, now: datetime, *, event_id: int | None = None) -> list[Due]:
    """A notice to each member whose registration or waiting place went with its event's
    cancellation (`detail`: which of the two), for cancelled events not yet started."""
    where = "" if event_id is None else " AND e.id = ?"
    rows = db.query(
        "SELECT r.event_id, r.cancelled_at, r.cancelled_with_event, m.id AS member_id,"
        " m.email, m.first_name FROM registrations r JOIN events e ON e.id = r.event_id"
        " JOIN members m ON m.id = r.member_id WHERE e.status = 'cancelled'"
        " AND r.status = 'cancelled' AND r.cancelled_with_event IS NOT NULL"
        f" AND e.starts_at > ? AND m.archived_at IS NULL{where} ORDER BY r.event_id, m.id",
        (to_iso(now),) if event_id is None else (to_iso(now), event_id),
    )
    return [
        Due(
            "cancellation",
            r["member_id"],
            r["email"],
            r["event_id"],
            None,
            "once",
            from_iso(r["cancelled_at"]),
            detail=r["cancelled_with_event"],
            name=r["first_name"],
        )
        for r in rows
    ]


def _watched(row: dict) -> dict[str, str]:
    return {name: row[name] or "" for name in WATCHED}


def _changes(db: Database, now: datetime, *, write: bool) -> list[Due]:
    """Change notices for events whose watched fields differ from the last run's copy.

    With `write`, the copies are brought up to date (an event seen for the first time is
    only remembered)."""
    rows = db.query(
        "SELECT e.*, w.fields AS seen FROM events e LEFT JOIN reminder_watch w"
        " ON w.event_id = e.id WHERE e.ends_at > ? AND e.status != 'cancelled'",
        (to_iso(now),),
    )
    out: list[Due] = []
    for row in rows:
        current = _watched(row)
        seen = json.loads(row["seen"]) if row["seen"] else None
        if seen == current:
            continue
        if write:
            db.execute(
                "INSERT OR REPLACE INTO reminder_watch (event_id, fields) VALUES (?, ?)",
                (row["id"], json.dumps(current, sort_keys=True)),
            )
        if seen is None:
            continue
        changed = {k: [seen.get(k, ""), v] for k, v in current.items() if seen.get(k, "") != v}
        detail = json.dumps(changed, sort_keys=True, ensure_ascii=False)
        lead = hashlib.sha256(detail.encode()).hexdigest()[:16]
        people = db.query(
            "SELECT DISTINCT m.id, m.email, m.first_name FROM members m WHERE"
            f" {_LIVE_MEMBER} AND (m.id IN (SELECT member_id FROM registrations"
            " WHERE event_id = ? AND status = 'registered') OR m.id IN (SELECT a.member_id"
            " FROM shift_assignments a JOIN shifts s ON s.id = a.shift_id"
            " WHERE s.event_id = ? AND a.dropped_at IS NULL)) ORDER BY m.id",
            (row["id"], row["id"]),
        )
        out += [
            Due(
                "change",
                p["id"],
                p["email"],
                row["id"],
                None,
                lead,
                now,
                detail=detail,
                name=p["first_name"],
            )
            for p in people
        ]
    return out


# -- rows -------------------------------------------------------------------------------
_COLUMNS = (
    "id, kind, member_id, event_id, shift_id, lead, email, due_at, detail, state, reply, sent_at"
)


def enqueue(
    db: Database, settings: RemindersConfig, *, organiser: str, now: datetime, tz: ZoneInfo
) -> tuple[int, list[Due]]:
    """Write a row for each reminder due now (inside the caller's transaction): queued, or
    `skipped` when late. Returns (rows queued, the late ones)."""
    due = due_now(db, settings, organiser=organiser, now=now, tz=tz)
    if settings.change:
        _changes(db, now, write=True)
    return write_rows(db, due, now=now)


def write_rows(db: Database, due: list[Due], *, now: datetime) -> tuple[int, list[Due]]:
    """Insert a row per `Due` not written before (the unique key keeps each once);
    returns (rows queued, the late ones written `skipped`)."""
    stamp = to_iso(now)
    queued = 0
    late: list[Due] = []
    for d in due:
        state = "skipped" if d.late else "queued"
        reply = "more than its lead time late: not sent" if d.late else ""
        cursor = db.execute(
            "INSERT OR IGNORE INTO reminders (kind, member_id, event_id, shift_id, lead, email,"
            " due_at, detail, state, reply, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                d.kind,
                d.member_id,
                d.event_id,
                d.shift_id,
                d.lead,
                d.email,
                to_iso(d.due_at),
                d.detail,
                state,
                reply,
                stamp,
                stamp,
            ),
        )
        if cursor.rowcount:
            if d.late:
                late.append(d)
            else:
                queued += 1
    return queued, late


def recover(db: Database, *, now: datetime) -> int:
    """Settle rows a dead run left `sending` (call holding the lease): those whose DATA had
    started become `uncertain` (how many is returned), the others go back to the queue."""
    stamp = to_iso(now)
    with db.transaction():
        cursor = db.execute(
            "UPDATE reminders SET state = 'uncertain', updated_at = ?,"
            " reply = 'in flight when the previous run stopped'"
            " WHERE state = 'sending' AND transmit_at IS NOT NULL",
            (stamp,),
        )
        db.execute(
            "UPDATE reminders SET state = 'queued', updated_at = ?"
            " WHERE state = 'sending' AND transmit_at IS NULL",
            (stamp,),
        )
    return cursor.rowcount


def claim(
    db: Database, limit: int, *, now: datetime, kinds: tuple[str, ...] | None = None
) -> list[ReminderRow]:
    """Mark up to `limit` queued rows `sending` (inside the caller's transaction), only of
    `kinds` if given. Rows whose member declined reminders (or left) since they were
    queued become `failed` (a cancellation notice only when the member left)."""
    stamp = to_iso(now)
    db.execute(
        "UPDATE reminders SET state = 'failed', reply = 'not sent: the member declined"
        " reminders or left', updated_at = ? WHERE state = 'queued'"
        " AND kind NOT IN ('drop_notice', 'cancellation')"
        f" AND member_id NOT IN (SELECT m.id FROM members m WHERE {_LIVE_MEMBER})",
        (stamp,),
    )
    db.execute(
        "UPDATE reminders SET state = 'failed', reply = 'not sent: the member left',"
        " updated_at = ? WHERE state = 'queued' AND kind = 'cancellation'"
        " AND member_id IN (SELECT m.id FROM members m WHERE m.archived_at IS NOT NULL)",
        (stamp,),
    )
    if db.scalar("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'email_status'"):
        # The mailbox (core/mail/bounces.py, `email_status`) marks addresses that bounced or
        # are held after repeated soft failures: no reminder to them either.
        db.execute(
            "UPDATE reminders SET state = 'failed', reply = 'not sent: the address bounced"
            " or is held', updated_at = ? WHERE state = 'queued' AND lower(email) IN"
            " (SELECT lower(s.email) FROM email_status s WHERE s.status != 'ok')",
            (stamp,),
        )
    only = "" if kinds is None else f" AND kind IN ({','.join('?' * len(kinds))})"
    rows = db.query(
        f"SELECT {_COLUMNS} FROM reminders WHERE state = 'queued'{only}"
        " ORDER BY due_at, id LIMIT ?",
        (*(kinds or ()), limit),
    )
    db.conn.executemany(
        "UPDATE reminders SET state = 'sending', attempts = attempts + 1, updated_at = ?,"
        " transmit_at = NULL WHERE id = ? AND state = 'queued'",
        [(stamp, r["id"]) for r in rows],
    )
    claimed = [ReminderRow.from_row({**r, "state": "sending"}) for r in rows]
    if len(claimed) == 1 and claimed[0].kind == "call_for_help":
        # One call for help per volunteer and run, listing every shift that needs them.
        more = db.query(
            f"SELECT {_COLUMNS} FROM reminders WHERE state = 'queued' AND kind = 'call_for_help'"
            " AND member_id = ? ORDER BY due_at, id",
            (claimed[0].member_id,),
        )
        db.conn.executemany(
            "UPDATE reminders SET state = 'sending', attempts = attempts + 1, updated_at = ?,"
            " transmit_at = NULL WHERE id = ? AND state = 'queued'",
            [(stamp, r["id"]) for r in more],
        )
        claimed += [ReminderRow.from_row({**r, "state": "sending"}) for r in more]
    return claimed


WAIT = "wait"


def still_due(
    db: Database, row: ReminderRow, settings: RemindersConfig, *, now: datetime, tz: ZoneInfo
) -> str | None:
    """Check a claimed event or shift reminder again (a run may have queued it before a
    crash): None to send it, `WAIT` when its event moved later (it is due again at the new
    time), or why it must not go out."""
    if row.kind == "cancellation":
        found = db.query_one(
            "SELECT starts_at FROM events WHERE id = ? AND status = 'cancelled'", (row.event_id,)
        )
        if found is None:
            return "not sent: the event is no longer cancelled"
        if now > from_iso(found["starts_at"]):
            return "not sent: the event's start has passed"
        return None
    if row.kind not in ("event", "shift"):
        return None
    if row.kind == "event":
        found = db.query_one(
            "SELECT e.starts_at FROM events e JOIN registrations r ON r.event_id = e.id"
            " WHERE e.id = ? AND r.member_id = ? AND r.status = 'registered'"
            " AND e.status != 'cancelled'",
            (row.event_id, row.member_id),
        )
        hours = settings.event_lead_hours
    else:
        found = db.query_one(
            "SELECT s.starts_at FROM shifts s JOIN events e ON e.id = s.event_id"
            " JOIN shift_assignments a ON a.shift_id = s.id AND a.dropped_at IS NULL"
            " WHERE s.id = ? AND a.member_id = ? AND e.status != 'cancelled'",
            (row.shift_id, row.member_id),
        )
        hours = settings.shift_lead_hours
    if found is None:
        return "not sent: no longer registered or assigned, or cancelled"
    start = from_iso(found["starts_at"])
    if due_time(start, hours, tz) > now:
        return WAIT
    if now > start:
        return "more than its lead time late: not sent"
    return None


def forget(db: Database, row_id: int) -> None:
    """Drop a claimed row that never went out (its event moved later): due again then."""
    with db.transaction():
        db.execute("DELETE FROM reminders WHERE id = ? AND state = 'sending'", (row_id,))


def mark_transmitting(db: Database, row_id: int, *, now: datetime) -> None:
    db.execute(
        "UPDATE reminders SET transmit_at = ? WHERE id = ? AND state = 'sending'",
        (to_iso(now), row_id),
    )


def record(
    db: Database, row_id: int, state: str, *, reply: str = "", message_id: str = "", now: datetime
) -> None:
    """The outcome of one row (sent, failed, uncertain or back to queued), if still sending."""
    stamp = to_iso(now)
    with db.transaction():
        if state == "queued":
            db.execute(
                "UPDATE reminders SET state = 'queued', transmit_at = NULL, updated_at = ?"
                " WHERE id = ? AND state = 'sending'",
                (stamp, row_id),
            )
            return
        db.execute(
            "UPDATE reminders SET state = ?, reply = ?, message_id = ?, updated_at = ?,"
            " sent_at = CASE WHEN ? = 'sent' THEN ? ELSE sent_at END"
            " WHERE id = ? AND state = 'sending'",
            (state, reply, message_id, stamp, state, stamp, row_id),
        )


def recent(db: Database, *, limit: int = 20, event_id: int | None = None) -> list[ReminderRow]:
    """The latest reminders handled (sent, failed, uncertain, skipped), newest first."""
    where = "state != 'queued' AND state != 'sending'"
    params: tuple = ()
    if event_id is not None:
        where += " AND event_id = ?"
        params = (event_id,)
    rows = db.query(
        f"SELECT {_COLUMNS} FROM reminders WHERE {where} ORDER BY updated_at DESC, id DESC LIMIT ?",
        (*params, limit),
    )
    return [ReminderRow.from_row(r) for r in rows]


def upcoming(
    db: Database, settings: RemindersConfig, *, now: datetime, tz: ZoneInfo, days: float = 7
) -> list[tuple[datetime, str, int, int]]:
    """Event and shift reminders due in the next `days`: (due time, kind, event id, people)."""
    out: list[tuple[datetime, str, int, int]] = []
    horizon = now + timedelta(days=days)
    if settings.event:
        for r in db.query(
            "SELECT e.id, e.starts_at, count(r.id) AS n FROM events e JOIN registrations r"
            " ON r.event_id = e.id AND r.status = 'registered' WHERE e.status != 'cancelled'"
            " AND e.starts_at > ? AND e.starts_at <= ? GROUP BY e.id",
            (to_iso(now), to_iso(horizon + timedelta(hours=settings.event_lead_hours + 1))),
        ):
            due = due_time(from_iso(r["starts_at"]), settings.event_lead_hours, tz)
            if now < due <= horizon:
                out.append((due, "event", r["id"], r["n"]))
    if settings.shift:
        for r in db.query(
            "SELECT s.event_id, s.starts_at, count(a.id) AS n FROM shifts s"
            " JOIN shift_assignments a ON a.shift_id = s.id AND a.dropped_at IS NULL"
            " JOIN events e ON e.id = s.event_id WHERE e.status != 'cancelled'"
            " AND s.starts_at > ? AND s.starts_at <= ? GROUP BY s.id",
            (to_iso(now), to_iso(horizon + timedelta(hours=settings.shift_lead_hours + 1))),
        ):
            due = due_time(from_iso(r["starts_at"]), settings.shift_lead_hours, tz)
            if now < due <= horizon:
                out.append((due, "shift", r["event_id"], r["n"]))
    return sorted(out)


def in_state(db: Database, state: str, *, limit: int = 200) -> list[ReminderRow]:
    """Rows of one state (the uncertain or failed ones to show the organiser), oldest first."""
    rows = db.query(
        f"SELECT {_COLUMNS} FROM reminders WHERE state = ? ORDER BY id LIMIT ?", (state, limit)
    )
    return [ReminderRow.from_row(r) for r in rows]


def requeue_uncertain(db: Database, *, now: datetime) -> int:
    """The organiser chose to send the uncertain reminders again: they are queued."""
    with db.transaction():
        cursor = db.execute(
            "UPDATE reminders SET state = 'queued', reply = '', transmit_at = NULL,"
            " updated_at = ? WHERE state = 'uncertain'",
            (to_iso(now),),
        )
    return cursor.rowcount


def counts(db: Database) -> dict[str, int]:
    out = dict.fromkeys(STATES, 0)
    for r in db.query("SELECT state, count(*) AS n FROM reminders GROUP BY state"):
        out[r["state"]] = r["n"]
    return out
