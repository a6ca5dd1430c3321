"""An event's rule for its volunteers' arrival (_016_event_access)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from omtui.core import events as ev
from omtui.core.db import Database
from omtui.core.demo import DEMO_NOW
from omtui.errors import ValidationError
from tests.smtp_sink import SmtpSink

START = DEMO_NOW + timedelta(days=30)


def summit(db: Database, **more) -> ev.Event:
    fields = {"kind": "summit", "title": "Sommet", "starts_at": START,
              "ends_at": START + timedelta(hours=8), "city": "Lyon", **more}  # fmt: skip
    return ev.create_event(db, fields, now=DEMO_NOW)


def test_volunteers_arrive_at_the_shift_start_unless_told(db: Database) -> None:
    plain = summit(db)
    assert plain.arrive_before is None and plain.arrival_rule() == ""
    assert plain.arrive_by(START) == START
    early = ev.update_event(db, plain.id, {"arrive_before": "45"}, now=DEMO_NOW)
    assert early.arrive_before == 45
    assert early.arrive_by(START) == START - timedelta(minutes=45)
    assert early.arrival_rule() == "Volunteers arrive 45 minutes before their shift."
    assert ev.update_event(db, plain.id, {"arrive_before": ""}, now=DEMO_NOW).arrive_before is None


@pytest.mark.parametrize("value", ["-5", "721", "soon"])
def test_a_wrong_arrival_is_refused_naming_the_field(db: Database, value: str) -> None:
    with pytest.raises(ValidationError) as raised:
        summit(db, arrive_before=value)
    assert raised.value.field == "arrive_before"


def test_shift_reminder_says_when_to_arrive_and_whom_to_call(
    db: Database, smtp_sink: SmtpSink
) -> None:
    from omtui.core import club, rota
    from tests.core.test_reminders import PARIS, config_for, parsed, person, send, text_of

    club.set_settings(db, language="en")
    config = replace(config_for(smtp_sink, event=False, change=False, call_for_help=False),
                     organiser_phone="06 12 34 56 78")  # fmt: skip
    vera = person(db, "vera@example.org", tags="volunteer")
    event = summit(db, arrive_before=30, access_notes="Code 1234")
    shift = rota.create_shift(
        db, event.id, role="welcome desk", starts_at=START, ends_at=START + timedelta(hours=3),
        needed=1,
    )  # fmt: skip
    assert rota.take_shift(db, shift.id, vera, now=DEMO_NOW, tz=PARIS).ok
    send(db, config, START - timedelta(hours=47))
    body = text_of(parsed(smtp_sink, -1))
    arrive = (START - timedelta(minutes=30)).astimezone(PARIS)
    assert f"Please arrive by {arrive:%H:%M}, 30 minutes before the shift." in body
    assert "To reach the organiser on the day: orga@club.example.org · 06 12 34 56 78" in body
    assert "Code 1234" in body
