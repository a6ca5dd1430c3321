"""Tags, email changes, merging two records of one person, and cancelled events (issue 10)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from omtui.core import events, member_edit, members, rota, rota_coverage
from omtui.core.db import Database
from omtui.errors import ValidationError


def person(db: Database, first: str, email: str, now: datetime, **extra) -> members.Member:
    fields = {"first_name": first, "last_name": "Dupré", "email": email} | extra
    return members.add_member(db, fields, now=now, subscribed=False)


def event(
    db: Database, now: datetime, title: str = "Afterwork", capacity=None, days: int = 3
) -> events.Event:
    start = now + timedelta(days=days)
    return events.create_event(
        db,
        {
            "kind": "lunch",
            "title": title,
            "starts_at": start,
            "ends_at": start + timedelta(hours=2),
            "capacity": capacity,
            "city": "Lyon",
        },
        now=now,
    )


def test_tag_and_untag(db: Database, now: datetime) -> None:
    m = person(db, "Hélène", "h@example.org", now, tags="speaker")
    m = member_edit.add_tags(db, m.id, ["volunteer", "speaker"], now=now)
    assert m.tags == ("speaker", "volunteer")
    m = member_edit.remove_tags(db, m.id, ["SPEAKER", "absent"], now=now)
    assert m.tags == ("volunteer",)


def test_changing_email_keeps_history_and_consents(db: Database, now: datetime) -> None:
    m = person(db, "Hélène", "old@job.example", now)
    members.set_subscription(db, m.id, True, now=now, source="paper")
    ev = event(db, now)
    events.register(db, ev.id, m.id, now=now)
    changed = members.update_member(db, m.id, {"email": "new@job.example"}, now=now)
    assert changed.id == m.id and changed.email == "new@job.example" and changed.subscribed
    assert [c.source for c in members.consent_history(db, m.id)] == ["form", "paper"]
    assert events.get_registration(db, ev.id, m.id) is not None
    assert members.find_by_email(db, "old@job.example") is None


def test_merge_moves_everything_and_archives_the_other(db: Database, now: datetime) -> None:
    keep = person(db, "Hélène", "helene@new.example", now, tags="speaker")
    other = person(db, "Hélène", "helene@old.example", now, tags="volunteer", city="Lyon")
    members.set_subscription(db, other.id, True, now=now + timedelta(minutes=1), source="paper")
    a, b = event(db, now, "A"), event(db, now, "B", days=4)
    events.register(db, a.id, other.id, now=now)
    events.register(db, b.id, other.id, now=now)
    events.register(db, b.id, keep.id, now=now)
    events.check_in(db, b.id, other.id, now=now, early=True)
    shift = rota.create_shift(
        db, a.id, role="desk", starts_at=a.starts_at, ends_at=a.ends_at, needed=2
    )
    assert rota.take_shift(db, shift.id, other.id, now=now, tz=rota.ZoneInfo("UTC")).ok
    db.execute("INSERT INTO newsletters (subject, created_at, updated_at) VALUES ('x', '', '')")
    db.execute(
        "INSERT INTO outbox (newsletter_id, member_id, email, updated_at) "
        "VALUES (1, ?, 'helene@old.example', '')",
        (other.id,),
    )

    result = member_edit.merge_members(db, keep.id, other.id, now=now + timedelta(minutes=2))

    kept = result.kept
    assert kept.tags == ("speaker", "volunteer") and kept.city == "Lyon"
    assert kept.subscribed  # the latest consent of either record
    assert {r.event_id for r in _regs(db, keep.id)} == {a.id, b.id}
    both = events.get_registration(db, b.id, keep.id)
    assert both is not None and both.attended_at is not None  # the check-in is not lost
    assert _regs(db, other.id) == []
    assert [s.id for s in rota.list_shifts(db, member_id=keep.id)] == [shift.id]
    assert db.scalar("SELECT member_id FROM outbox") == keep.id
    sources = [c.source for c in members.consent_history(db, keep.id)]
    assert sources.count("form") == 2 and "paper" in sources
    gone = members.get_member(db, other.id)
    assert gone.archived_at is not None and not gone.subscribed
    assert (result.registrations, result.shifts, result.messages) == (
        1,
        1,
        1,
    )  # B: both held a seat, one kept
    with pytest.raises(ValidationError):
        member_edit.merge_members(db, keep.id, keep.id, now=now)


def _regs(db: Database, member_id: int) -> list:
    rows = db.query("SELECT event_id FROM registrations WHERE member_id = ?", (member_id,))
    return [events.get_registration(db, r["event_id"], member_id) for r in rows]


def test_cancelled_event_cancels_registrations_and_its_shifts_are_no_gap(
    db: Database, now: datetime
) -> None:
    ev = event(db, now, capacity=1)
    x, y = person(db, "X", "x@example.org", now), person(db, "Y", "y@example.org", now)
    events.register(db, ev.id, x.id, now=now)
    events.register(db, ev.id, y.id, now=now)
    rota.create_shift(db, ev.id, role="desk", starts_at=ev.starts_at, ends_at=ev.ends_at)
    assert rota_coverage.coverage(db, since=now)[0].missing == 1
    events.cancel_event(db, ev.id, now=now)
    assert {r.status for r in events.registrations(db, ev.id)} == {"cancelled"}
    assert rota_coverage.coverage(db, since=now)[0].missing == 0
    assert all(s.missing == 0 for s, _people in rota_coverage.who_is_on(db, now=now))


def test_cancelled_words_show_no_translator_hint() -> None:
    from omtui.core import labels

    assert labels.event_status("cancelled") == "cancelled"  # not "cancelled (event)"
    assert labels.registration_status("cancelled") == "cancelled"
