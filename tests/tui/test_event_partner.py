"""Partners of an event in the app: the dialog lists those linked; Enter on one asks,
then unlinks it; the Events detail and the toast say so. And the Seats column's legend."""

from __future__ import annotations

from textual.widgets import OptionList

from omtui.context import ClubContext
from omtui.core import partners as pt
from omtui.tui.app import make_app
from omtui.tui.screens.confirm import ConfirmDialog
from omtui.tui.screens.event_partner import PartnerDialog
from tests.tui import pilot_helpers as ui
from tests.tui.pilot_helpers import OPEN_LUNCH


async def test_unlink_a_partner_in_the_app(demo_club: ClubContext) -> None:
    db = demo_club.db
    first, second = pt.list_partners(db)[:2]
    pt.link_partner(db, OPEN_LUNCH, first.id, "sponsor")
    pt.link_partner(db, OPEN_LUNCH, second.id, "exhibitor")
    app = make_app(demo_club, poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await ui.open_events(pilot)
        pane.selected_id = OPEN_LUNCH
        pane.load()
        await pilot.pause()
        assert first.company in str(pane.query_one("#info").render())
        dialog = await ui.press_to_open(pilot, PartnerDialog, "l")
        linked = dialog.query_one("#linked", OptionList)
        assert linked.display and linked.option_count == 2
        shown = [str(linked.get_option_at_index(i).prompt) for i in range(2)]
        assert shown == [f"{first.company} (sponsor)", f"{second.company} (exhibitor)"]
        linked.focus()
        linked.highlighted = 0
        await ui.press_and_pause(pilot, "enter")
        assert isinstance(app.screen, ConfirmDialog)  # asks first
        await pilot.press("escape")  # keep
        await pilot.pause()
        assert app.screen is dialog
        assert len(pt.event_partners(db, OPEN_LUNCH)) == 2
        await ui.press_and_pause(pilot, "enter")
        await pilot.click("#yes")
        await pilot.pause()
        assert app.screen is dialog
        assert [p.partner.id for p in pt.event_partners(db, OPEN_LUNCH)] == [second.id]
        assert linked.option_count == 1
        assert "unlinked" in str(dialog.query_one("#error").render())
        await pilot.press("escape")  # closes the dialog; the detail is read again
        await pilot.pause()
        assert not isinstance(app.screen, PartnerDialog)
        info = str(pane.query_one("#info").render())
        assert first.company not in info and second.company in info
        assert ui.toasted(app, "unlinked")


async def test_seats_column_is_explained_under_the_table(demo_club: ClubContext) -> None:
    app = make_app(demo_club, poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await ui.open_events(pilot)
        legend = pane.query_one("#legend")
        assert legend.region.height == 1 and legend.region.width >= 66  # seen at 80x24
        text = str(legend.render())
        assert "registered/capacity" in text and "+n on the waiting list" in text
