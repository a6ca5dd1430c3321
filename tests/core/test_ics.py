"""The .ics export, parsed back with icalendar: stable UIDs, VTIMEZONE, cancelled status."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
import vobject

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


# -- the VTIMEZONE, read by a second parser ------------------------------------------------
def _one_event_at(moment: datetime, tz: ZoneInfo = PARIS) -> bytes:
    event = events.Event(
        id=1, kind="meetup", title="T", starts_at=moment, ends_at=moment + timedelta(hours=1),
        uid="uid-1",
    )  # fmt: skip
    return events_to_ical([event], tz=tz, now=moment)


SPRING_FORWARD = datetime(2027, 3, 28, 1, 30, tzinfo=UTC)  # 03:30 in Paris, the first hour
FALL_BACK = datetime(2027, 10, 31, 1, 30, tzinfo=UTC)  # the second 02:30 in Paris


def test_vtimezone_rules_start_at_the_local_time_before_the_change() -> None:
    text = _one_event_at(SPRING_FORWARD).decode()
    vtimezone = text[text.index("BEGIN:VTIMEZONE") : text.index("END:VTIMEZONE")]
    daylight = vtimezone[vtimezone.index("BEGIN:DAYLIGHT") : vtimezone.index("END:DAYLIGHT")]
    standard = vtimezone[vtimezone.index("BEGIN:STANDARD") : vtimezone.index("END:STANDARD")]
    # RFC 5545: DTSTART of an observance is local time in TZOFFSETFROM.
    assert "DTSTART:20260329T020000" in daylight and "RDATE:20270328T020000" in daylight
    assert "TZOFFSETFROM:+0100" in daylight and "TZOFFSETTO:+0200" in daylight
    assert "DTSTART:20261025T030000" in standard and "RDATE:20271031T030000" in standard
    assert "T030000" not in daylight
    assert "COMMENT" not in vtimezone  # icalendar's "This timezone only works from ..."
    assert text.index("BEGIN:VTIMEZONE") < text.index("BEGIN:VEVENT")


@pytest.mark.parametrize(
    ("moment", "wall", "offset"),
    [
        (datetime(2027, 3, 28, 0, 59, tzinfo=UTC), datetime(2027, 3, 28, 1, 59), 1),
        (SPRING_FORWARD, datetime(2027, 3, 28, 3, 30), 2),
        (datetime(2027, 10, 31, 0, 30, tzinfo=UTC), datetime(2027, 10, 31, 2, 30), 2),
        (FALL_BACK, datetime(2027, 10, 31, 2, 30), 1),
        (datetime(2027, 7, 14, 10, 0, tzinfo=UTC), datetime(2027, 7, 14, 12, 0), 2),
    ],
)
def test_a_second_parser_maps_utc_to_the_right_local_time(
    moment: datetime, wall: datetime, offset: int
) -> None:

    calendar = vobject.readOne(_one_event_at(SPRING_FORWARD).decode())
    zone = calendar.vtimezone.gettzinfo()
    local_moment = moment.astimezone(zone)
    assert local_moment.replace(tzinfo=None) == wall
    assert local_moment.utcoffset() == timedelta(hours=offset)
    assert moment.astimezone(PARIS).replace(tzinfo=None) == wall  # zoneinfo agrees


def test_a_second_parser_reads_the_event_time_back(now: datetime) -> None:

    calendar = vobject.readOne(_one_event_at(SPRING_FORWARD).decode())
    assert calendar.vevent.dtstart.value.astimezone(UTC) == SPRING_FORWARD


def test_a_zone_without_daylight_saving_has_one_observance() -> None:
    tokyo = ZoneInfo("Asia/Tokyo")
    text = _one_event_at(SPRING_FORWARD, tokyo).decode()
    assert text.count("BEGIN:STANDARD") == 1 and "BEGIN:DAYLIGHT" not in text
    assert "TZOFFSETFROM:+0900" in text and "TZOFFSETTO:+0900" in text
    cal = icalendar.Calendar.from_ical(text)
    assert cal.walk("VEVENT")[0].decoded("DTSTART") == SPRING_FORWARD.astimezone(tokyo)
