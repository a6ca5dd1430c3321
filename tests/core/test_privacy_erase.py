"""core/privacy: erasure leaves no trace in the database files, keeps the statistics, and
the erasure log keeps an erased address out of imports."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from omtui.context import ClubContext
from omtui.core import importer, members
from omtui.core.db import Database
from omtui.core.privacy import erase, export

SECRETS = {
    "email": "zephyrine.quattlebaum@xylophonic.example",
    "first_name": "Zéphyrine",
    "last_name": "Quattlebaum",
    "phone": "+33 6 99 88 77 66",
    "company": "Xylophonic SARL",
    "job_title": "Chief Zqx Officer",
    "notes": "prefers the vegan zqxmenu",
}


def _needles(token: str) -> list[bytes]:
    words = [*SECRETS.values(), token, "zephyrine", "quattlebaum", "xylophonic", "zqxmenu"]
    found = set()
    for word in words:
        for form in (word, word.lower(), word.upper(), word.casefold()):
            found.add(form.encode("utf-8"))
            found.add(form.encode("utf-16-le"))
    return sorted(found)


def _db_files(path: Path) -> list[Path]:
    return [p for p in (path, Path(f"{path}-wal"), Path(f"{path}-journal")) if p.exists()]


def _statistics(db: Database) -> dict[str, object]:
    return {
        "members": db.scalar("SELECT count(*) FROM members"),
        "registrations": db.query(
            "SELECT event_id, status, count(*) n, count(attended_at) a FROM registrations "
            "GROUP BY 1, 2 ORDER BY 1, 2"
        ),
        "shifts": db.query(
            "SELECT shift_id, count(*) n FROM shift_assignments WHERE dropped_at IS NULL "
            "GROUP BY 1 ORDER BY 1"
        ),
        "outbox": db.query(
            "SELECT newsletter_id, state, count(*) n FROM outbox GROUP BY 1, 2 ORDER BY 1, 2"
        ),
        "consent": db.scalar("SELECT count(*) FROM consent_events"),
    }


def _busy_member(db: Database) -> int:
    """A demo member with registrations, a shift and mails."""
    return db.scalar(
        "SELECT m.id FROM members m WHERE EXISTS (SELECT 1 FROM registrations r WHERE "
        "r.member_id = m.id AND r.attended_at IS NOT NULL) AND EXISTS (SELECT 1 FROM "
        "shift_assignments a WHERE a.member_id = m.id) AND EXISTS (SELECT 1 FROM outbox o "
        "WHERE o.member_id = m.id) ORDER BY m.id LIMIT 1"
    )


def test_erase_leaves_no_trace_in_any_database_file(demo_club: ClubContext) -> None:
    db, now = demo_club.db, demo_club.now()
    member_id = _busy_member(db)
    assert member_id is not None
    members.update_member(db, member_id, SECRETS, now=now)
    members.set_subscription(db, member_id, False, now=now, source="form", detail=SECRETS["notes"])
    token = db.scalar("SELECT unsubscribe_token FROM members WHERE id = ?", (member_id,))
    with db.transaction():  # the address in a server's reply, and its mails personalised
        db.execute(
            "UPDATE outbox SET email = ?, first_name = ?, last_name = ?, token = ?, "
            "reply = ? WHERE member_id = ?",
            (
                SECRETS["email"],
                SECRETS["first_name"],
                SECRETS["last_name"],
                token,
                f"550 5.1.1 <{SECRETS['email']}>: no such user",
                member_id,
            ),
        )
    assert members.query_members(db, members.MemberFilter(text="quattle"), limit=5)
    before = _statistics(db)
    found_before = [
        p.name for p in _db_files(db.path) for n in _needles(token) if n in p.read_bytes()
    ]
    assert found_before  # the scan sees the data before

    result = erase.erase_member(db, member_id, now=now)

    assert not result.checkpoint_pending
    assert _statistics(db) == before
    for path in _db_files(db.path):
        data = path.read_bytes()
        leaks = [n for n in _needles(token) if n in data]
        assert not leaks, (path.name, leaks)
    assert not members.query_members(db, members.MemberFilter(text="quattle"), limit=5)
    assert db.scalar("SELECT count(*) FROM erasures") == 1
    assert db.scalar("SELECT action FROM audit_log ORDER BY id DESC LIMIT 1") == "member.erase"
    assert erase.is_erased(db, SECRETS["email"].upper())
    gone = export.export_member(db, member_id)
    text = repr(gone)
    assert all(value not in text for value in SECRETS.values())


def test_a_reader_in_another_connection_leaves_the_checkpoint_pending(db: Database) -> None:
    member = members.add_member(db, {"email": "pending@example.org"}, now=_now())
    reader = sqlite3.connect(db.path)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM members").fetchone()
    try:
        with db.transaction():  # a frame the reader's snapshot does not see
            db.execute("UPDATE members SET city = 'Lyon' WHERE id = ?", (member.id,))
        assert erase.erase_member(db, member.id, now=_now()).checkpoint_pending
    finally:
        reader.close()
    assert erase.checkpoint(db)


def _now():
    from omtui.core.demo import DEMO_NOW

    return DEMO_NOW


def test_an_erased_address_is_refused_by_import_unless_allowed(db: Database, tmp_path) -> None:
    now = _now()
    member = members.add_member(db, {"email": "gone@example.org", "last_name": "Gone"}, now=now)
    erase.erase_member(db, member.id, now=now)
    csv = tmp_path / "old.csv"
    csv.write_text("email;last_name\nGONE@example.org;Gone\nnew@example.org;New\n")
    preview = importer.preview_import(db, csv, now=now)
    assert preview.counts["rejected"] == 1 and preview.counts["new"] == 1
    assert "erased" in preview.rejected[0].reason
    importer.apply_import(db, preview, now=now)
    assert members.find_by_email(db, "gone@example.org") is None
    allowed = importer.preview_import(db, csv, now=now, allow_erased=True)
    assert allowed.erased == ["GONE@example.org"]
    importer.apply_import(db, allowed, now=now)
    assert members.find_by_email(db, "gone@example.org") is not None
    assert not erase.is_erased(db, "gone@example.org")  # back by the organiser's choice


@pytest.mark.parametrize("count", [1])
def test_export_data_holds_every_row_about_the_member(demo_club: ClubContext, count) -> None:
    db = demo_club.db
    member_id = _busy_member(db)
    email = db.scalar("SELECT email FROM members WHERE id = ?", (member_id,))
    data = export.export_member(db, member_id)
    assert data["member"]["email"] == email
    assert data["registrations"] and data["shifts"] and data["mails"] and data["consent"]
    # every table with a member id or an email column: each of its rows about the member
    tables = [
        r[0]
        for r in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND sql NOT LIKE 'CREATE V%' "
            "AND name NOT LIKE '%fts%' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    checked = 0
    for table in tables:
        cols = [c[1] for c in db.execute(f'PRAGMA table_info("{table}")')]
        conds = [f'"{c}" = :id' for c in cols if c.endswith("member_id")]
        conds += [f'lower("{c}") = lower(:email)' for c in cols if c == "email"]
        if not conds or table in ("members", "erasures", "audit_log"):
            continue
        rows = db.query(
            f'SELECT * FROM "{table}" WHERE {" OR ".join(conds)}', {"id": member_id, "email": email}
        )
        if rows:
            checked += 1
            assert data["tables"][table] == rows, table
    assert checked >= 4
