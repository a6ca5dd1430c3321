"""`omtui events cancel ID` tells the registrants by email, once each, in French (the
club's language), even when run twice or killed in the middle of sending: real
processes, a real SMTP server (aiosmtpd), kill -9."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path

from omtui.core import events, members, rota
from omtui.core.db import open_database
from omtui.core.mail import reminders
from tests.smtp_sink import SmtpSink, free_port

T0 = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)  # the events are after the real "now"
START = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)
PEOPLE = 6


def seed(db_path: Path, people: int = PEOPLE) -> int:
    """An event with `people` members (2 on the waiting list) and a shift nobody took."""
    db = open_database(db_path)  # a new club writes in French
    fields = {
        "kind": "lunch",
        "title": "Déjeuner",
        "starts_at": START,
        "ends_at": START + timedelta(hours=2),
        "city": "Paris",
        "address": "3 rue du Bac",
        "capacity": people - 2,
    }
    eid = events.create_event(db, fields, now=T0).id
    for i in range(people):
        member = members.add_member(
            db, {"first_name": f"P{i}", "email": f"p{i:03d}@example.org"}, now=T0
        )
        events.register(db, eid, member.id, now=T0)
    rota.create_shift(db, eid, role="accueil", starts_at=START, ends_at=START + timedelta(hours=1))
    db.close()
    return eid


def env_for(sink: SmtpSink, home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OMTUI_")}
    env.update(
        OMTUI_LANG="en",  # the organiser's interface; members read the club's French
        OMTUI_SMTP_HOST=sink.host,
        OMTUI_SMTP_PORT=str(sink.port),
        OMTUI_FROM="club@example.org",
        HOME=str(home),
    )
    return env


def cancel_argv(db_path: Path, eid: int, *extra: str) -> list[str]:
    return [sys.executable, "-m", "omtui", "--db", str(db_path), "events", "cancel", str(eid),
            "--yes", *extra]  # fmt: skip


def states(db_path: Path) -> dict[str, int]:
    db = open_database(db_path)
    try:
        return {k: v for k, v in reminders.counts(db).items() if v}
    finally:
        db.close()


def in_flight(db_path: Path) -> str | None:
    """The address whose notice is being transmitted now (DATA started), if any."""
    db = open_database(db_path)
    try:
        return db.scalar(
            "SELECT email FROM reminders WHERE state = 'sending' AND transmit_at IS NOT NULL"
        )
    finally:
        db.close()


def assert_each_got_one_french_notice(sink: SmtpSink, people: int = PEOPLE) -> None:
    got = Counter(sink.recipients())
    assert got == {f"p{i:03d}@example.org": 1 for i in range(people)}
    for received in sink.messages:
        message = message_from_bytes(received.data, policy=policy.default)
        assert message["Subject"].startswith("Annulé\u00a0: Déjeuner, mercredi 10 mars 2027")
        assert "Bonjour P" in message.get_body(("plain",)).get_content()


def test_cancel_twice_tells_each_registrant_once(
    run_cli, db_path: Path, smtp_sink: SmtpSink, isolated_dirs: Path
) -> None:
    eid = seed(db_path)
    env = env_for(smtp_sink, isolated_dirs)
    asked = run_cli("events", "cancel", str(eid), input="n\n", env=env)
    assert "Cancel Déjeuner (6 registrations)? 6 members will be told by email." in asked.stdout
    assert states(db_path) == {}
    first = run_cli("events", "cancel", str(eid), "--yes", env=env)
    assert first.returncode == 0, first.stderr
    assert "Déjeuner is cancelled; 6 registrations cancelled." in first.stdout
    assert "6 cancellation notices are waiting" in first.stdout
    assert smtp_sink.messages == []  # not sent until asked, or the next `omtui remind`
    down = {**env, "OMTUI_SMTP_PORT": str(free_port())}  # nobody listens there
    failed = run_cli("events", "cancel", str(eid), "--yes", "--send-now", env=down)
    assert failed.returncode == 1
    assert "The notices stay queued for the next `omtui remind` run." in failed.stdout
    assert states(db_path) == {"queued": 6}
    second = run_cli("events", "cancel", str(eid), "--yes", "--send-now", env=env)
    assert second.returncode == 0, second.stderr
    assert "Déjeuner was already cancelled." in second.stdout
    assert "Cancellation notices: 6 sent, 0 failed" in second.stdout
    third = run_cli("events", "cancel", str(eid), "--yes", "--send-now", env=env)
    assert third.returncode == 0 and "notices" not in third.stdout
    remind = run_cli("remind", env=env)  # cron's run afterwards sends nothing again
    assert remind.returncode == 0, remind.stderr
    assert_each_got_one_french_notice(smtp_sink)
    # the registrations show as cancelled; the shift is no gap any more
    shown = run_cli("events", "show", str(eid), env=env).stdout
    assert "Status: cancelled" in shown
    assert shown.count("  cancelled: P") == PEOPLE
    assert "GAP" not in run_cli("rota", env=env).stdout
    status = run_cli("remind", "status", env=env).stdout
    assert "sent: 6" in status


def test_send_now_killed_mid_way_then_cancel_again_tells_each_once(
    db_path: Path, smtp_sink: SmtpSink, isolated_dirs: Path
) -> None:
    eid = seed(db_path)
    env = env_for(smtp_sink, isolated_dirs)
    smtp_sink.behaviour.reply_delay = 2.0  # the server keeps each mail, then answers late
    proc = subprocess.Popen(
        cancel_argv(db_path, eid, "--send-now"),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while True:  # the 3rd notice is with the server, its sender still waits for the answer
        assert proc.poll() is None and time.monotonic() < deadline, proc.stderr
        victim = in_flight(db_path)
        if len(smtp_sink.messages) >= 3 and victim in smtp_sink.recipients():
            break
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    smtp_sink.behaviour.reply_delay = 0
    again = subprocess.run(
        cancel_argv(db_path, eid, "--send-now"), env=env, capture_output=True, timeout=120
    )
    out = again.stdout.decode()
    assert "Déjeuner was already cancelled." in out
    assert "1 uncertain" in out  # the one in flight when killed: maybe received, not resent
    assert_each_got_one_french_notice(smtp_sink)
    assert states(db_path) == {"sent": PEOPLE - 1, "uncertain": 1}


def test_edit_status_cancelled_queues_the_notices_too(
    run_cli, db_path: Path, smtp_sink: SmtpSink, isolated_dirs: Path
) -> None:
    eid = seed(db_path, 3)
    env = env_for(smtp_sink, isolated_dirs)
    edited = run_cli("events", "edit", str(eid), "--status", "cancelled", env=env)
    assert edited.returncode == 0, edited.stderr
    assert "3 cancellation notices are waiting" in edited.stdout
    assert states(db_path) == {"queued": 3}
    sent = run_cli("remind", env=env)  # cron's run sends them
    assert "3 sent" in sent.stdout
    assert_each_got_one_french_notice(smtp_sink, 3)
