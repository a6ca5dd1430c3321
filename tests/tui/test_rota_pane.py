"""The Rota tab: coverage and gaps, assign/unassign with clash refusals, the shift form,
dropped reasons, who is on when, palette commands; and its snapshot."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, Input, Static

from omtui.context import ClubContext
from omtui.core import rota
from omtui.tui.app import make_app
from omtui.tui.messages import DataChanged
from omtui.tui.panes.rota import RotaPane
from omtui.tui.screens.confirm import ConfirmDialog
from omtui.tui.screens.rota_pick import RotaPickDialog
from omtui.tui.screens.rota_shift_form import RotaShiftForm
from tests.tui import pilot_helpers as ui
from tests.tui.rota_fixtures import SmallRota, small_rota


@pytest.fixture
def setup(club: ClubContext) -> SmallRota:
    return small_rota(club)


def status(pane: RotaPane) -> Static:
    return pane.query_one("#rota-status", Static)


async def test_coverage_shows_needed_filled_and_gaps(club, setup) -> None:
    app = make_app(club, poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await ui.open_rota(pilot)
        events = pane.query_one("#rota-events", DataTable)
        assert ui.row_keys(events) == [setup.late_event_id, setup.event_id]
        summit = events.get_row(str(setup.event_id))
        # desk 1/2, set-up 0/1, tear-down 1/1, cloakroom 0/1 -> 2/5 with 3 missing
        assert str(summit[1]) == "2/5"
        assert str(summit[2]) == "⚠ 3 missing"
        assert summit[2].style == "bold red"
        events.move_cursor(row=1)
        await pilot.pause()
        shifts = pane.query_one("#rota-shifts", DataTable)
        assert ui.row_keys(shifts) == [setup.setup, setup.desk, setup.cloakroom, setup.teardown]
        assert str(shifts.get_row(str(setup.setup))[3]) == "nobody yet"
        assert "Alice Zebulon" in str(shifts.get_row(str(setup.desk))[3])


async def test_assign_a_volunteer_by_typing_a_name(club, setup) -> None:
    seen: list[str] = []
    app = make_app(club, poll=False)

    def hook(message) -> None:
        if isinstance(message, DataChanged):
            seen.append(message.area)

    async with app.run_test(size=(80, 24), message_hook=hook) as pilot:
        pane = await ui.open_rota(pilot, event_row=1, shift_id=setup.setup)
        await ui.press_to_open(pilot, RotaPickDialog, "a")
        await ui.press_and_settle(pilot, *"chlo", "enter")
        assert "taken: set-up at Sommet de Lyon" in str(status(pane).render())
        assert "Chloé Yquem" in str(
            pane.query_one("#rota-shifts", DataTable).get_row(str(setup.setup))[3]
        )
    assert "rota" in seen
    assert rota.get_shift(club.db, setup.setup).filled == 1


async def test_a_double_booking_is_refused_naming_the_clash(club, setup) -> None:
    app = make_app(club, poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await ui.open_rota(pilot, event_row=1, shift_id=setup.setup)
        await pilot.press("a")
        labels = [label for _id, label in app.screen.choices]
        assert labels == [  # by last name; Alice is on the overlapping welcome desk
            "Chloé Yquem <chloé.yquem@example.org>",
            "Alice Zebulon <alice.zebulon@example.org>  ⚠ busy",
        ]
        await ui.press_and_settle(pilot, *"alice", "enter")
        message = str(status(pane).render())
        assert "clashes with your shift welcome desk at Sommet de Lyon" in message
        assert status(pane).has_class("refused")
    assert rota.get_shift(club.db, setup.setup).filled == 0


async def test_unassign_and_delete(club, setup) -> None:
    app = make_app(club, poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await ui.open_rota(pilot, event_row=1, shift_id=setup.desk)
        await ui.press_to_open(pilot, RotaPickDialog, "u")
        await ui.press_and_settle(pilot, "enter")
        assert rota.get_shift(club.db, setup.desk).filled == 0
        await ui.pick_shift(pilot, pane, setup.teardown)
        await ui.press_to_open(pilot, ConfirmDialog, "delete")
        await ui.press_and_settle(pilot, "tab", "enter")
        assert setup.teardown not in ui.row_keys(pane.query_one("#rota-shifts", DataTable))
    assert [s.id for s in rota.list_shifts(club.db, event_id=setup.event_id)] == [
        setup.setup,
        setup.desk,
        setup.cloakroom,
    ]


async def test_add_a_shift_with_the_form(club, setup) -> None:
    app = make_app(club, poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await ui.open_rota(pilot)
        pane.query_one("#rota-events", DataTable).focus()
        form = await ui.press_to_open(pilot, RotaShiftForm, "n")
        assert form.query_one("#starts_at", Input).value  # defaults to the event's start
        form.query_one("#ends_at", Input).value = "2020-01-01 00:00"
        await ui.press_and_settle(pilot, *"speaker liaison", "enter")
        assert app.screen is form  # refused inline, nothing written
        assert "end after it starts" in str(form.query_one("#form-error").render())
        assert form.focused is form.query_one("#ends_at", Input)
        form.query_one("#ends_at", Input).value = ""
        await ui.press_and_settle(pilot, *"2026-11-24 04:00", "enter")
        assert app.screen is not form
    [made] = [s for s in rota.list_shifts(club.db) if s.role == "speaker liaison"]
    assert made.event_id == setup.late_event_id
    assert made.ends_at.astimezone(club.tz).hour == 4


async def test_edit_a_shift(club, setup) -> None:
    app = make_app(club, poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await ui.open_rota(pilot)
        await ui.pick_shift(pilot, pane, setup.soon)
        form = await ui.press_to_open(pilot, RotaShiftForm, "e")
        assert form.query_one("#role", Input).value == "host"
        form.query_one("#needed", Input).value = "3"
        form.query_one("#needed", Input).focus()
        await ui.press_and_settle(pilot, "enter")
    assert rota.get_shift(club.db, setup.soon).needed == 3


async def test_dropped_reasons_are_visible(club, setup) -> None:
    rota.drop_shift(
        club.db, setup.soon, setup.alice, now=club.now(), tz=club.tz, reason="Train cancelled"
    )
    app = make_app(club, poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await ui.open_rota(pilot)
        dropped = str(pane.query_one("#rota-dropped", Static).render())
        assert "Alice Zebulon left host" in dropped and "Train cancelled" in dropped


async def test_who_is_on_when(club, setup) -> None:
    app = make_app(club, poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await ui.open_rota(pilot)
        await pilot.press("w")
        who = pane.query_one("#rota-who", DataTable)
        assert who.has_focus
        assert ui.row_keys(who) == [
            setup.soon,
            setup.setup,
            setup.desk,
            setup.cloakroom,
            setup.teardown,
        ]
        assert str(who.get_row(str(setup.setup))[3]) == "⚠ 1 missing"
        await pilot.press("w")
        assert pane.query_one("#rota-events", DataTable).has_focus


async def test_palette_offers_rota_commands_on_the_rota_tab(club, setup) -> None:
    app = make_app(club, poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await ui.open_rota(pilot)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "Rota: assign a volunteer" in titles
        assert "Rota: who is on when" in titles


async def test_outside_changes_refresh_the_tab(club, setup) -> None:
    from omtui.core.db import open_database

    app = make_app(club, poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await ui.open_rota(pilot)
        other = open_database(club.db_path)
        rota.take_shift(other, setup.cloakroom, setup.chloe, now=club.now(), tz=club.tz)
        other.close()
        app.check_for_outside_changes()
        await pilot.pause()
        summit = pane.query_one("#rota-events", DataTable).get_row(str(setup.event_id))
        assert str(summit[1]) == "3/5"


def test_rota_tab_snapshot(snap_compare, demo_club: ClubContext) -> None:
    async def run_before(pilot) -> None:
        await ui.press_and_settle(pilot, "3")

    app = make_app(demo_club, poll=False)
    assert snap_compare(app, terminal_size=(120, 40), run_before=run_before)


async def test_assign_while_another_process_writes_waits_with_a_notice(club, setup) -> None:
    """The organiser's app neither freezes nor crashes behind another process's write."""
    import sqlite3

    app = make_app(club, poll=False)
    holder = sqlite3.connect(club.db_path, isolation_level=None, check_same_thread=False)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            pane = await ui.open_rota(pilot, event_row=1, shift_id=setup.setup)
            await pilot.press("a")
            holder.execute("BEGIN IMMEDIATE")  # e.g. a long import in another process
            await pilot.press(*"chlo", "enter")
            # the notice comes after 2 s of waiting
            waiting = "waiting for another omtui process"
            await ui.wait_for(pilot, lambda: ui.toasted(app, waiting), seconds=10, delay=0.1)
            await pilot.press("w")  # the screen still answers keys meanwhile
            await pilot.press("w")
            holder.execute("COMMIT")
            await ui.settle(pilot)
            assert "taken: set-up at Sommet de Lyon" in str(status(pane).render())
    finally:
        holder.close()
    assert rota.get_shift(club.db, setup.setup).filled == 1
