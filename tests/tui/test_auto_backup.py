"""The organiser's app takes the daily backup in a worker, after its first screen."""

from __future__ import annotations

from omtui.context import ClubContext
from omtui.core import runs
from omtui.tui.app import make_app


async def test_the_app_backs_up_once_a_day_in_the_background(demo_club: ClubContext) -> None:
    folder = demo_club.db_path.parent / "backups"
    for attempt in range(2):
        app = make_app(demo_club, poll=False, auto_backup=True)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            await app.workers.wait_for_complete()
        copies = list(folder.glob("club-*.db"))
        assert len(copies) == 1, attempt  # the second start: already done today
    assert runs.last_runs(demo_club.db)["backup"].ok
