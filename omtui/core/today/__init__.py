"""Today: what needs the organiser, and the club at a glance, read in one go.

`overview(db, now=..., tz=...)` computes every figure of the "Aujourd'hui" tab and of
`omtui today`: the items that need her (most urgent first, each with the place that
resolves it), the automation's last runs, the club's figures and where to hold the next
lunch. Reads only; at 100,000 members it takes a few tens of milliseconds (see
tests/benchmarks/test_today.py), so the tab can redraw it whole on every change.

Other modules add their own items (the mailbox's triage, the reminders due tonight) with
`register_source()`: a function of (db, now, tz) returning `Item`s.

The parts: `model` (the dataclasses), `items` (what needs you), `jobs` (whether the
automation runs), `glance` (the club's figures), `reads` (queries they share). Their
public names are all here: `from omtui.core import today; today.Item`. Like the rest of
the first screen's read (omtui/tui/first_read.py), they import no mail, rota, events or
members module at load time (the sources that need one import it when they run).
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from omtui.core.db import Database
from omtui.core.today.glance import (
    ATTENDANCE_MONTHS,
    LUNCH_CITIES,
    LUNCH_MONTHS,
    NEXT_EVENTS,
    SPARK_MONTHS,
    UNSUB_WINDOW,
    attendance,
    last_newsletter,
    lunch_cities,
    member_figures,
    next_events,
    unsubscribes,
)
from omtui.core.today.items import (
    _SOURCES,
    CHECK_DAYS,
    DROP_NOTICE,
    FULL_DAYS,
    GAP_DAYS,
    NEWSLETTER_DAYS,
    PROMOTED_SINCE,
    drop_items,
    full_items,
    gap_items,
    needs_you,
    notice_items,
    promoted_items,
    register_source,
    reminders_tonight_items,
    send_items,
    triage_items,
    unready_items,
)
from omtui.core.today.jobs import (
    STALE_AFTER,
    WATCHED_JOBS,
    automation_items,
    job_label,
    job_statuses,
    job_text,
)
from omtui.core.today.model import (
    Attendance,
    CityIdea,
    Item,
    JobStatus,
    Kind,
    LastNewsletter,
    MemberFigures,
    NextEvent,
    Overview,
    Source,
    Target,
    Urgency,
)

__all__ = [
    "ATTENDANCE_MONTHS",
    "CHECK_DAYS",
    "DROP_NOTICE",
    "FULL_DAYS",
    "GAP_DAYS",
    "LUNCH_CITIES",
    "LUNCH_MONTHS",
    "NEWSLETTER_DAYS",
    "NEXT_EVENTS",
    "PROMOTED_SINCE",
    "SPARK_MONTHS",
    "STALE_AFTER",
    "UNSUB_WINDOW",
    "WATCHED_JOBS",
    "_SOURCES",
    "Attendance",
    "CityIdea",
    "Item",
    "JobStatus",
    "Kind",
    "LastNewsletter",
    "MemberFigures",
    "NextEvent",
    "Overview",
    "Source",
    "Target",
    "Urgency",
    "attendance",
    "automation_items",
    "drop_items",
    "full_items",
    "gap_items",
    "job_label",
    "job_statuses",
    "job_text",
    "last_newsletter",
    "lunch_cities",
    "member_figures",
    "needs_you",
    "next_events",
    "notice_items",
    "overview",
    "promoted_items",
    "register_source",
    "reminders_tonight_items",
    "send_items",
    "triage_items",
    "unready_items",
    "unsubscribes",
]


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
