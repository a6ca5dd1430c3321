"""Outbox state transitions: the only place deciding sent, failed and uncertain."""

from __future__ import annotations

from datetime import datetime

from omtui.core import outbox
from omtui.core.db import Database
from omtui.core.newsletter import Recipient, create_draft


def filled(db: Database, now: datetime, count: int = 5) -> int:
    nl = create_draft(db, subject="S", body="B", now=now)
    recipients = [
        Recipient(f"u{i}@example.org", "Ann", "Lee", "Lyon", f"t{i}") for i in range(count)
    ]
    assert outbox.snapshot(db, nl.id, recipients, now=now) == count
    return nl.id


def test_claim_marks_sending_in_order_and_never_twice(db: Database, now: datetime) -> None:
    nid = filled(db, now)
    first = outbox.claim(db, nid, 2, now=now)
    second = outbox.claim(db, nid, 2, now=now)
    assert [r.email for r in first] == ["u0@example.org", "u1@example.org"]
    assert [r.email for r in second] == ["u2@example.org", "u3@example.org"]
    assert outbox.counts(db, nid) == {
        "queued": 1, "sending": 4, "sent": 0, "failed": 0, "uncertain": 0,
    }  # fmt: skip
    assert first[0].recipient().outbox_id == first[0].id


def test_record_only_moves_rows_that_are_sending(db: Database, now: datetime) -> None:
    nid = filled(db, now)
    a, b, c = outbox.claim(db, nid, 3, now=now)
    ok = "250 2.0.0 Ok: queued as 4F1A2B"
    outbox.record(
        db, sent=[(a.id, "<m1@x>", ok)], failed=[(b.id, "550 no", True)], released=[c.id], now=now
    )
    # A repeated or late write cannot turn a failed row into sent, or re-queue a sent one.
    outbox.record(db, sent=[(b.id, "<m2@x>", ok)], released=[a.id], now=now)
    states = {r["email"]: (r["state"], r["reply"], r["message_id"]) for r in db.query(
        "SELECT email, state, reply, message_id FROM outbox")}  # fmt: skip
    assert states["u0@example.org"] == ("sent", ok, "<m1@x>")  # the server's reply is kept
    assert states["u1@example.org"] == ("failed", "550 no", "")
    assert states["u2@example.org"][0] == "queued"
    [failed] = outbox.rows_in_state(db, nid, "failed")
    assert failed.fail_kind == "permanent" and failed.as_dict()["failure"] == "permanent"


def test_recover_requeues_claimed_rows_and_makes_transmitted_ones_uncertain(
    db: Database, now: datetime
) -> None:
    """After a crash only rows whose DATA had started may have been sent."""
    nid = filled(db, now)
    claimed = outbox.claim(db, nid, 3, now=now)
    outbox.mark_transmitting(db, [claimed[1].id], now=now)
    assert outbox.recover(db, nid, now=now) == 1
    assert [r.email for r in outbox.rows_in_state(db, nid, "uncertain")] == ["u1@example.org"]
    assert outbox.counts(db, nid)["queued"] == 4 and outbox.counts(db, nid)["sending"] == 0
    again = outbox.claim(db, nid, 10, now=now)
    assert [r.email for r in again] == ["u0@example.org", "u2@example.org", "u3@example.org",
                                        "u4@example.org"]  # fmt: skip
    assert outbox.recover(db, nid, now=now) == 0  # a fresh claim clears the old mark
    assert outbox.requeue_uncertain(db, nid, now=now) == 1
    assert outbox.counts(db, nid)["queued"] == 5


def test_requeue_failed_temporary_then_permanent_never_unsubscribed(
    db: Database, now: datetime
) -> None:
    nid = filled(db, now)
    a, b, c = outbox.claim(db, nid, 3, now=now)
    outbox.record(
        db, failed=[(a.id, "451 4.3.0 later", False), (b.id, "550 5.1.1 no", True)], now=now
    )
    db.execute(  # as claim() leaves a member who unsubscribed mid-send
        "UPDATE outbox SET state = 'failed', fail_kind = 'unsubscribed' WHERE id = ?", (c.id,)
    )
    assert outbox.failed_counts(db, nid) == {"temporary": 1, "permanent": 1, "unsubscribed": 1}
    assert outbox.requeue_failed(db, nid, now=now) == 1
    assert outbox.requeue_failed(db, nid, include_permanent=True, now=now) == 1
    assert outbox.counts(db, nid)["failed"] == 1 and outbox.counts(db, nid)["queued"] == 4


def test_one_row_per_recipient_per_send(db: Database, now: datetime) -> None:
    import sqlite3

    import pytest

    nid = filled(db, now, 1)
    with pytest.raises(sqlite3.IntegrityError):
        outbox.snapshot(db, nid, [Recipient("U0@example.org")], now=now)
    assert outbox.counts(db, nid)["queued"] == 1


def test_a_member_who_unsubscribes_mid_send_is_not_sent_to(db: Database, now: datetime) -> None:
    from omtui.core import members

    people = [
        members.add_member(db, {"email": f"m{i}@example.org", "first_name": "A"}, now=now)
        for i in range(4)
    ]
    nl = create_draft(db, subject="S", body="B", now=now)
    recipients = [Recipient(p.email, member_id=p.id, token=p.unsubscribe_token) for p in people]
    outbox.snapshot(db, nl.id, recipients, now=now)
    members.unsubscribe_email(db, "m1@example.org", now=now)
    members.archive_member(db, people[2].id, now=now)
    claimed = outbox.claim(db, nl.id, 10, now=now)
    assert [r.email for r in claimed] == ["m0@example.org", "m3@example.org"]
    failed = outbox.rows_in_state(db, nl.id, "failed")
    assert [r.email for r in failed] == ["m1@example.org", "m2@example.org"]
    assert failed[0].reply == outbox.UNSUBSCRIBED_REPLY
