"""`omtui remind` as cron runs it: real processes, a real SMTP server, kill -9, two at once."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from omtui.core import events, members
from omtui.core.db import open_database
from omtui.core.mail import reminders
from tests.smtp_sink import SmtpSink

T0 = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
START = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)
DUE = "2027-03-09T12:00:00+00:00"  # 21 hours before the start: the event reminder is due


def seed(db_path: Path, people: int) -> None:
    db = open_database(db_path)
    fields = {
        "kind": "lunch",
        "title": "Déjeuner",
        "starts_at": START,
        "city": "Paris",
        "ends_at": START + timedelta(hours=2),
        "address": "3 rue du Bac",
    }
    eid = events.create_event(db, fields, now=T0).id
    for i in range(people):
        member = members.add_member(
            db, {"first_name": f"P{i}", "email": f"p{i:03d}@example.org"}, now=T0
        )
        events.register(db, eid, member.id, now=T0)
    db.close()


def write_config(tmp_path: Path) -> Path:
    path = tmp_path / "omtui.toml"
    path.write_text(
        'club_name = "Club"\norganiser_email = "orga@example.org"\n'
        "[smtp]\nrate = 0\n[reminders]\nshift_lead_hours = 36\n",
        encoding="utf-8",
    )
    return path


def env_for(sink: SmtpSink, home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OMTUI_")}
    env.update(
        OMTUI_LANG="en",
        OMTUI_SMTP_HOST=sink.host,
        OMTUI_SMTP_PORT=str(sink.port),
        OMTUI_FROM="club@example.org",
        HOME=str(home),
    )
    return env


def argv(db_path: Path, config: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "omtui",
        "--db",
        str(db_path),
        "--config",
        str(config),
        "remind",
        "--now",
        DUE,
        *extra,
    ]


def states(db_path: Path) -> dict[str, int]:
    db = open_database(db_path)
    try:
        return reminders.counts(db)
    finally:
        db.close()


def test_dry_run_lists_and_sends_nothing(
    run_cli, db_path: Path, tmp_path: Path, smtp_sink: SmtpSink, isolated_dirs: Path
) -> None:
    seed(db_path, 2)
    config = write_config(tmp_path)
    env = env_for(smtp_sink, isolated_dirs)
    result = run_cli("--config", str(config), "remind", "--now", DUE, "--dry-run", env=env)
    assert result.returncode == 0, result.stderr
    assert "event reminder  to p000@example.org" in result.stdout
    as_json = run_cli(
        "--config", str(config), "remind", "--now", DUE, "--dry-run", "--json", env=env
    )
    assert [d["email"] for d in json.loads(as_json.stdout)] == [
        "p000@example.org",
        "p001@example.org",
    ]
    assert smtp_sink.messages == [] and sum(states(db_path).values()) == 0
    sent = run_cli("--config", str(config), "remind", "--now", DUE, env=env)
    assert sent.returncode == 0, sent.stderr
    assert "2 sent, 0 failed, 0 uncertain, 0 skipped (late)" in sent.stdout
    again = run_cli("--config", str(config), "remind", "--now", DUE, env=env)
    assert "0 sent" in again.stdout and len(smtp_sink.messages) == 2


def test_declined_reminders_show_in_the_history(
    run_cli, db_path: Path, tmp_path: Path, smtp_sink: SmtpSink, isolated_dirs: Path
) -> None:
    seed(db_path, 2)
    config = write_config(tmp_path)
    env = env_for(smtp_sink, isolated_dirs)
    declined = run_cli("remind", "decline", "p001@example.org")
    assert declined.returncode == 0 and "will get no reminders" in declined.stdout
    history = run_cli("members", "history", "p001@example.org")
    assert "declined reminders" in history.stdout and "subscribed" in history.stdout
    as_json = json.loads(run_cli("members", "history", "p001@example.org", "--json").stdout)
    assert [e["purpose"] for e in as_json] == ["newsletter", "reminders"]
    run_cli("--config", str(config), "remind", "--now", DUE, env=env)
    assert smtp_sink.recipients() == ["p000@example.org"]


def test_two_runs_at_once_send_each_reminder_once(
    db_path: Path, tmp_path: Path, smtp_sink: SmtpSink, isolated_dirs: Path
) -> None:
    seed(db_path, 40)
    smtp_sink.behaviour.delay = 0.02
    config = write_config(tmp_path)
    env = env_for(smtp_sink, isolated_dirs)
    procs = [
        subprocess.Popen(
            argv(db_path, config), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    said = b"".join(out for out, _err in outputs).decode()
    assert "another omtui remind is running; this one sent nothing" in said
    got = Counter(smtp_sink.recipients())
    assert len(got) == 40 and set(got.values()) == {1}
    assert states(db_path)["sent"] == 40


def test_kill_9_mid_run_then_rerun_sends_nothing_twice(
    db_path: Path, tmp_path: Path, smtp_sink: SmtpSink, isolated_dirs: Path
) -> None:
    seed(db_path, 80)
    smtp_sink.behaviour.delay = 0.02
    config = write_config(tmp_path)
    env = env_for(smtp_sink, isolated_dirs)
    rng = random.Random(11)
    kills = 0
    for _round in range(5):  # kill -9 at random moments, each run picking up the last
        target = len(smtp_sink.messages) + rng.randint(3, 10)
        proc = subprocess.Popen(
            argv(db_path, config), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + 60
        while len(smtp_sink.messages) < target and proc.poll() is None:
            assert time.monotonic() < deadline
            time.sleep(0.002)
        time.sleep(rng.random() * 0.03)  # anywhere in a message's life
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            kills += 1
        proc.wait(timeout=10)
    assert kills >= 4
    assert states(db_path)["queued"] > 0  # killed mid-run
    rerun = subprocess.run(argv(db_path, config), env=env, capture_output=True, timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    after = states(db_path)
    got = Counter(smtp_sink.recipients())
    assert max(got.values()) == 1  # nobody twice
    assert after["sending"] == after["queued"] == after["failed"] == 0
    assert after["uncertain"] <= kills  # at most the one whose DATA had started, per crash
    assert after["sent"] + after["uncertain"] == 80
    assert len(got) >= after["sent"]


def test_server_down_exits_1_records_the_run_and_keeps_the_reminders(
    run_cli, db_path: Path, tmp_path: Path, smtp_sink: SmtpSink, isolated_dirs: Path
) -> None:
    seed(db_path, 2)
    config = write_config(tmp_path)
    down = env_for(smtp_sink, isolated_dirs) | {"OMTUI_SMTP_PORT": "9"}
    result = run_cli("--config", str(config), "remind", "--now", DUE, env=down)
    assert result.returncode == 1 and "cannot be reached" in result.stdout
    status = json.loads(run_cli("remind", "status", "--json").stdout)
    assert status["counts"]["queued"] == 2 and status["last_run"]["ok"] is False
    ok = run_cli(
        "--config", str(config), "remind", "--now", DUE, env=env_for(smtp_sink, isolated_dirs)
    )
    assert ok.returncode == 0 and "2 sent" in ok.stdout
    status = json.loads(run_cli("remind", "status", "--json").stdout)
    assert status["counts"]["sent"] == 2 and status["last_run"]["ok"] is True


def test_uncertain_reminders_are_listed_and_resent_only_when_asked(
    run_cli, db_path: Path, tmp_path: Path, smtp_sink: SmtpSink, isolated_dirs: Path
) -> None:
    seed(db_path, 2)
    config = write_config(tmp_path)
    env = env_for(smtp_sink, isolated_dirs)
    smtp_sink.behaviour.drop_after_accepting = {1}  # kept, but no reply: maybe received
    first = run_cli("--config", str(config), "remind", "--now", DUE, env=env)
    assert "1 sent, 0 failed, 1 uncertain" in first.stdout
    status = run_cli("remind", "status")
    assert "p000@example.org" in status.stdout and "--resend-uncertain" in status.stdout
    again = run_cli("--config", str(config), "remind", "--now", DUE, env=env)
    assert "0 sent" in again.stdout and len(smtp_sink.messages) == 2
    resend = run_cli("--config", str(config), "remind", "--now", DUE, "--resend-uncertain", env=env)
    assert "1 sent" in resend.stdout
    assert Counter(smtp_sink.recipients())["p000@example.org"] == 2
