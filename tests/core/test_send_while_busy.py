"""A newsletter send meets a database another process is writing: it pauses with the reason
"database busy", keeps every outcome, and resumes later (issue 7, section 2)."""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from omtui.config import DatabaseConfig
from omtui.core import send_lease, sender
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


async def test_a_send_that_finds_the_database_busy_at_its_start_pauses(
    db: Database, db_path: Path, now: datetime, smtp_sink: SmtpSink
) -> None:
    """Lease and first status write refused: paused with the reason, nothing sent or lost."""
    add_many(db, 5, now)
    config = replace(
        make_config(smtp_sink.host, smtp_sink.port, concurrency=1),
        database=DatabaseConfig(busy_timeout=0.3),
    )
    nid = started(db, config, now)
    holder = sqlite3.connect(db_path, isolation_level=None, timeout=30)
    holder.execute("BEGIN IMMEDIATE")  # another process's long write
    try:
        outcome = await sender.send_newsletter(db_path, nid, config, clock=lambda: now, policy=FAST)
    finally:
        holder.execute("COMMIT")
        holder.close()
    assert outcome.state == "paused"
    assert outcome.reason.startswith("database busy")
    assert outcome.progress.queued == 5 and not outcome.progress.running
    assert smtp_sink.messages == []
    resumed = await sender.send_newsletter(db_path, nid, config, clock=lambda: now, policy=FAST)
    assert resumed.state == "sent"
    assert sorted(smtp_sink.recipients()) == sorted(set(smtp_sink.recipients()))
    assert sender.progress(db, nid).sent == 5 == len(smtp_sink.messages)


async def test_a_send_that_finds_the_database_busy_at_its_end_pauses(
    db: Database, db_path: Path, now: datetime, smtp_sink: SmtpSink
) -> None:
    """The lock is taken mid-send and held past the end, so the last writes (outcomes,
    final status) are refused: paused, not dead; a later run finishes, sending nothing twice."""
    add_many(db, 20, now)
    config = replace(
        make_config(smtp_sink.host, smtp_sink.port, concurrency=1),
        database=DatabaseConfig(busy_timeout=0.3),
    )
    smtp_sink.behaviour.delay = 0.02
    nid = started(db, config, now)
    holder = sqlite3.connect(db_path, isolation_level=None, timeout=30)

    def on_progress(p: sender.SendProgress) -> None:
        if p.running and not holder.in_transaction and sender.progress(db, nid).sent >= 1:
            holder.execute("BEGIN IMMEDIATE")  # another process starts a long write

    try:
        outcome = await sender.send_newsletter(
            db_path,
            nid,
            config,
            on_progress=on_progress,
            clock=lambda: now,
            policy=FAST,
            progress_interval=0.0,  # a report after each write of outcomes
        )
        assert holder.in_transaction  # the lock was taken before the end
    finally:
        if holder.in_transaction:
            holder.execute("COMMIT")
        holder.close()
    assert outcome.state == "paused"
    assert outcome.reason.startswith("database busy")
    # Recorded, except (rarely) one delivered while the lock was being taken: its DATA mark
    # is stored, so the next run files it as uncertain and never sends it again.
    assert len(smtp_sink.messages) - 1 <= sender.progress(db, nid).sent <= len(smtp_sink.messages)
    assert len(smtp_sink.messages) < 20
    # Its lease could not be released either: it lapses after send_lease.TTL (made to now).
    with db.transaction():
        db.execute("UPDATE send_leases SET renewed_at = renewed_at - ?", (send_lease.TTL + 1,))
    resumed = await sender.send_newsletter(db_path, nid, config, clock=lambda: now, policy=FAST)
    assert resumed.state == "sent"
    assert sorted(smtp_sink.recipients()) == sorted(set(smtp_sink.recipients()))
    final = sender.progress(db, nid)
    assert final.sent + final.uncertain == 20 == len(smtp_sink.messages)
