"""The generic CSV reader: encodings, delimiters, headers, line numbers, unusable files."""

from __future__ import annotations

from pathlib import Path

import pytest

from omtui.core.csvfile import header_key, read_csv, sniff_delimiter
from omtui.errors import UnusableInput

ALIASES = {"email": "email", "courriel": "email", "prénom": "first_name", "nom": "last_name"}


def write(tmp_path: Path, data: bytes, name: str = "in.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_header_key_ignores_case_accents_spaces_punctuation() -> None:
    assert header_key(" Prénom ") == header_key("PRENOM") == "prenom"
    assert header_key("E-mail") == header_key("e mail") == header_key("EMAIL") == "email"
    assert header_key("First_Name") == "firstname"


@pytest.mark.parametrize(
    ("line", "expected"),
    [("a,b,c", ","), ("a;b;c", ";"), ("a\tb\tc", "\t"), ('"x;y",b,c', ","), ("email", ",")],
)
def test_sniff_delimiter(line: str, expected: str) -> None:
    assert sniff_delimiter(line) == expected


def test_cp1252_semicolon_as_french_excel_writes_it(tmp_path: Path) -> None:
    data = "Prénom;Nom;Courriel\r\nHélène;Dupré;h@example.com\r\n".encode("cp1252")
    table = read_csv(write(tmp_path, data), ALIASES)
    assert (table.encoding, table.delimiter) == ("cp1252", ";")
    assert table.columns == {"Prénom": "first_name", "Nom": "last_name", "Courriel": "email"}
    assert table.rows[0].values == {
        "first_name": "Hélène",
        "last_name": "Dupré",
        "email": "h@example.com",
    }
    assert table.rows[0].line == 2


def test_utf8_with_bom_and_tabs(tmp_path: Path) -> None:
    data = "\ufeffEmail\tPrénom\nz@example.com\tZoé\n".encode()
    table = read_csv(write(tmp_path, data), ALIASES)
    assert (table.encoding, table.delimiter) == ("utf-8-sig", "\t")
    assert table.headers == ["Email", "Prénom"]  # no BOM glued to the first header
    assert table.rows[0].values["first_name"] == "Zoé"


def test_plain_utf8(tmp_path: Path) -> None:
    table = read_csv(write(tmp_path, "email,nom\na@example.com,Noël\n".encode()), ALIASES)
    assert table.encoding == "utf-8"
    assert table.rows[0].values["last_name"] == "Noël"


def test_quoted_newlines_and_blank_lines_keep_true_line_numbers(tmp_path: Path) -> None:
    data = (
        b"email,nom\r\n"
        b"\r\n"
        b'a@example.com,"two\r\nlines"\r\n'
        b"\r\n"
        b"\r\n"
        b"b@example.com,B\r\n"
        b",,\r\n"
        b"c@example.com,C"  # no final newline
    )
    table = read_csv(write(tmp_path, data), ALIASES)
    assert [(r.line, r.values["email"]) for r in table.rows] == [
        (3, "a@example.com"),
        (7, "b@example.com"),
        (9, "c@example.com"),
    ]
    assert table.rows[0].values["last_name"] == "two\r\nlines"


def test_unknown_and_repeated_columns_are_reported(tmp_path: Path) -> None:
    data = b"email,Fax,courriel,nom\na@example.com,123,b@example.com\n"
    table = read_csv(write(tmp_path, data), ALIASES)
    assert table.unknown == ["Fax"]
    assert table.columns == {"email": "email", "nom": "last_name"}
    assert any("'courriel'" in w for w in table.warnings)
    assert any("'Fax'" in w for w in table.warnings)
    assert table.rows[0].values == {"email": "a@example.com", "last_name": ""}  # short row


@pytest.mark.parametrize(
    "data",
    [b"", b"\r\n\r\n  \r\n", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", b"\xef\xbb\xbf\xff\xfe"],
    ids=["empty", "blank", "binary", "bad-bom"],
)
def test_unusable_files(tmp_path: Path, data: bytes) -> None:
    with pytest.raises(UnusableInput):
        read_csv(write(tmp_path, data), ALIASES)


def test_missing_file_is_unusable(tmp_path: Path) -> None:
    with pytest.raises(UnusableInput, match="cannot read"):
        read_csv(tmp_path / "nope.csv", ALIASES)


def test_utf16_unicode_text_from_excel(tmp_path: Path) -> None:
    data = "Courriel\tPrénom\r\nh@example.com\tHélène\r\n".encode("utf-16")
    table = read_csv(write(tmp_path, data), ALIASES)
    assert (table.encoding, table.delimiter) == ("utf-16", "\t")
    assert table.rows[0].values == {"email": "h@example.com", "first_name": "Hélène"}
