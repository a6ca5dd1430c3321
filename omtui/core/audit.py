"""The audit log: append-only, who did what and when, to which record (by id).

Never a message body, a password, or a member's personal data: targets are named by id,
so erasing a member leaves the log free of their data. Triggers refuse any UPDATE or
DELETE of the log (see migration _013_privacy).

Who: the OS account for the organiser's app and CLI; the volunteer view sets
`set_actor("member:<id>")` for its whole process.
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from datetime import datetime

from omtui.core.dates import from_iso, to_iso, utcnow
from omtui.core.db import Database

_actor: str | None = None


def set_actor(actor: str | None) -> None:
    """Who acts in this process from now on (None: the OS account)."""
    global _actor
    _actor = actor


def current_actor() -> str:
    if _actor:
        return _actor
    try:
        return f"user:{getpass.getuser()}"
    except (KeyError, OSError):  # no passwd entry (a container)
        return "user:?"


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    actor: str
    action: str
    target: str
    target_id: int | None
    detail: str

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "at": to_iso(self.at),
            "actor": self.actor,
            "action": self.action,
            "target": self.target,
            "target_id": self.target_id,
            "detail": self.detail,
        }


def record(
    db: Database,
    action: str,
    target: str = "",
    target_id: int | None = None,
    *,
    detail: str = "",
    now: datetime | None = None,
    actor: str | None = None,
) -> None:
    """Append one entry (in the caller's transaction, or its own).

    `action` is a dotted name ("member.add"); `detail` only counts or states, never
    personal data or a body.
    """
    with db.transaction():
        db.execute(
            "INSERT INTO audit_log (at, actor, action, target, target_id, detail) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (to_iso(now or utcnow()), actor or current_actor(), action, target, target_id, detail),
        )


def carry_over(db: Database, saved: list[dict]) -> int:
    """After a restore: append the entries the restored log lacks (those after its last
    one), so what happened before the restore stays on record. Returns how many."""
    with db.transaction():
        last = db.scalar("SELECT max(id) FROM audit_log") or 0
        newer = [r for r in saved if r["id"] > last]
        db.conn.executemany(
            "INSERT INTO audit_log (at, actor, action, target, target_id, detail) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [
                (r["at"], r["actor"], r["action"], r["target"], r["target_id"], r["detail"])
                for r in newer
            ],
        )
    return len(newer)


def entries(
    db: Database,
    *,
    since: datetime | None = None,
    action: str | None = None,
    target: str | None = None,
    target_id: int | None = None,
    limit: int | None = None,
) -> list[AuditEntry]:
    """Entries oldest first, filtered; `action` matches a prefix ("member." for all)."""
    where: list[str] = ["1"]
    params: list[object] = []
    if since is not None:
        where.append("at >= ?")
        params.append(to_iso(since))
    if action:
        where.append("action LIKE ? ESCAPE '\\'")
        params.append(action.replace("%", "\\%").replace("_", "\\_") + "%")
    if target:
        where.append("target = ?")
        params.append(target)
    if target_id is not None:
        where.append("target_id = ?")
        params.append(target_id)
    sql = f"SELECT * FROM audit_log WHERE {' AND '.join(where)} ORDER BY id"
    if limit is not None:
        sql = f"SELECT * FROM ({sql} DESC LIMIT {int(limit)}) ORDER BY id"
    return [
        AuditEntry(
            id=r["id"],
            at=from_iso(r["at"]),
            actor=r["actor"],
            action=r["action"],
            target=r["target"],
            target_id=r["target_id"],
            detail=r["detail"],
        )
        for r in db.query(sql, tuple(params))
    ]
