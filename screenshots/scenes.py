"""What the screenshots and the snapshot tests set up on the demo club, shared by
screenshots/make.py (`make screenshots`) and the tests (tests/tui/test_every_screen_80x24.py,
test_newsletter_pane.py, test_volunteer_app.py import it as `screenshots.scenes`).

It imports only omtui's core at module level: make.py chooses the language first, and the
TUI modules translate their key descriptions when imported.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from omtui.context import ClubContext

if TYPE_CHECKING:
    from textual.pilot import Pilot

    from omtui.core.newsletter import Newsletter

AFTERWORK_BODY = "Bonjour {first_name}, rendez-vous jeudi à 18 h 30 !\n\n{upcoming_events}\n"


def seed_interrupted_send(club: ClubContext, body: str = AFTERWORK_BODY) -> Newsletter:
    """A send to Lyon interrupted by a crash 20 minutes ago: 9 sent, 1 refused, 2 in flight
    and now uncertain. Returns its newsletter."""
    from omtui.core import newsletter as nl
    from omtui.core import outbox, sender

    db, config, now = club.db, club.config, club.now()
    lyon = nl.create_draft(
        db, subject="Afterwork à Lyon", body=body, city="Lyon", now=now - timedelta(minutes=30)
    )
    started = now - timedelta(minutes=20)
    sender.start_send(db, lyon.id, config, sender.prepare(db, lyon.id, config), now=started)
    rows = outbox.claim(db, lyon.id, 12, now=started)
    outbox.record(
        db,
        sent=[(row.id, f"<{row.id}@demo>", "250 2.0.0 Ok") for row in rows[:9]],
        failed=[(rows[9].id, "550 5.1.1 mailbox unavailable", True)],
        now=started,
    )
    outbox.mark_transmitting(db, [row.id for row in rows[10:]], now=started)
    outbox.recover(db, lyon.id, now=started)  # the last two were in flight at the crash
    return lyon


def busiest_volunteer(club: ClubContext) -> str:
    """The demo volunteer with the most upcoming shifts (deterministic): whose view the
    volunteer app shows."""
    return club.db.scalar(
        """SELECT m.email FROM members m JOIN shift_assignments a ON a.member_id = m.id
        JOIN shifts s ON s.id = a.shift_id
        WHERE a.dropped_at IS NULL AND s.ends_at > ?
        GROUP BY m.id ORDER BY count(*) DESC, m.id LIMIT 1""",
        (club.now().isoformat(),),
    )


def still_cursors(pilot: Pilot) -> None:
    """The cursor blink depends on timing: keep the screen's text cursors still."""
    from textual.widgets import Input, TextArea

    for field in pilot.app.screen.query("Input, TextArea"):
        if isinstance(field, Input | TextArea):
            field.cursor_blink = False
