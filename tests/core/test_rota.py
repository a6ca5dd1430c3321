"""Rota core: shifts, clash detection, taking and dropping, coverage, the atomic last place."""

from __future__ import annotations

import multiprocessing
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from omtui.core import events, members, rota, rota_coverage
from omtui.core.dates import to_iso
from omtui.core.db import Database, open_database
from omtui.core.rota import Drop, Take
from omtui.errors import DatabaseBusy, NotFound, UnusableInput, ValidationError

TZ = ZoneInfo("Europe/Paris")
H = timedelta(hours=1)


def add_event(db: Database, title: str, starts: datetime, hours: float = 3) -> int:
    """A plain insert, so these tests do not depend on the events API."""
    with db.transaction() as conn:
        cursor = conn.execute(
            "INSERT INTO events (kind, title, starts_at, ends_at, uid, created_at, updated_at)"
            " VALUES ('meetup', ?, ?, ?, ?, ?, ?)",
            (
                title,
                to_iso(starts),
                to_iso(starts + timedelta(hours=hours)),
                f"{title}@test",
                to_iso(starts),
                to_iso(starts),
            ),
        )
    return cursor.lastrowid


def add_member(db: Database, first: str, *, volunteer: bool = True, now: datetime) -> int:
    tags = "volunteer" if volunteer else "speaker"
    email = f"{first.lower()}@example.org"
    return members.add_member(
        db, {"first_name": first, "last_name": "Test", "email": email, "tags": tags}, now=now
    ).id


@pytest.fixture
def setup(db: Database, now: datetime):
    """An event in 5 days at 18:00 UTC, two volunteers and one non-volunteer."""
    start = now + timedelta(days=5)
    event_id = add_event(db, "Afterwork Lyon", start)
    ids = {
        name: add_member(db, name, volunteer=name != "Bob", now=now)
        for name in ("Alice", "Chloé", "Bob")
    }
    return event_id, start, ids


def shift(db, event_id, start, hours=1.0, needed=1, role="welcome desk") -> rota.Shift:
    return rota.create_shift(
        db,
        event_id,
        role=role,
        starts_at=start,
        ends_at=start + timedelta(hours=hours),
        needed=needed,
    )


def take(db, shift_id, member_id, now):
    return rota.take_shift(db, shift_id, member_id, now=now, tz=TZ)


# -- shifts ------------------------------------------------------------------------------
def test_create_update_delete_shift(db, now, setup) -> None:
    event_id, start, _ids = setup
    made = shift(db, event_id, start, hours=2, needed=2)
    assert (made.role, made.needed, made.filled, made.event_title) == (
        "welcome desk",
        2,
        0,
        "Afterwork Lyon",
    )
    assert made.ends_at - made.starts_at == 2 * H
    changed = rota.update_shift(
        db, made.id, role="host", starts_at=start, ends_at=start + H, needed=3, notes="badges"
    )
    assert (changed.role, changed.needed, changed.notes) == ("host", 3, "badges")
    rota.delete_shift(db, made.id)
    with pytest.raises(NotFound):
        rota.get_shift(db, made.id)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"role": "  "}, "role"),
        ({"ends": -1}, "ends_at"),
        ({"ends": 0}, "ends_at"),
        ({"ends": 30}, "ends_at"),
        ({"needed": 0}, "needed"),
        ({"needed": "two"}, "needed"),
    ],
)
def test_bad_shift_input_is_refused_with_the_field(db, setup, kwargs, field) -> None:
    event_id, start, _ids = setup
    with pytest.raises(ValidationError) as err:
        rota.create_shift(
            db,
            event_id,
            role=kwargs.get("role", "host"),
            starts_at=start,
            ends_at=start + timedelta(hours=kwargs.get("ends", 1)),
            needed=kwargs.get("needed", 1),
        )
    assert err.value.field == field
    assert db.scalar("SELECT count(*) FROM shifts") == 0


def test_shift_on_unknown_event_is_not_found(db, now) -> None:
    with pytest.raises(NotFound):
        rota.create_shift(db, 999, role="host", starts_at=now, ends_at=now + H)


def test_cannot_shrink_below_volunteers_already_on_it(db, now, setup) -> None:
    event_id, start, ids = setup
    s = shift(db, event_id, start, needed=2)
    take(db, s.id, ids["Alice"], now)
    take(db, s.id, ids["Chloé"], now)
    with pytest.raises(ValidationError, match="2 volunteers already hold"):
        rota.update_shift(db, s.id, role="x", starts_at=start, ends_at=start + H, needed=1)


# -- taking -------------------------------------------------------------------------------
def test_take_then_already_yours_then_full(db, now, setup) -> None:
    event_id, start, ids = setup
    s = shift(db, event_id, start)
    first = take(db, s.id, ids["Alice"], now)
    assert first.outcome is Take.TAKEN and first.ok
    assert first.shift.filled == 1
    assert take(db, s.id, ids["Alice"], now).outcome is Take.ALREADY_YOURS
    full = take(db, s.id, ids["Chloé"], now)
    assert full.outcome is Take.FULL
    assert "full" in full.message and not full.ok


def test_non_volunteer_is_refused(db, now, setup) -> None:
    event_id, start, ids = setup
    result = take(db, shift(db, event_id, start).id, ids["Bob"], now)
    assert result.outcome is Take.NOT_VOLUNTEER
    assert db.scalar("SELECT count(*) FROM shift_assignments") == 0


def test_ended_and_started_shifts(db, now, setup) -> None:
    event_id, _start, ids = setup
    past = shift(db, event_id, now - 3 * H)
    running = shift(db, event_id, now - H / 2, role="host")
    assert take(db, past.id, ids["Alice"], now).outcome is Take.ENDED
    assert take(db, running.id, ids["Alice"], now).outcome is Take.STARTED
    # The organiser may still put someone on a running shift, never on an ended one.
    by_organiser = rota.take_shift(db, running.id, ids["Alice"], now=now, tz=TZ, by="organiser")
    assert by_organiser.outcome is Take.TAKEN
    again = rota.take_shift(db, past.id, ids["Chloé"], now=now, tz=TZ, by="organiser")
    assert again.outcome is Take.ENDED


def test_overlapping_shifts_clash_and_name_the_other_shift(db, now, setup) -> None:
    event_id, start, ids = setup
    desk = shift(db, event_id, start, hours=2, role="welcome desk")
    setup_shift = shift(db, event_id, start + H, hours=2, role="set-up")
    assert take(db, desk.id, ids["Alice"], now).ok
    clash = take(db, setup_shift.id, ids["Alice"], now)
    assert clash.outcome is Take.CLASH
    assert "welcome desk at Afterwork Lyon" in clash.message
    local = start.astimezone(TZ).strftime("%H:%M")
    assert local in clash.clash  # the clash names the other shift with its time


def test_back_to_back_shifts_do_not_clash(db, now, setup) -> None:
    event_id, start, ids = setup
    first = shift(db, event_id, start, hours=1)
    second = shift(db, event_id, start + H, hours=1, role="host")
    assert take(db, first.id, ids["Alice"], now).ok
    assert take(db, second.id, ids["Alice"], now).outcome is Take.TAKEN


def test_a_dropped_shift_no_longer_clashes(db, now, setup) -> None:
    event_id, start, ids = setup
    first = shift(db, event_id, start, hours=2)
    second = shift(db, event_id, start + H, hours=2, role="host")
    take(db, first.id, ids["Alice"], now)
    assert rota.drop_shift(db, first.id, ids["Alice"], now=now, tz=TZ).ok
    assert take(db, second.id, ids["Alice"], now).ok


def test_shift_clashing_with_a_registered_event_is_refused(db, now, setup) -> None:
    event_id, start, ids = setup
    other = add_event(db, "Déjeuner Paris", start - H, hours=2)
    events.register(db, other, ids["Alice"], now=now)
    s = shift(db, event_id, start, hours=1)
    result = take(db, s.id, ids["Alice"], now)
    assert result.outcome is Take.CLASH
    assert "Déjeuner Paris" in result.message and "registered" in result.message
    # Chloé is not registered anywhere, and a cancelled registration does not count.
    assert take(db, s.id, ids["Chloé"], now).ok
    events.cancel_registration(db, other, ids["Alice"], now=now)
    rota.unassign(db, s.id, ids["Chloé"])
    assert take(db, s.id, ids["Alice"], now).ok


def test_being_registered_for_the_shifts_own_event_is_not_a_clash(db, now, setup) -> None:
    event_id, start, ids = setup
    events.register(db, event_id, ids["Alice"], now=now)
    assert take(db, shift(db, event_id, start).id, ids["Alice"], now).ok


# -- dropping ------------------------------------------------------------------------------
def test_drop_more_than_48h_before_needs_no_reason(db, now, setup) -> None:
    event_id, start, ids = setup  # 5 days ahead
    s = shift(db, event_id, start)
    take(db, s.id, ids["Alice"], now)
    result = rota.drop_shift(db, s.id, ids["Alice"], now=now, tz=TZ)
    assert result.outcome is Drop.DROPPED
    assert result.shift.filled == 0


def test_drop_within_48h_requires_a_reason_and_stores_it(db, now, setup) -> None:
    event_id, _start, ids = setup
    s = shift(db, event_id, now + 47 * H)
    take(db, s.id, ids["Alice"], now)
    refused = rota.drop_shift(db, s.id, ids["Alice"], now=now, tz=TZ, reason="   ")
    assert refused.outcome is Drop.REASON_REQUIRED
    assert rota.get_shift(db, s.id).filled == 1
    done = rota.drop_shift(db, s.id, ids["Alice"], now=now, tz=TZ, reason="Train cancelled")
    assert done.outcome is Drop.DROPPED
    [(dropped_shift, assignment)] = rota_coverage.dropped(db)
    assert dropped_shift.id == s.id
    assert assignment.drop_reason == "Train cancelled"
    assert assignment.dropped_at == now


def test_exactly_48h_before_needs_no_reason(db, now, setup) -> None:
    event_id, _start, ids = setup
    s = shift(db, event_id, now + 48 * H)
    take(db, s.id, ids["Alice"], now)
    assert rota.drop_shift(db, s.id, ids["Alice"], now=now, tz=TZ).ok


def test_too_late_to_drop_a_started_shift_and_not_yours(db, now, setup) -> None:
    event_id, start, ids = setup
    s = shift(db, event_id, start)
    take(db, s.id, ids["Alice"], now)
    late = rota.drop_shift(db, s.id, ids["Alice"], now=start + H / 4, tz=TZ, reason="x")
    assert late.outcome is Drop.TOO_LATE
    assert "too late" in late.message
    assert rota.drop_shift(db, s.id, ids["Chloé"], now=now, tz=TZ).outcome is Drop.NOT_YOURS


def test_a_dropped_place_can_be_taken_again(db, now, setup) -> None:
    event_id, start, ids = setup
    s = shift(db, event_id, start)
    take(db, s.id, ids["Alice"], now)
    rota.drop_shift(db, s.id, ids["Alice"], now=now, tz=TZ)
    assert take(db, s.id, ids["Chloé"], now).ok
    assert take(db, s.id, ids["Alice"], now).outcome is Take.FULL


def test_unassign_by_the_organiser(db, now, setup) -> None:
    event_id, start, ids = setup
    s = shift(db, event_id, start)
    take(db, s.id, ids["Alice"], now)
    assert rota.unassign(db, s.id, ids["Alice"]).filled == 0
    with pytest.raises(NotFound):
        rota.unassign(db, s.id, ids["Alice"])


# -- volunteers ------------------------------------------------------------------------------
def test_require_volunteer_refuses_unknown_and_non_volunteers(db, setup) -> None:
    assert rota.require_volunteer(db, "ALICE@example.org").first_name == "Alice"
    with pytest.raises(UnusableInput, match="not a volunteer"):
        rota.require_volunteer(db, "bob@example.org")
    with pytest.raises(UnusableInput, match="no member"):
        rota.require_volunteer(db, "nobody@example.org")
    assert [v.first_name for v in rota.volunteers(db)] == ["Alice", "Chloé"]


def test_my_shifts_and_open_shifts(db, now, setup) -> None:
    event_id, start, ids = setup
    mine = shift(db, event_id, start)
    open_one = shift(db, event_id, start + H, needed=2, role="host")
    full = shift(db, event_id, start + 2 * H, role="tear-down")
    shift(db, event_id, now - 2 * H, role="past")
    take(db, mine.id, ids["Alice"], now)
    take(db, full.id, ids["Chloé"], now)
    take(db, open_one.id, ids["Chloé"], now)
    assert [s.id for s in rota.my_shifts(db, ids["Alice"], now=now)] == [mine.id]
    offered = rota.open_shifts(db, ids["Alice"], now=now)
    assert [(s.id, s.missing) for s in offered] == [(open_one.id, 1)]


# -- coverage ------------------------------------------------------------------------------
def test_coverage_counts_needed_filled_and_gaps(db, now, setup) -> None:
    event_id, start, ids = setup
    a = shift(db, event_id, start, needed=3)
    shift(db, event_id, start + H, needed=2, role="host")
    take(db, a.id, ids["Alice"], now)
    take(db, a.id, ids["Chloé"], now)
    empty_event = add_event(db, "Webinar", start + timedelta(days=1))
    add_event(db, "Past", now - timedelta(days=3))
    cover = rota_coverage.coverage(db, since=now)
    assert [c.event_id for c in cover] == [event_id, empty_event]
    assert (cover[0].needed, cover[0].filled, cover[0].missing) == (5, 2, 3)
    assert [(s.needed, s.filled, s.missing) for s in cover[0].shifts] == [(3, 2, 1), (2, 0, 2)]
    assert cover[1].shifts == ()


def test_who_is_on_when_covers_the_next_30_days(db, now, setup) -> None:
    event_id, start, ids = setup
    soon = shift(db, event_id, start)
    later_event = add_event(db, "Summit", now + timedelta(days=40))
    shift(db, later_event, now + timedelta(days=40))
    take(db, soon.id, ids["Alice"], now)
    rows = rota_coverage.who_is_on(db, now=now, days=30)
    assert [(s.id, [a.first_name for a in people]) for s, people in rows] == [(soon.id, ["Alice"])]


# -- the last place: two processes at the same moment ----------------------------------------
def _take_in_process(db_path: str, shift_id: int, member_id: int, now_iso: str, barrier) -> None:
    db = open_database(db_path)
    barrier.wait()
    result = rota.take_shift(db, shift_id, member_id, now=datetime.fromisoformat(now_iso), tz=TZ)
    db.close()
    raise SystemExit(0 if result.ok else 3 if result.outcome is Take.FULL else 4)


def test_two_processes_take_the_last_place_exactly_one_wins(
    db: Database, db_path: Path, now: datetime, setup
) -> None:
    event_id, start, ids = setup
    s = shift(db, event_id, start, needed=2)
    extra = add_member(db, "Dora", now=now)
    take(db, s.id, extra, now)  # one place left
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(2)
    procs = [
        ctx.Process(
            target=_take_in_process,
            args=(str(db_path), s.id, ids[name], now.isoformat(), barrier),
        )
        for name in ("Alice", "Chloé")
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert sorted(p.exitcode for p in procs) == [0, 3]
    assert rota.get_shift(db, s.id).filled == 2


def test_two_connections_cannot_both_take_the_last_place(db, db_path, now, setup) -> None:
    event_id, start, ids = setup
    s = shift(db, event_id, start)
    other = open_database(db_path)
    try:
        with db.transaction():
            first = take(db, s.id, ids["Alice"], now)
            # The other connection waits for the lock (busy timeout) or gives up: it can
            # never read "1 place free" while this transaction holds the write lock.
            other.busy_timeout = 0.05
            with pytest.raises(DatabaseBusy, match="busy"):
                take(other, s.id, ids["Chloé"], now)
        assert first.ok
        assert take(other, s.id, ids["Chloé"], now).outcome is Take.FULL
    finally:
        other.close()


def test_a_cancelled_events_shifts_cannot_be_taken(db, now, setup) -> None:
    event_id, start, ids = setup
    s = shift(db, event_id, start)
    db.execute("UPDATE events SET status = 'cancelled' WHERE id = ?", (event_id,))
    result = take(db, s.id, ids["Alice"], now)
    assert result.outcome is Take.CANCELLED and "cancelled" in result.message
    assert rota.open_shifts(db, ids["Alice"], now=now) == []


def test_demo_rota_has_filled_places_gaps_and_a_late_drop(demo_club) -> None:
    cover = rota_coverage.coverage(demo_club.db, since=demo_club.now())
    shifts = [s for c in cover for s in c.shifts]
    assert shifts and any(s.missing for s in shifts) and any(s.filled for s in shifts)
    reasons = [a.drop_reason for _s, a in rota_coverage.dropped(demo_club.db)]
    assert any(reasons)


def test_demo_rota_without_events_creates_nothing(db, now) -> None:
    from omtui.core import demo_rota

    assert demo_rota.seed(db, now=now) == 0
    assert db.scalar("SELECT count(*) FROM shifts") == 0
