"""`omtui events ...` and `omtui partners ...` run as a person would, in a subprocess."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import icalendar
import pytest

from omtui.core import events
from omtui.core.db import open_database
from omtui.core.demo import DEMO_NOW, build_demo

# The subprocess runs at the real clock, so test events sit safely in the future.
FUTURE = DEMO_NOW + timedelta(days=3650)


@pytest.fixture
def demo_db(db_path: Path) -> Path:
    database = open_database(db_path)
    build_demo(database, members_count=120)
    database.close()
    return db_path


@pytest.fixture
def small_lunch(demo_db: Path) -> tuple[int, list[str]]:
    """A lunch far in the future with 2 seats, and five member emails."""
    database = open_database(demo_db)
    event = events.create_event(
        database,
        {
            "kind": "lunch",
            "title": "Déjeuner test",
            "starts_at": FUTURE,
            "ends_at": FUTURE + timedelta(hours=2),
            "city": "Lyon",
            "capacity": 2,
        },
        now=DEMO_NOW,
    )
    emails = [r["email"] for r in database.query("SELECT email FROM members ORDER BY id LIMIT 5")]
    database.close()
    return event.id, emails


def test_register_waiting_promote_checkin(run_cli, small_lunch) -> None:
    event_id, emails = small_lunch
    eid = str(event_id)
    assert "is registered" in run_cli("events", "register", eid, emails[0]).stdout
    assert "is registered" in run_cli("events", "register", eid, emails[1]).stdout
    full = run_cli("events", "register", eid, emails[2])
    assert full.returncode == 0 and "number 1 on the waiting list" in full.stdout
    again = run_cli("events", "register", eid, emails[0])
    assert again.returncode == 1 and "already registered" in again.stderr

    cancel = run_cli("events", "cancel-registration", eid, emails[0])
    assert cancel.returncode == 0 and "moved up from the waiting list" in cancel.stdout

    early = run_cli("events", "checkin", eid, emails[2])  # doors open 2 hours before
    assert early.returncode == 1 and "add --early" in early.stderr
    checkin = run_cli("events", "checkin", eid, emails[2], "--early")
    assert checkin.returncode == 0 and "checked in" in checkin.stdout
    twice = run_cli("events", "checkin", eid, emails[2], "--early")
    assert "already checked in" in twice.stdout
    refused = run_cli("events", "checkin", eid, emails[4], "--early")
    assert refused.returncode == 1 and "not registered" in refused.stderr

    shown = run_cli("events", "show", eid).stdout
    assert "Registered: 2/2" in shown and "Attended: 1" in shown


def test_unknown_things_fail_clearly(run_cli, small_lunch) -> None:
    event_id, _emails = small_lunch
    missing = run_cli("events", "register", str(event_id), "nobody@example.org")
    assert missing.returncode == 1
    assert missing.stderr.strip() == "omtui: no member with email nobody@example.org"
    assert run_cli("events", "show", "9999").stderr.strip() == "omtui: no event with id 9999"
    usage = run_cli("events", "show", "abc")
    assert usage.returncode == 2


def test_add_validates_and_writes_nothing_on_error(run_cli, demo_db) -> None:
    bad = run_cli(
        "events", "add", "--kind", "webinar", "--title", "T", "--start", "2036-12-01 10:00",
        "--end", "09:00",
    )  # fmt: skip
    assert bad.returncode == 1 and "end after it starts" in bad.stderr
    nodate = run_cli("events", "add", "--kind", "lunch", "--title", "T", "--start", "tomorrow")
    assert nodate.returncode == 1 and "type it like 2026-12-03 12:30" in nodate.stderr
    nolink = run_cli(
        "events", "add", "--kind", "webinar", "--title", "W", "--start", "2036-12-01 10:00",
        "--end", "11:00",
    )  # fmt: skip
    assert "webinar needs an online link" in nolink.stderr
    ok = run_cli(
        "events", "add", "--kind", "webinar", "--title", "W", "--start", "2036-12-01 10:00",
        "--end", "11:00", "--url", "https://visio.example/1", "--capacity", "50",
    )  # fmt: skip
    assert ok.returncode == 0, ok.stderr
    listed = json.loads(run_cli("events", "list", "--json").stdout)
    mine = [e for e in listed if e["title"] == "W"]
    assert len(mine) == 1 and mine[0]["starts_at"] == "2036-12-01T09:00:00+00:00"
    assert mine[0]["seats_left"] == 50
    assert [e for e in listed if e["title"] == "T"] == []


def test_guests_are_names_only(run_cli, small_lunch) -> None:
    event_id, emails = small_lunch
    for email in emails[:3]:
        run_cli("events", "register", str(event_id), email)
    out = run_cli("events", "guests", str(event_id))
    assert out.returncode == 0
    names = out.stdout.splitlines()[1:]
    assert len(names) == 2
    assert "@" not in out.stdout and "+33" not in out.stdout


def test_ics_file_has_stable_uids(run_cli, demo_db, tmp_path: Path) -> None:
    first, second = tmp_path / "a.ics", tmp_path / "b.ics"
    assert run_cli("events", "ics", "-o", str(first)).returncode == 0
    assert run_cli("events", "ics", "-o", str(second)).returncode == 0
    uids = [
        [str(c["UID"]) for c in icalendar.Calendar.from_ical(p.read_bytes()).walk("VEVENT")]
        for p in (first, second)
    ]
    assert uids[0] == uids[1]
    one = run_cli("events", "ics", "1")
    cal = icalendar.Calendar.from_ical(one.stdout)
    assert len(cal.walk("VEVENT")) == 1 and cal.timezones[0].tz_name == "Europe/Paris"


def test_list_past_and_partners(run_cli, demo_db) -> None:
    past = run_cli("events", "list", "--past", "--json")
    assert past.returncode == 0 and len(json.loads(past.stdout)) > 0
    added = run_cli("partners", "add", "Café Test", "--email", "hello@cafe.example")
    assert added.returncode == 0
    linked = run_cli("partners", "link", "1", "café test", "--role", "sponsor")
    assert linked.returncode == 0, linked.stderr
    assert "Café Test (sponsor)" in run_cli("events", "show", "1").stdout
    wrong = run_cli("partners", "link", "1", "Café Test", "--role", "caterer")
    assert wrong.returncode == 2


def test_import_registrations_lists_unknown_emails(run_cli, small_lunch, tmp_path: Path) -> None:
    event_id, emails = small_lunch
    path = tmp_path / "export.csv"
    path.write_text(
        "\ufeffTimestamp,Email address,Dietary needs\n"
        f"2026-11-01,{emails[0]},\n"
        "2026-11-01,stranger@example.org,vegan\n",
        encoding="utf-8",
    )
    out = run_cli("events", "import-registrations", str(event_id), str(path))
    assert out.returncode == 1
    assert "Registered 1" in out.stdout and "stranger@example.org" in out.stdout
    assert "line 3" in out.stdout
    shown = run_cli("events", "show", str(event_id)).stdout
    assert emails[0] in shown and "stranger" not in shown
    missing = run_cli("events", "import-registrations", str(event_id), str(tmp_path / "no.csv"))
    assert missing.returncode == 2 and "cannot read" in missing.stderr
