"""Open the club's SQLite file safely: WAL, foreign keys, waiting writers, migrations.

The file belongs to SQLite. `open_database()` checks, migrates and backs it up ONCE, at
process start, and only through SQLite: closing any other descriptor of the file would drop
every POSIX lock this process holds on it, and another process would then delete the WAL
under our feet (SQLite's "How To Corrupt An SQLite Database File", section 2.2).
Worker threads get their own connection from `Database.reopen()`, which only connects.

Writers wait their turn: `transaction()` waits for another process's write up to
`busy_timeout` seconds, tells `on_wait` after two, and raises `DatabaseBusy` past the limit.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from omtui.core import migrations
from omtui.errors import (
    DatabaseBusy,
    DatabaseDamaged,
    DatabaseError,
    DatabaseUnwritable,
    ForeignDatabase,
)
from omtui.i18n import _
from omtui.paths import create_private, restrict_mode

if TYPE_CHECKING:
    import sqlite_utils

APPLICATION_ID = migrations.APPLICATION_ID
DEFAULT_BUSY_TIMEOUT = 60.0
NOTICE_AFTER = 2.0
"""Seconds a writer waits silently before `on_wait` is told."""
QUICK_CHECK_MAX_BYTES = 32 * 1024 * 1024
"""`PRAGMA quick_check` at start for files up to this size (about 0.06 s per 10 MB):
about 25,000 members; a bigger club skips it rather than wait at every command."""
SQLITE_MAGIC = b"SQLite format 3\x00"
OMTUI_TABLES = frozenset({"members", "consent_events"})
"""The tables of schema step 1: an unmarked file with them is an omtui database."""

Notifier = Callable[[str], None]


def connect(path: Path | str, busy_timeout: float = DEFAULT_BUSY_TIMEOUT) -> sqlite3.Connection:
    """A raw connection with the pragmas every omtui connection needs; nothing else."""
    conn = sqlite3.connect(
        str(path), timeout=busy_timeout, check_same_thread=False, isolation_level=None
    )
    conn.execute(f"PRAGMA busy_timeout = {_ms(busy_timeout)}")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA synchronous = NORMAL")
    return conn


def _ms(seconds: float) -> int:
    return max(0, int(seconds * 1000))


def is_busy(exc: BaseException) -> bool:
    """Whether an sqlite3 error means another connection holds the lock."""
    name = getattr(exc, "sqlite_errorname", "") or ""
    return name.startswith("SQLITE_BUSY") or "database is locked" in str(exc)


class Database:
    """The club database: a sqlite-utils Database plus transactions and change polling.

    `Database(path)` only connects: use it (or `reopen()`) for a file that `open_database`
    already checked in this process.
    """

    def __init__(
        self,
        path: Path | str,
        *,
        busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
        on_wait: Notifier | None = None,
        conn: sqlite3.Connection | None = None,
    ) -> None:
        self.path = Path(path)
        self.busy_timeout = busy_timeout
        self.on_wait = on_wait
        """Called (from the waiting thread) once a writer has waited NOTICE_AFTER seconds."""
        self.conn = conn if conn is not None else connect(self.path, busy_timeout)

    def reopen(self) -> Database:
        """Another connection to the same, already checked file: one per worker thread."""
        return Database(self.path, busy_timeout=self.busy_timeout, on_wait=self.on_wait)

    @cached_property
    def db(self) -> sqlite_utils.Database:
        """The sqlite-utils Database on the same connection (imported on first use)."""
        import sqlite_utils

        return sqlite_utils.Database(self.conn)

    # -- transactions -------------------------------------------------------------
    @contextmanager
    def transaction(self, immediate: bool = True) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any exception (nothing half-written).

        IMMEDIATE takes the write lock up front, so a read-then-write (the last seat of
        an event) cannot race with another process. While another process writes, this
        waits its turn (see `begin_immediate`).
        """
        if self.conn.in_transaction:  # nested: join the outer transaction
            yield self.conn
            return
        if immediate:
            self.begin_immediate()
        else:
            self.conn.execute("BEGIN")
        try:
            yield self.conn
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise
        else:
            self.conn.execute("COMMIT")

    def begin_immediate(self) -> None:
        """Take the write lock, waiting up to `busy_timeout` seconds for another writer.

        Calls `on_wait` once after NOTICE_AFTER seconds; raises DatabaseBusy past the limit.
        """
        limit = self.busy_timeout
        start = time.monotonic()
        notified = False
        self.conn.execute(f"PRAGMA busy_timeout = {_ms(min(NOTICE_AFTER, limit))}")
        try:
            while True:
                try:
                    self.conn.execute("BEGIN IMMEDIATE")
                    return
                except sqlite3.OperationalError as exc:
                    if not is_busy(exc):
                        raise
                waited = time.monotonic() - start
                if waited >= limit:
                    raise busy_error(self.path, limit)
                if not notified:
                    notified = True
                    if self.on_wait is not None:
                        self.on_wait(waiting_message(self.path, limit))
                self.conn.execute(f"PRAGMA busy_timeout = {max(1, _ms(limit - waited))}")
        finally:
            self.conn.execute(f"PRAGMA busy_timeout = {_ms(limit)}")

    def execute(self, sql: str, params: tuple | dict = ()) -> sqlite3.Cursor:
        return self.conn.execute(sql, params)

    def query(self, sql: str, params: tuple | dict = ()) -> list[dict]:
        """Run a SELECT and return rows as dicts."""
        cursor = self.conn.execute(sql, params)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def query_one(self, sql: str, params: tuple | dict = ()) -> dict | None:
        rows = self.query(sql, params)
        return rows[0] if rows else None

    def scalar(self, sql: str, params: tuple | dict = ()):
        row = self.conn.execute(sql, params).fetchone()
        return row[0] if row else None

    # -- change detection -----------------------------------------------------------
    def data_version(self) -> int:
        """Changes when *another* connection commits (PRAGMA data_version)."""
        return self.conn.execute("PRAGMA data_version").fetchone()[0]

    def close(self) -> None:
        self.conn.close()


def waiting_message(path: Path, limit: float) -> str:
    return _(
        "waiting for another omtui process to finish writing to {path} (up to {seconds:g} s)..."
    ).format(path=path.name, seconds=limit)


def busy_error(path: Path, limit: float | None = None) -> DatabaseBusy:
    if limit is None:
        return DatabaseBusy(
            _(
                "{path} is busy: another process is writing to it; nothing was written. "
                "Try again later, or raise [database] busy_timeout in the config."
            ).format(path=path)
        )
    return DatabaseBusy(
        _(
            "{path} is still busy after {seconds:g} s: another process is writing to it; "
            "nothing was written. Try again later, or raise [database] busy_timeout in the config."
        ).format(path=path, seconds=limit)
    )


def explain(exc: sqlite3.Error, path: Path | str) -> DatabaseError:
    """The one line a person can act on for an SQLite error on the club's file."""
    path = Path(path)
    name = getattr(exc, "sqlite_errorname", "") or ""
    text = str(exc)
    if is_busy(exc):
        return busy_error(path)
    # omtui only stores UTF-8: a text that does not decode is a damaged page.
    undecodable = text.startswith("Could not decode to UTF-8")
    if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")) or "malformed" in text or undecodable:
        return DatabaseDamaged(
            _(
                "{path} is damaged ({error}); nothing was written. Restore it from a backup "
                "copy (omtui keeps one, such as club.db.v1.bak, before each upgrade)."
            ).format(path=path, error=text)
        )
    if name == "SQLITE_FULL" or "disk is full" in text:
        return DatabaseUnwritable(
            _(
                "the disk holding {path} is full; nothing was written. "
                "Free some space and try again."
            ).format(path=path)
        )
    if name.startswith(("SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_PERM", "SQLITE_AUTH")):
        return unwritable(path, text)
    if name.startswith("SQLITE_IOERR"):
        return DatabaseUnwritable(
            _("reading or writing {path} failed ({error}); nothing was written.").format(
                path=path, error=text
            )
        )
    return DatabaseError(_("{path}: {error}").format(path=path, error=text))


def unwritable(path: Path, error: str) -> DatabaseUnwritable:
    """Say whether the file or its folder is read-only for this account."""
    folder = path.absolute().parent
    try:
        read_only_fs = bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except OSError:
        read_only_fs = False
    if read_only_fs:
        return DatabaseUnwritable(
            _(
                "{path} is on a read-only file system; nothing was written. "
                "Mount it read-write, or copy the database to a writable place."
            ).format(path=path)
        )
    if not os.access(folder, os.W_OK | os.X_OK):
        return DatabaseUnwritable(
            _(
                "the folder {folder} is read-only for this account, and SQLite must create "
                "{name}-wal and {name}-shm beside {name}; nothing was written. Make the folder "
                "writable (see the README's shared set-up)."
            ).format(folder=folder, name=path.name)
        )
    if path.exists() and not os.access(path, os.W_OK):
        return DatabaseUnwritable(
            _(
                "{path} is read-only for this account; nothing was written. "
                "Ask its owner for write access."
            ).format(path=path)
        )
    return DatabaseUnwritable(
        _("cannot write to {path} ({error}); nothing was written.").format(path=path, error=error)
    )


# -- once per process: check, back up, migrate ---------------------------------------------
def open_database(
    path: Path | str,
    *,
    create: bool = True,
    busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
    on_wait: Notifier | None = None,
) -> Database:
    """Check, back up and migrate the database at `path`, and return it open.

    Call it once per process, at start. Raises a DatabaseError, leaving the file untouched,
    when it is not SQLite, belongs to another application, is damaged, or has a schema
    newer than this omtui knows. A backup copy is taken before migrating.
    """
    path = Path(path)
    if not path.exists():
        if not create:
            raise DatabaseError(_("no database at {path}").format(path=path))
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            create_private(path)  # before any connection exists: 0600 (0660 shared)
        except OSError as exc:
            raise unwritable(path, str(exc)) from exc
    else:
        for name in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            restrict_mode(name)
    conn: sqlite3.Connection | None = None
    try:
        conn = connect(path, busy_timeout)
        version = _check(conn, path)
        if 0 < version < migrations.LATEST:
            _backup(conn, path.with_name(f"{path.name}.v{version}.bak"))
        if version < migrations.LATEST:
            conn.execute("PRAGMA journal_mode = WAL")
            migrations.apply(conn, version)
        elif conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            conn.execute("PRAGMA journal_mode = WAL")
    except BaseException as exc:
        if conn is not None:
            conn.close()
        if isinstance(exc, sqlite3.Error):
            if getattr(exc, "sqlite_errorname", "") == "SQLITE_NOTADB":
                raise _not_sqlite_or_damaged(path, exc) from exc
            raise explain(exc, path) from exc
        raise
    return Database(path, busy_timeout=busy_timeout, on_wait=on_wait, conn=conn)


def _check(conn: sqlite3.Connection, path: Path) -> int:
    """Refuse a foreign, newer or damaged file; return its schema version. Reads only."""
    app_id = conn.execute("PRAGMA application_id").fetchone()[0]
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    ours = app_id == APPLICATION_ID or (
        app_id == 0 and (not tables or (version > 0 and tables >= OMTUI_TABLES))
    )
    if not ours:
        raise ForeignDatabase(
            _(
                "{path} is an SQLite database of another application, not omtui's; "
                "it was left untouched"
            ).format(path=path)
        )
    if version > migrations.LATEST:
        raise DatabaseError(
            _(
                "{path} has schema version {found}, newer than this omtui knows ({known}); "
                "upgrade omtui. The file was left untouched."
            ).format(path=path, found=version, known=migrations.LATEST)
        )
    size = (
        conn.execute("PRAGMA page_count").fetchone()[0]
        * conn.execute("PRAGMA page_size").fetchone()[0]
    )
    if tables and size <= QUICK_CHECK_MAX_BYTES:
        problems = [" ".join(r[0].split()) for r in conn.execute("PRAGMA quick_check(1)")]
        if problems != ["ok"]:
            raise DatabaseDamaged(
                _(
                    "{path} is damaged ({error}); nothing was written. Restore it from a "
                    "backup copy (omtui keeps one, such as club.db.v1.bak, before each upgrade)."
                ).format(path=path, error=problems[0])
            )
    return version


def _not_sqlite_or_damaged(path: Path, exc: sqlite3.Error) -> DatabaseError:
    """SQLite cannot read the file at all: say whether it ever was an SQLite file.

    Reading the header ourselves is safe only here: our connection is closed and SQLite
    could not read the file, so no connection of this process holds a lock on it to lose.
    """
    try:
        with path.open("rb") as fh:
            header = fh.read(len(SQLITE_MAGIC))
    except OSError:
        header = b""
    if header == SQLITE_MAGIC:
        return explain(exc, path)
    return DatabaseError(
        _("{path} is not an omtui database (not an SQLite file); it was left untouched").format(
            path=path
        )
    )


def _backup(conn: sqlite3.Connection, backup: Path) -> None:
    """A consistent copy through SQLite's backup API, private like the database."""
    create_private(backup)
    dst = sqlite3.connect(str(backup))
    try:
        conn.backup(dst)
    finally:
        dst.close()
