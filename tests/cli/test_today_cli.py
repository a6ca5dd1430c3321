"""`omtui today [--json]`: the overview's list and figures, as the tab shows them."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from omtui.cli import cli
from omtui.core.dates import utcnow
from omtui.core.db import open_database
from omtui.core.demo import build_demo


def _demo(db_path: Path) -> None:
    # the CLI runs at the real clock: build the demo club around it
    db = open_database(db_path)
    build_demo(db, members_count=200, now=utcnow())
    db.close()


def test_today_prints_each_section(db_path: Path) -> None:
    _demo(db_path)
    result = CliRunner().invoke(cli, ["--db", str(db_path), "today"])
    assert result.exit_code == 0, result.output
    out = result.output
    for heading in (
        "What needs you (",
        "Automation",
        "The club at a glance",
        "Next events",
        "Last newsletter",
        "Attendance, last 6 months",
        "Where to hold the next lunch",
    ):
        assert heading in out
    assert "Ma fille est malade" in out  # the late drop and its reason
    assert "Backup: never ran" in out
    assert "200 members" in out


def test_today_json(db_path: Path) -> None:
    _demo(db_path)
    result = CliRunner().invoke(cli, ["--db", str(db_path), "today", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["members"]["total"] == 200
    kinds = {item["kind"] for item in data["needs_you"]}
    assert {"drop", "gap", "full"} <= kinds
    assert [job["kind"] for job in data["automation"]] == ["remind", "mailbox", "backup"]
    assert len(data["members"]["joined_by_month"]) == 12


def test_today_on_an_empty_club(db_path: Path) -> None:
    result = CliRunner().invoke(cli, ["--db", str(db_path), "today"])
    assert result.exit_code == 0, result.output
    assert "Nothing needs you today" in result.output
    assert "No newsletter sent yet." in result.output
