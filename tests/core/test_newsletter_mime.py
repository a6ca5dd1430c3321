"""Headers members' mail clients and relays will read: To/From folding, encoded words,
subjects. Checked with an RFC 2047 decoder (email.header) and line by line."""

from __future__ import annotations

import re
from datetime import datetime
from email.header import decode_header, make_header
from pathlib import Path

import pytest

from omtui.config import Config, SmtpConfig
from omtui.core import sender
from omtui.core.db import Database
from omtui.core.newsletter import Recipient, create_draft, update_draft
from omtui.core.newsletter_mime import MessageTemplate, format_mailbox
from omtui.errors import ValidationError
from tests.core.test_newsletter import add_people
from tests.smtp_sink import SmtpSink

ENCODED_WORD = re.compile(r"=\?[^?]+\?[bBqQ]\?[^?]*\?=")
LONG_NAME = "Marie-Hélène-Éléonore-Françoise de La Tour d'Auvergne-Lauraguais " * 6


def header_lines(data: bytes, name: str) -> list[str]:
    """The physical lines of header `name` (its first line and continuation lines)."""
    head = data.split(b"\r\n\r\n", 1)[0].decode("utf-8").split("\r\n")
    for i, line in enumerate(head):
        if line.lower().startswith(name.lower() + ":"):
            out = [line]
            for more in head[i + 1 :]:
                if more[:1] not in (" ", "\t"):
                    break
                out.append(more)
            return out
    raise AssertionError(f"no {name} header")


def display_name(lines: list[str]) -> str:
    """Decode the display name as RFC 2047 says (whitespace between adjacent encoded
    words dropped), the way mail clients do."""
    value = " ".join(line.strip() for line in lines).split(":", 1)[1]
    phrase = value.rsplit("<", 1)[0].strip()
    return str(make_header(decode_header(phrase)))


def build(name: str, email: str = "m@example.org", subject: str = "Nouvelles") -> bytes:
    config = Config(smtp=SmtpConfig(from_address="lettre@club-exemple.fr"))
    from omtui.core.newsletter import Newsletter

    nl = Newsletter(id=1, subject=subject, body="Bonjour {first_name}")
    template = MessageTemplate(nl, config, events_block="", clock=lambda: datetime(2026, 1, 1))
    first, _space, last = name.partition(" ")
    return template.build(Recipient(email, first, last, "Lyon", "tok", outbox_id=1))[1]


@pytest.mark.parametrize(
    "name",
    [
        "Hélène Dupré",
        LONG_NAME.strip(),
        "Zoé " + "日本語テキスト" * 30,
        "Ann " + "Lee" * 200,
    ],
)
def test_to_is_folded_with_short_encoded_words_and_short_lines(name: str) -> None:
    data = build(name)
    assert max(len(line) for line in data.split(b"\r\n")) <= 998
    lines = header_lines(data, "To")
    assert all(len(line) <= 78 for line in lines[:-1]), lines
    words = ENCODED_WORD.findall(" ".join(lines))
    assert all(len(w) <= 75 for w in words)
    assert display_name(lines) == " ".join(name.split())
    assert lines[-1].endswith("<m@example.org>")


@pytest.mark.parametrize(
    "name",
    [
        "=?utf-8?q?Service_client?=",
        "=?utf-8?q?x=0D=0ABcc:_all@evil.example?=",
        "Bob =?iso-8859-1?q?=E9?= Lee",
    ],
)
def test_a_name_that_looks_like_an_encoded_word_is_encoded_not_quoted(name: str) -> None:
    lines = header_lines(build(name), "To")
    assert name not in " ".join(lines)  # never given raw to a decoder
    assert display_name(lines) == name  # decodes to the literal text, nothing else


def test_control_characters_never_reach_a_header() -> None:
    assert format_mailbox("Ann\x1b[31m\x00 Lee\r\nBcc: x@y", "a@b.org") == (
        '"Ann[31m Lee Bcc: x@y" <a@b.org>'
    )


@pytest.mark.parametrize("subject", ["Hello\rBcc: x@y", "Hi\nthere", "Tab\there", "Esc\x1b[2J"])
def test_subjects_with_control_characters_are_refused_when_the_draft_is_saved(
    db: Database, now: datetime, subject: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        create_draft(db, subject=subject, body="B", now=now)
    assert refused.value.field == "subject"
    nl = create_draft(db, subject="Fine", body="B", now=now)
    with pytest.raises(ValidationError):
        update_draft(db, nl.id, subject=subject, now=now)
    assert db.scalar("SELECT subject FROM newsletters WHERE id = ?", (nl.id,)) == "Fine"


def test_subject_that_looks_encoded_is_encoded() -> None:
    data = build("Ann Lee", subject="=?utf-8?q?Urgent?= news")
    lines = header_lines(data, "Subject")
    value = " ".join(line.strip() for line in lines).split(":", 1)[1].strip()
    assert "=?utf-8?q?Urgent?=" not in value
    assert str(make_header(decode_header(value))) == "=?utf-8?q?Urgent?= news"


async def test_a_long_accented_name_is_delivered(
    db: Database, db_path: Path, now: datetime, smtp_sink: SmtpSink
) -> None:
    add_people(db, now, [("Marie-Hélène", LONG_NAME, "mh@example.fr", "Lyon", "", True)])
    config = Config(
        smtp=SmtpConfig(
            host=smtp_sink.host, port=smtp_sink.port, from_address="l@club-exemple.fr", rate=0
        )
    )
    nl = create_draft(db, subject="S", body="B", now=now)
    sender.start_send(db, nl.id, config, sender.prepare(db, nl.id, config), now=now)
    outcome = await sender.send_newsletter(db_path, nl.id, config)
    assert outcome.progress.sent == 1
    lines = header_lines(smtp_sink.messages[0].data, "To")
    assert display_name(lines) == " ".join(f"Marie-Hélène {LONG_NAME}".split())
