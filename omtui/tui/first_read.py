"""The database's opening and the Today tab's first read, started before Textual loads
(start-up budget, issue 10).

`omtui` must open and check the database (its quick_check takes about 10 ms at 3,000
members) and read the overview's figures (about 25 ms at 100,000 members) before its first
frame. Both run mostly inside SQLite, which works without Python's interpreter lock: done
in a thread while the main thread imports Textual and builds the screen, that time
overlaps theirs instead of adding to it. The database's errors still come before the
screen takes over (`opened` raises them). Imports no Textual.
"""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from omtui.context import ClubContext
    from omtui.core.today import Overview


@dataclass
class _Read:
    thread: threading.Thread | None = None
    opened: threading.Event = field(default_factory=threading.Event)
    error: BaseException | None = None
    view: Overview | None = None


_started: dict[int, _Read] = {}


def start(club: ClubContext) -> None:
    """Open the database, then read the overview on a connection of its own, in a thread."""
    read = _Read()

    def run() -> None:
        try:
            club.db  # noqa: B018 - open, check (and migrate) once, as the app would
        except BaseException as exc:  # handed to the main thread by opened()
            read.error = exc
            return
        finally:
            read.opened.set()
        from omtui.core import today

        # a failed read leaves no view: the pane reads again and shows the error itself
        with contextlib.suppress(Exception):
            read.view = club.in_worker(lambda db: today.overview(db, now=club.now(), tz=club.tz))

    read.thread = threading.Thread(target=run, name="omtui-first-read", daemon=True)
    _started[id(club)] = read
    read.thread.start()


def opened(club: ClubContext) -> None:
    """Wait until the database is open; raise its error (damaged, foreign...) if any."""
    read = _started.get(id(club))
    if read is None:
        return
    read.opened.wait()
    if read.error is not None:
        _started.pop(id(club), None)
        raise read.error


def take(club: ClubContext) -> Overview | None:
    """The overview read by `start`, waiting for it; None when none was started or the
    read failed."""
    read = _started.pop(id(club), None)
    if read is None or read.thread is None:
        return None
    read.thread.join()
    return read.view
