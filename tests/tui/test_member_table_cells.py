"""MemberTable builds its cells' segments itself (speed): exactly what DataTable draws."""

from __future__ import annotations

from textual.widgets import DataTable

from omtui.context import ClubContext
from omtui.tui.app import make_app
from omtui.tui.widgets.member_table import MemberTable
from tests.tui import pilot_helpers as ui


def cells_of(lines) -> list[list[tuple[str, object]]]:
    """Character by character with its style (segments may be split differently)."""
    return [[(char, seg.style) for seg in line for char in seg.text] for line in lines]


async def test_fast_cells_draw_what_datatable_draws(demo_club: ClubContext) -> None:
    app = make_app(demo_club, poll=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await ui.open_members(pilot)
        table = app.query_one(MemberTable)
        assert table.row_count > 20
        base = table.rich_style
        widths = [column.get_render_width(table) for column in table.columns.values()]
        for row in range(20):
            for column, width in enumerate(widths):
                for cursor, hover in ((False, False), (True, False), (False, True)):
                    table._cell_render_cache.clear()
                    ours = table._render_cell(row, column, base, width, cursor, hover)
                    table._cell_render_cache.clear()
                    textual = DataTable._render_cell(table, row, column, base, width, cursor, hover)
                    assert cells_of(ours) == cells_of(textual), (row, column, cursor, hover)
