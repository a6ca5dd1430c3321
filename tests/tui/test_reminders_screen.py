"""The reminders view (Events tab, command palette): what went out and what is due next."""

from __future__ import annotations

from textual.widgets import DataTable, Label

from omtui.context import ClubContext
from omtui.core.runs import record_run
from omtui.tui.app import make_app
from omtui.tui.panes.events import EventsPane
from omtui.tui.screens.reminders import RemindersScreen
from tests.tui import pilot_helpers as ui


async def test_reminders_view_lists_next_and_recent(demo_club: ClubContext) -> None:
    db, now = demo_club.db, demo_club.now()
    member = db.query_one("SELECT id, email FROM members ORDER BY id LIMIT 1")
    event = db.query_one("SELECT id FROM events ORDER BY id LIMIT 1")
    stamp = now.isoformat()
    with db.transaction():
        db.execute(
            "INSERT INTO reminders (kind, member_id, event_id, lead, email, due_at, state, reply,"
            " created_at, updated_at, sent_at) VALUES ('event', ?, ?, '24h', ?, ?, 'sent',"
            " '250 [b]ok[/b]', ?, ?, ?)",
            (member["id"], event["id"], member["email"], stamp, stamp, stamp, stamp),
        )
    record_run(db, "remind", ok=True, detail="1 sent", started_at=now, finished_at=now)
    app = make_app(demo_club, poll=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await ui.press_and_pause(pilot, "2")
        app.query_one(EventsPane).action_reminders()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, RemindersScreen)
        upcoming = screen.query_one("#next", DataTable)
        assert upcoming.row_count > 0  # the demo has registrations in the coming days
        recent = screen.query_one("#recent", DataTable)
        assert recent.row_count == 1
        row = recent.get_row_at(0)
        assert row[3] == member["email"] and row[4] == "sent" and row[5] == "250 [b]ok[/b]"
        assert "1 sent" in str(screen.query_one("#last-run", Label).render())
        await ui.press_and_pause(pilot, "escape")
        assert not isinstance(app.screen, RemindersScreen)
