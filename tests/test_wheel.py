"""The compiled French catalogue ships in the wheel (checked on a built wheel, not the tree)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
MO = "omtui/locale/fr/LC_MESSAGES/omtui.mo"


@pytest.mark.slow
def test_the_wheel_carries_the_french_catalogue_and_uses_it(tmp_path: Path) -> None:
    source = tmp_path / "source"
    shutil.copytree(ROOT / "omtui", source / "omtui",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pot"))  # fmt: skip
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(source), "--no-deps",
         "--no-build-isolation", "--quiet", "--wheel-dir", str(tmp_path / "dist")],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    (wheel,) = (tmp_path / "dist").glob("omtui-*.whl")
    installed = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        assert MO in archive.namelist()
        archive.extractall(installed)
    # A fresh interpreter that sees only the unpacked wheel (-I: not the source tree).
    probe = (
        f"import sys; sys.path.insert(0, {str(installed)!r}); from omtui import i18n; "
        "i18n.set_language('fr'); print(i18n.__file__); print(i18n._('Members'))"
    )
    out = subprocess.run(
        [sys.executable, "-I", "-c", probe], capture_output=True, text=True, check=True,
        cwd=tmp_path, timeout=60,
    ).stdout.splitlines()  # fmt: skip
    assert out[0].startswith(str(installed))
    assert out[1] == "Membres"
