"""Helpers every benchmark shares: repeat, take medians, print a table of ratios."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


def median_seconds(func: Callable[[], object], repeat: int = 5, warmup: int = 1) -> float:
    """Median wall time of `func()` over `repeat` runs, after `warmup` unmeasured runs."""
    for _ in range(warmup):
        func()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


@dataclass
class Row:
    name: str
    value: float
    unit: str
    baseline: str = ""
    ratio: float | None = None
    target: str = ""

    @property
    def verdict(self) -> str:
        return ""


def print_table(title: str, rows: list[Row]) -> None:
    """Print a fixed-width table (run `make bench`, which passes -s, to see it)."""
    head = ("measure", "median", "baseline", "ratio", "target")
    body = [
        (
            r.name,
            f"{r.value:,.3f} {r.unit}",
            r.baseline,
            "" if r.ratio is None else f"{r.ratio:.2f}x",
            r.target,
        )
        for r in rows
    ]
    widths = [max(len(str(x)) for x in col) for col in zip(head, *body, strict=False)]
    line = "  ".join("-" * w for w in widths)
    print(f"\n{title}\n{line}")
    print("  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)))
    print(line)
    for cells in body:
        print("  ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)))
    print(line)
