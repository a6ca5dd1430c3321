"""`omtui rota` and `omtui volunteer` through the real CLI in a subprocess."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from omtui.core import members, rota
from omtui.core.dates import to_iso
from omtui.core.db import Database
from omtui.core.demo import DEMO_NOW

# The CLI runs on the real clock: keep every shift far in the future.
TZ = ZoneInfo("Europe/Paris")
START = datetime(2030, 6, 12, 16, 0, tzinfo=DEMO_NOW.tzinfo)


@pytest.fixture
def club_db(db: Database) -> dict:
    with db.transaction() as conn:
        event_id = conn.execute(
            "INSERT INTO events (kind, title, starts_at, ends_at, uid, created_at, updated_at)"
            " VALUES ('summit', 'Sommet 2030', ?, ?, 'sommet@test', ?, ?)",
            (to_iso(START), to_iso(START + timedelta(hours=6)), to_iso(DEMO_NOW), to_iso(DEMO_NOW)),
        ).lastrowid
    ids = {}
    for first, tags in (("Alice", "volunteer"), ("Chloé", "volunteer"), ("Bob", "")):
        ids[first] = members.add_member(
            db,
            {
                "first_name": first,
                "last_name": "Test",
                "email": f"{first[0].lower()}@ex.org",
                "tags": tags,
                "phone": "+33 6 11 22 33 44",
            },
            now=DEMO_NOW,
        ).id
    desk = rota.create_shift(
        db,
        event_id,
        role="welcome desk",
        starts_at=START,
        ends_at=START + timedelta(hours=2),
        needed=2,
    )
    setup = rota.create_shift(
        db,
        event_id,
        role="set-up",
        starts_at=START - timedelta(hours=1),
        ends_at=START + timedelta(hours=1),
    )
    return {"event": event_id, "desk": desk.id, "setup": setup.id, **ids}


def test_rota_lists_shifts_with_gaps(run_cli, club_db) -> None:
    result = run_cli("rota")
    assert result.returncode == 0, result.stderr
    assert "Sommet 2030" in result.stdout
    assert "welcome desk" in result.stdout and "set-up" in result.stdout
    assert "GAP: 2 missing" in result.stdout


def test_assign_then_json_then_member_view(run_cli, club_db) -> None:
    assert run_cli("rota", "assign", str(club_db["desk"]), "a@ex.org").returncode == 0
    data = json.loads(run_cli("rota", "--json").stdout)
    desk = next(s for s in data if s["id"] == club_db["desk"])
    assert (desk["needed"], desk["filled"], desk["missing"]) == (2, 1, 1)
    assert desk["volunteers"] == [{"name": "Alice Test", "email": "a@ex.org"}]
    assert desk["starts_local"] == "2030-06-12 18:00"  # Europe/Paris in summer
    mine = json.loads(run_cli("rota", "--member", "a@ex.org", "--json").stdout)
    assert [s["id"] for s in mine] == [club_db["desk"]]
    assert json.loads(run_cli("rota", "--member", "c@ex.org", "--json").stdout) == []


def test_assign_refuses_a_double_booking_naming_the_clash(run_cli, club_db) -> None:
    run_cli("rota", "assign", str(club_db["desk"]), "a@ex.org")
    result = run_cli("rota", "assign", str(club_db["setup"]), "a@ex.org")
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert "clashes with your shift welcome desk at Sommet 2030" in result.stderr


def test_assign_refuses_non_volunteers_and_unknown_emails(run_cli, club_db) -> None:
    bob = run_cli("rota", "assign", str(club_db["desk"]), "b@ex.org")
    assert bob.returncode == 2 and "not a volunteer" in bob.stderr
    nobody = run_cli("rota", "assign", str(club_db["desk"]), "nobody@ex.org")
    assert nobody.returncode == 2 and "no member" in nobody.stderr


def test_unassign(run_cli, club_db, db) -> None:
    run_cli("rota", "assign", str(club_db["desk"]), "a@ex.org")
    result = run_cli("rota", "unassign", str(club_db["desk"]), "a@ex.org")
    assert result.returncode == 0, result.stderr
    assert rota.get_shift(db, club_db["desk"]).filled == 0
    again = run_cli("rota", "unassign", str(club_db["desk"]), "a@ex.org")
    assert again.returncode == 1 and "not on shift" in again.stderr


def test_add_and_delete_a_shift(run_cli, club_db, db) -> None:
    added = run_cli(
        "rota",
        "add",
        str(club_db["event"]),
        "--role",
        "tear-down",
        "--start",
        "2030-06-12 22:00",
        "--end",
        "2030-06-12 23:30",
        "--needed",
        "3",
    )
    assert added.returncode == 0, added.stderr
    shift = rota.list_shifts(db)[-1]
    assert (shift.role, shift.needed, shift.starts_at.hour) == ("tear-down", 3, 20)
    bad = run_cli(
        "rota", "add", str(club_db["event"]), "--role", "x", "--start", "tomorrow", "--end", "x"
    )
    assert bad.returncode == 2 and "2026-12-03 18:30" in bad.stderr
    backwards = run_cli(
        "rota",
        "add",
        str(club_db["event"]),
        "--role",
        "x",
        "--start",
        "2030-06-12 22:00",
        "--end",
        "2030-06-12 21:00",
    )
    assert backwards.returncode == 1 and "end after it starts" in backwards.stderr
    deleted = run_cli("rota", "delete", str(shift.id), "--yes")
    assert deleted.returncode == 0
    assert len(rota.list_shifts(db)) == 2


def test_volunteer_refuses_unknown_or_non_volunteer_in_one_line(run_cli, club_db) -> None:
    for email, words in (("nobody@ex.org", "no member"), ("b@ex.org", "not a volunteer")):
        result = run_cli("volunteer", "--member", email)
        assert result.returncode == 2
        assert words in result.stderr
        assert result.stderr.count("\n") == 1 and result.stdout == ""


def test_dropped_places_and_reasons_are_printed(run_cli, club_db, db) -> None:
    rota.take_shift(db, club_db["desk"], club_db["Alice"], now=DEMO_NOW, tz=TZ)
    late = START - timedelta(hours=20)
    rota.drop_shift(db, club_db["desk"], club_db["Alice"], now=late, tz=TZ, reason="Flu")
    text = run_cli("rota").stdout
    assert "dropped by Alice Test: Flu" in text
    [desk] = [s for s in json.loads(run_cli("rota", "--json").stdout) if s["id"] == club_db["desk"]]
    assert desk["dropped"][0]["reason"] == "Flu"
    assert desk["dropped"][0]["dropped_at"] == to_iso(late)


def test_volunteer_without_a_terminal_is_refused(run_cli, club_db) -> None:
    result = run_cli("volunteer", "--member", "a@ex.org")  # stdin/stdout are pipes here
    assert result.returncode == 2
    assert "needs a terminal" in result.stderr and result.stderr.count("\n") == 1
