"""core/audit: append-only, who/what/when by id, never personal data."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import pytest

from omtui.context import ClubContext
from omtui.core import audit, members


def test_actions_are_recorded_by_id_without_personal_data(demo_club: ClubContext) -> None:
    db, now = demo_club.db, demo_club.now()
    start = db.scalar("SELECT max(id) FROM audit_log") or 0
    m = members.add_member(
        db, {"email": "secret.person@example.org", "last_name": "Secretname"}, now=now
    )
    members.update_member(db, m.id, {"phone": "+33 6 12 34 56 78"}, now=now)
    members.archive_member(db, m.id, now=now)
    rows = db.query("SELECT * FROM audit_log WHERE id > ? ORDER BY id", (start,))
    assert [r["action"] for r in rows] == ["member.add", "member.edit", "member.archive"]
    assert all(r["target"] == "member" and r["target_id"] == m.id for r in rows)
    assert all(r["actor"].startswith("user:") for r in rows)
    text = repr(rows)
    assert "secret" not in text.lower() and "12 34 56" not in text
    assert rows[1]["detail"] == "phone"  # the field's name, never its value
    since = audit.entries(db, since=now - timedelta(seconds=1), action="member.")
    assert [e.id for e in since][-len(rows) :] == [r["id"] for r in rows]


def test_the_log_refuses_changes_and_deletions(demo_club: ClubContext) -> None:
    db = demo_club.db
    audit.record(db, "backup", "file", detail="x.db")
    for sql in ("UPDATE audit_log SET actor = 'someone else'", "DELETE FROM audit_log"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            db.execute(sql)


def test_the_volunteer_view_names_the_volunteer_by_member_id(demo_club: ClubContext) -> None:
    db = demo_club.db
    try:
        audit.set_actor("member:42")
        audit.record(db, "shift.take", "member", 42, detail="shift #1")
    finally:
        audit.set_actor(None)
    assert audit.entries(db, action="shift.take")[-1].actor == "member:42"
    assert audit.current_actor().startswith("user:")
