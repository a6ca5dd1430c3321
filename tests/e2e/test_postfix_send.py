"""`omtui newsletter send` through a real Postfix on loopback, into a Maildir."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
import shutil
import subprocess
import tempfile
from collections import Counter
from collections.abc import Iterator
from email import policy
from email.header import decode_header, make_header
from email.parser import BytesParser
from email.utils import format_datetime
from pathlib import Path

import pytest

from omtui.core.dates import utcnow
from omtui.core.db import open_database
from omtui.core.demo import DEMO_NOW
from omtui.core.mailer import helo_name
from tests.core.test_newsletter import add_many, add_people
from tests.e2e.mailstack import PostfixRelay, find_postfix

FROM = "lettre@clubtest-local.fr"
LONG_NAME = "Marie-Hélène-Éléonore-Françoise de La Tour d'Auvergne-Lauraguais " * 5
EXTRA = [
    ("René", "Brûlé", "rené.brûlé@exemple.fr", "Lyon", "", True),
    ("Zoé", "Façade", "zoe@cœurdeville.fr", "Paris", "", True),
    ("Marie-Hélène", LONG_NAME.strip(), "mh@exemple.fr", "Lyon", "", True),
    ("=?utf-8?q?Service?=", "Client", "lookalike@exemple.fr", "Lyon", "", True),
    ("Refusé", "Partout", "refuse@exemple.fr", "Lyon", "", True),
    ("Parti", "Ailleurs", "parti@exemple.fr", "Lyon", "", False),
]


@pytest.fixture(scope="module")
def postfix() -> Iterator[PostfixRelay]:
    if find_postfix() is None:
        pytest.skip("Postfix not found: apt-get install postfix (.ci/run does)")
    if os.geteuid() != 0:
        pytest.skip("a private Postfix needs root here")
    # Not under pytest's temp root (mode 700): postfix and uid 65534 must traverse it.
    folder = Path(tempfile.mkdtemp(prefix="omtui-postfix-"))
    relay = PostfixRelay(folder, refusals={"refuse@exemple.fr": "550 5.1.1 no such user"})
    try:
        relay.start()
        yield relay
    finally:
        relay.stop()
        shutil.rmtree(folder, ignore_errors=True)


def delivered_to(raw: bytes) -> str:
    message = BytesParser(policy=policy.SMTPUTF8).parsebytes(raw)
    return str(message["Delivered-To"]).strip().lower()


def to_display_name(raw: bytes) -> str:
    """The To display name decoded as RFC 2047 says (as mail clients do; Python's own
    parser puts a space between adjacent encoded words)."""
    head = raw.split(b"\n\n", 1)[0].replace(b"\r\n", b"\n").decode("utf-8")
    unfolded = head.replace("\n ", " ").replace("\n\t", " ")
    line = next(x for x in unfolded.split("\n") if x.lower().startswith("to:"))
    phrase = line[3:].rsplit("<", 1)[0].strip()
    return str(make_header(decode_header(phrase)))


def test_every_subscribed_member_gets_it_exactly_once_through_postfix(
    run_cli, db_path: Path, tmp_path: Path, postfix: PostfixRelay
) -> None:
    db = open_database(db_path)
    add_people(db, DEMO_NOW)
    add_people(db, DEMO_NOW, EXTRA)
    add_many(db, 60, DEMO_NOW)
    subscribed = {r["email"] for r in db.query("SELECT email FROM members WHERE subscribed = 1")}
    db.close()
    config = tmp_path / "omtui.toml"
    config.write_text(
        'club_name = "Club des Office Managers"\n'
        'unsubscribe_mailto = "desabonnement@clubtest-local.fr"\n'
        f'[smtp]\nhost = "{postfix.host}"\nport = {postfix.port}\nfrom_address = "{FROM}"\n'
        "rate = 100\nconcurrency = 4\n",
        encoding="utf-8",
    )
    body = tmp_path / "body.md"
    body.write_text("Bonjour {first_name} !\n\n[Se désabonner]({unsubscribe})\n", encoding="utf-8")
    cli = ("--config", str(config), "newsletter")
    new = run_cli(*cli, "new", "--subject", "Les nouvelles de l'été", "--body", str(body))
    assert new.returncode == 0, new.stderr
    nid = new.stdout.strip()

    # An accented local part: SMTPUTF8 is asked after EHLO, so Postfix takes it.
    test = run_cli(*cli, "test", nid, "--to", "rené.brûlé@exemple.fr")
    assert test.returncode == 0, test.stderr

    send = run_cli(*cli, "send", nid, "--yes", timeout=120)
    assert send.returncode == 1, send.stderr  # one refusal
    assert "failed: refuse@exemple.fr: 550 5.1.1" in send.stdout

    expected = subscribed - {"refuse@exemple.fr"}
    files = postfix.wait_delivered(len(expected) + 1)
    got = Counter(delivered_to(p.read_bytes()) for p in files)
    assert got.pop("rené.brûlé@exemple.fr") == 2  # the test message and the newsletter
    got["rené.brûlé@exemple.fr"] = 1
    on_the_wire = {e.replace("cœurdeville", "xn--curdeville-m5b") for e in expected}
    assert set(got) == {e.lower() for e in on_the_wire}
    assert set(got.values()) == {1}  # every subscribed member exactly once
    assert "parti@exemple.fr" not in got

    by_rcpt = {delivered_to(p.read_bytes()): p.read_bytes() for p in files}
    long_name = to_display_name(by_rcpt["mh@exemple.fr"])
    assert long_name == " ".join(f"Marie-Hélène {LONG_NAME}".split())
    assert max(len(line) for line in by_rcpt["mh@exemple.fr"].split(b"\n")) <= 998
    assert b"=?utf-8?q?Service?=" not in by_rcpt["lookalike@exemple.fr"].split(b"<")[0]
    assert to_display_name(by_rcpt["lookalike@exemple.fr"]) == "=?utf-8?q?Service?= Client"
    assert b"List-Unsubscribe: <mailto:desabonnement@clubtest-local.fr" in by_rcpt["mh@exemple.fr"]

    status = json.loads(run_cli("newsletter", "status", nid, "--json").stdout)
    assert status["sent"] == len(expected) and status["failed"] == 1
    assert status["uncertain"] == 0 and status["queued"] == 0
    replies = {r["reply"].split(" queued as ")[0] for r in status["sent_recipients"]}
    assert replies == {"250 2.0.0 Ok:"}  # what Postfix said for each: "did it leave?"
    assert status["failed_recipients"][0]["failure"] == "permanent"
    # Postfix logs the EHLO name with its refusal: never "localhost".
    assert f"helo=<{helo_name('', FROM)}>" in postfix.log
    assert "helo=<localhost>" not in postfix.log


SIGNED = [b"From", b"To", b"Subject", b"Date", b"Message-ID", b"List-Id", b"List-Unsubscribe",
          b"List-Unsubscribe-Post", b"MIME-Version", b"Content-Type"]  # fmt: skip


def test_a_dkim_signature_over_omtui_headers_survives_postfix(
    tmp_path: Path, postfix: PostfixRelay
) -> None:
    """What a relay would sign (every header omtui writes, List-Unsubscribe included)
    still verifies in the mailbox after Postfix has queued and delivered it."""
    dkim = pytest.importorskip("dkim")
    from omtui.config import Config, SmtpConfig
    from omtui.core.mailer import send_one
    from omtui.core.newsletter import Newsletter, Recipient
    from omtui.core.newsletter_mime import MessageTemplate

    key = tmp_path / "dkim.pem"
    subprocess.run(["openssl", "genrsa", "-out", str(key), "2048"], check=True,
                   capture_output=True)  # fmt: skip
    public = subprocess.run(["openssl", "rsa", "-in", str(key), "-pubout", "-outform", "DER"],
                            check=True, capture_output=True).stdout  # fmt: skip
    record = b"v=DKIM1; k=rsa; p=" + base64.b64encode(public)
    config = Config(
        club_name="Club des Office Managers",
        unsubscribe_url="https://clubtest-local.fr/desabonnement",
        smtp=SmtpConfig(host=postfix.host, port=postfix.port, from_address=FROM, rate=0),
    )
    nl = Newsletter(id=9, subject="Les nouvelles de l'été", body="Bonjour {first_name} !")
    template = MessageTemplate(nl, config, events_block="", clock=lambda: DEMO_NOW)
    who = Recipient("dkim@exemple.fr", "Marie-Hélène", LONG_NAME.strip(), "Lyon", "tok", 1)
    _mid, data = template.build(who)
    signature = dkim.sign(data, b"omtui", b"clubtest-local.fr", key.read_bytes(),
                          include_headers=SIGNED, linesep=b"\r\n")  # fmt: skip
    before = len(postfix.messages_files())
    result = asyncio.run(send_one(config.smtp, who.email, signature + data))
    assert result.state == "sent", result.reply
    postfix.wait_delivered(before + 1)
    files = [p for p in postfix.messages_files() if b"dkim@exemple.fr" in p.read_bytes()]
    delivered = files[-1].read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    assert b"\r\nReceived: " in delivered  # Postfix added its own headers on top

    def dns(name: bytes, timeout: int = 5) -> bytes:
        assert name == b"omtui._domainkey.clubtest-local.fr."
        return record

    assert dkim.verify(delivered, dnsfunc=dns)
    assert not dkim.verify(delivered.replace(b"List-Id: ", b"List-Id: x"), dnsfunc=dns)
    signed = delivered.split(b"DKIM-Signature:", 1)[1].split(b"\r\n\r\n")[0]
    assert b"list-unsubscribe" in signed.lower() and b"list-unsubscribe-post" in signed.lower()


def test_spamassassin_scores_a_newsletter_zero_from_an_outside_relay(
    tmp_path: Path, postfix: PostfixRelay
) -> None:
    """The newsletter as a member's server would get it from the club's relay (Postfix's
    copy, with one more Received line from an outside address), scored by SpamAssassin's
    local rules: 0 points."""
    spamassassin = shutil.which("spamassassin")
    if spamassassin is None:
        pytest.skip("SpamAssassin not found: apt-get install spamassassin (.ci/run does)")
    from omtui.config import Config, SmtpConfig
    from omtui.core.mailer import send_one
    from omtui.core.newsletter import Newsletter, Recipient
    from omtui.core.newsletter_mime import MessageTemplate

    config = Config(
        club_name="Club des Office Managers",
        unsubscribe_mailto="desabonnement@clubtest-local.fr",
        unsubscribe_url="https://clubtest-local.fr/desabonnement",
        smtp=SmtpConfig(host=postfix.host, port=postfix.port, from_address=FROM, rate=0),
    )
    body = (
        "# Bonjour {first_name} !\n\nVoici les nouvelles du club pour **{city}** : les "
        "rencontres de l'hiver, le déjeuner des partenaires et l'assemblée générale.\n\n"
        "- Un atelier « bien-être au bureau » en janvier\n- Le réseau d'entraide\n\n"
        "[Se désabonner]({unsubscribe})\n"
    )
    nl = Newsletter(id=11, subject="Les nouvelles de l'hiver", body=body)
    template = MessageTemplate(nl, config, events_block="", clock=utcnow)
    who = Recipient("spam-check@exemple.fr", "Hélène", "Dupré", "Lyon", "tok42", 1, 2)
    _mid, data = template.build(who)
    before = len(postfix.messages_files())
    assert asyncio.run(send_one(config.smtp, who.email, data)).state == "sent"
    postfix.wait_delivered(before + 1)
    copy = [p for p in postfix.messages_files() if b"spam-check@exemple.fr" in p.read_bytes()]
    # A public address: SpamAssassin flags documentation ranges (203.0.113.0/24) as illegal.
    outside = (
        "Received: from relay.clubtest-local.fr (relay.clubtest-local.fr [51.91.7.25])\n"
        "\tby mx.exemple.fr (Postfix) with ESMTPS id 4F1A2B\n"
        f"\tfor <{who.email}>; {format_datetime(utcnow())}\n"
    )
    message = tmp_path / "newsletter.eml"
    message.write_bytes(outside.encode() + copy[-1].read_bytes())
    home = tmp_path / "sa-home"
    home.mkdir()
    report = subprocess.run(
        [spamassassin, "-L", "-t"],
        stdin=message.open("rb"),
        capture_output=True,
        timeout=120,
        env={**os.environ, "HOME": str(home)},
        check=False,
    ).stdout.decode("utf-8", "replace")
    score = re.search(r"Content analysis details:\s+\((-?[0-9.]+) points", report)
    assert score is not None, report[-2000:]
    assert float(score.group(1)) == 0.0, report.split("Content analysis details:")[1]
