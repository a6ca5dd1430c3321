"""Member export in its two shapes (for scripts, for Excel), and the import reading both."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from omtui.core import members
from omtui.core.csvfile import header_key
from omtui.core.db import Database, open_database
from omtui.core.demo import build_demo
from omtui.core.importer import ALIASES, apply_import, preview_import
from omtui.core.member_export import EXCEL_HEADERS, FIELDS, SCRIPT_HEADERS, export_members

PARIS = ZoneInfo("Europe/Paris")


def lines(path: Path) -> list[str]:
    return path.read_bytes().decode("utf-8-sig").split("\r\n")


@pytest.fixture
def late_joiner(db: Database, now: datetime) -> members.Member:
    """A member who joined at 23:30 UTC: already the next day in Paris."""
    member = members.add_member(
        db,
        {
            "email": "zoe@example.fr",
            "first_name": "Zoé",
            "last_name": "Lefèvre",
            "city": "Orléans",
            "tags": "volunteer,speaker",
            "phone": "+33 6 12 34 56 78",
        },
        now=now,
        subscribed=True,
        source="form",
    )
    db.execute(
        "UPDATE members SET joined_at = ? WHERE id = ?", ("2024-03-31T23:30:00+00:00", member.id)
    )
    return members.get_member(db, member.id)


def test_every_header_reads_back_as_its_field() -> None:
    keyed = {header_key(alias): name for alias, name in ALIASES.items()}
    for headers in (SCRIPT_HEADERS, *EXCEL_HEADERS.values()):
        assert [keyed[header_key(h)] for h in headers] == list(FIELDS)


def test_for_scripts_the_columns_never_change(db: Database, tmp_path: Path, late_joiner) -> None:
    path = tmp_path / "out.csv"
    assert export_members(db, path, lang="fr", tz=PARIS) == 1
    rows = lines(path)
    assert (
        rows[0]
        == "email;first name;last name;phone;company;job title;city;tags;newsletter;joined;notes"
    )
    assert rows[1] == (
        "zoe@example.fr;Zoé;Lefèvre;+33 6 12 34 56 78;;;Orléans;speaker,volunteer;yes;"
        "2024-03-31T23:30:00+00:00;"
    )


def test_for_excel_in_french(db: Database, tmp_path: Path, late_joiner) -> None:
    path = tmp_path / "out.csv"
    assert export_members(db, path, excel=True, lang="fr", tz=PARIS) == 1
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    rows = lines(path)
    assert rows[0] == (
        "Courriel;Prénom;Nom;Téléphone;Entreprise;Poste;Ville;Étiquettes;Newsletter;"
        "Membre depuis;Notes"
    )
    # the day in Paris (01/04, not 31/03 in UTC), oui/non, tags readable
    assert rows[1] == (
        "zoe@example.fr;Zoé;Lefèvre;+33 6 12 34 56 78;;;Orléans;speaker, volunteer;oui;01/04/2024;"
    )


def test_for_excel_in_english(db: Database, tmp_path: Path, late_joiner) -> None:
    path = tmp_path / "out.csv"
    export_members(db, path, excel=True, lang="en", tz=PARIS)
    rows = lines(path)
    # English Excel separates a CSV's columns with commas (its list separator), French
    # Excel with semicolons
    assert rows[0] == (
        "Email,First name,Last name,Phone,Company,Job title,City,Tags,Newsletter,Member since,Notes"
    )
    assert rows[1].endswith(',"speaker, volunteer",yes,2024-04-01,')


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_an_excel_export_imports_back_with_zero_changes(
    db: Database, tmp_path: Path, now: datetime, lang: str
) -> None:
    build_demo(db, members_count=300, now=now)
    member = members.query_members(db, limit=1)[0]
    members.update_member(db, member.id, {"notes": '=1+1; "quoted"\nline two'}, now=now)
    path = tmp_path / "excel.csv"
    assert export_members(db, path, excel=True, lang=lang, tz=PARIS) == 300
    preview = preview_import(db, path, now=now, tz=PARIS)
    assert [r.changes for r in preview.updated] == []
    assert preview.counts == {"new": 0, "updated": 0, "unchanged": 300, "rejected": 0}
    assert preview.warnings == []


def test_an_excel_export_fills_an_empty_club(tmp_path: Path, db: Database, now, late_joiner):
    path = tmp_path / "excel.csv"
    export_members(db, path, excel=True, lang="fr", tz=PARIS)
    fresh = open_database(tmp_path / "other.db")
    try:
        apply_import(fresh, preview_import(fresh, path, now=now, tz=PARIS), now=now)
        copy = members.find_by_email(fresh, "zoe@example.fr")
        assert copy is not None
        assert (copy.first_name, copy.city, copy.tags, copy.subscribed) == (
            "Zoé",
            "Orléans",
            ("speaker", "volunteer"),
            True,
        )
        # the day she joined, as midnight in Paris
        assert copy.joined_at == datetime(2024, 3, 31, 22, 0, tzinfo=UTC)
    finally:
        fresh.close()


def test_a_day_without_time_changes_a_join_on_another_day(
    db: Database, tmp_path: Path, now, late_joiner
) -> None:
    path = tmp_path / "in.csv"
    path.write_text("email;joined\r\nzoe@example.fr;02/04/2024\r\n", encoding="utf-8")
    preview = preview_import(db, path, now=now, tz=PARIS)
    assert preview.counts["updated"] == 1
    apply_import(db, preview, now=now)
    assert members.get_member(db, late_joiner.id).joined_at == datetime(
        2024, 4, 1, 22, 0, tzinfo=UTC
    )
