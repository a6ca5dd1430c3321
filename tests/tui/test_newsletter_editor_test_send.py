"""The editor's test send (issue 10): F3 sends, Enter sends only a valid address (one line
otherwise), and a sent newsletter previews the text frozen at its send. Pilot against a real
SQLite file and a real SMTP server (aiosmtpd on loopback)."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from textual.widgets import Input, Label, Markdown

from omtui.context import ClubContext
from omtui.core import events, sender
from omtui.core.demo import DEMO_NOW, seed_members
from omtui.tui.app import make_app
from tests.smtp_sink import SmtpSink
from tests.tui import pilot_helpers as ui
from tests.tui.test_newsletter_pane import draft, mail_config, plain


@pytest.fixture
def letter_club(db_path: Path, smtp_sink: SmtpSink) -> Iterator[ClubContext]:
    """30 members, SMTP pointing at the sink, an organiser address configured."""
    config = replace(mail_config(smtp_sink), organiser_email="organiser@club-exemple.fr")
    club = ClubContext(config=config, db_path=db_path, fixed_now=DEMO_NOW)
    seed_members(club.db, 30, now=DEMO_NOW)
    yield club
    club.close()


def result_line(app) -> Label:
    return app.screen.query_one("#nle-test-result", Label)


async def test_f3_sends_to_the_organiser_when_no_address_is_typed(
    letter_club: ClubContext, smtp_sink: SmtpSink
) -> None:
    item = draft(letter_club)
    app = make_app(letter_club, poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await ui.open_editor(pilot, item.id)
        await ui.press_and_settle(pilot, "f3")
        assert plain(result_line(app)) == "Test sent to organiser@club-exemple.fr."
        assert app.screen.query_one("#nle-test-to", Input).value == "organiser@club-exemple.fr"
    assert smtp_sink.recipients() == ["organiser@club-exemple.fr"]
    message = email.message_from_bytes(smtp_sink.messages[0].data, policy=email.policy.default)
    assert str(message["To"]) == "organiser@club-exemple.fr"  # no sample member's name


async def test_f3_sends_to_the_typed_address(letter_club: ClubContext, smtp_sink: SmtpSink) -> None:
    item = draft(letter_club)
    app = make_app(letter_club, poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await ui.open_editor(pilot, item.id)
        app.screen.query_one("#nle-test-to", Input).value = "moi@example.org"
        await pilot.press("f3")  # no Enter needed: F3 is "Test"
        await ui.settle(pilot)
        assert plain(result_line(app)) == "Test sent to moi@example.org."
    assert smtp_sink.recipients() == ["moi@example.org"]


async def test_f3_without_any_address_asks_for_one(
    letter_club: ClubContext, smtp_sink: SmtpSink
) -> None:
    club = replace(letter_club, config=replace(letter_club.config, organiser_email=""))
    item = draft(club)
    app = make_app(club, poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await ui.open_editor(pilot, item.id)
        await ui.press_and_settle(pilot, "f3")
        field = app.screen.query_one("#nle-test-to", Input)
        assert field.has_focus
        assert plain(result_line(app)) == "Type the address for the test, then press Enter."
        await ui.press_and_pause(pilot, *"moi@example.org")
        assert not result_line(app).display  # the hint goes once she types
        await ui.press_and_settle(pilot, "enter")
        assert plain(result_line(app)) == "Test sent to moi@example.org."
    assert smtp_sink.recipients() == ["moi@example.org"]


@pytest.mark.parametrize("typed", ["moi@", "moi example.org", "@example.org", "moi@@x.org"])
async def test_enter_sends_only_a_valid_address(
    letter_club: ClubContext, smtp_sink: SmtpSink, typed: str
) -> None:
    item = draft(letter_club)
    app = make_app(letter_club, poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        editor = await ui.open_editor(pilot, item.id)
        editor.query_one("#nle-test-to", Input).focus()
        await ui.press_and_settle(pilot, *typed, "enter")
        line = result_line(app)
        text = plain(line)
        assert text == "Not sent: that is not an email address (like name@example.org)."
        assert line.has_class("-error") and line.display
        assert line.size.height == 1 and line.size.width >= len(text)  # one line, not cut
        assert editor.query_one("#nle-test-to", Input).has_focus
    assert smtp_sink.messages == []


async def test_a_sent_newsletter_previews_its_frozen_text(
    letter_club: ClubContext, smtp_sink: SmtpSink
) -> None:
    club, db = letter_club, letter_club.db
    start = DEMO_NOW + timedelta(days=10)
    events.create_event(
        db,
        {"kind": "lunch", "title": "Déjeuner annoncé", "starts_at": start,
         "ends_at": start + timedelta(hours=2), "city": "Lyon"},
        now=DEMO_NOW,
    )  # fmt: skip
    item = draft(club)  # its body has {upcoming_events}
    plan = sender.prepare(db, item.id, club.config)
    sender.start_send(db, item.id, club.config, plan, now=club.now())
    await sender.send_newsletter(club.db_path, item.id, club.config, clock=club.now)
    soon = DEMO_NOW + timedelta(days=3)  # after the send: members never read about it
    events.create_event(
        db,
        {"kind": "lunch", "title": "Déjeuner ajouté après", "starts_at": soon,
         "ends_at": soon + timedelta(hours=2), "city": "Lyon"},
        now=DEMO_NOW,
    )  # fmt: skip
    app = make_app(club, poll=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await ui.open_editor(pilot, item.id)
        await ui.settle(pilot)
        preview = app.screen.query_one("#nle-preview", Markdown)
        text = preview.source
        assert "Déjeuner annoncé" in text and "Déjeuner ajouté après" not in text
        box = app.screen.query_one("#nle-preview-box")
        assert box.border_subtitle == "as sent on Sun, 22 Nov 2026"  # DEMO_NOW
        assert "(read-only)" in app.screen.title and "sent" in app.screen.title
