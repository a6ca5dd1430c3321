"""The mail a person must look at: what the sync did not understand, each with a one-line
reason, its raw message kept, and three ways to settle it (handled, unsubscribe the
sender, mark an address bounced)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from omtui.core.dates import from_iso, to_iso
from omtui.core.db import Database
from omtui.errors import NotFound, ValidationError
from omtui.i18n import _

if TYPE_CHECKING:  # the mail parsers and members load on use: Today counts triage at start-up
    from omtui.core import members
    from omtui.core.mail import bounces


@dataclass(frozen=True)
class TriageItem:
    id: int
    sender: str
    subject: str
    reason: str
    sent_at: datetime | None
    read_at: datetime
    handled_at: datetime | None = None
    handled_how: str = ""

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "sender": self.sender,
            "subject": self.subject,
            "reason": self.reason,
            "date": to_iso(self.sent_at) if self.sent_at else None,
            "read_at": to_iso(self.read_at),
            "handled_at": to_iso(self.handled_at) if self.handled_at else None,
            "handled_how": self.handled_how,
        }


_COLUMNS = "id, sender, subject, reason, sent_at, read_at, handled_at, handled_how"


def _item(row: dict) -> TriageItem:
    return TriageItem(
        id=row["id"],
        sender=row["sender"],
        subject=row["subject"],
        reason=row["reason"],
        sent_at=from_iso(row["sent_at"]) if row["sent_at"] else None,
        read_at=from_iso(row["read_at"]),
        handled_at=from_iso(row["handled_at"]) if row["handled_at"] else None,
        handled_how=row["handled_how"],
    )


def open_items(db: Database, *, include_handled: bool = False) -> list[TriageItem]:
    """What awaits a person, oldest first (and the settled ones with `include_handled`)."""
    where = "kind = 'triage'" + ("" if include_handled else " AND handled_at IS NULL")
    return [
        _item(r)
        for r in db.query(f"SELECT {_COLUMNS} FROM mailbox_messages WHERE {where} ORDER BY id")
    ]


def count_open(db: Database) -> int:
    return int(
        db.scalar(
            "SELECT count(*) FROM mailbox_messages WHERE kind = 'triage' AND handled_at IS NULL"
        )
    )


def get_item(db: Database, item_id: int) -> TriageItem:
    row = db.query_one(
        f"SELECT {_COLUMNS} FROM mailbox_messages WHERE id = ? AND kind = 'triage'", (item_id,)
    )
    if row is None:
        raise NotFound(_("no message {id} in the triage list").format(id=item_id))
    return _item(row)


def raw_message(db: Database, item_id: int) -> bytes:
    """The message as it came, for a person to read (shown as text, never as markup)."""
    get_item(db, item_id)
    return bytes(db.scalar("SELECT raw FROM mailbox_messages WHERE id = ?", (item_id,)) or b"")


def _settle(db: Database, item_id: int, how: str, now: datetime) -> None:
    db.execute(
        "UPDATE mailbox_messages SET handled_at = ?, handled_how = ? WHERE id = ?",
        (to_iso(now), how, item_id),
    )


def mark_handled(db: Database, item_id: int, *, now: datetime) -> TriageItem:
    with db.transaction():
        get_item(db, item_id)
        _settle(db, item_id, "handled", now)
    return get_item(db, item_id)


def unsubscribe_sender(db: Database, item_id: int, *, now: datetime) -> members.Member:
    """Unsubscribe the member whose address sent this message (a person decided it is
    them), recorded as an email request; NotFound when no member has that address."""
    from omtui.core import members
    from omtui.core.mail.mailbox import EMAIL_REQUEST

    with db.transaction():
        item = get_item(db, item_id)
        found = members.find_all_by_email(db, item.sender) if item.sender else []
        if not found:
            raise NotFound(_("no member with email {email}").format(email=item.sender or "?"))
        for member in found:
            members.set_subscription(
                db, member.id, False, now=now, source=EMAIL_REQUEST,
                detail=_("triage of message {id}").format(id=item_id),
            )  # fmt: skip
        _settle(db, item_id, "unsubscribed", now)
    return members.get_member(db, found[0].id)


def mark_bounced(
    db: Database, item_id: int, *, now: datetime, email: str | None = None
) -> bounces.AddressStatus:
    """Mark an address bounced: `email`, else the failed recipient of a delivery report,
    else the sender."""
    from omtui.core.mail import bounces
    from omtui.core.mail.dsn import parse_dsn, read_message

    with db.transaction():
        item = get_item(db, item_id)
        address = (email or "").strip()
        line = _("marked bounced from the triage list")
        if not address:
            dsn = parse_dsn(read_message(raw_message(db, item_id)))
            if dsn is not None and dsn.recipients:
                address = dsn.recipients[0].address
                line = dsn.recipients[0].status_line or line
            else:
                address = item.sender
        if not address or "@" not in address:
            raise ValidationError(_("which address? give it with --email"))
        status = bounces.set_status(db, address, bounces.EmailState.BOUNCED, line=line, now=now)
        _settle(db, item_id, "bounced", now)
    return status
