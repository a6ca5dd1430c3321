"""The Today tab: each situation has its line, and Enter lands in the right place."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import timedelta

from textual.pilot import Pilot
from textual.widgets import DataTable, OptionList, Static, TabbedContent

from omtui.context import ClubContext
from omtui.core import events as ev
from omtui.core import newsletter, sender, today
from omtui.core.demo import DEMO_NOW
from omtui.tui.app import make_app
from omtui.tui.panes.today import TodayPane
from omtui.tui.screens.confirm import ConfirmDialog
from tests.tui import pilot_helpers as ui


def paused_send(club: ClubContext) -> int:
    draft = newsletter.create_draft(
        club.db, subject="Les nouvelles de décembre", body="Bonjour {first_name}", now=club.now()
    )
    plan = sender.prepare(club.db, draft.id, club.config)
    sender.start_send(club.db, draft.id, club.config, plan, now=club.now())
    sender._set_status(club.db, draft.id, "paused", "the server said 421", club.now())
    return draft.id


async def test_opens_on_today_with_every_section(demo_club: ClubContext) -> None:
    app = make_app(demo_club, poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await ui.settle(pilot)
        assert app.query_one(TabbedContent).active == "today"
        assert isinstance(app.focused, OptionList)
        pane = app.query_one(TodayPane)
        assert pane.drawn >= 1 and pane.items
        assert "300 members" in str(app.query_one("#today-members", Static).render())
        assert "Backup: never ran" in str(app.query_one("#today-jobs", Static).render())
        lunch = str(app.query_one("#today-lunch", Static).render()).splitlines()
        assert lunch[0].startswith("Where to hold") and lunch[1].startswith("Marseille")


async def test_a_gap_opens_its_shift_in_the_rota(demo_club: ClubContext) -> None:
    app = make_app(demo_club, poll=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await ui.settle(pilot)
        item = await ui.choose_today_line(pilot, "volunteer missing")
        assert item.kind == today.Kind.GAP and item.target is not None
        assert app.query_one(TabbedContent).active == "rota"
        rota_pane = app.query_one("#rota-pane")
        assert rota_pane.event_id == item.target.event_id  # type: ignore[attr-defined]
        assert ui.row_key(app.query_one("#rota-events", DataTable)) == str(item.target.event_id)
        shifts = app.query_one("#rota-shifts", DataTable)
        assert ui.row_key(shifts) == str(item.target.shift_id)
        assert app.focused is shifts


async def test_a_late_drop_shows_its_reason_and_opens_the_shift(demo_club: ClubContext) -> None:
    app = make_app(demo_club, poll=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await ui.settle(pilot)
        assert any("Ma fille est malade" in line for line in ui.today_lines(app))
        item = await ui.choose_today_line(pilot, "Ma fille est malade")
        assert item.kind == today.Kind.DROP and item.target is not None
        assert app.query_one(TabbedContent).active == "rota"
        assert ui.row_key(app.query_one("#rota-shifts", DataTable)) == str(item.target.shift_id)


async def test_a_full_event_with_waiting_list_opens_the_event(demo_club: ClubContext) -> None:
    app = make_app(demo_club, poll=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await ui.settle(pilot)
        item = await ui.choose_today_line(pilot, "people waiting")
        assert item.kind == today.Kind.FULL and item.target is not None
        assert app.query_one(TabbedContent).active == "events"
        assert ui.row_key(app.query_one("#events-pane #events", DataTable)) == str(
            item.target.event_id
        )
        # back to Today with 0, then a promoted member lands on their registration
        await ui.press_and_settle(pilot, "0")
        item = await ui.choose_today_line(pilot, "from the waiting list")
        assert item.target is not None and item.target.member_id
        assert ui.row_key(app.query_one("#events-pane #events", DataTable)) == str(
            item.target.event_id
        )
        assert ui.row_key(app.query_one("#regs", DataTable)) == str(item.target.member_id)


async def test_a_paused_send_opens_the_newsletter(demo_club: ClubContext) -> None:
    newsletter_id = paused_send(demo_club)
    app = make_app(demo_club, poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await ui.settle(pilot)
        assert ui.today_lines(app)[0].startswith(
            "! Newsletter “Les nouvelles de décembre” is paused"
        )
        item = await ui.choose_today_line(pilot, "is paused")
        assert item.kind == today.Kind.SEND
        assert app.query_one(TabbedContent).active == "newsletter"
        assert ui.row_key(app.query_one("#nl-table", DataTable)) == str(newsletter_id)


async def test_an_unconfirmed_event_is_confirmed_in_one_key(demo_club: ClubContext) -> None:
    app = make_app(demo_club, poll=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await ui.settle(pilot)
        before = sum("not confirmed" in line for line in ui.today_lines(app))
        item = await ui.choose_today_line(pilot, "not confirmed")
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.click("#yes")
        await ui.settle(pilot)
        assert item.target is not None
        assert ev.get_event(demo_club.db, item.target.event_id or 0).status == "confirmed"
        assert app.query_one(TabbedContent).active == "today"
        assert sum("not confirmed" in line for line in ui.today_lines(app)) == before - 1
        # "no" opens the event instead
        item = await ui.choose_today_line(pilot, "not confirmed")
        await ui.press_and_settle(pilot, "escape")
        assert app.query_one(TabbedContent).active == "events"
        assert item.target is not None
        assert ui.row_key(app.query_one("#events-pane #events", DataTable)) == str(
            item.target.event_id
        )


async def test_an_empty_club_gets_a_friendly_line(club: ClubContext) -> None:
    app = make_app(club, poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await ui.settle(pilot)
        assert not app.query_one("#today-items", OptionList).display
        empty = app.query_one("#today-empty", Static)
        assert empty.display and "Nothing needs you today" in str(empty.render())


async def test_follows_a_write_by_another_process(demo_club: ClubContext) -> None:
    """Another process adds a shift nobody holds: its gap line appears within ~2 s, and
    the line under the cursor stays under the cursor."""
    event = next(e for e in ev.list_events(demo_club.db, now=DEMO_NOW) if e.kind == "meetup")
    starts = event.starts_at - timedelta(hours=1)
    script = (
        "import sys\n"
        "from datetime import datetime, timedelta\n"
        "from omtui.core.db import open_database\n"
        "from omtui.core import rota\n"
        "db = open_database(sys.argv[1])\n"
        "starts = datetime.fromisoformat(sys.argv[3])\n"
        "rota.create_shift(db, int(sys.argv[2]), role='vestiaire', starts_at=starts,"
        " ends_at=starts + timedelta(hours=1))\n"
        "db.close()\n"
    )
    app = make_app(demo_club)  # polling on, as the organiser runs it
    async with app.run_test(size=(80, 24)) as pilot:
        await ui.settle(pilot)
        pane = app.query_one(TodayPane)
        options = app.query_one("#today-items", OptionList)
        options.highlighted = 1
        held = pane.items[1]
        drawn = pane.drawn
        subprocess.run(
            [
                sys.executable,
                "-c",
                script,
                str(demo_club.db_path),
                str(event.id),
                starts.isoformat(),
            ],
            check=True,
            timeout=60,
        )
        written = time.monotonic()
        while not any("vestiaire" in line for line in ui.today_lines(app)):
            assert time.monotonic() - written < 5, "the new gap never showed"
            await pilot.pause(0.05)
        assert time.monotonic() - written < 2.5
        assert pane.drawn == drawn + 1  # one redraw, not a flicker of several
        assert pane.items[options.highlighted or 0] == held


def _french_snapshot(club: ClubContext, snap_compare, size: tuple[int, int]) -> bool:
    from omtui import i18n

    i18n.set_language("fr")  # the autouse fixture sets English back for the next test

    async def run_before(pilot: Pilot) -> None:
        await ui.settle(pilot)
        await pilot.wait_for_scheduled_animations()
        for _ in range(3):  # sections re-layout after their text lands: let scrollbars settle
            await pilot.pause()
        await ui.settle(pilot)

    return snap_compare(make_app(club, poll=False), terminal_size=size, run_before=run_before)


def test_snapshot_today_80x24_in_french(demo_club: ClubContext, snap_compare) -> None:
    paused_send(demo_club)
    assert _french_snapshot(demo_club, snap_compare, (80, 24))


def test_snapshot_today_120x40_in_french(demo_club: ClubContext, snap_compare) -> None:
    paused_send(demo_club)
    assert _french_snapshot(demo_club, snap_compare, (120, 40))


async def test_hostile_values_show_as_text(club: ClubContext) -> None:
    """Titles, names and reasons come from people: markup in them stays literal text."""
    from omtui.core import members, rota

    now, tz = club.now(), club.tz
    person = members.add_member(
        club.db,
        {"email": "v@example.org", "first_name": "Grégoire [/]", "tags": "volunteer"},
        now=now,
    )
    event = ev.create_event(
        club.db,
        {
            "kind": "meetup",
            "title": "[@click=app.quit]Afterwork[/]",
            "starts_at": now + timedelta(days=1),
            "ends_at": now + timedelta(days=1, hours=2),
            "city": "Lyon",
            "host_company": "[red]ACME",
        },
        now=now,
    )
    shift = rota.create_shift(
        club.db, event.id, role="[b]accueil", starts_at=event.starts_at, ends_at=event.ends_at
    )
    rota.take_shift(club.db, shift.id, person.id, now=now - timedelta(days=3), tz=tz)
    rota.drop_shift(club.db, shift.id, person.id, now=now, tz=tz, reason="Eve\x1b]2;PWNED\x07 [/]")
    app = make_app(club, poll=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await ui.settle(pilot)
        text = "\n".join(ui.today_lines(app))
        assert "Grégoire [/] dropped [b]accueil at [@click=app.quit]Afterwork[/]" in text
        assert "PWNED [/]" in text and "\x1b" not in text
        assert "[@click=app.quit]Afterwork[/]" in str(
            app.query_one("#today-events", Static).render()
        )
        await pilot.pause()
        assert app.is_running


async def test_triage_and_reminder_lines_open_their_screens(demo_club: ClubContext) -> None:
    """Enter on "messages wait in triage" opens the triage; on "reminders go out before
    tomorrow morning", the reminders list (not the cron advice of a failed job)."""
    from omtui.tui.screens.mailbox_triage import MailboxTriage
    from omtui.tui.screens.reminders import RemindersScreen

    ui.receive_mail(demo_club, "From: stranger@example.net\r\nSubject: Question\r\n\r\nBonjour\r\n")
    # an event tomorrow evening: its day-before reminders go out tonight
    event = ev.create_event(
        demo_club.db,
        {
            "title": "Déjeuner à Nantes",
            "kind": "lunch",
            "starts_at": DEMO_NOW + timedelta(hours=30),
            "ends_at": DEMO_NOW + timedelta(hours=32),
            "city": "Nantes",
            "capacity": 20,
        },
        now=DEMO_NOW,
    )
    member_id = int(demo_club.db.scalar("SELECT min(id) FROM members WHERE archived_at IS NULL"))
    ev.register(demo_club.db, event.id, member_id, now=DEMO_NOW)
    app = make_app(demo_club, poll=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await ui.settle(pilot)
        await ui.choose_today_line(pilot, "in triage")
        assert isinstance(app.screen, MailboxTriage)
        await ui.press_and_settle(pilot, "escape")
        await ui.choose_today_line(pilot, "before tomorrow morning")
        assert isinstance(app.screen, RemindersScreen)
