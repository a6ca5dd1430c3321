"""Members core at 100,000 members: CSV import and type-to-filter (query + count).

Run with `make bench` (or `.venv/bin/pytest tests/benchmarks/test_members_core.py -s
--override-ini addopts=`). Baselines are measured in the same run:
- import: sqlite-utils `insert_all` of the same 100,000 raw rows into a bare table;
- filter: a plain `LIKE '%term%'` scan with LIMIT 200 over the folded search column.
"""

from __future__ import annotations

import csv
import statistics
import time
from pathlib import Path

import pytest
import sqlite_utils

from omtui.core import members
from omtui.core.db import open_database
from omtui.core.demo import DEMO_NOW, demo_member_rows
from omtui.core.importer import apply_import, preview_import
from omtui.core.members import MemberFilter
from tests.benchmarks.report import Row, median_seconds, print_table

COUNT = 100_000
IMPORT_TARGET_S = 5.0
QUIET_BASELINE_S = 1.5  # sqlite-utils insert_all of 100,000 rows on this machine, quiet
FILTER_TARGET_MS = 50.0
HEADERS = ["Prénom", "Nom", "Courriel", "Téléphone", "Entreprise", "Poste", "Ville"]
HEADERS += ["Étiquettes", "Newsletter", "Notes"]
FIELDS = ["first_name", "last_name", "email", "phone", "company", "job_title", "city", "tags"]


@pytest.fixture(scope="module")
def raw_rows() -> list[dict[str, str]]:
    return [
        {**fields, "newsletter": "oui" if subscribed else "non"}
        for fields, subscribed, _joined in demo_member_rows(COUNT, now=DEMO_NOW)
    ]


@pytest.fixture(scope="module")
def csv_path(raw_rows: list[dict[str, str]], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 100,000-row file as French Excel writes it: `;`, French headers (UTF-8 here,
    as cp1252 cannot hold every name of the demo)."""
    path = tmp_path_factory.mktemp("bench") / "members.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, delimiter=";", lineterminator="\r\n")
        writer.writerow(HEADERS)
        for row in raw_rows:
            writer.writerow([row[f] for f in FIELDS] + [row["newsletter"], row["notes"]])
    return path


def timed(func, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def test_members_core_speed(csv_path: Path, raw_rows: list[dict[str, str]], tmp_path: Path) -> None:
    rows: list[Row] = []

    # -- import ------------------------------------------------------------------------
    counter = iter(range(100))

    def baseline_insert() -> None:
        db = sqlite_utils.Database(tmp_path / f"baseline{next(counter)}.db")
        db["members"].insert_all(raw_rows, batch_size=1000)
        db.close()

    imported: list[Path] = []

    def omtui_import() -> None:
        imported.append(tmp_path / f"import{next(counter)}.db")
        db = open_database(imported[-1])
        preview = preview_import(db, csv_path, now=DEMO_NOW)
        result = apply_import(db, preview, now=DEMO_NOW)
        assert result.counts["new"] == COUNT, result.counts
        db.close()

    base_s = timed(baseline_insert, repeat=3)
    import_s = timed(omtui_import, repeat=3)
    rows.append(
        Row(
            "import 100k-row CSV (read, validate, preview, apply)",
            import_s,
            "s",
            baseline=f"insert_all {base_s:.2f} s",
            ratio=import_s / base_s,
            target=f"<= {IMPORT_TARGET_S:.0f} s x max(1, baseline/1.5 s)",
        )
    )

    # -- filter --------------------------------------------------------------------------
    db = open_database(imported[-1])
    assert members.count_members(db) == COUNT
    cases = [
        ("filter hit 'helene'", "helene"),
        ("filter accents 'Hélène Dupré'", "Hélène Dupré"),
        ("filter common 'paris'", "paris"),
        ("filter miss 'zzqxw'", "zzqxw"),
        ("filter 1 letter 'a'", "a"),
        ("filter 2 letters 'le'", "le"),
        ("filter 2-letter miss 'zq'", "zq"),
    ]
    slow = []
    for name, text in cases:
        filt = MemberFilter(text=text)

        def keystroke(filt: MemberFilter = filt) -> None:
            memo = members._SHORT_INDEXES.get(db)
            if memo is not None:  # each keystroke is a new term: no reuse between repeats
                memo.last = ((), [])
            members.query_members(db, filt, limit=200)
            members.count_members(db, filt)

        pattern = f"%{members.fold(text)}%"

        def like(pattern: str = pattern) -> None:
            db.query("SELECT * FROM members WHERE search LIKE ? LIMIT 200", (pattern,))

        value = median_seconds(keystroke, repeat=15) * 1000
        base = median_seconds(like, repeat=15) * 1000
        hits = members.count_members(db, filt)
        rows.append(
            Row(
                f"{name} ({hits:,} hits): page + count",
                value,
                "ms",
                baseline=f"LIKE LIMIT 200 {base:.2f} ms",
                ratio=value / base if base else None,
                target=f"<= {FILTER_TARGET_MS:.0f} ms",
            )
        )
        if value > FILTER_TARGET_MS:
            slow.append(name)

    def cold_short_term() -> None:
        db.execute("UPDATE members SET notes = notes WHERE id = 1")  # any write invalidates
        members.query_members(db, MemberFilter(text="le"), limit=200)
        members.count_members(db, MemberFilter(text="le"))

    cold = median_seconds(cold_short_term, repeat=5) * 1000
    rows.append(Row("filter 2 letters, first keystroke after a write", cold, "ms", target="info"))
    db.close()

    print_table(f"Members core, {COUNT:,} members (medians)", rows)
    # The 5 s target is for this machine quiet, where insert_all takes ~1.5 s (issue 2 §5);
    # on a loaded machine the allowance grows with the baseline measured in the same run.
    allowed = IMPORT_TARGET_S * max(1.0, base_s / QUIET_BASELINE_S)
    assert import_s <= allowed, f"import took {import_s:.2f} s (allowed {allowed:.2f} s)"
    assert not slow, f"filters over {FILTER_TARGET_MS} ms: {slow}"
