"""The send loop against a real aiosmtpd server: delivery, retries, failures, pauses."""

from __future__ import annotations

import threading
import time
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
from tests.smtp_sink import HangingServer, SinkBehaviour, SmtpSink, free_port

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


async def test_connection_dropped_before_data_is_retried_and_delivered_once(
    db: Database, db_path: Path, now: datetime, smtp_sink: SmtpSink
) -> None:
    add_many(db, 12, now)
    smtp_sink.behaviour.drop_at_rcpt = 2
    config = make_config(smtp_sink.host, smtp_sink.port, concurrency=2)
    nid = started(db, config, now)
    outcome = await sender.send_newsletter(db_path, nid, config, policy=FAST)
    assert outcome.state == "sent" and outcome.progress.sent == 12
    assert sorted(Counter(smtp_sink.recipients()).values()) == [1] * 12


async def test_connection_dropped_after_the_message_is_uncertain_never_resent(
    db: Database, db_path: Path, now: datetime, smtp_sink: SmtpSink
) -> None:
    """The server kept the 3rd and 7th messages but the connection broke before its reply:
    they may have been accepted, so they are `uncertain`, not sent a second time."""
    add_many(db, 12, now)
    smtp_sink.behaviour.drop_after_accepting = {3, 7}
    config = make_config(smtp_sink.host, smtp_sink.port, concurrency=2)
    nid = started(db, config, now)
    outcome = await sender.send_newsletter(db_path, nid, config, policy=FAST)
    assert outcome.state == "sent"
    assert outcome.progress.sent == 10 and outcome.progress.uncertain == 2
    got = Counter(smtp_sink.recipients())
    assert len(got) == 12 and set(got.values()) == {1}  # nobody twice, nobody missing
    uncertain = outbox.rows_in_state(db, nid, "uncertain")
    assert {r.email for r in uncertain} == {
        smtp_sink.messages[2].rcpt_tos[0],
        smtp_sink.messages[6].rcpt_tos[0],
    }
    assert all("may have been accepted" in r.reply for r in uncertain)


async def test_a_late_reply_after_the_message_is_uncertain_with_its_own_timeout(
    db: Database, db_path: Path, now: datetime, smtp_sink: SmtpSink
) -> None:
    """The per-command timeout does not cut the wait for the end-of-DATA reply short;
    `data_timeout` does, and then the row is uncertain and never resent."""
    add_many(db, 3, now)
    smtp_sink.behaviour.delay = 0.6  # each DATA reply comes 0.6 s late
    config = make_config(smtp_sink.host, smtp_sink.port, concurrency=1, timeout=0.3)
    nid = started(db, config, now)
    outcome = await sender.send_newsletter(db_path, nid, config, policy=FAST)
    assert outcome.state == "sent" and outcome.progress.sent == 3  # waited past `timeout`
    config = make_config(
        smtp_sink.host, smtp_sink.port, concurrency=1, timeout=5.0, data_timeout=0.2
    )
    nid = started(db, config, now)
    outcome = await sender.send_newsletter(db_path, nid, config, policy=FAST)
    assert outcome.progress.uncertain == 3 and outcome.progress.failed == 0
    assert len(smtp_sink.messages) == 6  # each message handed over once, never retried


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


@pytest.mark.parametrize("hang_at", ["greeting", "data"])
async def test_a_hanging_server_pauses_the_send_and_fails_nobody(
    db: Database, db_path: Path, now: datetime, hang_at: str
) -> None:
    """A relay that greets then hangs (or hangs at the DATA command, before its 354):
    nothing can have been accepted, so nobody is failed or uncertain; the send pauses."""
    add_many(db, 6, now)
    server = HangingServer(hang_at)
    try:
        config = make_config(server.host, server.port, concurrency=2, timeout=0.2)
        nid = started(db, config, now)
        outcome = await sender.send_newsletter(db_path, nid, config, policy=FAST)
    finally:
        server.stop()
    assert outcome.state == "paused" and "resume" in outcome.reason
    counts = outbox.counts(db, nid)
    assert counts["queued"] == 6 and counts["failed"] == counts["uncertain"] == 0
    assert server.connections >= 2


async def test_helo_name_configured_or_from_the_sending_domain(
    db: Database, db_path: Path, now: datetime, smtp_sink: SmtpSink
) -> None:
    import socket

    from omtui.core.mailer import helo_name

    add_many(db, 2, now)
    config = make_config(smtp_sink.host, smtp_sink.port, helo_name="relay-client.club.fr")
    nid = started(db, config, now)
    await sender.send_newsletter(db_path, nid, config, policy=FAST)
    assert {m.helo for m in smtp_sink.messages} == {"relay-client.club.fr"}
    fqdn = socket.getfqdn()
    expected = fqdn if "." in fqdn and not fqdn.startswith("localhost") else "club.example.org"
    assert helo_name("", "news@club.example.org") == expected
    assert helo_name("", "news@cœur.fr") in (fqdn, "cœur.fr".encode("idna").decode())
    plain = make_config(smtp_sink.host, smtp_sink.port)
    await sender.send_test_async(db, nid, plain, "me@x.org", now=now)
    assert smtp_sink.messages[-1].helo == expected  # never "localhost" (here: no dot)


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
    claimed = outbox.claim(db, nid, 5, now=now)  # as a killed process would leave them:
    crashed = claimed[:3]  # three had started their DATA, two were only claimed
    outbox.mark_transmitting(db, [r.id for r in crashed], now=now)
    outcome = await sender.send_newsletter(db_path, nid, config, policy=FAST)
    assert outcome.state == "sent" and outcome.recovered_uncertain == 3
    uncertain = {r.email for r in outbox.rows_in_state(db, nid, "uncertain")}
    assert uncertain == {r.email for r in crashed}
    assert not uncertain & set(smtp_sink.recipients()) and len(smtp_sink.recipients()) == 5
    assert {r.email for r in claimed[3:]} <= set(smtp_sink.recipients())
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


def test_one_sender_per_newsletter_through_a_lease_in_the_database(
    db: Database, db_path: Path, now: datetime, smtp_sink: SmtpSink, tmp_path: Path
) -> None:
    """A second sender is refused even through a symlink to the file; no lock file is
    left; a lease not renewed for 30 s, or held by a dead process, is taken over."""
    from omtui.core import send_lease

    add_many(db, 4, now)
    config = make_config(smtp_sink.host, smtp_sink.port)
    nid = started(db, config, now)
    link = tmp_path / "elsewhere" / "link.db"
    link.parent.mkdir()
    link.symlink_to(db_path)
    send_lease.acquire(db, nid, "another-host:1:a", now=time.time())
    assert sender.is_running(db, nid) and sender.progress(db, nid).running
    with pytest.raises(OmtuiError, match="another process"):
        sender.run_send(link, nid, config, policy=FAST)
    db.execute("UPDATE send_leases SET renewed_at = renewed_at - 31")  # not renewed for 31 s
    assert sender.run_send(link, nid, config, policy=FAST).state == "sent"
    assert db.scalar("SELECT count(*) FROM send_leases") == 0  # released at the end
    assert sorted(p.name for p in tmp_path.rglob("*lock*")) == []
    dead = subprocess_pid_that_exited()
    import socket

    send_lease.acquire(db, nid, f"{socket.gethostname()}:{dead}:b", now=time.time())
    assert not sender.is_running(db, nid)  # its holder was killed: taken over at once


def subprocess_pid_that_exited() -> int:
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    return int(proc.stdout)


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


def test_the_rate_is_shared_by_senders_running_at_the_same_time(
    db: Database, db_path: Path, now: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two sends at once (each with its own event loop and connection, as two processes
    would have): the relay never sees more than the club's `rate` in any second."""
    from omtui.core import send_lease

    monkeypatch.setattr(send_lease, "RENEW_EVERY", 0.3)
    add_many(db, 30, now)
    sink = SmtpSink()
    sink.start()
    try:
        config = make_config(sink.host, sink.port, concurrency=4, rate=10.0)
        first, second = started(db, config, now), started(db, config, now)
        outcomes: dict[int, sender.SendOutcome] = {}

        def send(nid: int) -> None:
            outcomes[nid] = sender.run_send(db_path, nid, config, policy=FAST)

        one = threading.Thread(target=send, args=(first,))
        one.start()
        deadline = time.monotonic() + 10
        while len(sink.messages) < 8:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        two = threading.Thread(target=send, args=(second,))
        two.start()
        one.join(30)
        two.join(30)
    finally:
        sink.stop()
    assert {o.state for o in outcomes.values()} == {"sent"} and len(sink.messages) == 60
    times = sorted(m.at for m in sink.messages)
    worst = max(sum(1 for t in times if start <= t < start + 1.0) for start in times)
    assert worst <= 10, worst
    by_send = {
        nid: [m.at for m in sink.messages if f".nl{nid}.".encode() in m.data.split(b"\r\n\r\n")[0]]
        for nid in (first, second)
    }
    assert min(by_send[second]) < max(by_send[first])  # they did run at the same time
    assert db.scalar("SELECT count(*) FROM send_leases") == 0


@pytest.mark.parametrize("smtputf8", [True, False])
async def test_international_addresses(
    db: Database, db_path: Path, now: datetime, smtputf8: bool
) -> None:
    """An accented domain goes out in its IDNA form; an accented local part needs SMTPUTF8,
    asked for after EHLO: delivered when the server offers it, else that one recipient
    fails (permanently) with a reply saying so, wherever it is in the queue."""
    add_people(db, now, [
        ("Zoé", "Roux", "zoé@example.fr", "Lyon", "", True),
        ("Hélène", "Dupré", "h.dupre@cœurdeville.fr", "Lyon", "", True),
        ("René", "Brûlé", "rené.brûlé@exemple.fr", "Lyon", "", True),
        ("Ann", "Lee", "ann@example.org", "Lyon", "", True),
    ])  # fmt: skip
    sink = SmtpSink(enable_SMTPUTF8=smtputf8)
    sink.start()
    try:
        config = make_config(sink.host, sink.port, concurrency=1)
        nid = started(db, config, now)
        outcome = await sender.send_newsletter(db_path, nid, config, policy=FAST)
    finally:
        sink.stop()
    ascii_ones = ["ann@example.org", "h.dupre@xn--curdeville-m5b.fr"]
    accented = ["rené.brûlé@exemple.fr", "zoé@example.fr"]
    if smtputf8:
        assert sorted(sink.recipients()) == sorted(ascii_ones + accented)
        assert outcome.progress.failed == 0 and outcome.progress.sent == 4
        mail = next(m for m in sink.messages if m.rcpt_tos == ["zoé@example.fr"])
        assert "\r\nTo: =?utf-8?b?Wm/DqSBSb3V4?= <zoé@example.fr>\r\n".encode() in mail.data
    else:
        assert sorted(sink.recipients()) == ascii_ones
        failed = outbox.rows_in_state(db, nid, "failed")
        assert sorted(r.email for r in failed) == accented
        assert all("SMTPUTF8" in r.reply and r.fail_kind == "permanent" for r in failed)
    msg = parse(next(m for m in sink.messages if m.rcpt_tos[0].startswith("h.")).data)
    assert msg["To"].addresses[0].display_name == "Hélène Dupré"


async def test_member_unsubscribing_during_a_pause_is_not_sent_to(
    db: Database, db_path: Path, now: datetime, smtp_sink: SmtpSink
) -> None:
    from omtui.core import members

    add_people(db, now)
    config = make_config(smtp_sink.host, smtp_sink.port)
    nid = started(db, config, now)  # 4 recipients frozen, Ann among them
    members.unsubscribe_email(db, "ann@example.org", now=now)
    seen: list[sender.SendProgress] = []
    outcome = await sender.send_newsletter(db_path, nid, config, on_progress=seen.append)
    assert "ann@example.org" not in smtp_sink.recipients() and len(smtp_sink.recipients()) == 3
    assert outcome.progress.failed == 1 and all(p.failed <= 1 for p in seen)
    [row] = outbox.rows_in_state(db, nid, "failed")
    assert row.email == "ann@example.org" and row.reply == outbox.UNSUBSCRIBED_REPLY
