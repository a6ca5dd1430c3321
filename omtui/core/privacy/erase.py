"""Erase a member's personal data, for good, and keep a log of erasures without it.

The member's row stays (anonymous), so event counts, attendance rates and newsletter
statistics stay right. No trace of the email, names, phone, company, notes or token is
left in the database files: `secure_delete` zeroes freed space, the search index is
rebuilt (SQLite 3.40's FTS5 keeps deleted text in its segments until then), and a WAL
checkpoint moves everything into the main file and empties the WAL.

The erasure log holds HMAC-SHA256(key, email key) with a random per-database key, so it
names nobody, yet a restored backup or an old spreadsheet can be recognised.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from omtui.core import audit
from omtui.core.dates import to_iso
from omtui.core.db import Database
from omtui.core.members import append_consent, email_key, new_token

CHECKPOINT_WAIT = 2.0
"""Seconds the WAL checkpoint waits for other processes' readers."""
_SKIP_TABLES = frozenset({"audit_log", "erasures", "privacy_keys", "automation_runs"})
_NAME_COLUMNS = frozenset(
    {
        "first_name",
        "last_name",
        "name",
        "full_name",
        "phone",
        "company",
        "job_title",
        "notes",
        "token",
        "unsubscribe_token",
        "reply",
        "drop_reason",
    }
)
"""Columns blanked in any row linked to the erased member by a member_id column."""


@dataclass(frozen=True)
class Erasure:
    member_id: int
    checkpoint_pending: bool
    """True when another process still reads an old snapshot: the WAL still holds old
    pages until the next checkpoint (any later write, or `omtui maintenance`)."""


def placeholder(member_id: int) -> str:
    return f"erased-{member_id}@erased.invalid"


def _digest(key: bytes, address: str) -> str:
    return hmac.new(key, email_key(address).encode(), hashlib.sha256).hexdigest()


def keys(db: Database) -> list[tuple[int, bytes]]:
    rows = db.execute("SELECT id, key FROM privacy_keys ORDER BY id").fetchall()
    if not rows:
        with db.transaction():
            db.execute(
                "INSERT INTO privacy_keys (key, created_at) VALUES (?, datetime('now'))",
                (secrets.token_bytes(32),),
            )
        return keys(db)
    return [(r[0], bytes(r[1])) for r in rows]


def erased_checker(db: Database) -> Callable[[str], bool]:
    """A test `is_erased(address)`, loaded once (for an import of thousands of rows)."""
    known = {(r[0], r[1]) for r in db.execute("SELECT key_id, digest FROM erasures")}
    all_keys = keys(db) if known else []

    def is_erased(address: str) -> bool:
        return any((kid, _digest(key, address)) in known for kid, key in all_keys)

    return is_erased


def forget(db: Database, addresses: list[str]) -> None:
    """Take addresses out of the erasure log: these people came back (an import the
    organiser allowed with --allow-erased)."""
    if not addresses:
        return
    with db.transaction():
        for key_id, key in keys(db):
            db.conn.executemany(
                "DELETE FROM erasures WHERE key_id = ? AND digest = ?",
                [(key_id, _digest(key, a)) for a in addresses],
            )


def is_erased(db: Database, address: str) -> bool:
    return erased_checker(db)(address)


def _text_columns(db: Database) -> dict[str, list[str]]:
    tables = [
        r[0]
        for r in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND sql NOT LIKE "
            "'CREATE VIRTUAL%' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '%_fts_%'"
        )
    ]
    found = {}
    for table in tables:
        if table in _SKIP_TABLES:
            continue
        cols = db.execute(f'PRAGMA table_info("{table}")').fetchall()
        found[table] = [c[1] for c in cols if "TEXT" in (c[2] or "TEXT").upper()]
    return found


def _scrub(text: str | None, needle: str, replacement: str) -> str | None:
    if text is None:
        return None
    return re.sub(re.escape(needle), replacement, text, flags=re.IGNORECASE)


def _anonymise(db: Database, member_id: int, address: str, *, now: datetime) -> None:
    """Blank the member's row and every row about them (caller's transaction)."""
    row = db.query_one("SELECT subscribed, archived_at FROM members WHERE id = ?", (member_id,))
    assert row is not None
    if row["subscribed"]:
        append_consent(db, member_id, False, now=now, source="erased")
    stamp = to_iso(now)
    fake = placeholder(member_id)
    db.execute(
        "UPDATE members SET first_name = '', last_name = '', email = ?, email_key = ?, "
        "email_twin = 0, phone = '', company = '', job_title = '', notes = '', "
        "unsubscribe_token = ?, search = '', name_key = '', company_key = '', subscribed = 0, "
        "archived_at = coalesce(archived_at, ?), erased_at = ?, updated_at = ? WHERE id = ?",
        (fake, fake, new_token(), stamp, stamp, stamp, member_id),
    )
    db.execute("UPDATE consent_events SET detail = '' WHERE member_id = ?", (member_id,))
    columns = _text_columns(db)
    for table, names in columns.items():
        if table == "members":
            continue
        all_cols = [c[1] for c in db.execute(f'PRAGMA table_info("{table}")')]
        if "member_id" in all_cols:
            blank = [c for c in names if c in _NAME_COLUMNS]
            sets = [f"\"{c}\" = ''" for c in blank]
            if "email" in names:
                sets.append("\"email\" = 'erased-' || rowid || '@erased.invalid'")
            if sets:
                db.execute(
                    f'UPDATE "{table}" SET {", ".join(sets)} WHERE member_id = ?', (member_id,)
                )
    _sweep(db, address, fake, columns)


def _sweep(db: Database, address: str, fake: str, columns: dict[str, list[str]]) -> None:
    """Anywhere else the address may hide (a server's reply, a row linked by address
    only): replaced in every text column of every table."""
    db.conn.create_function("omtui_scrub", 3, _scrub, deterministic=True)
    needle = address.casefold()
    for table, names in columns.items():
        for col in names:
            db.execute(
                f'UPDATE "{table}" SET "{col}" = omtui_scrub("{col}", ?, ?) '
                f'WHERE instr(lower("{col}"), ?) > 0',
                (address, fake, needle.lower()),
            )


def _log(db: Database, member_id: int | None, address: str, *, now: datetime) -> None:
    key_id, key = keys(db)[0]
    db.execute(
        "INSERT OR IGNORE INTO erasures (key_id, digest, member_id, erased_at) VALUES (?, ?, ?, ?)",
        (key_id, _digest(key, address), member_id, to_iso(now)),
    )


def rebuild_search_index(db: Database) -> None:
    """Rebuild members_fts from scratch: its old segments still hold deleted text."""
    db.execute("INSERT INTO members_fts(members_fts) VALUES ('delete-all')")
    db.execute(
        "INSERT INTO members_fts(rowid, search) SELECT id, search FROM members "
        "WHERE archived_at IS NULL"
    )


def checkpoint(db: Database) -> bool:
    """Move the WAL into the main file and empty it; False while another reader holds it."""
    db.execute(f"PRAGMA busy_timeout = {int(CHECKPOINT_WAIT * 1000)}")
    try:
        busy, _log_frames, _done = db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    except sqlite3.OperationalError:
        return False
    finally:
        db.execute(f"PRAGMA busy_timeout = {int(db.busy_timeout * 1000)}")
    return busy == 0


def erase_member(db: Database, member_id: int, *, now: datetime) -> Erasure:
    """Erase a member's personal data (see the module doc); recorded in the audit log by id."""
    db.execute("PRAGMA secure_delete = ON")
    with db.transaction():
        row = db.query_one("SELECT email FROM members WHERE id = ?", (member_id,))
        if row is None:
            from omtui.errors import NotFound
            from omtui.i18n import _

            raise NotFound(_("no member #{id}").format(id=member_id))
        _log(db, member_id, row["email"], now=now)
        _anonymise(db, member_id, row["email"], now=now)
        rebuild_search_index(db)
        audit.record(db, "member.erase", "member", member_id, now=now)
    return Erasure(member_id, checkpoint_pending=not checkpoint(db))


def reapply_erasures(db: Database, *, now: datetime) -> list[int]:
    """Erase again every member whose address is in the erasure log (after a restore)."""
    is_erased = erased_checker(db)
    found = [
        (r[0], r[1])
        for r in db.execute("SELECT id, email FROM members WHERE erased_at IS NULL")
        if is_erased(r[1])
    ]
    outbox = [
        (r[0], r[1])
        for r in db.execute("SELECT id, email FROM outbox WHERE email NOT LIKE 'erased-%'")
        if is_erased(r[1])
    ]
    if not found and not outbox:
        return []
    db.execute("PRAGMA secure_delete = ON")
    with db.transaction():
        for member_id, address in found:
            _anonymise(db, member_id, address, now=now)
        columns = _text_columns(db)
        for row_id, address in outbox:
            _sweep(db, address, f"erased-outbox-{row_id}@erased.invalid", columns)
        rebuild_search_index(db)
        for member_id, _address in found:
            audit.record(db, "member.erase-again", "member", member_id, now=now)
    checkpoint(db)
    return [member_id for member_id, _address in found]


Keys = list[tuple[int, bytes]]
Log = list[tuple[int, str, int | None, str]]


def export_log(db: Database) -> tuple[Keys, Log]:
    """The keys and the erasure log, to carry across a restore."""
    log = [
        (r[0], r[1], r[2], r[3])
        for r in db.execute("SELECT key_id, digest, member_id, erased_at FROM erasures")
    ]
    return keys(db), log


def merge_log(
    db: Database,
    saved_keys: Keys,
    saved_log: Log,
) -> None:
    """Bring the erasure log saved before a restore into the restored database."""
    with db.transaction():
        present = {bytes(r[1]): r[0] for r in db.execute("SELECT id, key FROM privacy_keys")}
        mapping = {}
        for old_id, key in saved_keys:
            if key not in present:
                cur = db.execute(
                    "INSERT INTO privacy_keys (key, created_at) VALUES (?, datetime('now'))",
                    (key,),
                )
                present[key] = cur.lastrowid
            mapping[old_id] = present[key]
        db.conn.executemany(
            "INSERT OR IGNORE INTO erasures (key_id, digest, member_id, erased_at) "
            "VALUES (?, ?, ?, ?)",
            [(mapping[k], d, m, at) for k, d, m, at in saved_log],
        )
