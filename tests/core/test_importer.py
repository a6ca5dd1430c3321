"""Member import (preview, apply in one transaction) and export, on a real SQLite file."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from omtui.core import members
from omtui.core.db import Database, open_database
from omtui.core.demo import build_demo
from omtui.core.importer import (
    RejectedRow,
    apply_import,
    export_members,
    parse_joined,
    parse_newsletter,
    preview_import,
)
from omtui.core.members import MemberFilter
from omtui.errors import UnusableInput


def write(tmp_path: Path, data: bytes, name: str = "members.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def run(db: Database, path: Path, now: datetime):
    preview = preview_import(db, path, now=now)
    return preview, apply_import(db, preview, now=now)


def history(db: Database, email: str) -> list[tuple[bool, str]]:
    member = members.find_by_email(db, email)
    assert member is not None
    return [(e.subscribed, e.source) for e in members.consent_history(db, member.id)]


FRENCH_EXCEL = (
    "Prénom;Nom;Courriel;Société;Ville;Téléphone;Fonction;Étiquettes;Newsletter\r\n"
    "Hélène;Dupré;helene.dupre@example.com;Café Crème;Saint-Étienne;06 12 34 56 78;"
    "Office manager;bénévole|speaker;oui\r\n"
    "Zoé;Lefèvre;zoe@example.fr;Cœur & Cie;Orléans;;;;non\r\n"
).encode("cp1252")


def test_french_excel_file_imports_right(db: Database, tmp_path: Path, now) -> None:
    path = write(tmp_path, FRENCH_EXCEL)
    preview, result = run(db, path, now)
    assert (preview.encoding, preview.delimiter) == ("cp1252", ";")
    assert preview.columns["Courriel"] == "email"
    assert preview.columns["Société"] == "company"
    assert preview.counts == {"new": 2, "updated": 0, "unchanged": 0, "rejected": 0}
    assert result.counts == preview.counts
    helene = members.find_by_email(db, "HELENE.DUPRE@example.com")
    assert helene is not None
    assert (helene.first_name, helene.last_name) == ("Hélène", "Dupré")
    assert helene.city == "Saint-Étienne"
    assert helene.company == "Café Crème"
    assert helene.tags == ("bénévole", "speaker")
    assert helene.subscribed
    zoe = members.find_by_email(db, "zoe@example.fr")
    assert zoe is not None and not zoe.subscribed and zoe.company == "Cœur & Cie"
    assert history(db, "zoe@example.fr") == [(False, "import:members.csv")]
    assert [m.email for m in members.query_members(db, MemberFilter(text="helene"))] == [
        "helene.dupre@example.com"
    ]


def test_utf8_bom_comma_and_tab_files(db: Database, tmp_path: Path, now) -> None:
    bom = write(tmp_path, "\ufeffE-mail,First name\r\na@example.com,Anaïs\r\n".encode(), "a.csv")
    tab = write(tmp_path, "mail\tprenom\nb@example.com\tBérénice\n".encode(), "b.csv")
    assert preview_import(db, bom, now=now).encoding == "utf-8-sig"
    run(db, bom, now)
    preview, _result = run(db, tab, now)
    assert preview.delimiter == "\t"
    assert [m.first_name for m in members.query_members(db)] == ["Anaïs", "Bérénice"]


def test_rejections_with_line_numbers_and_reasons(db: Database, tmp_path: Path, now) -> None:
    data = (
        b"email,last name,notes,newsletter\r\n"
        b'ok@example.com,Ok,"a note\r\non two lines",yes\r\n'  # lines 2-3
        b"\r\n"  # 4: blank
        b"not-an-email,Bad,,yes\r\n"  # 5
        b",Missing,,yes\r\n"  # 6
        b"OK@EXAMPLE.COM,Dup,,no\r\n"  # 7: same as line 2, in another case
        b"odd@example.com,Odd,,maybe\r\n"  # 8
        b"a@b@example.com,Two ats,,1\r\n"  # 9
    )
    preview, result = run(db, write(tmp_path, data), now)
    assert preview.counts == {"new": 1, "updated": 0, "unchanged": 0, "rejected": 5}
    lines = {r.line: r for r in preview.rejected}
    assert sorted(lines) == [5, 6, 7, 8, 9]
    assert "not a valid email" in lines[5].reason and lines[5].email == "not-an-email"
    assert lines[6] == RejectedRow(6, "missing email", "")
    assert "duplicate email (already on line 2)" in lines[7].reason
    assert "unknown newsletter value 'maybe'" in lines[8].reason
    assert "not a valid email" in lines[9].reason
    assert result.rejected == preview.rejected
    ok = members.find_by_email(db, "ok@example.com")
    assert ok is not None and ok.notes == "a note\r\non two lines"
    assert members.count_members(db) == 1


def test_unknown_columns_warn_and_are_ignored(db: Database, tmp_path: Path, now) -> None:
    data = b"email,Fax,Shoe size\r\na@example.com,0123,42\r\n"
    preview, _ = run(db, write(tmp_path, data), now)
    assert "unknown column 'Fax' was ignored" in preview.warnings
    assert "unknown column 'Shoe size' was ignored" in preview.warnings
    assert preview.counts["new"] == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"\r\n\r\n", "empty"),
        (b"\x00\x01\x02binary\x00", "not a CSV"),
        (b"name,city\r\nAnna,Paris\r\n", "no email column"),
        (b'{"members": [{"email": "a@example.com"}]}', "no email column"),
    ],
)
def test_unusable_input_writes_nothing(db: Database, tmp_path: Path, now, data, message) -> None:
    with pytest.raises(UnusableInput, match=message):
        preview_import(db, write(tmp_path, data), now=now)
    assert members.count_members(db, MemberFilter(include_archived=True)) == 0


def test_reimporting_the_same_file_changes_nothing(db: Database, tmp_path: Path, now) -> None:
    path = write(tmp_path, FRENCH_EXCEL)
    run(db, path, now)
    events = db.scalar("SELECT count(*) FROM consent_events")
    snapshot = db.query("SELECT * FROM members ORDER BY id")
    preview, result = run(db, path, now + timedelta(days=1))
    assert preview.counts == {"new": 0, "updated": 0, "unchanged": 2, "rejected": 0}
    assert result.counts == preview.counts
    assert db.query("SELECT * FROM members ORDER BY id") == snapshot
    assert db.scalar("SELECT count(*) FROM consent_events") == events


def test_case_insensitive_upsert_updates_the_member(db: Database, tmp_path: Path, now) -> None:
    members.add_member(db, {"email": "Anna@Example.com", "first_name": "Anna"}, now=now)
    data = b"email,first name,city\r\nANNA@EXAMPLE.COM,Anna,Lyon\r\n"
    preview, result = run(db, write(tmp_path, data), now)
    assert preview.counts == {"new": 0, "updated": 1, "unchanged": 0, "rejected": 0}
    assert preview.updated[0].changes == {"city": ("", "Lyon")}
    assert result.updated == 1
    member = members.find_by_email(db, "anna@example.com")
    assert member is not None and member.city == "Lyon" and member.email == "Anna@example.com"
    assert [m.email for m in members.query_members(db, MemberFilter(text="lyon"))] == [
        "Anna@example.com"
    ]


def test_empty_cells_do_not_wipe_existing_data(db: Database, tmp_path: Path, now) -> None:
    members.add_member(
        db,
        {"email": "a@example.com", "first_name": "Anne", "phone": "0601", "tags": "speaker"},
        now=now,
    )
    data = b"email;first name;phone;tags;company\r\na@example.com;;;;Acme\r\n"
    preview, _ = run(db, write(tmp_path, data), now)
    assert preview.updated[0].changes == {"company": ("", "Acme")}
    member = members.find_by_email(db, "a@example.com")
    assert member is not None
    assert (member.first_name, member.phone, member.tags, member.company) == (
        "Anne",
        "0601",
        ("speaker",),
        "Acme",
    )


def test_tags_split_on_comma_semicolon_pipe_and_replace(db: Database, tmp_path: Path, now) -> None:
    members.add_member(db, {"email": "a@example.com", "tags": "host"}, now=now)
    data = b'email;tags\r\na@example.com;"Volunteer, speaker|partner;volunteer"\r\n'
    run(db, write(tmp_path, data), now)
    member = members.find_by_email(db, "a@example.com")
    assert member is not None and member.tags == ("partner", "speaker", "volunteer")


def test_newsletter_change_appends_consent_never_rewrites(
    db: Database, tmp_path: Path, now
) -> None:
    members.add_member(db, {"email": "a@example.com"}, now=now, source="form")
    before = db.query("SELECT * FROM consent_events ORDER BY id")
    off = write(tmp_path, b"email,newsletter\r\na@example.com,non\r\n", "off.csv")
    run(db, off, now + timedelta(hours=1))
    on = write(tmp_path, b"email,newsletter\r\na@example.com,x\r\n", "on.csv")
    run(db, on, now + timedelta(hours=2))
    run(db, on, now + timedelta(hours=3))  # no change: no event
    assert history(db, "a@example.com") == [
        (True, "form"),
        (False, "import:off.csv"),
        (True, "import:on.csv"),
    ]
    after = db.query("SELECT * FROM consent_events ORDER BY id")
    assert after[: len(before)] == before  # earlier events untouched


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("oui", True), ("OUI", True), ("Yes", True), ("1", True), ("true", True), ("x", True),
     ("X", True), ("non", False), ("No", False), ("0", False), ("false", False), ("", False),
     (" ", False), ("Abonné", True), ("désabonné", False)],
)  # fmt: skip
def test_newsletter_values(raw: str, expected: bool) -> None:
    assert parse_newsletter(raw) is expected


def test_no_newsletter_column_subscribes_new_and_keeps_existing(
    db: Database, tmp_path: Path, now
) -> None:
    old = members.add_member(db, {"email": "old@example.com"}, now=now, subscribed=False)
    data = b"email\r\nold@example.com\r\nnew@example.com\r\n"
    preview, _ = run(db, write(tmp_path, data), now)
    assert any("no newsletter column" in w for w in preview.warnings)
    assert preview.counts == {"new": 1, "updated": 0, "unchanged": 1, "rejected": 0}
    assert not members.get_member(db, old.id).subscribed
    new = members.find_by_email(db, "new@example.com")
    assert new is not None and new.subscribed


def test_archived_member_is_rejected_not_resurrected(db: Database, tmp_path: Path, now) -> None:
    gone = members.add_member(db, {"email": "gone@example.com"}, now=now)
    members.archive_member(db, gone.id, now=now)
    data = b"email,newsletter\r\ngone@example.com,oui\r\n"
    preview, _ = run(db, write(tmp_path, data), now)
    assert preview.counts["rejected"] == 1
    assert "archived member, restore first" in preview.rejected[0].reason
    member = members.get_member(db, gone.id)
    assert member.archived_at is not None and not member.subscribed


def test_joined_dates_are_read(db: Database, tmp_path: Path, now) -> None:
    data = (
        b"email;joined\r\n"
        b"a@example.com;31/03/2024\r\n"
        b"b@example.com;2023-01-02\r\n"
        b"c@example.com;soon\r\n"
    )
    preview, _ = run(db, write(tmp_path, data), now)
    # a bad optional value is a warning on its line; the member comes in without it
    assert preview.rejected == []
    [warning] = preview.row_warnings
    assert warning.line == 4 and "unreadable joined date 'soon'" in warning.reason
    a = members.find_by_email(db, "a@example.com")
    b = members.find_by_email(db, "b@example.com")
    c = members.find_by_email(db, "c@example.com")
    assert a is not None and a.joined_at == datetime(2024, 3, 31, tzinfo=UTC)
    assert b is not None and b.joined_at == datetime(2023, 1, 2, tzinfo=UTC)
    assert c is not None and c.joined_at == now


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("31/03/2024", datetime(2024, 3, 31, tzinfo=UTC)),
        ("2024/03/31", datetime(2024, 3, 31, tzinfo=UTC)),  # Gnumeric's default
        ("2024-03-31", datetime(2024, 3, 31, tzinfo=UTC)),
        ("31/03/2024 14:30", datetime(2024, 3, 31, 14, 30, tzinfo=UTC)),
        ("2024/03/31 14:30:05", datetime(2024, 3, 31, 14, 30, 5, tzinfo=UTC)),
        ("2024-03-31 14:30", datetime(2024, 3, 31, 14, 30, tzinfo=UTC)),
        ("2024-03-31T14:30:00", datetime(2024, 3, 31, 14, 30, tzinfo=UTC)),
        ("2024-03-31T14:30:00+02:00", datetime(2024, 3, 31, 12, 30, tzinfo=UTC)),
        (" 1/3/2024 ", datetime(2024, 3, 1, tzinfo=UTC)),
    ],
)
def test_dates_spreadsheets_write(raw: str, expected: datetime) -> None:
    assert parse_joined(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "9999-12-31T23:59:59-05:00",  # OverflowError in Python's own conversion
        "0001-01-01T00:00:00+05:00",
        "31/02/2024",
        "12/31/2024",
        "99999-01-01",
        "2024-03-31 25:00",
        "soon",
        "1066-10-14",
    ],
)
def test_out_of_range_or_unreadable_dates_warn_never_crash(
    db: Database, tmp_path: Path, now, raw: str
) -> None:
    with pytest.raises(ValueError):
        parse_joined(raw)
    preview, result = run(
        db, write(tmp_path, f"email;joined\r\na@example.com;{raw}\r\n".encode()), now
    )
    assert result.counts["new"] == 1 and preview.row_warning_count == 1


def test_newsletter_column_still_rejects_what_it_cannot_read(
    db: Database, tmp_path: Path, now
) -> None:
    data = b"email;newsletter;joined\r\na@example.com;peut-etre;31/03/2024\r\n"
    preview, result = run(db, write(tmp_path, data), now)
    assert result.counts == {"new": 0, "updated": 0, "unchanged": 0, "rejected": 1}
    assert "unknown newsletter value 'peut-etre'" in preview.rejected[0].reason


def test_apply_is_one_transaction(db: Database, tmp_path: Path, now) -> None:
    members.add_member(db, {"email": "keep@example.com", "city": "Nice"}, now=now)
    data = b"email,city\r\nkeep@example.com,Lyon\r\na@example.com,Lyon\r\nboom@example.com,Lyon\r\n"
    preview = preview_import(db, write(tmp_path, data), now=now)
    db.execute(  # a real failure half-way: the database refuses one row
        "CREATE TEMP TRIGGER refuse BEFORE INSERT ON main.members "
        "WHEN new.email = 'boom@example.com' BEGIN SELECT RAISE(ABORT, 'refused'); END"
    )
    with pytest.raises(sqlite3.IntegrityError):
        apply_import(db, preview, now=now)
    assert members.count_members(db) == 1
    keep = members.find_by_email(db, "keep@example.com")
    assert keep is not None and keep.city == "Nice"
    assert db.scalar("SELECT count(*) FROM consent_events") == 1


def test_apply_rechecks_the_database(db: Database, tmp_path: Path, now) -> None:
    preview = preview_import(db, write(tmp_path, b"email,city\r\na@example.com,Lyon\r\n"), now=now)
    assert preview.counts["new"] == 1
    members.add_member(db, {"email": "A@example.com"}, now=now)  # another session meanwhile
    result = apply_import(db, preview, now=now)
    assert result.counts == {"new": 0, "updated": 1, "unchanged": 0, "rejected": 0}
    assert members.count_members(db) == 1


def test_export_imports_back_with_zero_changes(db: Database, tmp_path: Path, now) -> None:
    build_demo(db, members_count=300, now=now)
    member = members.query_members(db, limit=1)[0]
    members.update_member(
        db, member.id, {"notes": 'Line one; "quoted",\nline two', "tags": "a|b"}, now=now
    )
    members.archive_member(db, members.query_members(db, limit=2)[1].id, now=now)
    path = tmp_path / "export.csv"
    assert export_members(db, path) == 299
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    preview = preview_import(db, path, now=now)
    assert [r.changes for r in preview.updated] == []
    assert preview.counts == {"new": 0, "updated": 0, "unchanged": 299, "rejected": 0}
    assert preview.warnings == []
    # and into an empty club, the same members come out
    fresh = open_database(tmp_path / "other.db")
    apply_import(fresh, preview_import(fresh, path, now=now), now=now)

    def fields(database: Database) -> list[dict]:
        return [
            {k: v for k, v in m.as_dict().items() if k != "id"}
            for m in members.query_members(database, limit=None)
        ]

    assert fields(fresh) == fields(db)
    fresh.close()


def test_export_with_a_filter(db: Database, tmp_path: Path, now) -> None:
    build_demo(db, members_count=300, now=now)
    path = tmp_path / "paris.csv"
    count = export_members(db, path, MemberFilter(city="Paris"))
    assert count == members.count_members(db, MemberFilter(city="Paris")) > 0
    assert path.read_bytes().count(b"\r\n") == count + 1
