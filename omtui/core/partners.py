"""Partners: the service providers who meet members at summits, as exhibitors or sponsors."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from omtui.core import events
from omtui.core.dates import to_iso
from omtui.core.db import Database
from omtui.core.members import normalise_email
from omtui.core.text import clean_text, sort_key
from omtui.errors import NotFound, ValidationError
from omtui.i18n import _

ROLES = ("exhibitor", "sponsor")
FIELDS = ("company", "contact", "email", "notes")


@dataclass(frozen=True)
class Partner:
    id: int
    company: str
    contact: str = ""
    email: str = ""
    notes: str = ""

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Partner:
        return cls(**{k: row[k] for k in ("id", *FIELDS)})


@dataclass(frozen=True)
class EventPartner:
    partner: Partner
    role: str


def _clean(fields: Mapping[str, Any]) -> dict[str, str]:
    unknown = set(fields) - set(FIELDS)
    if unknown:
        raise ValidationError(_("unknown partner fields: {names}").format(names=sorted(unknown)))
    out = {k: " ".join(clean_text(fields.get(k)).split()) for k in FIELDS}
    out["notes"] = clean_text(fields.get("notes"), multiline=True).strip()
    if not out["company"]:
        raise ValidationError(_("a partner needs a company name"), field="company")
    if out["email"]:
        out["email"] = normalise_email(out["email"])
    return out


def add_partner(db: Database, fields: Mapping[str, Any], *, now: datetime) -> Partner:
    """Add a partner company (company required; email validated when given)."""
    values = _clean(fields)
    with db.transaction() as conn:
        existing = db.query_one(
            "SELECT id FROM partners WHERE company = ? COLLATE NOCASE", (values["company"],)
        )
        if existing:
            raise ValidationError(
                _("partner {company!r} already exists (id {id})").format(
                    company=values["company"], id=existing["id"]
                ),
                field="company",
            )
        cursor = conn.execute(
            "INSERT INTO partners (company, contact, email, notes, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (values["company"], values["contact"], values["email"], values["notes"], to_iso(now)),
        )
        partner_id = cursor.lastrowid
        assert partner_id is not None  # set by every INSERT
    return get_partner(db, partner_id)


def get_partner(db: Database, partner_id: int) -> Partner:
    row = db.query_one("SELECT * FROM partners WHERE id = ?", (partner_id,))
    if row is None:
        raise NotFound(_("no partner with id {id}").format(id=partner_id))
    return Partner.from_row(row)


def find_partner(db: Database, name_or_id: str) -> Partner:
    """A partner by id or by company name (case-insensitive)."""
    text = name_or_id.strip()
    if text.isdigit():
        return get_partner(db, int(text))
    row = db.query_one("SELECT * FROM partners WHERE company = ? COLLATE NOCASE", (text,))
    if row is None:
        raise NotFound(_("no partner named {name!r}").format(name=text))
    return Partner.from_row(row)


def list_partners(db: Database) -> list[Partner]:
    rows = db.query("SELECT * FROM partners ORDER BY id")
    return sorted((Partner.from_row(r) for r in rows), key=lambda p: sort_key(p.company))


def link_partner(db: Database, event_id: int, partner_id: int, role: str) -> None:
    """Link a partner to an event as exhibitor or sponsor (linking twice is harmless)."""
    role = role.strip().lower()
    if role not in ROLES:
        raise ValidationError(
            _("role must be exhibitor or sponsor, not {role!r}").format(role=role), field="role"
        )
    with db.transaction():
        events.get_event(db, event_id)
        get_partner(db, partner_id)
        db.execute(
            "INSERT OR IGNORE INTO event_partners (event_id, partner_id, role) VALUES (?, ?, ?)",
            (event_id, partner_id, role),
        )


def unlink_partner(db: Database, event_id: int, partner_id: int, role: str | None = None) -> int:
    """Remove a partner's link(s) to an event; return how many were removed."""
    sql = "DELETE FROM event_partners WHERE event_id = ? AND partner_id = ?"
    params: tuple = (event_id, partner_id)
    if role:
        sql += " AND role = ?"
        params += (role,)
    with db.transaction():
        return db.execute(sql, params).rowcount


def event_partners(db: Database, event_id: int) -> list[EventPartner]:
    """The partners of an event, sponsors first, then by company."""
    rows = db.query(
        "SELECT p.*, ep.role FROM event_partners ep JOIN partners p ON p.id = ep.partner_id "
        "WHERE ep.event_id = ? ORDER BY p.id",
        (event_id,),
    )
    found = [EventPartner(Partner.from_row(r), r["role"]) for r in rows]
    found.sort(key=lambda ep: sort_key(ep.partner.company))
    found.sort(key=lambda ep: ep.role, reverse=True)  # stable: by company within a role
    return found
