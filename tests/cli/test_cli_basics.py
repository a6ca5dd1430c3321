"""The CLI as a person runs it: bad database files, demo, version."""

from __future__ import annotations

from pathlib import Path


def test_version(run_cli) -> None:
    result = run_cli("--version")
    assert result.returncode == 0
    assert "omtui" in result.stdout


def test_not_a_database_is_one_line_exit_2(run_cli, tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.db"
    bogus.write_text("hello\n")
    result = run_cli("demo", db=bogus)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "not an omtui database" in result.stderr
    assert bogus.read_text() == "hello\n"


def test_demo_creates_members_and_refuses_a_second_time(run_cli, db_path: Path) -> None:
    first = run_cli("demo", "--members", "50")
    assert first.returncode == 0, first.stderr
    assert "50 members" in first.stdout
    second = run_cli("demo", "--members", "50")
    assert second.returncode == 2
    assert "already holds members" in second.stderr


def test_database_location_from_env(run_cli, tmp_path: Path) -> None:
    target = tmp_path / "from-env.db"
    result = run_cli("demo", "--members", "5", db=None, env={"OMTUI_DB": str(target)})
    assert result.returncode == 0, result.stderr
    assert target.exists()
