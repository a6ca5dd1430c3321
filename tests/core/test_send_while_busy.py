"""A newsletter send meets a database another process is writing: it pauses with the reason
"database busy", keeps every outcome, and resumes later (issue 7, section 2)."""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from omtui.config import DatabaseConfig
from omtui.core import sender
from omtui.core.db import Database
from tests.core.test_newsletter import add_many
from tests.core.test_sender import FAST, make_config, started
from tests.smtp_sink import SmtpSink


async def test_a_send_pauses_while_another_process_writes(
    db: Database, db_path: Path, now: datetime, smtp_sink: SmtpSink
) -> None:
    add_many(db, 60, now)
    config = replace(
        make_config(smtp_sink.host, smtp_sink.port, concurrency=1),
        database=DatabaseConfig(busy_timeout=0.3),
    )
    smtp_sink.behaviour.delay = 0.02
    nid = started(db, config, now)
    control = sender.SendControl()
    some_sent = threading.Event()
    holder_done = threading.Event()

    def hold_the_lock_until_paused() -> None:
        some_sent.wait(30)
        holder = sqlite3.connect(db_path, isolation_level=None, timeout=30)
        holder.execute("BEGIN IMMEDIATE")  # another process's long write
        try:
            for _tick in range(600):
                if control.stopping:
                    break
                threading.Event().wait(0.05)
        finally:
            holder.execute("COMMIT")
            holder.close()
            holder_done.set()

    def on_progress(p: sender.SendProgress) -> None:
        if p.sent >= 3:
            some_sent.set()

    thread = threading.Thread(target=hold_the_lock_until_paused)
    thread.start()
    outcome = await sender.send_newsletter(
        db_path,
        nid,
        config,
        control=control,
        on_progress=on_progress,
        clock=lambda: now,
        policy=FAST,
    )
    thread.join()
    assert holder_done.is_set()
    assert outcome.state == "paused"
    assert outcome.reason.startswith("database busy")
    recorded = sender.progress(db, nid)
    assert recorded.sent == len(smtp_sink.messages) < 60  # every delivery recorded
    smtp_sink.behaviour.delay = 0.0
    resumed = await sender.send_newsletter(db_path, nid, config, clock=lambda: now, policy=FAST)
    assert resumed.state == "sent"
    assert sorted(smtp_sink.recipients()) == sorted(set(smtp_sink.recipients()))
    assert sender.progress(db, nid).sent == 60
