"""Where an unexpected error's details go when the person in front of the screen must not
see them (the volunteer view): a log file only the organiser's side can read."""

from __future__ import annotations

import os
import stat
import traceback
from datetime import UTC, datetime
from pathlib import Path

import platformdirs

from omtui.i18n import _
from omtui.paths import APP_NAME

LOG_NAME = "omtui-volunteer-errors.log"


def crash_line() -> str:
    """What the volunteer reads when the view stops on an error (details: the log)."""
    return _("omtui volunteer stopped on an unexpected error; please tell the organiser.")


def _mode_for(folder: Path) -> int:
    """Owner only; the group may read too in a setgid folder (the README's shared set-up,
    where volunteers run as their own account and the organiser reads through the group)."""
    try:
        shared = folder.stat().st_mode & stat.S_ISGID
    except OSError:
        shared = 0
    return 0o640 if shared else 0o600


def _append(path: Path, text: str) -> None:
    mode = _mode_for(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW, mode)
    try:
        os.fchmod(fd, mode)  # whatever the umask, or an older file's mode
        os.write(fd, text.encode("utf-8", "backslashreplace"))
    finally:
        os.close(fd)


def log_error(error: BaseException, *, db_path: Path | None, who: str) -> Path | None:
    """Append `error`'s traceback to the log next to the database (else the user log dir).

    Returns the file written, or None if no place would take it.
    """
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    details = "".join(traceback.format_exception(error))
    entry = f"--- {stamp} volunteer view of {who}\n{details}\n"
    places = []
    if db_path is not None:
        places.append(Path(db_path).expanduser().absolute().parent / LOG_NAME)
    places.append(Path(platformdirs.user_log_dir(APP_NAME, appauthor=False)) / LOG_NAME)
    for place in places:
        try:
            place.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            _append(place, entry)
        except OSError:
            continue
        return place
    return None
