"""Reading delivery reports and sorting the club's mail: real Postfix DSNs and crafted mail."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

import pytest

from omtui.core.mail.classify import Kind, classify
from omtui.core.mail.dsn import parse_dsn, read_message

SAMPLES = Path(__file__).parent / "mail_samples"
TOKEN = "2zNfzZPTkoZkxXtLRzL5rqNB"


def sample(name: str):
    return read_message((SAMPLES / name).read_bytes())


def known(word: str) -> bool:
    return word == TOKEN


@pytest.mark.parametrize(
    ("name", "address", "message_id_end"),
    [
        ("dsn-1.eml", "fantome@clubtest-local.fr", ".nl6.10662@club.example.org>"),
        ("dsn-2.eml", "fantome@clubtest-local.fr", ".nl7.10667@club.example.org>"),
        ("dsn-3.eml", "fantome@clubtest-local.fr", ".nl6.0@club.example.org>"),
        ("dsn-4.eml", "rené@clubtest-local.fr", ".nl6.0@club.example.org>"),
    ],
)
def test_postfix_reports_give_recipient_status_and_original_message_id(
    name, address, message_id_end
):
    dsn = parse_dsn(sample(name))
    assert dsn is not None
    (recipient,) = dsn.recipients
    assert recipient.address == address
    assert recipient.action == "failed"
    assert recipient.status == "5.1.1"
    assert recipient.permanent and not recipient.temporary
    assert "unknown user" in recipient.status_line
    assert dsn.original_message_id.startswith("<") and dsn.original_message_id.endswith(
        message_id_end
    )


def test_a_bounce_is_a_bounce_even_with_the_token_in_the_returned_copy():
    # dsn-1 quotes the whole newsletter, token and List-Unsubscribe included
    result = classify(sample("dsn-1.eml"), known)
    assert result.kind is Kind.BOUNCE
    assert result.token == ""
    assert "5.1.1" in result.reason


def report(action: str, status: str, *, global_: bool = False):
    kind = "global-delivery-status" if global_ else "delivery-status"
    raw = (
        "From: MAILER-DAEMON@mx.example.net\r\n"
        "Subject: Delivery Status Notification (Delay)\r\n"
        "Auto-Submitted: auto-replied\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain\r\n\r\ndelayed\r\n"
        f"--b\r\nContent-Type: message/{kind}\r\n\r\n"
        "Reporting-MTA: dns; mx.example.net\r\n\r\n"
        f"Final-Recipient: rfc822; <slow@example.net>\r\nAction: {action}\r\n"
        f"Status: {status} (x)\r\n"
        "Diagnostic-Code: smtp; 452 4.2.2\r\n mailbox full\r\n"
        "--b--\r\n"
    )
    return read_message(raw.encode())


def test_a_delay_is_temporary_and_a_delivered_report_needs_nothing():
    delayed = classify(report("delayed", "4.2.2"), known)
    assert delayed.kind is Kind.BOUNCE
    assert delayed.dsn is not None
    (r,) = delayed.dsn.recipients
    assert (r.address, r.status, r.temporary, r.permanent) == (
        "slow@example.net",
        "4.2.2",
        True,
        False,
    )
    assert r.diagnostic == "452 4.2.2 mailbox full"
    done = classify(report("delivered", "2.0.0", global_=True), known)
    assert done.kind is Kind.REPORT


def mail(subject: str, body: str = "Bonjour", **headers: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "Hélène Dupré <helene@example.fr>"
    msg["To"] = "desinscription@club.example.org"
    msg["Subject"] = subject
    msg["Date"] = "Thu, 26 Nov 2026 10:00:00 +0100"
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(body)
    return msg


def test_the_mailto_subject_unsubscribes_dated_by_the_message():
    result = classify(mail(f"unsubscribe {TOKEN}"), known)
    assert result.kind is Kind.UNSUBSCRIBE
    assert result.token == TOKEN
    assert result.sender == "helene@example.fr"
    assert result.date is not None and result.date.isoformat() == "2026-11-26T09:00:00+00:00"
    assert classify(mail(f"Re: désinscription {TOKEN}"), known).kind is Kind.UNSUBSCRIBE


def test_a_token_only_in_the_body_never_unsubscribes():
    body = f"Please see below\n> unsubscribe {TOKEN}\nList-Unsubscribe: <mailto:x?subject={TOKEN}>"
    result = classify(mail("Question about the next event", body), known)
    assert result.kind is Kind.TRIAGE
    fwd = classify(mail("Fwd: Newsletter de novembre", body), known)
    assert fwd.kind is Kind.TRIAGE


def test_an_unknown_token_is_reported_not_guessed_from_the_sender():
    result = classify(mail("unsubscribe NoSuchToken123456"), known)
    assert result.kind is Kind.TRIAGE
    assert result.unknown_tokens == ("NoSuchToken123456",)
    assert "NoSuchToken123456" in result.reason
    bare = classify(mail("Unsubscribe"), known)
    assert bare.kind is Kind.TRIAGE and bare.token == ""


@pytest.mark.parametrize(
    ("subject", "headers"),
    [
        ("Hello", {"Auto_Submitted": "auto-replied"}),
        ("Hello", {"X_Autoreply": "yes"}),
        ("Hello", {"Precedence": "auto_reply"}),
        ("Out of Office: Newsletter", {}),
        ("Réponse automatique : Newsletter", {}),
        ("Automatic reply: Newsletter de novembre", {}),
        # an out-of-office that quotes the unsubscribe subject is still an auto-reply
        (f"Auto: unsubscribe {TOKEN}", {}),
        (f"unsubscribe {TOKEN}", {"Auto_Submitted": "auto-generated"}),
    ],
)
def test_auto_replies_are_recognised(subject, headers):
    assert classify(mail(subject, **headers), known).kind is Kind.AUTO_REPLY


def test_a_person_is_not_an_auto_reply():
    assert classify(mail("Absence à la soirée de jeudi"), known).kind is Kind.TRIAGE
    assert classify(mail("Hi", Auto_Submitted="no"), known).kind is Kind.TRIAGE


def test_odd_mail_goes_to_triage_with_a_reason():
    bounce_like = mail("Returned mail: see transcript")
    del bounce_like["From"]
    bounce_like["From"] = "MAILER-DAEMON@old.example.net"
    result = classify(bounce_like, known)
    assert result.kind is Kind.TRIAGE and "no delivery status" in result.reason
    broken = read_message(b"Subject: =?utf-8?b?broken\r\nFrom: <<<\r\n\r\nbody\r\n")
    assert classify(broken, known).kind is Kind.TRIAGE
    empty = read_message(b"")
    assert classify(empty, known).kind is Kind.TRIAGE
    two = classify(mail(f"unsubscribe {TOKEN} and AnotherToken0001"), lambda w: len(w) > 10)
    assert two.kind is Kind.TRIAGE


def test_a_report_forwarded_by_a_person_is_not_a_bounce():
    dsn = (SAMPLES / "dsn-1.eml").read_bytes()
    raw = (
        b"From: jean@example.fr\r\nSubject: Fwd: Undelivered Mail\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="f"\r\n\r\n'
        b"--f\r\nContent-Type: text/plain\r\n\r\nWhat is this?\r\n"
        b"--f\r\nContent-Type: message/rfc822\r\n\r\n" + dsn + b"\r\n--f--\r\n"
    )
    result = classify(read_message(raw), known)
    assert result.kind is Kind.TRIAGE
