"""Dates: stored in UTC as ISO 8601, shown in the club's timezone, humanized for people.

Every function takes `now` so that screens, tests and snapshots agree on time.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import humanize


def utcnow() -> datetime:
    return datetime.now(UTC)


def to_iso(moment: datetime) -> str:
    """Serialise an aware datetime as UTC ISO 8601 (seconds precision)."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: give it a timezone before storing it")
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def from_iso(text: str) -> datetime:
    """Parse a stored timestamp back into an aware UTC datetime."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def local(moment: datetime, tz: ZoneInfo) -> datetime:
    return moment.astimezone(tz)


def parse_local(text: str, tz: ZoneInfo) -> datetime:
    """Parse "2026-12-03 12:30" (or ISO with an offset) typed in the club's timezone."""
    moment = datetime.fromisoformat(text.strip().replace("T", " ", 1))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return moment.astimezone(UTC)


def humanize_delta(moment: datetime, now: datetime) -> str:
    """ "3 days ago", "in 5 days" relative to `now`."""
    delta = moment - now
    text = humanize.naturaldelta(abs(delta))
    if abs(delta) < timedelta(seconds=45):
        return "now"
    return f"in {text}" if delta > timedelta(0) else f"{text} ago"


def humanize_day(moment: datetime, now: datetime, tz: ZoneInfo) -> str:
    """ "today at 12:30", "tomorrow at 09:00", "in 5 days", "3 months ago"."""
    local_moment = moment.astimezone(tz)
    today = now.astimezone(tz).date()
    day: date = local_moment.date()
    clock = local_moment.strftime("%H:%M")
    if day == today:
        return f"today at {clock}"
    if day == today + timedelta(days=1):
        return f"tomorrow at {clock}"
    if day == today - timedelta(days=1):
        return f"yesterday at {clock}"
    days = (day - today).days
    if 2 <= abs(days) <= 6:  # calendar days: naturaldelta would say "in a day" for Tuesday
        return f"in {days} days" if days > 0 else f"{-days} days ago"
    return humanize_delta(moment, now)


def format_local(moment: datetime, tz: ZoneInfo, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return moment.astimezone(tz).strftime(fmt)
