"""What every command and the app share: the config, the database path, and an open database."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from pathlib import Path
from zoneinfo import ZoneInfo

from omtui.config import Config, load_config
from omtui.core.dates import utcnow
from omtui.core.db import Database, open_database
from omtui.paths import resolve_config_path, resolve_db_path


@dataclass
class ClubContext:
    """Resolved settings for one run; the database opens on first use."""

    config: Config
    db_path: Path
    fixed_now: datetime | None = field(default=None)

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
        return open_database(self.db_path)

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
