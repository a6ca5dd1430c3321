"""Events core: validation, capacity, waiting list, promotion, check-in, the two-process race."""

from __future__ import annotations

import multiprocessing
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from omtui.core import events, partners
from omtui.core.db import Database, open_database
from omtui.core.demo import seed_members
from omtui.errors import NotFound, OmtuiError, ValidationError


@pytest.fixture
def people(db: Database, now: datetime) -> list[int]:
    seed_members(db, 40, now=now)
    return [r["id"] for r in db.query("SELECT id FROM members ORDER BY id")]


def lunch(db: Database, now: datetime, **extra) -> events.Event:
    start = now + timedelta(days=3)
    fields = {
        "kind": "lunch",
        "title": "Déjeuner lyonnais",
        "starts_at": start,
        "ends_at": start + timedelta(hours=2),
        "city": "Lyon",
        "capacity": 2,
        **extra,
    }
    return events.create_event(db, fields, now=now)


# -- validation --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"ends_at": None}, "ends_at"),
        ({"capacity": 0}, "capacity"),
        ({"capacity": "lots"}, "capacity"),
        ({"title": "  "}, "title"),
        ({"kind": "party"}, "kind"),
        ({"city": ""}, "city"),
        ({"kind": "webinar", "city": ""}, "online_url"),
        ({"online_url": "zoom.us/j/1"}, "online_url"),
        ({"capacity": 30, "room_capacity": 20}, "capacity"),
        ({"status": "maybe"}, "status"),
        ({"host_member_id": 999}, "host_member_id"),
        ({"kind": "meetup"}, "host_company"),
    ],
)
def test_invalid_event_names_the_field(db: Database, now: datetime, extra, field) -> None:
    with pytest.raises(ValidationError) as info:
        lunch(db, now, **extra)
    assert info.value.field == field
    assert db.scalar("SELECT count(*) FROM events") == 0


def test_end_before_start_is_refused(db: Database, now: datetime) -> None:
    with pytest.raises(ValidationError, match="end after it starts"):
        lunch(db, now, ends_at=now + timedelta(days=2))


def test_meetup_host_gives_company_and_times_round_trip(
    db: Database, now: datetime, people: list[int]
) -> None:
    host = db.query_one("SELECT id, company FROM members WHERE id = ?", (people[0],))
    event = lunch(db, now, kind="meetup", host_member_id=host["id"], room_capacity=10)
    assert event.host_company == host["company"]
    assert event.starts_at == now + timedelta(days=3)
    assert event.uid.endswith("@omtui")
    again = events.update_event(db, event.id, {"title": "Afterwork"}, now=now)
    assert again.uid == event.uid and again.title == "Afterwork"


def test_list_events_upcoming_then_past(db: Database, now: datetime) -> None:
    past = lunch(
        db, now, starts_at=now - timedelta(days=5), ends_at=now - timedelta(days=5, hours=-2)
    )
    soon = lunch(
        db, now, starts_at=now + timedelta(days=1), ends_at=now + timedelta(days=1, hours=2)
    )
    later = lunch(db, now)
    assert [e.id for e in events.list_events(db, now=now)] == [soon.id, later.id]
    assert [e.id for e in events.list_events(db, now=now, past_only=True)] == [past.id]
    assert [e.id for e in events.list_events(db, now=now, include_past=True)] == [
        soon.id,
        later.id,
        past.id,
    ]


# -- capacity and waiting list ------------------------------------------------------------
def test_capacity_then_waiting_list_in_order(
    db: Database, now: datetime, people: list[int]
) -> None:
    event = lunch(db, now)
    statuses = [events.register(db, event.id, m, now=now).status for m in people[:5]]
    assert statuses == ["registered", "registered", "waiting", "waiting", "waiting"]
    assert [r.member_id for r in events.waiting_list(db, event.id)] == people[2:5]
    stats = events.event_stats(db, event.id)
    assert (stats.registered, stats.seats_left, stats.waiting) == (2, 0, 3)


def test_promotion_on_cancel_records_promoted_at(
    db: Database, now: datetime, people: list[int]
) -> None:
    event = lunch(db, now)
    for m in people[:4]:
        events.register(db, event.id, m, now=now)
    later = now + timedelta(hours=1)
    promoted = events.cancel_registration(db, event.id, people[1], now=later)
    assert promoted is not None and promoted.member_id == people[2]
    assert promoted.status == "registered" and promoted.promoted_at == later
    assert [r.member_id for r in events.waiting_list(db, event.id)] == [people[3]]
    # cancelling a waiting place promotes nobody
    assert events.cancel_registration(db, event.id, people[3], now=later) is None
    assert events.event_stats(db, event.id).cancelled == 2


def test_cancelled_member_registers_again_at_the_end(
    db: Database, now: datetime, people: list[int]
) -> None:
    event = lunch(db, now, capacity=1)
    for m in people[:3]:
        events.register(db, event.id, m, now=now)
    events.cancel_registration(db, event.id, people[1], now=now)
    events.register(db, event.id, people[1], now=now)
    assert [r.member_id for r in events.waiting_list(db, event.id)] == [people[2], people[1]]


def test_register_refusals(db: Database, now: datetime, people: list[int]) -> None:
    event = lunch(db, now)
    events.register(db, event.id, people[0], now=now)
    with pytest.raises(events.AlreadyRegistered, match="already registered"):
        events.register(db, event.id, people[0], now=now)
    with pytest.raises(OmtuiError, match="already ended"):
        events.register(db, event.id, people[1], now=now + timedelta(days=10))
    events.cancel_event(db, event.id, now=now)
    with pytest.raises(OmtuiError, match="cancelled"):
        events.register(db, event.id, people[1], now=now)
    with pytest.raises(NotFound):
        events.cancel_registration(db, event.id, people[5], now=now)


def test_capacity_below_registered_is_refused(
    db: Database, now: datetime, people: list[int]
) -> None:
    event = lunch(db, now, capacity=3)
    for m in people[:3]:
        events.register(db, event.id, m, now=now)
    with pytest.raises(ValidationError, match="3 members already registered") as info:
        events.update_event(db, event.id, {"capacity": 2}, now=now)
    assert info.value.field == "capacity"
    assert events.get_event(db, event.id).capacity == 3


def test_bigger_capacity_promotes_waiting(db: Database, now: datetime, people: list[int]) -> None:
    event = lunch(db, now)
    for m in people[:5]:
        events.register(db, event.id, m, now=now)
    events.update_event(db, event.id, {"capacity": 4}, now=now)
    assert [r.member_id for r in events.waiting_list(db, event.id)] == [people[4]]


# -- check-in, attendance, guest list ---------------------------------------------------------
def test_check_in_and_attendance_rate(db: Database, now: datetime, people: list[int]) -> None:
    event = lunch(db, now, capacity=4)
    for m in people[:5]:
        events.register(db, event.id, m, now=now)
    assert events.event_stats(db, event.id).attendance_rate == 0
    door = now + timedelta(days=3, minutes=5)
    first = events.check_in(db, event.id, people[0], now=door)
    assert first.attended_at == door
    again = events.check_in(db, event.id, people[0], now=door + timedelta(minutes=9))
    assert again.attended_at == door  # idempotent
    events.check_in(db, event.id, people[1], now=door)
    events.check_in(db, event.id, people[2], now=door)
    assert events.event_stats(db, event.id).attendance_rate == pytest.approx(0.75)
    with pytest.raises(OmtuiError, match="waiting list"):
        events.check_in(db, event.id, people[4], now=door)
    with pytest.raises(OmtuiError, match="not registered"):
        events.check_in(db, event.id, people[9], now=door)


def test_checkin_matches_narrow_by_typed_letters(
    db: Database, now: datetime, people: list[int]
) -> None:
    event = lunch(db, now, capacity=10)
    for m in people[:6]:
        events.register(db, event.id, m, now=now)
    everyone = events.checkin_matches(db, event.id, "")
    assert len(everyone) == 6
    target = everyone[3]
    typed = target.last_name[:4]
    narrowed = events.checkin_matches(db, event.id, typed)
    assert target.member_id in [r.member_id for r in narrowed]
    assert len(narrowed) < 6 or all(typed.lower() in r.last_name.lower() for r in narrowed)


def test_guest_list_is_names_only_sorted_by_last_name(
    db: Database, now: datetime, people: list[int]
) -> None:
    event = lunch(db, now)
    for m in people[:4]:
        events.register(db, event.id, m, now=now)
    guests = events.guest_list(db, event.id)
    assert len(guests) == 2  # waiting members are not expected at the door
    text = "\n".join(guests)
    assert "@" not in text and "+33" not in text
    registered = events.registrations(db, event.id, status="registered")
    assert guests == [r.full_name for r in registered]  # registrations sort by last name too


# -- partners ---------------------------------------------------------------------------------
def test_partners_linked_as_exhibitor_or_sponsor(db: Database, now: datetime) -> None:
    event = lunch(db, now, kind="summit", capacity=200)
    cafe = partners.add_partner(db, {"company": "CaféPro", "email": "O@CafePro.FR"}, now=now)
    plants = partners.add_partner(db, {"company": "Plantes au Bureau"}, now=now)
    partners.link_partner(db, event.id, cafe.id, "sponsor")
    partners.link_partner(db, event.id, plants.id, "Exhibitor")
    partners.link_partner(db, event.id, plants.id, "exhibitor")  # harmless twice
    linked = partners.event_partners(db, event.id)
    assert [(p.partner.company, p.role) for p in linked] == [
        ("CaféPro", "sponsor"),
        ("Plantes au Bureau", "exhibitor"),
    ]
    assert cafe.email == "O@cafepro.fr"
    with pytest.raises(ValidationError, match="already exists"):
        partners.add_partner(db, {"company": "cafépro"}, now=now)
    with pytest.raises(ValidationError, match="exhibitor or sponsor"):
        partners.link_partner(db, event.id, cafe.id, "caterer")
    assert partners.find_partner(db, "plantes au bureau").id == plants.id


# -- the two-process race for the last seat ---------------------------------------------------
def _take_seat(path: str, event_id: int, member_id: int, now: datetime, barrier, results) -> None:
    database = open_database(path)
    try:
        barrier.wait(timeout=20)
        results.put((member_id, events.register(database, event_id, member_id, now=now).status))
    except Exception as exc:  # pragma: no cover - reported to the parent
        results.put((member_id, repr(exc)))
    finally:
        database.close()


def test_processes_racing_for_the_last_seat(
    db: Database, db_path: Path, now: datetime, people: list[int]
) -> None:
    """Three real processes released by a barrier register at the same moment for the last
    seat, forty times over: every time exactly one gets it and the others wait."""
    ctx = multiprocessing.get_context("fork")
    rounds = 40
    for round_no in range(rounds):
        event = lunch(db, now, capacity=3, title=f"Race {round_no}")
        events.register(db, event.id, people[0], now=now)
        events.register(db, event.id, people[1], now=now)
        barrier = ctx.Barrier(3)
        results = ctx.Queue()
        racers = [
            ctx.Process(target=_take_seat, args=(str(db_path), event.id, m, now, barrier, results))
            for m in (people[2], people[3], people[4])
        ]
        for proc in racers:
            proc.start()
        outcome = dict(results.get(timeout=30) for _ in racers)
        for proc in racers:
            proc.join(timeout=30)
        assert sorted(outcome.values()) == ["registered", "waiting", "waiting"], outcome
        stats = events.event_stats(db, event.id)
        assert (stats.registered, stats.waiting) == (3, 2)


# -- CSV import of registrations ------------------------------------------------------------
def test_import_registrations_from_a_form_export(
    db: Database, now: datetime, people: list[int], tmp_path: Path
) -> None:
    from omtui.core.events_import import import_registrations

    event = lunch(db, now, capacity=2)
    emails = [r["email"] for r in db.query("SELECT email FROM members ORDER BY id LIMIT 4")]
    events.register(db, event.id, people[0], now=now)  # already registered: reported
    lines = [
        "Horodateur;Prénom;Nom;Adresse e-mail;Régime alimentaire",
        f"2026/11/01 10:00;A;B;{emails[0]};",
        f"2026/11/01 10:01;A;B;{emails[1].upper()};végétarien",
        "2026/11/01 10:02;Zoé;Inconnue;zoe.inconnue@example.org;",
        f"2026/11/01 10:03;A;B;{emails[2]};",
        "2026/11/01 10:04;A;B;pas une adresse;",
        f"2026/11/01 10:05;A;B;{emails[3]};",
    ]
    path = tmp_path / "form.csv"
    path.write_bytes("\r\n".join(lines).encode("cp1252"))  # French Excel

    dry = import_registrations(db, event.id, path, now=now, dry_run=True)
    assert dry.registered == [emails[1]] and events.event_stats(db, event.id).registered == 1

    report = import_registrations(db, event.id, path, now=now)
    assert report.encoding == "cp1252" and report.delimiter == ";"
    assert report.already == [emails[0]]
    assert report.registered == [emails[1]]
    assert report.waiting == [emails[2], emails[3]]  # file order is the order of the line
    assert report.unknown == [(4, "zoe.inconnue@example.org")]
    assert [line for line, _v, _why in report.invalid] == [6]
    assert report.warnings == []
    assert db.scalar("SELECT count(*) FROM members WHERE email LIKE 'zoe.inconnue%'") == 0
    assert [r.member_id for r in events.waiting_list(db, event.id)] == people[2:4]


def test_import_without_email_column_writes_nothing(
    db: Database, now: datetime, people: list[int], tmp_path: Path
) -> None:
    from omtui.core.events_import import import_registrations
    from omtui.errors import UnusableInput

    event = lunch(db, now)
    path = tmp_path / "form.csv"
    path.write_text("Nom,Prénom\nDupré,Hélène\n", encoding="utf-8")
    with pytest.raises(UnusableInput, match="no email column"):
        import_registrations(db, event.id, path, now=now)
    assert events.event_stats(db, event.id).registered == 0
