"""The outbox: one row per recipient per send, and the only place deciding its state.

    queued -> sending -> sent | failed
                     \\-> uncertain   (was in flight when the process died)

A row is marked `sending` (committed) before its message is handed to SMTP, and `sent`
only after the server's 250. A row found `sending` when a send starts was in flight at a
crash: it becomes `uncertain` and is not resent unless the organiser asks.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from omtui.core.dates import to_iso
from omtui.core.db import Database
from omtui.core.newsletter import Recipient

STATES = ("queued", "sending", "sent", "failed", "uncertain")


@dataclass(frozen=True)
class OutboxRow:
    id: int
    email: str
    first_name: str
    last_name: str
    city: str
    token: str
    state: str
    attempts: int = 0
    reply: str = ""
    message_id: str = ""
    member_id: int | None = None

    def recipient(self) -> Recipient:
        return Recipient(
            email=self.email,
            first_name=self.first_name,
            last_name=self.last_name,
            city=self.city,
            token=self.token,
            member_id=self.member_id,
            outbox_id=self.id,
        )

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> OutboxRow:
        return cls(**{k: row[k] for k in cls.__dataclass_fields__})

    def as_dict(self) -> dict[str, Any]:
        return {
            "email": self.email,
            "name": f"{self.first_name} {self.last_name}".strip(),
            "state": self.state,
            "attempts": self.attempts,
            "reply": self.reply,
        }


_COLUMNS = "id, email, first_name, last_name, city, token, state, attempts, reply, message_id,"
_COLUMNS += " member_id"


def snapshot(db: Database, newsletter_id: int, recipients: Iterable[Recipient], *, now) -> int:
    """Insert one queued row per recipient (inside the caller's transaction if any)."""
    stamp = to_iso(now)
    rows = [
        (newsletter_id, r.member_id, r.email, r.first_name, r.last_name, r.city, r.token, stamp)
        for r in recipients
    ]
    with db.transaction():
        db.conn.executemany(
            "INSERT INTO outbox (newsletter_id, member_id, email, first_name, last_name, city,"
            " token, state, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'queued', ?)",
            rows,
        )
    return len(rows)


def recover(db: Database, newsletter_id: int, *, now: datetime) -> int:
    """Rows left `sending` by a dead process become `uncertain`; return how many."""
    with db.transaction():
        cursor = db.execute(
            "UPDATE outbox SET state = 'uncertain', updated_at = ?,"
            " reply = 'in flight when the previous send stopped'"
            " WHERE newsletter_id = ? AND state = 'sending'",
            (to_iso(now), newsletter_id),
        )
    return cursor.rowcount


def requeue_uncertain(db: Database, newsletter_id: int, *, now: datetime) -> int:
    """The organiser chose to resend the uncertain rows: they become queued again."""
    with db.transaction():
        cursor = db.execute(
            "UPDATE outbox SET state = 'queued', updated_at = ?, reply = ''"
            " WHERE newsletter_id = ? AND state = 'uncertain'",
            (to_iso(now), newsletter_id),
        )
    return cursor.rowcount


def claim(db: Database, newsletter_id: int, limit: int, *, now: datetime) -> list[OutboxRow]:
    """Mark up to `limit` queued rows `sending` and commit, before any is handed to SMTP.

    A member who unsubscribed (or was archived) since the send started is not sent to:
    the row becomes `failed` with a reply saying so. Unsubscribing always wins."""
    with db.transaction():
        while True:
            rows = db.query(
                f"SELECT {', '.join('o.' + c.strip() for c in _COLUMNS.split(','))},"
                " m.subscribed AS m_subscribed, m.archived_at AS m_archived"
                " FROM outbox o LEFT JOIN members m ON m.id = o.member_id"
                " WHERE o.newsletter_id = ? AND o.state = 'queued' ORDER BY o.id LIMIT ?",
                (newsletter_id, limit),
            )
            gone = [
                r["id"]
                for r in rows
                if r["member_id"] is not None and (not r["m_subscribed"] or r["m_archived"])
            ]
            if not gone:
                break
            db.conn.executemany(
                "UPDATE outbox SET state = 'failed', reply = ?, updated_at = ? WHERE id = ?",
                [(UNSUBSCRIBED_REPLY, to_iso(now), rid) for rid in gone],
            )
        if rows:
            db.conn.executemany(
                "UPDATE outbox SET state = 'sending', attempts = attempts + 1, updated_at = ?"
                " WHERE id = ? AND state = 'queued'",
                [(to_iso(now), r["id"]) for r in rows],
            )
    return [OutboxRow.from_row({**r, "state": "sending"}) for r in rows]


UNSUBSCRIBED_REPLY = "not sent: the member unsubscribed after the send started"


def record(
    db: Database,
    *,
    sent: Sequence[tuple[int, str]] = (),
    failed: Sequence[tuple[int, str]] = (),
    released: Sequence[int] = (),
    now: datetime,
) -> None:
    """Write a batch of outcomes in one transaction.

    `sent`: (row id, Message-ID) accepted by the server (250). `failed`: (row id, the
    server's reply). `released`: rows claimed but never handed to SMTP, back to queued.
    Only rows still `sending` change, so a late or repeated call cannot undo an outcome.
    """
    if not (sent or failed or released):
        return
    stamp = to_iso(now)
    with db.transaction():
        db.conn.executemany(
            "UPDATE outbox SET state = 'sent', message_id = ?, sent_at = ?, updated_at = ?,"
            " reply = '' WHERE id = ? AND state = 'sending'",
            [(mid, stamp, stamp, rid) for rid, mid in sent],
        )
        db.conn.executemany(
            "UPDATE outbox SET state = 'failed', reply = ?, updated_at = ?"
            " WHERE id = ? AND state = 'sending'",
            [(reply, stamp, rid) for rid, reply in failed],
        )
        db.conn.executemany(
            "UPDATE outbox SET state = 'queued', updated_at = ? WHERE id = ? AND state = 'sending'",
            [(stamp, rid) for rid in released],
        )


def counts(db: Database, newsletter_id: int) -> dict[str, int]:
    """Rows per state, every state present (0 when none)."""
    out = dict.fromkeys(STATES, 0)
    for row in db.query(
        "SELECT state, count(*) AS n FROM outbox WHERE newsletter_id = ? GROUP BY state",
        (newsletter_id,),
    ):
        out[row["state"]] = row["n"]
    return out


def rows_in_state(
    db: Database, newsletter_id: int, state: str, limit: int | None = None
) -> list[OutboxRow]:
    """Rows of one state (e.g. the uncertain ones to show the organiser), by id."""
    sql = f"SELECT {_COLUMNS} FROM outbox WHERE newsletter_id = ? AND state = ? ORDER BY id"
    params: tuple = (newsletter_id, state)
    if limit is not None:
        sql += " LIMIT ?"
        params += (limit,)
    return [OutboxRow.from_row(r) for r in db.query(sql, params)]
