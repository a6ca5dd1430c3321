"""Test messages (issue 10): their To: is the test address alone, and a newsletter already
sent is tested with the text frozen at its send, not recomputed events."""

from __future__ import annotations

from datetime import datetime, timedelta

from omtui.core import sender
from omtui.core.db import Database
from omtui.core.newsletter import create_draft, get_newsletter
from tests.core.test_newsletter import add_event, add_people, parse
from tests.core.test_sender import make_config, started
from tests.smtp_sink import SmtpSink


def test_test_message_to_is_the_bare_test_address(db: Database, now: datetime) -> None:
    add_people(db, now)
    config = make_config("127.0.0.1", 25)
    nl = create_draft(db, subject="Édition", body="Bonjour {first_name}", now=now)
    _id, data = sender.build_test_message(db, nl.id, config, "organiser@example.org", now=now)
    message = parse(data)
    assert str(message["To"]) == "organiser@example.org"  # not "Hélène Dupré <...>"
    assert message.get_body(("plain",)).get_content().startswith("Bonjour Hélène")
    # to a member's own address: their values in the text, still the bare address in To:
    _id, data = sender.build_test_message(db, nl.id, config, "jerome@example.fr", now=now)
    message = parse(data)
    assert str(message["To"]) == "jerome@example.fr"
    assert message.get_body(("plain",)).get_content().startswith("Bonjour Jérôme")


def test_members_still_get_their_name_in_to(
    db: Database, db_path, now: datetime, smtp_sink: SmtpSink
) -> None:
    add_people(db, now)
    config = make_config(smtp_sink.host, smtp_sink.port)
    nid = started(db, config, now)
    sender.run_send(db_path, nid, config)
    tos = [parse(m.data)["To"].addresses[0] for m in smtp_sink.messages]
    assert ("Jérôme Lefèvre", "jerome@example.fr") in {(a.display_name, a.addr_spec) for a in tos}


def test_testing_a_sent_newsletter_uses_its_frozen_events(db: Database, now: datetime) -> None:
    add_people(db, now)
    add_event(db, "Avant l'envoi", now + timedelta(days=3))
    config = make_config("127.0.0.1", 25)
    nid = started(db, config, now, body="Bonjour {first_name},\n\n{upcoming_events}\n")
    frozen = get_newsletter(db, nid).events_block
    assert "Avant l'envoi" in frozen
    add_event(db, "Après l'envoi", now + timedelta(days=2))  # would come first if recomputed
    _id, data = sender.build_test_message(
        db, nid, config, "organiser@example.org", now=now + timedelta(days=1)
    )
    text = parse(data).get_body(("plain",)).get_content()
    assert "Avant l'envoi" in text and "Après l'envoi" not in text
