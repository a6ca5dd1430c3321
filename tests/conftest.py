"""Shared fixtures: a real SQLite file in a temp dir, frozen time, isolated config dirs,
a real SMTP server on loopback, and a way to run the real CLI in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest

# Existing tests read English text: pin English before omtui's modules are imported (key
# descriptions and help texts are translated then). French tests choose French explicitly,
# in a subprocess where the language must be chosen before the imports.
os.environ["OMTUI_LANG"] = "en"

from omtui import i18n
from omtui.config import Config
from omtui.context import ClubContext
from omtui.core.db import Database, open_database
from omtui.core.demo import DEMO_CLUB_NAME, DEMO_NOW, build_demo
from tests.smtp_sink import SmtpSink

# tests/tui_fr is the French session: French must be chosen before the TUI modules are
# imported, so it runs on its own (`pytest tests/tui_fr`, from tests/tui/test_french_session.py)
# and is never collected with the English tests.
collect_ignore = ["tui_fr"]


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Keep every test away from the real user's config and data."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    for name in list(os.environ):
        if name.startswith("OMTUI_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("OMTUI_LANG", "en")
    i18n.set_language("en")  # a test that switched language must not leak it
    return home


@pytest.fixture
def now() -> datetime:
    return DEMO_NOW


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "club.db"


@pytest.fixture
def db(db_path: Path) -> Iterator[Database]:
    database = open_database(db_path)
    yield database
    database.close()


@pytest.fixture
def club(db_path: Path) -> Iterator[ClubContext]:
    """An empty club on a fresh database, with time frozen at DEMO_NOW."""
    ctx = ClubContext(config=Config(club_name=DEMO_CLUB_NAME), db_path=db_path, fixed_now=DEMO_NOW)
    yield ctx
    ctx.close()


@pytest.fixture
def demo_club(club: ClubContext) -> ClubContext:
    """The demo club, small enough for fast UI tests."""
    build_demo(club.db, members_count=300)
    return club


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    """A real SMTP server (aiosmtpd) on a free loopback port."""
    sink = SmtpSink()
    sink.start()
    yield sink
    sink.stop()


@dataclass
class CliResult:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def run_cli(db_path: Path, isolated_dirs: Path):
    """Run `python -m omtui --db DB ...` in a subprocess, as a person would."""

    def run(
        *args: str,
        input: str | None = None,
        db: Path | None = db_path,
        env: dict[str, str] | None = None,
        timeout: float = 60,
    ) -> CliResult:
        full_env = {k: v for k, v in os.environ.items() if not k.startswith("OMTUI_")}
        full_env.update(
            OMTUI_LANG="en",
            HOME=str(isolated_dirs),
            XDG_CONFIG_HOME=str(isolated_dirs / ".config"),
            XDG_DATA_HOME=str(isolated_dirs / ".local" / "share"),
        )
        full_env.update(env or {})
        argv = [sys.executable, "-m", "omtui"]
        if db is not None:
            argv += ["--db", str(db)]
        proc = subprocess.run(
            [*argv, *args],
            input=input,
            capture_output=True,
            text=True,
            env=full_env,
            timeout=timeout,
        )
        return CliResult(proc.returncode, proc.stdout, proc.stderr)

    return run
