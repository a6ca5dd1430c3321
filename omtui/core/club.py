"""The club's own settings kept in its database: its name and its language.

One row in `club_settings`. The config file can override both (`club_name`, `language`);
the language stored here is what a volunteer arriving with `LANG=C` gets.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from omtui.core.db import Database
from omtui.i18n import LANGUAGES, _


@dataclass(frozen=True)
class ClubSettings:
    name: str = ""
    language: str = "fr"


def get_settings(db: Database) -> ClubSettings:
    row = db.query_one("SELECT name, language FROM club_settings WHERE id = 1")
    return ClubSettings(**row) if row else ClubSettings()


def set_settings(db: Database, *, name: str | None = None, language: str | None = None) -> None:
    """Change the club's name and/or language."""
    if language is not None and language not in LANGUAGES:
        raise ValueError(
            _("the club's language must be one of {languages}, not {language!r}").format(
                languages=", ".join(LANGUAGES), language=language
            )
        )
    current = get_settings(db)
    with db.transaction() as conn:
        conn.execute(
            "INSERT INTO club_settings (id, name, language) VALUES (1, ?, ?) "
            "ON CONFLICT (id) DO UPDATE SET name = excluded.name, language = excluded.language",
            (
                current.name if name is None else name,
                current.language if language is None else language,
            ),
        )


def peek_language(path: Path) -> str | None:
    """The club's language read from the file at `path` without opening it for use.

    Read-only and forgiving: a missing file, a database from before the settings table or
    anything unreadable gives None (the error, if any, is reported when it is opened).
    """
    if not path.is_file():
        return None
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=1)
    except sqlite3.Error:
        return None
    try:
        row = conn.execute("SELECT language FROM club_settings WHERE id = 1").fetchone()
    except sqlite3.Error:
        return None
    finally:
        conn.close()
    return row[0] if row and row[0] in LANGUAGES else None


def display_name(db: Database, configured: str) -> str:
    """The club's name to show: the config's `club_name`, else the one stored here."""
    return configured.strip() or get_settings(db).name.strip()
