"""The database file: pragmas, migrations, backups, refusals that leave the file untouched."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from omtui.core import migrations
from omtui.core.db import open_database
from omtui.errors import DatabaseError


def test_new_database_is_wal_with_foreign_keys_and_latest_schema(db_path: Path) -> None:
    db = open_database(db_path)
    assert db.scalar("PRAGMA journal_mode") == "wal"
    assert db.scalar("PRAGMA foreign_keys") == 1
    assert db.scalar("PRAGMA busy_timeout") >= 5000
    assert db.scalar("PRAGMA user_version") == migrations.LATEST
    assert {"members", "consent_events", "events", "shifts", "newsletters", "outbox"} <= set(
        db.db.table_names()
    )
    db.close()


def test_missing_folder_is_created(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "club.db"
    open_database(path).close()
    assert path.exists()


def test_not_sqlite_is_refused_and_untouched(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_bytes(b"these are my notes, not a database\n" * 10)
    before = path.read_bytes()
    with pytest.raises(DatabaseError, match="not an omtui database"):
        open_database(path)
    assert path.read_bytes() == before


def test_newer_schema_is_refused_and_untouched(db_path: Path) -> None:
    open_database(db_path).close()
    conn = sqlite3.connect(db_path)
    conn.execute(f"PRAGMA user_version = {migrations.LATEST + 1}")
    conn.close()
    before = db_path.read_bytes()
    with pytest.raises(DatabaseError, match="newer than this omtui knows"):
        open_database(db_path)
    assert db_path.read_bytes() == before


def test_old_schema_is_backed_up_then_migrated(db_path: Path) -> None:
    conn = sqlite3.connect(db_path)
    conn.isolation_level = None
    migrations.STEPS[0](conn)
    conn.execute("PRAGMA user_version = 1")
    conn.close()
    db = open_database(db_path)
    assert db.scalar("PRAGMA user_version") == migrations.LATEST
    db.close()
    backup = db_path.with_name("club.db.v1.bak")
    assert backup.exists()
    old = sqlite3.connect(backup)
    assert old.execute("PRAGMA user_version").fetchone()[0] == 1
    old.close()


def test_a_failing_step_rolls_back_and_keeps_the_version(db_path: Path) -> None:
    conn = sqlite3.connect(db_path)
    conn.isolation_level = None

    def broken(c: sqlite3.Connection) -> None:
        c.execute("CREATE TABLE half_done (x)")
        raise RuntimeError("boom")

    steps = [migrations.STEPS[0], broken]
    original = migrations.STEPS[:]
    migrations.STEPS[:] = steps
    try:
        with pytest.raises(RuntimeError):
            migrations.apply(conn, 0)
    finally:
        migrations.STEPS[:] = original
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    assert "half_done" not in names
    conn.close()


def test_two_writers_never_see_database_is_locked(db_path: Path) -> None:
    open_database(db_path).close()
    errors: list[Exception] = []

    def writer(n: int) -> None:
        db = open_database(db_path)
        try:
            for i in range(50):
                with db.transaction():
                    db.execute(
                        "INSERT INTO partners (company, created_at) VALUES (?, ?)",
                        (f"w{n}-{i}", "2026-01-01T00:00:00+00:00"),
                    )
        except Exception as exc:  # pragma: no cover - the failure we guard against
            errors.append(exc)
        finally:
            db.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    db = open_database(db_path)
    assert db.scalar("SELECT count(*) FROM partners") == 200
    db.close()


def test_data_version_sees_other_connections(db_path: Path) -> None:
    watcher = open_database(db_path)
    writer = open_database(db_path)
    before = watcher.data_version()
    with writer.transaction():
        writer.execute(
            "INSERT INTO partners (company, created_at) VALUES ('x', '2026-01-01T00:00:00+00:00')"
        )
    assert watcher.data_version() != before
    watcher.close()
    writer.close()
