"""The Newsletter tab, editor, send plan and progress, driven with Pilot against a real
SQLite file and a real SMTP server (aiosmtpd on loopback)."""

from __future__ import annotations

import email
import email.policy
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from email_validator import validate_email
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Label, Markdown, Static, TextArea

from omtui.config import Config, DatabaseConfig, SmtpConfig
from omtui.context import ClubContext
from omtui.core import newsletter as nl
from omtui.core import outbox, sender
from omtui.core.demo import DEMO_NOW, build_demo, seed_members
from omtui.core.numbers import format_number
from omtui.tui.app import OmtuiApp, make_app
from omtui.tui.panes.newsletter import NewsletterPane
from omtui.tui.screens.confirm import ConfirmDialog, TypeToConfirmDialog
from omtui.tui.screens.newsletter_editor import NewsletterEditor
from omtui.tui.screens.newsletter_plan import SendPlanScreen
from omtui.tui.screens.newsletter_progress import SendProgressScreen
from tests.smtp_sink import SmtpSink

BODY = (
    "# Des nouvelles\n\nBonjour {first_name},\n\n{upcoming_events}\n\n"
    "[Se désinscrire]({unsubscribe})\n"
)


def mail_config(sink: SmtpSink, **smtp: object) -> Config:
    settings = {"host": sink.host, "port": sink.port, "rate": 1000.0, "concurrency": 4,
                "from_address": "lettre@club-exemple.fr", **smtp}  # fmt: skip
    return Config(club_name="Club des Office Managers", smtp=SmtpConfig(**settings))


@pytest.fixture
def mail_club(db_path: Path, smtp_sink: SmtpSink) -> Iterator[ClubContext]:
    """The demo club (300 members) with SMTP pointing at the real sink."""
    club = ClubContext(config=mail_config(smtp_sink), db_path=db_path, fixed_now=DEMO_NOW)
    build_demo(club.db, members_count=300)
    yield club
    club.close()


def draft(club: ClubContext, subject: str = "Décembre au club", **fields: object) -> nl.Newsletter:
    return nl.create_draft(club.db, subject=subject, body=BODY, now=club.now(), **fields)


async def wait_for(pilot: Pilot, condition: Callable[[], bool], rounds: int = 5000) -> None:
    """Let the app process messages until `condition` holds (no fixed sleeps)."""
    for _round in range(rounds):
        if condition():
            return
        await pilot.pause()
    raise AssertionError("condition never became true")


async def settle(pilot: Pilot) -> None:
    """Process pending messages, wait for every worker, then process what they posted."""
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def open_tab(pilot: Pilot, item: nl.Newsletter | None = None) -> NewsletterPane:
    """Show the Newsletter tab, with the cursor on `item` if given."""
    await pilot.press("4")
    await pilot.pause()
    pane = pilot.app.query_one(NewsletterPane)
    if item is not None:
        table = pane.query_one("#nl-table", DataTable)
        table.move_cursor(row=table.get_row_index(str(item.id)))
        await pilot.pause()
    return pane


async def confirm_send(pilot: Pilot, count: int) -> None:
    """From the send plan: Continue, then type the number of recipients."""
    assert isinstance(pilot.app.screen, SendPlanScreen)
    await pilot.click("#continue")
    assert isinstance(pilot.app.screen, TypeToConfirmDialog)
    await pilot.press(*str(count), "enter")


def plain(widget: Static) -> str:
    """What a Static shows, markup removed."""
    return widget.render().plain


def on_the_wire(address: str) -> str:
    """How an address reaches the server (an international domain travels as xn--)."""
    valid = validate_email(address, check_deliverability=False)
    return (valid.ascii_email or valid.normalized).lower()


def recipients(club: ClubContext, newsletter_id: int) -> int:
    return sender.prepare(club.db, newsletter_id, club.config).count


# -- the tab ---------------------------------------------------------------------------------
async def test_tab_lists_drafts_with_audience(mail_club: ClubContext) -> None:
    item = draft(mail_club, city="Lyon")
    app = make_app(mail_club, poll=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_tab(pilot, item)
        table = app.query_one("#nl-table", DataTable)
        row = table.get_row(str(item.id))
        assert row[0] == "Décembre au club"
        assert row[1] == "draft"
        assert row[2] == format_number(nl.audience_size(mail_club.db, (), "Lyon"))
        assert row[5] == "now"  # edited: the state "draft" says it


async def test_empty_tab_says_how_to_start(club: ClubContext) -> None:
    app = make_app(club, poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_tab(pilot)
        assert app.query_one("#nl-empty").display
        assert not app.query_one("#nl-table").display
        await pilot.press("n")
        assert isinstance(app.screen, NewsletterEditor)


# -- the editor --------------------------------------------------------------------------------
async def test_preview_and_audience_update_as_you_type(mail_club: ClubContext) -> None:
    app = make_app(mail_club, poll=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_tab(pilot)
        await pilot.press("n")
        editor = app.screen
        assert isinstance(editor, NewsletterEditor)
        await pilot.press(*"Bonjour", "tab")
        await pilot.click("#nle-body")
        await pilot.press(*"Salut {first_name} de {city} !")
        await settle(pilot)
        preview = editor.query_one("#nle-preview", Markdown)
        assert preview.source == "Salut Hélène de Lyon !"
        everyone = nl.audience_size(mail_club.db)
        assert f"{everyone:,}" in plain(editor.query_one("#nle-audience", Label))
        await pilot.click("#nle-city")
        await pilot.press(*"Lyon")
        await settle(pilot)
        lyon = nl.audience_size(mail_club.db, (), "Lyon")
        assert 0 < lyon < everyone
        assert f"{lyon:,} subscribed" in plain(editor.query_one("#nle-audience", Label))
        await pilot.press("ctrl+s")
        await settle(pilot)  # the save runs in a worker
        saved = nl.list_newsletters(mail_club.db)[0].newsletter
        assert (saved.subject, saved.body, saved.audience_city) == (
            "Bonjour",
            "Salut {first_name} de {city} !",
            "Lyon",
        )


async def test_unknown_placeholder_is_shown_and_blocks_sending(
    mail_club: ClubContext, smtp_sink: SmtpSink
) -> None:
    item = draft(mail_club)
    app = make_app(mail_club, poll=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_tab(pilot, item)
        await pilot.press("enter")
        editor = app.screen
        assert isinstance(editor, NewsletterEditor)
        editor.query_one("#nle-body", TextArea).insert("Votre code : {promo_code}\n")
        await settle(pilot)
        problems = editor.query_one("#nle-problems", Static)
        assert "{promo_code}" in str(problems.content)
        assert problems.has_class("-error")
        await pilot.press("f5")
        await pilot.pause()
        assert app.screen is editor  # no send plan
        assert not any(isinstance(s, SendPlanScreen) for s in app.screen_stack)
    assert nl.get_newsletter(mail_club.db, item.id).status == "draft"
    assert outbox.counts(mail_club.db, item.id)["queued"] == 0
    assert smtp_sink.messages == []


async def test_closing_with_unsaveable_changes_asks(mail_club: ClubContext) -> None:
    item = draft(mail_club)
    app = make_app(mail_club, poll=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_tab(pilot, item)
        await pilot.press("enter")
        editor = app.screen
        assert isinstance(editor, NewsletterEditor)
        editor.query_one("#nle-body", TextArea).insert("{oops}")
        await settle(pilot)
        await pilot.press("escape")
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("escape")  # keep editing
        assert app.screen is editor
        await pilot.press("escape")
        await pilot.click("#yes")  # lose the changes
        assert isinstance(app.screen.query_one(NewsletterPane), NewsletterPane)
    assert nl.get_newsletter(mail_club.db, item.id).body == BODY


async def test_saving_while_another_process_writes_keeps_the_editor_responsive(
    db_path: Path, smtp_sink: SmtpSink
) -> None:
    """A save waits for another process's write in a worker: the editor shows "Saving…",
    keeps answering keys, and the save completes once the lock frees (issue 7, section 2)."""
    import sqlite3

    config = replace(mail_config(smtp_sink), database=DatabaseConfig(busy_timeout=20))
    club = ClubContext(config=config, db_path=db_path, fixed_now=DEMO_NOW)
    build_demo(club.db, members_count=20)
    item = draft(club)
    app = make_app(club, poll=False)
    holder = sqlite3.connect(db_path, isolation_level=None, check_same_thread=False)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await open_tab(pilot, item)
            await pilot.press("enter")
            editor = app.screen
            assert isinstance(editor, NewsletterEditor)
            editor.query_one("#nle-body", TextArea).insert("Encore un mot.\n")
            await settle(pilot)
            holder.execute("BEGIN IMMEDIATE")  # e.g. a long import in another process
            await pilot.press("ctrl+s")
            await wait_for(pilot, lambda: editor.sub_title == "Saving…")
            await pilot.press("f2")  # the editor still answers keys meanwhile
            await wait_for(pilot, lambda: editor.has_class("-no-preview"))
            assert editor.saving and editor.dirty
            holder.execute("COMMIT")
            await settle(pilot)
            assert not editor.saving and not editor.dirty
            assert editor.sub_title == club.config.club_name
            assert "*" not in editor.title
        assert nl.get_newsletter(club.db, item.id).body.startswith("Encore un mot.")
    finally:
        holder.close()
        club.close()


async def test_test_send_reaches_one_address(mail_club: ClubContext, smtp_sink: SmtpSink) -> None:
    item = draft(mail_club)
    app = make_app(mail_club, poll=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_tab(pilot, item)
        await pilot.press("enter")
        await pilot.press("f3")
        await pilot.press(*"organiser@example.org", "enter")
        await settle(pilot)
        result = plain(app.screen.query_one("#nle-test-result", Label))
        assert result == "Test sent to organiser@example.org."
    assert smtp_sink.recipients() == ["organiser@example.org"]
    message = email.message_from_bytes(smtp_sink.messages[0].data, policy=email.policy.default)
    assert message["Subject"] == "[TEST] Décembre au club"


async def test_small_terminal_toggles_the_preview(mail_club: ClubContext) -> None:
    item = draft(mail_club)
    app = make_app(mail_club, poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_tab(pilot, item)
        await pilot.press("enter")
        editor = app.screen
        body = editor.query_one("#nle-body")
        preview = editor.query_one("#nle-preview-box")
        assert body.display and not preview.display
        await pilot.press("f2")
        assert preview.display and not body.display
        assert preview.size.width >= 70
        await pilot.press("f2")
        assert body.display and not preview.display


# -- sending -----------------------------------------------------------------------------------
async def test_plan_and_progress_fit_80x24(mail_club: ClubContext) -> None:
    item = draft(mail_club)
    plan = sender.prepare(mail_club.db, item.id, mail_club.config)
    sender.start_send(mail_club.db, item.id, mail_club.config, plan, now=mail_club.now())
    outbox.claim(mail_club.db, item.id, 2, now=mail_club.now())
    outbox.recover(mail_club.db, item.id, now=mail_club.now())  # two uncertain rows to list
    other = draft(mail_club, "Encore")
    app = make_app(mail_club, poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_tab(pilot, item)
        await pilot.press("p")
        box = app.screen.query_one("#nlp-box")
        assert box.region.bottom <= 23 and box.region.right <= 80
        assert app.screen.query_one("#nlp-uncertain").region.bottom < box.region.bottom
        await pilot.press("escape")
        await open_tab(pilot, other)
        await pilot.press("s")
        button = app.screen.query_one("#continue")
        assert button.region.bottom <= 23 and button.region.right <= 80


async def test_plan_needs_the_right_number(mail_club: ClubContext, smtp_sink: SmtpSink) -> None:
    item = draft(mail_club)
    count = recipients(mail_club, item.id)
    app = make_app(mail_club, poll=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_tab(pilot, item)
        await pilot.press("s")
        plan = app.screen
        assert isinstance(plan, SendPlanScreen)
        text = plain(plan.query_one("#nlplan-body", Static))
        assert f"Recipients: {count:,}" in text
        assert "unsubscribed: " in text
        await pilot.click("#continue")
        await pilot.press(*str(count + 1), "enter")
        dialog = app.screen
        assert isinstance(dialog, TypeToConfirmDialog)
        assert f"Type exactly {count}" in plain(dialog.query_one("#mismatch", Label))
        await pilot.press("escape")
        assert not isinstance(app.screen, (TypeToConfirmDialog, SendProgressScreen))
    assert nl.get_newsletter(mail_club.db, item.id).status == "draft"
    assert smtp_sink.messages == []


async def test_full_send_delivers_once_to_each_subscriber(
    mail_club: ClubContext, smtp_sink: SmtpSink
) -> None:
    item = draft(mail_club)
    plan = sender.prepare(mail_club.db, item.id, mail_club.config)
    app = make_app(mail_club, poll=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_tab(pilot, item)
        await pilot.press("s")
        await confirm_send(pilot, plan.count)
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SendProgressScreen)
        assert plain(screen.query_one("#nlp-state", Static)) == "Finished."
        assert screen.query_one("#nlp-bar").percentage == 1.0
        assert plain(screen.query_one("#nlp-state", Static)) == "Finished."
        table = app.query_one("#nl-table", DataTable)
        assert table.get_row(str(item.id))[1:4] == ["sent", f"{plan.count:,}", f"{plan.count:,}"]
    delivered = sorted(on_the_wire(r) for r in smtp_sink.recipients())
    assert delivered == sorted(on_the_wire(r.email) for r in plan.recipients)
    unsubscribed = {on_the_wire(e) for e in plan.left_out["unsubscribed"]}
    assert unsubscribed and not unsubscribed & set(delivered)
    assert nl.get_newsletter(mail_club.db, item.id).status == "sent"


async def test_send_plan_warns_about_the_unsubscribe_mailbox(mail_club: ClubContext) -> None:
    item = draft(mail_club)
    app = make_app(mail_club, poll=False)
    async with app.run_test(size=(120, 50)) as pilot:
        await open_tab(pilot, item)
        await pilot.press("s")
        assert isinstance(app.screen, SendPlanScreen)
        body = plain(app.screen.query_one("#nlplan-body", Static))
        assert "Warning: unsubscribe_mailto is not set" in body
        assert "lettre@club-exemple.fr" in body


async def test_send_plan_without_from_address_names_the_setting_and_cannot_continue(
    db_path: Path, smtp_sink: SmtpSink
) -> None:
    config = mail_config(smtp_sink, from_address="")
    club = ClubContext(config=config, db_path=db_path, fixed_now=DEMO_NOW)
    build_demo(club.db, members_count=30)
    try:
        item = draft(club)
        app = make_app(club, poll=False)
        async with app.run_test(size=(120, 50)) as pilot:
            await open_tab(pilot, item)
            await pilot.press("s")
            assert isinstance(app.screen, SendPlanScreen)
            body = plain(app.screen.query_one("#nlplan-body", Static))
            assert "Cannot send: no sending address is configured: set from_address" in body
            assert app.screen.query_one("#continue").disabled
        assert nl.get_newsletter(club.db, item.id).status == "draft" and not smtp_sink.messages
    finally:
        club.close()


async def test_failed_recipients_listed_with_the_reply_and_retried_by_key(
    mail_club: ClubContext, smtp_sink: SmtpSink
) -> None:
    """A relay refused two members; the window lists them with its reply; f has nothing
    temporary to retry; F (after a warning) sends to them once the relay accepts."""
    item = draft(mail_club)
    plan = sender.prepare(mail_club.db, item.id, mail_club.config)
    refused = [on_the_wire(r.email) for r in plan.recipients[3:5]]
    for address in refused:
        smtp_sink.behaviour.reject[address] = "550 5.7.1 Relay access denied, try later"
    app = make_app(mail_club, poll=False)
    async with app.run_test(size=(120, 50)) as pilot:
        await open_tab(pilot, item)
        await pilot.press("s")
        await confirm_send(pilot, plan.count)
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SendProgressScreen)
        failed = plain(screen.query_one("#nlp-failed", Static))
        assert failed.startswith("Failed (2):")
        assert f"{plan.recipients[3].email}: 550 5.7.1 Relay access denied" in failed
        assert "F retries those too" in failed
        await pilot.press("f")
        await pilot.pause()
        assert app.screen is screen  # nothing temporary to retry: no dialog
        smtp_sink.behaviour.reject.clear()
        await pilot.press("F")
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.click("#yes")
        await settle(pilot)
        assert plain(screen.query_one("#nlp-failed", Static)) == ""
        assert plain(screen.query_one("#nlp-state", Static)) == "Finished."
    got = Counter(on_the_wire(r) for r in smtp_sink.recipients())
    assert sorted(got) == sorted(on_the_wire(r.email) for r in plan.recipients)
    assert set(got.values()) == {1}
    final = sender.progress(mail_club.db, item.id)
    assert (final.state, final.sent, final.failed) == ("sent", plan.count, 0)


async def test_pause_then_resume(mail_club: ClubContext, smtp_sink: SmtpSink) -> None:
    smtp_sink.behaviour.delay = 0.05  # slow enough to act mid-send
    item = draft(mail_club)
    count = recipients(mail_club, item.id)
    app = make_app(mail_club, poll=False)
    async with app.run_test(size=(120, 40)) as pilot:
        pane = await open_tab(pilot, item)
        await pilot.press("s")
        await confirm_send(pilot, count)
        run = pane.runs[item.id]
        await wait_for(pilot, lambda: run.progress is not None and run.progress.sent > 0)
        await pilot.press("p")
        await settle(pilot)
        paused = sender.progress(mail_club.db, item.id)
        assert paused.state == "paused"
        assert 0 < paused.sent < count
        assert paused.remaining == count - paused.sent - paused.failed
        assert len(smtp_sink.messages) == paused.sent
        state = plain(app.screen.query_one("#nlp-state", Static))
        assert state.startswith("Paused by the organiser. Press r to resume.")  # issue 10
        await pilot.press("r")
        await settle(pilot)
        assert plain(app.screen.query_one("#nlp-state", Static)) == "Finished."
    delivered = [r.lower() for r in smtp_sink.recipients()]
    assert len(delivered) == len(set(delivered)) == count
    assert sender.progress(mail_club.db, item.id).state == "sent"


async def test_interrupted_send_resumes_from_the_tab(
    mail_club: ClubContext, smtp_sink: SmtpSink
) -> None:
    item = draft(mail_club)
    plan = sender.prepare(mail_club.db, item.id, mail_club.config)
    sender.start_send(mail_club.db, item.id, mail_club.config, plan, now=mail_club.now())
    in_flight = outbox.claim(mail_club.db, item.id, 3, now=mail_club.now())  # at a "crash",
    outbox.mark_transmitting(mail_club.db, [r.id for r in in_flight], now=mail_club.now())
    app = make_app(mail_club, poll=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_tab(pilot, item)
        table = app.query_one("#nl-table", DataTable)
        assert table.get_row(str(item.id))[1] == "interrupted"
        await pilot.press("s")
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.click("#yes")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SendProgressScreen)
        uncertain = plain(screen.query_one("#nlp-uncertain", Static))
        assert uncertain.startswith("Uncertain (3)")
        assert len(smtp_sink.messages) == plan.count - 3
        final = sender.progress(mail_club.db, item.id)
        assert (final.state, final.sent, final.uncertain) == ("sent", plan.count - 3, 3)
        await pilot.press("u")  # the organiser decides to resend to the uncertain three
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.click("#yes")
        await settle(pilot)
        assert plain(screen.query_one("#nlp-uncertain", Static)) == ""
    delivered = [on_the_wire(r) for r in smtp_sink.recipients()]
    assert sorted(delivered) == sorted(on_the_wire(r.email) for r in plan.recipients)
    final = sender.progress(mail_club.db, item.id)
    assert (final.state, final.sent, final.uncertain) == ("sent", plan.count, 0)


async def test_cancel_an_interrupted_send(mail_club: ClubContext, smtp_sink: SmtpSink) -> None:
    item = draft(mail_club)
    plan = sender.prepare(mail_club.db, item.id, mail_club.config)
    sender.start_send(mail_club.db, item.id, mail_club.config, plan, now=mail_club.now())
    app = make_app(mail_club, poll=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_tab(pilot, item)
        await pilot.press("p")
        assert isinstance(app.screen, SendProgressScreen)
        await pilot.press("c")
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.click("#yes")
        await settle(pilot)
        assert plain(app.screen.query_one("#nlp-state", Static)).startswith("Cancelled")
        assert app.query_one("#nl-table", DataTable).get_row(str(item.id))[1] == "cancelled"
    assert sender.progress(mail_club.db, item.id).state == "cancelled"
    assert smtp_sink.messages == []


async def test_quitting_mid_send_asks_first(mail_club: ClubContext, smtp_sink: SmtpSink) -> None:
    smtp_sink.behaviour.delay = 0.2  # slow enough to act mid-send
    item = draft(mail_club)
    count = recipients(mail_club, item.id)
    app = make_app(mail_club, poll=False)
    async with app.run_test(size=(120, 40)) as pilot:
        pane = await open_tab(pilot, item)
        await pilot.press("s")
        await confirm_send(pilot, count)
        run = pane.runs[item.id]
        await wait_for(pilot, lambda: run.progress is not None and run.progress.sent > 0)
        await pilot.press("ctrl+q")
        assert isinstance(app.screen, ConfirmDialog)
        assert "being sent" in plain(app.screen.query_one(Label))
        await pilot.press("escape")  # stay
        assert run.running and app.is_running
        await pilot.press("ctrl+q")
        await pilot.click("#yes")
        await wait_for(pilot, lambda: not app.is_running)
    stopped = sender.progress(mail_club.db, item.id)
    assert stopped.state == "paused"
    assert stopped.sending == 0 and stopped.uncertain == 0
    assert 0 < stopped.sent < count
    assert len(smtp_sink.messages) == stopped.sent


async def test_error_streak_pauses_with_the_reason(db_path: Path, smtp_sink: SmtpSink) -> None:
    config = mail_config(smtp_sink, concurrency=1, max_consecutive_errors=3)
    club = ClubContext(config=config, db_path=db_path, fixed_now=DEMO_NOW)
    build_demo(club.db, members_count=300)
    item = draft(club)
    plan = sender.prepare(club.db, item.id, config)
    for recipient in plan.recipients[:5]:
        smtp_sink.behaviour.reject[on_the_wire(recipient.email)] = "550 5.1.1 No such user"
    app = make_app(club, poll=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_tab(pilot, item)
        await pilot.press("s")
        await confirm_send(pilot, plan.count)
        await settle(pilot)
        state = app.screen.query_one("#nlp-state", Static)
        assert plain(state).startswith("Paused: 3 errors in a row, the last one: 550")
        assert state.has_class("-error")
        counts = plain(app.screen.query_one("#nlp-counts", Static))
        assert "Failed 3" in counts
    stopped = sender.progress(club.db, item.id)
    assert (stopped.state, stopped.failed, stopped.sent) == ("paused", 3, 0)
    assert smtp_sink.messages == []
    club.close()


async def test_server_down_pauses_and_says_so(db_path: Path) -> None:
    sink_that_is_not_there = SmtpSink()  # a free port nobody listens on
    config = mail_config(sink_that_is_not_there)
    club = ClubContext(config=config, db_path=db_path, fixed_now=DEMO_NOW)
    build_demo(club.db, members_count=300)
    item = draft(club)
    count = recipients(club, item.id)
    app = make_app(club, poll=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_tab(pilot, item)
        await pilot.press("s")
        await confirm_send(pilot, count)
        await settle(pilot)
        state = app.screen.query_one("#nlp-state", Static)
        assert plain(state).startswith("Paused: ")
        assert "resume" in plain(state)
        assert state.has_class("-error")
    stopped = sender.progress(club.db, item.id)
    assert (stopped.state, stopped.sent, stopped.failed, stopped.queued) == ("paused", 0, 0, count)
    club.close()


async def test_cancel_asks_then_stops_for_good(mail_club: ClubContext, smtp_sink: SmtpSink) -> None:
    smtp_sink.behaviour.delay = 0.2
    item = draft(mail_club)
    count = recipients(mail_club, item.id)
    app = make_app(mail_club, poll=False)
    async with app.run_test(size=(120, 40)) as pilot:
        pane = await open_tab(pilot, item)
        await pilot.press("s")
        await confirm_send(pilot, count)
        run = pane.runs[item.id]
        await wait_for(pilot, lambda: run.progress is not None and run.progress.sent > 0)
        await pilot.press("c")
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.click("#yes")
        await settle(pilot)
        assert plain(app.screen.query_one("#nlp-state", Static)).startswith("Cancelled")
    stopped = sender.progress(mail_club.db, item.id)
    assert stopped.state == "cancelled" and 0 < stopped.sent < count
    assert len(smtp_sink.messages) == stopped.sent


async def test_sent_newsletter_opens_read_only(mail_club: ClubContext) -> None:
    item = draft(mail_club, city="Nice")
    plan = sender.prepare(mail_club.db, item.id, mail_club.config)
    sender.start_send(mail_club.db, item.id, mail_club.config, plan, now=mail_club.now())
    await sender.send_newsletter(mail_club.db_path, item.id, mail_club.config, clock=mail_club.now)
    app: OmtuiApp = make_app(mail_club, poll=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_tab(pilot, item)
        await pilot.press("enter")
        editor = app.screen
        assert isinstance(editor, NewsletterEditor)
        assert editor.query_one("#nle-body", TextArea).read_only
        assert editor.query_one("#nle-subject", Input).disabled
        await pilot.press("ctrl+s")
        await pilot.press("f4")  # duplicate: an editable copy
        copy = app.screen
        assert isinstance(copy, NewsletterEditor) and copy is not editor
        assert not copy.read_only
        assert copy.query_one("#nle-city", Input).value == "Nice"
    assert nl.get_newsletter(mail_club.db, item.id).status == "sent"
    copies = [s.newsletter for s in nl.list_newsletters(mail_club.db)]
    assert [c.duplicated_from for c in copies].count(item.id) == 1


# -- snapshots -----------------------------------------------------------------------------------
def seed_for_snapshots(club: ClubContext) -> nl.Newsletter:
    """A sent issue, two drafts and an interrupted send, at fixed times; returns the last."""
    now = club.now()
    db, config = club.db, club.config
    sent = nl.create_draft(db, subject="Novembre au club", body=BODY, now=now - timedelta(days=25))
    plan = sender.prepare(db, sent.id, config)
    sender.start_send(db, sent.id, config, plan, now=now - timedelta(days=24))
    fast = replace(config, smtp=replace(config.smtp, rate=1000.0))
    sender.run_send(club.db_path, sent.id, fast, clock=lambda: now - timedelta(days=24))
    nl.create_draft(db, subject="Décembre au club", body=BODY, now=now - timedelta(days=1))
    nl.create_draft(
        db,
        subject="Appel aux bénévoles",
        body="Bonjour {first_name}, on a besoin de vous le 3 décembre !",
        tags="volunteer",
        now=now - timedelta(hours=2),
    )
    lyon = nl.create_draft(
        db, subject="Afterwork à Lyon", body=BODY, city="Lyon", now=now - timedelta(minutes=30)
    )
    plan = sender.prepare(db, lyon.id, config)
    started = now - timedelta(minutes=20)
    sender.start_send(db, lyon.id, config, plan, now=started)
    rows = outbox.claim(db, lyon.id, 12, now=started)
    outbox.record(
        db,
        sent=[(row.id, f"<{row.id}@snapshot>", "250 2.0.0 Ok") for row in rows[:9]],
        failed=[(rows[9].id, "550 5.1.1 mailbox unavailable", True)],
        now=started,
    )
    outbox.mark_transmitting(db, [row.id for row in rows[10:]], now=started)
    outbox.recover(db, lyon.id, now=started)  # the last two were in flight at a crash
    return lyon


@pytest.fixture
def snapshot_club(db_path: Path, smtp_sink: SmtpSink) -> Iterator[ClubContext]:
    club = ClubContext(
        config=mail_config(smtp_sink, rate=10.0, from_address="newsletter@example.org"),
        db_path=db_path,
        fixed_now=DEMO_NOW,
    )
    seed_members(club.db, 300, now=DEMO_NOW)  # members only: other areas' demo data may change
    seed_for_snapshots(club)
    yield club
    club.close()


def test_snapshot_newsletter_tab(snap_compare, snapshot_club: ClubContext) -> None:
    app = make_app(snapshot_club, poll=False)
    assert snap_compare(app, terminal_size=(120, 40), press=["4"])


def test_snapshot_send_progress(snap_compare, snapshot_club: ClubContext) -> None:
    app = make_app(snapshot_club, poll=False)
    assert snap_compare(app, terminal_size=(120, 40), press=["4", "p"])


def test_snapshot_editor(snap_compare, snapshot_club: ClubContext) -> None:
    async def open_draft(pilot: Pilot) -> None:
        await pilot.press("4", "down", "down", "enter")
        await settle(pilot)
        for field in pilot.app.screen.query(Input):
            field.cursor_blink = False  # the blink phase depends on timing: keep it still
        await pilot.pause()

    app = make_app(snapshot_club, poll=False)
    assert snap_compare(app, terminal_size=(120, 40), run_before=open_draft)
