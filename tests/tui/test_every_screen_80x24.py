"""Every screen and dialog at 80x24 (the size the README promises), on the demo club.

Each scene opens the real app, drives it with keys to one screen or dialog, and compares an
SVG snapshot. Each was looked at when accepted: nothing the organiser must read is cut off
(long messages wrap, errors show whole, the Events detail shows its registrations). Two
more scenes check that 120x40 is used (wider columns, the Events detail beside the table).

Another engineer's change to a screen changes its snapshot: look at the new SVG, then
accept it with `pytest tests/tui/test_every_screen_80x24.py --snapshot-update`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import DataTable, Input

from omtui.context import ClubContext
from omtui.core import events as ev
from omtui.tui.app import make_app
from omtui.tui.panes.events import EventsPane
from screenshots.scenes import busiest_volunteer, seed_interrupted_send, still_cursors
from tests.tui import pilot_helpers as ui
from tests.tui.pilot_helpers import FULL_MEETUP, OPEN_LUNCH

SIZE = (80, 24)

Scene = Callable[[Pilot], Awaitable[None]]
Prepare = Callable[[ClubContext, Path], None]


@dataclass(frozen=True)
class Shot:
    scene: Scene
    prepare: Prepare | None = None
    volunteer: bool = False
    size: tuple[int, int] = SIZE


async def settle(pilot: Pilot) -> None:
    """Wait for the workers and the messages they leave behind; keep cursors still."""
    await ui.settle(pilot)
    still_cursors(pilot)
    await pilot.pause()


async def press(pilot: Pilot, *keys: str) -> None:
    await pilot.press(*keys)
    await settle(pilot)


async def members_tab(pilot: Pilot) -> None:
    await press(pilot, "1")


async def events_tab(pilot: Pilot, event_id: int | None = None) -> None:
    await press(pilot, "2")
    if event_id is not None:
        await ui.select_event(pilot, pilot.app.query_one(EventsPane), event_id)
        await settle(pilot)


async def rota_summit(pilot: Pilot) -> None:
    """The Rota tab on the summit (the last upcoming event: many shifts, some gaps)."""
    await press(pilot, "3")
    events = pilot.app.query_one("#rota-events", DataTable)
    events.move_cursor(row=events.row_count - 1)
    await settle(pilot)


# -- Today and the tabs -------------------------------------------------------------------
async def today(pilot: Pilot) -> None:
    await settle(pilot)


async def members(pilot: Pilot) -> None:
    await members_tab(pilot)


async def events(pilot: Pilot) -> None:
    await events_tab(pilot, FULL_MEETUP)


async def rota(pilot: Pilot) -> None:
    await rota_summit(pilot)


async def newsletter(pilot: Pilot) -> None:
    await press(pilot, "4")


async def help_screen(pilot: Pilot) -> None:
    await members_tab(pilot)
    await press(pilot, "question_mark")


# -- Members ------------------------------------------------------------------------------
async def member_form_errors(pilot: Pilot) -> None:
    await members_tab(pilot)
    await press(pilot, "a")
    ui.fill_member_form(pilot.app.screen, first_name="Zoé", email="zoe@", phone="abc")
    await press(pilot, "ctrl+s")


async def member_form_edit(pilot: Pilot) -> None:
    await members_tab(pilot)
    await press(pilot, "e")


async def member_detail(pilot: Pilot) -> None:
    await members_tab(pilot)
    await press(pilot, "enter")


async def member_erase(pilot: Pilot) -> None:
    await members_tab(pilot)
    await press(pilot, "enter")
    await press(pilot, "X")


async def member_delete(pilot: Pilot) -> None:
    await members_tab(pilot)
    await press(pilot, "d")


async def member_merge(pilot: Pilot) -> None:
    """Another record of the same person? The members sharing the selected one's name."""
    await members_tab(pilot)
    await press(pilot, "down", "m")  # Antoine André: two other André


async def member_export(pilot: Pilot) -> None:
    await members_tab(pilot)
    await press(pilot, "x")


def write_import_file(club: ClubContext, tmp: Path) -> None:
    (tmp / "adhérents.csv").write_text(
        "Prénom;Nom;Courriel;Ville;Newsletter;Fax;Badge;Parrain;Cotisation\r\n"
        "Gaëlle;Lefèvre;gaelle.lefevre@example.fr;Besançon;oui;01;;;\r\n"
        "Bad;Row;not-an-email;Paris;non;;;;\r\n"
        "Anne;Sans;anne.sans@example.fr;Lyon;peut-être;;;;\r\n"
        ";;;Lille;;;;;\r\n"
        "Luc;Double;gaelle.lefevre@example.fr;Nantes;non;;;;\r\n",
        encoding="utf-8",
    )


async def import_preview(pilot: Pilot) -> None:
    await members_tab(pilot)
    tmp = Path(pilot.app.club.db_path).parent  # type: ignore[attr-defined]
    pilot.app.query_one("MembersPane").preview_import(tmp / "adhérents.csv")  # type: ignore[attr-defined]
    await settle(pilot)


def files_at_home(club: ClubContext, tmp: Path) -> None:
    """What the import's file picker lists: it opens on the current folder (home here)."""
    home = tmp / "home"  # tests/conftest.py's isolated HOME, the current folder in test_screen
    (home / "Téléchargements").mkdir()
    for name in ("adhérents.csv", "export excel 2026.csv", "liste-salon.txt", "logo.png"):
        (home / name).write_text("email\r\n", encoding="utf-8")


async def import_prompt(pilot: Pilot) -> None:
    await members_tab(pilot)
    await press(pilot, "i")
    for _ in range(50):  # the folder is listed by a worker, then the cursor set after a refresh
        if getattr(pilot.app.screen.query_one("#tree"), "cursor_line", -1) == 1:
            break
        await pilot.pause(0.02)
    await settle(pilot)


# -- Events -------------------------------------------------------------------------------
async def event_form(pilot: Pilot) -> None:
    await events_tab(pilot, FULL_MEETUP)
    await press(pilot, "e")


async def event_form_errors(pilot: Pilot) -> None:
    await events_tab(pilot)
    await press(pilot, "a")
    await press(pilot, "ctrl+s")


async def event_register(pilot: Pilot) -> None:
    await events_tab(pilot, OPEN_LUNCH)
    await press(pilot, "r")
    await press(pilot, *"hélène d")


async def cancel_registration(pilot: Pilot) -> None:
    await events_tab(pilot, OPEN_LUNCH)
    await press(pilot, "x")


async def check_in(pilot: Pilot) -> None:
    await events_tab(pilot, FULL_MEETUP)
    await press(pilot, "c")
    await press(pilot, "m", "a")


def door_open(club: ClubContext, tmp: Path) -> None:
    club.fixed_now = ev.get_event(club.db, FULL_MEETUP).starts_at - timedelta(minutes=30)


async def walk_in(pilot: Pilot) -> None:
    await events_tab(pilot, FULL_MEETUP)
    await press(pilot, "c")
    await press(pilot, *"Nina Roux")
    options = pilot.app.screen.query_one("#attendees")
    options.highlighted = options.option_count - 1  # type: ignore[attr-defined]
    pilot.app.screen.query_one("#typed", Input).focus()
    await press(pilot, "enter")


async def partner(pilot: Pilot) -> None:
    await events_tab(pilot, OPEN_LUNCH)
    await press(pilot, "l")


async def reminders(pilot: Pilot) -> None:
    await events_tab(pilot)
    pilot.app.query_one("EventsPane").action_reminders()  # type: ignore[attr-defined]
    await settle(pilot)


# -- Rota ---------------------------------------------------------------------------------
async def rota_assign(pilot: Pilot) -> None:
    await rota_summit(pilot)
    await press(pilot, "a")


async def rota_shift_form(pilot: Pilot) -> None:
    await rota_summit(pilot)
    await press(pilot, "n")


async def rota_shift_form_error(pilot: Pilot) -> None:
    await rota_summit(pilot)
    await press(pilot, "n")
    ui.fill(pilot.app.screen, role="vestiaire", starts_at="jeudi prochain vers 18 heures et demie")
    pilot.app.screen.submit()  # type: ignore[attr-defined]
    await settle(pilot)


async def rota_delete(pilot: Pilot) -> None:
    await rota_summit(pilot)
    await press(pilot, "delete")


async def rota_who(pilot: Pilot) -> None:
    await rota_summit(pilot)
    await press(pilot, "w")


# -- Newsletter ---------------------------------------------------------------------------
async def newsletter_editor(pilot: Pilot) -> None:
    await press(pilot, "4")
    await press(pilot, "down", "down", "enter")


async def newsletter_test_error(pilot: Pilot) -> None:
    await newsletter_editor(pilot)
    await press(pilot, "f3")
    await press(pilot, *"test@example.org", "enter")
    await settle(pilot)


async def newsletter_plan(pilot: Pilot) -> None:
    await press(pilot, "4")
    await press(pilot, "s")  # the first draft


def interrupted_send(club: ClubContext, tmp: Path) -> None:
    """A send to Lyon interrupted by a crash, as in the screenshots."""
    seed_interrupted_send(club)


async def newsletter_progress(pilot: Pilot) -> None:
    await press(pilot, "4")
    table = pilot.app.query_one("#nl-table", DataTable)
    for row in range(table.row_count):
        if "Lyon" in str(table.get_row_at(row)[0]):
            table.move_cursor(row=row)
    await press(pilot, "p")


# -- everywhere ---------------------------------------------------------------------------
def seed_triage(club: ClubContext, tmp: Path) -> None:
    from omtui.core import members as core_members

    member = core_members.query_members(club.db, limit=1)[0]
    ui.receive_mail(
        club,
        f"From: {member.email}\r\nSubject: Re: Déjeuner du lundi, je serai en retard d'une "
        "demi-heure, gardez-moi une place près de la porte\r\n\r\nBonjour,\r\nmerci !\r\n",
        "From: stranger@example.net\r\nSubject: unsubscribe NoSuchToken99\r\n\r\n.\r\n",
    )


async def triage(pilot: Pilot) -> None:
    await press(pilot, "ctrl+t")


async def raw_message(pilot: Pilot) -> None:
    await press(pilot, "ctrl+t")
    await press(pilot, "enter")


async def audit_log(pilot: Pilot) -> None:
    pilot.app.action_audit_log()  # type: ignore[attr-defined]
    await settle(pilot)


# -- the volunteer's app --------------------------------------------------------------------
async def volunteer(pilot: Pilot) -> None:
    await settle(pilot)


async def volunteer_drop(pilot: Pilot) -> None:
    await settle(pilot)
    await press(pilot, "d")


async def volunteer_help(pilot: Pilot) -> None:
    await press(pilot, "question_mark")


@pytest.fixture(autouse=True)
def same_account(monkeypatch: pytest.MonkeyPatch) -> None:
    """The audit log names the OS account that acted: the same one on every machine."""
    for name in ("LOGNAME", "USER", "LNAME", "USERNAME"):
        monkeypatch.setenv(name, "organiser")


SHOTS: dict[str, Shot] = {
    "today": Shot(today),
    "members": Shot(members),
    "events": Shot(events),
    "rota": Shot(rota),
    "newsletter": Shot(newsletter),
    "help": Shot(help_screen),
    "member-form-errors": Shot(member_form_errors),
    "member-form-edit": Shot(member_form_edit),
    "member-detail": Shot(member_detail),
    "member-erase": Shot(member_erase),
    "member-delete": Shot(member_delete),
    "member-merge": Shot(member_merge),
    "member-export": Shot(member_export),
    "import-prompt": Shot(import_prompt, files_at_home),
    "import-preview": Shot(import_preview, write_import_file),
    "event-form": Shot(event_form),
    "event-form-errors": Shot(event_form_errors),
    "event-register": Shot(event_register),
    "cancel-registration": Shot(cancel_registration),
    "check-in": Shot(check_in, door_open),
    "walk-in": Shot(walk_in, door_open),
    "partner": Shot(partner),
    "reminders": Shot(reminders),
    "rota-assign": Shot(rota_assign),
    "rota-shift-form": Shot(rota_shift_form),
    "rota-shift-form-error": Shot(rota_shift_form_error),
    "rota-delete": Shot(rota_delete),
    "rota-who": Shot(rota_who),
    "newsletter-editor": Shot(newsletter_editor),
    "newsletter-test-error": Shot(newsletter_test_error),
    "newsletter-plan": Shot(newsletter_plan),
    "newsletter-progress": Shot(newsletter_progress, interrupted_send),
    "triage": Shot(triage, seed_triage),
    "raw-message": Shot(raw_message, seed_triage),
    "audit-log": Shot(audit_log),
    "volunteer": Shot(volunteer, volunteer=True),
    "volunteer-drop": Shot(volunteer_drop, volunteer=True),
    "volunteer-help": Shot(volunteer_help, volunteer=True),
    "members-120x40": Shot(members, size=(120, 40)),
    "events-120x40": Shot(events, size=(120, 40)),
}
"""name -> how to reach the screen. Snapshots: __snapshots__/test_every_screen_80x24/."""


def build(shot: Shot, club: ClubContext, tmp: Path) -> App:
    if shot.prepare is not None:
        shot.prepare(club, tmp)
    if shot.volunteer:
        from omtui.tui.volunteer import make_volunteer_app

        return make_volunteer_app(club, busiest_volunteer(club), poll=False)
    return make_app(club, poll=False)


@pytest.mark.parametrize("name", list(SHOTS))
def test_screen(
    name: str,
    demo_club: ClubContext,
    tmp_path: Path,
    snap_compare,
    isolated_dirs: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(isolated_dirs)  # the file picker lists the current folder: "~" here
    shot = SHOTS[name]
    app = build(shot, demo_club, tmp_path)

    overflowing: list[str] = []

    async def run_before(pilot: Pilot) -> None:
        await shot.scene(pilot)
        pilot.app.clear_notifications()  # toasts time out by the clock: not in snapshots
        await settle(pilot)
        overflowing.extend(ui.tables_off_screen(pilot.app))

    assert snap_compare(app, terminal_size=shot.size, run_before=run_before)
    assert overflowing == [], "columns run off the screen (cut without '…')"
