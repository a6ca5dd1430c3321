"""`omtui newsletter ...` in a real subprocess, against a real SMTP server."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from omtui.core import outbox
from omtui.core.db import open_database
from omtui.core.demo import DEMO_NOW
from tests.core.test_newsletter import add_many, add_people
from tests.smtp_sink import SmtpSink

FROM = "lettre@club-exemple.fr"


def sink_env(sink: SmtpSink) -> dict[str, str]:
    return {"OMTUI_SMTP_HOST": sink.host, "OMTUI_SMTP_PORT": str(sink.port), "OMTUI_FROM": FROM}


def write_config(tmp_path: Path, **smtp) -> Path:
    path = tmp_path / "omtui.toml"
    lines = ['club_name = "Club des Office Managers"', "[smtp]"]
    lines += [f"{k} = {json.dumps(v)}" for k, v in smtp.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def seed(db_path: Path, people: int = 0) -> None:
    db = open_database(db_path)
    add_people(db, DEMO_NOW)
    if people:
        add_many(db, people, DEMO_NOW)
    db.close()


def new_draft(run_cli, tmp_path: Path, body: str = "Bonjour {first_name} !\n", *extra) -> str:
    body_file = tmp_path / "body.md"
    body_file.write_text(body, encoding="utf-8")
    result = run_cli("newsletter", "new", "--subject", "Nouvelles de l'été", "--body",
                     str(body_file), *extra)  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_new_list_status_json(run_cli, db_path: Path, tmp_path: Path) -> None:
    seed(db_path)
    nid = new_draft(run_cli, tmp_path, "Hi", "--tag", "volunteer", "--city", "Lyon")
    assert nid == "1"
    listed = json.loads(run_cli("newsletter", "list", "--json").stdout)
    assert listed[0]["status"] == "draft" and listed[0]["audience_tags"] == ["volunteer"]
    assert listed[0]["audience_size"] == 1  # Hélène: volunteer in Lyon
    text = run_cli("newsletter", "list").stdout
    assert "Nouvelles de l'été" in text and "1 would receive it" in text
    status = json.loads(run_cli("newsletter", "status", nid, "--json").stdout)
    assert status["state"] == "draft" and status["total"] == 0


def test_unknown_placeholder_is_refused_with_advice(run_cli, db_path: Path, tmp_path: Path) -> None:
    body_file = tmp_path / "b.md"
    body_file.write_text("Hello {frist_name}", encoding="utf-8")
    result = run_cli("newsletter", "new", "--subject", "S", "--body", str(body_file))
    assert result.returncode == 1
    assert "unknown placeholder {frist_name}" in result.stderr and "{first_name}" in result.stderr
    assert json.loads(run_cli("newsletter", "list", "--json").stdout) == []


def test_test_send(run_cli, db_path: Path, tmp_path: Path, smtp_sink: SmtpSink) -> None:
    seed(db_path)
    nid = new_draft(run_cli, tmp_path)
    result = run_cli("newsletter", "test", nid, "--to", "me@example.net", env=sink_env(smtp_sink))
    assert result.returncode == 0, result.stderr
    assert "Test message sent to me@example.net" in result.stdout
    assert smtp_sink.recipients() == ["me@example.net"]


def test_send_needs_the_typed_count_and_shows_the_plan(
    run_cli, db_path: Path, tmp_path: Path, smtp_sink: SmtpSink
) -> None:
    seed(db_path)
    nid = new_draft(run_cli, tmp_path)
    env = sink_env(smtp_sink)
    wrong = run_cli("newsletter", "send", nid, input="3\n", env=env)
    assert wrong.returncode == 1 and "nothing was sent" in wrong.stderr
    assert "will go to 4 members" in wrong.stdout and "unsubscribed: 1" in wrong.stdout
    assert smtp_sink.messages == []
    no_stdin = run_cli("newsletter", "send", nid, input="", env=env)
    assert no_stdin.returncode != 0 and smtp_sink.messages == []
    ok = run_cli("newsletter", "send", nid, input="4\n", env=env)
    assert ok.returncode == 0, ok.stderr
    assert "Newsletter 1: sent. 4 sent, 0 failed" in ok.stdout
    assert "sent 4/4" in ok.stdout  # plain progress lines when stdout is not a terminal
    assert sorted(smtp_sink.recipients()) == [
        "ann@example.org", "bob@example.org", "helene.dupre@example.fr", "jerome@example.fr",
    ]  # fmt: skip
    again = run_cli("newsletter", "send", nid, "--yes", env=env)
    assert again.returncode == 0 and "already sent" in again.stdout
    assert len(smtp_sink.messages) == 4


def test_send_exits_non_zero_when_a_recipient_failed(
    run_cli, db_path: Path, tmp_path: Path, smtp_sink: SmtpSink
) -> None:
    seed(db_path)
    smtp_sink.behaviour.reject["ann@example.org"] = "550 5.1.1 Unknown user"
    nid = new_draft(run_cli, tmp_path)
    result = run_cli("newsletter", "send", nid, "--yes", env=sink_env(smtp_sink))
    assert result.returncode == 1
    assert "failed: ann@example.org: 550 5.1.1 Unknown user" in result.stdout
    status = json.loads(run_cli("newsletter", "status", nid, "--json").stdout)
    assert (status["sent"], status["failed"]) == (3, 1)
    assert status["failed_recipients"][0]["reply"] == "550 5.1.1 Unknown user"
    assert status["failed_recipients"][0]["failure"] == "permanent"
    # Each accepted message keeps the server's own reply: "did it leave?"
    assert len(status["sent_recipients"]) == 3
    assert {r["reply"] for r in status["sent_recipients"]} == {"250 Message accepted"}
    assert all(r["message_id"].startswith("<") for r in status["sent_recipients"])


def test_no_from_address_refuses_to_send_naming_the_setting(
    run_cli, db_path: Path, tmp_path: Path, smtp_sink: SmtpSink
) -> None:
    seed(db_path)
    nid = new_draft(run_cli, tmp_path)
    env = {"OMTUI_SMTP_HOST": smtp_sink.host, "OMTUI_SMTP_PORT": str(smtp_sink.port)}
    for args in (("send", nid, "--yes"), ("test", nid, "--to", "me@example.net")):
        result = run_cli("newsletter", *args, env=env)
        assert result.returncode != 0
        assert "from_address" in result.stderr and "[smtp]" in result.stderr
        assert "OMTUI_FROM" in result.stderr
    assert smtp_sink.messages == []
    assert json.loads(run_cli("newsletter", "status", nid, "--json").stdout)["state"] == "draft"


def test_plan_warns_about_an_unsubscribe_mailbox_nobody_reads(
    run_cli, db_path: Path, tmp_path: Path, smtp_sink: SmtpSink
) -> None:
    seed(db_path)
    nid = new_draft(run_cli, tmp_path)
    unset = run_cli("newsletter", "send", nid, input="0\n", env=sink_env(smtp_sink))
    expected = "Warning: unsubscribe_mailto is not set: members who unsubscribe by mail write to"
    assert f"{expected} {FROM}" in unset.stdout
    config = tmp_path / "c.toml"
    config.write_text('unsubscribe_mailto = "no-reply@club-exemple.fr"\n', encoding="utf-8")
    odd = run_cli("--config", str(config), "newsletter", "send", nid, input="0\n",
                  env=sink_env(smtp_sink))  # fmt: skip
    assert "no-reply@club-exemple.fr looks like a mailbox nobody reads" in odd.stdout
    config.write_text('unsubscribe_mailto = "desabo@club-exemple.fr"\n', encoding="utf-8")
    fine = run_cli("--config", str(config), "newsletter", "send", nid, input="0\n",
                   env=sink_env(smtp_sink))  # fmt: skip
    assert "Warning" not in fine.stdout and smtp_sink.messages == []


def test_retry_failed_temporary_then_permanent_with_confirmation(
    run_cli, db_path: Path, tmp_path: Path, smtp_sink: SmtpSink
) -> None:
    """A relay that refused some members for a while: they can be sent the newsletter
    later; the plan lists them with the server's reply; 5xx ones only when asked."""
    seed(db_path)
    smtp_sink.behaviour.reject["ann@example.org"] = "451 4.7.1 Greylisted, try later"
    smtp_sink.behaviour.reject["bob@example.org"] = "550 5.2.2 Mailbox full"
    config = write_config(tmp_path, rate=0)
    env = sink_env(smtp_sink)
    nid = new_draft(run_cli, tmp_path)
    first = run_cli("--config", str(config), "newsletter", "send", nid, "--yes", env=env)
    assert first.returncode == 1
    assert "failed: ann@example.org: gave up after 5 attempts: 451 4.7.1 Greylisted" in first.stdout
    assert "Failed: 1 temporarily" in first.stdout and "1 permanently" in first.stdout
    smtp_sink.behaviour.reject.clear()
    retry = run_cli("--config", str(config), "newsletter", "send", nid, "--retry-failed", env=env)
    assert retry.returncode == 1, retry.stderr  # bob still failed (not retried)
    assert "1 failed recipients will be sent it again" in retry.stdout
    assert "ann@example.org: gave up after 5 attempts: 451 4.7.1 Greylisted" in retry.stdout
    assert "1 refused permanently (5xx) are left out" in retry.stdout
    assert Counter(smtp_sink.recipients())["ann@example.org"] == 1
    refused = run_cli("--config", str(config), "newsletter", "send", nid, "--retry-failed",
                      "--include-permanent", input="n\n", env=env)  # fmt: skip
    assert refused.returncode == 1 and "bob@example.org: 550 5.2.2 Mailbox full" in refused.stdout
    assert "Retry them?" in refused.stdout and "bob@example.org" not in smtp_sink.recipients()
    ok = run_cli("--config", str(config), "newsletter", "send", nid, "--retry-failed",
                 "--include-permanent", "--yes", env=env)  # fmt: skip
    assert ok.returncode == 0, ok.stderr
    assert sorted(Counter(smtp_sink.recipients()).values()) == [1] * 4
    status = json.loads(run_cli("newsletter", "status", nid, "--json").stdout)
    assert status["state"] == "sent" and status["sent"] == 4 and status["failed"] == 0
    nothing = run_cli("--config", str(config), "newsletter", "send", nid, "--retry-failed", env=env)
    assert nothing.returncode == 0 and "No failed recipient to retry" in nothing.stdout


def test_server_down_pauses_with_a_clear_message(run_cli, db_path: Path, tmp_path: Path) -> None:
    seed(db_path)
    nid = new_draft(run_cli, tmp_path)
    env = {"OMTUI_SMTP_HOST": "127.0.0.1", "OMTUI_SMTP_PORT": "9", "OMTUI_FROM": FROM}
    config = write_config(tmp_path, rate=0)
    result = run_cli("--config", str(config), "newsletter", "send", nid, "--yes", env=env)
    assert result.returncode == 1
    assert "the send is paused" in result.stderr and "cannot be reached" in result.stderr
    status = json.loads(run_cli("newsletter", "status", nid, "--json").stdout)
    assert status["state"] == "paused" and status["queued"] == 4 and status["sent"] == 0


def test_kill_9_at_random_points_loses_nothing_and_doubles_nothing(
    run_cli, db_path: Path, tmp_path: Path, smtp_sink: SmtpSink, isolated_dirs: Path
) -> None:
    """Kill `omtui newsletter send` with SIGKILL at random moments 10 times, resume, count:
    each crash leaves at most `concurrency` rows that may have been sent (their DATA had
    started); the rows only claimed go back to the queue."""
    concurrency = 4
    seed(db_path, people=296)  # 300 subscribed recipients
    smtp_sink.behaviour.delay = 0.01
    config = write_config(tmp_path, rate=0, concurrency=concurrency)
    nid = new_draft(run_cli, tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("OMTUI_")} | {"OMTUI_LANG": "en"}
    env.update(sink_env(smtp_sink), HOME=str(isolated_dirs))
    argv = [sys.executable, "-m", "omtui", "--db", str(db_path), "--config", str(config),
            "newsletter", "send", nid, "--yes"]  # fmt: skip
    rng = random.Random(4)
    kills = 0
    in_flight_per_crash = []
    for _round in range(10):
        already = len(smtp_sink.messages)
        target = already + rng.randint(1, 25)
        proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 30
        while len(smtp_sink.messages) < target and proc.poll() is None:
            assert time.monotonic() < deadline, "the send did not progress"
            time.sleep(0.002)
        time.sleep(rng.random() * 0.02)  # anywhere in a message's life, not only after one
        last_killed = proc.poll() is None
        if last_killed:
            os.kill(proc.pid, signal.SIGKILL)
            kills += 1
        proc.wait(timeout=10)
        db = open_database(db_path)
        in_flight_per_crash.append(
            db.scalar(
                "SELECT count(*) FROM outbox WHERE state = 'sending' AND transmit_at IS NOT NULL"
            )
        )
        db.close()
    assert kills >= 8
    assert max(in_flight_per_crash) <= concurrency, in_flight_per_crash
    if last_killed:
        assert " interrupted " in run_cli("newsletter", "list").stdout
    final = run_cli("--config", str(config), "newsletter", "send", nid, "--yes",
                    env=sink_env(smtp_sink))  # fmt: skip
    assert final.returncode == 0, final.stderr
    db = open_database(db_path)
    counts = outbox.counts(db, int(nid))
    rows = {r["email"]: r["state"] for r in db.query("SELECT email, state FROM outbox")}
    subscribed = {r["email"] for r in db.query("SELECT email FROM members WHERE subscribed = 1")}
    db.close()
    got = Counter(smtp_sink.recipients())
    assert set(rows) == subscribed  # nobody missing, nobody extra
    assert counts["queued"] == counts["sending"] == counts["failed"] == 0
    assert max(got.values()) == 1  # nobody received it twice
    for address, state in rows.items():
        if state == "sent":
            assert got[address] == 1, address
        else:
            assert state == "uncertain" and got[address] in (0, 1)
    print(f"kills={kills} uncertain={counts['uncertain']} per crash={in_flight_per_crash}"
          f" delivered={len(got)}")  # fmt: skip
    assert counts["uncertain"] == sum(in_flight_per_crash) <= kills * concurrency
    assert set(got) <= subscribed


def test_a_second_sender_through_a_symlink_is_refused_and_nothing_becomes_uncertain(
    run_cli, db_path: Path, tmp_path: Path, smtp_sink: SmtpSink, isolated_dirs: Path
) -> None:
    seed(db_path, people=56)
    smtp_sink.behaviour.delay = 0.15  # about 4.5 s in all: the second CLI starts meanwhile
    config = write_config(tmp_path, rate=0, concurrency=2)
    nid = new_draft(run_cli, tmp_path)
    link = tmp_path / "other" / "same-club.db"
    link.parent.mkdir()
    link.symlink_to(db_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("OMTUI_")}
    env.update(sink_env(smtp_sink), HOME=str(isolated_dirs))
    argv = [sys.executable, "-m", "omtui", "--db", str(db_path), "--config", str(config),
            "newsletter", "send", nid, "--yes"]  # fmt: skip
    first = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while len(smtp_sink.messages) < 5:
            assert time.monotonic() < deadline and first.poll() is None
            time.sleep(0.005)
        second = run_cli("--config", str(config), "newsletter", "send", nid, "--yes",
                         db=link, env=sink_env(smtp_sink))  # fmt: skip
        assert second.returncode == 1
        assert "being sent by another process right now" in second.stderr
        assert first.wait(timeout=60) == 0
    finally:
        if first.poll() is None:
            first.kill()
    status = json.loads(run_cli("newsletter", "status", nid, "--json").stdout)
    assert (status["sent"], status["uncertain"], status["queued"]) == (60, 0, 0)
    assert sorted(Counter(smtp_sink.recipients()).values()) == [1] * 60
    assert not list(tmp_path.rglob("*.lock")) and not list(db_path.parent.glob("*.lock"))


def test_ctrl_c_pauses_cleanly_and_send_resumes(
    run_cli, db_path: Path, tmp_path: Path, smtp_sink: SmtpSink, isolated_dirs: Path
) -> None:
    seed(db_path, people=96)
    smtp_sink.behaviour.delay = 0.02
    config = write_config(tmp_path, rate=0, concurrency=2)
    nid = new_draft(run_cli, tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("OMTUI_")} | {"OMTUI_LANG": "en"}
    env.update(sink_env(smtp_sink), HOME=str(isolated_dirs))
    argv = [sys.executable, "-m", "omtui", "--db", str(db_path), "--config", str(config),
            "newsletter", "send", nid, "--yes"]  # fmt: skip
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while len(smtp_sink.messages) < 10:
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.005)
    proc.send_signal(signal.SIGINT)
    _out, err = proc.communicate(timeout=30)
    assert proc.returncode == 1 and b"interrupted with Ctrl-C" in err
    status = json.loads(run_cli("newsletter", "status", nid, "--json").stdout)
    assert status["state"] == "paused" and status["uncertain"] == 0 and status["sending"] == 0
    assert status["sent"] == len(smtp_sink.messages) < 100
    again = run_cli("--config", str(config), "newsletter", "send", nid, env=sink_env(smtp_sink))
    assert again.returncode == 0, again.stderr  # resuming asks nothing
    assert sorted(Counter(smtp_sink.recipients()).values()) == [1] * 100


def test_resend_uncertain_flag(run_cli, db_path: Path, tmp_path: Path, smtp_sink: SmtpSink) -> None:
    seed(db_path)
    nid = new_draft(run_cli, tmp_path)
    db = open_database(db_path)
    from omtui.config import Config
    from omtui.core import sender

    config = Config()
    sender.start_send(db, int(nid), config, sender.prepare(db, int(nid), config), now=DEMO_NOW)
    [row] = outbox.claim(db, int(nid), 1, now=DEMO_NOW)  # in flight when a process died:
    outbox.mark_transmitting(db, [row.id], now=DEMO_NOW)  # its DATA had started
    db.close()
    env = sink_env(smtp_sink)
    first = run_cli("newsletter", "send", nid, "--yes", env=env)
    assert first.returncode == 0, first.stderr
    assert "1 message was being transmitted" in first.stdout  # singular since ngettext
    assert "Uncertain" in first.stdout and "helene.dupre@example.fr" in first.stdout
    assert "helene.dupre@example.fr" not in smtp_sink.recipients()
    again = run_cli("newsletter", "send", nid, "--yes", "--resend-uncertain", env=env)
    assert again.returncode == 0, again.stderr
    assert Counter(smtp_sink.recipients())["helene.dupre@example.fr"] == 1
    assert len(smtp_sink.recipients()) == 4
