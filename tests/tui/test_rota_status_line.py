"""The Rota tab's status line is about where the organiser is (issue 10: it went stale): a
message stays while she stays on its line, through the reload her change causes, and gives
way to the keys once she moves to another line or view."""

from __future__ import annotations

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Static

from omtui.context import ClubContext
from omtui.tui.app import make_app
from omtui.tui.panes.rota import RotaPane
from omtui.tui.screens.confirm import ConfirmDialog
from tests.tui import pilot_helpers as ui
from tests.tui.rota_fixtures import SmallRota, small_rota

KEYS = "a assign · u unassign · n new shift · e edit · Del delete · w who is on when"


@pytest.fixture
def setup(club: ClubContext) -> SmallRota:
    return small_rota(club)


def shown(pane: RotaPane) -> str:
    return str(pane.query_one("#rota-status", Static).render())


async def refused_on_the_full_shift(pilot: Pilot, setup: SmallRota) -> RotaPane:
    """The summit's tear-down (1/1: full), and `a`: the status line says it is full."""
    pane = await ui.open_rota(pilot, event_row=1)  # Sommet de Lyon
    assert shown(pane) == KEYS
    await ui.pick_shift(pilot, pane, setup.teardown)  # 1/1: full
    await ui.press_and_pause(pilot, "a")
    assert shown(pane).startswith("full:")
    return pane


async def test_a_refusal_goes_when_she_moves_to_another_shift(club, setup) -> None:
    app = make_app(club, poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await refused_on_the_full_shift(pilot, setup)
        assert pane.query_one("#rota-status").has_class("refused")
        await pilot.press("up")  # another shift: "full" is not about it
        await pilot.pause()
        assert shown(pane) == KEYS
        assert not pane.query_one("#rota-status").has_class("refused")


async def test_a_message_outlives_the_reload_then_goes_with_another_event(club, setup) -> None:
    app = make_app(club, poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await ui.open_rota(pilot, event_row=1)  # Sommet de Lyon
        await ui.pick_shift(pilot, pane, setup.teardown)
        await ui.press_to_open(pilot, ConfirmDialog, "delete")
        await ui.press_and_settle(pilot, "tab", "enter")
        await pilot.pause()
        assert shown(pane).startswith("Deleted")  # its row is gone; the message stays
        events = pane.query_one("#rota-events", DataTable)
        events.focus()
        await pilot.press("up")  # the other event
        await pilot.pause()
        assert shown(pane) == KEYS


async def test_switching_view_shows_the_keys(club, setup) -> None:
    app = make_app(club, poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await refused_on_the_full_shift(pilot, setup)
        await ui.press_and_pause(pilot, "w")
        assert shown(pane) == KEYS


async def test_coming_back_to_the_tab_shows_the_keys(club, setup) -> None:
    app = make_app(club, poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await refused_on_the_full_shift(pilot, setup)
        await pilot.press("1")  # another tab, then back
        await pilot.pause()
        await ui.press_and_pause(pilot, "3")
        assert shown(pane) == KEYS
