"""Reminders: what is due, exactly once, late ones skipped, DST, consent purposes.

Real SQLite file and a real SMTP server (aiosmtpd) on loopback; fixed clocks."""

from __future__ import annotations

import email
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email import policy
from zoneinfo import ZoneInfo

import pytest

from omtui.config import Config, RemindersConfig, SmtpConfig
from omtui.core import club as club_settings
from omtui.core import events, members, rota
from omtui.core.db import Database
from omtui.core.mail import remind_run, reminders
from omtui.core.mailer import RetryPolicy
from omtui.core.runs import last_runs
from tests.smtp_sink import SmtpSink

PARIS = ZoneInfo("Europe/Paris")
T0 = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
FAST = RetryPolicy(max_attempts=2, base_delay=0.01, connect_attempts=1)


def config_for(sink: SmtpSink, **reminder_settings) -> Config:
    return Config(
        club_name="Club des Office Managers",
        organiser_email="orga@club.example.org",
        smtp=SmtpConfig(
            host=sink.host, port=sink.port, from_address="club@club.example.org", rate=0
        ),
        reminders=replace(RemindersConfig(), **reminder_settings),
    )


@pytest.fixture(autouse=True)
def english_club(db: Database) -> None:
    club_settings.set_settings(db, language="en")  # the French test sets French back


def person(db: Database, email: str, *, tags: str = "", subscribed: bool = True) -> int:
    first = email.split("@")[0].capitalize()
    fields = {"first_name": first, "last_name": "Test", "email": email, "tags": tags}
    return members.add_member(db, fields, now=T0, subscribed=subscribed).id


def event(db: Database, start: datetime, **extra) -> int:
    fields = {
        "kind": "lunch",
        "title": "Petit-déjeuner RH",
        "starts_at": start,
        "ends_at": start + timedelta(hours=2),
        "address": "12 rue de la Paix",
        "city": "Paris",
        "access_notes": "Code 1234, 3e étage",
        **extra,
    }
    return events.create_event(db, fields, now=T0).id


def parsed(sink: SmtpSink, index: int):
    return email.message_from_bytes(sink.messages[index].data, policy=policy.default)


def text_of(message) -> str:
    return message.get_body(("plain",)).get_content()


def send(db: Database, config: Config, at: datetime) -> remind_run.RemindReport:
    return remind_run.run(db, config, clock=lambda: at, policy=FAST)


def test_event_reminder_goes_out_once_24_hours_before_with_the_ics(
    db: Database, smtp_sink: SmtpSink
) -> None:
    config = config_for(smtp_sink)
    ann = person(db, "ann@example.org")
    start = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)
    eid = event(db, start)
    events.register(db, eid, ann, now=T0)
    assert send(db, config, start - timedelta(hours=25)).sent == 0
    report = send(db, config, start - timedelta(hours=23, minutes=50))
    assert report.sent == 1 and not smtp_sink.behaviour.reject
    again = send(db, config, start - timedelta(hours=23))
    assert again.sent == 0
    assert smtp_sink.recipients() == ["ann@example.org"]
    message = parsed(smtp_sink, 0)
    assert message["Subject"].startswith("Reminder: Petit-déjeuner RH, Wednesday, March 10, 2027")
    assert message["Auto-Submitted"] == "auto-generated" and "rm" in message["Message-ID"]
    parts = {p.get_content_type(): p for p in message.walk()}
    assert b"BEGIN:VEVENT" in parts["text/calendar"].get_payload(decode=True)
    text = text_of(message)
    assert "Code 1234, 3e étage" in text and "at 10:00" in text
    assert last_runs(db)["remind"].ok and "1 sent" in report.summary()
    assert db.scalar("SELECT count(*) FROM automation_runs WHERE kind = 'remind'") == 3


def test_reminder_in_french_by_default(db: Database, smtp_sink: SmtpSink) -> None:
    config = config_for(smtp_sink)
    club_settings.set_settings(db, language="fr")
    ann = person(db, "ann@example.org")
    start = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)
    events.register(db, event(db, start), ann, now=T0)
    assert send(db, config, start - timedelta(hours=20)).sent == 1
    message = parsed(smtp_sink, 0)
    assert "mercredi 10 mars 2027" in message["Subject"]
    assert "Bonjour Ann" in text_of(message)


def test_moved_event_reminder_follows_the_new_time(db: Database, smtp_sink: SmtpSink) -> None:
    config = config_for(smtp_sink, change=False)
    ann = person(db, "ann@example.org")
    start = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)
    eid = event(db, start)
    events.register(db, eid, ann, now=T0)
    later = start + timedelta(days=2)
    events.update_event(
        db, eid, {"starts_at": later, "ends_at": later + timedelta(hours=2)}, now=T0
    )
    assert send(db, config, start - timedelta(hours=20)).sent == 0
    assert send(db, config, later - timedelta(hours=20)).sent == 1


def test_a_reminder_more_than_its_lead_late_is_skipped_and_reported(
    db: Database, smtp_sink: SmtpSink
) -> None:
    config = config_for(smtp_sink)
    ann = person(db, "ann@example.org")
    start = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)
    events.register(db, event(db, start), ann, now=T0)
    report = send(db, config, start + timedelta(minutes=30))  # the server was off two days
    assert report.sent == 0 and [d.email for d in report.late] == ["ann@example.org"]
    assert "1 skipped (late)" in report.summary()
    assert smtp_sink.messages == []
    assert send(db, config, start + timedelta(hours=1)).late == []  # reported once
    assert reminders.counts(db)["skipped"] == 1


@pytest.mark.parametrize(
    ("start_local", "due_utc"),
    [
        # Sunday 28 March 2027, clocks go forward at 02:00: 24 h earlier on the wall clock
        # is Saturday 10:00 CET = 09:00 UTC, 23 real hours before 08:00 UTC.
        (datetime(2027, 3, 28, 10, 0, tzinfo=PARIS), datetime(2027, 3, 27, 9, 0, tzinfo=UTC)),
        # Sunday 31 October 2027, clocks go back at 03:00: Saturday 10:00 CEST = 08:00 UTC.
        (datetime(2027, 10, 31, 10, 0, tzinfo=PARIS), datetime(2027, 10, 30, 8, 0, tzinfo=UTC)),
    ],
)
def test_lead_time_is_counted_on_the_club_clock_across_dst(
    db: Database, smtp_sink: SmtpSink, start_local: datetime, due_utc: datetime
) -> None:
    config = config_for(smtp_sink)
    ann = person(db, "ann@example.org")
    events.register(db, event(db, start_local.astimezone(UTC)), ann, now=T0)
    assert send(db, config, due_utc - timedelta(minutes=1)).sent == 0
    assert send(db, config, due_utc).sent == 1
    assert send(db, config, due_utc + timedelta(minutes=15)).sent == 0
    assert "at 10:00" in text_of(parsed(smtp_sink, 0))


def test_reminders_are_transactional_unless_declined(db: Database, smtp_sink: SmtpSink) -> None:
    config = config_for(smtp_sink)
    ann = person(db, "ann@example.org", subscribed=False)  # not on the newsletter
    bob = person(db, "bob@example.org")
    start = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)
    eid = event(db, start)
    events.register(db, eid, ann, now=T0)
    events.register(db, eid, bob, now=T0)
    assert members.set_reminders_consent(db, bob, False, now=T0, source="cli")
    assert not members.set_reminders_consent(db, bob, False, now=T0, source="cli")
    assert send(db, config, start - timedelta(hours=20)).sent == 1
    assert smtp_sink.recipients() == ["ann@example.org"]
    history = members.consent_history(db, bob)
    assert [(e.purpose, e.subscribed) for e in history] == [
        ("newsletter", True),
        ("reminders", False),
    ]
    assert members.get_member(db, bob).subscribed  # the newsletter choice is untouched


def test_shift_reminder_call_for_help_and_drop_notice(db: Database, smtp_sink: SmtpSink) -> None:
    config = config_for(smtp_sink, event=False, change=False)
    vera = person(db, "vera@example.org", tags="volunteer")
    person(db, "vic@example.org", tags="volunteer")
    busy = person(db, "busy@example.org", tags="volunteer")
    start = datetime(2027, 3, 10, 8, 0, tzinfo=UTC)
    eid = event(db, start)
    shift = rota.create_shift(
        db, eid, role="welcome desk", starts_at=start, ends_at=start + timedelta(hours=3), needed=2
    )
    other = event(db, start, title="Autre chose")
    events.register(db, other, busy, now=T0)  # registered elsewhere then: no call for help
    assert rota.take_shift(db, shift.id, vera, now=T0, tz=PARIS).ok
    at = start - timedelta(days=3)
    report = send(db, config, at)
    assert sorted(smtp_sink.recipients()) == ["vic@example.org"]  # call for help only
    assert report.sent == 1
    at = start - timedelta(hours=47)
    send(db, config, at)
    assert Counter(smtp_sink.recipients()) == {"vic@example.org": 1, "vera@example.org": 1}
    shift_mail = parsed(smtp_sink, -1)
    assert "welcome desk" in shift_mail["Subject"]
    assert "Code 1234" in text_of(shift_mail)
    dropped = rota.drop_shift(db, shift.id, vera, now=at, tz=PARIS, reason="enfant malade")
    assert dropped.ok
    send(db, config, at + timedelta(minutes=15))
    notice = smtp_sink.messages[-1]
    assert notice.rcpt_tos == ["orga@club.example.org"]
    assert "enfant malade" in text_of(parsed(smtp_sink, -1))
    send(db, config, at + timedelta(minutes=30))
    assert len(smtp_sink.messages) == 3  # nothing twice (vic was already called)


def test_promotion_and_grouped_change_notice(db: Database, smtp_sink: SmtpSink) -> None:
    config = config_for(smtp_sink, event=False)
    ann, bob = person(db, "ann@example.org"), person(db, "bob@example.org")
    start = datetime(2027, 3, 20, 9, 0, tzinfo=UTC)
    eid = event(db, start, capacity=1)
    events.register(db, eid, ann, now=T0)
    events.register(db, eid, bob, now=T0)  # waiting
    send(db, config, T0)  # remembers the event as it is
    assert smtp_sink.messages == []
    events.cancel_registration(db, eid, ann, now=T0)
    events.promote_waiting(db, eid, now=T0 + timedelta(hours=1))
    send(db, config, T0 + timedelta(hours=1))
    assert smtp_sink.recipients() == ["bob@example.org"]
    assert "A place is yours" in parsed(smtp_sink, 0)["Subject"]
    events.update_event(
        db,
        eid,
        {"address": "1 place Bellecour", "city": "Lyon", "access_notes": "Badge à l'accueil"},
        now=T0,
    )
    send(db, config, T0 + timedelta(hours=2))
    send(db, config, T0 + timedelta(hours=3))
    assert len(smtp_sink.messages) == 2
    change = parsed(smtp_sink, 1)
    assert change["Subject"] == "Change to Petit-déjeuner RH"
    body = text_of(change)
    assert (
        "Address: 1 place Bellecour (was: 12 rue de la Paix)" in body
        and "City: Lyon (was: Paris)" in body
    )
    assert "Badge à l'accueil" in body


def test_a_second_run_while_one_holds_the_lease_sends_nothing(
    db: Database, smtp_sink: SmtpSink
) -> None:
    config = config_for(smtp_sink)
    ann = person(db, "ann@example.org")
    start = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)
    events.register(db, event(db, start), ann, now=T0)
    import time

    assert remind_run.acquire(db, "otherhost:1:abcd", now=time.time())
    report = send(db, config, start - timedelta(hours=20))
    assert report.busy and smtp_sink.messages == []
    remind_run.release(db, "otherhost:1:abcd")
    assert send(db, config, start - timedelta(hours=20)).sent == 1


def test_crash_recovery_marks_transmitted_rows_uncertain(db: Database, smtp_sink: SmtpSink) -> None:
    config = config_for(smtp_sink)
    ann, bob = person(db, "ann@example.org"), person(db, "bob@example.org")
    start = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)
    eid = event(db, start)
    events.register(db, eid, ann, now=T0)
    events.register(db, eid, bob, now=T0)
    at = start - timedelta(hours=20)
    with db.transaction():  # a run that died: both claimed, ann's DATA had started
        reminders.enqueue(db, config.reminders, organiser="", now=at, tz=PARIS)
        rows = reminders.claim(db, 2, now=at)
        reminders.mark_transmitting(db, rows[0].id, now=at)
    report = send(db, config, at + timedelta(minutes=15))
    assert report.recovered_uncertain == 1 and report.sent == 1
    assert smtp_sink.recipients() == [rows[1].email]
    assert reminders.counts(db)["uncertain"] == 1


def test_a_queued_reminder_whose_event_moved_waits_for_the_new_time(
    db: Database, smtp_sink: SmtpSink
) -> None:
    config = config_for(smtp_sink, change=False)
    ann = person(db, "ann@example.org")
    start = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)
    eid = event(db, start)
    events.register(db, eid, ann, now=T0)
    at = start - timedelta(hours=20)
    with db.transaction():  # a run queued it and died before claiming it
        reminders.enqueue(db, config.reminders, organiser="", now=at, tz=PARIS)
    later = start + timedelta(days=3)
    events.update_event(
        db, eid, {"starts_at": later, "ends_at": later + timedelta(hours=2)}, now=at
    )
    assert send(db, config, at + timedelta(minutes=15)).sent == 0
    assert send(db, config, later - timedelta(hours=20)).sent == 1
    assert "Saturday, March 13, 2027" in parsed(smtp_sink, 0)["Subject"]


def test_webinar_reminder_carries_the_link(db: Database, smtp_sink: SmtpSink) -> None:
    config = config_for(smtp_sink)
    ann = person(db, "ann@example.org")
    start = datetime(2027, 3, 10, 17, 0, tzinfo=UTC)
    eid = event(
        db,
        start,
        kind="webinar",
        city="",
        address="",
        access_notes="",
        online_url="https://visio.example.org/rh-2027",
    )
    events.register(db, eid, ann, now=T0)
    assert send(db, config, start - timedelta(hours=2)).sent == 1
    assert "Online link: https://visio.example.org/rh-2027" in text_of(parsed(smtp_sink, 0))


def test_one_call_for_help_per_volunteer_lists_every_open_shift(
    db: Database, smtp_sink: SmtpSink
) -> None:
    config = config_for(smtp_sink, event=False, shift=False, change=False)
    person(db, "vic@example.org", tags="volunteer")
    start = datetime(2027, 3, 10, 8, 0, tzinfo=UTC)
    eid = event(db, start)
    for role, hour in (("set-up", 0), ("cloakroom", 4)):
        rota.create_shift(
            db,
            eid,
            role=role,
            starts_at=start + timedelta(hours=hour),
            ends_at=start + timedelta(hours=hour + 2),
        )
    assert send(db, config, start - timedelta(days=2)).sent == 1
    body = text_of(parsed(smtp_sink, 0))
    assert "The shift set-up at" in body and "The shift cloakroom at" in body
    assert reminders.counts(db)["sent"] == 2  # one row per shift: neither is asked again
    assert send(db, config, start - timedelta(days=1)).sent == 0


def test_reminders_config_table(tmp_path) -> None:
    from omtui.config import load_config
    from omtui.errors import ConfigError

    path = tmp_path / "omtui.toml"
    path.write_text(
        'organiser_email = "orga@example.org"\n'
        "[reminders]\nevent_lead_hours = 12\ncall_for_help = false\n",
        encoding="utf-8",
    )
    config = load_config(path)
    assert config.organiser_email == "orga@example.org"
    assert config.reminders.event_lead_hours == 12.0 and not config.reminders.call_for_help
    assert config.reminders.shift_lead_hours == 48.0 and config.reminders.shift
    for bad in ("event_lead_hours = 0", "shift = 1", 'lead = "24h"'):
        path.write_text(f"[reminders]\n{bad}\n", encoding="utf-8")
        with pytest.raises(ConfigError):
            load_config(path)


def test_no_reminder_to_an_address_the_mailbox_marked_bounced(
    db: Database, smtp_sink: SmtpSink
) -> None:
    config = config_for(smtp_sink)
    ann, bob = person(db, "ann@example.org"), person(db, "bob@example.org")
    start = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)
    eid = event(db, start)
    events.register(db, eid, ann, now=T0)
    events.register(db, eid, bob, now=T0)
    with db.transaction():  # the mailbox's table (migration _012_mailbox), as it records a DSN
        db.execute(
            "CREATE TABLE IF NOT EXISTS email_status (email_key TEXT PRIMARY KEY,"
            " email TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'ok',"
            " soft_in_a_row INTEGER NOT NULL DEFAULT 0, status_line TEXT NOT NULL DEFAULT '',"
            " reported_at TEXT, updated_at TEXT NOT NULL)"
        )
        db.execute(
            "INSERT INTO email_status (email_key, email, status, updated_at)"
            " VALUES ('bob@example.org', 'bob@example.org', 'bounced', ?)",
            (T0.isoformat(),),
        )
    assert send(db, config, start - timedelta(hours=20)).sent == 1
    assert smtp_sink.recipients() == ["ann@example.org"]
    (row,) = reminders.in_state(db, "failed")
    assert row.email == "bob@example.org" and "bounced" in row.reply
