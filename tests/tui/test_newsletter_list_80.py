"""The Newsletter tab's list at 80 columns: every column on screen, nothing cut unsaid."""

from __future__ import annotations

from textual.widgets import DataTable

from omtui.context import ClubContext
from omtui.core import newsletter as nl
from omtui.core import outbox
from omtui.tui.app import make_app


async def test_every_column_fits_and_uncertain_sits_with_failed(demo_club: ClubContext) -> None:
    """The When column said "sent 34 days ago, 1 uncertain": the list ran off the screen
    and cut it mid-word. The state says sent or edited; the uncertain join the failed."""
    sent = next(s for s in nl.list_newsletters(demo_club.db) if s.newsletter.status == "sent")
    demo_club.db.execute(  # one message the relay may or may not have taken
        "UPDATE outbox SET state = 'uncertain' WHERE id = (SELECT min(id) FROM outbox"
        " WHERE newsletter_id = ? AND state = 'sent')",
        (sent.newsletter.id,),
    )
    counts = outbox.counts(demo_club.db, sent.newsletter.id)
    failed, uncertain = counts["failed"], counts["uncertain"]
    assert failed and uncertain == 1
    app = make_app(demo_club, poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("4")
        await pilot.pause()
        table = app.query_one("#nl-table", DataTable)
        every = sum(c.get_render_width(table) for c in table.ordered_columns)
        assert every <= table.scrollable_content_region.width
        row = table.get_row(str(sent.newsletter.id))
        assert row[4] == f"{failed} + {uncertain} uncertain"
        assert row[5] == "30 days ago"  # no "sent": the state column says it
        subject = str(table.get_row_at(0)[0])
        width = table.ordered_columns[0].get_render_width(table) - 2
        assert width >= 12 or len(subject) <= width
