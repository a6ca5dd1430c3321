"""`omtui backup|restore|audit|maintenance`, `omtui members erase|export-data`, in a
subprocess as the organiser (and cron) would run them."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

GOOD = "email;first name;last name;phone\nana@example.org;Ana;Quorvath;+33 6 11 22 33 44\n"


def _import(run_cli, tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_text(GOOD)
    assert run_cli("members", "import", str(path)).returncode == 0


def test_backup_erase_restore_round_trip(run_cli, tmp_path: Path, db_path: Path) -> None:
    _import(run_cli, tmp_path)
    folder = tmp_path / "bk"
    first = run_cli("backup", str(folder))
    assert first.returncode == 0, first.stderr
    copies = sorted(folder.glob("club-*.db"))
    assert len(copies) == 1 and copies[0].stat().st_mode & 0o077 == 0
    assert "no copy taken" in run_cli("backup", str(folder)).stdout  # nothing changed

    exported = run_cli("members", "export-data", "ana@example.org")
    assert json.loads(exported.stdout)["member"]["last_name"] == "Quorvath"

    refused = run_cli("members", "erase", "ana@example.org", input="someone@else.org\n")
    assert refused.returncode == 1 and "nothing was erased" in refused.stderr
    erased = run_cli("members", "erase", "ana@example.org", input="ANA@example.org\n")
    assert erased.returncode == 0, erased.stderr
    assert "is erased" in erased.stdout

    restored = run_cli("restore", str(copies[0]), "--yes")
    assert restored.returncode == 0, restored.stderr
    assert "1 member erased since that backup was erased again." in restored.stdout
    assert run_cli("members", "export-data", "ana@example.org").returncode == 1
    log = json.loads(run_cli("audit", "--json").stdout)
    actions = [e["action"] for e in log]
    assert {"member.import", "member.export-data", "member.erase", "restore"} <= set(actions)
    assert "Quorvath" not in json.dumps(log) and "ana@" not in json.dumps(log)
    again = tmp_path / "again.csv"
    again.write_text(GOOD)
    imported = run_cli("members", "import", str(again))
    assert imported.returncode == 1 and "erased at the person's request" in imported.stderr


def test_a_damaged_backup_is_refused_in_one_line(run_cli, tmp_path: Path, db_path) -> None:
    _import(run_cli, tmp_path)
    assert run_cli("backup", str(tmp_path / "bk")).returncode == 0
    copy = next((tmp_path / "bk").glob("club-*.db"))
    data = bytearray(copy.read_bytes())
    data[len(data) // 2 :] = b"\x00" * (len(data) - len(data) // 2)
    damaged = tmp_path / "damaged.db"
    damaged.write_bytes(bytes(data[: 4096 * 3]) + b"garbage" * 3000)
    before = sqlite3.connect(db_path).execute("SELECT count(*) FROM members").fetchone()
    for path in (damaged, tmp_path / "in.csv", tmp_path / "missing.db"):
        result = run_cli("restore", str(path), "--yes")
        assert result.returncode != 0
        assert result.stderr.count("\n") == 1 and result.stderr.startswith("omtui: ")
        assert "Traceback" not in result.stderr
    assert sqlite3.connect(db_path).execute("SELECT count(*) FROM members").fetchone() == before


def test_maintenance_forgets_old_addresses_and_lists_old_archives(
    run_cli, tmp_path: Path, db_path: Path
) -> None:
    _import(run_cli, tmp_path)
    conn = sqlite3.connect(db_path)
    with conn:
        conn.execute(
            "INSERT INTO newsletters (subject, status, created_at, updated_at) "
            "VALUES ('old', 'sent', '2020-01-01T00:00:00+00:00', '2020-01-01T00:00:00+00:00')"
        )
        conn.execute(
            "INSERT INTO outbox (newsletter_id, member_id, email, state, updated_at, sent_at) "
            "VALUES (1, 1, 'ana@example.org', 'sent', '2020-01-01T00:00:00+00:00', "
            "'2020-01-01T00:00:00+00:00')"
        )
        conn.execute("UPDATE members SET archived_at = '2020-01-01T00:00:00+00:00'")
    conn.close()
    result = run_cli("maintenance")
    assert result.returncode == 0, result.stderr
    assert "1 sent mail older than 180 days lost its address." in result.stdout
    assert "ana@example.org" in result.stdout and "should be erased" in result.stdout
    conn = sqlite3.connect(db_path)
    assert conn.execute("SELECT email, state FROM outbox").fetchone()[1] == "sent"
    assert "ana" not in conn.execute("SELECT email FROM outbox").fetchone()[0]
    assert conn.execute("SELECT ok FROM automation_runs WHERE kind = 'maintenance'").fetchone() == (
        1,
    )
