"""The overview's figures at 100,000 members (issue 13, Speed): all of them in <= 60 ms.

The demo club (events, rota, a newsletter sent to ~88,000 members) with 100,000 members,
built once per schema and kept in the temp dir. Measured: `today.overview()` (every figure
of the tab and of `omtui today`, in one read transaction), each part alone, and a baseline
read in the same run: counting the live members, the simplest figure, so the ratio tells
how the overview compares with one plain query on this machine today. Medians.
"""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from omtui.core import demo, migrations, today
from omtui.core.db import open_database
from omtui.core.demo import DEMO_NOW, build_demo
from tests.benchmarks.report import Row, median_seconds, print_table

MEMBERS = 100_000
TARGET_S = 0.060
REPEAT = 15


@pytest.fixture(scope="module")
def demo_100k() -> Path:
    recipe = b"".join(Path(m.__file__).read_bytes() for m in (migrations, demo))
    digest = hashlib.sha256(recipe).hexdigest()[:12]
    path = Path(tempfile.gettempdir()) / f"omtui-bench-today-{MEMBERS}-{digest}.db"
    if not path.exists():
        building = path.with_suffix(".building")
        for stale in building.parent.glob(building.name + "*"):
            stale.unlink()
        db = open_database(building)
        build_demo(db, members_count=MEMBERS, now=DEMO_NOW)
        db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db.close()
        building.rename(path)
    return path


def test_overview_at_100k(demo_100k: Path) -> None:
    db = open_database(demo_100k)
    tz, now = ZoneInfo("Europe/Paris"), DEMO_NOW
    try:

        def baseline() -> object:
            return db.scalar("SELECT count(*) FROM members WHERE archived_at IS NULL")

        parts = {
            "needs you (every item)": lambda: today.needs_you(
                db, now, tz, today.job_statuses(db, now)
            ),
            "members, 12-month sparkline": lambda: today.member_figures(db, now, tz),
            "next 5 events": lambda: today.next_events(db, now),
            "last newsletter": lambda: today.last_newsletter(db),
            "attendance by kind, 6 months": lambda: today.attendance(db, now, tz),
            "where to hold the next lunch": lambda: today.lunch_cities(db, now, tz),
        }
        base = median_seconds(baseline, repeat=REPEAT)
        whole = median_seconds(lambda: today.overview(db, now=now, tz=tz), repeat=REPEAT)
        rows = [
            Row("baseline: count live members", base * 1000, "ms"),
            Row(
                "overview(): every figure",
                whole * 1000,
                "ms",
                f"{base * 1000:.1f} ms",
                whole / base,
                f"<= {TARGET_S * 1000:.0f} ms",
            ),
        ]
        for name, func in parts.items():
            seconds = median_seconds(func, repeat=REPEAT)
            rows.append(Row(f"  {name}", seconds * 1000, "ms", ratio=seconds / base))
        print_table(f"Overview, {MEMBERS:,} members (medians of {REPEAT})", rows)
        view = today.overview(db, now=now, tz=tz)
        assert view.members.total == MEMBERS and view.items and view.lunch_cities
        assert whole <= TARGET_S, f"overview took {whole * 1000:.1f} ms"
    finally:
        db.close()
