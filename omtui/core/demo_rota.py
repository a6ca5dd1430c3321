"""Demo data for the rota area (part of the deterministic demo club)."""

from __future__ import annotations

from datetime import datetime

from omtui.core.db import Database


def seed(db: Database, *, now: datetime) -> int:
    """Create the demo rota records; return how many top-level records were made."""
    return 0
