"""Emails compare the same way everywhere: case-folded (not only ASCII) and in NFC.

SQLite's NOCASE folds ASCII only: "ÉLISE@" and "élise@" were two members. Pairs stored
before the email key existed are kept and reported, never merged silently.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from omtui.core import members, migrations, rota
from omtui.core.dates import to_iso
from omtui.core.db import Database, open_database
from omtui.core.importer import apply_import, preview_import
from omtui.core.newsletter import create_draft, send_plan
from omtui.errors import ValidationError

UPPER, LOWER = "ÉLISE@example.com", "élise@example.com"
DECOMPOSED = "e\u0301lise@example.com"  # é as e + combining acute (macOS file names...)


def test_email_key_folds_unicode_case_and_form() -> None:
    assert members.email_key(UPPER) == members.email_key(LOWER) == members.email_key(DECOMPOSED)
    assert members.email_key(" Bob@Example.COM ") == "bob@example.com"
    assert members.email_key("straße@example.de") == members.email_key("STRASSE@example.de")


def test_lookups_and_unsubscribe_ignore_unicode_case(db: Database, now: datetime) -> None:
    elise = members.add_member(db, {"email": LOWER, "tags": "volunteer"}, now=now)
    for typed in (UPPER, DECOMPOSED, LOWER.upper()):
        found = members.find_by_email(db, typed)
        assert found is not None and found.id == elise.id, typed
    assert members.unsubscribe_email(db, UPPER, now=now).id == elise.id
    assert not members.get_member(db, elise.id).subscribed
    volunteer = rota.find_volunteer(db, UPPER)
    assert volunteer is not None and volunteer.id == elise.id


def test_forms_refuse_the_same_address_in_another_case(db: Database, now: datetime) -> None:
    elise = members.add_member(db, {"email": LOWER}, now=now)
    with pytest.raises(ValidationError, match="already belongs to"):
        members.add_member(db, {"email": UPPER}, now=now)
    other = members.add_member(db, {"email": "other@example.com"}, now=now)
    with pytest.raises(ValidationError, match=f"member #{elise.id}"):
        members.update_member(db, other.id, {"email": DECOMPOSED}, now=now)


def test_import_upserts_and_deduplicates_by_the_key(
    db: Database, tmp_path: Path, now: datetime
) -> None:
    elise = members.add_member(db, {"email": LOWER}, now=now)
    path = tmp_path / "m.csv"
    path.write_text(f"email;city\n{UPPER};Lyon\nÉMILE@example.com;Nantes\némile@example.com;Nice\n")
    preview = preview_import(db, path, now=now)
    assert preview.counts == {"new": 1, "updated": 1, "unchanged": 0, "rejected": 1}
    assert "duplicate email (already on line 3)" in preview.rejected[0].reason
    apply_import(db, preview, now=now)
    assert members.get_member(db, elise.id).city == "Lyon"


def _old_database(path: Path) -> None:
    """A database from before the email key, holding pairs NOCASE let in."""
    conn = sqlite3.connect(path, isolation_level=None)
    before = migrations.STEPS.index(migrations._005_email_key)
    for number, step in enumerate(migrations.STEPS[:before], start=1):
        conn.execute("BEGIN")
        step(conn)
        conn.execute(f"PRAGMA user_version = {number}")
        conn.execute("COMMIT")
    stamp = to_iso(datetime(2026, 1, 1, tzinfo=UTC))
    for number, (email, subscribed) in enumerate(
        [(LOWER, 1), (UPPER, 1), ("solo@example.com", 1), ("ÉMILE@example.com", 0),
         ("émile@example.com", 1)],
        start=1,
    ):  # fmt: skip
        conn.execute(
            "INSERT INTO members (email, subscribed, joined_at, unsubscribe_token, created_at,"
            " updated_at) VALUES (?, ?, ?, ?, ?, ?)",
            (email, subscribed, stamp, f"token-{number}", stamp, stamp),
        )
    conn.execute("INSERT INTO members_fts(rowid, search) SELECT id, search FROM members")
    conn.close()


def test_migration_keeps_and_reports_existing_pairs(tmp_path: Path, now: datetime) -> None:
    path = tmp_path / "old.db"
    _old_database(path)
    db = open_database(path)  # migrates: must not fail on the pairs
    assert db.scalar("SELECT count(*) FROM members") == 5
    groups = members.duplicate_emails(db)
    assert [[m.email for m in group] for group in groups] == [
        [LOWER, UPPER],
        ["ÉMILE@example.com", "émile@example.com"],
    ]
    assert members.duplicate_notice(db).startswith("2 emails are shared by members")
    # a send plan writes to the address once
    draft = create_draft(db, subject="S", body="B", now=now)
    plan = send_plan(db, draft, rate=2)
    assert [r.email for r in plan.recipients] == [LOWER, "solo@example.com", "émile@example.com"]
    assert plan.left_out["duplicate"] == [UPPER]
    # lookups prefer the exact address; unsubscribing reaches the whole pair
    found = members.find_by_email(db, UPPER)
    assert found is not None and found.email == UPPER
    members.unsubscribe_email(db, LOWER, now=now)
    assert [m.subscribed for m in members.find_all_by_email(db, LOWER)] == [False, False]
    # an import naming the pair is rejected, not applied to one of them at random
    csv_path = tmp_path / "m.csv"
    csv_path.write_text("email;city\nelise@example.com;Lyon\nÉLISE@EXAMPLE.COM;Paris\n")
    preview = preview_import(db, csv_path, now=now)
    assert preview.counts == {"new": 1, "updated": 0, "unchanged": 0, "rejected": 1}
    assert "merge them first (omtui members duplicates)" in preview.rejected[0].reason
    # the organiser merges: edits one address (the notice then forgets that pair) ...
    twin = members.find_all_by_email(db, LOWER)[1]
    members.update_member(db, twin.id, {"email": "elise.pro@example.com"}, now=now)
    assert [[m.email for m in g] for g in members.duplicate_emails(db)] == [
        ["ÉMILE@example.com", "émile@example.com"]
    ]
    # ... or deletes (archives) one of the pair
    members.archive_member(db, members.find_all_by_email(db, "ÉMILE@example.com")[0].id, now=now)
    assert members.duplicate_emails(db) == [] and members.duplicate_notice(db) == ""
    db.close()
