"""Inputs that used to crash or lie: each gets one clear line and writes nothing half-way."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from omtui.core import members
from omtui.core.csvfile import MAX_LINE_CHARS, read_csv
from omtui.core.db import Database
from omtui.core.importer import ALIASES, apply_import, preview_import
from omtui.core.members import MemberFilter
from omtui.errors import UnusableInput


def write(tmp_path: Path, data: bytes, name: str = "members.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def nothing_written(db: Database) -> bool:
    return members.count_members(db, MemberFilter(include_archived=True)) == 0


def test_a_file_mixing_utf8_and_cp1252_lines_names_them(db: Database, tmp_path: Path, now) -> None:
    data = (
        "Prénom;Nom;Courriel\r\n".encode()  # line 1: UTF-8
        + "Hélène;Dupré;h@example.com\r\n".encode()  # line 2: UTF-8
        + "Zoé;Lefèvre;z@example.com\r\n".encode("cp1252")  # line 3: cp1252
    )
    with pytest.raises(UnusableInput) as caught:
        preview_import(db, write(tmp_path, data), now=now)
    message = str(caught.value)
    assert "mixes encodings: line 1 is UTF-8 but line 3 is not" in message
    assert "\n" not in message and nothing_written(db)


def test_a_cp1252_file_keeps_every_column(db: Database, tmp_path: Path, now) -> None:
    data = "Prénom;Nom;Courriel\r\nZoé;Lefèvre;z@example.com\r\n".encode("cp1252")
    preview = preview_import(db, write(tmp_path, data), now=now)
    assert preview.encoding == "cp1252"
    assert set(preview.columns.values()) == {"first_name", "last_name", "email"}


def test_a_utf8_bom_file_with_a_cp1252_line_names_it(db: Database, tmp_path: Path, now) -> None:
    data = "\ufeffemail;nom\r\na@example.com;Noël\r\n".encode() + "b@x.fr;Zoé\r\n".encode("cp1252")
    with pytest.raises(UnusableInput, match="starts like UTF-8 but line 3 is not"):
        preview_import(db, write(tmp_path, data), now=now)


def test_bytes_that_are_no_windows_text_name_their_line(db: Database, tmp_path: Path, now) -> None:
    data = b"email;nom\r\na@example.com;ok\r\nb@example.com;\x81\x8d\r\n"
    with pytest.raises(UnusableInput, match="line 3 is neither UTF-8 nor Windows"):
        preview_import(db, write(tmp_path, data), now=now)


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom_is_read(db: Database, tmp_path: Path, now, encoding: str) -> None:
    text = "Courriel\tPrénom\r\nzoe@example.com\tZoé\r\nnoel@example.com\tNoël\r\n"
    preview = preview_import(db, write(tmp_path, text.encode(encoding)), now=now)
    assert (preview.encoding, preview.delimiter) == (encoding, "\t")
    apply_import(db, preview, now=now)
    zoe = members.find_by_email(db, "zoe@example.com")
    assert zoe is not None and zoe.first_name == "Zoé"


def test_binary_with_nul_bytes_is_still_binary(db: Database, tmp_path: Path, now) -> None:
    with pytest.raises(UnusableInput, match="binary data"):
        preview_import(db, write(tmp_path, b"PK\x03\x04\x14\x00\x06\x00" * 50), now=now)


def test_a_fifo_is_refused_without_waiting(db: Database, tmp_path: Path, now) -> None:
    fifo = tmp_path / "members.csv"
    os.mkfifo(fifo)  # nobody writes to it: reading would hang forever
    with pytest.raises(UnusableInput, match="not a regular file"):
        preview_import(db, fifo, now=now)


@pytest.mark.parametrize("path", ["/dev/zero", "/dev/null"])
def test_devices_are_refused(db: Database, now, path: str) -> None:
    with pytest.raises(UnusableInput, match="not a regular file"):
        preview_import(db, path, now=now)


def test_a_folder_is_refused(db: Database, tmp_path: Path, now) -> None:
    with pytest.raises(UnusableInput, match="not a regular file"):
        preview_import(db, tmp_path, now=now)


def test_an_endless_line_is_refused(db: Database, tmp_path: Path, now) -> None:
    data = b"email\r\n" + b"a" * (MAX_LINE_CHARS + 10)
    with pytest.raises(UnusableInput, match="line 2 is longer than"):
        preview_import(db, write(tmp_path, data), now=now)
    assert nothing_written(db)


def test_ten_thousand_unknown_columns_make_one_warning(db: Database, tmp_path: Path, now) -> None:
    headers = ["email", *(f"extra {i}" for i in range(10_000))]
    data = (",".join(headers) + "\r\na@example.com" + ",x" * 10_000 + "\r\n").encode()
    preview = preview_import(db, write(tmp_path, data), now=now)
    unknown = [w for w in preview.warnings if "unknown column" in w]
    assert unknown == ["10,000 unknown columns were ignored: 'extra 0', 'extra 1', 'extra 2' ..."]
    assert preview.counts["new"] == 1


def test_two_hundred_thousand_rejected_rows_stay_bounded(db: Database, tmp_path: Path, now) -> None:
    lines = ["email;nom;newsletter", "good@example.com;Good;oui"]
    lines += [f"bad{i}@;Bad {i};=cmd|' /C calc'!A0" for i in range(200_000)]
    path = write(tmp_path, ("\r\n".join(lines) + "\r\n").encode())
    preview = preview_import(db, path, now=now)
    assert preview.counts == {"new": 1, "updated": 0, "unchanged": 0, "rejected": 200_000}
    assert len(preview.rejected) == 1000 and preview.rejected[0].line == 3
    result = apply_import(db, preview, now=now)
    assert result.counts == preview.counts
    out = tmp_path / "rejected.csv"
    assert result.save_rejects(out) == 200_000
    table = read_csv(out, ALIASES)
    assert len(table.rows) == 200_000
    assert table.rows[0].cells[:3] == ["bad0@", "Bad 0", "'=cmd|' /C calc'!A0"]  # inert
    assert table.rows[0].cells[3] == "3" and "not a valid email" in table.rows[0].cells[4]
    assert table.unknown == [] and table.warnings == []  # it imports back quietly
    assert out.stat().st_mode & 0o777 == 0o600  # members' data: the owner's only


def test_rejects_file_fixed_by_the_organiser_imports_back(
    db: Database, tmp_path: Path, now
) -> None:
    data = "Prénom;Courriel;Newsletter\r\nAnna;anna@;oui\r\nBob;bob@example.com;peut-être\r\n"
    preview = preview_import(db, write(tmp_path, data.encode()), now=now)
    assert preview.counts["rejected"] == 2
    out = tmp_path / "rejected.csv"
    preview.save_rejects(out)
    fixed = out.read_text(encoding="utf-8-sig").replace("anna@;", "anna@example.com;")
    fixed = fixed.replace("peut-être", "non")
    out.write_text(fixed, encoding="utf-8-sig")
    again = preview_import(db, out, now=now)
    assert again.counts == {"new": 2, "updated": 0, "unchanged": 0, "rejected": 0}
    assert again.warnings == []


def test_bulk_apply_finds_members_added_or_archived_meanwhile(
    db: Database, tmp_path: Path, now, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(members, "BULK_ROWS", 2)  # indexes dropped and rebuilt
    kept = members.add_member(db, {"email": "kept@example.com", "city": "Nice"}, now=now)
    data = "Courriel;Ville;Fax\r\n" + "".join(
        f"{name}@example.com;Lyon;0{i}\r\n"
        for i, name in enumerate(["kept", "new1", "new2", "late"])
    )
    preview = preview_import(db, write(tmp_path, data.encode()), now=now)
    assert preview.counts == {"new": 3, "updated": 1, "unchanged": 0, "rejected": 0}
    late = members.add_member(db, {"email": "LATE@example.com"}, now=now)  # meanwhile
    members.archive_member(db, late.id, now=now)
    result = apply_import(db, preview, now=now)
    assert result.counts == {"new": 2, "updated": 1, "unchanged": 0, "rejected": 1}
    assert members.get_member(db, kept.id).city == "Lyon"
    assert "archived member" in result.rejected[0].reason
    out = tmp_path / "rejected.csv"
    result.save_rejects(out)
    assert (
        out.read_text(encoding="utf-8-sig")
        .splitlines()[1]
        .startswith("late@example.com;Lyon;;5;archived member")
    )
    assert db.scalar("PRAGMA integrity_check") == "ok"
    assert members.find_by_email(db, "NEW2@example.com") is not None
