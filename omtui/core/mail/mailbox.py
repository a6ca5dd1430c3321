"""Reading the club's mailbox back: `sync()` for cron, `process_message()` for one message.

Each message is read once: its row in `mailbox_messages` (unique per folder, UIDVALIDITY
and UID) is written in the same transaction as its effects (an address bounced, a member
unsubscribed), so a crash, a rerun or a second sync at the same time never acts twice; a
message seen again under a new UIDVALIDITY (a rebuilt mailbox) is recognised by its
Message-ID. A lease row keeps a second sync from even starting while one runs. Nothing
is ever deleted, and without `move_processed` no flag changes (the folder is opened
read-only; the last UID read is remembered instead).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from omtui.config import ImapConfig
from omtui.core import members, runs, send_lease
from omtui.core.dates import to_iso, utcnow
from omtui.core.db import Database
from omtui.core.mail import bounces
from omtui.core.mail.classify import Classified, Kind, classify
from omtui.core.mail.dsn import read_message
from omtui.errors import OmtuiError
from omtui.i18n import _

LEASE_TTL = 300.0
BATCH = 50
PROCESSED_FOLDER = "omtui-processed"
UNDERSTOOD = (Kind.BOUNCE, Kind.REPORT, Kind.AUTO_REPLY, Kind.UNSUBSCRIBE)
EMAIL_REQUEST = "email request"
"""The consent event source of an unsubscribe request read from the mailbox."""


class MailboxBusy(OmtuiError):
    """Another `omtui mailbox sync` is running."""


@dataclass
class SyncSummary:
    read: int = 0
    bounces_hard: int = 0
    bounces_soft: int = 0
    unsubscribes: int = 0
    auto_replies: int = 0
    reports: int = 0
    triage: int = 0
    already_read: int = 0
    cleared: list[str] = field(default_factory=list)
    moved: int = 0
    notes: list[str] = field(default_factory=list)
    """Lines for the organiser: unknown tokens, moves not possible."""

    def as_dict(self) -> dict[str, object]:
        return {
            "read": self.read,
            "bounces_hard": self.bounces_hard,
            "bounces_soft": self.bounces_soft,
            "unsubscribes": self.unsubscribes,
            "auto_replies": self.auto_replies,
            "reports": self.reports,
            "triage": self.triage,
            "already_read": self.already_read,
            "cleared": self.cleared,
            "moved": self.moved,
            "notes": self.notes,
        }

    def line(self) -> str:
        return _(
            "read {read}, bounces {hard} hard / {soft} soft, unsubscribes {unsub}, "
            "auto-replies {auto}, to triage {triage}"
        ).format(
            read=self.read,
            hard=self.bounces_hard,
            soft=self.bounces_soft,
            unsub=self.unsubscribes,
            auto=self.auto_replies,
            triage=self.triage,
        )


# -- one message ------------------------------------------------------------------------------
def _known_token(db: Database) -> Callable[[str], bool]:
    return lambda word: members.find_by_token(db, word) is not None


def _unsubscribe(db: Database, found: Classified, *, now: datetime) -> tuple[Kind, str, bool]:
    """Apply an unsubscribe request; (kind, reason, changed)."""
    member = members.find_by_token(db, found.token)
    assert member is not None  # classify only says so for a member's token
    at = min(found.date or now, now)
    history = members.consent_history(db, member.id)
    if member.subscribed and history and history[-1].at > at:
        return (
            Kind.TRIAGE,
            _("unsubscribe request for {email} older than their latest subscription").format(
                email=member.email
            ),
            False,
        )
    detail = found.message_id or found.sender
    changed = False
    for same in members.find_all_by_email(db, member.email):  # twins awaiting a merge too
        changed |= members.set_subscription(
            db, same.id, False, now=at, source=EMAIL_REQUEST, detail=detail
        )
    return (
        Kind.UNSUBSCRIBE,
        _("unsubscribe request for {email}").format(email=member.email),
        changed,
    )


def _bounce(
    db: Database, found: Classified, *, report_key: str, now: datetime, summary: SyncSummary
) -> tuple[Kind, str]:
    dsn = found.dsn
    assert dsn is not None
    failures = dsn.failures
    at = min(found.date or now, now)
    known = False
    for recipient in failures:
        row = bounces.find_outbox_row(db, dsn.original_message_id, recipient.address)
        if row is None and members.find_by_email(db, recipient.address) is None:
            continue
        known = True
        applied = bounces.apply_report(
            db,
            recipient,
            original_message_id=dsn.original_message_id,
            report_key=report_key,
            at=at,
            now=now,
            only_recipient=len(failures) == 1,
        )
        if applied.new:
            if applied.permanent:
                summary.bounces_hard += 1
            else:
                summary.bounces_soft += 1
    if not known:
        return Kind.TRIAGE, _("a delivery report about {address}, which omtui never mailed").format(
            address=", ".join(r.address for r in failures)
        )
    return Kind.BOUNCE, found.reason


def process_message(
    db: Database,
    raw: bytes,
    *,
    folder: str,
    uidvalidity: int,
    uid: int,
    now: datetime,
    summary: SyncSummary,
) -> Kind | None:
    """Classify one message and apply what it says, with its record, in one transaction.
    None when this message (same place, or same Message-ID) was read before."""
    with db.transaction():
        if db.scalar(
            "SELECT count(*) FROM mailbox_messages WHERE folder = ? AND uidvalidity = ?"
            " AND uid = ?",
            (folder, uidvalidity, uid),
        ):
            return None
        message = read_message(raw)
        found = classify(message, _known_token(db))
        seen_before = bool(found.message_id) and db.scalar(
            "SELECT count(*) FROM mailbox_messages WHERE message_id = ?", (found.message_id,)
        )
        kind, reason = found.kind, found.reason
        summary.read += 1
        if seen_before:
            summary.already_read += 1
            kind, reason = Kind.REPORT, _("already read (same Message-ID)")
        elif kind is Kind.BOUNCE:
            report_key = found.message_id or f"{folder}:{uidvalidity}:{uid}"
            kind, reason = _bounce(db, found, report_key=report_key, now=now, summary=summary)
        elif kind is Kind.UNSUBSCRIBE:
            kind, reason, changed = _unsubscribe(db, found, now=now)
            summary.unsubscribes += changed
        if kind is Kind.AUTO_REPLY:
            summary.auto_replies += 1
        elif kind is Kind.REPORT:
            summary.reports += 1
        elif kind is Kind.TRIAGE:
            summary.triage += 1
            if found.unknown_tokens:
                summary.notes.append(reason)
        db.execute(
            "INSERT INTO mailbox_messages (folder, uidvalidity, uid, message_id, kind, reason,"
            " sender, subject, sent_at, read_at, raw) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (
                folder,
                uidvalidity,
                uid,
                found.message_id,
                str(kind),
                reason,
                found.sender,
                found.subject,
                to_iso(found.date) if found.date else None,
                to_iso(now),
                raw if kind is Kind.TRIAGE else None,
            ),
        )
        db.execute(
            "INSERT INTO mailbox_folders (folder, uidvalidity, last_uid, synced_at)"
            " VALUES (?, ?, ?, ?) ON CONFLICT (folder) DO UPDATE SET"
            " uidvalidity = excluded.uidvalidity,"
            " last_uid = max(CASE WHEN mailbox_folders.uidvalidity = excluded.uidvalidity"
            " THEN mailbox_folders.last_uid ELSE 0 END, excluded.last_uid),"
            " synced_at = excluded.synced_at",
            (folder, uidvalidity, uid, to_iso(now)),
        )
    return kind


# -- the lease --------------------------------------------------------------------------------
def acquire_lease(db: Database, holder: str, *, now: float) -> None:
    with db.transaction():
        row = db.query_one("SELECT holder, expires_at FROM mailbox_lease WHERE id = 1")
        if (
            row is not None
            and row["holder"]
            and row["holder"] != holder
            and row["expires_at"] > now
            and not send_lease._holder_gone(row["holder"])
        ):
            raise MailboxBusy(_("another mailbox sync is running; nothing was done"))
        db.execute(
            "UPDATE mailbox_lease SET holder = ?, expires_at = ? WHERE id = 1",
            (holder, now + LEASE_TTL),
        )


def renew_lease(db: Database, holder: str, *, now: float) -> None:
    with db.transaction():
        cursor = db.execute(
            "UPDATE mailbox_lease SET expires_at = ? WHERE id = 1 AND holder = ?",
            (now + LEASE_TTL, holder),
        )
        if cursor.rowcount != 1:
            raise MailboxBusy(_("another mailbox sync took over; this one stopped"))


def release_lease(db: Database, holder: str) -> None:
    with db.transaction():
        db.execute(
            "UPDATE mailbox_lease SET holder = '', expires_at = 0 WHERE id = 1 AND holder = ?",
            (holder,),
        )


# -- the folder -------------------------------------------------------------------------------
def last_uid(db: Database, folder: str, uidvalidity: int) -> int:
    row = db.query_one(
        "SELECT uidvalidity, last_uid FROM mailbox_folders WHERE folder = ?", (folder,)
    )
    if row is None or row["uidvalidity"] != uidvalidity:
        return 0
    return int(row["last_uid"])


def _uids_to_move(db: Database, folder: str, uidvalidity: int) -> list[int]:
    kinds = [str(k) for k in UNDERSTOOD]
    return [
        r["uid"]
        for r in db.query(
            "SELECT uid FROM mailbox_messages WHERE folder = ? AND uidvalidity = ? AND moved = 0"
            f" AND kind IN ({', '.join('?' for _k in kinds)}) ORDER BY uid",
            (folder, uidvalidity, *kinds),
        )
    ]


def _chunks(items: list[int], size: int) -> Iterable[list[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def sync(
    db: Database,
    settings: ImapConfig,
    *,
    clock: Callable[[], datetime] = utcnow,
    connect: Callable[[ImapConfig], Any] | None = None,
) -> SyncSummary:
    """Read what is new in the configured folder and apply it; record the run (kind
    "mailbox", ok or not). MailboxBusy when another sync runs; OmtuiError when the server
    cannot be reached or refuses the login."""
    from omtui.core.mail import imap

    started = clock()
    summary = SyncSummary()
    holder = send_lease.new_holder()
    acquire_lease(db, holder, now=time.time())
    ok = False
    detail = ""
    try:
        client = (connect or imap.connect)(settings)
        try:
            _read_folder(db, client, settings, clock=clock, holder=holder, summary=summary)
        finally:
            with contextlib.suppress(Exception):
                client.logout()
        summary.cleared = bounces.clear_recovered(db, before=started, now=clock())
        ok = True
        detail = summary.line()
        return summary
    except Exception as exc:
        detail = str(exc) or type(exc).__name__
        raise
    finally:
        release_lease(db, holder)
        runs.record_run(
            db, "mailbox", ok=ok, detail=detail, started_at=started, finished_at=clock()
        )


def _read_folder(
    db: Database,
    client,
    settings: ImapConfig,
    *,
    clock: Callable[[], datetime],
    holder: str,
    summary: SyncSummary,
) -> None:
    from omtui.core.mail import imap

    folder = settings.folder
    uidvalidity = imap.open_folder(client, folder, readonly=not settings.move_processed)
    after = last_uid(db, folder, uidvalidity)
    uids = imap.new_uids(client, after)
    for batch in _chunks(uids, BATCH):
        renew_lease(db, holder, now=time.time())
        for uid, raw in imap.fetch(client, batch):
            process_message(
                db, raw, folder=folder, uidvalidity=uidvalidity, uid=uid, now=clock(),
                summary=summary,
            )  # fmt: skip
    if settings.move_processed:
        to_move = _uids_to_move(db, folder, uidvalidity)
        if to_move:
            target = imap.processed_folder(client, folder)
            if target is None:
                summary.notes.append(
                    _("the server cannot move messages (no MOVE); they were left in place")
                )
                return
            for batch in _chunks(to_move, BATCH):
                client.move(batch, target)
                with db.transaction():
                    db.conn.executemany(
                        "UPDATE mailbox_messages SET moved = 1 WHERE folder = ?"
                        " AND uidvalidity = ? AND uid = ?",
                        [(folder, uidvalidity, uid) for uid in batch],
                    )
                summary.moved += len(batch)
