"""The event and shift forms read dates the French way, with the same end-time rule, and
refuse clock-change times naming the reason (issue 9)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from textual.widgets import Input

from omtui.context import ClubContext
from omtui.core import events as ev
from omtui.core import rota
from omtui.tui.app import make_app
from omtui.tui.screens.event_form import EventForm
from omtui.tui.screens.rota_shift_form import RotaShiftForm
from tests.tui import pilot_helpers as ui
from tests.tui.rota_fixtures import small_rota


def error_text(form, selector: str) -> str:
    return str(form.query_one(selector).render())


async def test_shift_form_accepts_a_time_alone_for_the_end(club: ClubContext) -> None:
    setup = small_rota(club)
    app = make_app(club, poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await ui.open_rota(pilot)
        pane.query_one("#rota-events").focus()
        form = await ui.press_to_open(pilot, RotaShiftForm, "n")
        # the end "23:45" was refused before: it meant the same day as the start
        ui.fill(form, starts_at="27/03/2027 23h", ends_at="23:45", role="bar")
        form.query_one("#role", Input).focus()
        await ui.press_and_pause(pilot, "enter")
        assert app.screen is not form, error_text(form, "#form-error")
        # a time that does not exist (clocks go forward that night) is refused, with why
        pane.query_one("#rota-events").focus()
        await pilot.press("n")
        form = app.screen
        ui.fill(form, starts_at="28/03/2027 02:30", ends_at="04h", role="night watch")
        form.query_one("#role", Input).focus()
        await ui.press_and_pause(pilot, "enter")
        assert app.screen is form
        message = error_text(form, "#form-error")
        assert "does not exist in Europe/Paris" in message and "02:00 to 03:00" in message
        assert form.focused is form.query_one("#starts_at", Input)
        # an end that happens twice names both choices, and either one is accepted
        ui.fill(form, starts_at="31/10/2027 01:30", ends_at="2:30")
        form.query_one("#role", Input).focus()
        await ui.press_and_pause(pilot, "enter")
        message = error_text(form, "#form-error")
        assert "02:30+02:00" in message and "02:30+01:00" in message
        assert form.focused is form.query_one("#ends_at", Input)
        form.query_one("#ends_at", Input).value = "2027-10-31 02:30+01:00"
        form.query_one("#role", Input).focus()
        await ui.press_and_pause(pilot, "enter")
        assert app.screen is not form, error_text(form, "#form-error")
    made = {s.role: s for s in rota.list_shifts(club.db, event_id=setup.late_event_id)}
    bar = made["bar"]
    assert bar.ends_at - bar.starts_at == timedelta(minutes=45)
    assert "night watch" in made
    watch = made["night watch"]
    assert (watch.ends_at - watch.starts_at).total_seconds() == 2 * 3600  # 01:30+2 -> 02:30+1


async def test_event_form_reads_french_dates(demo_club: ClubContext) -> None:
    app = make_app(demo_club, poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await ui.open_events(pilot)
        form = await ui.press_to_open(pilot, EventForm, "a")
        ui.fill(form, title="Afterwork de Noël", city="Paris", host_company="Atelier Lumière")
        ui.fill(form, starts_at="28 mars 2027 à 2h30", ends_at="21h")
        await ui.press_and_pause(pilot, "ctrl+s")
        assert "does not exist in Europe/Paris" in error_text(form, "#error")
        assert form.query_one("#starts_at", Input).has_focus
        form.query_one("#starts_at", Input).value = "10/12 18h30"
        await ui.press_and_pause(pilot, "ctrl+s")
        assert not isinstance(app.screen, EventForm), error_text(form, "#error")
        saved = ev.get_event(demo_club.db, pane.selected_id)
    tz = demo_club.tz
    assert saved.starts_at.astimezone(tz).strftime("%Y-%m-%d %H:%M") == "2026-12-10 18:30"
    assert saved.ends_at.astimezone(tz).strftime("%Y-%m-%d %H:%M") == "2026-12-10 21:00"


async def test_times_left_as_shown_keep_their_moment(club: ClubContext) -> None:
    """02:30 on the night the clocks go back reads two ways: editing another field of an
    event or shift at the second 02:30 saves without asking, and keeps that moment."""
    setup = small_rota(club)
    second = datetime(2027, 10, 31, 1, 30, tzinfo=UTC)  # 02:30+01:00, the second one
    event = ev.create_event(
        club.db,
        {"kind": "lunch", "title": "Nuit blanche", "starts_at": second,
         "ends_at": second + timedelta(hours=2), "city": "Paris"},
        now=club.now(),
    )  # fmt: skip
    shift = rota.create_shift(
        club.db, setup.late_event_id, role="night", starts_at=second,
        ends_at=second + timedelta(hours=1), needed=1,
    )  # fmt: skip

    def save(fields) -> rota.Shift:
        return rota.update_shift(club.db, shift.id, **vars(fields))

    app = make_app(club, poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        form = EventForm(club, event)
        await app.push_screen(form)
        await pilot.pause()
        assert form.query_one("#starts_at", Input).value == "2027-10-31 02:30"
        form.query_one("#title", Input).value = "Nuit blanche 2027"
        await ui.press_and_pause(pilot, "ctrl+s")
        assert app.screen is not form, error_text(form, "#error")
        shift_form = RotaShiftForm("Edit", club.tz, save, shift, now=club.now)
        await app.push_screen(shift_form)
        await pilot.pause()
        shift_form.query_one("#notes", Input).value = "bring a torch"
        shift_form.query_one("#notes", Input).focus()
        await ui.press_and_pause(pilot, "enter")
        assert app.screen is not shift_form, error_text(shift_form, "#form-error")
    saved = ev.get_event(club.db, event.id)
    assert (saved.title, saved.starts_at) == ("Nuit blanche 2027", second)
    edited = rota.get_shift(club.db, shift.id)
    assert (edited.notes, edited.starts_at) == ("bring a torch", second)
