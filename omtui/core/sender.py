"""The send loop: outbox rows in, SMTP deliveries out, crash-safe and controllable.

Use from the CLI or a Textual thread worker with `run_send(...)` (it runs its own event
loop), or `await send_newsletter(...)` from async code. The loop opens its own database
connection, so the caller's connection is never shared across threads.

    plan = sender.prepare(db, nid, config)         # who, who not and why, how long
    sender.start_send(db, nid, config, plan, now=...)   # freezes text + audience
    outcome = sender.run_send(db_path, nid, config, control=ctl, on_progress=cb)

`control.pause()` / `control.cancel()` may be called from any thread: in-flight messages
finish, claimed-but-unsent rows go back to the queue, and the newsletter is left
`paused` (resume = call `run_send` again) or `cancelled`. `on_progress(SendProgress)` is
called on the thread running the event loop about four times a second and once at the end
(awaited on Textual's loop it may touch widgets; from a thread worker, forward it with
`app.call_from_thread`). Database work and message building run in a helper thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import math
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from omtui.config import Config
from omtui.core import audit, labels, outbox, send_lease
from omtui.core.dates import to_iso, utcnow
from omtui.core.db import Database
from omtui.core.mail import bounces
from omtui.core.mailer import Delivery, Mailer, RetryPolicy, ServerDown, send_one
from omtui.core.newsletter import (
    Newsletter,
    Recipient,
    SendPlan,
    club_name,
    club_warnings,
    ensure_valid,
    get_newsletter,
    mail_language,
    newsletter_language,
    send_plan,
    subject_prefix_for_test,
    upcoming_events_block,
)
from omtui.core.newsletter_mime import MessageTemplate, envelope_address
from omtui.errors import ConfigError, DatabaseBusy, OmtuiError, ValidationError
from omtui.i18n import _, ngettext

ProgressCallback = Callable[["SendProgress"], None]
FINAL_FLUSH_ATTEMPTS = 3
"""How often the end of a send tries to record outcomes a busy database refused."""


@dataclass(frozen=True)
class SendProgress:
    """Where a send stands. `state`: sending, paused, cancelled, sent, draft."""

    newsletter_id: int
    state: str
    total: int = 0
    sent: int = 0
    failed: int = 0
    uncertain: int = 0
    queued: int = 0
    sending: int = 0
    rate: float = 0.0
    """Messages per second over the last few seconds (0 when unknown)."""
    eta_seconds: float | None = None
    message: str = ""
    """Why the send paused, or another line for the organiser."""
    running: bool = False

    @property
    def remaining(self) -> int:
        return self.queued + self.sending

    @property
    def done(self) -> int:
        return self.sent + self.failed + self.uncertain

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 0.0

    def as_dict(self) -> dict:
        return {
            "newsletter_id": self.newsletter_id,
            "state": self.state,
            "total": self.total,
            "sent": self.sent,
            "failed": self.failed,
            "uncertain": self.uncertain,
            "queued": self.queued,
            "sending": self.sending,
            "rate": round(self.rate, 2),
            "eta_seconds": None if self.eta_seconds is None else round(self.eta_seconds, 1),
            "message": self.message,
            "running": self.running,
        }


class SendControl:
    """Thread-safe pause/cancel switches for a running send."""

    def __init__(self) -> None:
        self._stop = threading.Event()
        self.action = ""
        self.reason = ""

    def pause(self, reason: str = "") -> None:
        """Stop after the messages in flight; the send can be resumed later."""
        self._stop_with("pause", reason or _("paused by the organiser"))

    def cancel(self) -> None:
        """Stop for good: the remaining recipients will not receive this newsletter."""
        self._stop_with("cancel", _("cancelled by the organiser"))

    def _stop_with(self, action: str, reason: str) -> None:
        if not self._stop.is_set():
            self.action, self.reason = action, reason
            self._stop.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()


@dataclass(frozen=True)
class SendOutcome:
    """How `send_newsletter` ended: state sent, paused or cancelled, and the final counts."""

    state: str
    reason: str
    progress: SendProgress
    recovered_uncertain: int = 0


# -- before a send -------------------------------------------------------------------------
def ensure_sendable_config(config: Config) -> None:
    """Refuse to send from an address nobody chose: ConfigError naming the setting."""
    if not config.smtp.from_address.strip():
        where = str(config.path) if config.path else _("the config file")
        raise ConfigError(
            _(
                "no sending address is configured: set from_address in the [smtp] table of "
                "{where} (or the OMTUI_FROM environment variable); nothing was sent"
            ).format(where=where)
        )


_UNREAD_LOCAL_PARTS = ("noreply", "no-reply", "no_reply", "donotreply", "do-not-reply",
                       "mailer-daemon", "bounce", "bounces", "nobody")  # fmt: skip
_UNREAD_DOMAINS = ("example.org", "example.com", "example.net", "localhost")
_UNREAD_SUFFIXES = (".example", ".invalid", ".test", ".local", ".localhost", ".localdomain")


def plan_warnings(config: Config) -> list[str]:
    """What in the configuration would mislead members (shown with the send plan)."""
    warnings: list[str] = []
    mailto = (config.unsubscribe_mailto or "").strip()
    if not mailto:
        warnings.append(
            _(
                "unsubscribe_mailto is not set: members who unsubscribe by mail write to "
                "{address}; make sure someone reads it, or set unsubscribe_mailto"
            ).format(address=config.smtp.from_address or "?")
        )
        return warnings
    local, _at, domain = mailto.lower().rpartition("@")
    if (
        not local
        or local in _UNREAD_LOCAL_PARTS
        or domain in _UNREAD_DOMAINS
        or domain.endswith(_UNREAD_SUFFIXES)
        or "." not in domain
    ):
        warnings.append(
            _(
                "unsubscribe_mailto {address} looks like a mailbox nobody reads: unsubscribe "
                "requests sent there would be lost"
            ).format(address=mailto)
        )
    return warnings


def prepare(db: Database, newsletter_id: int, config: Config) -> SendPlan:
    """Validate a draft and compute its send plan (nothing is written). Callers about to
    send check the configuration first with `ensure_sendable_config`."""
    nl = get_newsletter(db, newsletter_id)
    ensure_valid(nl.subject, nl.body)
    plan = send_plan(db, nl, rate=config.smtp.rate)
    return replace(plan, warnings=tuple(club_warnings(db, config)))


def start_send(
    db: Database, newsletter_id: int, config: Config, plan: SendPlan, *, now: datetime
) -> Newsletter:
    """Freeze a draft for sending: snapshot `plan`'s recipients into the outbox, store the
    `{upcoming_events}` block, mark it `sending`. One transaction."""
    with db.transaction():
        nl = get_newsletter(db, newsletter_id)
        if nl.read_only:
            raise ValidationError(
                _("newsletter {id} is already {status}").format(
                    id=nl.id, status=labels.newsletter_status(nl.status)
                )
            )
        ensure_valid(nl.subject, nl.body)
        if not plan.recipients:
            raise ValidationError(_("nobody would receive this newsletter; check its audience"))
        # What members read is frozen here, in the members' language (not the interface's).
        language = mail_language(db, config)
        block = upcoming_events_block(
            db, now=now, tz=config.tz, city=nl.audience_city, lang=language
        )
        outbox.snapshot(db, nl.id, plan.recipients, now=now)
        db.execute(
            "UPDATE newsletters SET status = 'sending', send_started_at = ?, updated_at = ?,"
            " events_block = ?, language = ?, pause_reason = '' WHERE id = ?",
            (to_iso(now), to_iso(now), block, language, nl.id),
        )
        detail = str(len(plan.recipients))
        audit.record(db, "newsletter.send", "newsletter", nl.id, detail=detail, now=now)
    return get_newsletter(db, newsletter_id)


def progress(db: Database, newsletter_id: int) -> SendProgress:
    """The stored state of a send (for lists, `status`, and a screen opened mid-send)."""
    nl = get_newsletter(db, newsletter_id)
    counts = outbox.counts(db, newsletter_id)
    return SendProgress(
        newsletter_id=newsletter_id,
        state=nl.status,
        total=sum(counts.values()),
        sent=counts["sent"],
        failed=counts["failed"],
        uncertain=counts["uncertain"],
        queued=counts["queued"],
        sending=counts["sending"],
        message=nl.pause_reason,
        running=is_running(db, newsletter_id),
    )


# -- one process per send --------------------------------------------------------------------
def is_running(db: Database | Path | str, newsletter_id: int) -> bool:
    """Whether some process is sending this newsletter now (its lease is live)."""
    if isinstance(db, Database):
        return send_lease.is_held(db, newsletter_id, now=time.time())
    database = Database(db)  # only connects: the process checked the file at start
    try:
        return send_lease.is_held(database, newsletter_id, now=time.time())
    finally:
        database.close()


# -- the loop ------------------------------------------------------------------------------------
@dataclass
class _Run:
    """The mutable state of one send loop (all touched from the event loop thread only)."""

    base: SendProgress
    sent: list[tuple[int, str, str]] = field(default_factory=list)
    failed: list[tuple[int, str, bool]] = field(default_factory=list)
    uncertain: list[tuple[int, str]] = field(default_factory=list)
    released: list[int] = field(default_factory=list)
    done_times: deque = field(default_factory=lambda: deque(maxlen=200))
    consecutive_errors: int = 0
    lease_lost: bool = False

    def snapshot(self, state: str, message: str, running: bool, rate_cap: float) -> SendProgress:
        b = self.base
        rate = 0.0
        if len(self.done_times) >= 2:
            span = self.done_times[-1] - self.done_times[0]
            rate = (len(self.done_times) - 1) / span if span > 0 else 0.0
        remaining = b.queued + b.sending
        speed = rate or (rate_cap if rate_cap > 0 else 0.0)
        eta = remaining / speed if speed > 0 else None
        return replace(b, state=state, rate=rate, eta_seconds=eta, message=message, running=running)


async def send_newsletter(
    db_path: Path | str,
    newsletter_id: int,
    config: Config,
    *,
    control: SendControl | None = None,
    on_progress: ProgressCallback | None = None,
    resend_uncertain: bool = False,
    retry_failed: bool = False,
    include_permanent: bool = False,
    clock: Callable[[], datetime] = utcnow,
    policy: RetryPolicy | None = None,
    progress_interval: float = 0.25,
) -> SendOutcome:
    """Send (or resume) a newsletter already started with `start_send`.

    Claimed rows a dead process never transmitted go back to the queue; rows whose DATA
    had started become `uncertain` and are not resent unless `resend_uncertain`. Failed
    rows are queued again with `retry_failed` (the temporary failures; the permanent ones
    too with `include_permanent`). Returns when every row is done, or the send paused
    (asked, server down, too many errors in a row) or was cancelled. One process at a time
    sends a newsletter (a lease in the database; OmtuiError if another one holds it)."""
    ensure_sendable_config(config)
    db_path = Path(db_path)
    control = control or SendControl()
    loop = asyncio.get_running_loop()
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="omtui-outbox")
    holder = send_lease.new_holder()
    db: Database | None = None
    acquired = False
    try:
        # Only connect: the process checked and migrated the file at start.
        timeout = config.database.busy_timeout
        db = await loop.run_in_executor(executor, lambda: Database(db_path, busy_timeout=timeout))
        try:
            await loop.run_in_executor(
                executor,
                lambda: send_lease.acquire(db, newsletter_id, holder, now=time.time()),
            )
        except DatabaseBusy as exc:  # pause with the reason rather than die; nothing written
            outcome = await loop.run_in_executor(executor, _busy_outcome, db, newsletter_id, exc)
            if on_progress is not None:
                on_progress(outcome.progress)
            return outcome
        acquired = True
        return await _send(
            db,
            executor,
            newsletter_id,
            config,
            holder=holder,
            control=control,
            on_progress=on_progress,
            requeue=(resend_uncertain, retry_failed, include_permanent),
            clock=clock,
            policy=policy or RetryPolicy(),
            progress_interval=progress_interval,
        )
    finally:
        if db is not None:
            if acquired:
                with contextlib.suppress(Exception):
                    await loop.run_in_executor(
                        executor, send_lease.release, db, newsletter_id, holder
                    )
            await loop.run_in_executor(executor, db.close)
        executor.shutdown(wait=True)


async def _send(
    db: Database,
    executor: ThreadPoolExecutor,
    newsletter_id: int,
    config: Config,
    *,
    holder: str,
    control: SendControl,
    on_progress: ProgressCallback | None,
    requeue: tuple[bool, bool, bool],
    clock: Callable[[], datetime],
    policy: RetryPolicy,
    progress_interval: float,
) -> SendOutcome:
    loop = asyncio.get_running_loop()

    async def in_db(func, *args, **kwargs):
        return await loop.run_in_executor(executor, lambda: func(*args, **kwargs))

    nl = await in_db(get_newsletter, db, newsletter_id)
    if nl.status == "draft":
        raise ValidationError(_("newsletter {id} has not been started").format(id=nl.id))
    if nl.status == "cancelled":
        raise ValidationError(_("newsletter {id} was cancelled").format(id=nl.id))
    try:
        recovered = await in_db(outbox.recover, db, nl.id, now=clock())
        resend_uncertain, retry_failed, include_permanent = requeue
        if resend_uncertain:
            await in_db(outbox.requeue_uncertain, db, nl.id, now=clock())
        if retry_failed:
            await in_db(
                outbox.requeue_failed, db, nl.id, include_permanent=include_permanent, now=clock()
            )
        await in_db(_set_status, db, nl.id, "sending", "", clock())
    except DatabaseBusy as exc:  # each step is its own transaction: a later run redoes the rest
        outcome = await in_db(_busy_outcome, db, nl.id, exc)
        if on_progress is not None:
            on_progress(outcome.progress)
        return outcome
    run = _Run(base=await in_db(progress, db, nl.id))
    settings = config.smtp
    template = MessageTemplate(
        nl,
        config,
        events_block=nl.events_block,
        clock=clock,
        club=await in_db(club_name, db, config),
    )
    mailer = Mailer(settings, policy=policy)
    size = len(mailer.connections)
    # Claim little ahead: claimed rows are cheap to give back, but each is a row another
    # process cannot take while this one lives.
    batch = max(1, min(size, math.ceil(settings.rate / 4) if settings.rate > 0 else size))
    low_water = max(1, size // 2)
    queue: asyncio.Queue = asyncio.Queue()
    want_more = asyncio.Event()
    results_ready = asyncio.Event()
    finished = asyncio.Event()
    limit = max(1, settings.max_consecutive_errors)
    lease_reason = _("another process took over this send; this one stopped")

    def share_rate(senders: int) -> None:
        if settings.rate > 0:
            mailer.limiter.set_rate(settings.rate / max(1, senders))

    def lost_lease() -> None:
        run.lease_lost = True
        control.pause(lease_reason)

    # The club's rate is shared with the other sends running now. When some already run,
    # wait until each has renewed its lease (and so lowered its share) and its last
    # second of messages has passed before sending.
    senders = await in_db(send_lease.live_senders, db, now=time.time())
    share_rate(senders)
    if senders > 1 and settings.rate > 0:
        await asyncio.sleep(send_lease.RENEW_EVERY + mailer.limiter.window)

    def claim_and_build() -> tuple[list[tuple[Recipient, str, bytes]], int]:
        skipped: list[int] = []
        with db.transaction():
            if not send_lease.holds(db, nl.id, holder):
                raise send_lease.LeaseLost(nl.id)
            rows = outbox.claim(db, nl.id, batch, now=clock(), skipped=skipped)
        return [(r.recipient(), *template.build(r.recipient())) for r in rows], len(skipped)

    # Rows about to start DATA, written together (one commit for several connections).
    to_mark: list[tuple[int, asyncio.Future]] = []
    mark_wanted = asyncio.Event()

    def write_marks(ids: list[int]) -> bool:
        with db.transaction():
            if not send_lease.holds(db, nl.id, holder):
                return False
            outbox.mark_transmitting(db, ids, now=clock())
        return True

    async def marker() -> None:
        while True:
            await mark_wanted.wait()
            mark_wanted.clear()
            pending = to_mark[:]
            to_mark.clear()
            if not pending:
                continue
            try:
                ok = await in_db(write_marks, [rid for rid, _f in pending])
            except Exception as exc:  # hand the error to each waiting worker
                for _rid, fut in pending:
                    if not fut.done():
                        fut.set_exception(exc)
                continue
            for _rid, fut in pending:
                if fut.done():
                    continue
                if ok:
                    fut.set_result(None)
                else:
                    fut.set_exception(send_lease.LeaseLost(nl.id))

    async def mark_transmitting(row_id: int) -> None:
        if control.stopping and run.lease_lost:
            raise send_lease.LeaseLost(nl.id)
        fut = loop.create_future()
        to_mark.append((row_id, fut))
        mark_wanted.set()
        await fut

    def on_error(reply: str) -> None:
        run.consecutive_errors += 1
        if run.consecutive_errors >= limit:
            control.pause(
                ngettext(
                    "{n} error in a row, the last one: {reply}",
                    "{n} errors in a row, the last one: {reply}",
                    limit,
                ).format(n=limit, reply=reply)
            )

    def count(delivery_state: str) -> None:
        b = run.base
        moved = {
            "sent": "sent",
            "failed": "failed",
            "uncertain": "uncertain",
            "released": "queued",
        }[delivery_state]
        values = {moved: getattr(b, moved) + 1, "sending": max(0, b.sending - 1)}
        run.base = replace(b, **values)

    async def feeder() -> None:
        try:
            while not control.stopping:
                try:
                    items, skipped = await in_db(claim_and_build)
                except send_lease.LeaseLost:
                    lost_lease()
                    break
                except DatabaseBusy as exc:  # pause with the reason rather than die
                    control.pause(_("database busy: {error}").format(error=exc))
                    break
                b = run.base
                run.base = replace(
                    b,
                    queued=b.queued - len(items) - skipped,
                    sending=b.sending + len(items),
                    failed=b.failed + skipped,
                )
                if not items:
                    break
                for item in items:
                    queue.put_nowait(item)
                while queue.qsize() >= low_water and not control.stopping:
                    want_more.clear()
                    await want_more.wait()
        finally:
            for _worker in range(size):
                queue.put_nowait(None)

    async def worker(index: int) -> None:
        conn = mailer.connections[index]
        while (item := await queue.get()) is not None:
            if queue.qsize() < low_water:
                want_more.set()
            recipient, message_id, data = item
            row_id = recipient.outbox_id
            if control.stopping:
                run.released.append(row_id)
                count("released")
                continue
            try:
                result = await mailer.deliver(
                    conn,
                    envelope_address(recipient.email),
                    data,
                    on_error=on_error,
                    should_stop=lambda: control.stopping,
                    before_data=functools.partial(mark_transmitting, row_id),
                )
            except ServerDown as exc:
                control.pause(
                    _("{error}; the send is paused, run it again to resume").format(error=exc)
                )
                result = Delivery("released")
            except send_lease.LeaseLost:
                lost_lease()
                await conn.close()  # mid-transaction, before DATA: nothing was sent
                result = Delivery("released")
            except DatabaseBusy as exc:  # could not record the start of DATA: do not send
                control.pause(_("database busy: {error}").format(error=exc))
                await conn.close()
                result = Delivery("released")
            if result.state == "sent":
                run.consecutive_errors = 0
                run.sent.append((row_id, message_id, result.reply))
                run.done_times.append(time.monotonic())
            elif result.state == "failed":
                run.failed.append((row_id, result.reply, result.permanent))
            elif result.state == "uncertain":
                run.uncertain.append((row_id, result.reply))
            else:
                run.released.append(row_id)
            count(result.state)
            results_ready.set()

    def write_outcomes(sent, failed, uncertain, released) -> None:
        with db.transaction():
            if not send_lease.holds(db, nl.id, holder):
                raise send_lease.LeaseLost(nl.id)
            outbox.record(
                db, sent=sent, failed=failed, uncertain=uncertain, released=released, now=clock()
            )
            # a 5.1.x refusal of the address is a hard bounce, like a DSN saying so
            bounces.record_refusals(db, failed, now=clock())

    async def flush() -> None:
        if run.lease_lost:  # the rows belong to the process that took over
            run.sent, run.failed, run.uncertain, run.released = [], [], [], []
            return
        batch_ = (run.sent, run.failed, run.uncertain, run.released)
        run.sent, run.failed, run.uncertain, run.released = [], [], [], []
        try:
            await in_db(write_outcomes, *batch_)
        except send_lease.LeaseLost:
            lost_lease()
        except DatabaseBusy as exc:  # keep the outcomes for the next flush, and pause
            run.sent[:0], run.failed[:0] = batch_[0], batch_[1]
            run.uncertain[:0], run.released[:0] = batch_[2], batch_[3]
            control.pause(_("database busy: {error}").format(error=exc))

    def report(state: str, message: str = "", running: bool = True) -> None:
        if on_progress is not None:
            on_progress(run.snapshot(state, message, running, settings.rate))

    async def flusher() -> None:
        last_report = 0.0
        while not finished.is_set():  # write outcomes as they come, batching during a write
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(results_ready.wait(), timeout=progress_interval)
            results_ready.clear()
            await flush()
            if time.monotonic() - last_report >= progress_interval:
                last_report = time.monotonic()
                report("sending")

    async def renewer() -> None:
        while True:
            await asyncio.sleep(send_lease.RENEW_EVERY)
            try:
                share_rate(await in_db(send_lease.renew, db, nl.id, holder, now=time.time()))
            except send_lease.LeaseLost:
                lost_lease()
                return
            except (sqlite3.Error, DatabaseBusy):  # busy: try next round (the lease lasts 30 s)
                continue

    report("sending")
    flushing = asyncio.create_task(flusher())
    helpers = [asyncio.create_task(marker()), asyncio.create_task(renewer())]
    tasks = [asyncio.create_task(feeder()), *(asyncio.create_task(worker(i)) for i in range(size))]
    try:
        await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        finished.set()  # never cancel a write half-way: let the flusher end by itself
        results_ready.set()
        await asyncio.gather(flushing, return_exceptions=True)
        while not queue.empty():  # claimed but never handed to SMTP
            item = queue.get_nowait()
            if item is not None:
                run.released.append(item[0].outbox_id)
                count("released")
        await flush()
        for _attempt in range(FINAL_FLUSH_ATTEMPTS - 1):  # outcomes only memory holds
            if not (run.sent or run.failed or run.uncertain or run.released):
                break
            await flush()
        for helper in helpers:
            helper.cancel()
        await asyncio.gather(*helpers, return_exceptions=True)
        await mailer.close()
    if run.lease_lost:
        final = await in_db(progress, db, nl.id)
        outcome = SendOutcome("paused", lease_reason, replace(final, running=False), recovered)
    else:
        try:
            outcome = await in_db(_finish, db, nl.id, control, clock(), recovered)
        except DatabaseBusy as exc:  # the status stays "sending": a later run resumes it
            outcome = await in_db(_busy_outcome, db, nl.id, exc, recovered)
    if on_progress is not None:  # on the event loop's thread, like every other report
        on_progress(outcome.progress)
    return outcome


def _set_status(db: Database, newsletter_id: int, status: str, reason: str, now: datetime) -> None:
    with db.transaction():
        db.execute(
            "UPDATE newsletters SET status = ?, pause_reason = ?, updated_at = ?"
            + (", sent_at = COALESCE(sent_at, ?)" if status == "sent" else "")
            + " WHERE id = ?",
            (status, reason, to_iso(now), *((to_iso(now),) if status == "sent" else ()))
            + (newsletter_id,),
        )


def _busy_outcome(
    db: Database, newsletter_id: int, exc: DatabaseBusy, recovered: int = 0
) -> SendOutcome:
    """A send that could not write its status: paused, with the reason, nothing written
    (reading still works while another process writes)."""
    reason = _("database busy: {error}").format(error=exc)
    final = replace(progress(db, newsletter_id), state="paused", message=reason, running=False)
    return SendOutcome("paused", reason, final, recovered)


def _finish(
    db: Database,
    newsletter_id: int,
    control: SendControl,
    now: datetime,
    recovered: int,
) -> SendOutcome:
    counts = outbox.counts(db, newsletter_id)
    if control.stopping:
        state = "cancelled" if control.action == "cancel" else "paused"
        reason = control.reason
    elif counts["queued"] or counts["sending"]:
        state, reason = "paused", _("stopped before the end")
    else:
        state, reason = "sent", ""
    _set_status(db, newsletter_id, state, reason, now)
    final = progress(db, newsletter_id)
    return SendOutcome(state, reason, replace(final, running=False), recovered)


def run_send(db_path: Path | str, newsletter_id: int, config: Config, **kwargs) -> SendOutcome:
    """`send_newsletter` in its own event loop (for the CLI and Textual thread workers)."""
    return asyncio.run(send_newsletter(db_path, newsletter_id, config, **kwargs))


# -- test sends ------------------------------------------------------------------------------------
def build_test_message(
    db: Database, newsletter_id: int, config: Config, to: str, *, now: datetime
) -> tuple[str, bytes]:
    """The message `to` would get, subject prefixed "[TEST]"; a member's own values are
    used when `to` is a member's address, a sample's otherwise. Its To: is the bare test
    address (a sample member's name there would look like a mail meant for her)."""
    from omtui.core.members import find_by_email, normalise_email

    to = normalise_email(to)
    nl = get_newsletter(db, newsletter_id)
    ensure_valid(nl.subject, nl.body)
    member = find_by_email(db, to)
    recipient = (
        Recipient(to, member.first_name, member.last_name, member.city, member.unsubscribe_token)
        if member
        else Recipient(to, "Hélène", "Dupré", "Lyon", "TEST-TOKEN")
    )
    lang = newsletter_language(db, nl, config)
    block = (
        nl.events_block
        if nl.read_only
        else upcoming_events_block(db, now=now, tz=config.tz, city=nl.audience_city, lang=lang)
    )
    template = MessageTemplate(
        nl,
        config,
        events_block=block,
        clock=lambda: now,
        subject_prefix=subject_prefix_for_test(lang),
        language=lang,
        club=club_name(db, config),
    )
    return template.build(recipient, to_name="")


async def send_test_async(
    db: Database, newsletter_id: int, config: Config, to: str, *, now: datetime
) -> str:
    """Send one test message to `to`; return its Message-ID or raise OmtuiError."""
    ensure_sendable_config(config)
    message_id, data = build_test_message(db, newsletter_id, config, to, now=now)
    policy = RetryPolicy(max_attempts=2, base_delay=0.2, connect_attempts=2)
    try:
        result = await send_one(config.smtp, envelope_address(to), data, policy=policy)
    except ServerDown as exc:
        raise OmtuiError(str(exc)) from exc
    if result.state == "uncertain":
        raise OmtuiError(
            _("the test message was sent but the server never answered: {reply}").format(
                reply=result.reply
            )
        )
    if result.state != "sent":
        raise OmtuiError(_("the test message was refused: {reply}").format(reply=result.reply))
    return message_id


def send_test(db: Database, newsletter_id: int, config: Config, to: str, *, now: datetime) -> str:
    """`send_test_async` in its own event loop (CLI, or a Textual thread worker)."""
    return asyncio.run(send_test_async(db, newsletter_id, config, to, now=now))
