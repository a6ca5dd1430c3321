"""The .ics export, parsed back with icalendar: stable UIDs, VTIMEZONE, cancelled status."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar

from omtui.core import events
from omtui.core.db import Database
from omtui.core.ics import events_to_ical

PARIS = ZoneInfo("Europe/Paris")


def _make(db: Database, now: datetime) -> list[events.Event]:
    start = datetime(2026, 12, 3, 12, 30, tzinfo=PARIS)
    lunch = events.create_event(
        db,
        {
            "kind": "lunch",
            "title": "Déjeuner, à Lyon; entre nous",
            "starts_at": start,
            "ends_at": start + timedelta(hours=2),
            "city": "Lyon",
            "host_company": "Le Petit Zinc",
            "address": "5 quai Jules Courmont",
        },
        now=now,
    )
    summer = datetime(2027, 6, 10, 9, 0, tzinfo=PARIS)  # summer time: a different offset
    webinar = events.create_event(
        db,
        {
            "kind": "webinar",
            "title": "Webinar",
            "starts_at": summer,
            "ends_at": summer + timedelta(hours=1),
            "online_url": "https://visio.example/42",
            "status": "cancelled",
        },
        now=now,
    )
    return [lunch, webinar]


def test_round_trip_with_stable_uids_and_vtimezone(db: Database, now: datetime) -> None:
    made = _make(db, now)
    first = events_to_ical(made, tz=PARIS, now=now)
    reloaded = [events.get_event(db, e.id) for e in made]
    second = events_to_ical(reloaded, tz=PARIS, now=now + timedelta(days=1))

    cal1 = icalendar.Calendar.from_ical(first)
    cal2 = icalendar.Calendar.from_ical(second)
    uids1 = [str(c["UID"]) for c in cal1.walk("VEVENT")]
    uids2 = [str(c["UID"]) for c in cal2.walk("VEVENT")]
    assert uids1 == uids2 == [e.uid for e in made]
    assert len(set(uids1)) == 2

    assert [tz.tz_name for tz in cal1.timezones] == ["Europe/Paris"]
    assert cal1.get_missing_tzids() == set()
    lunch, webinar = cal1.walk("VEVENT")
    assert lunch["DTSTART"].params["TZID"] == "Europe/Paris"
    assert lunch.decoded("DTSTART") == datetime(2026, 12, 3, 12, 30, tzinfo=PARIS)
    assert lunch.decoded("DTSTART").utcoffset() == timedelta(hours=1)
    assert webinar.decoded("DTSTART").utcoffset() == timedelta(hours=2)
    assert str(lunch["SUMMARY"]) == "Déjeuner, à Lyon; entre nous"
    assert "Le Petit Zinc" in str(lunch["LOCATION"])
    assert str(webinar["STATUS"]) == "CANCELLED"
    assert str(lunch["STATUS"]) == "TENTATIVE"
    assert lunch.decoded("DTSTAMP") == now
    assert lunch.decoded("LAST-MODIFIED") == now == made[0].updated_at
    assert b"\r\n" in first and first.startswith(b"BEGIN:VCALENDAR")


def test_empty_calendar_is_still_valid(now: datetime) -> None:
    cal = icalendar.Calendar.from_ical(events_to_ical([], tz=PARIS, now=now))
    assert cal.walk("VEVENT") == []
    assert str(cal["VERSION"]) == "2.0"
