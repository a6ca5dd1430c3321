"""The Members tab, driven by Pilot on the real app over the demo club (300 members)."""

from __future__ import annotations

from pathlib import Path

from textual.message import Message
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Label, Static

from omtui.context import ClubContext
from omtui.core import members
from omtui.core.db import open_database
from omtui.core.members import MemberFilter
from omtui.core.text import fold
from omtui.tui.app import OmtuiApp, make_app
from omtui.tui.messages import DataChanged
from omtui.tui.panes.members import SHIFT, WINDOW, MembersPane
from omtui.tui.screens.confirm import ConfirmDialog
from omtui.tui.screens.file_picker import ExportDialog, FilePicker
from omtui.tui.screens.import_preview import ImportPreviewScreen, PathPrompt
from omtui.tui.screens.member_detail import MemberDetail
from omtui.tui.screens.member_form import MemberForm


async def settle(app: OmtuiApp, pilot: Pilot) -> None:
    """Wait for the query workers and the messages they leave behind."""
    for _ in range(2):
        await app.workers.wait_for_complete()
        await pilot.pause()


def pane_of(app: OmtuiApp) -> MembersPane:
    return app.query_one(MembersPane)


def count_line(app: OmtuiApp) -> str:
    return str(app.query_one("#members-count", Label).render())


def column(pane: MembersPane, index: int) -> list[str]:
    table = pane.table
    return [str(table.get_row_at(row)[index]) for row in range(table.row_count)]


async def type_filter(app: OmtuiApp, pilot: Pilot, text: str) -> None:
    await pilot.press("slash", *text)
    await settle(app, pilot)


def fill(form: MemberForm, **values: str) -> None:
    for name, value in values.items():
        form.query_one(f"#field-{name}", Input).value = value


async def test_table_shows_one_window_and_the_count(demo_club: ClubContext) -> None:
    app = make_app(demo_club, poll=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("1")  # the app opens on Today
        await settle(app, pilot)
        pane = pane_of(app)
        assert pane.table.row_count == WINDOW  # 300 members, never all of them at once
        assert count_line(app).startswith(f"300 members · 1–{WINDOW} shown")
        first = members.query_members(demo_club.db, limit=1)[0]
        assert pane.table.current_member_id == first.id
        assert app.focused is pane.table


async def test_filter_helene_ignores_accents_and_updates_the_count(
    demo_club: ClubContext,
) -> None:
    app = make_app(demo_club, poll=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("1")  # the app opens on Today
        await settle(app, pilot)
        await type_filter(app, pilot, "helene")
        pane = pane_of(app)
        expected = members.count_members(demo_club.db, MemberFilter(text="helene"))
        assert 0 < expected < 300
        assert pane.table.row_count == expected
        assert count_line(app).startswith(f"{expected} of 300 members")
        rows = [" ".join(str(c) for c in pane.table.get_row_at(r)) for r in range(expected)]
        assert all("helene" in fold(row) for row in rows)
        assert any("Hélène" in row for row in rows)


async def test_filter_without_match_shows_an_empty_state(demo_club: ClubContext) -> None:
    app = make_app(demo_club, poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("1")  # the app opens on Today
        await settle(app, pilot)
        await type_filter(app, pilot, "zzqx")
        pane = pane_of(app)
        assert pane.table.row_count == 0
        assert count_line(app).startswith("0 of 300 members")
        empty = app.query_one("#members-empty", Static)
        assert empty.display and not pane.table.display
        assert "No member matches" in str(empty.render())
        await pilot.press("escape")  # clears the filter
        await settle(app, pilot)
        assert pane.table.display and pane.table.row_count == WINDOW


async def test_tag_city_and_subscription_filters(demo_club: ClubContext) -> None:
    app = make_app(demo_club, poll=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("1")  # the app opens on Today
        await settle(app, pilot)
        pane = pane_of(app)
        app.query_one("#members-city").value = "Lyon"
        await settle(app, pilot)
        app.query_one("#members-subscribed").value = False
        await settle(app, pilot)
        filt = MemberFilter(city="Lyon", subscribed=False)
        expected = members.count_members(demo_club.db, filt)
        assert pane.filt == filt
        assert pane.table.row_count == expected
        assert set(column(pane, 3)) <= {"Lyon"} and set(column(pane, 5)) <= {"no"}
        assert count_line(app).startswith(f"{expected} of 300 members")


async def test_add_with_a_bad_email_shows_the_error_and_writes_nothing(
    demo_club: ClubContext,
) -> None:
    app = make_app(demo_club, poll=False)
    before = members.count_members(demo_club.db)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("1")  # the app opens on Today
        await settle(app, pilot)
        await pilot.press("a")
        form = app.screen
        assert isinstance(form, MemberForm)
        fill(form, first_name="Zoé", last_name="Test", email="zoe.test@@example")
        await pilot.press("ctrl+s")
        assert app.screen is form  # still open
        error = form.query_one("#error-email", Label)
        assert error.has_class("shown")
        assert "not a valid email address" in str(error.render())
        assert app.focused is form.query_one("#field-email")
        await pilot.press("escape")
        assert not isinstance(app.screen, MemberForm)
    assert members.count_members(demo_club.db) == before


async def test_add_a_valid_member_shows_it_and_tells_the_app(demo_club: ClubContext) -> None:
    seen: list[Message] = []
    app = make_app(demo_club, poll=False)
    async with app.run_test(size=(120, 40), message_hook=seen.append) as pilot:
        await pilot.press("1")  # the app opens on Today
        await settle(app, pilot)
        await pilot.press("a")
        form = app.screen
        assert isinstance(form, MemberForm)
        fill(form, first_name="Aaron", last_name="Zzyzx", email="aaron@example.org")
        fill(form, city="Nantes", tags="speaker, Volunteer")
        await pilot.press("enter")
        await settle(app, pilot)
        assert not isinstance(app.screen, MemberForm)
        added = members.find_by_email(demo_club.db, "aaron@example.org")
        assert added is not None and added.tags == ("speaker", "volunteer")
        pane = pane_of(app)
        assert pane.table.current_member_id == added.id  # last by name: the window moved
        assert pane.start == 300 - WINDOW // 2
        assert count_line(app).startswith("301 members")
    assert any(isinstance(m, DataChanged) and m.area == "members" for m in seen)


async def test_duplicate_email_names_the_member_who_has_it(demo_club: ClubContext) -> None:
    other = members.query_members(demo_club.db, limit=1, offset=17)[0]
    app = make_app(demo_club, poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("1")  # the app opens on Today
        await settle(app, pilot)
        await pilot.press("a")
        form = app.screen
        fill(form, first_name="Copy", email=other.email.upper())
        await pilot.press("ctrl+s")
        message = str(form.query_one("#error-email", Label).render())
        assert other.full_name in message and f"#{other.id}" in message
    assert members.count_members(demo_club.db) == 300


async def test_edit_saves_and_the_row_shows_it(demo_club: ClubContext) -> None:
    app = make_app(demo_club, poll=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("1")  # the app opens on Today
        await settle(app, pilot)
        pane = pane_of(app)
        await pilot.press("down", "down")
        member_id = pane.table.current_member_id
        await pilot.press("e")
        form = app.screen
        assert isinstance(form, MemberForm)
        assert (
            form.query_one("#field-email", Input).value
            == members.get_member(demo_club.db, member_id).email
        )
        fill(form, city="Besançon", notes="Prefers phone calls")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        saved = members.get_member(demo_club.db, member_id)
        assert (saved.city, saved.notes) == ("Besançon", "Prefers phone calls")
        assert pane.table.current_member_id == member_id
        assert str(pane.table.get_row(str(member_id))[3]) == "Besançon"


async def test_delete_asks_then_archives(demo_club: ClubContext) -> None:
    app = make_app(demo_club, poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("1")  # the app opens on Today
        await settle(app, pilot)
        pane = pane_of(app)
        member_id = pane.table.current_member_id
        await pilot.press("d")
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("escape")  # "no": nothing happens
        assert members.get_member(demo_club.db, member_id).archived_at is None
        await pilot.press("d")
        await pilot.click("#yes")
        await settle(app, pilot)
        gone = members.get_member(demo_club.db, member_id)
        assert gone.archived_at is not None and not gone.subscribed
        assert pane.table.row_of(member_id) is None
        assert count_line(app).startswith("299 members")


async def test_detail_shows_consent_history_and_toggles_subscription(
    demo_club: ClubContext,
) -> None:
    app = make_app(demo_club, poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("1")  # the app opens on Today
        await settle(app, pilot)
        member_id = pane_of(app).table.current_member_id
        was = members.get_member(demo_club.db, member_id).subscribed
        await pilot.press("enter")
        detail = app.screen
        assert isinstance(detail, MemberDetail)
        history = detail.query_one("#consent-history")
        assert history.row_count == 1
        await pilot.press("s")
        await pilot.pause()
        assert history.row_count == 2
        assert str(history.get_row_at(1)[1]) == "newsletter"  # the purpose
        assert str(history.get_row_at(1)[3]) == "form"
        await pilot.press("escape")
        await settle(app, pilot)
    events = members.consent_history(demo_club.db, member_id)
    assert [e.subscribed for e in events] == [was, not was]
    assert events[-1].source == "form"


async def test_sort_keys_and_header_click(demo_club: ClubContext) -> None:
    app = make_app(demo_club, poll=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("1")  # the app opens on Today
        await settle(app, pilot)
        pane = pane_of(app)
        await pilot.press("s")  # next column: email
        await settle(app, pilot)
        by_email = members.query_members(demo_club.db, sort="email", limit=WINDOW)
        assert pane.table.current_member_id == by_email[0].id
        assert [str(k.value) for k in list(pane.table.rows)[:5]] == [
            str(m.id) for m in by_email[:5]
        ]
        await pilot.press("r")
        await settle(app, pilot)
        last = members.query_members(demo_club.db, sort="email", descending=True, limit=1)[0]
        assert pane.table.current_member_id == last.id
        assert "sorted by Email ▼" in count_line(app)
        pane.sort_by("joined", descending=True)
        await settle(app, pilot)
        newest = members.query_members(demo_club.db, sort="joined", descending=True, limit=1)
        assert pane.table.current_member_id == newest[0].id


async def test_cursor_past_the_window_slides_it(demo_club: ClubContext) -> None:
    app = make_app(demo_club, poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("1")  # the app opens on Today
        await settle(app, pilot)
        pane = pane_of(app)
        await pilot.press("ctrl+end")  # the last loaded row: the next ones load
        await settle(app, pilot)
        everyone = members.query_members(demo_club.db, limit=None)
        assert pane.start == SHIFT
        assert pane.table.row_count == WINDOW
        assert pane.table.current_member_id == everyone[WINDOW - 1].id
        for _ in range(10):  # on to the very end, SHIFT rows at a time
            if pane.start + pane.table.row_count >= 300:
                break
            await pilot.press("ctrl+end")
            await settle(app, pilot)
        await pilot.press("ctrl+end")
        await settle(app, pilot)
        assert pane.table.current_member_id == everyone[-1].id
        assert f"{300 - WINDOW + 1}–300 shown" in count_line(app)
        await pilot.press("ctrl+home")  # the first loaded row: the previous ones load
        await settle(app, pilot)
        assert pane.start == 300 - WINDOW - SHIFT
        assert pane.table.current_member_id == everyone[300 - WINDOW].id


async def test_outside_change_refreshes_and_keeps_filter(demo_club: ClubContext) -> None:
    app = make_app(demo_club, poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("1")  # the app opens on Today
        await settle(app, pilot)
        await type_filter(app, pilot, "nantes")
        before = pane_of(app).table.row_count
        other = open_database(demo_club.db_path)
        members.add_member(
            other, {"email": "new@example.org", "city": "Nantes"}, now=demo_club.now()
        )
        other.close()
        app.check_for_outside_changes()
        await settle(app, pilot)
        assert pane_of(app).filt.text == "nantes"
        assert pane_of(app).table.row_count == before + 1
        assert count_line(app).startswith(f"{before + 1} of 301 members")


async def test_palette_offers_member_actions(demo_club: ClubContext) -> None:
    app = make_app(demo_club, poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("1")  # the app opens on Today
        await settle(app, pilot)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        for title in ("Add member", "Import members from CSV", "Export members to CSV"):
            assert title in titles
        assert "Sort members by City" in titles


async def test_import_previews_then_applies_a_french_excel_file(
    demo_club: ClubContext, tmp_path: Path
) -> None:
    existing = members.query_members(demo_club.db, limit=1, offset=5)[0]
    csv_file = tmp_path / "adhérents.csv"
    csv_file.write_bytes(
        (
            "Prénom;Nom;Courriel;Ville;Newsletter;Fax\r\n"
            "Gaëlle;Lefèvre;gaelle.lefevre@example.fr;Besançon;oui;01\r\n"
            f"{existing.first_name};{existing.last_name};{existing.email.upper()};Orléans;;\r\n"
            "Bad;Row;not-an-email;Paris;non;\r\n"
        ).encode("cp1252")
    )
    app = make_app(demo_club, poll=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("1")  # the app opens on Today
        await settle(app, pilot)
        await pilot.press("i")
        prompt = app.screen
        assert isinstance(prompt, FilePicker)
        prompt.query_one("#path", Input).value = str(tmp_path / "missing.csv")
        prompt.query_one("#path", Input).focus()
        await pilot.press("enter")
        assert "is not a file" in str(prompt.query_one("#error", Static).render())
        prompt.query_one("#path", Input).value = str(csv_file)
        await pilot.press("enter")
        await settle(app, pilot)
        preview = app.screen
        assert isinstance(preview, ImportPreviewScreen)
        summary = str(preview.query_one("#summary", Static).render())
        assert "1 new · 1 updated · 0 unchanged · 1 rejected" in summary
        assert "cp1252" in summary and "semicolon" in summary and "Fax" in summary
        rejected = preview.query_one("#rejected", DataTable)
        assert [str(c) for c in rejected.get_row_at(0)[:2]] == ["4", "not-an-email"]
        assert members.find_by_email(demo_club.db, "gaelle.lefevre@example.fr") is None
        await pilot.press("s")  # save the rejected rows, to fix and import again
        assert isinstance(app.screen, PathPrompt)
        app.screen.query_one("#path", Input).value = str(tmp_path / "rejected.csv")
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await settle(app, pilot)
        assert app.screen is preview
        saved = (tmp_path / "rejected.csv").read_text(encoding="utf-8-sig").splitlines()
        assert saved[0] == "Prénom;Nom;Courriel;Ville;Newsletter;Fax;rejected line;rejected reason"
        assert saved[1].startswith("Bad;Row;not-an-email;Paris;non;;4;")
        await pilot.press("a")
        await settle(app, pilot)
        assert not isinstance(app.screen, ImportPreviewScreen)
        added = members.find_by_email(demo_club.db, "gaelle.lefevre@example.fr")
        assert added is not None and added.city == "Besançon" and added.subscribed
        assert members.get_member(demo_club.db, existing.id).city == "Orléans"
        assert count_line(app).startswith("301 members")


async def test_export_writes_the_filtered_members(demo_club: ClubContext, tmp_path: Path) -> None:
    app = make_app(demo_club, poll=False)
    out = tmp_path / "lyon.csv"
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("1")  # the app opens on Today
        await settle(app, pilot)
        app.query_one("#members-city").value = "Lyon"
        await settle(app, pilot)
        await pilot.press("x")
        assert isinstance(app.screen, ExportDialog)
        app.screen.query_one("#folder", Input).value = str(tmp_path)
        app.screen.query_one("#name", Input).value = out.name
        await pilot.press("enter")
        await settle(app, pilot)
    lyon = members.count_members(demo_club.db, MemberFilter(city="Lyon"))
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == lyon + 1 and all("Lyon" in line for line in lines[1:])


def test_snapshot_members_tab(demo_club: ClubContext, snap_compare) -> None:
    async def run_before(pilot: Pilot) -> None:
        await pilot.press("1")  # the app opens on Today
        await settle(pilot.app, pilot)

    assert snap_compare(
        make_app(demo_club, poll=False), terminal_size=(120, 40), run_before=run_before
    )


def test_snapshot_member_form_with_error(demo_club: ClubContext, snap_compare) -> None:
    async def run_before(pilot: Pilot) -> None:
        await pilot.press("1")  # the app opens on Today
        await settle(pilot.app, pilot)
        await pilot.press("a")
        fill(pilot.app.screen, first_name="Zoé", email="zoe@")
        await pilot.press("ctrl+s")
        await pilot.pause()

    assert snap_compare(
        make_app(demo_club, poll=False), terminal_size=(80, 24), run_before=run_before
    )


async def test_a_failing_query_is_reported(demo_club: ClubContext) -> None:
    app = make_app(demo_club, poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("1")  # the app opens on Today
        await settle(app, pilot)
        demo_club.db.execute("DROP TABLE members_fts")  # a broken database, say
        await type_filter(app, pilot, "lyon")
        await pilot.pause()
        assert any("Members:" in str(n.message) for n in app._notifications)


async def test_members_to_merge_are_announced_once(demo_club: ClubContext) -> None:
    db = demo_club.db
    first = members.query_members(db, limit=1)[0]
    members.update_member(db, first.id, {"email": "élise.demo@example.com"}, now=demo_club.now())
    db.execute(  # a pair stored before emails compared through email_key
        "INSERT INTO members (email, email_key, email_twin, joined_at, unsubscribe_token,"
        " created_at, updated_at) SELECT 'ÉLISE.DEMO@example.com', email_key, 999999,"
        " joined_at, 'twin', created_at, updated_at FROM members WHERE id = ?",
        (first.id,),
    )
    members.index_new_members(db, db.scalar("SELECT max(id) FROM members"))
    app = make_app(demo_club, poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("1")  # the app opens on Today
        await settle(app, pilot)
        await app.workers.wait_for_complete()
        await pilot.pause()
        notices = [
            str(n.message) for n in app._notifications if "members duplicates" in str(n.message)
        ]
        assert notices == [
            "1 email is shared by members whose addresses differ only by case; "
            "merge them (omtui members duplicates)"
        ]


async def test_at_80_columns_the_tags_column_is_whole_on_screen(demo_club: ClubContext) -> None:
    """The tags column ended under the scrollbar: "freelance,h" with no "…", the reader
    could not tell the list went on."""
    member = members.query_members(demo_club.db, limit=1)[0]
    members.update_member(
        demo_club.db, member.id, {"tags": "freelance,host,volunteer"}, now=demo_club.now()
    )
    app = make_app(demo_club, poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("1")
        await settle(app, pilot)
        table = pane_of(app).table
        shown = [c for c in table.ordered_columns if str(c.key.value) != "joined"]
        tags_end = sum(c.get_render_width(table) for c in shown[:5])
        assert tags_end <= table.scrollable_content_region.width
        line = "".join(segment.text for segment in table.render_line(1))
        assert "freelance,h…" in line  # cut, and saying so
        # at 120 columns every column is on screen
        await pilot.resize_terminal(120, 40)
        await settle(app, pilot)
        every = sum(c.get_render_width(table) for c in table.ordered_columns)
        assert every <= table.scrollable_content_region.width
