"""The French date/time parser: forms people type, next-date rule, DST gaps and overlaps."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from omtui.core import dateparse
from omtui.core.dateparse import (
    AmbiguousTime,
    DateParseError,
    InvalidDate,
    MissingTime,
    NonexistentTime,
    UnreadableDate,
    parse_date,
    parse_datetime,
    parse_end,
)
from omtui.errors import ValidationError

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)  # a Sunday, 10:00 in Paris


def paris(text: str, **kwargs) -> datetime:
    return parse_datetime(text, tz=PARIS, now=NOW, **kwargs).astimezone(PARIS)


def wall(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("03/12/2026 12:30", wall(2026, 12, 3, 12, 30)),
        ("3/12/2026 12h30", wall(2026, 12, 3, 12, 30)),
        ("3/12 12h30", wall(2026, 12, 3, 12, 30)),  # day first; the next 3 December
        ("03.12.2026 12:30", wall(2026, 12, 3, 12, 30)),
        ("03-12-2026 12:30", wall(2026, 12, 3, 12, 30)),
        ("3/12/26 12h", wall(2026, 12, 3, 12, 0)),
        ("3 déc. 2026 18:00", wall(2026, 12, 3, 18, 0)),
        ("3 DÉC 2026 18:00", wall(2026, 12, 3, 18, 0)),
        ("3 décembre 2026 à 18h", wall(2026, 12, 3, 18, 0)),
        ("jeudi 3 décembre 2026 à 18 h 30", wall(2026, 12, 3, 18, 30)),
        ("le jeu. 3 déc. à 18h", wall(2026, 12, 3, 18, 0)),
        ("1er mars 9h", wall(2027, 3, 1, 9, 0)),
        ("mar. 3 mars 9h05", wall(2027, 3, 3, 9, 5)),  # mardi, then mars
        ("15 août 2027 midi", wall(2027, 8, 15, 12, 0)),
        ("15 aout 2027 minuit", wall(2027, 8, 15, 0, 0)),
        ("2 févr. 2027 8h", wall(2027, 2, 2, 8, 0)),
        ("2 fevrier 2027 8:00", wall(2027, 2, 2, 8, 0)),
        ("7 juil 2027 20h15", wall(2027, 7, 7, 20, 15)),
        ("3 December 2026 6pm", wall(2026, 12, 3, 18, 0)),
        ("Dec 3, 2026 6:30 pm", wall(2026, 12, 3, 18, 30)),
        ("Thursday, December 3 2026 at 12am", wall(2026, 12, 3, 0, 0)),
        ("Mar 3 2027 9am", wall(2027, 3, 3, 9, 0)),
        ("May 1st 10:00", wall(2027, 5, 1, 10, 0)),
        ("2026-12-03 12:30", wall(2026, 12, 3, 12, 30)),
        ("2026-12-03T12:30", wall(2026, 12, 3, 12, 30)),
        ("2026-12-03 12:30:45", wall(2026, 12, 3, 12, 30, 45)),
        ("2026/12/03 12:30", wall(2026, 12, 3, 12, 30)),
        ("  2026-12-03   12:30  ", wall(2026, 12, 3, 12, 30)),
        ("12h30", wall(2026, 11, 22, 12, 30)),  # a time alone: today
        ("14h", wall(2026, 11, 22, 14, 0)),
        ("à 14h", wall(2026, 11, 22, 14, 0)),
        ("at 2 pm", wall(2026, 11, 22, 14, 0)),
        ("9:05", wall(2026, 11, 22, 9, 5)),
        ("22 novembre 8h", wall(2026, 11, 22, 8, 0)),  # today is still "the next such date"
        ("21/11 8h", wall(2027, 11, 21, 8, 0)),  # yesterday: next year
        ("29/02 10:00", wall(2028, 2, 29, 10, 0)),  # the next leap day
    ],
)
def test_reads_what_people_type(text: str, expected: datetime) -> None:
    assert paris(text) == expected
    assert paris(text).utcoffset() == expected.utcoffset()


def test_explicit_offsets_are_taken_as_typed() -> None:
    assert parse_datetime("2026-12-03T12:30:00+01:00", tz=PARIS, now=NOW) == datetime(
        2026, 12, 3, 11, 30, tzinfo=UTC
    )
    assert parse_datetime("2026-12-03 12:30Z", tz=PARIS, now=NOW) == datetime(
        2026, 12, 3, 12, 30, tzinfo=UTC
    )
    assert parse_datetime("2026-12-03 12:30 -05:00", tz=PARIS, now=NOW).hour == 17


def test_results_are_aware_utc() -> None:
    moment = parse_datetime("3/12 12h30", tz=PARIS, now=NOW)
    assert moment.tzinfo is UTC and moment == datetime(2026, 12, 3, 11, 30, tzinfo=UTC)
    summer = parse_datetime("1/7/2027 12h30", tz=PARIS, now=NOW)
    assert summer == datetime(2027, 7, 1, 10, 30, tzinfo=UTC)


def test_a_time_alone_is_on_the_given_day_and_ends_on_the_start_day() -> None:
    assert paris("14h", day=date(2027, 1, 5)) == wall(2027, 1, 5, 14, 0)
    start = parse_datetime("3/12 12h30", tz=PARIS, now=NOW)
    for end in ("14:00", "14h", "12:45", "2 pm"):
        assert parse_end(end, start=start, tz=PARIS, now=NOW).astimezone(PARIS).date() == date(
            2026, 12, 3
        ), end
    assert parse_end("4/12 01h", start=start, tz=PARIS, now=NOW) == datetime(
        2026, 12, 4, 0, 0, tzinfo=UTC
    )
    # the start's day in the club's timezone, not in UTC: 00:30 Paris is 23:30 UTC
    late = parse_datetime("4/12/2026 00h30", tz=PARIS, now=NOW)
    assert parse_end("2h", start=late, tz=PARIS, now=NOW).astimezone(PARIS).day == 4


def test_spring_forward_time_is_refused_with_the_reason() -> None:
    with pytest.raises(NonexistentTime) as info:
        parse_datetime("2027-03-28 02:30", tz=PARIS, now=NOW)
    message = str(info.value)
    assert "2027-03-28 02:30 does not exist in Europe/Paris" in message
    assert "from 02:00 to 03:00" in message and "\n" not in message
    with pytest.raises(NonexistentTime):
        parse_datetime("28 mars 2027 2h", tz=PARIS, now=NOW)
    assert paris("28/03/2027 01:59") == wall(2027, 3, 28, 1, 59)
    assert paris("28/03/2027 03:00").utcoffset() == timedelta(hours=2)


def test_fall_back_time_names_both_choices() -> None:
    with pytest.raises(AmbiguousTime) as info:
        parse_datetime("2027-10-31 02:30", tz=PARIS, now=NOW)
    error = info.value
    assert error.choices == (
        datetime(2027, 10, 31, 0, 30, tzinfo=UTC),
        datetime(2027, 10, 31, 1, 30, tzinfo=UTC),
    )
    message = str(error)
    assert "2027-10-31 02:30+02:00" in message and "2027-10-31 02:30+01:00" in message
    assert "happens twice" in message and "\n" not in message
    # what the message suggests is accepted as typed
    for choice, suggested in zip(error.choices, ("+02:00", "+01:00"), strict=True):
        assert parse_datetime(f"2027-10-31 02:30{suggested}", tz=PARIS, now=NOW) == choice
    assert isinstance(error, ValidationError)


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("", UnreadableDate),
        ("tomorrow", UnreadableDate),
        ("14", UnreadableDate),
        ("3 brumaire 2026 12h", UnreadableDate),
        ("12:30+01:00", UnreadableDate),
        ("31/02/2026 10:00", InvalidDate),
        ("3/13 10:00", InvalidDate),
        ("25h", InvalidDate),
        ("12:61", InvalidDate),
        ("13pm", InvalidDate),
        ("03/12/2026", MissingTime),
        ("3 décembre", MissingTime),
    ],
)
def test_refusals_are_typed_one_line_errors(text: str, error: type[DateParseError]) -> None:
    with pytest.raises(error) as info:
        parse_datetime(text, tz=PARIS, now=NOW)
    assert str(info.value) and "\n" not in str(info.value)


def test_parse_date_alone() -> None:
    assert parse_date("3/12", tz=PARIS, now=NOW) == date(2026, 12, 3)
    assert parse_date("3 déc. 2027", tz=PARIS, now=NOW) == date(2027, 12, 3)
    assert parse_date("2026-12-03", tz=PARIS, now=NOW) == date(2026, 12, 3)
    with pytest.raises(UnreadableDate):
        parse_date("3/12 12h", tz=PARIS, now=NOW)


def test_every_month_name_is_known() -> None:
    for number in range(1, 13):
        names = [k for k, v in dateparse.MONTHS.items() if v == number]
        assert len(names) >= 2, number
        for name in names:
            assert parse_date(f"1 {name} 2030", tz=PARIS, now=NOW) == date(2030, number, 1)


def test_every_hour_of_a_year_round_trips_in_three_spellings() -> None:
    """Each hour of 2027 typed as 31/12/2027 23:30, 31 déc. 2027 23h30 and ISO reads back
    to the same moment; only the two clock-change hours are refused, each with its error."""
    refused: dict[str, list[datetime]] = {"gap": [], "twice": []}
    moment = datetime(2027, 1, 1, 0, 30)
    months = ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.",
              "oct.", "nov.", "déc."]  # fmt: skip
    while moment.year == 2027:
        spellings = (
            f"{moment:%d/%m/%Y %H:%M}",
            f"{moment.day} {months[moment.month - 1]} {moment.year} {moment:%H}h{moment:%M}",
            f"{moment:%Y-%m-%dT%H:%M}",
        )
        for text in spellings:
            try:
                got = parse_datetime(text, tz=PARIS, now=NOW)
            except NonexistentTime:
                refused["gap"].append(moment)
                continue
            except AmbiguousTime:
                refused["twice"].append(moment)
                continue
            assert got.astimezone(PARIS).replace(tzinfo=None) == moment, text
        moment += timedelta(hours=1)
    assert refused == {
        "gap": [datetime(2027, 3, 28, 2, 30)] * 3,
        "twice": [datetime(2027, 10, 31, 2, 30)] * 3,
    }
