"""Dates: stored in UTC as ISO 8601, shown in the club's timezone, in the reader's language.

Every function takes `now` so that screens, tests and snapshots agree on time. Words and
patterns come from Babel (CLDR) and humanize in the active language (`lang=None`) or the one
given, so no date, time or countdown is built by hand; Babel is imported on first use only
(start-up budget).
"""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from omtui.i18n import current_language

if TYPE_CHECKING:
    from types import ModuleType

    from babel import Locale

BABEL_LOCALES = {"fr": "fr_FR", "en": "en_GB"}
"""Our languages as Babel locales (British English: "Fri 27 Nov", 24-hour clock)."""
HUMANIZE_LOCALES = {"fr": "fr_FR", "en": None}


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


def format_local(moment: datetime, tz: ZoneInfo, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """Numeric, language-free text (ISO-like) for machines and form fields; for people use
    format_day, format_day_time, format_long or format_time."""
    return moment.astimezone(tz).strftime(fmt)


# -- Babel ---------------------------------------------------------------------------------
def babel_locale(lang: str | None = None) -> Locale:
    """The Babel locale of `lang` (default: the active language)."""
    return _parse_locale(lang or current_language())


@lru_cache(maxsize=8)
def _parse_locale(code: str) -> Locale:
    _babel_dates()  # first: a locale's data (unpickled) imports babel.dates
    from babel import Locale

    return Locale.parse(BABEL_LOCALES.get(code, code))


_locale = babel_locale


def _babel_dates() -> ModuleType:
    """`babel.dates`, imported without pytz: we give Babel zoneinfo zones, and pytz (there
    for vobject) would cost Babel's import of the local zone about 8 ms (its first zone
    lookup lists every zone file), on the way to the first screen (start-up budget)."""
    module = sys.modules.get("babel.dates")
    if module is not None:
        return module
    hide = "pytz" not in sys.modules
    if hide:
        sys.modules["pytz"] = None  # type: ignore[assignment]  # "import pytz" fails
    try:
        import babel.dates
    finally:
        if hide:
            del sys.modules["pytz"]  # vobject's own import still finds it
    return babel.dates


def _skeleton(skeleton: str, moment: datetime | date, lang: str | None) -> str:
    format_skeleton = _babel_dates().format_skeleton

    return format_skeleton(skeleton, moment, locale=_locale(lang))


def _pattern(pattern: str, moment: datetime | date, lang: str | None) -> str:
    format_datetime = _babel_dates().format_datetime

    return format_datetime(moment, pattern, locale=_locale(lang))


def _join(pattern: str, day: str, time: str) -> str:
    """Fill a CLDR "{1} 'à' {0}" glue pattern (1 = the day, 0 = the time)."""
    filled = pattern.replace("{1}", "\x00").replace("{0}", "\x01")
    # CLDR quotes literal text ('à'); '' stands for an apostrophe.
    filled = filled.replace("''", "\x02").replace("'", "").replace("\x02", "'")
    return filled.replace("\x00", day).replace("\x01", time)


def format_time(moment: datetime, tz: ZoneInfo, *, lang: str | None = None) -> str:
    """ "12:30" (24-hour clock in both languages)."""
    return _skeleton("Hm", moment.astimezone(tz), lang)


def format_day(
    moment: datetime | date,
    tz: ZoneInfo | None = None,
    *,
    year: bool = False,
    lang: str | None = None,
) -> str:
    """ "ven. 27 nov." / "Fri 27 Nov" ("ven. 27 nov. 2026" with the year)."""
    if isinstance(moment, datetime) and tz is not None:
        moment = moment.astimezone(tz)
    return _skeleton("yMMMEd" if year else "MMMEd", moment, lang)


def format_date(moment: datetime | date, tz: ZoneInfo | None = None, *, lang: str | None = None):
    """ "27 nov. 2026" / "27 Nov 2026" (a date with its year, e.g. when someone joined)."""
    babel_format_date = _babel_dates().format_date

    if isinstance(moment, datetime):
        moment = (moment.astimezone(tz) if tz else moment).date()
    return babel_format_date(moment, "medium", locale=_locale(lang))


def format_day_time(
    moment: datetime, tz: ZoneInfo, *, year: bool = False, lang: str | None = None
) -> str:
    """ "ven. 27 nov., 12:30" / "Fri 27 Nov, 12:30" (with the year if asked)."""
    glue = _locale(lang).datetime_formats["medium"]
    day = format_day(moment, tz, year=year, lang=lang)
    return _join(str(glue), day, format_time(moment, tz, lang=lang))


def format_span(start: datetime, end: datetime, tz: ZoneInfo, *, lang: str | None = None):
    """ "jeu. 3 déc., 09:00–12:00" (the end's day too when it is another day)."""
    same_day = start.astimezone(tz).date() == end.astimezone(tz).date()
    last = format_time(end, tz, lang=lang) if same_day else format_day_time(end, tz, lang=lang)
    return f"{format_day_time(start, tz, lang=lang)}–{last}"


def format_date_time(moment: datetime, tz: ZoneInfo, *, lang: str | None = None) -> str:
    """ "27 nov. 2026, 11:00" / "27 Nov 2026, 11:00": a moment with its year (histories)."""
    glue = _locale(lang).datetime_formats["medium"]
    return _join(str(glue), format_date(moment, tz, lang=lang), format_time(moment, tz, lang=lang))


def format_numeric(moment: datetime, tz: ZoneInfo, *, lang: str | None = None) -> str:
    """ "27/11 12:30": compact, for table columns."""
    at = moment.astimezone(tz)
    return f"{_skeleton('Md', at, lang)} {format_time(at, tz, lang=lang)}"


def format_long(moment: datetime, tz: ZoneInfo, *, lang: str | None = None) -> str:
    """ "jeudi 3 décembre, 12:30" / "Thursday 3 December, 12:30": for mails, read days later."""
    at = moment.astimezone(tz)
    day = _pattern("EEEE d MMMM", at, lang)
    glue = _locale(lang).datetime_formats["long"]
    return _join(str(glue), day, format_time(at, tz, lang=lang))


def format_long_year(moment: datetime, tz: ZoneInfo, *, lang: str | None = None) -> str:
    """ "jeudi 3 décembre 2026, 12:30": format_long with the year."""
    at = moment.astimezone(tz)
    day = _pattern("EEEE d MMMM y", at, lang)
    glue = _locale(lang).datetime_formats["long"]
    return _join(str(glue), day, format_time(at, tz, lang=lang))


# -- relative times ------------------------------------------------------------------------
DAYS_SHOWN_AS_DAYS = 45
"""Under this many days a countdown is a count of days ("in 19 days"): Babel's weeks and
months round 19 days to "in 3 weeks" and 40 to "in 1 month", too vague for a date."""


def _in_days(days: int, lang: str | None) -> str:
    """ "dans 19 jours" / "19 days ago" (days != 0)."""
    format_timedelta = _babel_dates().format_timedelta

    return format_timedelta(
        timedelta(days=days),
        granularity="day",
        threshold=DAYS_SHOWN_AS_DAYS,  # no larger unit reaches it: always days
        add_direction=True,
        locale=_locale(lang),
    )


def _relative_word(field: str, offset: int, lang: str | None) -> str | None:
    """CLDR's word for a relative day or second: "demain", "hier", "maintenant"."""
    fields = _locale(lang)._data["date_fields"]
    return fields.get(field, {}).get("relative", {}).get(offset)


def humanize_delta(moment: datetime, now: datetime, *, lang: str | None = None) -> str:
    """ "il y a 3 jours", "dans 5 jours" / "3 days ago", "in 5 days" relative to `now`."""
    format_timedelta = _babel_dates().format_timedelta

    delta = moment - now
    if abs(delta) < timedelta(seconds=45):
        return _relative_word("second", 0, lang) or format_timedelta(
            delta, add_direction=True, locale=_locale(lang)
        )
    days = round(delta / timedelta(days=1))
    if timedelta(days=1) <= abs(delta) and abs(days) < DAYS_SHOWN_AS_DAYS:
        return _in_days(days, lang)
    return format_timedelta(delta, add_direction=True, locale=_locale(lang))


def humanize_day(
    moment: datetime, now: datetime, tz: ZoneInfo, *, lang: str | None = None, time: bool = True
) -> str:
    """ "demain à 09:00", "aujourd'hui à 12:30", "dans 19 jours", "il y a 3 mois";
    `time=False`: "demain", "aujourd'hui" (beside a column that gives the time)."""

    local_moment = moment.astimezone(tz)
    today = now.astimezone(tz).date()
    day: date = local_moment.date()
    days = (day - today).days
    if -1 <= days <= 1:
        word = _relative_word("day", days, lang)
        if word and not time:
            return word
        if word:
            data = _locale(lang)._data
            glue = (data.get("datetime_formats_relative") or {}).get("full") or str(
                _locale(lang).datetime_formats["medium"]
            )
            return _join(glue, word, format_time(moment, tz, lang=lang))
    if 2 <= abs(days) < DAYS_SHOWN_AS_DAYS:  # calendar days: "in a day" is wrong for Tuesday
        return _in_days(days, lang)
    return humanize_delta(moment, now, lang=lang)


def format_duration(seconds: float, *, lang: str | None = None) -> str:
    """ "2 minutes et 30 secondes" / "2 minutes and 30 seconds" (humanize, whole seconds)."""
    import humanize

    use_humanize_language(lang)
    return humanize.precisedelta(timedelta(seconds=round(seconds)), minimum_unit="seconds")


def use_humanize_language(lang: str | None = None) -> None:
    """Set humanize's language for the calling thread (humanize keeps one per thread, so a
    worker thread would otherwise speak English): call before every humanize use."""
    import humanize

    code = HUMANIZE_LOCALES.get(lang or current_language())
    if code is None:
        humanize.i18n.deactivate()
    else:
        humanize.i18n.activate(code)
