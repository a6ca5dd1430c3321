"""Cancelling an event tells the people who were coming: once each, by email.

A notice is a row of the reminders queue (kind "cancellation", lead "once"), so it goes
out like every other reminder: through `omtui remind` (cron) or at once with
`remind_run.run(..., kinds=CANCELLATION)`, with the club's rate, retries, the lease and the
crash rules of core/mail/remind_run.py, in the club's language (core/mail/reminder_mail.py
writes it). The table's unique key (kind, member, event, lead) makes a second cancel, or a
run after a crash, queue nothing twice.

Who is told: each member whose seat or waiting place went with the event
(`registrations.cancelled_with_event`), not archived, while the event has not started.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from omtui.core import events
from omtui.core.db import Database
from omtui.core.mail import reminders

KIND = "cancellation"
CANCELLATION = (KIND,)
"""`kinds` for a run that sends only the cancellation notices."""


@dataclass(frozen=True)
class Cancelled:
    """What cancelling did: the event, and the notices now waiting to go for it."""

    event: events.Event
    was_cancelled: bool
    """The event was cancelled already (by this command or another way)."""
    queued: int
    """Notices queued by this call (0 the second time)."""
    pending: int
    """Notices of this event queued and not yet sent (this call's and any earlier)."""


def to_tell(db: Database, event_id: int, *, now: datetime) -> int:
    """How many members cancelling the event now would tell (registered and waiting, not
    archived; nobody once it has started)."""
    event = events.get_event(db, event_id)
    if event.cancelled or event.starts_at <= now:
        return 0
    return int(
        db.scalar(
            "SELECT count(*) FROM registrations r JOIN members m ON m.id = r.member_id"
            " WHERE r.event_id = ? AND r.status IN ('registered', 'waiting')"
            " AND m.archived_at IS NULL",
            (event_id,),
        )
        or 0
    )


def cancel_event(db: Database, event_id: int, *, now: datetime) -> Cancelled:
    """Cancel the event (its registrations with it) and queue a notice to each member
    who was registered or waiting, in one transaction. Cancelling again queues nothing
    new (it does queue the notices of an event cancelled another way, e.g. the form)."""
    with db.transaction():
        was = events.get_event(db, event_id).cancelled
        event = (
            events.get_event(db, event_id) if was else events.cancel_event(db, event_id, now=now)
        )
        due = reminders.cancellations(db, now, event_id=event_id)
        queued, _late = reminders.write_rows(db, due, now=now)
    return Cancelled(event, was, queued, pending(db, event_id))


def pending(db: Database, event_id: int | None = None) -> int:
    """Cancellation notices queued and not sent yet (of one event, or all)."""
    where = "" if event_id is None else " AND event_id = ?"
    return int(
        db.scalar(
            f"SELECT count(*) FROM reminders WHERE kind = ? AND state = 'queued'{where}",
            (KIND,) if event_id is None else (KIND, event_id),
        )
        or 0
    )
