"""The organiser's app shell: tabs, help, palette, and changes from another process."""

from __future__ import annotations

from textual.widgets import TabbedContent

from omtui.context import ClubContext
from omtui.core import members
from omtui.core.db import open_database
from omtui.tui.app import make_app
from omtui.tui.panes.base import ClubPane
from omtui.tui.screens.help import HelpScreen
from tests.tui import pilot_helpers as ui


async def test_five_tabs_and_keys_switch_them(demo_club: ClubContext) -> None:
    app = make_app(demo_club, poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        tabs = app.query_one(TabbedContent)
        assert [p.id for p in tabs.query("TabPane")] == [
            "today",
            "members",
            "events",
            "rota",
            "newsletter",
        ]
        assert tabs.active == "today"  # the app opens on the overview
        assert app.title == demo_club.config.club_name
        await pilot.press("1")
        assert tabs.active == "members"
        await pilot.press("2")
        assert tabs.active == "events"
        await pilot.press("4")
        assert tabs.active == "newsletter"
        await pilot.press("0")
        assert tabs.active == "today"


async def test_question_mark_opens_help(demo_club: ClubContext) -> None:
    app = make_app(demo_club, poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await ui.press_to_open(pilot, HelpScreen, "question_mark")
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_outside_change_reaches_the_panes(demo_club: ClubContext) -> None:
    app = make_app(demo_club, poll=False)
    seen: list[str] = []
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("1")  # the app opens on Today
        pane = app.query_one("#members-pane", ClubPane)
        original = pane.data_changed
        pane.data_changed = lambda area: (seen.append(area), original(area))  # type: ignore[method-assign]
        other = open_database(demo_club.db_path)
        members.add_member(other, {"email": "outside@example.org"}, now=demo_club.now())
        other.close()
        app.check_for_outside_changes()
        await pilot.pause()
    assert seen == ["*"]


async def test_a_key_typed_during_start_up_keeps_its_tab(demo_club: ClubContext) -> None:
    """The Members tab finishes loading after the first frame; it must not pull focus back.

    `auto_pilot` types as soon as the app starts, as a person typing ahead over SSH would.
    """
    for _ in range(5):
        app = make_app(demo_club, poll=False)
        seen: dict[str, object] = {}

        async def type_ahead(pilot, app=app, seen=seen) -> None:
            await ui.press_and_settle(pilot, "2")
            seen["active"] = app.query_one(TabbedContent).active
            seen["focus_in_events"] = app.focused is not None and (
                app.query_one("#events-pane", ClubPane) in app.focused.ancestors
            )
            app.exit()

        await app.run_async(headless=True, size=(120, 40), auto_pilot=type_ahead)
        assert seen == {"active": "events", "focus_in_events": True}
