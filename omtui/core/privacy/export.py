"""Everything the club holds on one member, as JSON-ready data (the RGPD right of access).

Besides the readable sections, `tables` holds every row of every table that refers to
the member (a member_id-like column, or their address in an email column), so a table
added later is exported without a change here.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from omtui.core import audit
from omtui.core.db import Database
from omtui.core.members import email_key
from omtui.paths import open_private

_INTERNAL = frozenset({"search", "name_key", "company_key", "city_key", "email_key", "email_twin"})
_SKIP_TABLES = frozenset({"erasures", "privacy_keys", "audit_log", "automation_runs"})
MEMBER_COLUMNS = ("member_id", "host_member_id")
EMAIL_COLUMNS = ("email",)


def _tables(db: Database) -> dict[str, list[str]]:
    names = [
        r[0]
        for r in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND sql NOT LIKE "
            "'CREATE VIRTUAL%' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '%_fts_%' "
            "ORDER BY name"
        )
    ]
    return {t: [c[1] for c in db.execute(f'PRAGMA table_info("{t}")')] for t in names}


def referring_rows(db: Database, member_id: int, address: str) -> dict[str, list[dict]]:
    """Every row of every table that names the member by id or by address."""
    key = email_key(address)
    found: dict[str, list[dict]] = {}
    for table, cols in _tables(db).items():
        if table in _SKIP_TABLES or table == "members":
            continue
        where: list[str] = []
        params: list[object] = []
        for col in cols:
            if col in MEMBER_COLUMNS:
                where.append(f'"{col}" = ?')
                params.append(member_id)
            elif col in EMAIL_COLUMNS:
                where.append(f'lower("{col}") = ?')
                params.append(key.lower())
        if where:
            rows = db.query(f'SELECT * FROM "{table}" WHERE {" OR ".join(where)}', tuple(params))
            if rows:
                found[table] = rows
    return found


def export_member(db: Database, member_id: int) -> dict[str, Any]:
    profile = db.query_one("SELECT * FROM members WHERE id = ?", (member_id,))
    if profile is None:
        from omtui.errors import NotFound
        from omtui.i18n import _

        raise NotFound(_("no member #{id}").format(id=member_id))
    consent_cols = [c[1] for c in db.execute("PRAGMA table_info(consent_events)")]
    purpose = "purpose" if "purpose" in consent_cols else "'newsletter'"
    consent: dict[str, list[dict]] = {}
    for row in db.query(
        f"SELECT {purpose} AS purpose, subscribed, at, source, detail FROM consent_events "
        "WHERE member_id = ? ORDER BY id",
        (member_id,),
    ):
        consent.setdefault(row.pop("purpose"), []).append(
            row | {"subscribed": bool(row["subscribed"])}
        )
    return {
        "member": {k: v for k, v in profile.items() if k not in _INTERNAL},
        "consent": consent,
        "registrations": db.query(
            "SELECT r.event_id, e.title, e.starts_at, r.status, r.registered_at, "
            "r.promoted_at, r.cancelled_at, r.attended_at, r.source FROM registrations r "
            "JOIN events e ON e.id = r.event_id WHERE r.member_id = ? ORDER BY e.starts_at",
            (member_id,),
        ),
        "shifts": db.query(
            "SELECT s.event_id, e.title, s.role, s.starts_at, s.ends_at, a.assigned_at, "
            "a.dropped_at, a.drop_reason FROM shift_assignments a JOIN shifts s "
            "ON s.id = a.shift_id JOIN events e ON e.id = s.event_id WHERE a.member_id = ? "
            "ORDER BY s.starts_at",
            (member_id,),
        ),
        "mails": db.query(
            "SELECT o.newsletter_id, n.subject, o.email, o.state, o.fail_kind, o.reply, "
            "o.attempts, o.sent_at, o.updated_at FROM outbox o JOIN newsletters n "
            "ON n.id = o.newsletter_id WHERE o.member_id = ? OR lower(o.email) = ? ORDER BY o.id",
            (member_id, email_key(profile["email"]).lower()),
        ),
        "audit": [e.as_dict() for e in audit.entries(db, target="member", target_id=member_id)],
        "tables": referring_rows(db, member_id, profile["email"]),
    }


def write_export(db: Database, member_id: int, path: Path, *, now: datetime) -> None:
    """Write `export_member` as JSON to an owner-only file, and record it in the audit log."""
    data = export_member(db, member_id)
    with open_private(path, "w", encoding="utf-8") as fh:
        json.dump(data, fh, ensure_ascii=False, indent=1)
        fh.write("\n")
    audit.record(db, "member.export-data", "member", member_id, now=now)
