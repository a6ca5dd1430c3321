"""The volunteer view in French at 80 columns (an SSH terminal): both tables on screen."""

from __future__ import annotations

from textual.widgets import DataTable

from omtui.context import ClubContext
from omtui.tui.volunteer import make_volunteer_app


def demo_volunteer(club: ClubContext) -> str:
    """A demo volunteer with shifts ahead and open shifts to take."""
    return club.db.scalar(
        """SELECT m.email FROM members m JOIN shift_assignments a ON a.member_id = m.id
        JOIN shifts s ON s.id = a.shift_id WHERE a.dropped_at IS NULL AND s.ends_at > ?
        GROUP BY m.id ORDER BY count(*) DESC, m.id LIMIT 1""",
        (club.now().isoformat(),),
    )


async def test_both_tables_fit_80_columns(demo_club: ClubContext) -> None:
    """The open shifts' "Libres" column ran off the screen, cut to "Lib"."""
    app = make_volunteer_app(demo_club, demo_volunteer(demo_club), poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        for selector in ("#mine", "#open"):
            table = app.query_one(selector, DataTable)
            assert table.row_count
            every = sum(c.get_render_width(table) for c in table.ordered_columns)
            assert every <= table.scrollable_content_region.width, selector
