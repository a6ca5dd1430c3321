"""Every file location omtui uses, resolved in one place and created on demand."""

from __future__ import annotations

import os
from pathlib import Path

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


def ensure_parent(path: Path) -> Path:
    """Create the folder that will hold `path`, and return `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    return path
