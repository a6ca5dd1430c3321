"""Today: what needs the organiser, and the club at a glance, read in one go.

`overview(db, now=..., tz=...)` computes every figure of the "Aujourd'hui" tab and of
`omtui today`: the items that need her (most urgent first, each with the place that
resolves it), the automation's last runs, the club's figures and where to hold the next
lunch. Reads only; at 100,000 members it takes a few tens of milliseconds (see
tests/benchmarks/test_today.py), so the tab can redraw it whole on every change.

Other modules add their own items (the mailbox's triage, the reminders due tonight) with
`register_source()`: a function of (db, now, tz) returning `Item`s.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from enum import IntEnum, StrEnum
from zoneinfo import ZoneInfo

from omtui.core import runs as runs_mod
from omtui.core import send_lease
from omtui.core.dates import from_iso, humanize_day, to_iso
from omtui.core.db import Database
from omtui.core.labels import event_kind
from omtui.i18n import _, ngettext

GAP_DAYS = 14
DROP_NOTICE = timedelta(hours=48)
FULL_DAYS = 30
PROMOTED_SINCE = timedelta(hours=48)
CHECK_DAYS = 14
NEWSLETTER_DAYS = 30
STALE_AFTER = timedelta(hours=26)
"""A daily cron job not heard of for longer than this has probably stopped."""
WATCHED_JOBS = ("remind", "mailbox", "backup")
NEXT_EVENTS = 5
UNSUB_WINDOW = timedelta(days=7)
ATTENDANCE_MONTHS = 6
LUNCH_MONTHS = 6
LUNCH_CITIES = 5
SPARK_MONTHS = 12


class Urgency(IntEnum):
    """Lower is more urgent; items sort by urgency, then by when."""

    NOW = 0
    SOON = 1
    LATER = 2


class Kind(StrEnum):
    GAP = "gap"
    DROP = "drop"
    FULL = "full"
    PROMOTED = "promoted"
    UNREADY = "unready"
    SEND = "send"
    AUTOMATION = "automation"
    NOTICES = "notices"


@dataclass(frozen=True)
class Target:
    """The place that resolves an item: a tab and the row to select there."""

    tab: str
    event_id: int | None = None
    shift_id: int | None = None
    newsletter_id: int | None = None
    member_id: int | None = None


@dataclass(frozen=True)
class Item:
    """One line of "what needs you"."""

    kind: str
    urgency: Urgency
    text: str
    target: Target | None
    when: datetime | None = None
    action: str = ""
    """An obvious action Enter may offer (with a confirmation), e.g. "confirm_event"."""

    def as_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "urgency": self.urgency.name.lower(),
            "text": self.text,
            "when": to_iso(self.when) if self.when else None,
            "action": self.action,
            "target": asdict(self.target) if self.target else None,
        }


@dataclass(frozen=True)
class JobStatus:
    """The last run of one cron job (None: it never ran)."""

    kind: str
    last: runs_mod.Run | None
    stale: bool

    def as_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "last": self.last.as_dict() if self.last else None,
            "stale": self.stale,
        }


@dataclass(frozen=True)
class MemberFigures:
    total: int
    joined_this_month: int
    unsubscribed_this_month: int
    joined_by_month: tuple[tuple[str, int], ...]
    """(YYYY-MM, members who joined that month), oldest first, the current month last."""


@dataclass(frozen=True)
class NextEvent:
    id: int
    title: str
    kind: str
    city: str
    starts_at: datetime
    registered: int
    capacity: int | None
    waiting: int


@dataclass(frozen=True)
class LastNewsletter:
    id: int
    subject: str
    sent_at: datetime
    sent: int
    failed: int
    unsubscribed_after: int
    """Members who unsubscribed in the 7 days after it was sent."""


@dataclass(frozen=True)
class Attendance:
    kind: str
    events: int
    registered: int
    checked_in: int

    @property
    def rate(self) -> float | None:
        return self.checked_in / self.registered if self.registered else None


@dataclass(frozen=True)
class CityIdea:
    city: str
    members: int


@dataclass(frozen=True)
class Overview:
    now: datetime
    items: tuple[Item, ...]
    jobs: tuple[JobStatus, ...]
    members: MemberFigures
    next_events: tuple[NextEvent, ...]
    last_newsletter: LastNewsletter | None
    attendance: tuple[Attendance, ...]
    lunch_cities: tuple[CityIdea, ...]

    def as_dict(self) -> dict[str, object]:
        return {
            "now": to_iso(self.now),
            "needs_you": [i.as_dict() for i in self.items],
            "automation": [j.as_dict() for j in self.jobs],
            "members": {
                "total": self.members.total,
                "joined_this_month": self.members.joined_this_month,
                "unsubscribed_this_month": self.members.unsubscribed_this_month,
                "joined_by_month": [
                    {"month": m, "joined": n} for m, n in self.members.joined_by_month
                ],
            },
            "next_events": [
                {
                    "id": e.id,
                    "title": e.title,
                    "kind": e.kind,
                    "city": e.city,
                    "starts_at": to_iso(e.starts_at),
                    "registered": e.registered,
                    "capacity": e.capacity,
                    "waiting": e.waiting,
                }
                for e in self.next_events
            ],
            "last_newsletter": (
                {
                    "id": n.id,
                    "subject": n.subject,
                    "sent_at": to_iso(n.sent_at),
                    "sent": n.sent,
                    "failed": n.failed,
                    "unsubscribed_within_7_days": n.unsubscribed_after,
                }
                if (n := self.last_newsletter)
                else None
            ),
            "attendance": [
                {
                    "kind": a.kind,
                    "events": a.events,
                    "registered": a.registered,
                    "checked_in": a.checked_in,
                    "rate": a.rate,
                }
                for a in self.attendance
            ],
            "lunch_cities": [{"city": c.city, "members": c.members} for c in self.lunch_cities],
        }


Source = Callable[[Database, datetime, ZoneInfo], Iterable[Item]]
_SOURCES: list[Source] = []


def register_source(source: Source) -> Source:
    """Add a provider of "needs you" items (usable as a decorator); idempotent."""
    if source not in _SOURCES:
        _SOURCES.append(source)
    return source


# -- what needs you ---------------------------------------------------------------------
def _when(moment: datetime, now: datetime, tz: ZoneInfo) -> str:
    return humanize_day(moment, now, tz)


def gap_items(db: Database, now: datetime, tz: ZoneInfo) -> list[Item]:
    """Shifts in the next 14 days with open places."""
    rows = db.query(
        "SELECT s.id, s.event_id, s.role, s.starts_at, s.needed, e.title,"
        " (SELECT count(*) FROM shift_assignments a"
        "   WHERE a.shift_id = s.id AND a.dropped_at IS NULL) AS filled"
        " FROM shifts s JOIN events e ON e.id = s.event_id"
        " WHERE s.starts_at > ? AND s.starts_at < ? AND e.status != 'cancelled'"
        " ORDER BY s.starts_at, s.id",
        (to_iso(now), to_iso(now + timedelta(days=GAP_DAYS))),
    )
    items = []
    for row in rows:
        missing = row["needed"] - row["filled"]
        if missing <= 0:
            continue
        starts = from_iso(row["starts_at"])
        items.append(
            Item(
                kind=Kind.GAP,
                urgency=Urgency.NOW if starts - now < DROP_NOTICE else Urgency.SOON,
                text=ngettext(
                    "{event}: {role} {when}, {n} volunteer missing",
                    "{event}: {role} {when}, {n} volunteers missing",
                    missing,
                ).format(
                    event=row["title"], role=row["role"], when=_when(starts, now, tz), n=missing
                ),
                target=Target("rota", event_id=row["event_id"], shift_id=row["id"]),
                when=starts,
            )
        )
    return items


def drop_items(db: Database, now: datetime, tz: ZoneInfo) -> list[Item]:
    """Places dropped less than 48 h before their shift, for shifts still ahead."""
    rows = db.query(
        "SELECT s.id, s.event_id, s.role, s.starts_at, e.title, a.dropped_at, a.drop_reason,"
        " m.first_name, m.last_name"
        " FROM shift_assignments a JOIN shifts s ON s.id = a.shift_id"
        " JOIN events e ON e.id = s.event_id JOIN members m ON m.id = a.member_id"
        " WHERE a.dropped_at IS NOT NULL AND s.starts_at > ? AND e.status != 'cancelled'"
        " ORDER BY s.starts_at, a.id",
        (to_iso(now),),
    )
    items = []
    for row in rows:
        starts, dropped = from_iso(row["starts_at"]), from_iso(row["dropped_at"])
        if starts - dropped >= DROP_NOTICE:
            continue
        name = f"{row['first_name']} {row['last_name']}".strip()
        items.append(
            Item(
                kind=Kind.DROP,
                urgency=Urgency.NOW,
                text=_("{name} dropped {role} at {event} ({when}): {reason}").format(
                    name=name,
                    role=row["role"],
                    event=row["title"],
                    when=_when(starts, now, tz),
                    reason=row["drop_reason"] or _("no reason given"),
                ),
                target=Target("rota", event_id=row["event_id"], shift_id=row["id"]),
                when=starts,
            )
        )
    return items


def _event_counts(db: Database, event_ids: list[int]) -> dict[int, dict[str, int]]:
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


def _upcoming_events(db: Database, now: datetime, days: int) -> list[dict]:
    return db.query(
        "SELECT * FROM events WHERE starts_at > ? AND starts_at < ? AND status != 'cancelled'"
        " ORDER BY starts_at, id",
        (to_iso(now), to_iso(now + timedelta(days=days))),
    )


def full_items(db: Database, now: datetime, tz: ZoneInfo) -> list[Item]:
    """Events in the next 30 days that are full, with people waiting."""
    events = [e for e in _upcoming_events(db, now, FULL_DAYS) if e["capacity"]]
    counts = _event_counts(db, [e["id"] for e in events])
    items = []
    for event in events:
        regs = counts[event["id"]]
        registered, waiting = regs.get("registered", 0), regs.get("waiting", 0)
        if registered < event["capacity"] or not waiting:
            continue
        starts = from_iso(event["starts_at"])
        items.append(
            Item(
                kind=Kind.FULL,
                urgency=Urgency.SOON,
                text=ngettext(
                    "{event} ({when}) is full ({registered}/{capacity}), {n} person waiting",
                    "{event} ({when}) is full ({registered}/{capacity}), {n} people waiting",
                    waiting,
                ).format(
                    event=event["title"],
                    when=_when(starts, now, tz),
                    registered=registered,
                    capacity=event["capacity"],
                    n=waiting,
                ),
                target=Target("events", event_id=event["id"]),
                when=starts,
            )
        )
    return items


def promoted_items(db: Database, now: datetime, tz: ZoneInfo) -> list[Item]:
    """Members promoted from a waiting list in the last 48 h: do they still come?"""
    rows = db.query(
        "SELECT r.event_id, r.member_id, r.promoted_at, e.title, e.starts_at,"
        " m.first_name, m.last_name"
        " FROM registrations r JOIN events e ON e.id = r.event_id"
        " JOIN members m ON m.id = r.member_id"
        " WHERE r.promoted_at >= ? AND r.status = 'registered' AND e.starts_at > ?"
        " AND e.status != 'cancelled' ORDER BY e.starts_at, r.promoted_at",
        (to_iso(now - PROMOTED_SINCE), to_iso(now)),
    )
    return [
        Item(
            kind=Kind.PROMOTED,
            urgency=Urgency.SOON,
            text=_(
                "{name} got a place at {event} ({when}) from the waiting list {promoted}:"
                " still coming?"
            ).format(
                name=f"{row['first_name']} {row['last_name']}".strip(),
                event=row["title"],
                when=_when(from_iso(row["starts_at"]), now, tz),
                promoted=_when(from_iso(row["promoted_at"]), now, tz),
            ),
            target=Target("events", event_id=row["event_id"], member_id=row["member_id"]),
            when=from_iso(row["starts_at"]),
        )
        for row in rows
    ]


def unready_items(db: Database, now: datetime, tz: ZoneInfo) -> list[Item]:
    """Events in the next 14 days not confirmed, or without a host, an address or a link."""
    items = []
    for event in _upcoming_events(db, now, CHECK_DAYS):
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
        only_unconfirmed = problems == [_("not confirmed")]
        items.append(
            Item(
                kind=Kind.UNREADY,
                urgency=Urgency.NOW if starts - now < timedelta(days=3) else Urgency.SOON,
                text=_("{event} ({when}): {problems}").format(
                    event=event["title"], when=_when(starts, now, tz), problems=", ".join(problems)
                ),
                target=Target("events", event_id=event["id"]),
                when=starts,
                action="confirm_event" if only_unconfirmed else "",
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
    items = []
    clock = time.time()  # leases are renewed on the wall clock, not the club's `now`
    for row in rows:
        subject = row["subject"] or _("(no subject)")
        target = Target("newsletter", newsletter_id=row["id"])
        counts = {
            state: db.scalar(
                "SELECT count(*) AS n FROM outbox WHERE newsletter_id = ? AND state = ?",
                (row["id"], state),
            )
            for state in ("failed", "uncertain", "queued")
        }
        when = (
            from_iso(row["sent_at"] or row["send_started_at"])
            if (row["sent_at"] or row["send_started_at"])
            else None
        )
        if row["status"] == "paused":
            items.append(
                Item(
                    Kind.SEND,
                    Urgency.NOW,
                    ngettext(
                        "Newsletter “{subject}” is paused, {n} recipient left: {reason}",
                        "Newsletter “{subject}” is paused, {n} recipients left: {reason}",
                        counts["queued"],
                    ).format(
                        subject=subject,
                        n=counts["queued"],
                        reason=row["pause_reason"] or _("no reason given"),
                    ),
                    target,
                    when,
                    action="resume_send",
                )
            )
        elif row["status"] == "sending":
            if send_lease.is_held(db, row["id"], now=clock):
                continue  # being sent right now
            items.append(
                Item(
                    Kind.SEND,
                    Urgency.NOW,
                    ngettext(
                        "Newsletter “{subject}” was interrupted, {n} recipient left",
                        "Newsletter “{subject}” was interrupted, {n} recipients left",
                        counts["queued"],
                    ).format(subject=subject, n=counts["queued"]),
                    target,
                    when,
                    action="resume_send",
                )
            )
        if counts["uncertain"]:
            items.append(
                Item(
                    Kind.SEND,
                    Urgency.SOON,
                    ngettext(
                        "Newsletter “{subject}”: {n} recipient uncertain (maybe sent)",
                        "Newsletter “{subject}”: {n} recipients uncertain (maybe sent)",
                        counts["uncertain"],
                    ).format(subject=subject, n=counts["uncertain"]),
                    target,
                    when,
                )
            )
        if counts["failed"]:
            items.append(
                Item(
                    Kind.SEND,
                    Urgency.LATER,
                    ngettext(
                        "Newsletter “{subject}”: {n} recipient failed",
                        "Newsletter “{subject}”: {n} recipients failed",
                        counts["failed"],
                    ).format(subject=subject, n=counts["failed"]),
                    target,
                    when,
                )
            )
    return items


def job_statuses(db: Database, now: datetime) -> tuple[JobStatus, ...]:
    last = runs_mod.last_runs(db)
    return tuple(
        JobStatus(
            kind,
            last.get(kind),
            stale=kind in last and now - last[kind].finished_at > STALE_AFTER,
        )
        for kind in WATCHED_JOBS
    )


def job_label(kind: str) -> str:
    labels = {
        "remind": _("Reminders"),
        "mailbox": _("Mailbox sync"),
        "backup": _("Backup"),
        "maintenance": _("Maintenance"),
    }
    return labels.get(kind, kind)


def job_text(job: JobStatus, now: datetime, tz: ZoneInfo) -> str:
    """ "Backup: last ran today at 03:00, failed: disk full" and the like."""
    label = job_label(job.kind)
    if job.last is None:
        return _("{job}: never ran").format(job=label)
    when = _when(job.last.finished_at, now, tz)
    if not job.last.ok:
        return _("{job}: failed {when}: {detail}").format(
            job=label, when=when, detail=job.last.detail or _("no detail")
        )
    return _("{job}: last ran {when}").format(job=label, when=when)


def automation_items(jobs: Iterable[JobStatus], now: datetime, tz: ZoneInfo) -> list[Item]:
    """A job that failed, or stopped running (ran before, silent for over a day)."""
    items = []
    for job in jobs:
        if job.last is None:
            continue
        if not job.last.ok:
            items.append(
                Item(
                    Kind.AUTOMATION, Urgency.NOW, job_text(job, now, tz), None, job.last.finished_at
                )
            )
        elif job.stale:
            items.append(
                Item(
                    Kind.AUTOMATION,
                    Urgency.NOW,
                    _("{job} has not run since {when}: is its cron job still there?").format(
                        job=job_label(job.kind), when=_when(job.last.finished_at, now, tz)
                    ),
                    None,
                    job.last.finished_at,
                )
            )
    return items


# -- the club at a glance ---------------------------------------------------------------
def _month_start(day: date, tz: ZoneInfo, back: int = 0) -> datetime:
    year, month = day.year, day.month - back
    while month < 1:
        month += 12
        year -= 1
    return datetime(year, month, 1, tzinfo=tz)


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
    today = now.astimezone(tz).date()
    # count(*) of a whole table is SQLite's fast path; the archived are few (partial index)
    total = db.scalar("SELECT count(*) FROM members") - db.scalar(
        "SELECT count(*) FROM members WHERE archived_at IS NOT NULL"
    )
    starts = [_month_start(today, tz, back) for back in range(SPARK_MONTHS - 1, -1, -1)]
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
    counts = _event_counts(db, [r["id"] for r in rows])
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

    def count(state: str) -> int:
        return db.scalar(
            "SELECT count(*) AS n FROM outbox WHERE newsletter_id = ? AND state = ?",
            (row["id"], state),
        )

    unsubscribed = unsubscribes(db, sent_at, sent_at + UNSUB_WINDOW)
    return LastNewsletter(
        row["id"], row["subject"], sent_at, count("sent"), count("failed"), unsubscribed
    )


def attendance(db: Database, now: datetime, tz: ZoneInfo) -> tuple[Attendance, ...]:
    since = _month_start(now.astimezone(tz).date(), tz, ATTENDANCE_MONTHS)
    rows = db.query(
        "SELECT e.kind, count(DISTINCT e.id) AS events,"
        " count(r.id) AS registered, count(r.attended_at) AS checked_in"
        " FROM events e LEFT JOIN registrations r"
        "   ON r.event_id = e.id AND r.status = 'registered'"
        " WHERE e.starts_at >= ? AND e.starts_at < ? AND e.status != 'cancelled'"
        " GROUP BY e.kind ORDER BY e.kind",
        (to_iso(since), to_iso(now)),
    )
    return tuple(Attendance(r["kind"], r["events"], r["registered"], r["checked_in"]) for r in rows)


def lunch_cities(db: Database, now: datetime, tz: ZoneInfo) -> tuple[CityIdea, ...]:
    """Cities with the most members and no event in the last 6 months (nor one planned)."""
    since = _month_start(now.astimezone(tz).date(), tz, LUNCH_MONTHS)
    visited = {
        r["city"].strip().casefold()
        for r in db.query(
            "SELECT DISTINCT city FROM events WHERE starts_at >= ? AND status != 'cancelled'",
            (to_iso(since),),
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


# -- all together -------------------------------------------------------------------------
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
    items = [*automation_items(jobs, now, tz)]
    for source in (*_ITEM_SOURCES, *_SOURCES):
        items.extend(source(db, now, tz))
    far = now + timedelta(days=3650)
    return sorted(items, key=lambda i: (i.urgency, i.when or far))


def overview(db: Database, *, now: datetime, tz: ZoneInfo) -> Overview:
    """Every figure of the overview, read in one transaction (one consistent snapshot)."""
    with db.transaction(immediate=False):
        jobs = job_statuses(db, now)
        return Overview(
            now=now,
            items=tuple(needs_you(db, now, tz, jobs)),
            jobs=jobs,
            members=member_figures(db, now, tz),
            next_events=next_events(db, now),
            last_newsletter=last_newsletter(db),
            attendance=attendance(db, now, tz),
            lunch_cities=lunch_cities(db, now, tz),
        )


def event_kind_label(kind: str) -> str:
    return event_kind(kind)
