"""The safety net as the CLI, cron and the app use it: backups that record their runs,
a backup before risky changes, and a restore that re-applies later erasures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from omtui.config import BackupConfig
from omtui.core import audit, runs
from omtui.core.dates import utcnow
from omtui.core.db import Database
from omtui.core.privacy import backup as bk
from omtui.core.privacy import erase
from omtui.errors import UnusableInput
from omtui.i18n import _, ngettext


def folder_for(db: Database, config: BackupConfig, folder: Path | None = None) -> Path:
    return folder if folder is not None else bk.default_folder(db.path, config.dir)


def run_backup(
    db: Database,
    config: BackupConfig,
    *,
    now: datetime,
    folder: Path | None = None,
    force: bool = False,
) -> bk.BackupResult:
    """`omtui backup` (and the app's daily one): a copy if the data changed, the rotation,
    and the run recorded for the overview (kind "backup"), failed or not."""
    started = utcnow()
    target = folder_for(db, config, folder)
    try:
        result = bk.take_backup(
            db,
            target,
            now=now,
            rotation=bk.Rotation(config.daily, config.weekly, config.monthly),
            force=force,
        )
    except Exception as exc:
        runs.record_run(
            db, "backup", ok=False, detail=str(exc), started_at=started, finished_at=utcnow()
        )
        raise
    if result.path is None:
        detail = _("no change since the last backup")
    else:
        detail = result.path.name
        audit.record(db, "backup", "file", detail=result.path.name, now=now)
    runs.record_run(db, "backup", ok=True, detail=detail, started_at=started, finished_at=utcnow())
    return result


def daily_backup(db: Database, config: BackupConfig, *, now: datetime) -> bk.BackupResult | None:
    """The app's automatic backup: None when one already ran in the last 24 hours."""
    last = runs.last_success(db, "backup")
    if last is not None and utcnow() - last.finished_at < timedelta(hours=24):  # runs use real time
        return None
    return run_backup(db, config, now=now)


def backup_before(db: Database, config: BackupConfig, what: str, *, now: datetime) -> Path | None:
    """The copy taken before an import, an erasure or a restore (`what` names it in the
    file: "import", "erase", "restore"); None when the last copy already holds this data."""
    if db.scalar("SELECT 1 FROM members LIMIT 1") is None:
        return None  # an empty club: nothing to lose
    result = bk.take_backup(db, folder_for(db, config), now=now, label=f"before-{what}")
    return result.path


@dataclass(frozen=True)
class Restored:
    previous: Path | None
    """The copy of the data as it was just before the restore."""
    version: int
    """The schema version of the backup (brought up to date after copying)."""
    erased_again: list[int]


def restore(db: Database, config: BackupConfig, file: Path, *, now: datetime) -> Restored:
    """Check `file`, keep a copy of the current data, copy the backup in, then erase again
    every member erased since (the erasure log is carried across)."""
    if file.exists() and file.resolve() == db.path.resolve():
        raise UnusableInput(
            _("{path} is the live database itself; give a backup copy").format(path=file)
        )
    bk.check_backup(file)  # raises with one line; nothing changed yet
    previous = bk.take_backup(
        db, folder_for(db, config), now=now, label="before-restore", force=True
    ).path
    saved_keys, saved_log = erase.export_log(db)
    saved_audit = db.query("SELECT * FROM audit_log ORDER BY id")
    version = bk.copy_into(db, file)
    erase.merge_log(db, saved_keys, saved_log)
    audit.carry_over(db, saved_audit)
    erased_again = erase.reapply_erasures(db, now=now)
    audit.record(db, "restore", "file", detail=file.name, now=now)
    return Restored(previous, version, erased_again)


def restored_summary(result: Restored) -> str:
    count = len(result.erased_again)
    return ngettext(
        "{count} member erased since that backup was erased again.",
        "{count} members erased since that backup were erased again.",
        count,
    ).format(count=count)
