"""Open the club's SQLite file safely: WAL, foreign keys, busy timeout, migrations.

One `Database` wraps a sqlite-utils `Database`. Connections are opened with
`check_same_thread=False` so Textual workers may use them; writes are serialised by
SQLite itself (WAL + busy timeout), so two SSH sessions never see "database is locked".
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from omtui.core import migrations
from omtui.errors import DatabaseError
from omtui.i18n import _

if TYPE_CHECKING:
    import sqlite_utils

BUSY_TIMEOUT_MS = 10_000
SQLITE_MAGIC = b"SQLite format 3\x00"


def _check_is_sqlite(path: Path) -> None:
    if not path.exists() or path.stat().st_size == 0:
        return
    with path.open("rb") as fh:
        header = fh.read(16)
    if header != SQLITE_MAGIC:
        raise DatabaseError(
            _("{path} is not an omtui database (not an SQLite file); it was left untouched").format(
                path=path
            )
        )


def connect(path: Path | str) -> sqlite3.Connection:
    """A raw connection with the pragmas every omtui connection needs."""
    conn = sqlite3.connect(
        str(path), timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False, isolation_level=None
    )
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA synchronous = NORMAL")
    return conn


class Database:
    """The club database: a sqlite-utils Database plus transactions and change polling."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.conn = connect(self.path)

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
        an event) cannot race with another process.
        """
        if self.conn.in_transaction:  # nested: join the outer transaction
            yield self.conn
            return
        self.conn.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        else:
            self.conn.execute("COMMIT")

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


def open_database(path: Path | str, *, create: bool = True) -> Database:
    """Open (and migrate) the database at `path`.

    Raises DatabaseError, leaving the file untouched, when it is not SQLite or its schema
    is newer than this version of omtui knows. A backup copy is taken before migrating an
    existing database.
    """
    path = Path(path)
    _check_is_sqlite(path)
    if not path.exists():
        if not create:
            raise DatabaseError(_("no database at {path}").format(path=path))
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        version = _read_user_version(path) if path.exists() else 0
    except sqlite3.DatabaseError as exc:
        raise DatabaseError(
            _("{path} is not an omtui database ({error}); it was left untouched").format(
                path=path, error=exc
            )
        ) from exc
    if version > migrations.LATEST:
        raise DatabaseError(
            _(
                "{path} has schema version {found}, newer than this omtui knows ({known}); "
                "upgrade omtui. The file was left untouched."
            ).format(path=path, found=version, known=migrations.LATEST)
        )
    if 0 < version < migrations.LATEST:
        backup = path.with_name(f"{path.name}.v{version}.bak")
        _backup(path, backup)
    database = Database(path)
    database.conn.execute("PRAGMA journal_mode = WAL")
    migrations.apply(database.conn, version)
    return database


def _read_user_version(path: Path) -> int:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return conn.execute("PRAGMA user_version").fetchone()[0]
    finally:
        conn.close()


def _backup(path: Path, backup: Path) -> None:
    """A consistent copy through SQLite's backup API (safe with WAL files around)."""
    src = sqlite3.connect(str(path))
    dst = sqlite3.connect(str(backup))
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
    if not backup.exists():  # pragma: no cover - defensive
        shutil.copy2(path, backup)
