"""The Rota tab's status line is about where the organiser is (issue 10: it went stale): a
message stays while she stays on its line, through the reload her change causes, and gives
way to the keys once she moves to another line or view."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, Static

from omtui.context import ClubContext
from omtui.tui.app import make_app
from omtui.tui.panes.rota import RotaPane
from omtui.tui.screens.confirm import ConfirmDialog
from tests.tui.rota_fixtures import SmallRota, small_rota

KEYS = "a assign · u unassign · n new shift · e edit · Del delete · w who is on when"


@pytest.fixture
def setup(club: ClubContext) -> SmallRota:
    return small_rota(club)


def shown(pane: RotaPane) -> str:
    return str(pane.query_one("#rota-status", Static).render())


async def open_summit(pilot) -> RotaPane:
    await pilot.press("3")
    await pilot.pause()
    pane = pilot.app.query_one(RotaPane)
    pane.query_one("#rota-events", DataTable).move_cursor(row=1)  # Sommet de Lyon
    await pilot.pause()
    return pane


async def pick(pilot, pane: RotaPane, shift_id: int) -> None:
    shifts = pane.query_one("#rota-shifts", DataTable)
    shifts.focus()
    shifts.move_cursor(row=shifts.get_row_index(str(shift_id)))
    await pilot.pause()


async def test_a_refusal_goes_when_she_moves_to_another_shift(club, setup) -> None:
    app = make_app(club, poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await open_summit(pilot)
        assert shown(pane) == KEYS
        await pick(pilot, pane, setup.teardown)  # 1/1: full
        await pilot.press("a")
        await pilot.pause()
        assert shown(pane).startswith("full:")
        assert pane.query_one("#rota-status").has_class("refused")
        await pilot.press("up")  # another shift: "full" is not about it
        await pilot.pause()
        assert shown(pane) == KEYS
        assert not pane.query_one("#rota-status").has_class("refused")


async def test_a_message_outlives_the_reload_then_goes_with_another_event(club, setup) -> None:
    app = make_app(club, poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await open_summit(pilot)
        await pick(pilot, pane, setup.teardown)
        await pilot.press("delete")
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("tab", "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
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
        pane = await open_summit(pilot)
        await pick(pilot, pane, setup.teardown)
        await pilot.press("a")
        await pilot.pause()
        assert shown(pane).startswith("full:")
        await pilot.press("w")
        await pilot.pause()
        assert shown(pane) == KEYS


async def test_coming_back_to_the_tab_shows_the_keys(club, setup) -> None:
    app = make_app(club, poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await open_summit(pilot)
        await pick(pilot, pane, setup.teardown)
        await pilot.press("a")
        await pilot.pause()
        assert shown(pane).startswith("full:")
        await pilot.press("1")  # another tab, then back
        await pilot.pause()
        await pilot.press("3")
        await pilot.pause()
        assert shown(pane) == KEYS
