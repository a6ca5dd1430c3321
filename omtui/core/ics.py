"""Events as an RFC 5545 iCalendar file, written with the icalendar library.

Each event keeps the UID made when it was created, so a calendar app that imports the file
again updates its copy instead of adding a duplicate. Times are written in the club's
timezone (TZID=...) with a VTIMEZONE describing it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
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
        calendar.add_missing_timezones(first_date=first, last_date=last)
    return calendar.to_ical()
