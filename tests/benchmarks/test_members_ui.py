"""The first screens at 100,000 members (issue 2 §5, issue 13), against a bare Textual app.

The Today tab (issue 13): the app's first screen complete, every figure drawn, at 3,000
and 100,000 members of the demo club (events, rota, a sent newsletter), at most 1.5x the
bare app's first frame.

The Members tab (issue 2):

(a) baseline: a bare Textual app showing a 50-row DataTable, process start to first frame;
(b) omtui on the 100k database, process start to the first frame showing member rows;
    ratio (b)/(a) must be at most 1.5x;
(c) peak memory (VmHWM, start to exit) of (b)'s process at most 100 MB;
(d) a filter keystroke updates the table in at most 50 ms (median), misses included.

(a) and (b) run in fresh subprocesses on a real pseudo-terminal (120x40), alternating,
medians of REPEAT runs. The 100k database is built once and kept in the temp dir.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import pty
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import textwrap
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from fcntl import ioctl
from pathlib import Path

import pytest

from omtui.config import BackupConfig, Config
from omtui.context import ClubContext
from omtui.core import demo, members, migrations
from omtui.core.db import open_database
from omtui.core.demo import DEMO_NOW, seed_members
from omtui.core.privacy.jobs import daily_backup
from omtui.tui.app import make_app
from omtui.tui.panes.members import MembersPane
from tests.benchmarks.report import Row, print_table

MEMBERS = 100_000
REPEAT = 9
RATIO_TARGET = 1.5
MEMORY_TARGET_MB = 100
KEYSTROKE_TARGET_S = 0.050

BARE = r"""
from textual.app import App
from textual.widgets import DataTable, Footer, Header


class Bare(App):
    def compose(self):
        yield Header()
        yield DataTable()
        yield Footer()

    def on_mount(self):
        table = self.query_one(DataTable)
        table.add_columns("Name", "Email", "Company", "City", "Tags", "News", "Joined")
        table.add_rows(
            (f"Name {i}", f"person{i}@example.org", "Company", "Paris", "", "yes", "a year ago")
            for i in range(50)
        )
"""
"""The baseline both start-up benchmarks compare with: a header, a 50-row table, a footer."""

CHILD = r"""
import atexit, sys, time
mode, db_path, out_path = sys.argv[1], sys.argv[2], sys.argv[3]


@atexit.register
def peak_memory():
    # VmHWM: this program's own peak resident memory (ru_maxrss would also count the
    # copy of the parent that the fork made before exec)
    with open("/proc/self/status") as status:
        peak = next(line for line in status if line.startswith("VmHWM:"))
    with open(out_path + ".mem", "w") as out:
        out.write(peak.split()[1])  # kB

if mode == "baseline":
    # {bare}
    app = Bare()

    def ready():
        return app.query_one(DataTable).row_count == 50

    original = app._display
    done = False

    def display(screen, renderable):
        global done
        original(screen, renderable)
        if not done and renderable is not None and ready():
            done = True
            with open(out_path, "w") as out:
                out.write(repr(time.monotonic()))
            app.call_later(app.exit)

    app._display = display
    app.run()
else:  # the real entry point, as a person types it: omtui --db PATH
    # omtui.tui.app (Textual) is patched when `omtui` itself imports it, not imported here
    # first: the real entry point starts the database's opening before Textual loads
    import importlib.abc
    import importlib.util

    if mode == "omtui":  # the Members tab as the first screen (the app opens on Today)
        import omtui.tui.first_read

        omtui.tui.first_read.start = lambda club: None  # no Today tab to read for
    done = False

    def complete(app):
        if mode == "today":  # every figure of the overview drawn
            panes = app.query("TodayPane")
            return bool(panes) and panes.first().drawn > 0
        panes = app.query("MembersPane")
        return bool(panes) and panes.first().table.row_count > 0

    def patch(module):
        if mode == "omtui":
            module.INITIAL_TAB = "members"
        original = module.OmtuiApp._display

        def display(self, screen, renderable):
            global done
            original(self, screen, renderable)
            if done or renderable is None:
                return
            if complete(self):
                done = True
                with open(out_path, "w") as out:
                    out.write(repr(time.monotonic()))
                self.call_later(self.exit)

        module.OmtuiApp._display = display

    class PatchOnImport(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name != "omtui.tui.app":
                return None
            sys.meta_path.remove(self)
            spec = importlib.util.find_spec(name)
            run_module = spec.loader.exec_module

            def exec_module(module):
                run_module(module)
                patch(module)

            spec.loader.exec_module = exec_module
            return spec

    sys.meta_path.insert(0, PatchOnImport())
    sys.argv = ["omtui", "--db", db_path]
    from omtui.cli import main

    main()
""".replace("    # {bare}\n", textwrap.indent(BARE, "    "))


@pytest.fixture(scope="module")
def big_db() -> Path:
    """100,000 demo members, built once per schema and kept in the temp dir (~40 s)."""
    recipe = b"".join(Path(m.__file__).read_bytes() for m in (migrations, demo, members))
    digest = hashlib.sha256(recipe).hexdigest()[:12]
    path = Path(tempfile.gettempdir()) / f"omtui-bench-{MEMBERS}-{digest}.db"
    if not path.exists():
        building = path.with_suffix(".building")
        for stale in building.parent.glob(building.name + "*"):
            stale.unlink()
        db = open_database(building)
        seed_members(db, MEMBERS, now=DEMO_NOW)
        db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db.close()
        building.rename(path)
    backed_up_today(path)
    return path


def backed_up_today(path: Path) -> None:
    """Take the app's daily backup now, unless one ran in the last 24 hours.

    Otherwise every app started on `path` begins copying it in a thread after its first
    frame, and the benchmark stops the app before the copy ends: no run is recorded, the
    next app starts over, and a half copy is left in the backups folder each time.
    """
    db = open_database(path)
    try:
        daily_backup(db, BackupConfig(), now=DEMO_NOW)
    finally:
        db.close()


def run_child(mode: str, db_path: Path, tmp: Path) -> tuple[float, float, float]:
    """Start `mode` in a fresh process on a 120x40 pty.

    Returns (seconds to the frame, peak MB, CPU seconds of the whole process run).
    """
    out = tmp / f"{mode}.time"
    out.unlink(missing_ok=True)
    Path(f"{out}.mem").unlink(missing_ok=True)
    master, slave = pty.openpty()
    ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "120", "LINES": "40"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # as installed: see run_on_screen
    drained = threading.Thread(target=_drain, args=(master,), daemon=True)
    drained.start()
    start = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, mode, str(db_path), str(out)],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        start_new_session=True,
    )
    os.close(slave)
    try:
        _pid, status, usage = _wait4(proc, timeout=60)
    finally:
        os.close(master)
    assert status == 0 and out.exists(), f"{mode} child failed (status {status})"
    cpu = usage.ru_utime + usage.ru_stime
    peak_mb = int(Path(f"{out}.mem").read_text()) / 1024
    return float(out.read_text()) - start, peak_mb, cpu


def _drain(fd: int) -> None:
    try:
        while os.read(fd, 65536):
            pass
    except OSError:
        pass


def _wait4(proc: subprocess.Popen, timeout: float):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            return pid, proc.returncode, usage
        time.sleep(0.005)
    proc.kill()
    raise AssertionError(f"child {proc.args[2]} did not reach its first frame in {timeout}s")


def test_members_tab_at_100k(big_db: Path, tmp_path: Path) -> None:
    for mode in ("baseline", "omtui"):  # warm the disk cache and Python's bytecode
        run_child(mode, big_db, tmp_path)
    bare, ours, memory, bare_cpu, ours_cpu = [], [], [], [], []
    for _ in range(REPEAT):
        seconds, _peak, cpu = run_child("baseline", big_db, tmp_path)
        bare.append(seconds)
        bare_cpu.append(cpu)
        seconds, peak, cpu = run_child("omtui", big_db, tmp_path)
        ours.append(seconds)
        memory.append(peak)
        ours_cpu.append(cpu)
    bare_s, ours_s, peak_mb = (statistics.median(x) for x in (bare, ours, memory))
    bare_cpu_s, ours_cpu_s = statistics.median(bare_cpu), statistics.median(ours_cpu)
    latency = asyncio.run(filter_latency(big_db))
    ratio = ours_s / bare_s
    print_table(
        f"Members tab, {MEMBERS:,} members (medians of {REPEAT} fresh processes)",
        [
            Row("bare Textual app, 50-row DataTable: first frame", bare_s, "s"),
            Row(
                "omtui Members tab: first frame with rows",
                ours_s,
                "s",
                f"{bare_s:.3f} s",
                ratio,
                f"<= {RATIO_TARGET}x",
            ),
            Row(
                "  CPU time of the whole run (start, frame, exit)",
                ours_cpu_s,
                "s",
                f"{bare_cpu_s:.3f} s",
                ours_cpu_s / bare_cpu_s,
            ),
            Row(
                "omtui peak memory (VmHWM, start to exit)",
                peak_mb,
                "MB",
                target=f"<= {MEMORY_TARGET_MB} MB",
            ),
            Row("filter keystroke -> rows in the table", latency["rows"] * 1000, "ms"),
            Row(
                "filter keystroke -> frame painted (all)",
                latency["all"] * 1000,
                "ms",
                target=f"<= {KEYSTROKE_TARGET_S * 1000:.0f} ms",
            ),
            Row("  of which hits", latency["hits"] * 1000, "ms"),
            Row("  of which misses", latency["misses"] * 1000, "ms"),
            Row("keystroke -> count shown, app idle (Pilot)", latency["count"] * 1000, "ms"),
            Row(
                "1-2 letter keystroke right after a write -> frame painted",
                latency["after write"] * 1000,
                "ms",
                target=f"<= {KEYSTROKE_TARGET_S * 1000:.0f} ms",
            ),
        ],
    )
    assert ratio <= RATIO_TARGET, f"first frame {ours_s:.3f}s vs bare {bare_s:.3f}s"
    assert peak_mb <= MEMORY_TARGET_MB
    assert latency["all"] <= KEYSTROKE_TARGET_S
    assert latency["misses"] <= KEYSTROKE_TARGET_S
    assert latency["after write"] <= KEYSTROKE_TARGET_S


async def filter_latency(db_path: Path) -> dict[str, float]:
    """Type into the filter of the real app; time each key until its rows are painted.

    The clock stops at the first frame the app renders after the pane put the new rows
    in the table (headless, so the frame is composed but not written), not when Pilot's
    `press()` returns: `press()` also waits for the app to go idle, count query included.
    """
    club = ClubContext(config=Config(), db_path=db_path, fixed_now=DEMO_NOW)
    app = make_app(club, poll=False)
    hits: list[float] = []
    misses: list[float] = []
    in_table: list[float] = []
    counts: list[float] = []
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("1")  # the app opens on Today
        await app.workers.wait_for_complete()
        await pilot.pause()
        pane = app.query_one(MembersPane)
        marks: dict[str, float] = {}
        show_rows, display = pane._show_rows, app._display

        def timed_show_rows(*args) -> None:
            show_rows(*args)
            marks.setdefault("rows", time.perf_counter())

        def timed_display(screen, renderable) -> None:
            display(screen, renderable)
            if renderable is not None and "rows" in marks:
                marks.setdefault("painted", time.perf_counter())

        pane._show_rows = timed_show_rows  # type: ignore[method-assign]
        app._display = timed_display  # type: ignore[method-assign]
        # "helene", a miss, back to a hit, a word nobody has, then a city
        script = [*"helene", *"zq", "backspace", "backspace", "ctrl+u", *"xylophone"]
        script += ["ctrl+u", *"lyon", "ctrl+u"]
        await pilot.press("slash")
        for key in script:
            marks.clear()
            start = time.perf_counter()
            await pilot.press(key)
            while pane.shown_generation != pane._generation or "painted" not in marks:
                await asyncio.sleep(0.0005)
            (hits if pane.table.row_count else misses).append(marks["painted"] - start)
            in_table.append(marks["rows"] - start)
            await app.workers.wait_for_complete()
            await pilot.pause()
            counts.append(time.perf_counter() - start)
        after_write = await keystrokes_after_writes(app, pilot, pane, marks, club)
    club.close()
    return {
        "after write": statistics.median(after_write),
        "all": statistics.median(hits + misses),
        "hits": statistics.median(hits),
        "misses": statistics.median(misses),
        "rows": statistics.median(in_table),
        "count": statistics.median(counts),
    }


AFTER_WRITE_WORDS = ("a", "le", "du", "zq", "h", "ma", "b", "ly")


async def keystrokes_after_writes(app, pilot, pane, marks, club) -> list[float]:
    """1-2 letter words typed right after a write (issue 10): each word starts on an empty
    filter just after another connection changed a member (a CLI command, a volunteer's
    session) and the app noticed; its letters are typed as fast as the rows are painted.
    Returns the seconds of every keystroke to its painted rows."""
    writer = club.worker_db()
    member_id = writer.scalar("SELECT min(id) FROM members WHERE archived_at IS NULL")
    seconds: list[float] = []
    for round_, word in enumerate(AFTER_WRITE_WORDS):
        await pilot.press("ctrl+u")
        await app.workers.wait_for_complete()
        members.update_member(writer, member_id, {"city": f"Lyon {round_}"}, now=DEMO_NOW)
        app.check_for_outside_changes()  # what the app's poll does every second
        await app.workers.wait_for_complete()
        await pilot.pause()
        for key in word:
            marks.clear()
            start = time.perf_counter()
            await pilot.press(key)
            while pane.shown_generation != pane._generation or "painted" not in marks:
                await asyncio.sleep(0.0005)
            seconds.append(marks["painted"] - start)
    await app.workers.wait_for_complete()
    writer.close()
    return seconds


def build_demo_db(count: int) -> Path:
    """The whole demo club with `count` members, built once per schema in the temp dir."""
    recipe = b"".join(Path(m.__file__).read_bytes() for m in (migrations, demo, members))
    digest = hashlib.sha256(recipe).hexdigest()[:12]
    path = Path(tempfile.gettempdir()) / f"omtui-bench-demo-{count}-{digest}.db"
    if not path.exists():
        building = path.with_suffix(".building")
        for stale in building.parent.glob(building.name + "*"):
            stale.unlink()
        db = open_database(building)
        demo.build_demo(db, members_count=count, now=DEMO_NOW)
        db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db.close()
        building.rename(path)
    backed_up_today(path)
    return path


BARE_APP = BARE + "\n\nBare().run()\n"
"""The baseline launched in a terminal: the same app as the in-process benchmark's."""

OMTUI = str(Path(sys.executable).with_name("omtui"))
"""The console script, launched as a person types it."""
QUIET_S = 1.0
"""A screen that has not changed for this long is complete (the app is left running)."""


@dataclass
class OnScreen:
    """What a person sees on a fresh process's terminal, and when (seconds from launch)."""

    shown: float
    """The first moment the screen showed what `run_on_screen` waited for."""
    settled: float
    """The moment of the last visible change: from then on the screen is complete."""
    final: str
    """The final screen's text."""
    cpu: float
    """CPU seconds the program used, launch to its kill (after QUIET_S idle): less
    sensitive than wall time to the other programs sharing the machine."""


def run_on_screen(args: list[str], shown: Callable[[str], bool], *, timeout: float = 60):
    """Launch `args` on a 120x40 pseudo-terminal and watch it like a person would.

    Every byte the program writes is timestamped as it arrives, then replayed into a
    terminal emulator (pyte) after the run, so the watching costs the program nothing.
    The program runs until its screen has been quiet for QUIET_S, then it is killed.
    Cell text, colours and bold count as visible changes.
    """
    import pyte

    master, slave = pty.openpty()
    ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "120", "LINES": "40"}
    # as installed (pip compiles the bytecode): without this, a developer's
    # PYTHONDONTWRITEBYTECODE=1 recompiles omtui's own modules on every run while
    # Textual's come precompiled from site-packages
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    chunks: list[tuple[float, bytes]] = []

    def read() -> None:
        try:
            while data := os.read(master, 65536):
                chunks.append((time.monotonic(), data))
        except OSError:
            pass

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    start = time.monotonic()
    proc = subprocess.Popen(
        args, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True
    )
    os.close(slave)
    try:
        while True:
            time.sleep(0.05)
            now = time.monotonic()
            last = chunks[-1][0] if chunks else start
            if proc.poll() is not None:
                raise AssertionError(f"{args[1:]} exited ({proc.returncode}) before settling")
            if chunks and now - last >= QUIET_S:
                break
            if now - start > timeout:
                raise AssertionError(f"{args[1:]} did not settle within {timeout}s")
        seen = list(chunks)
    finally:
        proc.kill()
        _pid, _status, usage = os.wait4(proc.pid, 0)
        proc.returncode = -9
        os.close(master)
    screen = pyte.Screen(120, 40)
    stream = pyte.ByteStream(screen)
    states: list[tuple[float, tuple, str]] = []
    for when, data in seen:
        stream.feed(data)
        cells = tuple(
            (c.data, c.fg, c.bg, c.bold)
            for row in range(40)
            for c in (screen.buffer[row][column] for column in range(120))
        )
        states.append((when - start, cells, "\n".join(screen.display)))
    final_cells = states[-1][1]
    settled = states[-1][0]
    for when, cells, _text in reversed(states):
        if cells != final_cells:
            break
        settled = when
    first = next((when for when, _cells, text in states if shown(text)), None)
    assert first is not None, f"{args[1:]} never showed what was expected:\n{states[-1][2]}"
    cpu = usage.ru_utime + usage.ru_stime
    return OnScreen(shown=first, settled=settled, final=states[-1][2], cpu=cpu)


def test_today_first_screen(tmp_path: Path) -> None:
    """Launch to the COMPLETE first screen (issue 10, issue 13), on a real pseudo-terminal.

    omtui: `omtui --db PATH` as typed, on the demo club (Today tab, every figure, footer and
    tab underline drawn, focus shown), to its last visible change. Bare Textual app (header,
    50-row DataTable, footer): launch to the first screen showing its table. Rounds
    interleave bare, 3,000 and 100,000 members; medians of REPEAT rounds.
    """
    dbs = {count: build_demo_db(count) for count in (3_000, MEMBERS)}
    bare_args = [sys.executable, "-c", BARE_APP]
    table_shown = lambda text: "person0@example.org" in text  # noqa: E731

    def ours(count: int) -> OnScreen:
        args = [OMTUI, "--db", str(dbs[count])]
        return run_on_screen(args, lambda text: "^q" in text)

    for count in dbs:  # warm the disk cache, the bytecode, and the daily backup
        ours(count)
    run_on_screen(bare_args, table_shown)
    bare: list[OnScreen] = []
    runs: dict[int, list[OnScreen]] = {count: [] for count in dbs}
    for _ in range(REPEAT):
        bare.append(run_on_screen(bare_args, table_shown))
        for count in dbs:
            runs[count].append(ours(count))
    load = os.getloadavg()
    bare_s = statistics.median(b.shown for b in bare)
    bare_settled = statistics.median(b.settled for b in bare)
    rows = [
        Row("bare Textual app: launch to its table shown", bare_s, "s"),
        Row("  bare app: launch to its last visible change", bare_settled, "s"),
        Row("  bare app: CPU time, launch to kill", statistics.median(b.cpu for b in bare), "s"),
    ]
    ratios = {}
    for count, results in runs.items():
        complete = statistics.median(r.settled for r in results)
        paired = statistics.median(r.settled / b.shown for r, b in zip(results, bare, strict=True))
        ratios[count] = complete / bare_s
        rows += [
            Row(
                f"omtui, {count:,} members: launch to the complete Today tab",
                complete,
                "s",
                f"{bare_s:.3f} s",
                ratios[count],
                f"<= {RATIO_TARGET}x",
            ),
            Row("  first paint", statistics.median(r.shown for r in results), "s"),
            Row("  median of the ratios of each round", paired, "x"),
            Row(
                "  CPU time, launch to kill (vs the bare app's)",
                statistics.median(r.cpu for r in results),
                "s",
                ratio=statistics.median(r.cpu for r in results)
                / statistics.median(b.cpu for b in bare),
            ),
        ]
        assert "^p" in results[-1].final, results[-1].final  # the footer's keys are drawn
    rows.append(Row("load average (1 min) at the end", load[0], ""))
    print_table(f"Today tab, the first screen (medians of {REPEAT} interleaved rounds)", rows)
    for count, ratio in ratios.items():
        assert ratio <= RATIO_TARGET, f"{count:,} members: {ratio:.2f}x the bare app"
