"""Control characters and Unicode normal form: what is stored, and what reaches a terminal."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from omtui.core import members
from omtui.core.importer import apply_import, preview_import
from omtui.core.text import clean_cells, clean_text, has_controls, visible
from omtui.errors import ValidationError

DECOMPOSED = unicodedata.normalize("NFD", "Grégoire")


def test_clean_text_drops_control_characters_and_composes() -> None:
    assert clean_text("Eve\x1b]2;PWNED\x07") == "Eve]2;PWNED"
    assert clean_text("a\x00b\x9bc\x7fd") == "abcd"
    assert clean_text("two\nlines\tand\rmore") == "two lines and more"
    assert clean_text(DECOMPOSED) == "Grégoire" != DECOMPOSED
    assert clean_text("line 1\r\nline 2\t\x1b[31m", multiline=True) == "line 1\r\nline 2\t[31m"
    assert clean_text(None) == ""
    assert clean_text("Grégoire [/] \u202eevil") == "Grégoire [/] \u202eevil"  # text stays


def test_clean_cells_cleans_every_cell() -> None:
    assert clean_cells({"first_name": DECOMPOSED + "\x07", "notes": "a\nb\x1b"}) == {
        "first_name": "Grégoire",
        "notes": "a\nb",
    }


def test_visible_shows_controls_instead_of_obeying_them() -> None:
    assert visible("Eve\x1b]2;PWNED\x07") == "Eve␛]2;PWNED␇"
    assert visible("a\x9bb\x7f") == "a\ufffdb␡"
    assert visible("two\r\nlines\tok") == "two\nlines\tok"
    assert visible("two\nlines", multiline=False) == "two␊lines"
    assert not has_controls(visible("\x1b\x00\x85\x07"))


def test_members_add_and_update_store_clean_nfc_text(db, now) -> None:
    member = members.add_member(
        db,
        {
            "first_name": DECOMPOSED + "\x1b]2;PWNED\x07",
            "last_name": "Dupont\x00",
            "email": "g@example.org",
            "company": "ACME\x9b31m",
            "notes": "first\r\nsecond\x1b[2J",
            "tags": ["volunteer"],
        },
        now=now,
    )
    assert member.first_name == "Grégoire]2;PWNED"
    assert member.last_name == "Dupont"
    assert member.company == "ACME31m"
    assert member.notes == "first\r\nsecond[2J"
    assert member.tags == ("volunteer",)
    updated = members.update_member(db, member.id, {"city": "Lyon\x07\x1b"}, now=now)
    assert updated.city == "Lyon"


def test_import_strips_control_characters_and_composes(db, now, tmp_path: Path) -> None:
    csv = tmp_path / "in.csv"
    csv.write_text(
        "first_name,last_name,email,notes\n"
        f'Eve\x1b]2;PWNED\x07,{DECOMPOSED},eve@example.org,"a\x1bb"\n',
        encoding="utf-8",
    )
    apply_import(db, preview_import(db, csv, now=now), now=now)
    member = members.find_by_email(db, "eve@example.org")
    assert member is not None
    assert member.first_name == "Eve]2;PWNED"
    assert member.last_name == "Grégoire"
    assert member.notes == "ab"


def test_every_form_writer_strips_control_characters(db, now) -> None:
    """Events, shifts, drop reasons, partners and drafts store what forms send, cleaned."""
    from datetime import timedelta

    from omtui.core import events, newsletter, partners, rota

    start = now + timedelta(days=1)
    event = events.create_event(
        db,
        {
            "kind": "summit",
            "title": "Sommet\x1b]2;x\x07 " + DECOMPOSED,
            "starts_at": start,
            "ends_at": start + timedelta(hours=2),
            "access_notes": "door B\r\n\x1b[2Jcode 12",
            "city": "Lyon\x07",
            "host_company": "Host\x1b",
            "address": "1 rue\x00 X",
            "status": "planned",
        },
        now=now,
    )
    assert event.title == "Sommet]2;x Grégoire"
    assert event.access_notes == "door B\r\n[2Jcode 12"
    assert (event.city, event.address, event.host_company) == ("Lyon", "1 rue X", "Host")
    volunteer = members.add_member(db, {"email": "v@example.org", "tags": "volunteer"}, now=now)
    shift = rota.create_shift(
        db,
        event.id,
        role="host\x07",
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        notes="bring\x00 keys",
    )
    assert (shift.role, shift.notes) == ("host", "bring keys")
    tz = members_tz()
    assert rota.take_shift(db, shift.id, volunteer.id, now=now, tz=tz).ok
    assert rota.drop_shift(db, shift.id, volunteer.id, now=now, tz=tz, reason="ill\x1b[5m").ok
    reasons = db.query("SELECT drop_reason FROM shift_assignments")
    assert [r["drop_reason"] for r in reasons] == ["ill[5m"]
    partner = partners.add_partner(db, {"company": "ACME\x9b", "notes": "a\x07b"}, now=now)
    assert (partner.company, partner.notes) == ("ACME", "ab")
    # A subject is a mail header: a control character there is refused (issue 8), not dropped.
    with pytest.raises(ValidationError, match="control character"):
        newsletter.create_draft(db, subject="Hi\x1b]2;x\x07", body="Body", now=now)
    draft = newsletter.create_draft(db, subject="Hi", body="Body\x1b[31m", now=now)
    assert (draft.subject, draft.body) == ("Hi", "Body[31m")
    with pytest.raises(ValidationError, match="control character"):
        newsletter.update_draft(db, draft.id, subject="Again\x07", now=now)
    draft = newsletter.update_draft(db, draft.id, subject="Again", body="\x00B", now=now)
    assert (draft.subject, draft.body) == ("Again", "B")


def members_tz():
    from zoneinfo import ZoneInfo

    return ZoneInfo("Europe/Paris")


def test_clean_cells_fast_path_changes_nothing_clean_and_catches_the_rest() -> None:
    clean = {"first_name": "Hélène", "notes": "a\r\nb\tc", "email": "h@example.org"}
    assert clean_cells(clean) == clean
    assert clean_cells({"a": "x\x1fy", "b": "z"}) == {"a": "xy", "b": "z"}
    assert clean_cells({"a": "e", "b": "\u0301"}) == {"a": "e", "b": "\u0301"}
    assert clean_cells({"a": DECOMPOSED, "b": "ok"}) == {"a": "Grégoire", "b": "ok"}
