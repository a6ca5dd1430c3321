"""What the automation did last: each cron job (reminders, mailbox sync, backup, maintenance)
records its runs here, so the organiser sees a job that stopped or failed.

One row per run, kept for `KEEP_DAYS`; `last_runs()` gives the latest run of each kind.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from omtui.core.dates import from_iso, to_iso
from omtui.core.db import Database

KEEP_DAYS = 90
KINDS = ("remind", "mailbox", "backup", "maintenance")
"""The jobs omtui knows; others may be recorded too."""


@dataclass(frozen=True)
class Run:
    """One run of a job: when it started and ended, whether it worked, and what it did."""

    kind: str
    started_at: datetime
    finished_at: datetime
    ok: bool
    detail: str

    def as_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "started_at": to_iso(self.started_at),
            "finished_at": to_iso(self.finished_at),
            "ok": self.ok,
            "detail": self.detail,
        }


def record_run(
    db: Database,
    kind: str,
    *,
    ok: bool,
    detail: str = "",
    started_at: datetime,
    finished_at: datetime,
) -> None:
    """Append one run (and forget runs older than KEEP_DAYS), in its own transaction."""
    with db.transaction():
        db.execute(
            "INSERT INTO automation_runs (kind, started_at, finished_at, ok, detail) "
            "VALUES (?, ?, ?, ?, ?)",
            (kind, to_iso(started_at), to_iso(finished_at), int(ok), detail),
        )
        db.execute(
            "DELETE FROM automation_runs WHERE finished_at < ?",
            (to_iso(finished_at - timedelta(days=KEEP_DAYS)),),
        )


def _run(row: dict) -> Run:
    return Run(
        kind=row["kind"],
        started_at=from_iso(row["started_at"]),
        finished_at=from_iso(row["finished_at"]),
        ok=bool(row["ok"]),
        detail=row["detail"],
    )


def last_runs(db: Database) -> dict[str, Run]:
    """The latest run of each kind that ever ran."""
    rows = db.query(
        "SELECT kind, started_at, finished_at, ok, detail FROM automation_runs r "
        "WHERE id = (SELECT max(id) FROM automation_runs WHERE kind = r.kind)"
    )
    return {row["kind"]: _run(row) for row in rows}


def last_success(db: Database, kind: str) -> Run | None:
    """The latest run of `kind` that worked, if any."""
    row = db.query_one(
        "SELECT kind, started_at, finished_at, ok, detail FROM automation_runs "
        "WHERE kind = ? AND ok = 1 ORDER BY id DESC LIMIT 1",
        (kind,),
    )
    return _run(row) if row else None
