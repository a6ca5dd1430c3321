"""Assign (`a`) in the Rota tab (issue 10): a full shift says so before any name is
picked; volunteers of the event's city come first."""

from __future__ import annotations

import pytest
from textual.widgets import OptionList

from omtui.context import ClubContext
from omtui.core import members
from omtui.tui.app import make_app
from omtui.tui.screens.rota_pick import RotaPickDialog
from tests.tui import pilot_helpers as ui
from tests.tui.rota_fixtures import SmallRota, small_rota
from tests.tui.test_rota_pane import status


@pytest.fixture
def setup(club: ClubContext) -> SmallRota:
    return small_rota(club)


async def test_full_shift_says_so_first_and_locals_come_first(club, setup) -> None:
    db = club.db
    db.execute("UPDATE events SET city = 'Lyon' WHERE id = ?", (setup.event_id,))
    local = members.add_member(
        db,
        {
            "first_name": "Zoé",
            "last_name": "Zz",
            "email": "zoe@x.org",
            "tags": "volunteer",
            "city": "Lyon",
        },
        now=club.now(),
    )
    app = make_app(club, poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await ui.open_rota(pilot, event_row=1)
        await ui.pick_shift(pilot, pane, setup.teardown)  # 1 place, Chloé on it: full
        await ui.press_and_pause(pilot, "a")
        assert not isinstance(app.screen, RotaPickDialog)
        assert "full" in str(status(pane).render())
        await ui.pick_shift(pilot, pane, setup.setup)  # empty
        await ui.press_to_open(pilot, RotaPickDialog, "a")
        first = app.screen.query_one("#pick-list", OptionList).get_option_at_index(0)
        assert first.id == str(local.id)  # from Lyon, though last by name
