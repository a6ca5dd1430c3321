"""What every command and the app share: the config, the database path, and an open database."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo

from omtui.config import Config, load_config
from omtui.core.dates import utcnow
from omtui.core.db import Database, Notifier, explain, open_database
from omtui.paths import resolve_config_path, resolve_db_path

T = TypeVar("T")


@dataclass
class ClubContext:
    """Resolved settings for one run; the database opens on first use."""

    config: Config
    db_path: Path
    fixed_now: datetime | None = field(default=None)
    on_wait: Notifier | None = field(default=None)
    """Told (from the waiting thread) when a write waits for another process."""

    @classmethod
    def from_options(
        cls,
        db: str | Path | None = None,
        config: str | Path | None = None,
        now: datetime | None = None,
    ) -> ClubContext:
        cfg = load_config(resolve_config_path(config))
        return cls(config=cfg, db_path=resolve_db_path(db, cfg.db), fixed_now=now)

    @cached_property
    def db(self) -> Database:
        """The database, checked and migrated on first use (once per process)."""
        return open_database(
            self.db_path, busy_timeout=self.config.database.busy_timeout, on_wait=self.on_wait
        )

    def set_notifier(self, on_wait: Notifier | None) -> None:
        """Who is told when a write waits for another process (the CLI, or the app)."""
        self.on_wait = on_wait
        if "db" in self.__dict__:
            self.db.on_wait = on_wait

    def worker_db(self) -> Database:
        """A connection of its own for a worker thread (it only connects: no checks)."""
        return self.db.reopen()

    def in_worker(self, func: Callable[[Database], T]) -> T:
        """Run `func` in the calling worker thread on a connection of its own.

        SQLite errors (busy past the wait, damaged, full, read-only) become the OmtuiError
        with the one line a person can act on.
        """
        db = self.worker_db()
        try:
            return func(db)
        except sqlite3.Error as exc:
            raise explain(exc, self.db_path) from exc
        finally:
            db.close()

    @property
    def tz(self) -> ZoneInfo:
        return self.config.tz

    def now(self) -> datetime:
        """The current time (frozen in tests and screenshots)."""
        return self.fixed_now or utcnow()

    def close(self) -> None:
        if "db" in self.__dict__:
            self.db.close()
            del self.__dict__["db"]
