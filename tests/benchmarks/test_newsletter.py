"""Newsletter sending speed against a real aiosmtpd sink, compared with a naive baseline.

Baseline (measured in the same run): a plain sequential smtplib loop over one reused
connection, building one `EmailMessage` per recipient the usual way. To keep the run
short the baseline sends fewer messages than omtui; throughputs (messages/s) are compared.

(a) sink waits 50 ms per message: omtui, 3,000 recipients, concurrency 10 >= 9x baseline.
(b) sink without delay: omtui >= 2.5x baseline.
(c) rate = 20: achieved rate within 5% of 20/s, and no 1-second window over 20.

The sink (tests/smtp_sink.py, unchanged) runs in its own process, as a real SMTP server
would: in the test process it would compete for the GIL with the sender being measured.
"""

from __future__ import annotations

import json
import smtplib
import statistics
import subprocess
import sys
import time
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

from markdown_it import MarkdownIt

from omtui.config import Config, SmtpConfig
from omtui.core import sender
from omtui.core.db import Database, open_database
from omtui.core.demo import DEMO_NOW
from omtui.core.newsletter import create_draft, fill, member_values, parse_template
from tests.benchmarks.report import Row, print_table
from tests.core.test_newsletter import add_many

RECIPIENTS = 3000
ROOT = Path(__file__).resolve().parents[2]
SINK_PROCESS = """
import json, sys
from tests.smtp_sink import SmtpSink
sink = SmtpSink()
sink.start()
print(sink.port, flush=True)
for line in sys.stdin:
    cmd, *args = line.split()
    if cmd == "stop":
        break
    if cmd == "delay":
        sink.behaviour.delay = float(args[0])
        out = "ok"
    elif cmd == "clear":
        with sink.lock:
            sink.messages.clear()
        out = "ok"
    else:  # times
        with sink.lock:
            out = json.dumps([m.at for m in sink.messages])
    print(out, flush=True)
sink.stop()
"""


class SinkProcess:
    """tests/smtp_sink.SmtpSink in a child process, driven by one-line commands."""

    host = "127.0.0.1"

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", SINK_PROCESS],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.port = int(self._read())

    def _read(self) -> str:
        assert self.proc.stdout is not None
        return self.proc.stdout.readline().strip()

    def ask(self, command: str) -> str:
        assert self.proc.stdin is not None
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        return self._read()

    def times(self) -> list[float]:
        return json.loads(self.ask("times"))

    def stop(self) -> None:
        if self.proc.poll() is None:
            assert self.proc.stdin is not None
            self.proc.stdin.write("stop\n")
            self.proc.stdin.close()
            self.proc.wait(timeout=10)


BODY = """# Bonjour {first_name} !

Voici les nouvelles du club pour **{city}** et d'ailleurs : les rencontres de l'hiver,
le déjeuner des partenaires et l'assemblée générale. Merci à toutes celles et ceux qui
ont accueilli une rencontre cette année.

## Prochains événements

{upcoming_events}

- Un atelier « bien-être au bureau » en janvier
- Le réseau d'entraide pour les *freelances*

[Se désabonner]({unsubscribe})
"""
SUBJECT = "Les nouvelles de l'hiver — édition de décembre"


def naive_messages(db: Database, config: Config, count: int):
    """The usual way: one EmailMessage per recipient, Markdown rendered per recipient."""
    rows = db.query("SELECT * FROM members WHERE subscribed = 1 ORDER BY id LIMIT ?", (count,))
    segments = parse_template(BODY)
    md = MarkdownIt("commonmark", {"html": False})
    from omtui.core.newsletter import Recipient

    for row in rows:
        r = Recipient(row["email"], row["first_name"], row["last_name"], row["city"], "tok")
        values = member_values(r, mailto="u@club.example.org", url=None)
        values["upcoming_events"] = "- **Apéro**, Mon 23 Nov, 19:00, Lyon"
        text = fill(segments, values)
        msg = EmailMessage()
        msg["From"] = Address(config.club_name, addr_spec=config.smtp.from_address)
        msg["To"] = Address(f"{r.first_name} {r.last_name}", addr_spec=r.email)
        msg["Subject"] = SUBJECT
        msg["Message-ID"] = make_msgid(domain="club.example.org")
        msg["List-Id"] = config.list_id
        msg["List-Unsubscribe"] = f"<{values['unsubscribe']}>"
        msg.set_content(text)
        msg.add_alternative(md.render(text), subtype="html")
        yield r.email, msg


def baseline_rate(db: Database, config: Config, sink: SinkProcess, count: int) -> float:
    """Messages/s of a sequential smtplib loop over one reused connection."""
    start = time.perf_counter()
    with smtplib.SMTP(sink.host, sink.port) as smtp:
        for address, msg in naive_messages(db, config, count):
            smtp.send_message(msg, to_addrs=[address])
    return count / (time.perf_counter() - start)


def omtui_rate(db: Database, db_path: Path, config: Config, now: datetime) -> tuple[float, int]:
    """Messages/s of the omtui sender (the send loop only; the plan is made before)."""
    nl = create_draft(db, subject=SUBJECT, body=BODY, now=now)
    sender.start_send(db, nl.id, config, sender.prepare(db, nl.id, config), now=now)
    start = time.perf_counter()
    outcome = sender.run_send(db_path, nl.id, config)
    elapsed = time.perf_counter() - start
    assert outcome.state == "sent", outcome.reason
    return outcome.progress.sent / elapsed, outcome.progress.sent


def make_config(sink: SinkProcess, **smtp) -> Config:
    return Config(
        smtp=SmtpConfig(
            host=sink.host, port=sink.port, from_address="news@club.example.org", **smtp
        )
    )


def test_newsletter_sending_speed(tmp_path: Path) -> None:
    now = DEMO_NOW
    db_path = tmp_path / "bench.db"
    db = open_database(db_path)
    add_many(db, RECIPIENTS, now)
    rows: list[Row] = []
    sink = SinkProcess()
    sink.ask("delay 0.05")
    try:
        # (a) 50 ms per message at the server.
        config = make_config(sink, concurrency=10, rate=0.0)
        base_a = statistics.median(baseline_rate(db, config, sink, 60) for _ in range(3))
        ours_a, sent = omtui_rate(db, db_path, config, now)
        assert sent == RECIPIENTS
        ratio_a = ours_a / base_a
        rows.append(Row("(a) baseline smtplib, 50 ms sink", base_a, "msg/s", "3x60 msgs"))
        rows.append(
            Row(
                "(a) omtui, 3,000 recipients, conc 10",
                ours_a,
                "msg/s",
                f"{base_a:.1f} msg/s",
                ratio_a,
                ">= 9x",
            )
        )
        # (b) no delay at the server.
        sink.ask("delay 0")
        sink.ask("clear")
        base_b = statistics.median(baseline_rate(db, config, sink, 500) for _ in range(3))
        ours_b = statistics.median(omtui_rate(db, db_path, config, now)[0] for _ in range(3))
        ratio_b = ours_b / base_b
        rows.append(Row("(b) baseline smtplib, no delay", base_b, "msg/s", "3x500 msgs"))
        rows.append(
            Row(
                "(b) omtui, 3,000 recipients, conc 10",
                ours_b,
                "msg/s",
                f"{base_b:.1f} msg/s",
                ratio_b,
                ">= 2.5x",
            )
        )
        # (c) rate = 20, measured at the server.
        sink.ask("clear")
        db.execute("UPDATE members SET subscribed = 0 WHERE id > 120")
        omtui_rate(db, db_path, make_config(sink, concurrency=10, rate=20.0), now)
        times = sorted(sink.times())
        achieved = (len(times) - 1) / (times[-1] - times[0])
        worst = max(sum(1 for t in times if s <= t < s + 1.0) for s in times)
        rows.append(
            Row("(c) rate=20, achieved", achieved, "msg/s", "20 msg/s", achieved / 20, "within 5%")
        )
        rows.append(Row("(c) rate=20, busiest 1 s window", worst, "msgs", "", None, "<= 20"))
    finally:
        sink.stop()
        db.close()
    print_table("Newsletter sending (medians)", rows)
    assert ratio_a >= 9, ratio_a
    assert ratio_b >= 2.5, ratio_b
    assert abs(achieved - 20) / 20 <= 0.05, achieved
    assert worst <= 20
