"""The send loop against a real aiosmtpd server: delivery, retries, failures, pauses."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest

from omtui.config import Config, SmtpConfig
from omtui.core import outbox, sender
from omtui.core.db import Database
from omtui.core.mailer import RetryPolicy
from omtui.core.newsletter import create_draft, get_newsletter
from omtui.errors import OmtuiError
from tests.core.test_newsletter import add_many, add_people, parse
from tests.smtp_sink import SinkBehaviour, SmtpSink, free_port

FAST = RetryPolicy(max_attempts=4, base_delay=0.01, max_delay=0.05, connect_attempts=2)


def make_config(host: str, port: int, **smtp) -> Config:
    settings = {"concurrency": 4, "rate": 0.0, "from_address": "news@club.example.org", **smtp}
    return Config(
        unsubscribe_url="https://club.example.org/u",
        smtp=SmtpConfig(host=host, port=port, **settings),
    )


def started(db: Database, config: Config, now: datetime, **draft) -> int:
    nl = create_draft(
        db,
        subject=draft.pop("subject", "Les nouvelles de l'été"),
        body=draft.pop("body", "Bonjour {first_name},\n\n{upcoming_events}\n"),
        now=now,
        **draft,
    )
    sender.start_send(db, nl.id, config, sender.prepare(db, nl.id, config), now=now)
    return nl.id


async def test_each_subscriber_gets_exactly_one_message_unsubscribed_none(
    db: Database, db_path: Path, now: datetime, smtp_sink: SmtpSink
) -> None:
    add_people(db, now)
    add_many(db, 40, now)
    config = make_config(smtp_sink.host, smtp_sink.port)
    nid = started(db, config, now)
    seen: list[sender.SendProgress] = []
    threads: set[int] = set()

    def on_progress(p: sender.SendProgress) -> None:
        seen.append(p)
        threads.add(threading.get_ident())

    outcome = await sender.send_newsletter(
        db_path, nid, config, on_progress=on_progress, clock=lambda: now, policy=FAST
    )
    assert threads == {threading.get_ident()}  # reports come on the event loop's thread
    assert outcome.state == "sent" and outcome.progress.sent == 44
    got = Counter(smtp_sink.recipients())
    assert len(got) == 44 and set(got.values()) == {1}
    assert "zoe@example.fr" not in got
    by_rcpt = {m.rcpt_tos[0]: m for m in smtp_sink.messages}
    msg = parse(by_rcpt["helene.dupre@example.fr"].data)
    assert msg["To"].addresses[0].display_name == "Hélène Dupré"
    assert str(msg["Subject"]) == "Les nouvelles de l'été"
    assert msg.get_body(("plain",)).get_content().startswith("Bonjour Hélène,")
    assert smtp_sink.messages[0].mail_from == "news@club.example.org"
    nl = get_newsletter(db, nid)
    assert nl.status == "sent" and nl.sent_at == now
    assert seen[-1].state == "sent" and not seen[-1].running and seen[-1].sent == 44
    ids = {r["message_id"] for r in db.query("SELECT message_id FROM outbox")}
    assert len(ids) == 44 and msg["Message-ID"] in ids


async def test_451_then_250_is_retried_and_delivered_once(
    db: Database, db_path: Path, now: datetime, smtp_sink: SmtpSink
) -> None:
    add_many(db, 5, now)
    smtp_sink.behaviour.temp_failures = 2
    config = make_config(smtp_sink.host, smtp_sink.port, concurrency=1)
    nid = started(db, config, now)
    outcome = await sender.send_newsletter(db_path, nid, config, policy=FAST)
    assert outcome.state == "sent"
    assert sorted(Counter(smtp_sink.recipients()).values()) == [1] * 5
    attempts = db.scalar("SELECT attempts FROM outbox ORDER BY id LIMIT 1")
    assert attempts == 1  # one claim; the retries happen within it


async def test_550_fails_that_recipient_with_the_reply_others_sent(
    db: Database, db_path: Path, now: datetime, smtp_sink: SmtpSink
) -> None:
    add_many(db, 6, now)
    smtp_sink.behaviour.reject["user0003@example.org"] = "550 5.1.1 No such user here"
    config = make_config(smtp_sink.host, smtp_sink.port)
    nid = started(db, config, now)
    outcome = await sender.send_newsletter(db_path, nid, config, policy=FAST)
    assert outcome.state == "sent"
    assert outcome.progress.failed == 1 and outcome.progress.sent == 5
    [row] = outbox.rows_in_state(db, nid, "failed")
    assert row.email == "user0003@example.org" and row.reply == "550 5.1.1 No such user here"
    assert "user0003@example.org" not in smtp_sink.recipients()


async def test_connection_dropped_mid_send_is_retried(
    db: Database, db_path: Path, now: datetime, smtp_sink: SmtpSink
) -> None:
    add_many(db, 12, now)
    smtp_sink.behaviour.drop_after = 5
    config = make_config(smtp_sink.host, smtp_sink.port, concurrency=2)
    nid = started(db, config, now)
    outcome = await sender.send_newsletter(db_path, nid, config, policy=FAST)
    assert outcome.state == "sent" and outcome.progress.sent == 12
    assert sorted(Counter(smtp_sink.recipients()).values()) == [1] * 12


async def test_server_down_pauses_instead_of_failing_everyone(
    db: Database, db_path: Path, now: datetime
) -> None:
    add_many(db, 10, now)
    config = make_config("127.0.0.1", free_port())
    nid = started(db, config, now)
    outcome = await sender.send_newsletter(db_path, nid, config, policy=FAST)
    assert outcome.state == "paused"
    assert "cannot be reached" in outcome.reason and "resume" in outcome.reason
    counts = outbox.counts(db, nid)
    assert counts["queued"] == 10 and counts["failed"] == 0 and counts["uncertain"] == 0
    assert get_newsletter(db, nid).pause_reason == outcome.reason
    # The server comes back: the same call resumes and finishes.
    sink = SmtpSink()
    sink.port = config.smtp.port
    sink._controller.port = config.smtp.port
    sink.start()
    try:
        outcome = await sender.send_newsletter(db_path, nid, config, policy=FAST)
    finally:
        sink.stop()
    assert outcome.state == "sent" and len(sink.recipients()) == 10


async def test_too_many_errors_in_a_row_pause_the_send(
    db: Database, db_path: Path, now: datetime, smtp_sink: SmtpSink
) -> None:
    add_many(db, 30, now)
    for i in range(30):
        smtp_sink.behaviour.reject[f"user{i:04d}@example.org"] = "554 5.7.1 Blocked"
    config = make_config(smtp_sink.host, smtp_sink.port, concurrency=1, max_consecutive_errors=5)
    nid = started(db, config, now)
    outcome = await sender.send_newsletter(db_path, nid, config, policy=FAST)
    assert outcome.state == "paused"
    assert outcome.reason == "5 errors in a row, the last one: 554 5.7.1 Blocked"
    counts = outbox.counts(db, nid)
    assert counts["failed"] == 5 and counts["queued"] == 25 and counts["sending"] == 0


async def test_pause_from_another_thread_then_resume(
    db: Database, db_path: Path, now: datetime, smtp_sink: SmtpSink
) -> None:
    add_many(db, 60, now)
    smtp_sink.behaviour.delay = 0.02
    config = make_config(smtp_sink.host, smtp_sink.port, concurrency=2)
    nid = started(db, config, now)
    control = sender.SendControl()

    def on_progress(p: sender.SendProgress) -> None:
        if p.sent >= 10:
            threading.Thread(target=control.pause).start()

    outcome = await sender.send_newsletter(
        db_path, nid, config, control=control, on_progress=on_progress, policy=FAST
    )
    assert outcome.state == "paused" and outcome.reason == "paused by the organiser"
    counts = outbox.counts(db, nid)
    assert counts["sending"] == 0 and counts["uncertain"] == 0
    assert 10 <= counts["sent"] < 60 and counts["sent"] == len(smtp_sink.recipients())
    outcome = await sender.send_newsletter(db_path, nid, config, policy=FAST)
    assert outcome.state == "sent"
    assert sorted(Counter(smtp_sink.recipients()).values()) == [1] * 60


async def test_cancel_stops_for_good(
    db: Database, db_path: Path, now: datetime, smtp_sink: SmtpSink
) -> None:
    add_many(db, 30, now)
    smtp_sink.behaviour.delay = 0.02
    config = make_config(smtp_sink.host, smtp_sink.port, concurrency=1)
    nid = started(db, config, now)
    control = sender.SendControl()
    outcome = await sender.send_newsletter(
        db_path,
        nid,
        config,
        control=control,
        on_progress=lambda p: control.cancel() if p.sent >= 3 else None,
        policy=FAST,
    )
    assert outcome.state == "cancelled"
    assert get_newsletter(db, nid).status == "cancelled"
    with pytest.raises(OmtuiError, match="cancelled"):
        await sender.send_newsletter(db_path, nid, config, policy=FAST)


async def test_rows_in_flight_at_a_crash_become_uncertain_and_are_not_resent(
    db: Database, db_path: Path, now: datetime, smtp_sink: SmtpSink
) -> None:
    add_many(db, 8, now)
    config = make_config(smtp_sink.host, smtp_sink.port)
    nid = started(db, config, now)
    crashed = outbox.claim(db, nid, 3, now=now)  # as a killed process would leave them
    outcome = await sender.send_newsletter(db_path, nid, config, policy=FAST)
    assert outcome.state == "sent" and outcome.recovered_uncertain == 3
    uncertain = {r.email for r in outbox.rows_in_state(db, nid, "uncertain")}
    assert uncertain == {r.email for r in crashed}
    assert not uncertain & set(smtp_sink.recipients()) and len(smtp_sink.recipients()) == 5
    outcome = await sender.send_newsletter(db_path, nid, config, resend_uncertain=True)
    assert outcome.state == "sent" and outbox.counts(db, nid)["sent"] == 8
    assert sorted(Counter(smtp_sink.recipients()).values()) == [1] * 8


def test_test_send_goes_to_one_address_only(
    db: Database, now: datetime, smtp_sink: SmtpSink
) -> None:
    add_people(db, now)
    config = make_config(smtp_sink.host, smtp_sink.port)
    nl = create_draft(db, subject="Édition", body="Hi {first_name}", now=now)
    sender.send_test(db, nl.id, config, "jerome@example.fr", now=now)
    [message] = smtp_sink.messages
    assert message.rcpt_tos == ["jerome@example.fr"]
    msg = parse(message.data)
    assert str(msg["Subject"]) == "[TEST] Édition"
    assert msg.get_body(("plain",)).get_content().startswith("Hi Jérôme")
    assert get_newsletter(db, nl.id).status == "draft"


def test_two_processes_cannot_send_the_same_newsletter(db: Database, db_path: Path) -> None:
    with sender._send_lock(db_path, 1):
        assert sender.is_running(db_path, 1)
        with pytest.raises(OmtuiError, match="another process"), sender._send_lock(db_path, 1):
            pass
    assert not sender.is_running(db_path, 1)


def test_rate_is_held_with_no_one_second_window_over_it(
    db: Database, db_path: Path, now: datetime
) -> None:
    add_many(db, 50, now)
    sink = SmtpSink(SinkBehaviour())
    sink.start()
    try:
        config = make_config(sink.host, sink.port, concurrency=4, rate=20.0)
        nid = started(db, config, now)
        outcome = sender.run_send(db_path, nid, config, policy=FAST)
    finally:
        sink.stop()
    assert outcome.state == "sent"
    times = sorted(m.at for m in sink.messages)
    achieved = (len(times) - 1) / (times[-1] - times[0])
    assert abs(achieved - 20) / 20 <= 0.05, achieved
    worst = max(sum(1 for t in times if start <= t < start + 1.0) for start in times)
    assert worst <= 20


async def test_international_addresses(
    db: Database, db_path: Path, now: datetime, smtp_sink: SmtpSink
) -> None:
    """An accented domain goes out in its IDNA form; an accented local part needs SMTPUTF8,
    which this server lacks: that one recipient fails with a reply saying so."""
    add_people(db, now, [
        ("Hélène", "Dupré", "h.dupre@cœurdeville.fr", "Lyon", "", True),
        ("Zoé", "Roux", "zoé@example.fr", "Lyon", "", True),
        ("Ann", "Lee", "ann@example.org", "Lyon", "", True),
    ])  # fmt: skip
    config = make_config(smtp_sink.host, smtp_sink.port)
    nid = started(db, config, now)
    outcome = await sender.send_newsletter(db_path, nid, config, policy=FAST)
    assert sorted(smtp_sink.recipients()) == ["ann@example.org", "h.dupre@xn--curdeville-m5b.fr"]
    [failed] = outbox.rows_in_state(db, nid, "failed")
    assert failed.email == "zoé@example.fr" and "SMTPUTF8" in failed.reply
    assert outcome.progress.failed == 1
    msg = parse(next(m for m in smtp_sink.messages if m.rcpt_tos[0].startswith("h.")).data)
    assert msg["To"].addresses[0].display_name == "Hélène Dupré"
