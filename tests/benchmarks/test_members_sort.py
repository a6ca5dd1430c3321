"""Sorting and paging members at 100,000 (issue 9, French alphabetical order).

Run with `make bench` (or `.venv/bin/pytest tests/benchmarks/test_members_sort.py -s
--override-ini addopts=`). Each case is one page (or list) as the Members tab, `members
list`, exports and the filter options ask for it; the baseline is a page read in id order
(the primary key), measured in the same run.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from omtui.core import members, rota
from omtui.core.db import open_database
from omtui.core.demo import seed_members
from omtui.core.members import MemberFilter
from tests.benchmarks.report import Row, median_seconds, print_table

COUNT = 100_000
PAGE_TARGET_MS = 50.0


@pytest.fixture(scope="module")
def big_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sortbench") / "members.db"
    db = open_database(path)
    seed_members(db, COUNT)
    db.close()
    return path


def test_members_sort_speed(big_db: Path) -> None:
    db = open_database(big_db)
    rows: list[Row] = []

    def by_id() -> None:
        db.query("SELECT * FROM members WHERE archived_at IS NULL ORDER BY id LIMIT 200")

    base = median_seconds(by_id, repeat=15) * 1000
    middle = members.query_members(db, sort="name", limit=1, offset=COUNT // 2)[0]
    pages = [
        ("page 1 by name", {"sort": "name"}),
        ("page 1 by name, descending", {"sort": "name", "descending": True}),
        ("page at 50,000 by name", {"sort": "name", "offset": COUNT // 2}),
        ("page 1 by company", {"sort": "company"}),
        ("page at 50,000 by company", {"sort": "company", "offset": COUNT // 2}),
        ("page 1 by city", {"sort": "city"}),
        ("page 1 by city, descending", {"sort": "city", "descending": True}),
    ]
    slow = []
    for name, kwargs in pages:

        def page(kwargs: dict = kwargs) -> None:
            members.query_members(db, MemberFilter(), limit=200, **kwargs)

        value = median_seconds(page, repeat=15) * 1000
        rows.append(
            Row(
                name,
                value,
                "ms",
                baseline=f"id order {base:.2f} ms",
                ratio=value / base if base else None,
                target=f"<= {PAGE_TARGET_MS:.0f} ms",
            )
        )
        if value > PAGE_TARGET_MS:
            slow.append(name)
    infos = [
        ("position_of a member (name order)", lambda: members.position_of(db, middle.id)),
        ("city filter options (all_cities)", lambda: members.all_cities(db)),
        ("rota volunteers by name", lambda: rota.volunteers(db)),
        (
            "all 100,000 by name (export, members list)",
            lambda: members.query_members(db, sort="name", limit=None),
        ),
    ]
    for name, func in infos:
        rows.append(Row(name, median_seconds(func, repeat=5) * 1000, "ms", target="info"))
    db.close()
    print_table(f"Members sort and paging, {COUNT:,} members (medians)", rows)
    assert not slow, f"pages over {PAGE_TARGET_MS} ms: {slow}"
