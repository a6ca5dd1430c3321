"""The check-in screen at the door (issue 10): opens 2 hours before the start; finds the
waiting list and members who did not register, asks, then checks them in; a new person
is added with a name and email."""

from __future__ import annotations

from datetime import timedelta

from textual.widgets import Input, OptionList

from omtui.context import ClubContext
from omtui.core import events as ev
from omtui.core import members
from omtui.tui.app import make_app
from omtui.tui.screens.confirm import ConfirmDialog
from omtui.tui.screens.event_checkin import CheckInScreen, WalkInDialog
from tests.tui import pilot_helpers as ui
from tests.tui.pilot_helpers import FULL_MEETUP
from tests.tui.test_events_pane import unregistered_member


def option_ids(screen: CheckInScreen) -> list[str]:
    found = screen.query_one("#attendees", OptionList)
    return [str(found.get_option_at_index(i).id) for i in range(found.option_count)]


async def pick(pilot, screen: CheckInScreen, option_id: str) -> None:
    found = screen.query_one("#attendees", OptionList)
    found.highlighted = option_ids(screen).index(option_id)
    await pilot.pause()
    screen.query_one("#typed", Input).focus()
    await ui.press_and_pause(pilot, "enter")


async def test_too_early_says_when_check_in_opens(demo_club: ClubContext) -> None:
    event = ev.get_event(demo_club.db, FULL_MEETUP)
    assert demo_club.now() < event.starts_at - timedelta(hours=2)
    app = make_app(demo_club, poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await ui.open_event(pilot, FULL_MEETUP)
        screen = await ui.press_to_open(pilot, CheckInScreen, "c")
        assert "Check-in opens at" in str(screen.query_one("#last").render())
        await ui.press_and_pause(pilot, "enter")
        assert ev.event_stats(demo_club.db, FULL_MEETUP).attended == 0


async def test_waiting_list_walk_in_and_new_person(demo_club: ClubContext) -> None:
    db = demo_club.db
    event = ev.get_event(db, FULL_MEETUP)
    demo_club.fixed_now = event.starts_at - timedelta(minutes=30)
    waiting = ev.waiting_list(db, FULL_MEETUP)[0]
    walker = unregistered_member(demo_club, FULL_MEETUP)
    seats = ev.event_stats(db, FULL_MEETUP).registered
    app = make_app(demo_club, poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await ui.open_event(pilot, FULL_MEETUP)
        screen = await ui.press_to_open(pilot, CheckInScreen, "c")
        assert f"w:{waiting.member_id}" in option_ids(screen)  # shown, not "nobody matches"

        screen.query_one("#typed", Input).value = waiting.email.split("@")[0]
        await pilot.pause()
        await pick(pilot, screen, f"w:{waiting.member_id}")
        dialog = app.screen
        assert isinstance(dialog, ConfirmDialog) and "over capacity" in dialog.question
        await pilot.click("#yes")
        await pilot.pause()
        reg = ev.get_registration(db, FULL_MEETUP, waiting.member_id)
        assert reg.status == "registered" and reg.attended_at == demo_club.now()

        screen.query_one("#typed", Input).value = walker["email"].split("@")[0]
        await pilot.pause()
        await pick(pilot, screen, f"m:{walker['id']}")
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.click("#yes")
        await pilot.pause()
        assert ev.get_registration(db, FULL_MEETUP, walker["id"]).attended_at is not None

        screen.query_one("#typed", Input).value = "Nina Roux"
        await pilot.pause()
        await pick(pilot, screen, "new")
        form = app.screen
        assert isinstance(form, WalkInDialog)
        assert form.query_one("#first_name", Input).value == "Nina"
        assert form.query_one("#email", Input).has_focus
        await ui.press_and_pause(pilot, *"nina@example.org", "enter")
        assert isinstance(app.screen, ConfirmDialog)  # full: over capacity asked
        await pilot.click("#yes")
        await pilot.pause()
        nina = members.find_by_email(db, "nina@example.org")
        assert nina is not None and nina.full_name == "Nina Roux" and not nina.subscribed
        assert ev.get_registration(db, FULL_MEETUP, nina.id).attended_at is not None
        assert ev.event_stats(db, FULL_MEETUP).registered == seats + 3
        assert isinstance(app.screen, CheckInScreen)
        assert "Nina Roux checked in" in str(screen.query_one("#last").render())
