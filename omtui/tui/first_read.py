"""The Today tab's first read, started before Textual loads (start-up budget, issue 10).

The overview is the app's first screen, so its figures are needed before the first frame.
Reading them takes about 25 ms at 100,000 members, most of it inside SQLite, which runs
without Python's interpreter lock: started in a thread (on a connection of its own) just
before the app imports Textual and builds its screen, that time overlaps theirs instead of
adding to it. Imports no Textual.
"""

from __future__ import annotations

import contextlib
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from omtui.context import ClubContext
    from omtui.core.today import Overview

_started: dict[int, tuple[threading.Thread, list]] = {}


def start(club: ClubContext) -> None:
    """Read the overview in a thread (call after `club.db` opened: its checks ran)."""
    box: list = []

    def read() -> None:
        from omtui.core import today

        # a failure leaves the box empty: the pane reads again and shows the error itself
        with contextlib.suppress(Exception):
            box.append(club.in_worker(lambda db: today.overview(db, now=club.now(), tz=club.tz)))

    thread = threading.Thread(target=read, name="omtui-first-read", daemon=True)
    _started[id(club)] = (thread, box)
    thread.start()


def take(club: ClubContext) -> Overview | None:
    """The overview read by `start`, waiting for it; None when none was started or the
    read failed."""
    started = _started.pop(id(club), None)
    if started is None:
        return None
    thread, box = started
    thread.join()
    return box[0] if box else None
