"""Erase and export a member from their detail screen."""

from __future__ import annotations

import json

from textual.pilot import Pilot

from omtui.context import ClubContext
from omtui.core import members
from omtui.tui.app import OmtuiApp, make_app
from omtui.tui.screens.confirm import TypeToConfirmDialog
from omtui.tui.screens.import_preview import PathPrompt
from omtui.tui.screens.member_detail import MemberDetail
from tests.tui import pilot_helpers as ui


async def _open_detail(app: OmtuiApp, pilot: Pilot) -> int:
    member_id = (await ui.open_members(pilot)).table.current_member_id
    await ui.press_to_open(pilot, MemberDetail, "enter")
    return member_id


async def test_erase_from_the_detail_screen(demo_club: ClubContext) -> None:
    app = make_app(demo_club, poll=False)
    async with app.run_test(size=(100, 30)) as pilot:
        member_id = await _open_detail(app, pilot)
        email = members.get_member(demo_club.db, member_id).email
        await ui.press_to_open(pilot, TypeToConfirmDialog, "X")
        await pilot.press(*"wrong", "enter")
        assert isinstance(app.screen, TypeToConfirmDialog)  # a wrong address: still asked
        app.screen.query_one("Input").value = email  # type: ignore[attr-defined]
        await pilot.press("enter")
        await ui.wait_for(
            pilot, lambda: not isinstance(app.screen, MemberDetail | TypeToConfirmDialog)
        )
        await ui.settle(pilot)
    assert members.find_by_email(demo_club.db, email) is None
    erased = demo_club.db.scalar("SELECT erased_at FROM members WHERE id = ?", (member_id,))
    assert erased is not None


async def test_export_from_the_detail_screen(demo_club: ClubContext, tmp_path) -> None:
    app = make_app(demo_club, poll=False)
    target = tmp_path / "out.json"
    async with app.run_test(size=(100, 30)) as pilot:
        member_id = await _open_detail(app, pilot)
        await ui.press_to_open(pilot, PathPrompt, "x")
        app.screen.query_one("Input").value = str(target)  # type: ignore[attr-defined]
        await pilot.press("enter")
        sql = "SELECT count(*) FROM audit_log WHERE action = 'member.export-data'"
        await ui.wait_for(pilot, lambda: demo_club.db.scalar(sql) == 1)  # written, then recorded
    assert json.loads(target.read_text())["member"]["id"] == member_id
    assert target.stat().st_mode & 0o077 == 0


async def test_the_audit_log_screen_filters_by_action(demo_club: ClubContext) -> None:
    from omtui.core import audit
    from omtui.tui.screens.audit_log import AuditLogScreen

    audit.record(demo_club.db, "backup", "file", detail="[b]x.db")
    audit.record(demo_club.db, "member.erase", "member", 7)
    app = make_app(demo_club, poll=False)
    async with app.run_test(size=(120, 30)) as pilot:
        app.action_audit_log()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, AuditLogScreen)
        table = screen.query_one("DataTable")
        await ui.settle(pilot)
        total = table.row_count  # type: ignore[attr-defined]
        assert total >= 2
        await ui.press_and_settle(pilot, *"backup")
        assert table.row_count == 1  # type: ignore[attr-defined]
        assert "[b]x.db" in str(table.get_row_at(0)[4])  # type: ignore[attr-defined]
