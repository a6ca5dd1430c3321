"""Members: query, filter, add, update, archive, and the consent history.

Consent is a history, not a flag: every subscription and unsubscription is appended to
`consent_events` and never rewritten. `members.subscribed` is a cache of the latest event,
written in the same transaction, so filters stay fast at 100,000 members.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from email_validator import EmailNotValidError, validate_email

from omtui.core.dates import from_iso, to_iso
from omtui.core.db import Database
from omtui.core.text import fold
from omtui.errors import NotFound, ValidationError
from omtui.i18n import _

EDITABLE_FIELDS = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "company",
    "job_title",
    "city",
    "tags",
    "notes",
)
KNOWN_TAGS = ("volunteer", "partner", "freelance", "speaker", "host", "board")
SORTABLE = {
    "name": "last_name COLLATE NOCASE {dir}, first_name COLLATE NOCASE {dir}",
    "email": "email COLLATE NOCASE {dir}",
    "company": "company COLLATE NOCASE {dir}",
    "city": "city COLLATE NOCASE {dir}",
    "tags": "tags {dir}",
    "subscribed": "subscribed {dir}",
    "joined": "joined_at {dir}",
}


@dataclass(frozen=True)
class Member:
    id: int
    first_name: str
    last_name: str
    email: str
    phone: str = ""
    company: str = ""
    job_title: str = ""
    city: str = ""
    tags: tuple[str, ...] = ()
    subscribed: bool = False
    joined_at: datetime | None = None
    notes: str = ""
    unsubscribe_token: str = ""
    archived_at: datetime | None = None

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Member:
        return cls(
            id=row["id"],
            first_name=row["first_name"],
            last_name=row["last_name"],
            email=row["email"],
            phone=row["phone"],
            company=row["company"],
            job_title=row["job_title"],
            city=row["city"],
            tags=split_tags(row["tags"]),
            subscribed=bool(row["subscribed"]),
            joined_at=from_iso(row["joined_at"]) if row["joined_at"] else None,
            notes=row["notes"],
            unsubscribe_token=row["unsubscribe_token"],
            archived_at=from_iso(row["archived_at"]) if row["archived_at"] else None,
        )

    def as_dict(self) -> dict[str, Any]:
        """Every field, JSON-ready (`subscribed` a boolean, dates ISO 8601 UTC)."""
        return {
            "id": self.id,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "email": self.email,
            "phone": self.phone,
            "company": self.company,
            "job_title": self.job_title,
            "city": self.city,
            "tags": list(self.tags),
            "subscribed": self.subscribed,
            "joined_at": to_iso(self.joined_at) if self.joined_at else None,
            "notes": self.notes,
        }


@dataclass(frozen=True)
class ConsentEvent:
    subscribed: bool
    at: datetime
    source: str
    detail: str = ""


@dataclass(frozen=True)
class MemberFilter:
    """What the member table shows. Empty values mean "no restriction"."""

    text: str = ""
    tag: str | None = None
    city: str | None = None
    subscribed: bool | None = None
    include_archived: bool = False
    extra: tuple[str, ...] = field(default=())


# -- normalisation and validation ------------------------------------------------------
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_PLAIN_ADDRESS = re.compile(rf"({_ATEXT}(?:\.{_ATEXT})*)@([A-Za-z0-9.-]+)")


@lru_cache(maxsize=8192)
def _plain_domain(domain: str) -> str | None:
    """email-validator's verdict on an ASCII domain, cached: its normal form or None."""
    try:
        return validate_email(f"a@{domain}", check_deliverability=False).domain
    except EmailNotValidError:
        return None


def _fast_normalise(raw: str) -> str | None:
    """The normal form of a plain ASCII dot-atom address, or None to ask email-validator.

    Only ever accepts what email-validator accepts (the domain goes through it, cached),
    so an import of 100,000 rows does not pay ~50 us of full validation per row.
    """
    match = _PLAIN_ADDRESS.fullmatch(raw)
    if match is None or len(match.group(1)) > 64:
        return None
    domain = _plain_domain(match.group(2))
    if domain is None:
        return None
    address = f"{match.group(1)}@{domain}"
    return address if len(address) <= 254 else None


def normalise_email(raw: str) -> str:
    """A syntactically valid address with its domain lower-cased, or ValidationError."""
    raw = (raw or "").strip()
    if not raw:
        raise ValidationError(_("an email address is required"), field="email")
    fast = _fast_normalise(raw)
    if fast is not None:
        return fast
    try:
        result = validate_email(raw, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValidationError(
            _("{email!r} is not a valid email address: {reason}").format(email=raw, reason=exc),
            field="email",
        ) from exc
    return result.normalized


def split_tags(raw: str | Iterable[str] | None) -> tuple[str, ...]:
    """ "Volunteer, speaker;partner" -> ("partner", "speaker", "volunteer")."""
    if not raw:
        return ()
    parts: Iterable[str]
    if isinstance(raw, str):
        parts = raw.replace(";", ",").replace("|", ",").split(",")
    else:
        parts = raw
    return tuple(sorted({p.strip().lower() for p in parts if p and p.strip()}))


def join_tags(tags: Iterable[str]) -> str:
    return ",".join(split_tags(list(tags)))


def clean_fields(fields: Mapping[str, Any]) -> dict[str, Any]:
    """Validate and normalise editable fields; raise ValidationError naming the field."""
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(_("unknown member fields: {names}").format(names=sorted(unknown)))
    out: dict[str, Any] = {}
    for name, value in fields.items():
        if name == "email":
            out[name] = normalise_email(value)
        elif name == "tags":
            out[name] = join_tags(split_tags(value))
        else:
            out[name] = " ".join(str(value or "").split()) if name != "notes" else str(value or "")
    return out


def search_text(row: Mapping[str, Any]) -> str:
    """The folded text the type-to-filter searches: names, email, company, city, tags."""
    return fold(
        " ".join(
            str(row.get(k) or "")
            for k in ("first_name", "last_name", "email", "company", "city", "tags")
        )
    )


def new_token() -> str:
    return secrets.token_urlsafe(18)


# -- reads ---------------------------------------------------------------------------------
def get_member(db: Database, member_id: int) -> Member:
    row = db.query_one("SELECT * FROM members WHERE id = ?", (member_id,))
    if row is None:
        raise NotFound(_("no member with id {id}").format(id=member_id))
    return Member.from_row(row)


def find_by_email(db: Database, email: str) -> Member | None:
    row = db.query_one("SELECT * FROM members WHERE email = ? COLLATE NOCASE", (email.strip(),))
    return Member.from_row(row) if row else None


MIN_FTS_TERM = 3  # the trigram index answers terms of 3+ characters


def _fts_phrase(word: str) -> str:
    return '"' + word.replace('"', '""') + '"'


def _where(filt: MemberFilter, *, scan: bool = False) -> tuple[str, list[Any]]:
    """SQL conditions for `filt` (case and accents ignored in the text).

    Text words of 3+ characters use the trigram FTS index, shorter ones (or all of them
    when `scan`) a substring test on the folded `search` column.
    """
    clauses: list[str] = []
    params: list[Any] = []
    if not filt.include_archived:
        clauses.append("archived_at IS NULL")
    words = fold(filt.text).split()
    # The FTS index holds members not archived only (see migrations._001_members).
    fts = not scan and not filt.include_archived
    long_words = [w for w in words if len(w) >= MIN_FTS_TERM] if fts else []
    if long_words:
        clauses.append("id IN (SELECT rowid FROM members_fts WHERE members_fts MATCH ?)")
        params.append(_fts_query(long_words))
    for word in words:
        if word not in long_words:
            clauses.append("instr(search, ?) > 0")
            params.append(word)
    if filt.tag:
        clauses.append("(',' || tags || ',') LIKE ?")
        params.append(f"%,{filt.tag.strip().lower()},%")
    if filt.city:
        clauses.append("city = ? COLLATE NOCASE")
        params.append(filt.city.strip())
    if filt.subscribed is not None:
        clauses.append("subscribed = ?")
        params.append(int(filt.subscribed))
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def _fts_query(words: list[str]) -> str:
    return " AND ".join(_fts_phrase(w) for w in words)


def _fts_words(filt: MemberFilter) -> list[str]:
    return [w for w in fold(filt.text).split() if len(w) >= MIN_FTS_TERM]


COMMON_HITS = 2000
"""Above this many index hits, a page sorted by name is found faster by scanning in order."""


def query_members(
    db: Database,
    filt: MemberFilter = MemberFilter(),
    *,
    sort: str = "name",
    descending: bool = False,
    limit: int | None = 200,
    offset: int = 0,
) -> list[Member]:
    """One page of members matching `filt`, sorted in SQL (never load everyone into a widget).

    A rare text term goes through the trigram index; a common one (more than COMMON_HITS
    hits) scans in sort order and stops as soon as the page is full.
    """
    scan = False
    words = _fts_words(filt)
    if words and limit is not None and not filt.include_archived:
        hits = db.scalar(
            "SELECT count(*) FROM (SELECT rowid FROM members_fts WHERE members_fts MATCH ? "
            "LIMIT ?)",
            (_fts_query(words), COMMON_HITS),
        )
        scan = hits >= COMMON_HITS
    where, params = _where(filt, scan=scan)
    order = SORTABLE.get(sort, SORTABLE["name"]).format(dir="DESC" if descending else "ASC")
    sql = f"SELECT * FROM members{where} ORDER BY {order}, id"
    if limit is not None:
        sql += " LIMIT ? OFFSET ?"
        params += [limit, offset]
    return [Member.from_row(r) for r in db.query(sql, tuple(params))]


def count_members(db: Database, filt: MemberFilter = MemberFilter()) -> int:
    """How many members match `filt`. A text-only filter is counted in the FTS index."""
    words = _fts_words(filt)
    text_only = filt.tag is None and filt.city is None and filt.subscribed is None
    all_long = len(words) == len(fold(filt.text).split())
    if words and all_long and text_only and not filt.include_archived:
        return db.scalar(
            "SELECT count(*) FROM members_fts WHERE members_fts MATCH ?", (_fts_query(words),)
        )
    where, params = _where(filt)
    return db.scalar(f"SELECT count(*) FROM members{where}", tuple(params))


def all_tags(db: Database) -> list[str]:
    tags: set[str] = set()
    for (raw,) in db.execute("SELECT DISTINCT tags FROM members WHERE tags != ''"):
        tags.update(split_tags(raw))
    return sorted(tags)


def all_cities(db: Database) -> list[str]:
    return [
        r[0]
        for r in db.execute(
            "SELECT DISTINCT city FROM members WHERE city != '' ORDER BY city COLLATE NOCASE"
        )
    ]


def consent_history(db: Database, member_id: int) -> list[ConsentEvent]:
    rows = db.query(
        "SELECT subscribed, at, source, detail FROM consent_events WHERE member_id = ? ORDER BY id",
        (member_id,),
    )
    return [
        ConsentEvent(bool(r["subscribed"]), from_iso(r["at"]), r["source"], r["detail"])
        for r in rows
    ]


# -- writes --------------------------------------------------------------------------------
def _duplicate_error(db: Database, email: str, exclude_id: int | None = None) -> None:
    other = find_by_email(db, email)
    if other is not None and other.id != exclude_id:
        raise ValidationError(
            _("{email} already belongs to {name} (member #{id})").format(
                email=other.email, name=other.full_name or other.email, id=other.id
            ),
            field="email",
        )


def add_member(
    db: Database,
    fields: Mapping[str, Any],
    *,
    now: datetime,
    subscribed: bool = True,
    source: str = "form",
    joined_at: datetime | None = None,
) -> Member:
    """Validate and insert one member, recording the initial consent event."""
    clean = clean_fields(fields)
    if "email" not in clean:
        raise ValidationError(_("an email address is required"), field="email")
    with db.transaction():
        _duplicate_error(db, clean["email"])
        row = {k: clean.get(k, "") for k in EDITABLE_FIELDS}
        stamp = to_iso(now)
        row.update(
            joined_at=to_iso(joined_at or now),
            unsubscribe_token=new_token(),
            search=search_text(row),
            created_at=stamp,
            updated_at=stamp,
            subscribed=int(subscribed),
        )
        cursor = db.execute(
            f"INSERT INTO members ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
            tuple(row.values()),
        )
        member_id = cursor.lastrowid
        append_consent(db, member_id, subscribed, now=now, source=source)
    return get_member(db, member_id)


def update_member(
    db: Database, member_id: int, fields: Mapping[str, Any], *, now: datetime
) -> Member:
    """Validate and apply edited fields; the email stays unique, case-insensitively."""
    clean = clean_fields(fields)
    with db.transaction():
        current = get_member(db, member_id)
        if "email" in clean:
            _duplicate_error(db, clean["email"], exclude_id=member_id)
        merged = current.as_dict() | clean
        merged["tags"] = join_tags(split_tags(merged["tags"]))
        clean["search"] = search_text(merged)
        clean["updated_at"] = to_iso(now)
        sets = ", ".join(f"{k} = ?" for k in clean)
        db.execute(f"UPDATE members SET {sets} WHERE id = ?", (*clean.values(), member_id))
    return get_member(db, member_id)


def append_consent(
    db: Database, member_id: int, subscribed: bool, *, now: datetime, source: str, detail: str = ""
) -> None:
    """Append one consent event and refresh the `subscribed` cache (caller's transaction)."""
    db.execute(
        "INSERT INTO consent_events (member_id, subscribed, at, source, detail) "
        "VALUES (?, ?, ?, ?, ?)",
        (member_id, int(subscribed), to_iso(now), source, detail),
    )
    db.execute("UPDATE members SET subscribed = ? WHERE id = ?", (int(subscribed), member_id))


_append_consent = append_consent  # the name other modules first knew


def set_subscription(
    db: Database,
    member_id: int,
    subscribed: bool,
    *,
    now: datetime,
    source: str,
    detail: str = "",
) -> bool:
    """Append a consent event if it changes the member's state; return whether it did."""
    with db.transaction():
        current = get_member(db, member_id)
        if current.subscribed == subscribed:
            return False
        append_consent(db, member_id, subscribed, now=now, source=source, detail=detail)
    return True


def unsubscribe_email(db: Database, email: str, *, now: datetime, source: str = "cli") -> Member:
    """Unsubscribe the member with `email` (idempotent); NotFound if nobody has it."""
    member = find_by_email(db, email)
    if member is None:
        raise NotFound(_("no member with email {email}").format(email=email))
    set_subscription(db, member.id, False, now=now, source=source)
    return get_member(db, member.id)


def archive_member(db: Database, member_id: int, *, now: datetime) -> Member:
    """Delete from the organiser's view: hide the member and unsubscribe them.

    The row and its consent history are kept (a consent record must outlive the member);
    the email stays reserved so an old export cannot resurrect them silently.
    """
    with db.transaction():
        member = get_member(db, member_id)
        if member.subscribed:
            append_consent(db, member_id, False, now=now, source="archived")
        db.execute(
            "UPDATE members SET archived_at = ?, updated_at = ? WHERE id = ?",
            (to_iso(now), to_iso(now), member_id),
        )
    return get_member(db, member_id)


def restore_member(db: Database, member_id: int, *, now: datetime) -> Member:
    """Bring an archived member back into view. Their subscription stays as it is (off):
    only the member can consent again."""
    with db.transaction():
        get_member(db, member_id)
        db.execute(
            "UPDATE members SET archived_at = NULL, updated_at = ? WHERE id = ?",
            (to_iso(now), member_id),
        )
    return get_member(db, member_id)


def insert_many(
    db: Database,
    rows: Iterable[tuple[Mapping[str, Any], bool, datetime]],
    *,
    now: datetime,
    source: str,
) -> int:
    """Insert already-validated, unique members in bulk: (fields, subscribed, joined_at).

    Runs inside the caller's transaction when there is one (the importer's), else its own.
    """
    stamp = to_iso(now)
    count = 0
    with db.transaction():
        for fields, subscribed, joined_at in rows:
            row = {k: fields.get(k, "") or "" for k in EDITABLE_FIELDS}
            row.update(
                joined_at=to_iso(joined_at),
                unsubscribe_token=new_token(),
                search=search_text(row),
                created_at=stamp,
                updated_at=stamp,
                subscribed=int(subscribed),
            )
            cursor = db.execute(
                f"INSERT INTO members ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
                tuple(row.values()),
            )
            append_consent(db, cursor.lastrowid, subscribed, now=joined_at, source=source)
            count += 1
    return count
