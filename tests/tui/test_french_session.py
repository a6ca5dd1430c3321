"""Runs the French test session (tests/tui_fr) from the English one, so `make test` runs it.

French must be chosen before the TUI modules are imported (their key descriptions are
translated then), and this session has imported them in English: a child pytest does it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_french_session_passes() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OMTUI_", "PYTEST_"))}
    env["OMTUI_LANG"] = "fr"
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/tui_fr", "-q", "-p", "no:cacheprovider"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]
    assert " passed" in proc.stdout and "failed" not in proc.stdout
