"""The volunteer view in French at 80 columns (an SSH terminal): both tables on screen."""

from __future__ import annotations

from textual.widgets import DataTable

from omtui.context import ClubContext
from omtui.tui.volunteer import make_volunteer_app
from screenshots.scenes import busiest_volunteer


async def test_both_tables_fit_80_columns(demo_club: ClubContext) -> None:
    """The open shifts' "Libres" column ran off the screen, cut to "Lib"."""
    app = make_volunteer_app(demo_club, busiest_volunteer(demo_club), poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        for selector in ("#mine", "#open"):
            table = app.query_one(selector, DataTable)
            assert table.row_count
            every = sum(c.get_render_width(table) for c in table.ordered_columns)
            assert every <= table.scrollable_content_region.width, selector
