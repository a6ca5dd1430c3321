"""`omtui members ...` run in a subprocess, as the organiser would."""

from __future__ import annotations

import json
import os
from pathlib import Path

GOOD = (
    "Prénom;Nom;Courriel;Ville;Étiquettes;Newsletter\r\n"
    "Hélène;Dupré;helene@example.com;Lyon;volunteer;oui\r\n"
    "Zoé;Lefèvre;zoe@example.com;Paris;speaker,host;non\r\n"
)
MIXED = (
    b"email,first name,newsletter\r\n"
    b"ok@example.com,Ok,yes\r\n"
    b"broken@,Bad,yes\r\n"
    b"OK@example.com,Dup,no\r\n"
)


def write(tmp_path: Path, data: bytes, name: str = "members.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def listed(run_cli, *args: str) -> list[dict]:
    result = run_cli("members", "list", "--json", *args)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_import_good_file_exit_0(run_cli, tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.encode("cp1252"))
    result = run_cli("members", "import", str(path))
    assert result.returncode == 0, result.stderr
    assert "cp1252, semicolon-separated" in result.stdout
    assert "2 new, 0 updated, 0 unchanged, 0 rejected" in result.stdout
    again = run_cli("members", "import", str(path))
    assert "0 new, 0 updated, 2 unchanged, 0 rejected" in again.stdout


def test_import_with_rejected_rows_exit_1_report_on_stderr(run_cli, tmp_path: Path) -> None:
    result = run_cli("members", "import", str(write(tmp_path, MIXED)))
    assert result.returncode == 1
    assert "1 new, 0 updated, 0 unchanged, 2 rejected" in result.stdout
    assert "line 3 (broken@):" in result.stderr
    assert "line 4 (OK@example.com): duplicate email (already on line 2)" in result.stderr
    assert [m["email"] for m in listed(run_cli)] == ["ok@example.com"]  # good rows imported


def test_dry_run_writes_nothing(run_cli, tmp_path: Path) -> None:
    result = run_cli("members", "import", "--dry-run", str(write(tmp_path, GOOD.encode())))
    assert result.returncode == 0, result.stderr
    assert "Dry run, nothing written: 2 new" in result.stdout
    assert listed(run_cli) == []


def test_unusable_file_exit_2_nothing_written(run_cli, tmp_path: Path) -> None:
    no_email = write(tmp_path, b"name,city\r\nAnna,Paris\r\n")
    result = run_cli("members", "import", str(no_email))
    assert result.returncode == 2
    assert "no email column" in result.stderr
    assert result.stderr.count("\n") == 1
    binary = run_cli("members", "import", str(write(tmp_path, b"\x00\x01PK\x03\x04", "x.xlsx")))
    assert binary.returncode == 2 and "not a CSV file" in binary.stderr
    missing = run_cli("members", "import", str(tmp_path / "nope.csv"))
    assert missing.returncode == 2
    assert listed(run_cli) == []


def test_list_json_shape_and_filters(run_cli, tmp_path: Path) -> None:
    run_cli("members", "import", str(write(tmp_path, GOOD.encode())))
    everyone = listed(run_cli)
    assert [m["email"] for m in everyone] == ["helene@example.com", "zoe@example.com"]
    helene = everyone[0]
    assert set(helene) >= {
        "id", "first_name", "last_name", "email", "phone", "company", "job_title", "city",
        "tags", "subscribed", "joined_at", "notes",
    }  # fmt: skip
    assert helene["subscribed"] is True and everyone[1]["subscribed"] is False
    assert helene["first_name"] == "Hélène" and everyone[1]["tags"] == ["host", "speaker"]
    assert [m["email"] for m in listed(run_cli, "--tag", "host")] == ["zoe@example.com"]
    assert [m["email"] for m in listed(run_cli, "--city", "lyon")] == ["helene@example.com"]
    assert listed(run_cli, "--tag", "nobody") == []


def test_list_plain_table_is_aligned(run_cli, tmp_path: Path) -> None:
    run_cli("members", "import", str(write(tmp_path, GOOD.encode())))
    result = run_cli("members", "list")
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["Name", "Email", "Company", "City", "Tags", "Newsletter"]
    column = lines[0].index("Email")
    assert lines[1][column:].startswith("helene@example.com")
    assert lines[2][column:].startswith("zoe@example.com")
    assert lines[-1] == "2 members"


def test_unsubscribe_and_history(run_cli, tmp_path: Path) -> None:
    run_cli("members", "import", str(write(tmp_path, GOOD.encode())))
    result = run_cli("members", "unsubscribe", "HELENE@example.com")
    assert result.returncode == 0, result.stderr
    assert "helene@example.com is unsubscribed" in result.stdout
    assert listed(run_cli, "--city", "Lyon")[0]["subscribed"] is False
    again = run_cli("members", "unsubscribe", "helene@example.com")
    assert again.returncode == 0 and "already unsubscribed" in again.stdout
    history = run_cli("members", "history", "helene@example.com", "--json")
    assert [(e["subscribed"], e["source"]) for e in json.loads(history.stdout)] == [
        (True, "import:members.csv"),
        (False, "cli"),
    ]
    plain = run_cli("members", "history", "helene@example.com")
    assert "import:members.csv" in plain.stdout and "unsubscribed  cli" in plain.stdout


def test_unsubscribe_unknown_email_exit_1(run_cli) -> None:
    result = run_cli("members", "unsubscribe", "nobody@example.com")
    assert result.returncode == 1
    assert result.stderr == "omtui: no member with email nobody@example.com\n"


def test_export_then_import_changes_nothing(run_cli, tmp_path: Path) -> None:
    assert run_cli("demo", "--members", "120").returncode == 0
    out = tmp_path / "export.csv"
    result = run_cli("members", "export", str(out))
    assert result.returncode == 0, result.stderr
    assert "Exported 120 members" in result.stdout
    back = run_cli("members", "import", str(out))
    assert back.returncode == 0, back.stderr
    assert "0 new, 0 updated, 120 unchanged, 0 rejected" in back.stdout
    assert back.stderr == ""


def test_export_for_excel_in_french_imports_back_in_english(run_cli, tmp_path: Path) -> None:
    assert run_cli("demo", "--members", "120").returncode == 0
    out = tmp_path / "excel.csv"
    result = run_cli("members", "export", "--excel", str(out), env={"OMTUI_LANG": "fr"})
    assert result.returncode == 0, result.stderr
    rows = out.read_bytes().decode("utf-8-sig").split("\r\n")
    assert rows[0].startswith("Courriel;Prénom;Nom;Téléphone;")
    assert rows[1].split(";")[8] in ("oui", "non")
    assert rows[1].split(";")[9].count("/") == 2  # 31/03/2024
    back = run_cli("members", "import", str(out))  # an English session reads it too
    assert back.returncode == 0, back.stderr
    assert "0 new, 0 updated, 120 unchanged, 0 rejected" in back.stdout
    english = tmp_path / "excel-en.csv"
    assert run_cli("members", "export", "--excel", str(english)).returncode == 0
    assert english.read_bytes().decode("utf-8-sig").startswith("Email,First name,Last name,")


def test_archived_member_rejected_until_restored(run_cli, tmp_path: Path, db_path: Path) -> None:
    from omtui.core import members
    from omtui.core.db import open_database
    from omtui.core.demo import DEMO_NOW

    path = write(tmp_path, GOOD.encode())
    run_cli("members", "import", str(path))
    db = open_database(db_path)
    try:
        helene = members.find_by_email(db, "helene@example.com")
        assert helene is not None
        members.archive_member(db, helene.id, now=DEMO_NOW)
    finally:
        db.close()
    again = run_cli("members", "import", str(path))
    assert again.returncode == 1
    assert "line 2 (helene@example.com): archived member, restore first" in again.stderr
    assert [m["email"] for m in listed(run_cli)] == ["zoe@example.com"]
    restored = run_cli("members", "restore", "helene@example.com")
    assert restored.returncode == 0 and "still unsubscribed" in restored.stdout
    assert [m["subscribed"] for m in listed(run_cli, "--city", "Lyon")] == [False]
    assert run_cli("members", "import", str(path)).returncode == 0


def test_many_rejected_rows_are_summarised_and_written_with_rejects(
    run_cli, tmp_path: Path
) -> None:
    lines = ["email;nom;newsletter", "good@example.com;Good;oui"]
    lines += [f"bad{i}@;Bad {i};oui" for i in range(200_000)]
    path = write(tmp_path, ("\r\n".join(lines) + "\r\n").encode())
    out = tmp_path / "rejected.csv"
    result = run_cli("members", "import", str(path), "--rejects", str(out), timeout=300)
    assert result.returncode == 1
    assert "1 new, 0 updated, 0 unchanged, 200,000 rejected" in result.stdout  # tests: English
    errors = result.stderr.splitlines()
    assert len(errors) == 22, errors[-3:]  # 20 rows, "... and N more", the file written
    assert errors[0].startswith("line 3 (bad0@): ")
    assert errors[20] == "... and 199,980 more"
    assert errors[21] == f"200,000 rejected rows written to {out}"
    assert out.read_bytes().count(b"\r\n") == 200_001


def test_a_fifo_or_a_folder_is_refused_at_once(run_cli, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    for path in (fifo, tmp_path, Path("/dev/zero")):
        result = run_cli("members", "import", str(path), timeout=30)
        assert result.returncode == 2
        assert "is not a regular file" in result.stderr
        assert result.stderr.count("\n") == 1


def test_members_differing_only_by_case_are_listed_never_merged(
    run_cli, db_path: Path, tmp_path: Path
) -> None:
    from tests.core.test_email_key import _old_database

    _old_database(db_path)
    result = run_cli("members", "duplicates")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[1].split()[:2] == ["#1", "élise@example.com"]
    assert lines[2].split()[:2] == ["#2", "ÉLISE@example.com"]
    assert "#4" in result.stdout and "#5" in result.stdout
    listed = run_cli("members", "list")
    assert listed.stderr.splitlines() == [
        "notice: 2 emails are shared by members whose addresses differ only by case; "
        "merge them (omtui members duplicates)"
    ]
    assert run_cli("members", "unsubscribe", "ÉLISE@EXAMPLE.COM").returncode == 0
    assert [m["subscribed"] for m in json.loads(run_cli("members", "list", "--json").stdout)][
        :2
    ] == [False, False]
