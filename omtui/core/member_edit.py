"""Edits on members beyond the form: tags added or removed, and two records of the same
person merged into one. Used by the CLI (`omtui members tag/untag/merge`) and the app."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from omtui.core import members
from omtui.core.dates import to_iso
from omtui.core.db import Database
from omtui.errors import ValidationError
from omtui.i18n import _

FILLED_FROM_OTHER = ("first_name", "last_name", "company", "job_title", "phone", "city")
"""Fields of the kept record that take the other record's value when they are empty."""


def add_tags(db: Database, member_id: int, tags: Iterable[str], *, now: datetime) -> members.Member:
    """Add tags to a member (those already there are kept once)."""
    current = members.get_member(db, member_id)
    wanted = members.split_tags([*current.tags, *members.split_tags(list(tags))])
    if wanted == current.tags:
        return current
    return members.update_member(db, member_id, {"tags": members.join_tags(wanted)}, now=now)


def remove_tags(
    db: Database, member_id: int, tags: Iterable[str], *, now: datetime
) -> members.Member:
    """Remove tags from a member (case ignored); tags they do not have are ignored."""
    current = members.get_member(db, member_id)
    gone = {t.casefold() for t in members.split_tags(list(tags))}
    kept = tuple(t for t in current.tags if t.casefold() not in gone)
    if kept == current.tags:
        return current
    return members.update_member(db, member_id, {"tags": members.join_tags(kept)}, now=now)


@dataclass(frozen=True)
class MergeResult:
    """The kept member after a merge, and what moved to it from the other record."""

    kept: members.Member
    registrations: int
    shifts: int
    consent_events: int
    messages: int


_REG_RANK = {"registered": 2, "waiting": 1, "cancelled": 0}


def _member_references(db: Database) -> list[tuple[str, str]]:
    """(table, column) of every foreign key to members(id), other tables' included."""
    found = []
    for (table,) in db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    ).fetchall():
        if table == "members" or table.startswith("members_fts"):
            continue
        for row in db.execute(f'PRAGMA foreign_key_list("{table}")').fetchall():
            if row[2] == "members" and (row[4] in (None, "id")):
                found.append((table, row[3]))
    return found


def merge_members(db: Database, keep_id: int, other_id: int, *, now: datetime) -> MergeResult:
    """Join two records of the same person into `keep_id`; `other_id` is archived.

    Registrations, shifts, consent history and sent messages move to the kept record
    (where both hold a place at the same event, the better one is kept: a seat before a
    waiting place before a cancellation; a check-in is never lost). Empty fields of the
    kept record take the other's values; tags are joined. The newsletter consent becomes
    the latest one given by either record. Rows of other tables pointing at the member
    move too. All in one transaction.
    """
    if keep_id == other_id:
        raise ValidationError(_("a member cannot be merged with themselves"))
    with db.transaction():
        keep = members.get_member(db, keep_id)
        other = members.get_member(db, other_id)
        moved_regs = 0
        for reg in db.query("SELECT * FROM registrations WHERE member_id = ?", (other_id,)):
            mine = db.query_one(
                "SELECT * FROM registrations WHERE member_id = ? AND event_id = ?",
                (keep_id, reg["event_id"]),
            )
            if mine is None:
                db.execute(
                    "UPDATE registrations SET member_id = ? WHERE id = ?", (keep_id, reg["id"])
                )
                moved_regs += 1
                continue
            better = _REG_RANK[reg["status"]] > _REG_RANK[mine["status"]]
            attended = mine["attended_at"] or reg["attended_at"]
            if better:
                db.execute("DELETE FROM registrations WHERE id = ?", (mine["id"],))
                db.execute(
                    "UPDATE registrations SET member_id = ? WHERE id = ?", (keep_id, reg["id"])
                )
                moved_regs += 1
                kept_reg = reg["id"]
            else:
                db.execute("DELETE FROM registrations WHERE id = ?", (reg["id"],))
                kept_reg = mine["id"]
            if attended:
                db.execute(
                    "UPDATE registrations SET attended_at = ? "
                    "WHERE id = ? AND status = 'registered'",
                    (attended, kept_reg),
                )
        moved_shifts = 0
        for row in db.query(
            "SELECT id, shift_id, dropped_at FROM shift_assignments WHERE member_id = ?",
            (other_id,),
        ):
            both = row["dropped_at"] is None and db.scalar(
                "SELECT 1 FROM shift_assignments WHERE shift_id = ? AND member_id = ?"
                " AND dropped_at IS NULL",
                (row["shift_id"], keep_id),
            )
            if both:  # the same person held the place twice: one place is enough
                db.execute("DELETE FROM shift_assignments WHERE id = ?", (row["id"],))
            else:
                db.execute(
                    "UPDATE shift_assignments SET member_id = ? WHERE id = ?", (keep_id, row["id"])
                )
                moved_shifts += 1
        moved_consents = db.execute(
            "UPDATE consent_events SET member_id = ? WHERE member_id = ?", (keep_id, other_id)
        ).rowcount
        moved_messages = db.execute(
            "UPDATE outbox SET member_id = ? WHERE member_id = ?", (keep_id, other_id)
        ).rowcount
        db.execute(
            "UPDATE events SET host_member_id = ? WHERE host_member_id = ?", (keep_id, other_id)
        )
        done = {("registrations", "member_id"), ("shift_assignments", "member_id")}
        done |= {("consent_events", "member_id"), ("outbox", "member_id")}
        done.add(("events", "host_member_id"))
        for table, column in _member_references(db):
            if (table, column) not in done:  # another module's table: move what can move
                db.execute(
                    f'UPDATE OR IGNORE "{table}" SET "{column}" = ? WHERE "{column}" = ?',
                    (keep_id, other_id),
                )
        latest = db.query_one(
            "SELECT subscribed FROM consent_events WHERE member_id = ? ORDER BY at DESC, id DESC"
            " LIMIT 1",
            (keep_id,),
        )
        fields: dict[str, str] = {
            name: getattr(other, name)
            for name in FILLED_FROM_OTHER
            if not getattr(keep, name) and getattr(other, name)
        }
        tags = members.split_tags([*keep.tags, *other.tags])
        if tags != keep.tags:
            fields["tags"] = members.join_tags(tags)
        if fields:
            members.update_member(db, keep_id, fields, now=now)
        db.execute(
            "UPDATE members SET subscribed = ?, updated_at = ? WHERE id = ?",
            (int(latest["subscribed"]) if latest else 0, to_iso(now), keep_id),
        )
        if keep.archived_at is not None:
            db.execute("UPDATE members SET archived_at = NULL WHERE id = ?", (keep_id,))
        # The other record stays (archived, its email reserved), with a note in its history.
        db.execute(
            "INSERT INTO consent_events (member_id, subscribed, at, source, detail) "
            "VALUES (?, 0, ?, 'merged', ?)",
            (other_id, to_iso(now), f"#{keep_id}"),
        )
        db.execute(
            "UPDATE members SET subscribed = 0, archived_at = COALESCE(archived_at, ?),"
            " updated_at = ? WHERE id = ?",
            (to_iso(now), to_iso(now), other_id),
        )
    return MergeResult(
        members.get_member(db, keep_id), moved_regs, moved_shifts, moved_consents, moved_messages
    )
