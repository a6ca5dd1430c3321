"""Whether an address can still be mailed: `ok`, `bounced` or `held`, and why.

A permanent failure (a DSN's 5.x.x, or a 5.1.x refusal of RCPT at send time) marks the
address `bounced`. Temporary failures are counted: `HELD_AFTER` in a row mark it `held`.
A message the relay accepted later, for which no report came back by the next sync, clears
`held` and the count. Policy refusals (5.5.x, 5.7.x: a wrong HELO, a quota, a spam
filter) are about the club's server, not the address: they never mark anyone.

Each failure is recorded once (`delivery_failures`, unique per report and address), so
reading the same report twice changes nothing. Addresses are compared by members'
email key (case-folded, NFC).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from omtui.core.dates import from_iso, to_iso
from omtui.core.db import Database
from omtui.core.mail.dsn import DsnRecipient
from omtui.core.members import email_key

HELD_AFTER = 5
"""Temporary failures in a row that hold an address (Paheko's figure)."""
_OMTUI_MESSAGE_ID = re.compile(r"\.nl\d+\.(\d+)@")
_ENHANCED = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")


class EmailState(StrEnum):
    OK = "ok"
    BOUNCED = "bounced"
    HELD = "held"


@dataclass(frozen=True)
class AddressStatus:
    email: str
    status: EmailState
    status_line: str = ""
    reported_at: datetime | None = None
    soft_in_a_row: int = 0

    def as_dict(self) -> dict[str, object]:
        return {
            "email": self.email,
            "email_status": str(self.status),
            "status_line": self.status_line,
            "reported_at": to_iso(self.reported_at) if self.reported_at else None,
        }


@dataclass(frozen=True)
class Applied:
    """What one failure did: `new` False when it had been recorded already."""

    email: str
    permanent: bool
    new: bool
    status: EmailState
    outbox_id: int | None = None


def _status(row: dict | None, email: str) -> AddressStatus:
    if row is None:
        return AddressStatus(email, EmailState.OK)
    return AddressStatus(
        row["email"],
        EmailState(row["status"]),
        row["status_line"],
        from_iso(row["reported_at"]) if row["reported_at"] else None,
        row["soft_in_a_row"],
    )


def status_of(db: Database, email: str) -> AddressStatus:
    """The state of `email` (ok when nothing ever failed)."""
    row = db.query_one("SELECT * FROM email_status WHERE email_key = ?", (email_key(email),))
    return _status(row, email)


def blocked(db: Database) -> dict[str, str]:
    """email key -> "bounced" or "held", for every address not to be mailed."""
    return {
        r["email_key"]: r["status"]
        for r in db.query("SELECT email_key, status FROM email_status WHERE status != 'ok'")
    }


def find_outbox_row(db: Database, message_id: str, recipient: str) -> dict | None:
    """The outbox row a report is about: by the original Message-ID (omtui's carry the row
    id; any other is looked up), else the latest sent row to `recipient`."""
    message_id = message_id.strip()
    if message_id:
        match = _OMTUI_MESSAGE_ID.search(message_id)
        if match:
            row = db.query_one(
                "SELECT id, email, sent_at FROM outbox WHERE id = ? AND message_id = ?",
                (int(match.group(1)), message_id),
            )
            if row is not None:
                return row
        row = db.query_one(
            "SELECT id, email, sent_at FROM outbox WHERE message_id = ? ORDER BY id DESC LIMIT 1",
            (message_id,),
        )
        if row is not None:
            return row
    if not recipient:
        return None
    key = email_key(recipient)
    for row in db.query(
        "SELECT id, email, sent_at FROM outbox WHERE email = ? COLLATE NOCASE AND state = 'sent'"
        " ORDER BY id DESC LIMIT 5",
        (recipient,),
    ):
        if email_key(row["email"]) == key:
            return row
    return None


def record_failure(
    db: Database,
    *,
    origin: str,
    report_key: str,
    email: str,
    permanent: bool,
    status: str,
    action: str,
    line: str,
    at: datetime,
    now: datetime,
    outbox_id: int | None = None,
) -> Applied:
    """Record one failure and update the address (caller's transaction, or its own)."""
    key = email_key(email)
    with db.transaction():
        cursor = db.execute(
            "INSERT OR IGNORE INTO delivery_failures (origin, report_key, email_key, email,"
            " outbox_id, action, status, permanent, line, at) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (origin, report_key, key, email, outbox_id, action, status, int(permanent), line,
             to_iso(at)),
        )  # fmt: skip
        current = status_of(db, email)
        if cursor.rowcount == 0:
            return Applied(email, permanent, False, current.status, outbox_id)
        if permanent:
            state, soft = EmailState.BOUNCED, current.soft_in_a_row
        else:
            soft = current.soft_in_a_row + 1
            state = current.status
            if state is EmailState.OK and soft >= HELD_AFTER:
                state = EmailState.HELD
        db.execute(
            "INSERT INTO email_status (email_key, email, status, soft_in_a_row, status_line,"
            " reported_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (email_key) DO UPDATE SET email = excluded.email,"
            " status = excluded.status, soft_in_a_row = excluded.soft_in_a_row,"
            " status_line = excluded.status_line, reported_at = excluded.reported_at,"
            " updated_at = excluded.updated_at",
            (key, email, str(state), soft, line, to_iso(at), to_iso(now)),
        )
    return Applied(email, permanent, True, state, outbox_id)


def apply_report(
    db: Database,
    recipient: DsnRecipient,
    *,
    original_message_id: str,
    report_key: str,
    at: datetime,
    now: datetime,
    only_recipient: bool,
) -> Applied:
    """Apply one failed/delayed recipient of a DSN. When the report names one recipient and
    its original message is ours, the address we sent to is the one marked (a forwarding
    address may report another name)."""
    row = find_outbox_row(db, original_message_id, recipient.address)
    email = recipient.address
    if row is not None and (only_recipient or email_key(row["email"]) == email_key(email)):
        email = row["email"]
    return record_failure(
        db,
        origin="dsn",
        report_key=report_key,
        email=email,
        permanent=recipient.permanent,
        status=recipient.status,
        action=recipient.action,
        line=recipient.status_line,
        at=at,
        now=now,
        outbox_id=row["id"] if row is not None else None,
    )


def is_address_refusal(reply: str) -> bool:
    """A 5xx reply whose enhanced status is 5.1.x about the recipient (no such user, bad
    domain): a hard bounce. 5.1.7/5.1.8 are about the sender; 5.5.x and 5.7.x (policy, a
    wrong HELO, a quota) never count."""
    code = reply.strip()[:3]
    if not (code.isdigit() and code.startswith("5")):
        return False
    match = _ENHANCED.search(reply)
    return bool(match and match.group(1) == "5" and match.group(2) == "1"
                and match.group(3) not in ("7", "8"))  # fmt: skip


def record_refusals(db: Database, failed: Sequence[tuple[int, str, bool]], *, now: datetime) -> int:
    """Send-time refusals `(outbox id, reply, permanent)`: mark the addresses that the
    relay refused as unknown (5.1.x). Runs in the caller's transaction; returns how many."""
    marked = 0
    for row_id, reply, permanent in failed:
        if not permanent or not is_address_refusal(reply):
            continue
        row = db.query_one("SELECT email FROM outbox WHERE id = ?", (row_id,))
        if row is None:
            continue
        match = _ENHANCED.search(reply)
        applied = record_failure(
            db,
            origin="smtp",
            report_key=f"outbox:{row_id}",
            email=row["email"],
            permanent=True,
            status=".".join(match.groups()) if match else "",
            action="refused",
            line=" ".join(reply.split()),
            at=now,
            now=now,
            outbox_id=row_id,
        )
        marked += applied.new
    return marked


def clear_recovered(db: Database, *, before: datetime, now: datetime) -> list[str]:
    """Addresses held (or counting temporary failures) that have since had a message
    accepted by the relay, sent before `before` (the start of this sync, so a whole sync
    has passed) and with no report about it: back to `ok`. Returns their addresses."""
    cleared: list[str] = []
    with db.transaction():
        rows = db.query(
            "SELECT email_key, email, reported_at FROM email_status"
            " WHERE status = 'held' OR (status = 'ok' AND soft_in_a_row > 0)"
        )
        for row in rows:
            since = row["reported_at"] or ""
            candidates = db.query(
                "SELECT o.id, o.email FROM outbox o WHERE o.state = 'sent' AND o.sent_at > ?"
                " AND o.sent_at < ? AND o.email = ? COLLATE NOCASE AND NOT EXISTS"
                " (SELECT 1 FROM delivery_failures f WHERE f.outbox_id = o.id)",
                (since, to_iso(before), row["email"]),
            )
            if any(email_key(c["email"]) == row["email_key"] for c in candidates):
                db.execute(
                    "UPDATE email_status SET status = 'ok', soft_in_a_row = 0, updated_at = ?"
                    " WHERE email_key = ?",
                    (to_iso(now), row["email_key"]),
                )
                cleared.append(row["email"])
    return cleared


def set_status(
    db: Database, email: str, state: EmailState, *, line: str, now: datetime
) -> AddressStatus:
    """Set an address's state by hand (triage "mark bounced", or back to ok)."""
    key = email_key(email)
    with db.transaction():
        db.execute(
            "INSERT INTO email_status (email_key, email, status, soft_in_a_row, status_line,"
            " reported_at, updated_at) VALUES (?, ?, ?, 0, ?, ?, ?)"
            " ON CONFLICT (email_key) DO UPDATE SET status = excluded.status,"
            " soft_in_a_row = 0, status_line = excluded.status_line,"
            " reported_at = excluded.reported_at, updated_at = excluded.updated_at",
            (key, email, str(state), line, to_iso(now), to_iso(now)),
        )
    return status_of(db, email)
