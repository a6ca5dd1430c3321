"""Member import memory: a 600,000-row (~33 MB) CSV is read as a stream.

Run with `make bench` (or `.venv/bin/pytest tests/benchmarks/test_import_memory.py -s
--override-ini addopts=`). Each import runs in its own process, which reports its peak
resident memory (VmHWM from /proc/<pid>/status) when it is done. The baseline, measured
in the same run: a process that imports the same modules, opens the same kind of
database and reads every row of the same file with the csv module, keeping nothing.
"""

from __future__ import annotations

import json
import random
import statistics
import subprocess
import sys
from pathlib import Path

import pytest

from tests.benchmarks.report import Row, print_table

ROWS = 600_000
PEAK_TARGET_MB = 250.0
FIRST = ["Hélène", "Zoé", "Jérôme", "Anaïs", "Marc", "Léa", "Paul", "Chloé", "Noël", "Inès"]
LAST = ["Dupré", "Martin", "Lefèvre", "Bernard", "Petit", "Moreau", "Côté", "Faure"]
CITIES = ["Paris", "Lyon", "Nantes", "Saint-Étienne", "Lille", "Orléans"]
ASCII = str.maketrans("éèëêïôçÉ", "eeeeiocE")

IMPORT = """
import json, sys, time
from omtui.core.db import open_database
from omtui.core.demo import DEMO_NOW
from omtui.core.importer import apply_import, preview_import
db = open_database(sys.argv[2])
start = time.perf_counter()
preview = preview_import(db, sys.argv[1], now=DEMO_NOW)
result = apply_import(db, preview, now=DEMO_NOW)
seconds = time.perf_counter() - start
db.close()
"""
BASELINE = """
import csv, json, sys, time
from omtui.core.db import open_database
from omtui.core import importer  # noqa: F401 - the same modules in memory
db = open_database(sys.argv[2])
start = time.perf_counter()
with open(sys.argv[1], encoding="utf-8", newline="") as fh:
    count = sum(1 for _row in csv.reader(fh, delimiter=";")) - 1
result = type("R", (), {"counts": {"new": count}})
seconds = time.perf_counter() - start
db.close()
"""
REPORT = """
peak = next(l for l in open("/proc/self/status") if l.startswith("VmHWM:"))
print(json.dumps({"kib": int(peak.split()[1]), "s": seconds, "counts": result.counts}))
"""


@pytest.fixture(scope="module")
def big_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """600,000 members as a French spreadsheet writes them (`;`, French headers, UTF-8)."""
    rng = random.Random(600)
    path = tmp_path_factory.mktemp("memory") / "members-600k.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write("Prénom;Nom;Courriel;Ville;Newsletter\r\n")
        for i in range(ROWS):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            email = f"{first}.{last}{i}@example.com".translate(ASCII).lower()
            fh.write(f"{first};{last};{email};{rng.choice(CITIES)};oui\r\n")
    return path


def measure(script: str, csv_path: Path, db_path: Path) -> dict:
    """Run `script` in a fresh interpreter; its peak memory, seconds and counts."""
    done = subprocess.run(
        [sys.executable, "-c", script + REPORT, str(csv_path), str(db_path)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_import_memory_is_bounded(big_csv: Path, tmp_path: Path) -> None:
    size_mb = big_csv.stat().st_size / 1e6
    baseline = [measure(BASELINE, big_csv, tmp_path / f"base{i}.db") for i in range(3)]
    assert all(b["counts"]["new"] == ROWS for b in baseline)
    runs = [measure(IMPORT, big_csv, tmp_path / f"import{i}.db") for i in range(1)]
    for run in runs:
        assert run["counts"] == {"new": ROWS, "updated": 0, "unchanged": 0, "rejected": 0}
    base_mb = statistics.median(b["kib"] for b in baseline) / 1024
    peak_mb = statistics.median(r["kib"] for r in runs) / 1024
    seconds = statistics.median(r["s"] for r in runs)
    base_s = statistics.median(b["s"] for b in baseline)
    print_table(
        f"Member import memory ({ROWS:,} rows, {size_mb:.0f} MB CSV, own process each)",
        [
            Row(
                "peak resident memory (VmHWM), preview + apply",
                peak_mb,
                "MB",
                baseline=f"csv.reader pass {base_mb:.0f} MB",
                ratio=peak_mb / base_mb,
                target=f"<= {PEAK_TARGET_MB:.0f} MB",
            ),
            Row(
                "wall time, preview + apply",
                seconds,
                "s",
                baseline=f"csv.reader pass {base_s:.2f} s",
                ratio=seconds / base_s,
            ),
        ],
    )
    assert peak_mb <= PEAK_TARGET_MB, f"peak {peak_mb:.0f} MB"
