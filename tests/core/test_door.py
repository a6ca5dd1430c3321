"""At the door (issue 10): check-in opens 2 hours before the start; the waiting list and
walk-ins are found and checked in, over capacity only when the organiser says so."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from omtui.core import events, members
from omtui.core.db import Database
from tests.core.test_events import lunch, people  # noqa: F401  (fixture)


def test_check_in_opens_two_hours_before(db: Database, now: datetime, people) -> None:  # noqa: F811
    event = lunch(db, now, capacity=4)
    events.register(db, event.id, people[0], now=now)
    with pytest.raises(events.CheckInNotOpen) as refused:
        events.check_in(
            db, event.id, people[0], now=event.starts_at - timedelta(hours=2, minutes=1)
        )
    assert refused.value.opens_at == event.starts_at - timedelta(hours=2)
    assert "opens 2 hours before" in str(refused.value)
    door = event.starts_at - timedelta(hours=1, minutes=59)
    assert events.check_in(db, event.id, people[0], now=door).attended_at == door
    events.undo_check_in(db, event.id, people[0])
    early = events.check_in(db, event.id, people[0], now=now, early=True)
    assert early.attended_at == now


def test_waiting_list_member_at_the_door(db: Database, now: datetime, people) -> None:  # noqa: F811
    event = lunch(db, now, capacity=2)
    for m in people[:3]:
        events.register(db, event.id, m, now=now)
    door = event.starts_at
    found = events.door_matches(db, event.id, "")
    assert [m.status for m in found] == ["registered", "registered", "waiting"]
    waiting = found[-1]
    assert waiting.member_id == people[2] and waiting.place == 1
    with pytest.raises(events.NeedsSeat, match="waiting list"):
        events.check_in(db, event.id, people[2], now=door)
    reg = events.check_in(db, event.id, people[2], now=door, overbook=True)
    assert reg.status == "registered" and reg.attended_at == door
    assert events.event_stats(db, event.id).registered == 3  # over capacity, on purpose


def test_waiting_member_takes_a_free_seat(db: Database, now: datetime, people) -> None:  # noqa: F811
    event = lunch(db, now, capacity=1)
    events.register(db, event.id, people[0], now=now)
    events.register(db, event.id, people[1], now=now)
    db.execute(
        "UPDATE events SET capacity = 2 WHERE id = ?", (event.id,)
    )  # seat freed, not promoted
    reg = events.check_in(db, event.id, people[1], now=event.starts_at)
    assert reg.status == "registered" and reg.promoted_at == event.starts_at


def test_walk_in_member_and_new_person(db: Database, now: datetime, people) -> None:  # noqa: F811
    event = lunch(db, now, capacity=2)
    events.register(db, event.id, people[0], now=now)
    walker = members.get_member(db, people[5])
    found = events.door_matches(db, event.id, walker.email.split("@")[0])
    assert [(m.member_id, m.status) for m in found] == [(walker.id, "none")]
    door = event.starts_at - timedelta(minutes=10)
    reg = events.walk_in(db, event.id, walker.id, now=door)
    assert (reg.status, reg.attended_at, reg.source) == ("registered", door, "door")
    with pytest.raises(events.NeedsSeat, match="is full"):
        events.add_walk_in(
            db, event.id, {"first_name": "Nina", "email": "nina@example.org"}, now=door
        )
    assert members.find_by_email(db, "nina@example.org") is None  # all or nothing
    new = events.add_walk_in(
        db,
        event.id,
        {"first_name": "Nina", "last_name": "Roux", "email": "nina@example.org"},
        now=door,
        overbook=True,
    )
    nina = members.get_member(db, new.member_id)
    assert nina.full_name == "Nina Roux" and not nina.subscribed  # no consent asked at the door
    assert new.attended_at == door
    assert events.event_stats(db, event.id).attended == 2
