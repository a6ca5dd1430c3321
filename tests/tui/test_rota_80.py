"""The Rota tab at 80 columns: its three tables stay on screen, long titles cut with "…"."""

from __future__ import annotations

from textual.widgets import DataTable

from omtui.context import ClubContext
from omtui.tui.app import make_app
from omtui.tui.panes.rota import RotaPane


def fits(table: DataTable) -> bool:
    every = sum(c.get_render_width(table) for c in table.ordered_columns)
    return every <= table.scrollable_content_region.width


async def test_the_rota_tables_fit_80_columns(demo_club: ClubContext) -> None:
    """Event titles ran off the right edge with no "…" ("Webinar : la facture électr"),
    and a shift's notes after a long "nobody yet" (in French) were cut to "Badges et"."""
    demo_club.db.execute(
        "UPDATE shifts SET notes = 'Badges et vestiaire au 2e étage, demander Hélène à l’accueil'"
    )
    app = make_app(demo_club, poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("3")
        await pilot.pause()
        pane = app.query_one(RotaPane)
        events = pane.query_one("#rota-events", DataTable)
        assert fits(events) and fits(pane.query_one("#rota-shifts", DataTable))
        lines = ["".join(s.text for s in events.render_line(y)) for y in range(1, 4)]
        assert any(line.rstrip().endswith("…") for line in lines), lines
        shifts = pane.query_one("#rota-shifts", DataTable)
        first = "".join(s.text for s in shifts.render_line(1)).rstrip()
        assert "Badges et" in first and first.endswith("…")
        # the summit: long roles ("relations intervenants") beside the notes
        summit = max(pane._coverage.values(), key=lambda c: len(c.shifts)).event_id
        events.move_cursor(row=events.get_row_index(str(summit)))
        await pilot.pause()
        assert fits(shifts)
        await pilot.press("w")
        await pilot.pause()
        assert fits(pane.query_one("#rota-who", DataTable))
