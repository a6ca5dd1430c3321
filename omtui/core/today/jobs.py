"""Whether the automation runs: the cron jobs' last runs, in words, and their alarms."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from omtui.core import runs as runs_mod
from omtui.core.dates import humanize_day
from omtui.core.db import Database
from omtui.core.today.model import Item, JobStatus, Kind, Urgency
from omtui.i18n import _

STALE_AFTER = timedelta(hours=26)
"""A daily cron job not heard of for longer than this has probably stopped."""
WATCHED_JOBS = ("remind", "mailbox", "backup")


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
    when = humanize_day(job.last.finished_at, now, tz)
    if not job.last.ok:
        return _("{job}: failed {when}: {detail}").format(
            job=label, when=when, detail=job.last.detail or _("no detail")
        )
    return _("{job}: last ran {when}").format(job=label, when=when)


def automation_items(jobs: Iterable[JobStatus], now: datetime, tz: ZoneInfo) -> list[Item]:
    """A job that failed, or stopped running (ran before, silent for over a day)."""
    items = []
    for job in jobs:
        if job.last is None or (job.last.ok and not job.stale):
            continue
        if job.last.ok:  # stale
            text = _("{job} has not run since {when}: is its cron job still there?").format(
                job=job_label(job.kind), when=humanize_day(job.last.finished_at, now, tz)
            )
        else:
            text = job_text(job, now, tz)
        items.append(Item(Kind.AUTOMATION, Urgency.NOW, text, None, job.last.finished_at))
    return items
