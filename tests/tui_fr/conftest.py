"""The French test session: the organiser's app and the volunteer view in French.

The key descriptions (BINDINGS) and help texts are translated when the TUI modules are
imported, so French must be chosen before any of them is: this folder is its own pytest
session (`pytest tests/tui_fr`, run by tests/tui/test_french_session.py), never collected
with the English tests (tests/conftest.py ignores it there). The root conftest has imported
only omtui's core modules by now, which translate nothing at import time.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

_TUI_ALREADY_IMPORTED = sorted(m for m in sys.modules if m.startswith("omtui.tui"))
if _TUI_ALREADY_IMPORTED:  # in the English session: its key descriptions would be English
    raise RuntimeError(
        "tests/tui_fr must run in its own session (pytest tests/tui_fr); already imported: "
        + ", ".join(_TUI_ALREADY_IMPORTED)
    )

os.environ["OMTUI_LANG"] = "fr"

from omtui import i18n  # noqa: E402

i18n.set_language("fr")


@pytest.fixture(autouse=True)
def isolated_dirs(isolated_dirs: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The root conftest's isolation, then French for every test of this session."""
    monkeypatch.setenv("OMTUI_LANG", "fr")
    i18n.set_language("fr")
    return isolated_dirs
