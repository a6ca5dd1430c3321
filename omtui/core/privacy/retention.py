"""Retention rules, run from cron by `omtui maintenance` (run kind "maintenance").

Sent mails older than `[privacy] outbox_days` lose their recipient's address, name and
token (the row stays, so newsletter statistics stay right); members archived more than
`[privacy] archived_days` ago are listed for the organiser to erase (an erasure is a
person's decision, not a timer's).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from omtui.config import PrivacyConfig
from omtui.core import audit, runs
from omtui.core.dates import to_iso, utcnow
from omtui.core.db import Database
from omtui.core.members import Member
from omtui.core.privacy.erase import checkpoint


@dataclass
class MaintenanceReport:
    outbox_cleared: int = 0
    to_erase: list[Member] = field(default_factory=list)
    checkpoint_pending: bool = False


def clear_old_outbox(db: Database, days: int, *, now: datetime) -> int:
    """Blank the address of outbox rows finished more than `days` ago."""
    cutoff = to_iso(now - timedelta(days=days))
    db.execute("PRAGMA secure_delete = ON")
    with db.transaction():
        cursor = db.execute(
            "UPDATE outbox SET email = 'forgotten-' || id || '@erased.invalid', "
            "first_name = '', last_name = '', token = '', reply = '' "
            "WHERE coalesce(sent_at, updated_at) < ? AND state NOT IN ('queued', 'sending') "
            "AND email NOT LIKE '%@erased.invalid'",
            (cutoff,),
        )
        count = cursor.rowcount
        if count:
            audit.record(db, "retention.outbox", "outbox", detail=str(count), now=now)
    return count


def archived_to_erase(db: Database, days: int, *, now: datetime) -> list[Member]:
    cutoff = to_iso(now - timedelta(days=days))
    rows = db.query(
        "SELECT * FROM members WHERE archived_at IS NOT NULL AND archived_at < ? "
        "AND erased_at IS NULL ORDER BY archived_at",
        (cutoff,),
    )
    return [Member.from_row(r) for r in rows]


def run_maintenance(db: Database, config: PrivacyConfig, *, now: datetime) -> MaintenanceReport:
    started = utcnow()
    report = MaintenanceReport()
    try:
        report.outbox_cleared = clear_old_outbox(db, config.outbox_days, now=now)
        report.to_erase = archived_to_erase(db, config.archived_days, now=now)
        report.checkpoint_pending = not checkpoint(db)
    except Exception as exc:
        runs.record_run(
            db, "maintenance", ok=False, detail=str(exc), started_at=started, finished_at=utcnow()
        )
        raise
    detail = f"outbox:{report.outbox_cleared} to_erase:{len(report.to_erase)}"
    runs.record_run(
        db, "maintenance", ok=True, detail=detail, started_at=started, finished_at=utcnow()
    )
    return report
