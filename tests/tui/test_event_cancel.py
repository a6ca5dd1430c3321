"""Cancelling an event in the app (`X` in the Events tab, or the form's status): it says how
many members will be told, cancels, and sends each one notice at once through the
reminders' sender (Pilot, a real SQLite file, aiosmtpd on loopback)."""

from __future__ import annotations

import email
import email.policy
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Label, OptionList

from omtui.config import Config, SmtpConfig
from omtui.context import ClubContext
from omtui.core import events as ev
from omtui.core.demo import DEMO_NOW, build_demo
from omtui.core.mail import cancel_notice, reminders
from omtui.core.newsletter_mime import envelope_address
from omtui.tui.app import make_app
from omtui.tui.screens.confirm import ConfirmDialog
from tests.smtp_sink import SmtpSink
from tests.tui import pilot_helpers as ui
from tests.tui.pilot_helpers import FULL_MEETUP


@pytest.fixture
def mail_club(db_path: Path, smtp_sink: SmtpSink) -> Iterator[ClubContext]:
    config = Config(
        club_name="Club des Office Managers",
        smtp=SmtpConfig(
            host=smtp_sink.host, port=smtp_sink.port, rate=0, from_address="club@club-exemple.fr"
        ),
    )
    club = ClubContext(config=config, db_path=db_path, fixed_now=DEMO_NOW)
    build_demo(club.db, members_count=300)
    yield club
    club.close()


def coming(club: ClubContext, event_id: int) -> set[str]:
    return {r.email for r in ev.registrations(club.db, event_id) if r.status != "cancelled"}


async def test_x_cancels_the_event_and_tells_each_member_once(
    mail_club: ClubContext, smtp_sink: SmtpSink
) -> None:
    told = coming(mail_club, FULL_MEETUP)
    assert len(ev.waiting_list(mail_club.db, FULL_MEETUP)) > 0 and len(told) > 2
    app = make_app(mail_club, poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await ui.open_event(pilot, FULL_MEETUP)
        dialog = await ui.press_to_open(pilot, ConfirmDialog, "X")
        question = str(dialog.query_one(Label).render())
        assert f"{len(told)} members will be told by email." in question
        await pilot.click("#yes")
        await ui.wait_for(pilot, lambda: len(smtp_sink.messages) >= len(told))
        await ui.settle(pilot)
        assert ui.toasted(app, "Cancellation notices: ")
        assert ev.get_event(mail_club.db, FULL_MEETUP).cancelled
        # the detail lists who was coming, as cancelled
        regs = pane.query_one("#regs", DataTable)

        def statuses() -> set[str]:
            return {str(regs.get_row_at(i)[2]) for i in range(regs.row_count)}

        assert statuses() == {"cancelled"}
        assert regs.row_count >= len(told)
        await pilot.press("X")  # again: nobody is told twice
        await ui.settle(pilot)
        assert ui.toasted(app, "was already cancelled")
        # the Rota tab flags no gap for its shifts, in coverage nor in "who is on when"
        await ui.press_and_settle(pilot, "3")
        coverage = app.query_one("#rota-events", DataTable)
        row = coverage.get_row(str(FULL_MEETUP))
        text = " ".join(map(str, row))
        assert "missing" not in text and "✗ cancelled" in text  # said where 80 columns show it
        await ui.press_and_settle(pilot, "w")
        who = app.query_one("#rota-who", DataTable)
        lines = [" ".join(map(str, who.get_row_at(i))) for i in range(who.row_count)]
        ours = [line for line in lines if "flex office" in line]
        assert len(ours) == 2 and not any("missing" in line for line in ours)
        assert any("missing" in line for line in lines)  # other events' gaps still show
    assert Counter(smtp_sink.recipients()) == {envelope_address(e): 1 for e in told}
    message = email.message_from_bytes(smtp_sink.messages[0].data, policy=email.policy.default)
    assert message["Subject"].startswith("Annulé\u00a0: ")  # the demo club writes French
    assert reminders.counts(mail_club.db)["sent"] == len(told)


async def test_without_a_sending_address_the_notices_wait_for_omtui_remind(
    demo_club: ClubContext,
) -> None:
    told = coming(demo_club, FULL_MEETUP)
    app = make_app(demo_club, poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await ui.open_event(pilot, FULL_MEETUP)
        await ui.press_and_pause(pilot, "X")
        await pilot.click("#yes")
        await ui.wait_for(pilot, lambda: ui.toasted(app, "stay queued"))
        await ui.settle(pilot)
    assert ev.get_event(demo_club.db, FULL_MEETUP).cancelled
    assert cancel_notice.pending(demo_club.db, FULL_MEETUP) == len(told)


async def test_cancelled_in_the_form_tells_them_too(
    mail_club: ClubContext, smtp_sink: SmtpSink
) -> None:
    told = coming(mail_club, FULL_MEETUP)
    app = make_app(mail_club, poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await ui.open_event(pilot, FULL_MEETUP)
        # what the event form returns when its status was set to cancelled and saved
        saved = ev.update_event(
            mail_club.db, FULL_MEETUP, {"status": "cancelled"}, now=mail_club.now()
        )
        pane._saved(saved)
        await ui.wait_for(pilot, lambda: len(smtp_sink.messages) >= len(told))
        await ui.settle(pilot)
        assert ui.toasted(app, f"{len(told)} members will be told by email.")
        pane._saved(ev.get_event(mail_club.db, FULL_MEETUP))  # saved again: nobody twice
        await ui.settle(pilot)
    assert Counter(smtp_sink.recipients()) == {envelope_address(e): 1 for e in told}


def test_snapshot_cancel_event_dialog_80x24(demo_club: ClubContext, snap_compare) -> None:
    """The whole question (how many are told) wraps inside the dialog at 80x24."""

    async def run_before(pilot: Pilot) -> None:
        await ui.open_event(pilot, FULL_MEETUP)
        await ui.press_to_open(pilot, ConfirmDialog, "X")

    assert snap_compare(
        make_app(demo_club, poll=False), terminal_size=(80, 24), run_before=run_before
    )


async def test_notices_left_queued_are_a_today_line_that_sends_them(
    mail_club: ClubContext, smtp_sink: SmtpSink
) -> None:
    """Cancelled from the CLI without --send-now: until cron's `omtui remind`, members
    still think they are coming. Today says so, and Enter sends the notices."""
    from omtui.core import today
    from omtui.tui.panes.today import TodayPane

    told = coming(mail_club, FULL_MEETUP)
    cancel_notice.cancel_event(mail_club.db, FULL_MEETUP, now=DEMO_NOW)
    app = make_app(mail_club, poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await ui.settle(pilot)
        pane = app.query_one(TodayPane)
        index = next(i for i, item in enumerate(pane.items) if item.kind == today.Kind.NOTICES)
        assert f"{len(told)} members still have to be told" in pane.items[index].text
        pane.query_one("#today-items").focus()
        pane.query_one("#today-items", OptionList).highlighted = index
        await ui.press_to_open(pilot, ConfirmDialog, "enter")
        question = str(app.screen.query_one(Label).render())
        assert f"to the {len(told)} members now?" in question
        await pilot.click("#yes")
        await ui.wait_for(pilot, lambda: len(smtp_sink.messages) >= len(told))
        await ui.settle(pilot)
        await ui.settle(pilot)
        assert Counter(smtp_sink.recipients()) == {envelope_address(e): 1 for e in told}
        assert cancel_notice.pending(mail_club.db) == 0
        assert all(item.kind != today.Kind.NOTICES for item in pane.items)
