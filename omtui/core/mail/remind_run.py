"""One `omtui remind` run: queue what is due, send it, exit. Meant for cron.

Exactly once, across crashes and concurrent runs:
- one run at a time holds the `reminder_lease` row (renewed every few seconds; taken over
  when its holder has died, as newsletter sends do with `send_leases`); a second run
  started meanwhile exits at once, sending nothing;
- what is due is written and claimed (`sending`) in one transaction; `transmit_at` is
  committed just before DATA; after a crash, rows whose DATA had started become
  `uncertain` and are never resent by themselves, the others are queued again;
- delivery goes through the newsletter's `Mailer` (rate limit, retries, 4xx/5xx rules).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from omtui.config import Config
from omtui.core import send_lease
from omtui.core.dates import utcnow
from omtui.core.db import Database
from omtui.core.mail import reminder_mail, reminders
from omtui.core.mail.reminders import Due
from omtui.core.mailer import Mailer, RetryPolicy, ServerDown
from omtui.core.newsletter_mime import envelope_address
from omtui.core.runs import record_run
from omtui.i18n import _


@dataclass
class RemindReport:
    """What a run did: counts, and the late reminders it skipped (reported, not sent)."""

    busy: bool = False
    sent: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    uncertain: list[tuple[str, str]] = field(default_factory=list)
    late: list[Due] = field(default_factory=list)
    recovered_uncertain: int = 0
    stopped: str = ""
    """Why the run stopped before the end (server down), or empty."""

    @property
    def ok(self) -> bool:
        return not self.stopped and not self.failed

    def summary(self) -> str:
        if self.busy:
            return _("another omtui remind is running; this one sent nothing")
        text = _("{sent} sent, {failed} failed, {uncertain} uncertain, {late} skipped (late)")
        text = text.format(
            sent=self.sent,
            failed=len(self.failed),
            uncertain=len(self.uncertain) + self.recovered_uncertain,
            late=len(self.late),
        )
        return f"{text}; {self.stopped}" if self.stopped else text


# -- the lease ------------------------------------------------------------------------------
def acquire(db: Database, holder: str, *, now: float) -> bool:
    with db.transaction():
        row = db.query_one("SELECT holder, renewed_at FROM reminder_lease WHERE id = 1")
        if row is not None and row["holder"] != holder and send_lease._live(row, now):
            return False
        db.execute(
            "INSERT OR REPLACE INTO reminder_lease (id, holder, renewed_at) VALUES (1, ?, ?)",
            (holder, now),
        )
    return True


def holds(db: Database, holder: str, *, now: float) -> bool:
    """Whether `holder` still holds the lease; renews it (call inside a transaction)."""
    cursor = db.execute(
        "UPDATE reminder_lease SET renewed_at = ? WHERE id = 1 AND holder = ?", (now, holder)
    )
    return cursor.rowcount == 1


def release(db: Database, holder: str) -> None:
    with db.transaction():
        db.execute("DELETE FROM reminder_lease WHERE id = 1 AND holder = ?", (holder,))


class _LeaseLost(Exception):
    pass


# -- planning without sending ------------------------------------------------------------
def dry_run(db: Database, config: Config, *, now: datetime) -> list[Due]:
    """What a run at `now` would send (and skip as late); nothing is written."""
    return reminders.due_now(
        db, config.reminders, organiser=config.organiser_email, now=now, tz=config.tz
    )


# -- the run ------------------------------------------------------------------------------
async def remind(
    db: Database,
    config: Config,
    *,
    clock: Callable[[], datetime] = utcnow,
    policy: RetryPolicy | None = None,
    resend_uncertain: bool = False,
    kinds: tuple[str, ...] | None = None,
) -> RemindReport:
    """Queue what is due at `clock()` and send it; return what happened. Uncertain rows
    (maybe received) are sent again only with `resend_uncertain`. With `kinds`, only the
    rows of those kinds already queued are sent (a cancellation sent at once), nothing
    else is queued."""
    from omtui.core.sender import ensure_sendable_config

    ensure_sendable_config(config)
    report = RemindReport()
    holder = send_lease.new_holder()
    if not acquire(db, holder, now=time.time()):
        report.busy = True
        return report
    lost = asyncio.Event()

    async def renewer() -> None:
        while True:
            await asyncio.sleep(send_lease.RENEW_EVERY)
            with contextlib.suppress(Exception), db.transaction():
                if not holds(db, holder, now=time.time()):
                    lost.set()
                    return

    renewing = asyncio.create_task(renewer())
    mailer = Mailer(config.smtp, policy=policy, concurrency=1)
    try:
        report.recovered_uncertain = reminders.recover(db, now=clock())
        if resend_uncertain:
            reminders.requeue_uncertain(db, now=clock())
            report.recovered_uncertain = 0
        if config.smtp.rate > 0:  # the club's rate is shared with newsletter sends running now
            mailer.limiter.set_rate(config.smtp.rate / (1 + _newsletter_senders(db)))
        if kinds is None:
            with db.transaction():
                if not holds(db, holder, now=time.time()):
                    raise _LeaseLost
                _queued, report.late = reminders.enqueue(
                    db,
                    config.reminders,
                    organiser=config.organiser_email,
                    now=clock(),
                    tz=config.tz,
                )
        lang = reminder_mail.club_language(db)
        conn = mailer.connections[0]
        while not lost.is_set():
            with db.transaction():
                if not holds(db, holder, now=time.time()):
                    raise _LeaseLost
                batch = reminders.claim(db, 1, now=clock(), kinds=kinds)
            if not batch:
                break
            row, ids = batch[0], [r.id for r in batch]
            verdict = reminders.still_due(db, row, config.reminders, now=clock(), tz=config.tz)
            if verdict == reminders.WAIT:
                reminders.forget(db, row.id)
                continue
            if verdict is not None:
                reminders.record(db, row.id, "failed", reply=verdict, now=clock())
                continue
            name = db.scalar("SELECT first_name FROM members WHERE id = ?", (row.member_id,))
            message_id, data = reminder_mail.build(
                db,
                row,
                config,
                lang=lang,
                name="" if row.kind == "drop_notice" else name or "",
                now=clock(),
                also=tuple(r.shift_id for r in batch[1:] if r.shift_id is not None),
            )

            async def before_data(row_ids: list[int] = ids) -> None:
                with db.transaction():
                    if not holds(db, holder, now=time.time()):
                        raise _LeaseLost
                    for row_id in row_ids:
                        reminders.mark_transmitting(db, row_id, now=clock())

            def settle(state: str, reply: str = "", message_id: str = "", ids=ids) -> None:
                for row_id in ids:
                    reminders.record(
                        db, row_id, state, reply=reply, message_id=message_id, now=clock()
                    )

            try:
                result = await mailer.deliver(
                    conn, envelope_address(row.email), data, before_data=before_data
                )
            except ServerDown as exc:
                settle("queued")
                report.stopped = str(exc)
                break
            if result.state == "sent":
                report.sent += 1
                settle("sent", result.reply, message_id)
            elif result.state == "failed":
                report.failed.append((row.email, result.reply))
                settle("failed", result.reply)
            elif result.state == "uncertain":
                report.uncertain.append((row.email, result.reply))
                settle("uncertain", result.reply)
            else:
                settle("queued")
    except _LeaseLost:
        report.stopped = _("another omtui remind took over; this one stopped")
    finally:
        renewing.cancel()
        await asyncio.gather(renewing, return_exceptions=True)
        await mailer.close()
        with contextlib.suppress(Exception):
            release(db, holder)
    return report


def _newsletter_senders(db: Database) -> int:
    """How many newsletter sends hold a live lease now."""
    rows = db.query(
        "SELECT holder, renewed_at FROM send_leases WHERE renewed_at > ?",
        (time.time() - send_lease.TTL,),
    )
    return sum(1 for row in rows if send_lease._live(row, time.time()))


def run(
    db: Database,
    config: Config,
    *,
    clock: Callable[[], datetime] = utcnow,
    policy: RetryPolicy | None = None,
    resend_uncertain: bool = False,
    kinds: tuple[str, ...] | None = None,
) -> RemindReport:
    """`remind` in its own event loop, its run recorded for the overview (kind "remind");
    a run limited to some `kinds` is not the cron job and is not recorded."""
    if kinds is not None:
        return asyncio.run(remind(db, config, clock=clock, policy=policy, kinds=kinds))
    started = clock()
    try:
        report = asyncio.run(
            remind(db, config, clock=clock, policy=policy, resend_uncertain=resend_uncertain)
        )
    except Exception as exc:
        record_run(db, "remind", ok=False, detail=str(exc), started_at=started, finished_at=clock())
        raise
    record_run(
        db, "remind", ok=report.ok, detail=report.summary(), started_at=started, finished_at=clock()
    )
    return report
