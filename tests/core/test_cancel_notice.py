"""Cancelling an event tells its registrants and waiting list: once each, in the club's
language, through the reminders' queue and sender (real SQLite file, aiosmtpd on loopback)."""

from __future__ import annotations

import email
from collections import Counter
from datetime import UTC, datetime, timedelta
from email import policy

import pytest

from omtui.config import Config, SmtpConfig
from omtui.core import club as club_settings
from omtui.core import events, members
from omtui.core.db import Database
from omtui.core.mail import cancel_notice, remind_run, reminders
from omtui.core.mailer import RetryPolicy
from omtui.core.runs import last_runs
from tests.smtp_sink import SmtpSink

T0 = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
START = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)
FAST = RetryPolicy(max_attempts=2, base_delay=0.01, connect_attempts=1)


def config_for(sink: SmtpSink) -> Config:
    return Config(
        club_name="Club des Office Managers",
        smtp=SmtpConfig(
            host=sink.host, port=sink.port, from_address="club@club.example.org", rate=0
        ),
    )


def person(db: Database, email_address: str) -> int:
    first = email_address.split("@")[0].capitalize()
    fields = {"first_name": first, "last_name": "Test", "email": email_address}
    return members.add_member(db, fields, now=T0).id


def an_event(db: Database, *, capacity: int | None = 2, start: datetime = START) -> int:
    fields = {
        "kind": "lunch",
        "title": "Petit-déjeuner RH",
        "starts_at": start,
        "ends_at": start + timedelta(hours=2),
        "address": "12 rue de la Paix",
        "city": "Paris",
        "capacity": capacity,
    }
    return events.create_event(db, fields, now=T0).id


def club_of_four(db: Database) -> tuple[int, list[int]]:
    """An event with two seats taken, one on the waiting list, one who cancelled before."""
    eid = an_event(db)
    people = [person(db, f"{n}@example.org") for n in ("ann", "bob", "cid", "dan")]
    for member_id in people:
        events.register(db, eid, member_id, now=T0)
    events.cancel_registration(db, eid, people[3], now=T0)  # dan: gone before, not told
    return eid, people


def send_now(db: Database, config: Config, at: datetime) -> remind_run.RemindReport:
    return remind_run.run(
        db, config, clock=lambda: at, policy=FAST, kinds=cancel_notice.CANCELLATION
    )


def parsed(sink: SmtpSink, index: int):
    return email.message_from_bytes(sink.messages[index].data, policy=policy.default)


def body(message) -> str:
    return message.get_body(("plain",)).get_content()


def test_cancel_tells_each_registrant_and_waiting_member_once_in_french(
    db: Database, smtp_sink: SmtpSink
) -> None:
    club_settings.set_settings(db, language="fr")
    eid, _people = club_of_four(db)
    at = T0 + timedelta(days=1)
    assert cancel_notice.to_tell(db, eid, now=at) == 3
    done = cancel_notice.cancel_event(db, eid, now=at)
    assert (done.was_cancelled, done.queued, done.pending) == (False, 3, 3)
    assert done.event.cancelled
    again = cancel_notice.cancel_event(db, eid, now=at + timedelta(minutes=1))
    assert (again.was_cancelled, again.queued, again.pending) == (True, 0, 3)
    assert cancel_notice.to_tell(db, eid, now=at) == 0  # cancelled: nobody left to tell
    config = config_for(smtp_sink)
    report = send_now(db, config, at)
    assert report.sent == 3 and report.ok
    assert send_now(db, config, at + timedelta(minutes=5)).sent == 0
    remind_run.run(db, config, clock=lambda: at + timedelta(minutes=15), policy=FAST)
    assert Counter(smtp_sink.recipients()) == {
        "ann@example.org": 1,
        "bob@example.org": 1,
        "cid@example.org": 1,
    }
    by_rcpt = {parsed(smtp_sink, i)["To"]: parsed(smtp_sink, i) for i in range(3)}
    ann = by_rcpt["ann@example.org"]
    assert ann["Subject"] == "Annulé\u00a0: Petit-déjeuner RH, mercredi 10 mars 2027 à 10:00"
    assert "Bonjour Ann" in body(ann) and "Votre inscription" in body(ann)
    assert "liste d’attente" in body(by_rcpt["cid@example.org"])
    parts = {p.get_content_type(): p for p in ann.walk()}
    assert b"STATUS:CANCELLED" in parts["text/calendar"].get_payload(decode=True)
    # registrations show as cancelled, the event is kept
    assert {r.status for r in events.registrations(db, eid)} == {"cancelled"}
    assert reminders.counts(db)["sent"] == 3
    assert "remind" in last_runs(db)  # the cron run, not the send-now ones
    assert db.scalar("SELECT count(*) FROM automation_runs WHERE kind = 'remind'") == 1


def test_a_send_that_crashes_mid_way_never_sends_twice(db: Database, smtp_sink: SmtpSink) -> None:
    """The server keeps the 2nd notice and drops the line before answering: that one is
    uncertain (maybe received), never sent again; the next run sends the rest."""
    club_settings.set_settings(db, language="fr")
    eid = an_event(db, capacity=None)
    for n in range(5):
        events.register(db, eid, person(db, f"p{n}@example.org"), now=T0)
    at = T0 + timedelta(days=1)
    assert cancel_notice.cancel_event(db, eid, now=at).queued == 5
    smtp_sink.behaviour.drop_after_accepting = {2}
    config = config_for(smtp_sink)
    first = send_now(db, config, at)
    assert first.sent < 5
    cancel_notice.cancel_event(db, eid, now=at)  # the organiser cancels again: nothing new
    second = send_now(db, config, at + timedelta(minutes=1))
    remind_run.run(db, config, clock=lambda: at + timedelta(minutes=15), policy=FAST)
    got = Counter(smtp_sink.recipients())
    assert got == {f"p{n}@example.org": 1 for n in range(5)}
    counts = reminders.counts(db)
    assert counts["sent"] + counts["uncertain"] == 5 and counts["uncertain"] == 1
    assert first.sent + second.sent == 4


def test_a_run_that_died_after_claiming_leaves_each_notice_once(
    db: Database, smtp_sink: SmtpSink
) -> None:
    eid, _people = club_of_four(db)
    at = T0 + timedelta(days=1)
    cancel_notice.cancel_event(db, eid, now=at)
    with db.transaction():  # a run killed with both claimed, the first one's DATA started
        rows = reminders.claim(db, 2, now=at, kinds=cancel_notice.CANCELLATION)
        reminders.mark_transmitting(db, rows[0].id, now=at)
    report = send_now(db, config_for(smtp_sink), at + timedelta(minutes=1))
    assert report.recovered_uncertain == 1 and report.sent == 2
    assert rows[0].email not in smtp_sink.recipients()
    assert len(set(smtp_sink.recipients())) == 2


def test_an_event_cancelled_from_the_form_is_told_by_the_next_remind_run(
    db: Database, smtp_sink: SmtpSink
) -> None:
    club_settings.set_settings(db, language="en")
    eid, _people = club_of_four(db)
    at = T0 + timedelta(days=1)
    events.update_event(db, eid, {"status": "cancelled"}, now=at)  # the form's way
    due = remind_run.dry_run(db, config_for(smtp_sink), now=at)
    assert sorted(d.email for d in due if d.kind == "cancellation") == [
        "ann@example.org",
        "bob@example.org",
        "cid@example.org",
    ]
    report = remind_run.run(db, config_for(smtp_sink), clock=lambda: at, policy=FAST)
    assert report.sent == 3
    subjects = {parsed(smtp_sink, i)["Subject"] for i in range(3)}
    assert subjects == {"Cancelled: Petit-déjeuner RH, Wednesday, March 10, 2027 at 10:00"}
    waiting = next(
        parsed(smtp_sink, i) for i in range(3) if parsed(smtp_sink, i)["To"] == "cid@example.org"
    )
    assert "You were on its waiting list" in body(waiting)
    # `events cancel` afterwards: already cancelled, nothing queued twice
    assert cancel_notice.cancel_event(db, eid, now=at).queued == 0


def test_who_is_not_told(db: Database, smtp_sink: SmtpSink) -> None:
    """Not an archived member, not a cancellation older than this version, not after the
    event's start; a member who declined reminders is told (it is about their seat)."""
    club_settings.set_settings(db, language="en")
    eid, people = club_of_four(db)
    at = T0 + timedelta(days=1)
    members.set_reminders_consent(db, people[0], False, now=T0, source="cli")
    members.archive_member(db, people[1], now=T0)
    done = cancel_notice.cancel_event(db, eid, now=at)
    assert done.queued == 2  # ann (declined reminders) and cid; not bob (archived)
    # an old cancellation, made before notices existed: nobody is told on upgrade
    old = an_event(db)
    events.register(db, old, people[2], now=T0)
    events.update_event(db, old, {"status": "cancelled"}, now=at)
    db.execute("UPDATE registrations SET cancelled_with_event = NULL WHERE event_id = ?", (old,))
    # an event cancelled after it started (for the books): nobody either
    started = an_event(db, start=T0 + timedelta(hours=12))
    events.register(db, started, people[2], now=T0)
    assert cancel_notice.to_tell(db, started, now=at) == 0
    assert cancel_notice.cancel_event(db, started, now=at).queued == 0
    report = remind_run.run(db, config_for(smtp_sink), clock=lambda: at, policy=FAST)
    assert sorted(smtp_sink.recipients()) == ["ann@example.org", "cid@example.org"]
    assert report.sent == 2


def test_a_notice_not_sent_before_the_event_is_restored_or_starts_is_dropped(
    db: Database, smtp_sink: SmtpSink
) -> None:
    eid, _people = club_of_four(db)
    at = T0 + timedelta(days=1)
    cancel_notice.cancel_event(db, eid, now=at)
    events.update_event(db, eid, {"status": "planned"}, now=at)  # a mistake, undone
    report = send_now(db, config_for(smtp_sink), at)
    assert report.sent == 0 and smtp_sink.messages == []
    assert {r.reply for r in reminders.in_state(db, "failed")} == {
        "not sent: the event is no longer cancelled"
    }
    other = an_event(db)
    events.register(db, other, person(db, "eve@example.org"), now=T0)
    cancel_notice.cancel_event(db, other, now=at)
    report = send_now(db, config_for(smtp_sink), START + timedelta(minutes=1))
    assert report.sent == 0 and smtp_sink.messages == []


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_notice_is_in_the_clubs_language_whatever_the_interface(
    db: Database, smtp_sink: SmtpSink, language: str
) -> None:
    from omtui import i18n

    club_settings.set_settings(db, language=language)
    i18n.set_language("en" if language == "fr" else "fr")
    try:
        eid = an_event(db)
        events.register(db, eid, person(db, "ann@example.org"), now=T0)
        cancel_notice.cancel_event(db, eid, now=T0)
        assert send_now(db, config_for(smtp_sink), T0).sent == 1
    finally:
        i18n.set_language("en")
    subject = parsed(smtp_sink, 0)["Subject"]
    assert subject.startswith("Annulé" if language == "fr" else "Cancelled:")
