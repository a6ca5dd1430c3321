"""Events as an RFC 5545 iCalendar file, written with the icalendar library.

Each event keeps the UID made when it was created, so a calendar app that imports the file
again updates its copy instead of adding a duplicate. Times are written in the club's
timezone (TZID=...) with a VTIMEZONE describing it.

The VTIMEZONE is written here from the zone's own transitions rather than by icalendar's
`add_missing_timezones()`, whose observances start at the new local time (spring forward as
`T030000`) where RFC 5545 wants the time before the change (`T020000`, in TZOFFSETFROM):
another parser then puts 01:30Z on that day in an hour that does not exist.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar

from omtui import __version__
from omtui.core.events import Event

_STATUS = {"planned": "TENTATIVE", "confirmed": "CONFIRMED", "cancelled": "CANCELLED"}


def _description(event: Event) -> str:
    lines = [event.description] if event.description else []
    if event.online_url:
        lines.append(event.online_url)
    if event.access_notes:
        lines.append(event.access_notes)
    return "\n\n".join(lines)


def event_component(event: Event, *, tz: ZoneInfo, now: datetime) -> icalendar.Event:
    """One VEVENT for `event`, times in `tz`."""
    component = icalendar.Event()
    component.add("uid", event.uid)
    component.add("dtstamp", now)
    if event.created_at:
        component.add("created", event.created_at)
    if event.updated_at:
        # Calendar apps keep the newest copy of a UID: say when this one last changed.
        component.add("last-modified", event.updated_at)
    component.add("dtstart", event.starts_at.astimezone(tz))
    component.add("dtend", event.ends_at.astimezone(tz))
    component.add("summary", event.title)
    component.add("status", _STATUS[event.status])
    component.add("categories", [event.kind])
    location = event.location
    if location:
        component.add("location", location)
    if event.online_url:
        component.add("url", event.online_url)
    description = _description(event)
    if description:
        component.add("description", description)
    return component


def events_to_ical(
    events: Iterable[Event], *, tz: ZoneInfo, now: datetime, calendar_name: str = "omtui"
) -> bytes:
    """A complete VCALENDAR (bytes, CRLF line endings) with one VEVENT per event and the
    club timezone's VTIMEZONE."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", f"-//omtui//omtui {__version__}//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", calendar_name)
    calendar.add("x-wr-timezone", tz.key)
    items = list(events)
    for event in items:
        calendar.add_component(event_component(event, tz=tz, now=now))
    if items:
        # Transitions around the events only: a 1970-2038 table would bloat every file.
        first = min(e.starts_at for e in items).astimezone(tz).date() - timedelta(days=366)
        last = max(e.ends_at for e in items).astimezone(tz).date() + timedelta(days=366)
        # Before the events, as calendar apps expect to meet a TZID's definition first.
        calendar.subcomponents.insert(0, vtimezone(tz, first, last))
    return calendar.to_ical()


def transitions(tz: ZoneInfo, first: date, last: date) -> list[datetime]:
    """The UTC instants between `first` and `last` when `tz` changes its offset or name."""

    def state(moment: datetime) -> tuple:
        local_moment = moment.astimezone(tz)
        return local_moment.utcoffset(), local_moment.tzname()

    found = []
    day = datetime(first.year, first.month, first.day, tzinfo=UTC)
    end = datetime(last.year, last.month, last.day, tzinfo=UTC)
    while day < end:
        following = day + timedelta(days=1)
        if state(day) != state(following):
            low, high = day, following  # bisect to the second: low before, high after
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) / 2
                low, high = (middle, high) if state(middle) == state(low) else (low, middle)
            found.append(high.replace(microsecond=0))
        day = following
    return found


def vtimezone(tz: ZoneInfo, first: date, last: date) -> icalendar.Timezone:
    """The VTIMEZONE of `tz` from `first` to `last`: one observance per kind of change, its
    later occurrences as RDATEs, every time local in the offset before the change."""
    component = icalendar.Timezone()
    component.add("tzid", tz.key)
    observances: dict[tuple, icalendar.Component] = {}
    for moment in transitions(tz, first, last):
        before = (moment - timedelta(seconds=1)).astimezone(tz)
        after = moment.astimezone(tz)
        offset_from, offset_to = before.utcoffset(), after.utcoffset()
        assert offset_from is not None and offset_to is not None
        start = (moment + offset_from).replace(tzinfo=None)  # wall time before the change
        key = (bool(after.dst()), offset_from, offset_to, after.tzname())
        if key in observances:
            observances[key].add("rdate", start)
            continue
        kind = icalendar.TimezoneDaylight if after.dst() else icalendar.TimezoneStandard
        observance: icalendar.Component = kind()
        observance.add("dtstart", start)
        observance.add("tzoffsetfrom", offset_from)
        observance.add("tzoffsetto", offset_to)
        observance.add("tzname", after.tzname())
        observances[key] = observance
    if not observances:  # no change in the period (no DST): one fixed observance
        at = datetime(first.year, first.month, first.day, tzinfo=UTC).astimezone(tz)
        offset = at.utcoffset()
        observance = icalendar.TimezoneStandard()
        observance.add("dtstart", datetime(1970, 1, 1))
        observance.add("tzoffsetfrom", offset)
        observance.add("tzoffsetto", offset)
        observance.add("tzname", at.tzname())
        observances[()] = observance
    for each in observances.values():
        component.add_component(each)
    return component
