"""Backups: `VACUUM INTO` a temporary name, check it, then rename; rotation; restore.

`VACUUM INTO` reads one snapshot in one read transaction: in WAL mode writers keep
writing meanwhile, and the copy holds no free pages (no remains of deleted rows).
A backup is taken only when the club's data changed since the last one (a digest of
every table but the automation's own bookkeeping, kept beside the copies).

Restore never replaces the live file under processes that have it open: the backup is
copied into the live database through SQLite's backup API, which takes the write lock
and tells every other connection that the file changed.
"""

from __future__ import annotations

import hashlib
import os
import re
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from omtui.core import migrations
from omtui.core.db import Database
from omtui.errors import DatabaseDamaged, DatabaseError, ForeignDatabase, NotFound
from omtui.i18n import _
from omtui.paths import create_private, open_private, restrict_mode

STATE_FILE = ".omtui-last-backup"
"""Beside the copies: the digest of the data in the newest one."""
_NAME = re.compile(r"^(?P<stem>.+)-(?P<stamp>\d{4}-\d{2}-\d{2}-\d{6})(?:-(?P<label>[a-z-]+))?\.db$")
_NOT_DATA = ("automation_runs",)
"""Tables that change by the mere running of a job (a backup records its own run)."""


@dataclass(frozen=True)
class Rotation:
    daily: int = 7
    weekly: int = 4
    monthly: int = 12


@dataclass
class BackupResult:
    path: Path | None
    """The new copy, or None when the data had not changed since the last one."""
    removed: list[Path] = field(default_factory=list)
    """Older copies removed by the rotation."""


def default_folder(db_path: Path, configured: str | None = None) -> Path:
    if configured:
        return Path(configured).expanduser()
    return db_path.absolute().parent / "backups"


def backup_name(db_path: Path, now: datetime, label: str = "") -> str:
    stamp = now.strftime("%Y-%m-%d-%H%M%S")
    return f"{db_path.stem}-{stamp}{'-' + label if label else ''}.db"


def data_digest(conn: sqlite3.Connection) -> str:
    """A digest of the club's data: every row of every table but the bookkeeping."""
    digest = hashlib.sha256()
    tables = [
        name
        for (name,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND sql NOT LIKE "
            "'CREATE VIRTUAL%' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '%_fts_%' "
            "ORDER BY name"
        )
    ]
    for table in tables:
        if table in _NOT_DATA:
            continue
        where = " WHERE action NOT IN ('backup')" if table == "audit_log" else ""
        digest.update(table.encode())
        for row in conn.execute(f'SELECT * FROM "{table}"{where} ORDER BY rowid'):
            digest.update(repr(row).encode())
    return digest.hexdigest()


def _read_state(folder: Path) -> str:
    try:
        return (folder / STATE_FILE).read_text(encoding="ascii").strip()
    except OSError:
        return ""


def _write_state(folder: Path, digest: str) -> None:
    with open_private(folder / STATE_FILE, "w", encoding="ascii") as fh:
        fh.write(digest + "\n")


def take_backup(
    db: Database,
    folder: Path,
    *,
    now: datetime,
    rotation: Rotation | None = None,
    label: str = "",
    force: bool = False,
) -> BackupResult:
    """Copy the database into `folder` as an owner-only file with the date in its name.

    Skipped (path None) when the data is the same as in the last copy, unless `force`.
    The copy is checked (integrity_check) before it gets its final name; a failed copy
    leaves nothing behind. Then older copies are rotated out when `rotation` is given.
    """
    folder.mkdir(parents=True, exist_ok=True)
    restrict_mode(folder)  # the copies hold personal data
    final = folder / backup_name(db.path, now, label)
    tmp = folder / f".{final.name}.tmp"
    tmp.unlink(missing_ok=True)
    create_private(tmp)  # VACUUM INTO writes into an empty file, keeping its mode
    try:
        source = db.reopen()
        try:
            source.execute("VACUUM INTO ?", (str(tmp),))
        finally:
            source.close()
        check = sqlite3.connect(str(tmp))
        try:
            problems = [r[0] for r in check.execute("PRAGMA integrity_check(1)")]
            if problems != ["ok"]:
                raise DatabaseDamaged(
                    _("the backup copy failed its integrity check ({error}); no copy kept").format(
                        error=problems[0]
                    )
                )
            digest = data_digest(check)
        finally:
            check.close()
        if not force and digest == _read_state(folder) and _copies(folder, db.path):
            tmp.unlink()
            return BackupResult(None)
        os.replace(tmp, final)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _write_state(folder, digest)
    removed = rotate(folder, db.path, rotation) if rotation is not None else []
    return BackupResult(final, removed)


def _copies(folder: Path, db_path: Path) -> list[tuple[datetime, Path]]:
    """The copies of this database in `folder`, newest first."""
    found = []
    for path in folder.glob(f"{db_path.stem}-*.db"):
        match = _NAME.match(path.name)
        if match and match["stem"] == db_path.stem:
            found.append((datetime.strptime(match["stamp"], "%Y-%m-%d-%H%M%S"), path))
    return sorted(found, reverse=True)


def rotate(folder: Path, db_path: Path, rotation: Rotation) -> list[Path]:
    """Keep the newest copy of each of the last N days, weeks and months; remove the rest."""
    copies = _copies(folder, db_path)
    keep: set[Path] = {copies[0][1]} if copies else set()
    for count, bucket in (
        (rotation.daily, lambda d: d.date()),
        (rotation.weekly, lambda d: d.isocalendar()[:2]),
        (rotation.monthly, lambda d: (d.year, d.month)),
    ):
        seen: set = set()
        for moment, path in copies:
            key = bucket(moment)
            if key not in seen and len(seen) < count:
                seen.add(key)
                keep.add(path)
    removed = [path for _moment, path in copies if path not in keep]
    for path in removed:
        path.unlink(missing_ok=True)
    return removed


# -- restore ---------------------------------------------------------------------------------
def check_backup(path: Path) -> int:
    """Refuse (one line, nothing changed) a file that is missing, not SQLite, of another
    application, damaged, or of a newer schema; return its schema version."""
    if not path.is_file():
        raise NotFound(_("no backup file at {path}").format(path=path))
    try:
        conn = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise DatabaseError(
            _("{path} cannot be opened ({error}); nothing was changed").format(path=path, error=exc)
        ) from exc
    try:
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if app_id != migrations.APPLICATION_ID:
            raise ForeignDatabase(
                _("{path} is not an omtui database; nothing was changed").format(path=path)
            )
        if version > migrations.LATEST:
            raise DatabaseError(
                _(
                    "{path} has schema version {found}, newer than this omtui knows ({known}); "
                    "nothing was changed"
                ).format(path=path, found=version, known=migrations.LATEST)
            )
        problems = [" ".join(r[0].split()) for r in conn.execute("PRAGMA integrity_check(1)")]
        if problems != ["ok"]:
            raise DatabaseDamaged(
                _("{path} is damaged ({error}); nothing was changed").format(
                    path=path, error=problems[0]
                )
            )
    except sqlite3.Error as exc:
        name = getattr(exc, "sqlite_errorname", "") or ""
        if name == "SQLITE_NOTADB":
            raise DatabaseError(
                _(
                    "{path} is not an omtui database (not an SQLite file); nothing was changed"
                ).format(path=path)
            ) from exc
        raise DatabaseDamaged(
            _("{path} is damaged ({error}); nothing was changed").format(path=path, error=exc)
        ) from exc
    finally:
        conn.close()
    return version


def copy_into(db: Database, path: Path) -> int:
    """Copy the checked backup at `path` into the live database through SQLite's backup
    API, then bring its schema up to date; return the schema version it had."""
    source = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True)
    try:
        version = source.execute("PRAGMA user_version").fetchone()[0]
        source.backup(db.conn)
    finally:
        source.close()
    if db.conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
        db.conn.execute("PRAGMA journal_mode = WAL")
    if version < migrations.LATEST:
        migrations.apply(db.conn, version)
    return version
