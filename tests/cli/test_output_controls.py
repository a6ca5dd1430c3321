"""What the CLI prints from data never commands the terminal: control characters are
stripped on the way in (import) and shown, not obeyed, on the way out (legacy data)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from omtui.cli import cli
from omtui.core import members
from omtui.core.db import open_database

EVE = "Eve\033]2;PWNED\007"
CONTROLS = ("\x1b", "\x07", "\x9b", "\x85")


def no_controls(text: str) -> None:
    for char in CONTROLS:
        assert char not in text, repr(char)


def test_imported_escape_sequences_never_reach_the_terminal(run_cli, tmp_path: Path) -> None:
    csv = tmp_path / "in.csv"
    csv.write_text(f"first_name,last_name,email\n{EVE},Martin,eve@example.org\n", "utf-8")
    assert run_cli("members", "import", str(csv)).returncode == 0
    listed = run_cli("members", "list")
    assert listed.returncode == 0, listed.stderr
    no_controls(listed.stdout + listed.stderr)
    assert "Eve]2;PWNED Martin" in listed.stdout  # stored without ESC and BEL
    as_json = run_cli("members", "list", "--json")
    assert json.loads(as_json.stdout)[0]["first_name"] == "Eve]2;PWNED"


def test_control_characters_already_stored_are_shown_not_obeyed(db_path: Path, now) -> None:
    """Data written before omtui cleaned its input, or by another program."""
    db = open_database(db_path)
    member = members.add_member(db, {"email": "eve@example.org"}, now=now)
    raw_company = "ACME\x9b31m\x85"
    with db.transaction() as conn:
        conn.execute(
            "UPDATE members SET first_name = ?, company = ? WHERE id = ?",
            (EVE, raw_company, member.id),
        )
    db.close()
    runner = CliRunner()
    plain = runner.invoke(cli, ["--db", str(db_path), "members", "list"])
    assert plain.exit_code == 0, plain.output
    no_controls(plain.output)
    assert "Eve␛]2;PWNED␇" in plain.output
    assert "ACME\ufffd31m\ufffd" in plain.output
    as_json = runner.invoke(cli, ["--db", str(db_path), "members", "list", "--json"])
    assert as_json.exit_code == 0, as_json.output
    no_controls(as_json.output)
    [row] = json.loads(as_json.output)  # escaped, so the data itself is intact
    assert (row["first_name"], row["company"]) == (EVE, raw_company)
    history = runner.invoke(cli, ["--db", str(db_path), "members", "history", "eve@example.org"])
    no_controls(history.output)
    assert "Eve␛]2;PWNED␇" in history.output


def test_commands_print_through_the_sanitising_echo() -> None:
    """A new `click.echo(...)` in a command would print data unsanitised: use `echo`."""
    commands = Path(__file__).parents[2] / "omtui" / "commands"
    offenders = [
        f"{path.name}:{number}"
        for path in sorted(commands.glob("*.py"))
        if path.name != "__init__.py"
        for number, line in enumerate(path.read_text("utf-8").splitlines(), 1)
        if "click.echo(" in line or "print(" in line
    ]
    assert not offenders, "use omtui.commands.echo / echo_json: " + ", ".join(offenders)
