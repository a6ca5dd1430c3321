"""The outbox: one row per recipient per send, and the only place deciding its state.

    queued -> sending -> sent | failed | uncertain
                 |  (claimed)     \
                 +-- transmit_at set: its DATA has started (being transmitted)

A row is claimed (`sending`, committed) in small batches before its message is built, and
marked transmitting (`transmit_at`, committed) just before its DATA command: only from then
on can the server have accepted it. When a send starts after a crash, claimed rows that
were never transmitted go back to the queue; rows whose DATA had started become
`uncertain` ("may have been sent") and are not resent unless the organiser asks.

A failed row keeps the server's reply and its kind (`temporary`: a 4xx or a connection that
kept breaking; `permanent`: a 5xx; `unsubscribed`), so failed rows can be retried. A sent
row keeps the server's "250 ..." reply: the organiser's answer to "did it leave?".
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
    fail_kind: str = ""

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
            "message_id": self.message_id,
            **({"failure": self.fail_kind} if self.state == "failed" else {}),
        }


_COLUMNS = "id, email, first_name, last_name, city, token, state, attempts, reply, message_id,"
_COLUMNS += " member_id, fail_kind"
FAIL_KINDS = ("temporary", "permanent", "unsubscribed")


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
    """Settle the rows a dead process left `sending`: those whose DATA had started become
    `uncertain` (return how many); those only claimed go back to the queue."""
    stamp = to_iso(now)
    with db.transaction():
        cursor = db.execute(
            "UPDATE outbox SET state = 'uncertain', updated_at = ?,"
            " reply = 'in flight when the previous send stopped'"
            " WHERE newsletter_id = ? AND state = 'sending' AND transmit_at IS NOT NULL",
            (stamp, newsletter_id),
        )
        db.execute(
            "UPDATE outbox SET state = 'queued', updated_at = ?"
            " WHERE newsletter_id = ? AND state = 'sending' AND transmit_at IS NULL",
            (stamp, newsletter_id),
        )
    return cursor.rowcount


def requeue_uncertain(db: Database, newsletter_id: int, *, now: datetime) -> int:
    """The organiser chose to resend the uncertain rows: they become queued again."""
    with db.transaction():
        cursor = db.execute(
            "UPDATE outbox SET state = 'queued', updated_at = ?, reply = '', transmit_at = NULL"
            " WHERE newsletter_id = ? AND state = 'uncertain'",
            (to_iso(now), newsletter_id),
        )
    return cursor.rowcount


def requeue_failed(
    db: Database, newsletter_id: int, *, include_permanent: bool = False, now: datetime
) -> int:
    """Queue failed rows again: the temporary failures, and the permanent (5xx) ones too
    with `include_permanent`. A member who unsubscribed is never retried."""
    kinds = ("temporary", "permanent") if include_permanent else ("temporary",)
    with db.transaction():
        cursor = db.execute(
            "UPDATE outbox SET state = 'queued', updated_at = ?, transmit_at = NULL,"
            " fail_kind = '' WHERE newsletter_id = ? AND state = 'failed'"
            f" AND fail_kind IN ({', '.join('?' for _k in kinds)})",
            (to_iso(now), newsletter_id, *kinds),
        )
    return cursor.rowcount


def mark_transmitting(db: Database, row_ids: Sequence[int], *, now: datetime) -> None:
    """Record (inside the caller's transaction if any) that these rows' DATA starts now."""
    db.conn.executemany(
        "UPDATE outbox SET transmit_at = ? WHERE id = ? AND state = 'sending'",
        [(to_iso(now), rid) for rid in row_ids],
    )


def claim(
    db: Database,
    newsletter_id: int,
    limit: int,
    *,
    now: datetime,
    skipped: list[int] | None = None,
) -> list[OutboxRow]:
    """Mark up to `limit` queued rows `sending` and commit, before any is handed to SMTP.

    A member who unsubscribed (or was archived) since the send started is not sent to:
    the row becomes `failed` with a reply saying so (its id added to `skipped`).
    Unsubscribing always wins."""
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
            if skipped is not None:
                skipped.extend(gone)
            db.conn.executemany(
                "UPDATE outbox SET state = 'failed', reply = ?, fail_kind = 'unsubscribed',"
                " updated_at = ? WHERE id = ?",
                [(UNSUBSCRIBED_REPLY, to_iso(now), rid) for rid in gone],
            )
        if rows:
            db.conn.executemany(
                "UPDATE outbox SET state = 'sending', attempts = attempts + 1, updated_at = ?,"
                " transmit_at = NULL WHERE id = ? AND state = 'queued'",
                [(to_iso(now), r["id"]) for r in rows],
            )
    return [OutboxRow.from_row({**r, "state": "sending"}) for r in rows]


UNSUBSCRIBED_REPLY = "not sent: the member unsubscribed after the send started"


def record(
    db: Database,
    *,
    sent: Sequence[tuple[int, str, str]] = (),
    failed: Sequence[tuple[int, str, bool]] = (),
    uncertain: Sequence[tuple[int, str]] = (),
    released: Sequence[int] = (),
    now: datetime,
) -> None:
    """Write a batch of outcomes in one transaction.

    `sent`: (row id, Message-ID, the server's reply) accepted (250). `failed`: (row id, the
    server's reply, permanent?). `uncertain`: (row id, what happened) may have been
    accepted. `released`: rows not handed over this time, back to queued.
    Only rows still `sending` change, so a late or repeated call cannot undo an outcome.
    """
    if not (sent or failed or uncertain or released):
        return
    stamp = to_iso(now)
    with db.transaction():
        db.conn.executemany(
            "UPDATE outbox SET state = 'sent', message_id = ?, reply = ?, sent_at = ?,"
            " updated_at = ? WHERE id = ? AND state = 'sending'",
            [(mid, reply, stamp, stamp, rid) for rid, mid, reply in sent],
        )
        db.conn.executemany(
            "UPDATE outbox SET state = 'failed', reply = ?, fail_kind = ?, updated_at = ?"
            " WHERE id = ? AND state = 'sending'",
            [
                (reply, "permanent" if permanent else "temporary", stamp, rid)
                for rid, reply, permanent in failed
            ],
        )
        db.conn.executemany(
            "UPDATE outbox SET state = 'uncertain', reply = ?, updated_at = ?"
            " WHERE id = ? AND state = 'sending'",
            [(reply, stamp, rid) for rid, reply in uncertain],
        )
        db.conn.executemany(
            "UPDATE outbox SET state = 'queued', transmit_at = NULL, updated_at = ?"
            " WHERE id = ? AND state = 'sending'",
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
    db: Database,
    newsletter_id: int,
    state: str,
    limit: int | None = None,
    *,
    fail_kinds: Sequence[str] = (),
) -> list[OutboxRow]:
    """Rows of one state (e.g. the uncertain ones to show the organiser), by id;
    failed rows can be narrowed to some `fail_kinds`."""
    sql = f"SELECT {_COLUMNS} FROM outbox WHERE newsletter_id = ? AND state = ?"
    params: tuple = (newsletter_id, state)
    if fail_kinds:
        sql += f" AND fail_kind IN ({', '.join('?' for _k in fail_kinds)})"
        params += tuple(fail_kinds)
    sql += " ORDER BY id"
    if limit is not None:
        sql += " LIMIT ?"
        params += (limit,)
    return [OutboxRow.from_row(r) for r in db.query(sql, params)]


def failed_counts(db: Database, newsletter_id: int) -> dict[str, int]:
    """Failed rows per kind (temporary, permanent, unsubscribed), every kind present."""
    out = dict.fromkeys(FAIL_KINDS, 0)
    for row in db.query(
        "SELECT fail_kind, count(*) AS n FROM outbox WHERE newsletter_id = ? AND state = 'failed'"
        " GROUP BY fail_kind",
        (newsletter_id,),
    ):
        kind = row["fail_kind"] or "temporary"
        out[kind] = out.get(kind, 0) + row["n"]
    return out
