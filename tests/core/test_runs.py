"""core/runs: the last run of each job, kept for KEEP_DAYS."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from omtui.core import runs
from omtui.core.db import open_database


def test_last_runs_keeps_the_latest_of_each_kind_and_forgets_old_ones(tmp_path) -> None:
    db = open_database(tmp_path / "club.db")
    t0 = datetime(2026, 11, 1, 3, 0, tzinfo=UTC)
    runs.record_run(db, "remind", ok=True, detail="3 sent", started_at=t0, finished_at=t0)
    later = t0 + timedelta(minutes=15)
    runs.record_run(
        db, "remind", ok=False, detail="relay down", started_at=later, finished_at=later
    )
    runs.record_run(db, "backup", ok=True, started_at=t0, finished_at=t0)
    last = runs.last_runs(db)
    assert (last["remind"].ok, last["remind"].detail) == (False, "relay down")
    assert last["backup"].ok and "mailbox" not in last
    assert runs.last_success(db, "remind").detail == "3 sent"  # type: ignore[union-attr]
    much_later = t0 + timedelta(days=runs.KEEP_DAYS + 1)
    runs.record_run(db, "backup", ok=True, started_at=much_later, finished_at=much_later)
    assert runs.last_success(db, "remind") is None
    assert db.scalar("SELECT count(*) FROM automation_runs") == 1
    db.close()
