"""What needs the organiser: one source of lines per kind of situation (a shift with open
places, a late drop, a full event, a paused send...), each line pointing at the place that
resolves it; `needs_you()` puts them together, most urgent first.

Other modules add their own lines with `register_source()`: a function of (db, now, tz)
returning `Item`s.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from omtui.core import send_lease
from omtui.core.dates import from_iso, humanize_day, to_iso
from omtui.core.db import Database
from omtui.core.today.jobs import automation_items
from omtui.core.today.model import Item, JobStatus, Kind, Source, Target, Urgency
from omtui.core.today.reads import event_counts, outbox_count, upcoming_events
from omtui.i18n import _, ngettext

GAP_DAYS = 14
DROP_NOTICE = timedelta(hours=48)
FULL_DAYS = 30
PROMOTED_SINCE = timedelta(hours=48)
CHECK_DAYS = 14
NEWSLETTER_DAYS = 30
UNREADY_NOTICE = timedelta(days=3)
"""An event this close that is not ready is urgent."""

_SOURCES: list[Source] = []


def register_source(source: Source) -> Source:
    """Add a provider of "needs you" items (usable as a decorator); idempotent."""
    if source not in _SOURCES:
        _SOURCES.append(source)
    return source


def _urgency(starts: datetime, now: datetime, notice: timedelta) -> Urgency:
    """NOW when `starts` is less than `notice` away, else SOON."""
    return Urgency.NOW if starts - now < notice else Urgency.SOON


def _name(row: dict) -> str:
    return f"{row['first_name']} {row['last_name']}".strip()


def _shift(row: dict) -> Target:
    """The Rota row of the shift `row` (its "id" and "event_id")."""
    return Target("rota", event_id=row["event_id"], shift_id=row["id"])


def gap_items(db: Database, now: datetime, tz: ZoneInfo) -> list[Item]:
    """Shifts in the next 14 days with open places."""
    rows = db.query(
        """
        SELECT s.id, s.event_id, s.role, s.starts_at, s.needed, e.title,
            (SELECT count(*) FROM shift_assignments a
              WHERE a.shift_id = s.id AND a.dropped_at IS NULL) AS filled
        FROM shifts s JOIN events e ON e.id = s.event_id
        WHERE s.starts_at > ? AND s.starts_at < ? AND e.status != 'cancelled'
        ORDER BY s.starts_at, s.id
        """,
        (to_iso(now), to_iso(now + timedelta(days=GAP_DAYS))),
    )
    return [_gap_line(row, now, tz) for row in rows if row["needed"] > row["filled"]]


def _gap_line(shift: dict, now: datetime, tz: ZoneInfo) -> Item:
    missing = shift["needed"] - shift["filled"]
    starts = from_iso(shift["starts_at"])
    text = ngettext(
        "{event}: {role} {when}, {n} volunteer missing",
        "{event}: {role} {when}, {n} volunteers missing",
        missing,
    ).format(
        event=shift["title"], role=shift["role"], when=humanize_day(starts, now, tz), n=missing
    )
    return Item(Kind.GAP, _urgency(starts, now, DROP_NOTICE), text, _shift(shift), starts)


def drop_items(db: Database, now: datetime, tz: ZoneInfo) -> list[Item]:
    """Places dropped less than 48 h before their shift, for shifts still ahead."""
    rows = db.query(
        """
        SELECT s.id, s.event_id, s.role, s.starts_at, e.title, a.dropped_at, a.drop_reason,
            m.first_name, m.last_name
        FROM shift_assignments a JOIN shifts s ON s.id = a.shift_id
            JOIN events e ON e.id = s.event_id JOIN members m ON m.id = a.member_id
        WHERE a.dropped_at IS NOT NULL AND s.starts_at > ? AND e.status != 'cancelled'
        ORDER BY s.starts_at, a.id
        """,
        (to_iso(now),),
    )
    late = [r for r in rows if from_iso(r["starts_at"]) - from_iso(r["dropped_at"]) < DROP_NOTICE]
    return [_drop_line(row, now, tz) for row in late]


def _drop_line(drop: dict, now: datetime, tz: ZoneInfo) -> Item:
    starts = from_iso(drop["starts_at"])
    text = _("{name} dropped {role} at {event} ({when}): {reason}").format(
        name=_name(drop),
        role=drop["role"],
        event=drop["title"],
        when=humanize_day(starts, now, tz),
        reason=drop["drop_reason"] or _("no reason given"),
    )
    return Item(Kind.DROP, Urgency.NOW, text, _shift(drop), starts)


def full_items(db: Database, now: datetime, tz: ZoneInfo) -> list[Item]:
    """Events in the next 30 days that are full, with people waiting."""
    events = [e for e in upcoming_events(db, now, FULL_DAYS) if e["capacity"]]
    counts = event_counts(db, [e["id"] for e in events])
    return [
        _full_line(event, registered, waiting, now, tz)
        for event in events
        if (registered := counts[event["id"]].get("registered", 0)) >= event["capacity"]
        and (waiting := counts[event["id"]].get("waiting", 0))
    ]


def _full_line(event: dict, registered: int, waiting: int, now: datetime, tz: ZoneInfo) -> Item:
    starts = from_iso(event["starts_at"])
    text = ngettext(
        "{event} ({when}) is full ({registered}/{capacity}), {n} person waiting",
        "{event} ({when}) is full ({registered}/{capacity}), {n} people waiting",
        waiting,
    ).format(
        event=event["title"],
        when=humanize_day(starts, now, tz),
        registered=registered,
        capacity=event["capacity"],
        n=waiting,
    )
    return Item(Kind.FULL, Urgency.SOON, text, Target("events", event_id=event["id"]), starts)


def promoted_items(db: Database, now: datetime, tz: ZoneInfo) -> list[Item]:
    """Members promoted from a waiting list in the last 48 h: do they still come?"""
    rows = db.query(
        """
        SELECT r.event_id, r.member_id, r.promoted_at, e.title, e.starts_at,
            m.first_name, m.last_name
        FROM registrations r JOIN events e ON e.id = r.event_id
            JOIN members m ON m.id = r.member_id
        WHERE r.promoted_at >= ? AND r.status = 'registered' AND e.starts_at > ?
            AND e.status != 'cancelled'
        ORDER BY e.starts_at, r.promoted_at
        """,
        (to_iso(now - PROMOTED_SINCE), to_iso(now)),
    )
    return [_promoted_line(row, now, tz) for row in rows]


def _promoted_line(registration: dict, now: datetime, tz: ZoneInfo) -> Item:
    starts = from_iso(registration["starts_at"])
    text = _(
        "{name} got a place at {event} ({when}) from the waiting list {promoted}: still coming?"
    ).format(
        name=_name(registration),
        event=registration["title"],
        when=humanize_day(starts, now, tz),
        promoted=humanize_day(from_iso(registration["promoted_at"]), now, tz),
    )
    target = Target(
        "events", event_id=registration["event_id"], member_id=registration["member_id"]
    )
    return Item(Kind.PROMOTED, Urgency.SOON, text, target, starts)


def unready_items(db: Database, now: datetime, tz: ZoneInfo) -> list[Item]:
    """Events in the next 14 days not confirmed, or without a host, an address or a link."""
    items = []
    for event in upcoming_events(db, now, CHECK_DAYS):
        online = event["kind"] == "webinar"
        problems = []
        if event["status"] != "confirmed":
            problems.append(_("not confirmed"))
        if not online and event["host_member_id"] is None and not event["host_company"]:
            problems.append(_("no host"))
        if not online and not event["address"]:
            problems.append(_("no address"))
        if online and not event["online_url"]:
            problems.append(_("no link"))
        if not problems:
            continue
        starts = from_iso(event["starts_at"])
        text = _("{event} ({when}): {problems}").format(
            event=event["title"], when=humanize_day(starts, now, tz), problems=", ".join(problems)
        )
        items.append(
            Item(
                Kind.UNREADY,
                _urgency(starts, now, UNREADY_NOTICE),
                text,
                Target("events", event_id=event["id"]),
                starts,
                action="confirm_event" if problems == [_("not confirmed")] else "",
            )
        )
    return items


def send_items(db: Database, now: datetime, tz: ZoneInfo) -> list[Item]:
    """Sends paused or interrupted, and recent sends with failed or uncertain recipients."""
    rows = db.query(
        "SELECT id, subject, status, pause_reason, sent_at, send_started_at FROM newsletters"
        " WHERE status IN ('sending', 'paused')"
        " OR (status = 'sent' AND sent_at >= ?) ORDER BY id",
        (to_iso(now - timedelta(days=NEWSLETTER_DAYS)),),
    )
    clock = time.time()  # leases are renewed on the wall clock, not the club's `now`
    return [
        item
        for row in rows
        # a send whose lease is held is being sent right now
        if not (row["status"] == "sending" and send_lease.is_held(db, row["id"], now=clock))
        for item in _send_lines(db, row)
    ]


def _send_lines(db: Database, row: dict) -> Iterator[Item]:
    """The lines of one newsletter's send (not being sent right now)."""
    subject = row["subject"] or _("(no subject)")
    started = row["sent_at"] or row["send_started_at"]
    when = from_iso(started) if started else None
    target = Target("newsletter", newsletter_id=row["id"])

    def line(urgency: Urgency, text: str, action: str = "") -> Item:
        return Item(Kind.SEND, urgency, text, target, when, action)

    queued, uncertain, failed = (
        outbox_count(db, row["id"], state) for state in ("queued", "uncertain", "failed")
    )
    if row["status"] == "paused":
        text = ngettext(
            "Newsletter “{subject}” is paused, {n} recipient left: {reason}",
            "Newsletter “{subject}” is paused, {n} recipients left: {reason}",
            queued,
        ).format(subject=subject, n=queued, reason=row["pause_reason"] or _("no reason given"))
        yield line(Urgency.NOW, text, action="resume_send")
    elif row["status"] == "sending":
        text = ngettext(
            "Newsletter “{subject}” was interrupted, {n} recipient left",
            "Newsletter “{subject}” was interrupted, {n} recipients left",
            queued,
        ).format(subject=subject, n=queued)
        yield line(Urgency.NOW, text, action="resume_send")
    doubtful = ngettext(
        "Newsletter “{subject}”: {n} recipient uncertain (maybe sent)",
        "Newsletter “{subject}”: {n} recipients uncertain (maybe sent)",
        uncertain,
    )
    lost = ngettext(
        "Newsletter “{subject}”: {n} recipient failed",
        "Newsletter “{subject}”: {n} recipients failed",
        failed,
    )
    for n, urgency, text in ((uncertain, Urgency.SOON, doubtful), (failed, Urgency.LATER, lost)):
        if n:
            yield line(urgency, text.format(subject=subject, n=n))


def triage_items(db: Database, now: datetime, tz: ZoneInfo) -> list[Item]:
    """Mail the mailbox sync did not understand: bounces, requests and replies to read."""
    from omtui.core.mail import triage

    count = triage.count_open(db)
    if not count:
        return []
    text = ngettext(
        "{n} message from the club's mailbox waits in triage (Ctrl+T opens it)",
        "{n} messages from the club's mailbox wait in triage (Ctrl+T opens them)",
        count,
    ).format(n=count)
    return [Item("triage", Urgency.SOON, text, None)]


def reminders_tonight_items(db: Database, now: datetime, tz: ZoneInfo) -> list[Item]:
    """Reminders `omtui remind` will send before tomorrow 06:00 (default lead times)."""
    from omtui.config import RemindersConfig
    from omtui.core.mail import reminders

    local = now.astimezone(tz)
    morning = datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), tz)
    morning += timedelta(hours=6)
    hours = max(0.0, (morning - now).total_seconds() / 3600)
    due = reminders.upcoming(db, RemindersConfig(), now=now, tz=tz, days=hours / 24)
    people = sum(n for _due, _kind, _event, n in due)
    if not people:
        return []
    text = ngettext(
        "{n} reminder goes out before tomorrow morning (omtui remind, from cron)",
        "{n} reminders go out before tomorrow morning (omtui remind, from cron)",
        people,
    ).format(n=people)
    return [Item("reminders_due", Urgency.LATER, text, None, when=due[0][0])]


def notice_items(db: Database, now: datetime, tz: ZoneInfo) -> list[Item]:
    """Cancellation notices queued and not sent: members who still think they are coming.

    Enter offers to send them now; otherwise the next `omtui remind` does."""
    count = int(
        db.scalar("SELECT count(*) FROM reminders WHERE kind = 'cancellation' AND state = 'queued'")
        or 0
    )
    if not count:
        return []
    text = ngettext(
        "{n} member still has to be told an event is cancelled (Enter sends the notice)",
        "{n} members still have to be told their event is cancelled (Enter sends the notices)",
        count,
    ).format(n=count)
    return [Item(Kind.NOTICES, Urgency.SOON, text, None, action="send_notices")]


_ITEM_SOURCES: tuple[Source, ...] = (
    drop_items,
    gap_items,
    full_items,
    promoted_items,
    unready_items,
    send_items,
    triage_items,
    notice_items,
    reminders_tonight_items,
)


def needs_you(db: Database, now: datetime, tz: ZoneInfo, jobs: Iterable[JobStatus]) -> list[Item]:
    """Every line, the automation's alarms first, sorted most urgent then soonest first."""
    items = [*automation_items(jobs, now, tz)]
    for source in (*_ITEM_SOURCES, *_SOURCES):
        items.extend(source(db, now, tz))
    far = now + timedelta(days=3650)
    return sorted(items, key=lambda i: (i.urgency, i.when or far))
