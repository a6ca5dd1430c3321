"""Member data is text, never markup or terminal commands: the reported defects first,
then a corpus of hostile values driven through every screen."""

from __future__ import annotations

import html
import os
import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from textual.content import Content
from textual.widgets import DataTable, Input, OptionList, Static
from textual.widgets._toast import Toast

from omtui.config import Config, SmtpConfig
from omtui.context import ClubContext
from omtui.core import events, members, newsletter, partners, rota
from omtui.crashlog import LOG_NAME, log_error
from omtui.i18n import _
from omtui.tui.app import make_app
from omtui.tui.panes.events import EventsPane
from omtui.tui.panes.members import MembersPane
from omtui.tui.panes.newsletter import NewsletterPane
from omtui.tui.screens.confirm import ConfirmDialog
from omtui.tui.screens.event_checkin import CheckInScreen
from omtui.tui.screens.event_form import EventForm
from omtui.tui.screens.event_partner import PartnerDialog
from omtui.tui.screens.event_register import RegisterDialog
from omtui.tui.screens.import_preview import ImportPreviewScreen
from omtui.tui.screens.member_detail import MemberDetail
from omtui.tui.screens.member_form import MemberForm
from omtui.tui.screens.newsletter_editor import NewsletterEditor
from omtui.tui.screens.newsletter_plan import SendPlanScreen
from omtui.tui.screens.rota_pick import RotaPickDialog
from omtui.tui.screens.rota_shift_form import RotaShiftForm
from omtui.tui.screens.volunteer_drop import DropReasonDialog
from omtui.tui.text import cell, markup, plain
from omtui.tui.volunteer import make_volunteer_app
from tests.tui import pilot_helpers as ui
from tests.tui.rota_fixtures import SmallRota, small_rota

ALICE = "alice.zebulon@example.org"


@pytest.fixture
def setup(club: ClubContext) -> SmallRota:
    return small_rota(club)


def shown(widget) -> str:
    """The plain text a Static/Label shows."""
    return str(widget.render())


def cells(table: DataTable) -> list[str]:
    return [str(c) for r in range(table.row_count) for c in table.get_row_at(r)]


def drop_soon(club: ClubContext, setup: SmallRota, reason: str) -> None:
    result = rota.drop_shift(
        club.db, setup.soon, setup.alice, now=club.now(), tz=club.tz, reason=reason
    )
    assert result.ok, result.message


# -- the reported defects ---------------------------------------------------------------
async def test_a_drop_reason_with_a_closing_tag_shows_on_the_rota(club, setup) -> None:
    drop_soon(club, setup, "Sorry [/]")
    app = make_app(club, poll=False)
    async with app.run_test(size=(160, 40)) as pilot:
        pane = await ui.open_rota(pilot)
        assert pane.event_id == setup.late_event_id
        assert "Sorry [/]" in shown(pane.query_one("#rota-dropped", Static))


async def test_a_click_action_in_a_drop_reason_does_nothing(club, setup, tmp_path) -> None:
    shot = tmp_path / "shot.svg"
    drop_soon(club, setup, f"[@click=app.screenshot('shot.svg','{tmp_path}')]Click[/]")
    app = make_app(club, poll=False)
    async with app.run_test(size=(200, 40)) as pilot:
        pane = await ui.open_rota(pilot)
        dropped = pane.query_one("#rota-dropped", Static)
        text = shown(dropped)
        await pilot.click(dropped, offset=(1 + text.index("Click"), 0))
        await pilot.pause()
        assert not shot.exists()
        assert "[@click=app.screenshot(" in text


async def test_a_first_name_with_a_closing_tag_in_the_volunteer_view(club, setup) -> None:
    members.update_member(club.db, setup.chloe, {"first_name": "Grégoire [/]"}, now=club.now())
    assert rota.take_shift(club.db, setup.desk, setup.chloe, now=club.now(), tz=club.tz).ok
    app = make_volunteer_app(club, ALICE, poll=False)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        assert "Grégoire [/]" in cells(app.query_one("#mine", DataTable))


class Boom(Exception):
    pass


async def test_a_volunteer_crash_shows_one_line_and_logs_the_details(
    club, setup, db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = make_volunteer_app(club, ALICE, poll=False)
    secret = "local-value-the-volunteer-must-not-see"

    def explode() -> None:
        hidden = secret  # noqa: F841 - a local a rich traceback would print
        raise Boom("forced for the test")

    with pytest.raises(Boom):
        async with app.run_test(size=(80, 24)) as pilot:
            app.call_later(explode)
            await pilot.pause()
    assert app.return_code == 1
    printed = capsys.readouterr()
    seen = (printed.out + printed.err).strip()
    assert "unexpected error" in seen and "\n" not in seen  # one line
    assert secret not in seen and "Traceback" not in seen and "explode" not in seen
    logs = list(db_path.parent.glob("*.log"))
    assert len(logs) == 1
    assert logs[0].stat().st_mode & 0o777 == 0o600
    details = logs[0].read_text()
    assert "Boom: forced for the test" in details and ALICE in details


# -- the corpus through every screen ----------------------------------------------------
LONG = "Ñ" * 5000
HOSTILE = (
    "[/]",
    "[b]",
    "[@click=app.quit]x[/]",
    "[link=file:///etc/passwd]x[/link]",
    "\u202eRTL mark",
    "Grégoire [/]",
    "back\\[b]slash",
)
ESC_NAME = "Eve\x1b]2;PWNED\x07"
"""Stored raw with SQL (data written before omtui cleaned its input): shown, never obeyed."""
ESC_SHOWN = "Eve␛]2;PWNED␇"


@dataclass
class Corpus:
    event_id: int
    shift_id: int
    member_ids: list[int]
    volunteer_email: str
    newsletter_id: int


def build_corpus(club: ClubContext) -> Corpus:
    db, now, tz = club.db, club.now(), club.tz
    ids = []
    for n, value in enumerate((*HOSTILE, LONG)):
        ids.append(
            members.add_member(
                db,
                {
                    "first_name": value,
                    "last_name": value[:200],
                    "email": f"m{n}@example.org",
                    "company": value,
                    "city": value,
                    "notes": f"{value}\nsecond line {value}",
                    "tags": "volunteer",
                },
                now=now,
            ).id
        )
    raw = members.add_member(db, {"first_name": "x", "email": "eve@example.org"}, now=now).id
    with db.transaction() as conn:
        conn.execute(
            "UPDATE members SET first_name = ?, company = ?, tags = 'volunteer' WHERE id = ?",
            (ESC_NAME, ESC_NAME, raw),
        )
    ids.append(raw)
    start = now + timedelta(days=3)
    event = events.create_event(
        db,
        {
            "kind": "meetup",
            "title": " ".join(HOSTILE),
            "starts_at": start,
            "ends_at": start + timedelta(hours=3),
            "city": "[/] Lyon",
            "address": "[@click=app.quit]12 rue[/]",
            "access_notes": "[link=file:///etc/passwd]door[/link] \x1b[2J",
            "capacity": 50,
            "host_company": "[/] Host & Co",
            "status": "planned",
        },
        now=now,
    )
    for member_id in ids:
        events.register(db, event.id, member_id, now=now)
    partner = partners.add_partner(db, {"company": "[b]ACME [/]"}, now=now)
    partners.link_partner(db, event.id, partner.id, "sponsor")
    shift = rota.create_shift(
        db,
        event.id,
        role="host [/]",
        starts_at=now + timedelta(hours=30),
        ends_at=now + timedelta(hours=32),
        needed=len(ids) + 1,
        notes="[@click=app.quit]notes[/] " + ESC_NAME,
    )
    for member_id in ids:
        assert rota.take_shift(db, shift.id, member_id, now=now, tz=tz).ok
    for member_id, value in zip(ids[:3], HOSTILE, strict=False):
        assert rota.drop_shift(db, shift.id, member_id, now=now, tz=tz, reason=value).ok
    draft = newsletter.create_draft(
        db, subject="[/] [@click=app.quit]Hi[/]", body="Hello [/] **bold**", now=now
    )
    with db.transaction() as conn:  # as written before omtui cleaned its input
        conn.execute(
            "UPDATE newsletters SET subject = ? WHERE id = ?",
            ("[/] [@click=app.quit]Hi[/] " + ESC_NAME, draft.id),
        )
    return Corpus(event.id, shift.id, ids, "m5@example.org", draft.id)


@pytest.fixture
def corpus(club: ClubContext) -> Corpus:
    return build_corpus(club)


def screen_texts(app) -> str:
    """Every piece of text the current screen shows, as plain text (and the drawn screen)."""
    svg = app.export_screenshot()
    parts = [svg, html.unescape(re.sub(r"<[^>]+>", "", svg)).replace("\xa0", " ")]
    screen = app.screen
    parts.append(str(screen.title or ""))
    parts += [field.value for field in screen.query(Input)]
    for table in screen.query(DataTable):
        parts += cells(table)
    for widget in screen.query(Static):
        parts.append(shown(widget))
    for options in screen.query(OptionList):
        parts += ui.option_texts(options)
    for widget in screen.query("*"):
        if widget.border_title:  # read back as markup: parse it to see what shows
            parts.append(Content.from_markup(widget.border_title).plain)
    return "\n".join(parts)


def assert_safe(app, *expected: str) -> None:
    """Nothing is markup or a live link, no control character reaches the terminal, and
    each expected literal value is on screen."""
    text = screen_texts(app)
    assert "\x1b" not in text and "\x07" not in text
    for widget in app.screen.query(Static):
        for span in getattr(widget.visual, "spans", ()):
            style = str(span.style)
            assert "@click" not in style and "link" not in style, (widget, span)
    for value in expected:
        assert value in text, value


async def test_members_screens_show_hostile_values_as_text(club, corpus, tmp_path) -> None:
    app = make_app(club, poll=False)
    async with app.run_test(size=(160, 50)) as pilot:
        await ui.open_members(pilot)
        pane = app.query_one(MembersPane)
        # the table fills after the first frame: wait for its rows
        await ui.wait_for(pilot, lambda: pane.query_one(DataTable).row_count > 0, delay=0.05)
        await ui.settle(pilot)
        assert_safe(app, "[/]", "[@click=app.quit]x[/]", "Grégoire [/]", "\u202eRTL mark")
        assert_safe(app, "Eve␛]2;PWNED␇")
        for member_id in (corpus.member_ids[2], corpus.member_ids[-2], corpus.member_ids[-1]):
            pane.table.move_cursor(row=pane.table.row_of(member_id))
            await pilot.press("enter")  # details and consent history
            await ui.settle(pilot)
            assert isinstance(app.screen, MemberDetail)
            assert_safe(app)
            await pilot.press("escape")
            pane.action_edit_member()  # the form opened on that record
            await ui.settle(pilot)
            assert isinstance(app.screen, MemberForm)
            assert_safe(app)
            await pilot.press("escape")
            pane.action_delete_member()  # the question names the member
            await ui.settle(pilot)
            assert isinstance(app.screen, ConfirmDialog)
            assert_safe(app)
            await ui.press_and_settle(pilot, "escape")
        assert app.is_running and app.screen is app.screen_stack[0]


async def test_events_screens_show_hostile_values_as_text(club, corpus) -> None:
    app = make_app(club, poll=False)
    async with app.run_test(size=(160, 50)) as pilot:
        await ui.press_and_settle(pilot, "2")
        pane = app.query_one(EventsPane)
        assert pane.selected_id == corpus.event_id
        assert_safe(app, *HOSTILE[:4], "[@click=app.quit]12 rue[/]", "[b]ACME [/]", "Eve␛]2")
        for action, screen_type in (
            (pane.action_register, RegisterDialog),
            (pane.action_check_in, CheckInScreen),
            (pane.action_link_partner, PartnerDialog),
            (pane.action_edit_event, EventForm),
        ):
            action()
            await ui.settle(pilot)
            assert isinstance(app.screen, screen_type)
            if screen_type in (RegisterDialog, CheckInScreen):
                await pilot.press(*"gr")  # matches "Grégoire [/]" and the long name's accents
                await ui.settle(pilot)
            assert_safe(app, "[@click=app.quit]x[/]")
            await ui.press_and_settle(pilot, "escape")
        regs = app.query_one("#regs", DataTable)
        regs.focus()
        regs.move_cursor(row=2)
        pane.action_cancel_registration()
        await ui.settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        assert_safe(app, "[@click=app.quit]x[/]")
        await ui.press_and_settle(pilot, "escape")
        assert app.is_running


async def test_rota_screens_show_hostile_values_as_text(club, corpus, tmp_path) -> None:
    app = make_app(club, poll=False)
    async with app.run_test(size=(200, 50)) as pilot:
        pane = await ui.open_rota(pilot)
        await ui.settle(pilot)
        assert pane.event_id == corpus.event_id
        assert_safe(app, "host [/]", "[@click=app.quit]notes[/]", *HOSTILE[:3])
        shifts = pane.query_one("#rota-shifts", DataTable)
        shifts.focus()
        for action, screen_type in (
            (pane.action_assign, RotaPickDialog),
            (pane.action_unassign, RotaPickDialog),
            (pane.action_edit_shift, RotaShiftForm),
            (pane.action_delete_shift, ConfirmDialog),
        ):
            action()
            await ui.settle(pilot)
            assert isinstance(app.screen, screen_type), action
            assert_safe(app, "host [/]")
            await ui.press_and_settle(pilot, "escape")
        await ui.press_and_settle(pilot, "w")
        assert_safe(app, "host [/]", "Grégoire [/]")
        assert app.is_running


async def test_newsletter_screens_show_hostile_values_as_text(club, corpus) -> None:
    club.config = Config(smtp=SmtpConfig(from_address="lettre@club-exemple.fr"))
    app = make_app(club, poll=False)
    async with app.run_test(size=(160, 50)) as pilot:
        await ui.press_and_settle(pilot, "4")
        subject = "[/] [@click=app.quit]Hi[/] " + ESC_SHOWN
        assert_safe(app, subject)
        await pilot.press("enter")  # the editor, with its live preview
        await ui.settle(pilot)
        assert isinstance(app.screen, NewsletterEditor)
        assert_safe(app, "Preview: [/] [@click=app.quit]Hi[/] Eve]2;PWNED")  # as it would save
        await ui.press_and_settle(pilot, "escape")
        pane = app.query_one(NewsletterPane)
        with club.db.transaction() as conn:  # a control character would refuse the send
            conn.execute(
                "UPDATE newsletters SET subject = ? WHERE id = ?",
                ("[/] [@click=app.quit]Hi[/]", corpus.newsletter_id),
            )
        subject = "[/] [@click=app.quit]Hi[/]"
        pane.action_send()  # the send plan names the subject
        await ui.settle(pilot)
        assert isinstance(app.screen, SendPlanScreen)
        assert_safe(app, subject)
        await ui.press_and_settle(pilot, "escape")
        assert app.is_running


async def test_volunteer_view_shows_hostile_values_as_text(club, corpus) -> None:
    app = make_volunteer_app(club, corpus.volunteer_email, poll=False)
    async with app.run_test(size=(160, 40)) as pilot:
        await ui.settle(pilot)
        assert_safe(app, "host [/]", "[/]", "[@click=app.quit]x[/]", "Eve␛]2;PWNED␇")
        app.query_one("#mine", DataTable).focus()
        await ui.settle(pilot)
        assert_safe(app, "[@click=app.quit]notes[/]")
        await pilot.press("d")  # within 48 hours: the reason dialog names the shift
        await ui.settle(pilot)
        assert isinstance(app.screen, DropReasonDialog)
        assert_safe(app, "host [/]")
        await ui.press_and_settle(pilot, *"[@click=app.quit]bye[/]", "enter")
        assert app.is_running
        assert_safe(app)


def test_the_crash_log_follows_a_shared_setgid_folder(tmp_path: Path) -> None:
    """README set-up: volunteers run as their own account in a setgid folder; the organiser
    reads their log through the group. Elsewhere it is owner-only, whatever the umask."""
    shared = tmp_path / "srv"
    shared.mkdir()
    shared.chmod(0o2770)
    try:
        raise Boom("shared")
    except Boom as exc:
        error = exc
    written = log_error(error, db_path=shared / "club.db", who="v@example.org")
    assert written == shared / LOG_NAME
    assert written.stat().st_mode & 0o777 == 0o640
    own = tmp_path / "own"
    own.mkdir()
    old = os.umask(0)
    try:
        written = log_error(error, db_path=own / "club.db", who="v@example.org")
    finally:
        os.umask(old)
    assert written is not None and written.stat().st_mode & 0o777 == 0o600
    assert "Boom: shared" in written.read_text()


async def test_import_preview_shows_hostile_file_names_and_rows(club, tmp_path) -> None:
    path = tmp_path / "[b]members [@click=app.bell]x.csv"
    path.write_text(
        "email,first_name,newsletter\n"
        "ok@example.org,[@click=app.quit]x[/],yes\n"
        "bad@example.org,Bad,[link=file:///etc/passwd]x[/link]\n"
        "[/]@,Broken,yes\n",
        encoding="utf-8",
    )
    app = make_app(club, poll=False)
    async with app.run_test(size=(160, 50)) as pilot:
        await ui.open_members(pilot)
        await ui.press_and_settle(pilot, "i")
        app.screen.query_one(Input).value = str(path)
        app.screen.query_one(Input).focus()  # the file picker's path box
        await ui.press_and_settle(pilot, "enter")
        assert isinstance(app.screen, ImportPreviewScreen)
        assert_safe(
            app, "[b]members [@click=app.bell]x.csv", "[link=file:///etc/passwd]x[/link]", "[/]@"
        )
        await pilot.press("enter")  # apply the accepted row
        table = app.query_one(MembersPane).table
        for _attempt in range(50):  # the import, then the refresh it asks for: two workers
            await ui.settle(pilot)
            if table.row_count:
                break
        assert app.screen is app.screen_stack[0] and app.is_running
        assert_safe(app, "[@click=app.quit]…")  # the name, cut to its column


def test_markup_fills_fields_as_text_even_after_a_backslash() -> None:
    """Escaping cannot protect a value ending in a backslash (it would escape the app's
    next tag); markup() never puts the value through the parser."""
    shown_text = markup(_("[b]{name}[/b] left {role}"), name="x\\", role="[/] \x1b")
    assert shown_text.plain == "x\\ left [/] ␛"
    assert plain("[@click=app.quit]x[/]").plain == "[@click=app.quit]x[/]"
    assert cell("Eve\x1b]2;\x07\nB") == "Eve␛]2;␇␊B"


async def test_toasts_are_plain_text(club) -> None:
    app = make_app(club, poll=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("1")  # the app opens on Today
        app.query_one(MembersPane).notify("Sorry [/] [@click=app.quit]x[/] \x1b]2;T\x07")
        await pilot.pause()
        [note] = list(app._notifications)
        assert not note.markup and note.message == "Sorry [/] [@click=app.quit]x[/] ␛]2;T␇"
        assert str(Toast(note).render()) == note.message
        await pilot.pause()  # drawn without a MarkupError
        assert app.is_running
