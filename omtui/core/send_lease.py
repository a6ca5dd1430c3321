"""One sender per newsletter, decided in the database (no lock file).

A sending process holds a lease row (`send_leases`) for its newsletter and renews it every
`RENEW_EVERY` seconds. Another process may take it over when it has not been renewed for
`TTL` seconds, or at once when its holder is a process of this machine that no longer
exists (after a `kill -9`). Being in the database, the lease holds whatever path (symlink,
relative path, bind mount) each process used to reach the file.

The live leases also tell each sender how many senders run at the same time: the club's
`rate` is its total towards the relay, so each gets an equal share.

Times are wall-clock seconds (`time.time()`), the one clock processes share.
"""

from __future__ import annotations

import os
import secrets
import socket

from omtui.core.db import Database
from omtui.errors import OmtuiError
from omtui.i18n import _

TTL = 30.0
RENEW_EVERY = 3.0


class LeaseTaken(OmtuiError):
    """Another live process is sending this newsletter."""


class LeaseLost(Exception):
    """Our lease was taken over: this process must stop writing and sending."""


def new_holder() -> str:
    """A name for this sender: host, process id, and a random part (two sends in one
    process are two holders)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


def _holder_gone(holder: str) -> bool:
    """True when `holder` was a process of this machine that no longer runs."""
    host, _sep, rest = holder.partition(":")
    if host != socket.gethostname():
        return False
    try:
        os.kill(int(rest.partition(":")[0]), 0)
    except ProcessLookupError:
        return True
    except (PermissionError, ValueError, OverflowError):
        return False
    return False


def _live(row: dict | None, now: float) -> bool:
    return row is not None and row["renewed_at"] > now - TTL and not _holder_gone(row["holder"])


def acquire(db: Database, newsletter_id: int, holder: str, *, now: float) -> None:
    """Take the lease for `newsletter_id`, or raise LeaseTaken."""
    with db.transaction():
        row = db.query_one(
            "SELECT holder, renewed_at FROM send_leases WHERE newsletter_id = ?",
            (newsletter_id,),
        )
        if row is not None and row["holder"] != holder and _live(row, now):
            raise LeaseTaken(
                _("newsletter {id} is being sent by another process right now").format(
                    id=newsletter_id
                )
            )
        db.execute(
            "INSERT OR REPLACE INTO send_leases (newsletter_id, holder, renewed_at)"
            " VALUES (?, ?, ?)",
            (newsletter_id, holder, now),
        )


def holds(db: Database, newsletter_id: int, holder: str) -> bool:
    """Whether `holder` still holds the lease (call inside the transaction it guards)."""
    return (
        db.scalar(
            "SELECT count(*) FROM send_leases WHERE newsletter_id = ? AND holder = ?",
            (newsletter_id, holder),
        )
        == 1
    )


def renew(db: Database, newsletter_id: int, holder: str, *, now: float) -> int:
    """Renew our lease; return how many senders are live now (ours included).
    LeaseLost when another process took the lease over."""
    with db.transaction():
        cursor = db.execute(
            "UPDATE send_leases SET renewed_at = ? WHERE newsletter_id = ? AND holder = ?",
            (now, newsletter_id, holder),
        )
        if cursor.rowcount != 1:
            raise LeaseLost(newsletter_id)
        return live_senders(db, now=now)


def release(db: Database, newsletter_id: int, holder: str) -> None:
    with db.transaction():
        db.execute(
            "DELETE FROM send_leases WHERE newsletter_id = ? AND holder = ?",
            (newsletter_id, holder),
        )


def is_held(db: Database, newsletter_id: int, *, now: float) -> bool:
    """Whether some live process is sending this newsletter now."""
    row = db.query_one(
        "SELECT holder, renewed_at FROM send_leases WHERE newsletter_id = ?", (newsletter_id,)
    )
    return _live(row, now)


def live_senders(db: Database, *, now: float) -> int:
    """How many sends (of any newsletter) run now, at least 1."""
    rows = db.query("SELECT holder, renewed_at FROM send_leases WHERE renewed_at > ?", (now - TTL,))
    return max(1, sum(1 for row in rows if not _holder_gone(row["holder"])))
