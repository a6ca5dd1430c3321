"""Dates, times, countdowns and numbers in French and English, with a fixed `now`."""

from __future__ import annotations

import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from omtui.core import dates
from omtui.core.numbers import format_decimal, format_number
from omtui.i18n import current_language, set_language

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)  # Thursday 26 November, 10:00 in Paris
NNBSP = "\u202f"


@pytest.fixture
def language():
    """Set the interface language for one test, then back to what it was."""
    before = current_language()
    yield set_language
    set_language(before)


@pytest.mark.parametrize(
    ("lang", "three_thousand", "big", "rate"),
    [("fr", f"3{NNBSP}000", f"100{NNBSP}000", "12,5"), ("en", "3,000", "100,000", "12.5")],
)
def test_numbers(lang: str, three_thousand: str, big: str, rate: str) -> None:
    assert format_number(3000, lang=lang) == three_thousand
    assert format_number(100_000, lang=lang) == big
    assert format_number(999, lang=lang) == "999"
    assert format_decimal(12.5, lang=lang) == rate


def test_the_active_language_is_the_default(language) -> None:
    language("en")
    assert format_number(3000) == "3,000"
    assert dates.format_day(FRIDAY, PARIS) == "Fri 27 Nov"
    assert dates.humanize_day(NOW + timedelta(days=1), NOW, PARIS) == "tomorrow at 10:00"
    language("fr")
    assert format_number(3000) == f"3{NNBSP}000"
    assert dates.format_day(FRIDAY, PARIS) == "ven. 27 nov."
    assert dates.humanize_day(NOW + timedelta(days=1), NOW, PARIS) == "demain à 10:00"


FRIDAY = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)  # 11:00 in Paris
THURSDAY = datetime(2026, 12, 3, 11, 30, tzinfo=UTC)  # 12:30 in Paris


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (
            "fr",
            {
                "day": "ven. 27 nov.",
                "time": "11:00",
                "day_time": "ven. 27 nov., 11:00",
                "long": "jeudi 3 décembre, 12:30",
                "long_year": "jeudi 3 décembre 2026, 12:30",
                "date": "27 nov. 2026",
                "numeric": "27/11 11:00",
            },
        ),
        (
            "en",
            {
                "day": "Fri 27 Nov",
                "time": "11:00",
                "day_time": "Fri 27 Nov, 11:00",
                "long": "Thursday 3 December, 12:30",
                "long_year": "Thursday 3 December 2026, 12:30",
                "date": "27 Nov 2026",
                "numeric": "27/11 11:00",
            },
        ),
    ],
)
def test_absolute_dates(lang: str, expected: dict[str, str]) -> None:
    assert dates.format_day(FRIDAY, PARIS, lang=lang) == expected["day"]
    assert dates.format_time(FRIDAY, PARIS, lang=lang) == expected["time"]
    assert dates.format_day_time(FRIDAY, PARIS, lang=lang) == expected["day_time"]
    assert dates.format_long(THURSDAY, PARIS, lang=lang) == expected["long"]
    assert dates.format_long_year(THURSDAY, PARIS, lang=lang) == expected["long_year"]
    assert dates.format_date(FRIDAY, PARIS, lang=lang) == expected["date"]
    assert dates.format_numeric(FRIDAY, PARIS, lang=lang) == expected["numeric"]


def test_time_is_local_to_the_club() -> None:
    late = datetime(2026, 11, 26, 23, 30, tzinfo=UTC)  # already Friday in Paris
    assert dates.format_day_time(late, PARIS, lang="fr") == "ven. 27 nov., 00:30"


RELATIVE = [
    # (offset from NOW, French, English)
    (timedelta(hours=3), "aujourd’hui à 13:00", "today at 13:00"),
    (timedelta(days=1), "demain à 10:00", "tomorrow at 10:00"),
    (timedelta(days=1, hours=1), "demain à 11:00", "tomorrow at 11:00"),
    (timedelta(days=-1), "hier à 10:00", "yesterday at 10:00"),
    (timedelta(days=5), "dans 5 jours", "in 5 days"),
    (timedelta(days=-3), "il y a 3 jours", "3 days ago"),
    # Under ~45 days a count of days: "in a month" for 19 days misleads (issue 10).
    (timedelta(days=8), "dans 8 jours", "in 8 days"),
    (timedelta(days=19), "dans 19 jours", "in 19 days"),
    (timedelta(days=-19), "il y a 19 jours", "19 days ago"),
    (timedelta(days=40), "dans 40 jours", "in 40 days"),
    (timedelta(days=44), "dans 44 jours", "in 44 days"),
    (timedelta(days=46), "dans 2 mois", "in 2 months"),
    (timedelta(days=70), "dans 2 mois", "in 2 months"),
    (timedelta(days=-800), "il y a 2 ans", "2 years ago"),
]


@pytest.mark.parametrize(("offset", "fr", "en"), RELATIVE)
def test_humanize_day(offset: timedelta, fr: str, en: str) -> None:
    assert dates.humanize_day(NOW + offset, NOW, PARIS, lang="fr") == fr
    assert dates.humanize_day(NOW + offset, NOW, PARIS, lang="en") == en


def test_humanize_day_counts_calendar_days() -> None:
    # Monday 23:00 -> Wednesday 08:00 is 33 hours but two calendar days ahead.
    monday = datetime(2026, 11, 23, 22, 0, tzinfo=UTC)
    wednesday = datetime(2026, 11, 25, 7, 0, tzinfo=UTC)
    assert dates.humanize_day(wednesday, monday, PARIS, lang="fr") == "dans 2 jours"


@pytest.mark.parametrize(
    ("offset", "fr", "en"),
    [
        (timedelta(seconds=10), "maintenant", "now"),
        (timedelta(hours=-20), "il y a 20 heures", "20 hours ago"),
        (timedelta(days=5), "dans 5 jours", "in 5 days"),
        (timedelta(days=19), "dans 19 jours", "in 19 days"),
        (timedelta(days=-19, hours=-3), "il y a 19 jours", "19 days ago"),
        (timedelta(days=-44), "il y a 44 jours", "44 days ago"),
        (timedelta(days=-50), "il y a 2 mois", "2 months ago"),
        (timedelta(days=-800), "il y a 2 ans", "2 years ago"),
    ],
)
def test_humanize_delta(offset: timedelta, fr: str, en: str) -> None:
    assert dates.humanize_delta(NOW + offset, NOW, lang="fr") == fr
    assert dates.humanize_delta(NOW + offset, NOW, lang="en") == en


def test_duration_in_each_language_and_thread() -> None:
    assert dates.format_duration(150, lang="fr") == "2 minutes et 30 secondes"
    assert dates.format_duration(150, lang="en") == "2 minutes and 30 seconds"
    # humanize keeps its language per thread: a worker thread must get French too.
    seen: list[str] = []
    worker = threading.Thread(target=lambda: seen.append(dates.format_duration(3725, lang="fr")))
    worker.start()
    worker.join()
    assert seen == ["1 heure, 2 minutes et 5 secondes"]


def test_babel_is_loaded_lazily() -> None:
    code = (
        "import sys, omtui.core.dates, omtui.core.numbers, omtui.i18n;print('babel' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_percentages() -> None:
    from omtui.core.numbers import format_percent

    assert format_percent(0.853, lang="fr") == "85\u00a0%"
    assert format_percent(0.853, lang="en") == "85%"


def test_humanize_day_without_the_time_beside_a_time_column() -> None:
    tomorrow = NOW + timedelta(days=1)
    assert dates.humanize_day(tomorrow, NOW, PARIS, lang="fr", time=False) == "demain"
    assert dates.humanize_day(tomorrow, NOW, PARIS, lang="en", time=False) == "tomorrow"
    later = NOW + timedelta(hours=3)
    assert dates.humanize_day(later, NOW, PARIS, lang="fr", time=False) == "aujourd’hui"
    assert dates.humanize_day(NOW + timedelta(days=5), NOW, PARIS, time=False, lang="en") == (
        "in 5 days"
    )
