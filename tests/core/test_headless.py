"""The core never imports Textual or Rich: proven in a fresh interpreter per module."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import pytest

import omtui.core

CORE_MODULES = sorted(m.name for m in pkgutil.walk_packages(omtui.core.__path__, "omtui.core.")) + [
    "omtui",
    "omtui.config",
    "omtui.context",
    "omtui.paths",
    "omtui.cli",
]


@pytest.mark.parametrize("module", CORE_MODULES)
def test_module_does_not_import_textual(module: str) -> None:
    code = (
        f"import sys, {module}; "
        "bad = [m for m in ('textual', 'rich') if m in sys.modules]; "
        "print(','.join(bad)); sys.exit(1 if bad else 0)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, f"{module} imports {proc.stdout.strip()} {proc.stderr}"
