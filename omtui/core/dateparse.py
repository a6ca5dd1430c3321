"""Dates and times as people type them, the French way first, read in the club's timezone.

    03/12/2026 12:30    3/12 12h30    12h30    14h    3 déc. 2026 18:00
    jeudi 3 décembre 2026 à 18h    1er mars 9h    2026-12-03T12:30+01:00    Dec 3, 2026 6pm

Day first (3/12 is 3 December). A date without a year is the next such date from `now`;
a time alone is on `day` (the start's day, for an end) or today. A time that does not
exist (clocks go forward) or happens twice (clocks go back) in the club's timezone is
refused with a typed error that says why; AmbiguousTime carries both moments, so a form
may offer the choice, and its message names both with their UTC offsets, which the parser
accepts (`2027-10-31 02:30+01:00`). Babel formats dates but does not parse month names:
hence this small parser. Pure Python, no I/O.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from omtui.core.text import fold
from omtui.errors import ValidationError
from omtui.i18n import _

ISO_EXAMPLE = "2026-12-03 18:30"


class DateParseError(ValidationError):
    """A typed date or time that cannot be used; the message is one line."""


class UnreadableDate(DateParseError):
    """Not a date or time this parser knows how to read."""


class InvalidDate(DateParseError):
    """Read, but no such day or time (31/02, 25h)."""


class MissingTime(DateParseError):
    """A date without the time of day where a moment is needed."""


class NonexistentTime(DateParseError):
    """A local time skipped when the clocks go forward."""


class AmbiguousTime(DateParseError):
    """A local time that happens twice when the clocks go back; `choices` holds both
    moments (UTC), the earlier (summer time) first."""

    def __init__(
        self, message: str, choices: tuple[datetime, datetime], field: str | None = None
    ) -> None:
        super().__init__(message, field=field)
        self.choices = choices


# Folded (see text.fold), so "déc", "Déc." and "dec" are one key.
MONTHS: dict[str, int] = {}
for _number, _names in enumerate(
    (
        "janvier janv jan january",
        "fevrier fevr fev feb february",
        "mars mar march",
        "avril avr apr april",
        "mai may",
        "juin jun june",
        "juillet juil jul july",
        "aout aou aug august",
        "septembre sept sep september",
        "octobre oct october",
        "novembre nov november",
        "decembre dec december",
    ),
    start=1,
):
    for _name in _names.split():
        MONTHS[_name] = _number
WEEKDAYS = frozenset(
    [
        "lundi",
        "mardi",
        "mercredi",
        "jeudi",
        "vendredi",
        "samedi",
        "dimanche",
        "lun",
        "mar",
        "mer",
        "jeu",
        "ven",
        "sam",
        "dim",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "mon",
        "tue",
        "tues",
        "wed",
        "thu",
        "thur",
        "thurs",
        "fri",
        "sat",
        "sun",
    ]
)

_TIME = re.compile(
    r"""(?:^|(?<=\s)|(?<=t))(?:
        (?P<h1>\d{1,2}):(?P<m1>\d{2})(?::(?P<s1>\d{2})(?:\.\d+)?)?(?:\s*(?P<ap1>am|pm))?
      | (?P<h2>\d{1,2})\s*h\s*(?P<m2>\d{2})?
      | (?P<h3>\d{1,2})\s*(?P<ap3>am|pm)
      | (?P<word>midi|minuit|noon|midnight)
    )(?P<offset>\s*(?:z|utc|[+-]\d{2}:?\d{2}))?$""",
    re.VERBOSE,
)
_YMD = re.compile(r"(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})")
_DMY = re.compile(r"(?P<d>\d{1,2})[/.-](?P<m>\d{1,2})(?:[/.-](?P<y>\d{4}|\d{2}))?")
_D_MONTH_Y = re.compile(
    r"(?P<d>\d{1,2})(?:er|st|nd|rd|th)?\s*(?P<month>[a-z]+)\.?(?:\s+(?P<y>\d{4}))?"
)
_MONTH_D_Y = re.compile(
    r"(?P<month>[a-z]+)\.?\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?(?:\s+(?P<y>\d{4}))?"
)
_CONNECTORS = re.compile(r"^(?:le|on|the)\s+|\s+(?:a|at|le)$|^(?:a|at|le|on)$")


def _unreadable(text: str) -> UnreadableDate:
    return UnreadableDate(
        _(
            "{text!r} is not a date and time; type it like {example}, 3/12 18:30 or 3 Dec 18:30"
        ).format(text=text, example=ISO_EXAMPLE)
    )


def _split(text: str) -> tuple[str, re.Match[str] | None]:
    """The folded date part (connectors removed) and the time match, if any."""
    folded = " ".join(fold(text).replace(",", " ").split())
    match = _TIME.search(folded)
    rest = folded[: match.start()] if match else folded
    rest = rest.strip()
    if rest.endswith("t") and rest[-2:-1].isdigit():  # ISO "2026-12-03T12:30"
        rest = rest[:-1]
    for _pass in range(2):  # "le 3 décembre à"
        rest = _CONNECTORS.sub("", rest).strip()
    return rest, match


def _next_date(day: int, month: int, today: date) -> date:
    """The next `day`/`month` on or after `today` (29/02 waits for a leap year)."""
    for year in range(today.year, today.year + 9):
        try:
            found = date(year, month, day)
        except ValueError:
            continue
        if found >= today:
            return found
    raise ValueError("no such day")


def _read_date(rest: str, text: str, today: date) -> date:
    words = rest.split()
    if len(words) > 1 and words[0].rstrip(".") in WEEKDAYS:
        try:
            return _read_date(" ".join(words[1:]), text, today)  # the weekday is not checked
        except UnreadableDate:
            pass  # "mar 3 2026": March, not mardi
    try:
        if match := _YMD.fullmatch(rest):
            return date(int(match["y"]), int(match["m"]), int(match["d"]))
        match = _DMY.fullmatch(rest)
        month: int | None = None
        if match:
            month = int(match["m"])
        else:
            match = _D_MONTH_Y.fullmatch(rest) or _MONTH_D_Y.fullmatch(rest)
            if match:
                month = MONTHS.get(match["month"])
        if match is None or month is None:
            raise _unreadable(text)
        day = int(match["d"])
        year = match["y"]
        if year is None:
            return _next_date(day, month, today)
        return date(int(year) + (2000 if len(year) == 2 else 0), month, day)
    except ValueError:
        raise InvalidDate(
            _("{text!r}: there is no such day in the calendar").format(text=text)
        ) from None


def _read_time(match: re.Match[str], text: str) -> time:
    if match["word"]:
        return time(0 if match["word"] in ("minuit", "midnight") else 12)
    hour = int(match["h1"] or match["h2"] or match["h3"])
    minute = int(match["m1"] or match["m2"] or 0)
    second = int(match["s1"] or 0)
    meridiem = match["ap1"] or match["ap3"]
    if meridiem:
        if not 1 <= hour <= 12:
            raise InvalidDate(_("{text!r}: there is no such time of day").format(text=text))
        hour = hour % 12 + (12 if meridiem == "pm" else 0)
    try:
        return time(hour, minute, second)
    except ValueError:
        raise InvalidDate(_("{text!r}: there is no such time of day").format(text=text)) from None


def _offset(raw: str | None) -> timedelta | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    if raw in ("z", "utc"):
        return timedelta(0)
    digits = raw[1:].replace(":", "")
    delta = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return -delta if raw[0] == "-" else delta


def _stamp(moment: datetime) -> str:
    """ "2027-10-31 02:30+01:00": a local time with its offset, typed back as is."""
    offset = moment.strftime("%z")
    return f"{moment:%Y-%m-%d %H:%M}{offset[:3]}:{offset[3:]}"


def localize(naive: datetime, tz: ZoneInfo) -> datetime:
    """The UTC moment of a wall-clock time in `tz`; NonexistentTime or AmbiguousTime when
    the clocks change that night."""
    early = naive.replace(tzinfo=tz, fold=0)
    late = naive.replace(tzinfo=tz, fold=1)
    if early.utcoffset() == late.utcoffset():
        return early.astimezone(UTC)
    when = f"{naive:%Y-%m-%d %H:%M}"
    if early.astimezone(UTC).astimezone(tz).replace(tzinfo=None) == naive:
        choices = (early.astimezone(UTC), late.astimezone(UTC))
        raise AmbiguousTime(
            _(
                "{when} happens twice in {zone} (the clocks go back that night): "
                "type {first} or {second}"
            ).format(when=when, zone=tz.key, first=_stamp(early), second=_stamp(late)),
            choices,
        )
    # The gap: from the last minute before the change to the first after, local time.
    before, after = early.utcoffset(), late.utcoffset()
    assert before is not None and after is not None
    change = late.astimezone(UTC)
    while (change + timedelta(minutes=1)).astimezone(tz).utcoffset() == before:
        change += timedelta(minutes=1)
    change += timedelta(minutes=1)
    start = (change + before).replace(tzinfo=None)
    end = (change + after).replace(tzinfo=None)
    raise NonexistentTime(
        _(
            "{when} does not exist in {zone}: that night the clocks go forward "
            "from {start} to {end}"
        ).format(when=when, zone=tz.key, start=f"{start:%H:%M}", end=f"{end:%H:%M}")
    )


def parse_datetime(text: str, *, tz: ZoneInfo, now: datetime, day: date | None = None) -> datetime:
    """The aware UTC moment `text` names in the club's timezone `tz`.

    A time alone is on `day` (default: today in `tz`); a date without a year is the next
    one from `now`. Raises a DateParseError subclass (one-line message).
    """
    raw = (text or "").strip()
    if not raw:
        raise _unreadable(raw)
    rest, match = _split(raw)
    today = now.astimezone(tz).date()
    if match is None:
        _read_date(rest, raw, today)  # a readable date alone: say that a time is missing
        raise MissingTime(
            _("{text!r} has no time of day; add one, like {text} 18:30").format(text=raw)
        )
    on = _read_date(rest, raw, today) if rest else (day or today)
    clock = _read_time(match, raw)
    offset = _offset(match["offset"])
    if offset is not None:
        if not rest:
            raise _unreadable(raw)  # "12:30+01:00" without a day: not worth guessing
        return (datetime.combine(on, clock) - offset).replace(tzinfo=UTC)
    return localize(datetime.combine(on, clock), tz)


def parse_end(text: str, *, start: datetime, tz: ZoneInfo, now: datetime) -> datetime:
    """An end typed like a start; a time alone ("14:00", "14h") is on the start's day."""
    return parse_datetime(text, tz=tz, now=now, day=start.astimezone(tz).date())


def parse_date(text: str, *, tz: ZoneInfo, now: datetime) -> date:
    """A day typed alone (03/12/2026, 3/12, 3 déc. 2026, 2026-12-03)."""
    raw = (text or "").strip()
    rest, match = _split(raw)
    if match is not None or not rest:
        raise _unreadable(raw)
    return _read_date(rest, raw, now.astimezone(tz).date())
