"""The mailbox in the app: a bounced address shown in the member's detail."""

from __future__ import annotations

from textual.widgets import Static

from omtui.context import ClubContext
from omtui.core import members
from omtui.core.mail import bounces
from omtui.tui.app import make_app
from omtui.tui.screens.member_detail import MemberDetail
from tests.tui.test_members_pane import pane_of, settle


async def test_member_detail_shows_a_bounced_address_with_the_status_line(
    demo_club: ClubContext,
) -> None:
    app = make_app(demo_club, poll=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        member_id = pane_of(app).table.current_member_id
        member = members.get_member(demo_club.db, member_id)
        bounces.set_status(
            demo_club.db,
            member.email,
            bounces.EmailState.BOUNCED,
            line='5.1.1 unknown user: "[b]x[/b]"',
            now=demo_club.now(),
        )
        await pilot.press("enter")
        detail = app.screen
        assert isinstance(detail, MemberDetail)
        text = str(detail.query_one("#detail-fields", Static).render())
        assert "bounced (" in text and '5.1.1 unknown user: "[b]x[/b]"' in text
