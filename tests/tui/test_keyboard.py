"""Keyboard flow at 80x24 (issue 10): Members takes the keys back on its table, `/` goes to
the filter, Esc acts only when it does something; `?` lists every key of the tab from the
bindings; the new-member form asks for consent and its source; a new member hidden by the
filter is shown."""

from __future__ import annotations

from textual.widgets import Checkbox, Select

from omtui.context import ClubContext
from omtui.core import members
from omtui.tui.app import make_app
from omtui.tui.screens.help import HelpScreen
from omtui.tui.screens.member_form import MemberForm
from tests.tui import pilot_helpers as ui
from tests.tui.test_members_pane import type_filter


async def test_back_to_members_focuses_the_table_and_keys_act(demo_club: ClubContext) -> None:
    app = make_app(demo_club, poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await ui.open_members(pilot)
        await type_filter(pilot, "du")
        assert app.focused.id == "members-filter"
        await pilot.press("escape")  # clears what was typed
        await pilot.press("escape")  # then leaves the filter
        assert app.focused is pane.table
        await ui.press_and_pause(pilot, "2")
        await ui.press_and_settle(pilot, "1")
        assert app.focused is pane.table
        await ui.press_and_pause(pilot, "a")
        assert isinstance(app.screen, MemberForm)  # "a" added, did not type into the filter
        await ui.press_and_pause(pilot, "escape")
        assert pane.query_one("#members-filter").value == ""
        await pilot.press("slash")
        assert app.focused.id == "members-filter"


async def test_escape_on_the_table_clears_a_filter_then_passes(demo_club: ClubContext) -> None:
    app = make_app(demo_club, poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await ui.open_members(pilot)
        await type_filter(pilot, "lyon")
        await pilot.press("enter")  # to the table, filter kept
        assert app.focused is pane.table
        assert pane.check_action("escape", ())
        await ui.press_and_settle(pilot, "escape")
        assert pane.filt.text == "" and app.focused is pane.table
        assert not pane.check_action("escape", ())  # nothing to do: Esc is not swallowed


async def test_help_lists_the_keys_of_the_tab_from_its_bindings(demo_club: ClubContext) -> None:
    app = make_app(demo_club, poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await ui.open_members(pilot)
        screen = await ui.press_to_open(pilot, HelpScreen, "question_mark")
        for words in ("Members tab", "Clear filter", "Import", "Export", "Everywhere", "Quit"):
            assert words in screen.text, words
        assert "| `/` | Filter |" in screen.text
        await pilot.press("escape")
        await ui.press_and_pause(pilot, "2")
        await ui.press_and_pause(pilot, "question_mark")
        text = app.screen.text
        assert "Events tab" in text and "Partner" in text and "Check-in" in text  # `l` too
        assert "Clear filter" not in text


async def test_new_member_consent_is_not_pre_ticked_and_its_source_asked(
    demo_club: ClubContext,
) -> None:
    app = make_app(demo_club, poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await ui.open_members(pilot)
        await type_filter(pilot, "lyon")
        await pilot.press("enter")
        form = await ui.press_to_open(pilot, MemberForm, "a")
        box = form.query_one("#field-subscribed", Checkbox)
        assert box.value is False
        ui.fill_member_form(form, first_name="Aaron", last_name="Zzyzx", email="aaron@example.org")
        ui.fill_member_form(form, city="Nantes")
        box.value = True
        await pilot.pause()
        await ui.press_and_pause(pilot, "ctrl+s")
        assert app.screen is form
        assert "how they consented" in str(form.query_one("#form-error").render())
        form.query_one("#field-consent_source", Select).value = "paper"
        await ui.press_and_settle(pilot, "ctrl+s")
        assert not isinstance(app.screen, MemberForm)
        added = members.find_by_email(demo_club.db, "aaron@example.org")
        assert added is not None and added.subscribed
        assert [c.source for c in members.consent_history(demo_club.db, added.id)] == ["paper"]
        # the filter "lyon" hid them: it is cleared and the cursor is on them
        assert pane.filt.text == ""
        assert pane.table.current_member_id == added.id


async def test_app_offers_merge_of_two_records(demo_club: ClubContext) -> None:
    from omtui.tui.screens.confirm import ConfirmDialog
    from omtui.tui.screens.rota_pick import RotaPickDialog

    db, now = demo_club.db, demo_club.now()
    keep = members.add_member(
        db, {"first_name": "Ysé", "last_name": "Quintal", "email": "yse@new.example"}, now=now
    )
    old = members.add_member(
        db,
        {"first_name": "Ysé", "last_name": "Quintal", "email": "yse@old.example", "city": "Lyon"},
        now=now,
    )
    app = make_app(demo_club, poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await ui.open_members(pilot)
        await type_filter(pilot, "yse@new")
        await pilot.press("enter")
        assert pane.table.current_member_id == keep.id
        await ui.press_to_open(pilot, RotaPickDialog, "m")
        await pilot.press("enter")  # the only candidate
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.click("#yes")
        await ui.settle(pilot)
    assert members.get_member(db, old.id).archived_at is not None
    assert members.get_member(db, keep.id).city == "Lyon"


async def test_help_is_the_first_key_of_every_tab_footer(demo_club: ClubContext) -> None:
    """At 80 columns a tab's keys fill the footer; `?` (which lists them all) comes first."""
    app = make_app(demo_club, poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        for tab in "1234":
            await ui.press_and_settle(pilot, tab)
            keys = [key for key in app.query("FooterKey") if key.region.width]
            assert keys and keys[0].key == "question_mark", (tab, [k.key for k in keys])
            assert keys[0].region.right <= 80
        await pilot.press("0")  # Today's footer is short: the app's `?` shows whole there
        await ui.settle(pilot)
        help_key = [key for key in app.query("FooterKey") if key.key == "question_mark"]
        assert help_key and 0 < help_key[0].region.right <= 80
