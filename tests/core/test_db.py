"""The database file: pragmas, migrations, backups, refusals that leave the file untouched."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from omtui.core import migrations
from omtui.core.db import APPLICATION_ID, Database, open_database
from omtui.errors import DatabaseBusy, DatabaseDamaged, DatabaseError, ForeignDatabase
from omtui.paths import open_private


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


# -- one file shared safely (issue 7, section 1) -------------------------------------------
def _db_fds(path: Path) -> list[str]:
    found = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith(str(path)):
            found.append(target)
    return found


def _other_process_opens_and_closes(path: Path) -> None:
    code = (
        "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
        "c.execute('SELECT count(*) FROM partners').fetchone(); c.close()"
    )
    subprocess.run([sys.executable, "-c", code, str(path)], check=True)


def _add_partner(db, name: str) -> None:
    with db.transaction():
        db.execute(
            "INSERT INTO partners (company, created_at) VALUES (?, '2026-01-01T00:00:00+00:00')",
            (name,),
        )


def test_a_worker_connection_never_drops_the_process_locks(db_path: Path) -> None:
    """A second open in the process (a worker) must not let another process delete the WAL."""
    main = open_database(db_path)
    _add_partner(main, "before")
    open_database(db_path).close()  # a second check in the same process: SQLite only
    worker = main.reopen()
    _add_partner(worker, "worker")
    worker.close()
    _other_process_opens_and_closes(db_path)
    _add_partner(main, "after")
    assert not [fd for fd in _db_fds(db_path) if "(deleted)" in fd]
    main.close()
    check = sqlite3.connect(db_path)
    assert check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    names = {r[0] for r in check.execute("SELECT company FROM partners")}
    check.close()
    assert names == {"before", "worker", "after"}


# -- application_id: omtui's files are marked, others' refused untouched ---------------------
def test_new_database_is_marked_as_omtui(db: Database) -> None:
    assert db.scalar("PRAGMA application_id") == APPLICATION_ID == 0x4F4D5455


def test_an_old_omtui_database_gets_the_mark(db_path: Path) -> None:
    conn = sqlite3.connect(db_path)
    conn.isolation_level = None
    for number, func in enumerate(migrations.STEPS[:3], start=1):
        func(conn)
        conn.execute(f"PRAGMA user_version = {number}")
    conn.close()
    db = open_database(db_path)
    assert db.scalar("PRAGMA application_id") == APPLICATION_ID
    db.close()


def _foreign(path: Path, *, app_id: int = 0, version: int = 0, wal: bool = False) -> bytes:
    conn = sqlite3.connect(path)
    if wal:
        conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("CREATE TABLE moz_places (id INTEGER PRIMARY KEY, url TEXT)")
    conn.execute("INSERT INTO moz_places (url) VALUES ('https://example.org')")
    conn.execute(f"PRAGMA application_id = {app_id}")
    conn.execute(f"PRAGMA user_version = {version}")
    conn.commit()
    conn.close()
    return path.read_bytes()


@pytest.mark.parametrize(
    "kind", [{}, {"app_id": 0x0F055112}, {"version": 74}, {"version": 74, "wal": True}]
)
def test_a_foreign_sqlite_file_is_refused_untouched(tmp_path: Path, kind: dict) -> None:
    folder = tmp_path / "firefox"
    folder.mkdir()
    path = folder / "places.sqlite"
    before = _foreign(path, **kind)
    with pytest.raises(ForeignDatabase, match="another application"):
        open_database(path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in folder.iterdir()) == ["places.sqlite"]


# -- damaged files ----------------------------------------------------------------------------
def test_a_damaged_page_is_reported_as_damage(db_path: Path) -> None:
    db = open_database(db_path)
    for n in range(300):
        _add_partner(db, f"partner {n} " + "x" * 200)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    data = bytearray(db_path.read_bytes())
    page = 4096
    for offset in range(5 * page, 7 * page, 7):
        data[offset] = 0xA5
    db_path.write_bytes(bytes(data))
    with pytest.raises(DatabaseDamaged, match="is damaged"):
        open_database(db_path)


# -- private files (issue 7, section 6) -------------------------------------------------------
@pytest.mark.parametrize("umask", [0o022, 0o000])
def test_database_wal_and_backup_are_private_whatever_the_umask(tmp_path: Path, umask: int) -> None:
    old = os.umask(umask)
    try:
        path = tmp_path / "club.db"
        conn = sqlite3.connect(path)
        conn.isolation_level = None
        migrations.STEPS[0](conn)
        conn.execute("PRAGMA user_version = 1")
        conn.close()
        path.chmod(0o604)  # readable by others: taken away, never widened
        db = open_database(path)
        _add_partner(db, "x")
        files = [
            path,
            tmp_path / "club.db-wal",
            tmp_path / "club.db-shm",
            tmp_path / "club.db.v1.bak",
        ]
        modes = {f.name: stat.S_IMODE(f.stat().st_mode) for f in files}
        db.close()
        fresh = tmp_path / "new" / "club.db"
        new_db = open_database(fresh)
        _add_partner(new_db, "y")
        modes["new"] = stat.S_IMODE(fresh.stat().st_mode)
        modes["new-wal"] = stat.S_IMODE(Path(f"{fresh}-wal").stat().st_mode)
        new_db.close()
    finally:
        os.umask(old)
    assert set(modes.values()) == {0o600}, modes


def test_a_setgid_group_folder_shares_with_the_group_only(tmp_path: Path) -> None:
    shared = tmp_path / "srv"
    shared.mkdir()
    shared.chmod(0o2770)
    old = os.umask(0o022)
    try:
        db = open_database(shared / "club.db")
        _add_partner(db, "x")
        modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in shared.iterdir()}
        db.close()
    finally:
        os.umask(old)
    assert modes == {"club.db": 0o660, "club.db-wal": 0o660, "club.db-shm": 0o660}


def test_open_private_files(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        target = tmp_path / "export.csv"
        target.write_text("old")
        target.chmod(0o666)
        with open_private(target, "w", encoding="utf-8") as fh:
            fh.write("new")
        with open_private(tmp_path / "cal.ics", "wb") as fh:
            fh.write(b"BEGIN:VCALENDAR")
    finally:
        os.umask(old)
    assert target.read_text() == "new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "cal.ics").stat().st_mode) == 0o600


# -- writers wait their turn (issue 7, section 2) ----------------------------------------------
def _hold_write_lock(path: Path):
    """A second connection (as another process would) holding the write lock."""
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    return holder


def test_a_writer_waits_then_goes_on(db_path: Path) -> None:
    said: list[str] = []
    db = open_database(db_path, busy_timeout=30, on_wait=said.append)
    holder = _hold_write_lock(db_path)
    released = threading.Event()

    def release() -> None:
        while not said:  # wait until the writer said it is waiting
            time.sleep(0.05)
        holder.execute("COMMIT")
        released.set()

    threading.Thread(target=release).start()
    _add_partner(db, "after the wait")
    assert released.is_set()
    assert len(said) == 1 and "waiting for another omtui process" in said[0]
    assert db.scalar("SELECT count(*) FROM partners") == 1
    holder.close()
    db.close()


def test_a_writer_gives_up_past_the_limit_and_writes_nothing(db_path: Path) -> None:
    db = open_database(db_path, busy_timeout=0.3)
    holder = _hold_write_lock(db_path)
    with pytest.raises(DatabaseBusy, match=r"still busy after 0\.3 s"):
        _add_partner(db, "never")
    holder.execute("ROLLBACK")
    holder.close()
    assert db.scalar("SELECT count(*) FROM partners") == 0
    assert db.scalar("PRAGMA busy_timeout") == 300
    db.close()


def test_config_and_environment_set_the_wait(tmp_path: Path, monkeypatch) -> None:
    from omtui.config import load_config
    from omtui.errors import ConfigError

    path = tmp_path / "config.toml"
    assert load_config(path).database.busy_timeout == 60
    path.write_text("[database]\nbusy_timeout = 5\n")
    assert load_config(path).database.busy_timeout == 5
    monkeypatch.setenv("OMTUI_BUSY_TIMEOUT", "0.5")
    assert load_config(path).database.busy_timeout == 0.5
    monkeypatch.setenv("OMTUI_BUSY_TIMEOUT", "soon")
    with pytest.raises(ConfigError, match="OMTUI_BUSY_TIMEOUT"):
        load_config(path)
    monkeypatch.delenv("OMTUI_BUSY_TIMEOUT")
    path.write_text("[database]\nbusy_timeout = -1\n")
    with pytest.raises(ConfigError, match="busy_timeout"):
        load_config(path)
