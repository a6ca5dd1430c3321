"""French data through the real CLI (issue 9): `members list` in French alphabetical order
with œ folded in search, and dates typed the French way in `events add/edit` and `rota add`.

The CLI runs on the real clock: every date here is years ahead, or given with its year.
"""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from omtui.core import events, members, rota
from omtui.core.db import Database
from omtui.core.demo import DEMO_NOW

PARIS = ZoneInfo("Europe/Paris")


def local(moment: datetime) -> str:
    return moment.astimezone(PARIS).strftime("%Y-%m-%d %H:%M")


def test_members_list_in_french_order_and_oe_search(run_cli, db: Database) -> None:
    for i, (first, last, company) in enumerate(
        [
            ("Zoé", "Zola", ""), ("Émilie", "Blanc", "Cœur de Ville"), ("Aïcha", "Œuvray", ""),
            ("Amélie", "Oeuvray", ""), ("Çava", "Ça", ""), ("Eric", "émery", ""),
        ]
    ):  # fmt: skip
        members.add_member(
            db, {"email": f"m{i}@x.fr", "first_name": first, "last_name": last,
                 "company": company}, now=DEMO_NOW,
        )  # fmt: skip
    result = run_cli("members", "list", "--json")
    assert result.returncode == 0, result.stderr
    order = [m["last_name"] for m in json.loads(result.stdout)]
    assert order == ["Blanc", "Ça", "émery", "Œuvray", "Oeuvray", "Zola"]  # Aïcha, Amélie
    for text, expected in (("coeur", ["Blanc"]), ("oeuvray", ["Œuvray", "Oeuvray"])):
        found = run_cli("members", "list", "--json", "--search", text)
        assert [m["last_name"] for m in json.loads(found.stdout)] == expected, text


@pytest.fixture
def event_id(db: Database) -> int:
    start = datetime(2036, 12, 3, 11, 30, tzinfo=PARIS)
    event = events.create_event(
        db,
        {"kind": "webinar", "title": "Webinaire", "starts_at": start,
         "ends_at": start.replace(hour=13), "online_url": "https://visio.example/1"},
        now=DEMO_NOW,
    )  # fmt: skip
    return event.id


def test_events_add_and_edit_read_french_dates(run_cli, db: Database, event_id: int) -> None:
    added = run_cli(
        "events", "add", "--kind", "webinar", "--title", "Noël", "--start",
        "jeudi 4 décembre 2036 à 18h30", "--end", "20h", "--url", "https://visio.example/2",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    new = events.list_events(db, now=DEMO_NOW)[-1]
    assert (local(new.starts_at), local(new.ends_at)) == ("2036-12-04 18:30", "2036-12-04 20:00")
    edited = run_cli("events", "edit", str(event_id), "--end", "12h45")
    assert edited.returncode == 0, edited.stderr
    assert local(events.get_event(db, event_id).ends_at) == "2036-12-03 12:45"
    moved = run_cli("events", "edit", str(event_id), "--start", "3/12/2036 9h", "--end", "10h")
    assert moved.returncode == 0, moved.stderr
    event = events.get_event(db, event_id)
    assert (local(event.starts_at), local(event.ends_at)) == (
        "2036-12-03 09:00",
        "2036-12-03 10:00",
    )


def test_events_refuse_clock_change_times_in_one_line(run_cli, event_id: int) -> None:
    gap = run_cli("events", "edit", str(event_id), "--start", "28/03/2027 02:30")
    assert gap.returncode == 1
    assert "does not exist in Europe/Paris" in gap.stderr and "02:00 to 03:00" in gap.stderr
    twice = run_cli("events", "edit", str(event_id), "--start", "2027-10-31 02:30")
    assert twice.returncode == 1
    assert "2027-10-31 02:30+02:00" in twice.stderr and "2027-10-31 02:30+01:00" in twice.stderr
    assert len(twice.stderr.strip().splitlines()) == 1
    chosen = run_cli(
        "events", "edit", str(event_id), "--start", "2027-10-31 02:30+01:00", "--end", "04:00"
    )
    assert chosen.returncode == 0, chosen.stderr


def test_rota_add_takes_the_same_end_times_as_events(run_cli, db: Database, event_id: int) -> None:
    for start, end, expected in (
        ("3/12/2036 11h", "12:45", ("2036-12-03 11:00", "2036-12-03 12:45")),
        ("3 déc. 2036 10h", "3 déc. 2036 11h30", ("2036-12-03 10:00", "2036-12-03 11:30")),
        ("2036-12-03 08:00", "9h", ("2036-12-03 08:00", "2036-12-03 09:00")),
    ):
        added = run_cli(
            "rota", "add", str(event_id), "--role", "desk", "--start", start, "--end", end
        )
        assert added.returncode == 0, added.stderr
        shift = max(rota.list_shifts(db, event_id=event_id), key=lambda s: s.id)
        assert (local(shift.starts_at), local(shift.ends_at)) == expected
    gap = run_cli(
        "rota", "add", str(event_id), "--role", "x", "--start", "28/03/2027 02:30", "--end", "4h"
    )
    assert gap.returncode == 2 and "--start: 2027-03-28 02:30 does not exist" in gap.stderr


def test_rota_edit_changes_only_what_is_given(run_cli, db: Database, event_id: int) -> None:
    shift = rota.create_shift(
        db,
        event_id,
        role="desk",
        starts_at=datetime(2036, 12, 3, 11, 0, tzinfo=PARIS),
        ends_at=datetime(2036, 12, 3, 12, 0, tzinfo=PARIS),
        needed=2,
        notes="badge",
    )
    ended = run_cli("rota", "edit", str(shift.id), "--end", "12h45")
    assert ended.returncode == 0, ended.stderr
    after = rota.get_shift(db, shift.id)
    assert (local(after.starts_at), local(after.ends_at)) == (
        "2036-12-03 11:00",
        "2036-12-03 12:45",
    )
    assert (after.role, after.needed, after.notes) == ("desk", 2, "badge")
    moved = run_cli(
        "rota", "edit", str(shift.id), "--start", "4/12/2036 9h", "--end", "10h", "--needed", "3"
    )
    assert moved.returncode == 0, moved.stderr
    after = rota.get_shift(db, shift.id)
    assert (local(after.starts_at), local(after.ends_at)) == (
        "2036-12-04 09:00",
        "2036-12-04 10:00",
    )
    assert after.needed == 3
    assert run_cli("rota", "edit", str(shift.id)).returncode == 2  # nothing to change
    backwards = run_cli("rota", "edit", str(shift.id), "--end", "8h")
    assert backwards.returncode == 1 and "end after it starts" in backwards.stderr
