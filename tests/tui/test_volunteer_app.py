"""The restricted volunteer app: own shifts, open shifts, take and drop, and isolation."""

from __future__ import annotations

import html
import re

import pytest
from textual.command import CommandPalette
from textual.widgets import DataTable, Input, Static, TabbedContent

from omtui.context import ClubContext
from omtui.core import rota, rota_coverage
from omtui.core.db import open_database
from omtui.errors import UnusableInput
from omtui.tui.screens.confirm import ConfirmDialog
from omtui.tui.screens.volunteer_drop import DropReasonDialog
from omtui.tui.volunteer import VolunteerApp, make_volunteer_app
from screenshots.scenes import busiest_volunteer
from tests.tui import pilot_helpers as ui
from tests.tui.rota_fixtures import H, SmallRota, small_rota

ALICE = "alice.zebulon@example.org"


@pytest.fixture
def setup(club: ClubContext) -> SmallRota:
    return small_rota(club)


def screen_text(app: VolunteerApp) -> str:
    """Everything drawn on screen, plus every table cell and static text, as plain text."""
    svg = app.export_screenshot()
    drawn = html.unescape(re.sub(r"<[^>]+>", "", svg)).replace("\xa0", " ")
    parts = [drawn]
    for table in app.screen.query(DataTable):
        for row in range(table.row_count):
            parts += [str(cell) for cell in table.get_row_at(row)]
    parts += [str(w.render()) for w in app.screen.query(Static)]
    return "\n".join(parts)


def table_keys(app: VolunteerApp, selector: str) -> list[int]:
    return ui.row_keys(app.query_one(selector, DataTable))


async def test_title_heading_and_lists(club: ClubContext, setup: SmallRota) -> None:
    app = make_volunteer_app(club, ALICE, poll=False)
    async with app.run_test(size=(80, 24)):
        assert app.title == "omtui volunteer"
        assert "My upcoming shifts" in screen_text(app)
        assert table_keys(app, "#mine") == [setup.soon, setup.desk]
        # set-up clashes but is still offered (the answer explains); tear-down is full.
        assert table_keys(app, "#open") == [setup.setup, setup.cloakroom]
        opened = app.query_one("#open", DataTable)
        assert str(opened.get_row(str(setup.setup))[3]) == "1/1 clash"
        assert str(opened.get_row(str(setup.cloakroom))[3]) == "1/1"  # back-to-back is fine
        assert not app.query(TabbedContent)


async def test_refused_before_the_app_for_unknown_or_non_volunteers(club, setup) -> None:
    with pytest.raises(UnusableInput, match="no member"):
        make_volunteer_app(club, "who@example.org")
    with pytest.raises(UnusableInput, match="not a volunteer"):
        make_volunteer_app(club, "bob.xavier@example.org")


async def test_no_other_members_email_or_phone_on_screen(club, setup) -> None:
    app = make_volunteer_app(club, ALICE, poll=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        text = screen_text(app)
        for other in ("chloé.yquem", "chloe.yquem", "bob.xavier", "20 20 20 20", "30 30 30 30"):
            assert other not in text.lower()
        assert "Yquem" not in text  # team-mates by first name only
        assert "Sommet de Lyon" in text


async def test_team_mates_appear_by_first_name(club, setup) -> None:
    rota.take_shift(club.db, setup.desk, setup.chloe, now=club.now(), tz=club.tz)
    app = make_volunteer_app(club, ALICE, poll=False)
    async with app.run_test(size=(120, 40)):
        desk_row = app.query_one("#mine", DataTable).get_row(str(setup.desk))
        assert "Chloé" in desk_row
        assert all("Yquem" not in str(cell) for cell in desk_row)


async def test_organiser_keys_and_palette_reach_nothing(club, setup) -> None:
    app = make_volunteer_app(club, ALICE, poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        before = len(app.screen_stack)
        for key in ("1", "2", "3", "4", "a", "n", "e", "w", "u", "delete"):
            await pilot.press(key)
        await pilot.pause()
        assert len(app.screen_stack) == before
        assert not app.query(TabbedContent)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert titles == ["Take", "Drop", "Refresh", "Quit"]
        await ui.press_to_open(pilot, CommandPalette, "ctrl+p")
        await ui.press_and_settle(pilot, *"members")
        assert "Members" not in screen_text(app)
        await pilot.press("escape")
    assert rota.get_shift(club.db, setup.setup).filled == 0


async def test_question_mark_lists_the_volunteer_keys(club, setup) -> None:
    from omtui.tui.screens.help import HelpScreen

    app = make_volunteer_app(club, ALICE, poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("question_mark")  # issue 10: `?` did nothing here
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        for words in ("Take", "Drop", "Refresh", "Quit"):
            assert words in app.screen.text
        assert "Members" not in app.screen.text
        await ui.press_and_pause(pilot, "escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_take_an_open_shift_with_the_keyboard(club, setup) -> None:
    app = make_volunteer_app(club, ALICE, poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        app.query_one("#open", DataTable).focus()
        await pilot.press("down", "enter")  # the cloakroom
        await ui.settle(pilot)
        status = str(app.query_one("#status", Static).render())
        assert status.startswith("taken: cloakroom at Sommet de Lyon")
        assert setup.cloakroom in table_keys(app, "#mine")
        assert setup.cloakroom not in table_keys(app, "#open")


async def test_a_clash_is_refused_and_named(club, setup) -> None:
    app = make_volunteer_app(club, ALICE, poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        app.query_one("#open", DataTable).focus()
        await pilot.pause()
        detail = str(app.query_one("#detail", Static).render())
        assert "set-up · Sommet de Lyon" in detail and "clashes with your shift" in detail
        await pilot.press("t")  # set-up overlaps her welcome desk
        await ui.settle(pilot)
        status = app.query_one("#status", Static)
        assert "clashes with your shift welcome desk at Sommet de Lyon" in str(status.render())
        assert status.has_class("refused")
    assert rota.get_shift(club.db, setup.setup).filled == 0


async def test_drop_more_than_48h_ahead_asks_for_confirmation(club, setup) -> None:
    app = make_volunteer_app(club, ALICE, poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        mine = app.query_one("#mine", DataTable)
        mine.focus()
        mine.move_cursor(row=1)  # the welcome desk, in 5 days
        await ui.press_to_open(pilot, ConfirmDialog, "d")
        await pilot.press("tab", "enter")  # from "Keep" to "Drop"
        await ui.settle(pilot)
        assert table_keys(app, "#mine") == [setup.soon]
    assert rota.get_shift(club.db, setup.desk).filled == 0


async def test_drop_within_48h_needs_a_reason_the_organiser_sees(club, setup) -> None:
    app = make_volunteer_app(club, ALICE, poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        app.query_one("#mine", DataTable).focus()
        await pilot.press("d")  # the host shift, in 30 hours
        assert isinstance(app.screen, DropReasonDialog)
        await pilot.press("enter")  # empty: refused, the dialog stays
        assert isinstance(app.screen, DropReasonDialog)
        assert "required" in str(app.screen.query_one("#hint").render())
        await ui.press_and_settle(pilot, *"Flu", "enter")
        assert not isinstance(app.screen, DropReasonDialog)
    [(shift, assignment)] = rota_coverage.dropped(club.db)
    assert (shift.id, assignment.drop_reason) == (setup.soon, "Flu")


async def test_escape_keeps_the_shift(club, setup) -> None:
    app = make_volunteer_app(club, ALICE, poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        app.query_one("#mine", DataTable).focus()
        await pilot.press("d")
        assert isinstance(app.screen.query_one(Input), Input)
        await ui.press_and_pause(pilot, "escape")
    assert rota.get_shift(club.db, setup.soon).filled == 1


async def test_organiser_changes_appear(club, setup) -> None:
    app = make_volunteer_app(club, ALICE, poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        other = open_database(club.db_path)
        rota.take_shift(
            other, setup.cloakroom, setup.alice, now=club.now(), tz=club.tz, by="organiser"
        )
        other.close()
        app.check_for_outside_changes()
        await pilot.pause()
        assert setup.cloakroom in table_keys(app, "#mine")


async def test_polling_picks_up_changes_on_its_own(club, setup) -> None:
    app = make_volunteer_app(club, ALICE, poll=True)
    async with app.run_test(size=(80, 24)) as pilot:
        other = open_database(club.db_path)
        rota.unassign(other, setup.desk, setup.alice)
        other.close()

        def dropped() -> bool:
            return setup.desk not in table_keys(app, "#mine")

        await ui.wait_for(pilot, dropped, seconds=4, delay=0.1)  # the app polls every second


def test_volunteer_app_snapshot_80x24(snap_compare, demo_club: ClubContext) -> None:
    app = make_volunteer_app(demo_club, busiest_volunteer(demo_club), poll=False)
    assert snap_compare(app, terminal_size=(80, 24))


async def test_too_late_to_drop_a_started_shift(club, setup) -> None:
    club.fixed_now = setup.start + H  # the welcome desk is under way
    app = make_volunteer_app(club, ALICE, poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        mine = app.query_one("#mine", DataTable)
        mine.focus()
        mine.move_cursor(row=mine.get_row_index(str(setup.desk)))
        await ui.press_and_settle(pilot, "d")
        assert len(app.screen_stack) == 1
        assert "too late to drop" in str(app.query_one("#status", Static).render())
    assert rota.get_shift(club.db, setup.desk).filled == 1


async def test_take_while_another_process_writes_waits_then_completes(club, setup) -> None:
    """A busy database never crashes or freezes the volunteer view: it says it waits."""
    import sqlite3

    app = make_volunteer_app(club, ALICE, poll=False)
    holder = sqlite3.connect(club.db_path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")  # another process writing (a long import)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            app.query_one("#open", DataTable).focus()
            await pilot.press("down", "t")  # the cloakroom
            status = app.query_one("#status", Static)
            waiting = "waiting for another omtui process"  # after 2 s of waiting
            await ui.wait_for(pilot, lambda: waiting in str(status.render()), seconds=10, delay=0.1)
            await pilot.press("down")  # the screen still answers keys meanwhile
            holder.execute("COMMIT")
            await ui.settle(pilot)
            assert str(status.render()).startswith("taken: cloakroom at Sommet de Lyon")
    finally:
        holder.close()
    assert rota.get_shift(club.db, setup.cloakroom).filled == 1


async def test_what_a_volunteer_needs_on_the_day(club, setup) -> None:
    """Arrival time (the event's rule), address, access notes (own shifts only) and how to
    reach the organiser, under the lists."""
    from dataclasses import replace

    from omtui.core import events as ev

    club.config = replace(
        club.config, organiser_email="orga@club.example.org", organiser_phone="06 12 34 56 78"
    )
    ev.update_event(
        club.db,
        setup.event_id,
        {"city": "Lyon", "host_company": "Palais", "address": "1 place Bellecour",
         "access_notes": "2e étage, code 4437B", "arrive_before": 30},
        now=club.now(),
    )  # fmt: skip
    desk = rota.get_shift(club.db, setup.desk)
    app = make_volunteer_app(club, ALICE, poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        mine = app.query_one("#mine", DataTable)
        mine.focus()
        mine.move_cursor(row=table_keys(app, "#mine").index(setup.desk))
        await pilot.pause()
        detail = str(app.query_one("#detail", Static).render())
        arrive = (desk.starts_at - H / 2).astimezone(club.tz).strftime("%H:%M")
        assert f"Arrive by {arrive}, 30 minutes before the shift." in detail
        assert "Where: Palais, 1 place Bellecour, Lyon" in detail
        assert "Access: 2e étage, code 4437B" in detail
        contact = str(app.query_one("#contact", Static).render())
        assert contact == "Organiser: orga@club.example.org · 06 12 34 56 78"
        assert app.query_one("#contact").region.height == 1  # on screen at 80x24
        # an open shift of the same event: where and when, but no door code
        opened = app.query_one("#open", DataTable)
        opened.focus()
        opened.move_cursor(row=table_keys(app, "#open").index(setup.cloakroom))
        await pilot.pause()
        detail = str(app.query_one("#detail", Static).render())
        assert "Where: Palais" in detail and "Arrive by" in detail
        assert "4437B" not in detail
        # another event without a rule: arrive when the shift starts
        mine.focus()
        mine.move_cursor(row=table_keys(app, "#mine").index(setup.soon))
        await pilot.pause()
        soon = rota.get_shift(club.db, setup.soon).starts_at.astimezone(club.tz)
        detail = str(app.query_one("#detail", Static).render())
        assert f"Arrive by {soon:%H:%M}, when the shift starts." in detail
