"""What the mailbox sync does with what it reads: bounced and held addresses, unsubscribe
requests, and never the same thing twice (on a real SQLite file)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

from omtui.core import members, outbox
from omtui.core.db import Database
from omtui.core.mail import bounces
from omtui.core.mail.classify import Kind
from omtui.core.mail.mailbox import EMAIL_REQUEST, SyncSummary, process_message
from omtui.core.newsletter import create_draft, get_newsletter, send_plan

SAMPLES = Path(__file__).parent / "mail_samples"
SAMPLE_MID = "<179569158924.3551.6490191223101706656.nl6.10662@club.example.org>"


def sent_row(db: Database, now: datetime, email: str, message_id: str = "") -> tuple[int, int]:
    """A newsletter sent to `email`: (newsletter id, outbox row id)."""
    nl = create_draft(db, subject="S", body="B", now=now)
    member = members.find_by_email(db, email)
    outbox.snapshot(
        db,
        nl.id,
        [outbox.Recipient(email, "F", "L", "", "tok", member_id=member.id if member else None)],
        now=now,
    )
    (row,) = outbox.claim(db, nl.id, 1, now=now)
    mid = message_id or f"<1.2.3.nl{nl.id}.{row.id}@club.example.org>"
    outbox.record(db, sent=[(row.id, mid, "250 ok")], now=now)
    return nl.id, row.id


READ_AT = datetime.fromisoformat("2026-11-28T08:00:00+00:00")
"""When the sync reads the messages (after every sample's date)."""


def process(db, raw: bytes, _now: datetime, uid: int = 1, uidvalidity: int = 7):
    summary = SyncSummary()
    kind = process_message(
        db, raw, folder="INBOX", uidvalidity=uidvalidity, uid=uid, now=READ_AT, summary=summary
    )
    return kind, summary


def test_a_hard_bounce_marks_the_address_once_and_leaves_it_out_of_plans(db, now):
    fantome = members.add_member(
        db, {"email": "fantome@clubtest-local.fr", "first_name": "Fantôme"}, now=now
    )
    _nid, row_id = sent_row(db, now, "fantome@clubtest-local.fr", SAMPLE_MID)
    raw = (SAMPLES / "dsn-1.eml").read_bytes()
    kind, summary = process(db, raw, now)
    assert kind is Kind.BOUNCE and summary.bounces_hard == 1
    status = bounces.status_of(db, "FANTOME@clubtest-local.fr")
    assert status.status == "bounced"
    assert status.status_line.startswith("5.1.1 unknown user")
    assert status.reported_at == datetime.fromisoformat("2026-11-26T11:13:09+00:00")
    assert db.scalar("SELECT outbox_id FROM delivery_failures") == row_id
    # read again (same UID), or again under a new UIDVALIDITY: nothing happens twice
    assert process(db, raw, now)[0] is None
    kind, again = process(db, raw, now, uid=1, uidvalidity=8)
    assert again.bounces_hard == 0 and again.already_read == 1
    assert db.scalar("SELECT count(*) FROM delivery_failures") == 1
    # the next newsletter leaves the address out, with the reason
    other = create_draft(db, subject="Next", body="B", now=now)
    plan = send_plan(db, get_newsletter(db, other.id), rate=10)
    assert plan.left_out["bounced"] == [fantome.email]
    assert fantome.email not in [r.email for r in plan.recipients]


def test_the_row_id_in_omtui_message_ids_finds_the_row(db, now):
    _nid, row_id = sent_row(db, now, "fantome@clubtest-local.fr")
    mid = db.scalar("SELECT message_id FROM outbox WHERE id = ?", (row_id,))
    raw = (SAMPLES / "dsn-2.eml").read_bytes()
    old = b"<179569163294.4066.8820268734593187685.nl7.10667@club.example.org>"
    assert old in raw
    process(db, raw.replace(old, mid.encode()), now)
    assert db.scalar("SELECT outbox_id FROM delivery_failures") == row_id


def test_a_report_without_the_original_matches_by_recipient(db, now):
    members.add_member(db, {"email": "rené@clubtest-local.fr"}, now=now)
    kind, summary = process(db, (SAMPLES / "dsn-4.eml").read_bytes(), now)
    assert kind is Kind.BOUNCE and summary.bounces_hard == 1
    assert bounces.status_of(db, "rené@clubtest-local.fr").status == "bounced"


def test_a_report_about_a_stranger_goes_to_triage(db, now):
    kind, summary = process(db, (SAMPLES / "dsn-3.eml").read_bytes(), now)
    assert kind is Kind.TRIAGE and summary.triage == 1
    assert bounces.status_of(db, "fantome@clubtest-local.fr").status == "ok"
    raw = db.scalar("SELECT raw FROM mailbox_messages")
    assert raw == (SAMPLES / "dsn-3.eml").read_bytes()  # kept for a person to look at


def delay_report(n: int, address: str = "slow@example.net") -> bytes:
    return (
        f"From: MAILER-DAEMON@mx.example.net\r\nMessage-ID: <delay{n}@mx>\r\n"
        "Date: Thu, 26 Nov 2026 09:00:00 +0000\r\n"
        "Subject: Delayed Mail (still being retried)\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain\r\n\r\nlater\r\n"
        "--b\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx\r\n\r\n"
        f"Final-Recipient: rfc822; {address}\r\nAction: delayed\r\nStatus: 4.4.1\r\n"
        "--b--\r\n"
    ).encode()


def test_five_temporary_failures_in_a_row_hold_and_an_accepted_send_clears(db, now):
    members.add_member(db, {"email": "slow@example.net"}, now=now)
    for n in range(4):
        process(db, delay_report(n), now, uid=n + 1)
    assert bounces.status_of(db, "slow@example.net").status == "ok"
    _kind, summary = process(db, delay_report(4), now, uid=5)
    assert summary.bounces_soft == 1
    assert bounces.status_of(db, "slow@example.net").status == "held"
    other = create_draft(db, subject="Next", body="B", now=now)
    assert send_plan(db, get_newsletter(db, other.id), rate=10).left_out["held"] == [
        "slow@example.net"
    ]
    # accepted by the relay later, and no report about it by the next sync: ok again
    later = READ_AT + timedelta(days=1)
    sent_row(db, later, "slow@example.net")
    assert bounces.clear_recovered(db, before=later, now=later) == []  # not a sync later yet
    after = later + timedelta(minutes=15)
    assert bounces.clear_recovered(db, before=after, now=after) == ["slow@example.net"]
    assert bounces.status_of(db, "slow@example.net").status == "ok"


def test_send_time_refusals_only_count_for_unknown_addresses(db, now):
    nl = create_draft(db, subject="S", body="B", now=now)
    emails = ["a@x.fr", "b@x.fr", "c@x.fr", "d@x.fr"]
    outbox.snapshot(db, nl.id, [outbox.Recipient(e, "", "", "", "t") for e in emails], now=now)
    rows = outbox.claim(db, nl.id, 4, now=now)
    failed = [
        (rows[0].id, "550 5.1.1 <a@x.fr>: Recipient address rejected: User unknown", True),
        (rows[1].id, "550 5.7.1 Client host rejected: bad HELO", True),
        (rows[2].id, "554 5.5.0 quota", True),
        (rows[3].id, "450 4.1.1 try later", False),
    ]
    with db.transaction():
        outbox.record(db, failed=failed, now=now)
        assert bounces.record_refusals(db, failed, now=now) == 1
    assert bounces.blocked(db) == {"a@x.fr": "bounced"}


def unsubscribe_mail(subject: str, date: str = "Thu, 26 Nov 2026 10:00:00 +0100") -> bytes:
    return (
        f"From: Hélène <helene@example.fr>\r\nTo: desinscription@club.example.org\r\n"
        f"Subject: {subject}\r\nDate: {date}\r\nMessage-ID: <{abs(hash(subject))}@mua>\r\n"
        "\r\nPlease.\r\n"
    ).encode()


def test_an_unsubscribe_request_is_a_consent_event_dated_by_the_message(db, now):
    helene = members.add_member(db, {"email": "helene@example.fr"}, now=now - timedelta(days=9))
    token = helene.unsubscribe_token
    kind, summary = process(db, unsubscribe_mail(f"unsubscribe {token}"), now)
    assert kind is Kind.UNSUBSCRIBE and summary.unsubscribes == 1
    last = members.consent_history(db, helene.id)[-1]
    assert (last.subscribed, last.source) == (False, EMAIL_REQUEST)
    assert last.at == datetime.fromisoformat("2026-11-26T09:00:00+00:00")
    assert not members.get_member(db, helene.id).subscribed
    assert process(db, unsubscribe_mail(f"unsubscribe {token}"), now)[0] is None


def test_an_unknown_token_is_reported_and_nobody_is_unsubscribed(db, now):
    helene = members.add_member(db, {"email": "helene@example.fr"}, now=now)
    kind, summary = process(db, unsubscribe_mail("unsubscribe NotATokenOfAnyone1"), now)
    assert kind is Kind.TRIAGE
    assert any("NotATokenOfAnyone1" in note for note in summary.notes)
    assert members.get_member(db, helene.id).subscribed  # never guessed from the sender


def test_a_request_older_than_a_new_subscription_is_not_applied(db, now):
    helene = members.add_member(db, {"email": "helene@example.fr"}, now=now)
    old = "Thu, 01 Jan 2026 10:00:00 +0100"
    kind, _summary = process(
        db, unsubscribe_mail(f"unsubscribe {helene.unsubscribe_token}", old), now
    )
    assert kind is Kind.TRIAGE
    assert members.get_member(db, helene.id).subscribed


def test_members_list_json_and_unsubscribe_by_token(run_cli, db_path, now):
    from omtui.core.db import open_database

    db = open_database(db_path)
    zoe = members.add_member(db, {"email": "zoe@example.fr"}, now=now)
    members.add_member(db, {"email": "gone@example.fr"}, now=now)
    bounces.set_status(db, "gone@example.fr", bounces.EmailState.BOUNCED, line="5.1.1", now=now)
    db.close()
    listed = json.loads(run_cli("members", "list", "--json").stdout)
    assert {m["email"]: m["email_status"] for m in listed} == {
        "zoe@example.fr": "ok",
        "gone@example.fr": "bounced",
    }
    result = run_cli("members", "unsubscribe", zoe.unsubscribe_token)
    assert result.returncode == 0, result.stderr
    assert "zoe@example.fr is unsubscribed." in result.stdout
    missing = run_cli("members", "unsubscribe", "NoSuchToken42")
    assert missing.returncode != 0 and "NoSuchToken42" in missing.stderr
