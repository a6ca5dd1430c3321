"""The command palette finds the actions of every tab, and runs one on its own tab."""

from __future__ import annotations

from textual.command import CommandList, CommandPalette
from textual.pilot import Pilot
from textual.widgets import TabbedContent

from omtui.context import ClubContext
from omtui.tui.app import OmtuiApp, make_app
from omtui.tui.palette import other_tab_commands
from omtui.tui.screens.event_register import RegisterDialog
from omtui.tui.screens.member_form import MemberForm
from tests.tui import pilot_helpers as ui


async def run_from_palette(app: OmtuiApp, pilot: Pilot, query: str) -> None:
    await pilot.press("ctrl+p")
    await ui.wait_for(pilot, lambda: isinstance(app.screen, CommandPalette))
    await pilot.press(*query)
    palette = app.screen

    def first_hit() -> str:
        options = palette.query_one(CommandList)
        return str(options.get_option_at_index(0).prompt) if options.option_count else ""

    await ui.wait_for(pilot, lambda: query.lower() in first_hit().lower())
    await pilot.press("down", "enter")


async def test_every_tab_offers_its_actions_from_the_first_one(demo_club: ClubContext) -> None:
    app = make_app(demo_club, poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.query_one(TabbedContent).active == "today"
        found = {(c.tab_id, c.title) for c in other_tab_commands(app)}
        for wanted in [
            ("members", "Add member"),
            ("members", "Import members from CSV"),
            ("events", "Events: register a member"),
            ("events", "Events: check-in at the door"),
            ("rota", "Rota: assign a volunteer"),
            ("newsletter", "Newsletter: new draft"),
        ]:
            assert wanted in found, wanted
        # the tabs not shown stay unmounted: listing their commands mounts nothing
        assert not app.query("MembersPane") and not app.query("EventsPane")


async def test_a_command_of_another_tab_switches_to_it_and_runs(demo_club: ClubContext) -> None:
    app = make_app(demo_club, poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await run_from_palette(app, pilot, "register a member")
        await ui.wait_for(pilot, lambda: isinstance(app.screen, RegisterDialog))
        assert app.query_one(TabbedContent).active == "events"
        await pilot.press("escape")
        await ui.wait_for(pilot, lambda: not isinstance(app.screen, RegisterDialog))
        # from Events, a Members action: the tab is mounted on the way
        await run_from_palette(app, pilot, "add member")
        await ui.wait_for(pilot, lambda: isinstance(app.screen, MemberForm))
        assert app.query_one(TabbedContent).active == "members"


async def test_the_shown_tab_commands_are_not_listed_twice(demo_club: ClubContext) -> None:
    app = make_app(demo_club, poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await ui.press_and_pause(pilot, "1")
        own = {str(c.title) for c in app.get_system_commands(app.screen)}
        others = {c.title for c in other_tab_commands(app)}
        assert "Add member" in own and "Add member" not in others
        assert "Events: add an event" in others
