"""The main screens in French at 80x24 (snapshots), and a few interactions read in French.

Runs in its own session with French chosen before the TUI modules are imported (see
conftest.py); tests/tui/test_french_session.py runs it from `make test`.
"""

from __future__ import annotations

from textual.pilot import Pilot
from textual.widgets import Input, Label

from omtui.context import ClubContext
from omtui.core import events as ev
from omtui.core import members
from omtui.core.members import MemberFilter
from omtui.i18n import current_language
from omtui.tui.app import OmtuiApp, make_app
from omtui.tui.panes.events import EventsPane
from omtui.tui.screens.event_register import RegisterDialog
from omtui.tui.volunteer import make_volunteer_app
from screenshots.scenes import busiest_volunteer, still_cursors
from tests.tui import pilot_helpers as ui
from tests.tui.pilot_helpers import FULL_MEETUP, OPEN_LUNCH

SIZE = (80, 24)


async def show_event(pilot: Pilot, event_id: int) -> EventsPane:
    pane = await ui.open_event(pilot, event_id)
    await ui.settle(pilot)
    return pane


def count_line(app: OmtuiApp) -> str:
    return str(app.query_one("#members-count", Label).render())


def test_the_session_is_french() -> None:
    assert current_language() == "fr"


def test_snapshot_today_tab(demo_club: ClubContext, snap_compare) -> None:
    """The tab the app opens on."""
    assert snap_compare(make_app(demo_club, poll=False), terminal_size=SIZE, run_before=ui.settle)


def test_snapshot_members_tab(demo_club: ClubContext, snap_compare) -> None:
    assert snap_compare(
        make_app(demo_club, poll=False), terminal_size=SIZE, run_before=ui.open_members
    )


def test_snapshot_events_tab_with_detail(demo_club: ClubContext, snap_compare) -> None:
    async def run_before(pilot: Pilot) -> None:
        await show_event(pilot, FULL_MEETUP)

    assert snap_compare(make_app(demo_club, poll=False), terminal_size=SIZE, run_before=run_before)


def test_snapshot_rota_tab(demo_club: ClubContext, snap_compare) -> None:
    async def run_before(pilot: Pilot) -> None:
        await ui.press_and_settle(pilot, "3")

    assert snap_compare(make_app(demo_club, poll=False), terminal_size=SIZE, run_before=run_before)


def test_snapshot_newsletter_tab(demo_club: ClubContext, snap_compare) -> None:
    async def run_before(pilot: Pilot) -> None:
        await ui.press_and_settle(pilot, "4")

    assert snap_compare(make_app(demo_club, poll=False), terminal_size=SIZE, run_before=run_before)


def test_snapshot_volunteer_view(demo_club: ClubContext, snap_compare) -> None:
    app = make_volunteer_app(demo_club, busiest_volunteer(demo_club), poll=False)
    assert snap_compare(app, terminal_size=SIZE, run_before=ui.settle)


def test_snapshot_member_form_with_error(demo_club: ClubContext, snap_compare) -> None:
    async def run_before(pilot: Pilot) -> None:
        await ui.open_members(pilot)
        await ui.press_and_pause(pilot, "a")
        ui.fill_member_form(pilot.app.screen, first_name="Zoé", email="zoe@")
        await ui.press_and_pause(pilot, "ctrl+s")
        still_cursors(pilot)
        await pilot.pause()

    assert snap_compare(make_app(demo_club, poll=False), terminal_size=SIZE, run_before=run_before)


def test_snapshot_check_in(demo_club: ClubContext, snap_compare) -> None:
    async def run_before(pilot: Pilot) -> None:
        await ui.press_and_settle(pilot, "2")
        await pilot.press("c")
        await ui.press_and_settle(pilot, "m", "a")
        still_cursors(pilot)
        await pilot.pause()

    assert snap_compare(make_app(demo_club, poll=False), terminal_size=SIZE, run_before=run_before)


async def test_filter_counts_members_in_french(demo_club: ClubContext) -> None:
    app = make_app(demo_club, poll=False)
    async with app.run_test(size=SIZE) as pilot:
        await ui.open_members(pilot)
        assert count_line(app).startswith("300 membres")
        await ui.press_and_settle(pilot, "slash", *"helene")
        expected = members.count_members(demo_club.db, MemberFilter(text="helene"))
        assert 0 < expected < 300
        noun = "membre" if expected == 1 else "membres"
        assert count_line(app).startswith(f"{expected} sur 300 {noun}"), count_line(app)


async def test_register_dialog_speaks_french(demo_club: ClubContext) -> None:
    member = demo_club.db.query_one(
        "SELECT id, email FROM members WHERE id NOT IN "
        "(SELECT member_id FROM registrations WHERE event_id = ?) ORDER BY id LIMIT 1",
        (OPEN_LUNCH,),
    )
    app = make_app(demo_club, poll=False)
    async with app.run_test(size=SIZE) as pilot:
        await show_event(pilot, OPEN_LUNCH)
        dialog = await ui.press_to_open(pilot, RegisterDialog, "r")
        assert dialog.query_one("#search", Input).placeholder == "partie d’un nom ou d’un e-mail"
        hints = " ".join(str(label.render()) for label in dialog.query(Label))
        assert "Inscription à" in hints and "Échap" in hints, hints
        await ui.press_and_pause(pilot, *member["email"].split("@")[0])
        await ui.press_and_settle(pilot, "enter")
        assert not isinstance(app.screen, RegisterDialog)
    reg = ev.get_registration(demo_club.db, OPEN_LUNCH, member["id"])
    assert reg is not None and reg.status == "registered"


async def test_footer_and_tabs_are_french(demo_club: ClubContext) -> None:
    app = make_app(demo_club, poll=False)
    async with app.run_test(size=SIZE) as pilot:
        await ui.settle(pilot)
        tabs = [str(tab.label) for tab in app.query("Tab")]
        assert "Membres" in tabs and "Événements" in tabs, tabs
        footer = [key.description for key in app.query("FooterKey")]
        assert "Quitter" in footer, footer


async def test_help_names_the_tab_in_french(demo_club: ClubContext) -> None:
    app = make_app(demo_club, poll=False)
    async with app.run_test(size=SIZE) as pilot:
        await ui.press_and_settle(pilot, "2")
        await ui.press_and_pause(pilot, "question_mark")
        text = getattr(app.screen, "text", "")
        assert "Onglet Événements" in text, text[:200]
        assert "Events" not in text


async def test_every_table_fits_80_columns_in_french(demo_club: ClubContext) -> None:
    """French words are longer ("demain à 12:30", "personne pour l’instant", "Libres"):
    every table of each tab still fits, its long columns cut with "…"."""
    app = make_app(demo_club, poll=False)
    async with app.run_test(size=SIZE) as pilot:
        for key in ("0", "1", "2", "3", "w", "4"):
            await pilot.press(key)
            await ui.settle(pilot)
            assert ui.tables_off_screen(app) == [], key
    volunteer = make_volunteer_app(demo_club, busiest_volunteer(demo_club), poll=False)
    async with volunteer.run_test(size=SIZE) as pilot:
        await ui.settle(pilot)
        assert ui.tables_off_screen(volunteer) == []
