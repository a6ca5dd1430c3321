"""`omtui events list` names the year of an event that is not this year (issue 10: "Fri 8
Jan" in late November is ambiguous), and says "in 19 days" rather than "in 3 weeks"."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from omtui.core import events
from omtui.core.dates import utcnow
from omtui.core.db import Database

PARIS = ZoneInfo("Europe/Paris")


def _lunch(db: Database, title: str, start) -> None:
    events.create_event(
        db,
        {
            "kind": "lunch",
            "title": title,
            "starts_at": start,
            "ends_at": start + timedelta(hours=2),
            "city": "Lyon",
        },
        now=utcnow(),
    )


def test_events_list_names_other_years(run_cli, db: Database) -> None:
    now = utcnow()  # the subprocess runs at the real clock
    soon = (now + timedelta(days=19)).replace(hour=11, minute=0, second=0, microsecond=0)
    far = soon.replace(year=soon.year + 4)
    _lunch(db, "Déjeuner bientôt", soon)
    _lunch(db, "Déjeuner lointain", far)
    listed = run_cli("events", "list")
    assert listed.returncode == 0, listed.stderr
    out = listed.stdout.splitlines()
    far_line = next(line for line in out if "Déjeuner lointain" in line)
    soon_line = next(line for line in out if "Déjeuner bientôt" in line)
    at = soon.astimezone(PARIS).strftime("%H:%M")
    assert f"{far.year}, {at}" in far_line  # "Tue 26 Nov 2030, 12:00"
    soon_named = f"{soon.year}, {at}" in soon_line
    assert soon_named == (soon.astimezone(PARIS).year != now.astimezone(PARIS).year)
    assert "in 19 days" in soon_line  # not "in 3 weeks"
