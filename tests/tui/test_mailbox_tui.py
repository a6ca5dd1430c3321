"""The mailbox in the app: a bounced address shown in the member's detail."""

from __future__ import annotations

from textual.widgets import Static

from omtui.context import ClubContext
from omtui.core import members
from omtui.core.mail import bounces
from omtui.tui.app import make_app
from omtui.tui.screens.member_detail import MemberDetail
from tests.tui import pilot_helpers as ui


async def test_member_detail_shows_a_bounced_address_with_the_status_line(
    demo_club: ClubContext,
) -> None:
    app = make_app(demo_club, poll=False)
    async with app.run_test(size=(120, 40)) as pilot:
        member_id = (await ui.open_members(pilot)).table.current_member_id
        member = members.get_member(demo_club.db, member_id)
        bounces.set_status(
            demo_club.db,
            member.email,
            bounces.EmailState.BOUNCED,
            line='5.1.1 unknown user: "[b]x[/b]"',
            now=demo_club.now(),
        )
        detail = await ui.press_to_open(pilot, MemberDetail, "enter")
        text = str(detail.query_one("#detail-fields", Static).render())
        assert "bounced (" in text and '5.1.1 unknown user: "[b]x[/b]"' in text


async def test_triage_screen_shows_reasons_the_raw_message_and_settles(
    demo_club: ClubContext,
) -> None:
    from textual.widgets import DataTable, TextArea

    from omtui.tui.screens.mailbox_triage import MailboxTriage, RawMessage

    member = members.query_members(demo_club.db, limit=1)[0]
    hostile = "[@click=app.quit]Re: [b]question[/b]"
    ui.receive_mail(
        demo_club,
        f"From: {member.email}\r\nSubject: {hostile}\r\n\r\nBonjour [red]x[/red]\r\n",
        "From: stranger@example.net\r\nSubject: unsubscribe NoSuchToken99\r\n\r\n.\r\n",
    )
    app = make_app(demo_club, poll=False)
    async with app.run_test(size=(130, 40)) as pilot:
        await ui.settle(pilot)
        screen = await ui.press_to_open(pilot, MailboxTriage, "ctrl+t")
        table = screen.query_one(DataTable)
        assert table.row_count == 2
        assert str(table.get_row_at(0)[2]) == hostile  # shown as written, not as markup
        assert "NoSuchToken99" in str(table.get_row_at(1)[3])
        await ui.press_to_open(pilot, RawMessage, "enter")
        assert "Bonjour [red]x[/red]" in app.screen.query_one(TextArea).text
        await ui.press_and_pause(pilot, "escape")
        await pilot.press("u")  # the first message's sender is a member
        await pilot.pause()
        assert table.row_count == 1
        assert not members.get_member(demo_club.db, member.id).subscribed
        await ui.press_and_pause(pilot, "h")
        assert table.row_count == 0
        await ui.press_and_pause(pilot, "escape")
    last = members.consent_history(demo_club.db, member.id)[-1]
    assert (last.subscribed, last.source) == (False, "email request")
