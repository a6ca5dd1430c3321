"""Every file location omtui uses, resolved in one place and created on demand."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import IO, Any

import platformdirs

APP_NAME = "omtui"


def config_dir() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def default_config_path() -> Path:
    return config_dir() / "config.toml"


def default_db_path() -> Path:
    return data_dir() / "club.db"


def resolve_config_path(cli_value: str | os.PathLike[str] | None) -> Path:
    """`--config PATH` wins over the platform default."""
    if cli_value:
        return Path(cli_value).expanduser()
    return default_config_path()


def resolve_db_path(cli_value: str | os.PathLike[str] | None, config_db: str | None) -> Path:
    """`--db` > env `OMTUI_DB` > `db` in the config file > the user data dir."""
    for candidate in (cli_value, os.environ.get("OMTUI_DB"), config_db):
        if candidate:
            return Path(candidate).expanduser()
    return default_db_path()


def default_export_dir() -> Path:
    """Where the app writes exports unless the organiser picks another folder: her
    Documents folder (the platform's, e.g. XDG_DOCUMENTS_DIR) if it exists, else her home
    folder; never the current directory, which over SSH or from a launcher is anywhere."""
    documents = Path(platformdirs.user_documents_dir())
    return documents if documents.is_dir() else Path.home()


def ensure_parent(path: Path) -> Path:
    """Create the folder that will hold `path`, and return `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


# -- private files ---------------------------------------------------------------------------
# The database, its WAL and backups, exports and .ics files hold members' personal data.
OWNER_ONLY = 0o600
GROUP_SHARED = 0o660


def private_file_mode(path: str | os.PathLike[str]) -> int:
    """0600, or 0660 when `path`'s folder is setgid and group-writable.

    A setgid, group-writable folder is the README's volunteer set-up: the organiser and the
    volunteers' account share the database through a group, and never with other accounts.
    """
    try:
        folder = os.stat(Path(path).absolute().parent)
    except OSError:
        return OWNER_ONLY
    if folder.st_mode & stat.S_ISGID and folder.st_mode & stat.S_IWGRP:
        return GROUP_SHARED
    return OWNER_ONLY


def create_private(path: str | os.PathLike[str]) -> bool:
    """Create `path` empty with `private_file_mode`, whatever the umask; False if it exists.

    Only for files that do not exist yet (an SQLite file is created this way before any
    connection to it exists, so no lock can be lost).
    """
    mode = private_file_mode(path)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode)
    except FileExistsError:
        return False
    try:
        os.fchmod(fd, mode)
    finally:
        os.close(fd)
    return True


def restrict_mode(path: str | os.PathLike[str]) -> None:
    """Take away every access by other accounts from a file we own (group access, maybe a
    deliberate share, is kept)."""
    try:
        st = os.stat(path)
    except OSError:
        return
    current = stat.S_IMODE(st.st_mode)
    if st.st_uid == os.getuid() and current & stat.S_IRWXO:
        os.chmod(path, current & ~stat.S_IRWXO)


def open_private(path: str | os.PathLike[str], mode: str = "w", **kwargs: Any) -> IO[Any]:
    """`open(path, mode)` for a file of personal data (an export, an .ics): 0600, or 0660
    in a setgid group-shared folder, whatever the umask; an existing file is tightened."""
    flags = os.O_CREAT
    if "a" in mode:
        flags |= os.O_APPEND
    elif "x" in mode:
        flags |= os.O_EXCL
    else:
        flags |= os.O_TRUNC
    flags |= os.O_RDWR if "+" in mode else os.O_WRONLY
    file_mode = private_file_mode(path)
    fd = os.open(path, flags, file_mode)
    try:
        st = os.fstat(fd)
        if stat.S_ISREG(st.st_mode) and st.st_uid == os.getuid():  # not /dev/stdout
            os.fchmod(fd, file_mode)
        return open(fd, mode.replace("x", "w"), **kwargs)
    except BaseException:
        os.close(fd)
        raise
