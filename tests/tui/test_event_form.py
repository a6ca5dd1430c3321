"""The event form: Title first, Enter moves on (saves only from the last field), every
wrong field listed at once; and the core check that finds them all."""

from __future__ import annotations

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Select

from omtui.context import ClubContext
from omtui.core import events as ev
from omtui.errors import ValidationError
from omtui.tui.app import OmtuiApp, make_app
from omtui.tui.screens.event_form import EventForm
from tests.tui import pilot_helpers as ui


async def open_form(app: OmtuiApp, pilot: Pilot) -> EventForm:
    await ui.open_events(pilot)
    form = await ui.press_to_open(pilot, EventForm, "a")
    return form


def error_text(form: EventForm) -> str:
    return str(form.query_one("#error").render())


def events_count(club: ClubContext) -> int:
    return club.db.scalar("SELECT count(*) FROM events")


def test_core_check_finds_every_problem_at_once(demo_club: ClubContext) -> None:
    fields = {"kind": "meetup", "title": "", "capacity": "abc", "online_url": "ftp://x"}
    _cleaned, problems = ev.check_event(demo_club.db, fields)
    found = {p.field for p in problems}
    assert {"title", "starts_at", "ends_at", "capacity", "online_url", "city"} <= found
    assert "host_company" in found  # a meetup needs a host
    # clean_event still raises the first one, as before
    with pytest.raises(ValidationError) as raised:
        ev.clean_event(demo_club.db, fields)
    assert raised.value.field == problems[0].field


async def test_title_first_enter_moves_on_and_every_error_at_once(
    demo_club: ClubContext,
) -> None:
    app = make_app(demo_club, poll=False)
    before = events_count(demo_club)
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(app, pilot)
        title = form.query_one("#title", Input)
        assert title.has_focus
        # Title is the first row, above Kind and Status
        rows = [row.id for row in form.query(".row")]
        assert rows[:3] == ["row-title", "row-kind", "row-status"]
        await ui.press_and_pause(pilot, *"Afterwork", "enter")
        assert isinstance(app.screen, EventForm)  # Enter moved on, saved nothing
        kind = form.query_one("#kind", Select)
        assert kind.has_focus
        assert error_text(form) == ""
        await pilot.press("space")  # Space opens the list, Enter there picks a kind
        await pilot.pause()
        assert kind.expanded
        await ui.press_and_pause(pilot, "down", "enter")
        assert not kind.expanded and kind.value == ev.KINDS[1] and kind.has_focus
        await pilot.press("up")  # an arrow opens it too
        await pilot.pause()
        await ui.press_and_pause(pilot, "up", "enter")
        assert kind.value == "meetup"
        await pilot.press("enter")  # Enter on a closed list moves on, like in the inputs
        await pilot.pause()
        assert form.query_one("#status", Select).has_focus
        await ui.press_and_pause(pilot, "enter")
        assert form.query_one("#starts_at", Input).has_focus
        await ui.press_and_pause(pilot, *"demain 25h", "enter")
        assert form.query_one("#ends_at", Input).has_focus
        assert events_count(demo_club) == before
        form.query_one("#capacity", Input).value = "twenty"
        form.query_one("#description", Input).focus()
        await pilot.press("enter")  # the last field saves... or says everything wrong
        await pilot.pause()
        assert isinstance(app.screen, EventForm)
        message = error_text(form)
        assert "4 fields to fix" in message or "fields to fix" in message, message
        for part in ("Starts:", "Ends:", "City:", "Capacity:"):
            assert part in message, (part, message)
        assert message.index("Starts:") < message.index("City:") < message.index("Capacity:")
        assert form.query_one("#starts_at", Input).has_focus  # the first wrong field
        assert form.query_one("#row-city").has_class("-wrong")
        assert not form.query_one("#row-title").has_class("-wrong")
        assert events_count(demo_club) == before
        # fixed, then ctrl+s from any field saves
        ui.fill(
            form,
            starts_at="2026-12-10 18:30",
            ends_at="21:00",
            city="Lyon",
            host_company="Atelier Lumière",
            capacity="20",
        )
        form.query_one("#city", Input).focus()
        await ui.press_and_pause(pilot, "enter")
        assert isinstance(app.screen, EventForm)  # Enter in City only moves on
        assert form.query_one("#host", Input).has_focus
        await ui.press_and_pause(pilot, "ctrl+s")
        assert not isinstance(app.screen, EventForm), error_text(form)
    assert events_count(demo_club) == before + 1
    saved = ev.list_events(demo_club.db, now=demo_club.now())
    assert any(e.title == "Afterwork" and e.capacity == 20 for e in saved)


async def test_enter_on_the_last_field_saves(demo_club: ClubContext) -> None:
    app = make_app(demo_club, poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await ui.open_events(pilot)
        event_id = pane.selected_id
        await ui.press_and_pause(pilot, "e")
        form = app.screen
        assert isinstance(form, EventForm) and form.event.id == event_id
        ui.fill(form, description="Bring your badge", arrive_before="20")
        form.query_one("#description", Input).focus()
        await ui.press_and_pause(pilot, "enter")
        assert app.screen is not form, error_text(form)
        await pilot.pause()
        info = str(pane.query_one("#info").render())  # the detail states the rule
        assert "Volunteers arrive 20 minutes before their shift." in info
    saved = ev.get_event(demo_club.db, event_id)
    assert saved.description == "Bring your badge" and saved.arrive_before == 20


def test_snapshot_event_form_errors_80x24(demo_club: ClubContext, snap_compare) -> None:
    async def run_before(pilot: Pilot) -> None:
        await ui.press_and_pause(pilot, "2")
        await ui.press_and_pause(pilot, "a")
        await ui.press_and_pause(pilot, *"Afterwork")
        await ui.press_and_pause(pilot, "ctrl+s")

    assert snap_compare(
        make_app(demo_club, poll=False), terminal_size=(80, 24), run_before=run_before
    )
