"""core/privacy: backups while others write, rotation, refused files, restore with
erasure replay."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from omtui.config import BackupConfig
from omtui.core import members, runs
from omtui.core.db import Database, open_database
from omtui.core.privacy import backup as bk
from omtui.core.privacy import erase, jobs
from omtui.errors import DatabaseDamaged, DatabaseError, ForeignDatabase

NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)

WRITER = r"""
import sys
from datetime import UTC, datetime
from omtui.core.db import open_database
from omtui.core import members
db = open_database(sys.argv[1])
now = datetime(2026, 11, 26, tzinfo=UTC)
i = 0
while True:
    # one member and its consent event in one transaction: a consistent copy has
    # exactly one consent event per member
    members.add_member(db, {"email": f"w{i}@example.org", "last_name": f"W{i}"}, now=now)
    i += 1
    if i == 20:
        print("writing", flush=True)
"""


def _add(db: Database, n: int, prefix: str = "m") -> None:
    for i in range(n):
        members.add_member(db, {"email": f"{prefix}{i}@example.org", "last_name": "X"}, now=NOW)


def _consistent(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        orphans = conn.execute(
            "SELECT count(*) FROM members m WHERE (SELECT count(*) FROM consent_events c "
            "WHERE c.member_id = m.id) != 1"
        ).fetchone()[0]
        assert orphans == 0
        return conn.execute("SELECT count(*) FROM members").fetchone()[0]
    finally:
        conn.close()


def test_backup_while_another_process_writes_restores_consistent(tmp_path: Path) -> None:
    db = open_database(tmp_path / "club.db")
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(db.path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert writer.stdout is not None and writer.stdout.readline() == "writing\n"
        copies = [
            bk.take_backup(db, tmp_path / "bk", now=NOW + timedelta(seconds=i), force=True).path
            for i in range(3)
        ]
    finally:
        writer.kill()
        writer.wait()
    counts = [_consistent(p) for p in copies if p is not None]
    assert len(counts) == 3 and counts[0] >= 20 and counts == sorted(counts)
    for path in copies:
        assert path is not None and path.stat().st_mode & 0o077 == 0
        assert bk.check_backup(path) > 0
    jobs.restore(db, BackupConfig(dir=str(tmp_path / "bk")), copies[1], now=NOW)  # type: ignore[arg-type]
    db.close()
    assert _consistent(tmp_path / "club.db") == counts[1]
    assert open_database(tmp_path / "club.db").scalar("SELECT count(*) FROM members") == counts[1]


def test_backup_only_when_the_data_changed_and_records_its_run(db: Database, tmp_path) -> None:
    config = BackupConfig(dir=str(tmp_path / "bk"))
    _add(db, 2)
    first = jobs.run_backup(db, config, now=NOW)
    assert first.path is not None and "2026-11-26" in first.path.name
    assert jobs.run_backup(db, config, now=NOW + timedelta(hours=1)).path is None  # no change
    _add(db, 1, "late")
    assert jobs.run_backup(db, config, now=NOW + timedelta(hours=2)).path is not None
    last = runs.last_runs(db)["backup"]
    assert last.ok


def test_rotation_keeps_daily_weekly_monthly(db: Database, tmp_path) -> None:
    folder = tmp_path / "bk"
    for day in range(60):
        bk.take_backup(db, folder, now=NOW - timedelta(days=day), force=True)
    kept = bk.rotate(folder, db.path, bk.Rotation(daily=3, weekly=2, monthly=2))
    names = sorted(p.name for p in folder.glob("club-*.db"))
    assert len(kept) > 0
    # 3 days + the newest of last week's + the newest of last month: 5 distinct copies
    assert len(names) == 5, names


def test_damaged_foreign_and_not_sqlite_files_are_refused(db: Database, tmp_path) -> None:
    _add(db, 30)
    copy = bk.take_backup(db, tmp_path / "bk", now=NOW).path
    assert copy is not None
    damaged = tmp_path / "damaged.db"
    data = bytearray(copy.read_bytes())
    page = 4096
    data[page * 2 : page * 3] = b"\xff" * page
    damaged.write_bytes(bytes(data))
    truncated = tmp_path / "truncated.db"
    truncated.write_bytes(copy.read_bytes()[: len(data) // 2])
    foreign = tmp_path / "foreign.db"
    sqlite3.connect(foreign).execute("CREATE TABLE t (x)").connection.commit()
    text = tmp_path / "notes.db"
    text.write_text("hello")
    before = db.scalar("SELECT count(*) FROM members")
    for path, error in (
        (damaged, DatabaseDamaged),
        (truncated, DatabaseDamaged),
        (foreign, ForeignDatabase),
        (text, DatabaseError),
    ):
        with pytest.raises(error) as info:
            jobs.restore(db, BackupConfig(dir=str(tmp_path / "bk")), path, now=NOW)
        assert "nothing was changed" in str(info.value) and "\n" not in str(info.value)
    assert db.scalar("SELECT count(*) FROM members") == before
    assert len(list((tmp_path / "bk").glob("*before-restore*"))) == 0


def test_restore_erases_again_who_was_erased_after_the_backup(db: Database, tmp_path) -> None:
    config = BackupConfig(dir=str(tmp_path / "bk"))
    _add(db, 3)
    old = jobs.run_backup(db, config, now=NOW).path
    assert old is not None
    target = members.find_by_email(db, "m1@example.org")
    assert target is not None
    erase.erase_member(db, target.id, now=NOW + timedelta(hours=1))
    result = jobs.restore(db, config, old, now=NOW + timedelta(hours=2))
    assert result.erased_again == [target.id] and result.previous is not None
    assert members.find_by_email(db, "m1@example.org") is None
    assert members.find_by_email(db, "m0@example.org") is not None
    assert erase.is_erased(db, "M1@Example.org")
    actions = [r[0] for r in db.execute("SELECT action FROM audit_log ORDER BY id")]
    assert "member.erase" in actions and actions[-2:] == ["member.erase-again", "restore"]
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    for name in (db.path, Path(f"{db.path}-wal")):
        if name.exists():
            assert b"m1@example.org" not in name.read_bytes()


def test_restore_of_a_backup_from_before_the_privacy_schema(db: Database, tmp_path) -> None:
    """An older backup is migrated after the copy, gets its own erasure key, and the
    live erasure log (another key) still erases who was erased since."""
    from omtui.core import migrations

    _add(db, 2)
    gone = members.find_by_email(db, "m0@example.org")
    assert gone is not None
    # the old backup holds m0 and m1, as an omtui database of an older schema
    src = open_database(tmp_path / "src.db")
    _add(src, 2)
    src.close()
    copy = tmp_path / "old-backup.db"
    raw = sqlite3.connect(tmp_path / "src.db")
    raw.execute("VACUUM INTO ?", (str(copy),))
    raw.close()
    raw = sqlite3.connect(copy, isolation_level=None)
    for sql in (
        "DROP TABLE erasures",
        "DROP TABLE privacy_keys",
        "DROP TRIGGER audit_log_no_update",
        "DROP TRIGGER audit_log_no_delete",
        "DROP TABLE audit_log",
        "ALTER TABLE members DROP COLUMN erased_at",
        "ALTER TABLE registrations DROP COLUMN cancelled_with_event",
        "ALTER TABLE events DROP COLUMN arrive_before",  # _016_event_access
    ):
        raw.execute(sql)
    version = migrations.STEPS.index(migrations._013_privacy)  # the schema just before it
    raw.execute(f"PRAGMA user_version = {version}")
    raw.close()
    assert version < migrations.LATEST
    erase.erase_member(db, gone.id, now=NOW)
    result = jobs.restore(db, BackupConfig(dir=str(tmp_path / "bk")), copy, now=NOW)
    assert result.version == version
    assert db.scalar("PRAGMA user_version") == migrations.LATEST
    assert members.find_by_email(db, "m0@example.org") is None  # erased again
    assert members.find_by_email(db, "m1@example.org") is not None
    assert db.scalar("SELECT count(*) FROM privacy_keys") == 2  # its own and the live one
    assert erase.is_erased(db, "m0@example.org")


def test_the_live_database_is_not_a_backup(db: Database, tmp_path) -> None:
    from omtui.errors import UnusableInput

    with pytest.raises(UnusableInput, match="live database"):
        jobs.restore(db, BackupConfig(dir=str(tmp_path / "bk")), db.path, now=NOW)


def test_a_backup_from_a_newer_omtui_is_refused(db: Database, tmp_path) -> None:
    from omtui.core import migrations

    copy = bk.take_backup(db, tmp_path / "bk", now=NOW, force=True).path
    assert copy is not None
    raw = sqlite3.connect(copy, isolation_level=None)
    raw.execute(f"PRAGMA user_version = {migrations.LATEST + 1}")
    raw.close()
    with pytest.raises(DatabaseError, match="newer than this omtui"):
        jobs.restore(db, BackupConfig(dir=str(tmp_path / "bk")), copy, now=NOW)
