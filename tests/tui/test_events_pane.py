"""The Events tab driven by Pilot on the demo club: countdown, past toggle, register,
waiting list, cancel with promotion, check-in at 80x24, the event form; and a snapshot."""

from __future__ import annotations

from datetime import timedelta

from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Label, OptionList

from omtui.context import ClubContext
from omtui.core import events as ev
from omtui.i18n import current_language, set_language
from omtui.tui.app import make_app
from omtui.tui.screens.confirm import ConfirmDialog
from omtui.tui.screens.event_checkin import CheckInScreen
from omtui.tui.screens.event_form import EventForm
from omtui.tui.screens.event_register import RegisterDialog
from tests.tui import pilot_helpers as ui
from tests.tui.pilot_helpers import FULL_LUNCH, FULL_MEETUP, OPEN_LUNCH


def unregistered_member(club: ClubContext, event_id: int) -> dict:
    return club.db.query_one(
        "SELECT id, first_name, last_name, email FROM members WHERE id NOT IN "
        "(SELECT member_id FROM registrations WHERE event_id = ?) ORDER BY id LIMIT 1",
        (event_id,),
    )


async def test_upcoming_first_with_countdown_then_past(demo_club: ClubContext) -> None:
    app = make_app(demo_club, poll=False)
    async with app.run_test(size=(120, 40)) as pilot:
        pane = await ui.open_events(pilot)
        table = pane.query_one("#events", DataTable)
        assert table.has_focus
        first = table.get_row_at(0)
        assert first[1] == "tomorrow"  # in English (conftest); "When" gives the time
        assert table.row_count == len(ev.list_events(demo_club.db, now=demo_club.now()))
        assert "Upcoming events" in str(pane.query_one("#caption", Label).render())
        await ui.press_and_pause(pilot, "p")
        past = ev.list_events(demo_club.db, now=demo_club.now(), past_only=True)
        assert table.row_count == len(past) > 0
        assert table.get_row_at(0)[1].endswith(" ago")
        info = str(pane.query_one("#info").render())
        assert "Attendance rate" in info
        await ui.press_and_pause(pilot, "p")
        assert table.get_row_at(0)[1] == "tomorrow"


async def test_dates_in_english_when_the_interface_is(demo_club: ClubContext) -> None:
    before = current_language()
    set_language("en")
    try:
        app = make_app(demo_club, poll=False)
        async with app.run_test(size=(120, 40)) as pilot:
            pane = await ui.open_events(pilot)
            table = pane.query_one("#events", DataTable)
            assert table.get_row_at(0)[0] == "23/11 12:30"
            assert table.get_row_at(0)[1] == "tomorrow"  # beside "When", which gives the time
            await ui.select_event(pilot, pane, FULL_LUNCH)
            assert "Mon, 23 Nov 2026, 12:30-14:00" in str(pane.query_one("#info").render())
    finally:
        set_language(before)


async def test_detail_shows_waiting_list_and_partners(demo_club: ClubContext) -> None:
    app = make_app(demo_club, poll=False)
    async with app.run_test(size=(120, 40)) as pilot:
        pane = await ui.open_event(pilot, FULL_MEETUP)
        regs = pane.query_one("#regs", DataTable)
        statuses = [regs.get_row_at(i)[2] for i in range(regs.row_count)]
        assert "waiting #1" in statuses and "registered" in statuses
        assert "0[/b] seats left" in pane.describe(ev.get_event(demo_club.db, FULL_MEETUP)).markup
        summit = next(
            e for e in ev.list_events(demo_club.db, now=demo_club.now()) if e.kind == "summit"
        )
        await ui.select_event(pilot, pane, summit.id)
        assert "Partners:" in str(pane.query_one("#info").render())
        assert "sponsor" in str(pane.query_one("#info").render())


async def test_register_a_member_by_typing_part_of_the_email(demo_club: ClubContext) -> None:
    member = unregistered_member(demo_club, OPEN_LUNCH)
    app = make_app(demo_club, poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await ui.open_event(pilot, OPEN_LUNCH)
        await ui.press_to_open(pilot, RegisterDialog, "r")
        await ui.press_and_pause(pilot, *member["email"].split("@")[0])
        matches = app.screen.query_one("#matches", OptionList)
        assert matches.option_count >= 1
        await ui.press_and_pause(pilot, "enter")
        assert not isinstance(app.screen, RegisterDialog)
        reg = ev.get_registration(demo_club.db, OPEN_LUNCH, member["id"])
        assert reg is not None and reg.status == "registered" and reg.source == "tui"
        regs = pane.query_one("#regs", DataTable)
        names = [regs.get_row_at(i)[1] for i in range(regs.row_count)]
        assert f"{member['first_name']} {member['last_name']}" in names


async def test_registering_for_a_full_event_joins_the_waiting_list(
    demo_club: ClubContext,
) -> None:
    member = unregistered_member(demo_club, FULL_LUNCH)
    assert ev.event_stats(demo_club.db, FULL_LUNCH).seats_left == 0
    app = make_app(demo_club, poll=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await ui.open_event(pilot, FULL_LUNCH)
        await pilot.press("r")
        await pilot.press(*member["email"])
        await ui.press_and_pause(pilot, "enter")
        reg = ev.get_registration(demo_club.db, FULL_LUNCH, member["id"])
        assert reg is not None and reg.status == "waiting"
        # registering the same person again is refused inside the dialog
        await pilot.press("r")
        await pilot.press(*member["email"])
        await ui.press_to_open(pilot, RegisterDialog, "enter")
        assert "already on the waiting list" in str(app.screen.query_one("#error").render())


async def test_cancel_a_registration_promotes_the_first_waiting(demo_club: ClubContext) -> None:
    first_waiting = ev.waiting_list(demo_club.db, FULL_MEETUP)[0]
    app = make_app(demo_club, poll=False)
    async with app.run_test(size=(120, 40)) as pilot:
        pane = await ui.open_event(pilot, FULL_MEETUP)
        regs = pane.query_one("#regs", DataTable)
        regs.focus()
        victim = int(ui.row_key(regs))  # type: ignore[arg-type]
        await ui.press_to_open(pilot, ConfirmDialog, "x")
        await pilot.click("#yes")
        await pilot.pause()
        assert ev.get_registration(demo_club.db, FULL_MEETUP, victim).status == "cancelled"
        promoted = ev.get_registration(demo_club.db, FULL_MEETUP, first_waiting.member_id)
        assert promoted.status == "registered" and promoted.promoted_at == demo_club.now()


async def test_check_in_at_80x24(demo_club: ClubContext) -> None:
    # at the door: check-in opens 2 hours before the start (issue 10)
    demo_club.fixed_now = ev.get_event(demo_club.db, FULL_LUNCH).starts_at - timedelta(hours=1)
    registered = ev.registrations(demo_club.db, FULL_LUNCH, status="registered")
    target = registered[len(registered) // 2]
    app = make_app(demo_club, poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await ui.open_event(pilot, FULL_LUNCH)
        screen = await ui.press_to_open(pilot, CheckInScreen, "c")
        attendees = screen.query_one("#attendees", OptionList)
        waiting = ev.waiting_list(demo_club.db, FULL_LUNCH)  # shown after them (issue 10)
        assert attendees.option_count == len(registered) + len(waiting)
        assert attendees.region.height >= 8  # room to see the matches on a phone
        await ui.press_and_pause(pilot, *f"{target.first_name} {target.last_name}")
        assert 1 <= attendees.option_count < len(registered)
        assert str(target.member_id) in [
            attendees.get_option_at_index(i).id for i in range(attendees.option_count)
        ]
        while attendees.get_option_at_index(attendees.highlighted).id != str(target.member_id):
            await pilot.press("down")
        await ui.press_and_pause(pilot, "enter")
        reg = ev.get_registration(demo_club.db, FULL_LUNCH, target.member_id)
        assert reg.attended_at == demo_club.now()
        assert "checked in" in str(screen.query_one("#last").render())
        assert screen.query_one("#typed", Input).value == ""
        assert str(screen.query_one("#count").render()).startswith("1 of 14")
        await ui.press_and_pause(pilot, "ctrl+z")
        assert ev.get_registration(demo_club.db, FULL_LUNCH, target.member_id).attended_at is None
        await ui.press_and_pause(pilot, "escape")
        assert not isinstance(app.screen, CheckInScreen)


async def test_event_form_explains_errors_then_saves(demo_club: ClubContext) -> None:
    app = make_app(demo_club, poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await ui.open_events(pilot)
        before = demo_club.db.scalar("SELECT count(*) FROM events")
        form = await ui.press_to_open(pilot, EventForm, "a")
        ui.fill(form, title="Afterwork test", city="Paris", host_company="Atelier Lumière")
        ui.fill(form, starts_at="2026-12-10 18:30", ends_at="17:00", capacity="20")
        await ui.press_and_pause(pilot, "ctrl+s")
        assert "end after it starts" in str(form.query_one("#error").render())
        assert form.query_one("#ends_at", Input).has_focus
        assert demo_club.db.scalar("SELECT count(*) FROM events") == before
        form.query_one("#ends_at", Input).value = "21:00"
        await ui.press_and_pause(pilot, "ctrl+s")
        assert not isinstance(app.screen, EventForm)
        saved = ev.get_event(demo_club.db, pane.selected_id)
        assert saved.title == "Afterwork test" and saved.capacity == 20
        assert saved.starts_at.astimezone(demo_club.tz).strftime("%H:%M") == "18:30"


def test_snapshot_events_tab(demo_club: ClubContext, snap_compare) -> None:
    async def run_before(pilot: Pilot) -> None:
        await ui.open_event(pilot, FULL_MEETUP)

    assert snap_compare(
        make_app(demo_club, poll=False), terminal_size=(120, 40), run_before=run_before
    )


def test_snapshot_check_in_80x24(demo_club: ClubContext, snap_compare) -> None:
    async def run_before(pilot: Pilot) -> None:
        await ui.press_and_pause(pilot, "2")
        await pilot.press("c")
        await ui.press_and_pause(pilot, "m", "a")

    assert snap_compare(
        make_app(demo_club, poll=False), terminal_size=(80, 24), run_before=run_before
    )


async def test_palette_offers_the_events_actions_and_layout_adapts(
    demo_club: ClubContext,
) -> None:
    app = make_app(demo_club, poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await ui.open_events(pilot)
        assert pane.has_class("-narrow")  # details under the table on a small terminal
        titles = [str(c.title) for c in app.get_system_commands(app.screen)]
        for wanted in ("Events: add an event", "Events: register a member", "Events: check-in"):
            assert any(t.startswith(wanted) for t in titles), wanted
        check_in = next(
            c
            for c in app.get_system_commands(app.screen)
            if str(c.title).startswith("Events: check")
        )
        check_in.callback()
        await pilot.pause()
        assert isinstance(app.screen, CheckInScreen)
    app = make_app(demo_club, poll=False)
    async with app.run_test(size=(160, 40)) as pilot:  # beside the table from 140 columns
        pane = await ui.open_events(pilot)
        assert not pane.has_class("-narrow")


async def test_link_existing_and_new_partners(demo_club: ClubContext) -> None:
    from textual.widgets import Select

    from omtui.core import partners as pt
    from omtui.tui.screens.event_partner import PartnerDialog

    existing = pt.list_partners(demo_club.db)[0]
    app = make_app(demo_club, poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await ui.open_event(pilot, OPEN_LUNCH)
        dialog = await ui.press_to_open(pilot, PartnerDialog, "l")
        await ui.press_and_pause(pilot, "ctrl+s")
        assert "choose a partner" in str(dialog.query_one("#error").render())
        dialog.query_one("#partner", Select).value = existing.id
        dialog.query_one("#role", Select).value = "sponsor"
        await ui.press_and_pause(pilot, "ctrl+s")
        assert not isinstance(app.screen, PartnerDialog)
        await ui.press_and_pause(pilot, "l")
        ui.fill(app.screen, company="Traiteur Dupont", email="contact@traiteur-dupont.fr")
        await ui.press_and_pause(pilot, "ctrl+s")
        linked = [(p.partner.company, p.role) for p in pt.event_partners(demo_club.db, OPEN_LUNCH)]
        assert linked == [(existing.company, "sponsor"), ("Traiteur Dupont", "exhibitor")]
        assert "Traiteur Dupont" in str(pane.query_one("#info").render())


async def test_key_right_after_a_cursor_move_acts_on_the_visible_row(
    demo_club: ClubContext,
) -> None:
    app = make_app(demo_club, poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await ui.open_events(pilot)
        table = pane.query_one("#events", DataTable)
        second = ui.row_keys(table)[1]
        await ui.press_to_open(pilot, CheckInScreen, "down", "c")
        assert app.screen.event.id == second


async def test_at_80_columns_long_titles_give_way_to_the_city(demo_club: ClubContext) -> None:
    """A long title ran off the right edge, cut without "…", and hid the City column."""
    app = make_app(demo_club, poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await ui.open_events(pilot)
        table = pane.query_one("#events", DataTable)
        every = sum(c.get_render_width(table) for c in table.ordered_columns)
        assert every <= table.scrollable_content_region.width
        lines = ["".join(s.text for s in table.render_line(y)) for y in range(1, 4)]
        cities = ("Paris", "Nantes", "online", "Lyon")
        assert any("…" in line and line.rstrip().endswith(cities) for line in lines), lines
