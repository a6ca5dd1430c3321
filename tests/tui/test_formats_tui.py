"""The Members tab counts and dates in the interface language (French for the club, English
when chosen), with more than a thousand members so separators show."""

from __future__ import annotations

import pytest

from omtui.context import ClubContext
from omtui.core.demo import seed_members
from omtui.i18n import current_language, set_language
from omtui.tui.app import make_app
from tests.tui import pilot_helpers as ui
from tests.tui.test_members_pane import count_line, pane_of


@pytest.fixture
def big_club(club: ClubContext) -> ClubContext:
    seed_members(club.db, 1200, now=club.now())
    return club


@pytest.mark.parametrize(
    ("lang", "count", "joined"),
    [("fr", "1\u202f200 membres · 1–", "il y a "), ("en", "1,200 members · 1–", " ago")],
)
async def test_members_count_and_joined_in_the_language(
    big_club: ClubContext, lang: str, count: str, joined: str
) -> None:
    before = current_language()
    set_language(lang)
    try:
        app = make_app(big_club, poll=False)
        async with app.run_test(size=(120, 40)) as pilot:
            await ui.open_members(pilot)
            assert count_line(app).startswith(count)
            table = pane_of(app).table
            joined_cells = [str(table.get_row_at(row)[-1]) for row in range(5)]
            assert all(joined in cell for cell in joined_cells), joined_cells
    finally:
        set_language(before)
