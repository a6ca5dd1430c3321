"""An event's rule for its volunteers' arrival (_016_event_access)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from omtui.core import events as ev
from omtui.core.db import Database
from omtui.core.demo import DEMO_NOW
from omtui.errors import ValidationError

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
