"""Members: query, filter, add, update, archive, and the consent history.

Consent is a history, not a flag: every subscription and unsubscription is appended to
`consent_events` and never rewritten. `members.subscribed` is a cache of the latest event,
written in the same transaction, so filters stay fast at 100,000 members.
"""

from __future__ import annotations

import base64
import re
import secrets
import unicodedata
import weakref
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from omtui.core import audit
from omtui.core.consent import REMINDERS_ALLOWED_SQL
from omtui.core.dates import from_iso, to_iso
from omtui.core.db import Database
from omtui.core.text import clean_text, fold, sort_key, sort_key_parts
from omtui.errors import NotFound, ValidationError
from omtui.i18n import _, current_language, ngettext

EDITABLE_FIELDS: tuple[str, ...] = (
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
SORTABLE = {  # each ends with the id in the same direction, so an index serves both ways
    # names, companies and cities in French alphabetical order, through stored keys
    "name": "name_key {dir}, id {dir}",
    "email": "email COLLATE NOCASE {dir}, id {dir}",
    "company": "company_key {dir}, id {dir}",
    "city": "city_key {dir}, id {dir}",
    "tags": "tags {dir}, id {dir}",
    "subscribed": "subscribed {dir}, id {dir}",
    "joined": "joined_at {dir}, id {dir}",
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
    purpose: str = "newsletter"
    """What the consent is for: "newsletter" (marketing) or "reminders" (transactional)."""


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
_PLAIN_ADDRESS = re.compile(rf"({_ATEXT}(?:\.{_ATEXT})*)@([^@\s\\\"\[\]]+)")


@lru_cache(maxsize=8192)
def _plain_domain(domain: str) -> str | None:
    """email-validator's verdict on a domain, cached: its normal form or None."""
    from email_validator import EmailNotValidError, validate_email  # 30 ms: not at start-up

    try:
        return validate_email(f"a@{domain}", check_deliverability=False).domain
    except EmailNotValidError:
        return None


def _fast_normalise(raw: str) -> str | None:
    """The normal form of an address with a plain ASCII local part, or None to ask
    email-validator.

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
    return address if len(address.encode()) <= 254 else None


def normalise_email(raw: str) -> str:
    """A syntactically valid address with its domain lower-cased, or ValidationError."""
    raw = (raw or "").strip()
    if not raw:
        raise ValidationError(_("an email address is required"), field="email")
    fast = _fast_normalise(raw)
    if fast is not None:
        return fast
    from email_validator import EmailNotValidError, validate_email

    try:
        result = validate_email(raw, check_deliverability=False)
    except EmailNotValidError as exc:
        if current_language() == "en":  # email_validator explains in English only
            message = _("{email!r} is not a valid email address: {reason}").format(
                email=raw, reason=exc
            )
        else:
            message = _("{email!r} is not a valid email address").format(email=raw)
        raise ValidationError(message, field="email") from exc
    return result.normalized


def email_key(address: str) -> str:
    """What two addresses must share to be the same member's: the whole address case-folded
    (Unicode, not only ASCII like SQLite's NOCASE) and in NFC: "ÉLISE@x" is "élise@x"."""
    address = (address or "").strip()
    if address.isascii():
        return address.lower()
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", address).casefold())


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
        if name == "tags" and value and not isinstance(value, str):
            value = ",".join(value)
        value = clean_text(value, multiline=name == "notes")  # no control chars; NFC
        if name == "email":
            out[name] = normalise_email(value)
        elif name == "tags":
            out[name] = join_tags(split_tags(value))
        else:
            out[name] = " ".join(str(value or "").split()) if name != "notes" else str(value or "")
    return out


SEARCH_FIELDS = ("first_name", "last_name", "email", "company", "city", "tags")


@lru_cache(maxsize=16384)
def _fold_cached(text: str) -> str:
    return fold(text)


def search_text(row: Mapping[str, Any]) -> str:
    """The folded text the type-to-filter searches: names, email, company, city, tags.

    Folded part by part: ASCII parts just lower-cased, others cached (names, companies
    and cities repeat a lot in a big import).
    """
    parts = [str(row.get(k) or "") for k in SEARCH_FIELDS]
    return " ".join([p.lower() if p.isascii() else _fold_cached(p) for p in parts])


SORT_KEYS = {  # stored column -> the fields it orders by (see text.sort_key)
    "name_key": ("last_name", "first_name"),
    "company_key": ("company",),
    "city_key": ("city",),
}
SORT_SOURCES = frozenset(f for fields in SORT_KEYS.values() for f in fields)


def sort_keys(row: Mapping[str, Any]) -> dict[str, str]:
    """The stored sort keys of a member row (every column of SORT_KEYS)."""
    return {
        column: sort_key(*(str(row.get(f) or "") for f in fields))
        for column, fields in SORT_KEYS.items()
    }


def new_token() -> str:
    return secrets.token_urlsafe(18)


def new_tokens(count: int) -> list[str]:
    """`count` unsubscribe tokens like new_token(), from one read of the system's randomness."""
    raw = secrets.token_bytes(18 * count)
    return [base64.urlsafe_b64encode(raw[i : i + 18]).decode() for i in range(0, 18 * count, 18)]


# -- reads ---------------------------------------------------------------------------------
def get_member(db: Database, member_id: int) -> Member:
    row = db.query_one("SELECT * FROM members WHERE id = ?", (member_id,))
    if row is None:
        raise NotFound(_("no member with id {id}").format(id=member_id))
    return Member.from_row(row)


_PREFERRED = "archived_at IS NOT NULL, email != ?, id"
"""Among members sharing an email key (pairs older than the key): live, exact, oldest."""


def find_by_email(db: Database, email: str) -> Member | None:
    """The member with this address, compared through email_key (case folded, NFC)."""
    row = db.query_one(
        f"SELECT * FROM members WHERE email_key = ? ORDER BY {_PREFERRED} LIMIT 1",
        (email_key(email), email.strip()),
    )
    return Member.from_row(row) if row else None


def find_by_token(db: Database, token: str) -> Member | None:
    """The member whose unsubscribe token is `token` (exact, case-sensitive), if any."""
    row = db.query_one("SELECT * FROM members WHERE unsubscribe_token = ?", (token.strip(),))
    return Member.from_row(row) if row else None


def find_all_by_email(db: Database, email: str) -> list[Member]:
    """Every member whose address has this email key (more than one only for pairs that
    existed before keys did: see duplicate_emails)."""
    rows = db.query(
        f"SELECT * FROM members WHERE email_key = ? ORDER BY {_PREFERRED}",
        (email_key(email), email.strip()),
    )
    return [Member.from_row(r) for r in rows]


def duplicate_emails(db: Database) -> list[list[Member]]:
    """Groups of live members whose addresses differ only by case or Unicode form.

    They were stored before addresses were compared through email_key; they are never
    merged silently: the organiser merges them (edit one, delete the other).
    """
    keys = [  # through the partial index members_email_twins: instant
        r[0] for r in db.execute("SELECT DISTINCT email_key FROM members WHERE email_twin != 0")
    ]
    groups = []
    for key in sorted(keys):
        rows = db.query(
            "SELECT * FROM members WHERE email_key = ? AND archived_at IS NULL ORDER BY id",
            (key,),
        )
        if len(rows) > 1:
            groups.append([Member.from_row(r) for r in rows])
    return groups


def duplicate_notice(db: Database) -> str:
    """One line telling the organiser about members to merge (see duplicate_emails), or ""."""
    count = len(duplicate_emails(db))
    if not count:
        return ""
    return ngettext(
        "{count} email is shared by members whose addresses differ only by case; "
        "merge them (omtui members duplicates)",
        "{count} emails are shared by members whose addresses differ only by case; "
        "merge them (omtui members duplicates)",
        count,
    ).format(count=count)


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


SCAN_ORDERS = ("name", "email", "joined")
COMMON_HITS = 2000
"""Above this many index hits, a page sorted by name is found faster by scanning in order."""


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _nocase(text: str) -> str:
    """SQLite's NOCASE in Python: ASCII letters folded, nothing else."""
    return text.translate(_ASCII_LOWER)


@dataclass
class _LiveList:
    """Live (not archived) members in name order, with what the filters test.

    For what the SQL indexes answer badly: 1-2 letter words (the trigram index cannot,
    and a scan costs a table lookup per row) and tag / city / subscription filters mixed
    with text. A test over these lists takes a few milliseconds at 100,000 members.
    Rebuilt when the database changed (this connection's total_changes, or another's
    commit through PRAGMA data_version).
    """

    key: tuple[int, int]
    ids: list[int]
    texts: list[str]
    # (",tag1,tag2,", NOCASE-folded city, subscribed) aligned with ids; loaded when needed
    attributes: tuple[list[str], list[str], list[int]] | None = None
    last: tuple[tuple[Any, ...], list[int]] = ((), [])  # the page and the count share it

    def load_attributes(self, db: Database) -> tuple[list[str], list[str], list[int]]:
        """Tags, city and subscription, aligned with `ids` (one unordered table scan).

        Assigned in one step, so worker threads sharing the list never see half of it.
        """
        if self.attributes is not None:
            return self.attributes
        interned: dict[str, str] = {}
        by_id = {
            r[0]: (
                interned.setdefault(r[1], f",{r[1]},"),
                interned.setdefault("city:" + r[2], _nocase(r[2])),
                r[3],
            )
            for r in db.execute(
                "SELECT id, tags, city, subscribed FROM members WHERE archived_at IS NULL"
            )
        }
        rows = [by_id[i] for i in self.ids]
        self.attributes = ([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows])
        return self.attributes


_LIVE_LISTS: weakref.WeakKeyDictionary[Database, _LiveList] = weakref.WeakKeyDictionary()


def _live_key(db: Database) -> tuple[int, int]:
    return (db.data_version(), db.conn.total_changes)


def _live_list_is_fresh(db: Database) -> bool:
    live = _LIVE_LISTS.get(db)
    return live is not None and live.key == _live_key(db)


def _live_list(db: Database) -> _LiveList:
    key = _live_key(db)
    live = _LIVE_LISTS.get(db)
    if live is None or live.key != key:
        rows = db.execute(  # reads the covering index members_live_name_key alone
            "SELECT id, search FROM members WHERE archived_at IS NULL "
            f"ORDER BY {SORTABLE['name'].format(dir='ASC')}"
        ).fetchall()
        live = _LiveList(key, [r[0] for r in rows], [r[1] for r in rows])
        _LIVE_LISTS[db] = live
    return live


def _live_matches(db: Database, filt: MemberFilter) -> list[int]:
    """Ids, in name order, of the live members matching `filt` (see _LiveList)."""
    live = _live_list(db)
    words = fold(filt.text).split()
    memo = (tuple(words), filt.tag, filt.city, filt.subscribed)
    last = live.last  # one read: another thread may replace it meanwhile
    if last[0] == memo:
        return list(last[1])
    positions: Iterable[int] = range(len(live.ids))
    if filt.tag or filt.city or filt.subscribed is not None:
        tags, cities, subscribed = live.load_attributes(db)
        if filt.subscribed is not None:
            want = int(filt.subscribed)
            positions = [p for p in positions if subscribed[p] == want]
        if filt.city:
            city = _nocase(filt.city.strip())
            positions = [p for p in positions if cities[p] == city]
        if filt.tag:
            needle = f",{filt.tag.strip().lower()},"
            positions = [p for p in positions if needle in tags[p]]
    texts = live.texts
    for word in sorted(words, key=len, reverse=True):  # the longest word is the rarest
        positions = [p for p in positions if word in texts[p]]
    found = [live.ids[p] for p in positions]
    live.last = (memo, found)
    return list(found)


def _scan_instead(db: Database, filt: MemberFilter) -> bool:
    """Whether a text-only filter of short words is answered by _scan_names rather than
    the _LiveList: when the list is missing or stale (the database changed since it was
    built). Rebuilding it reads every live member into Python (about 100 ms at 100,000,
    holding the interpreter's lock, so the next keystroke waits too); the scan runs inside
    SQLite and stops at the page's end. Filters mixed with a tag, a city or the
    subscription still (re)build the list."""
    text_only = not filt.tag and not filt.city and filt.subscribed is None
    return text_only and not _live_list_is_fresh(db)


def counted_by_scan(db: Database, filt: MemberFilter) -> bool:
    """Whether count_members(db, filt) scans the name index inside SQLite (no in-memory
    list needed): a worker may then count on a connection of its own, so that the next
    keystroke's page does not wait for the count on a shared one."""
    return _use_live_list(filt) and _scan_instead(db, filt)


def _scan_sql(filt: MemberFilter) -> tuple[str, list[str]]:
    words = fold(filt.text).split()
    tests = " AND ".join(["instr(search, ?) > 0"] * len(words))
    return (
        f"FROM members INDEXED BY members_live_name_key WHERE archived_at IS NULL AND {tests}",
        words,
    )


def _scan_names(db: Database, filt: MemberFilter, limit: int, offset: int) -> list[int]:
    """Ids of one page, in name order, of the live members whose folded text holds every
    word of `filt`: a substring test over the covering name index, no table row read (a
    few ms for a common word; a word nobody has reads the whole index, about 20 ms at
    100,000 members)."""
    where, words = _scan_sql(filt)
    order = SORTABLE["name"].format(dir="ASC")
    rows = db.execute(
        f"SELECT id {where} ORDER BY {order} LIMIT ? OFFSET ?", (*words, limit, offset)
    )
    return [r[0] for r in rows]


def _use_live_list(filt: MemberFilter) -> bool:
    """Whether `filt` is answered faster by _live_matches than by SQL."""
    if filt.include_archived:
        return False
    words = fold(filt.text).split()
    short = any(len(w) < MIN_FTS_TERM for w in words)
    extra = bool(filt.tag) or bool(filt.city) or filt.subscribed is not None
    return short or extra


def _order_by(sort: str, descending: bool) -> str:
    """The ORDER BY of a member list (ties broken by id, so pages never overlap)."""
    order = SORTABLE.get(sort, SORTABLE["name"]).format(dir="DESC" if descending else "ASC")
    return f"{order}, id"


def position_of(
    db: Database,
    member_id: int,
    filt: MemberFilter = MemberFilter(),
    *,
    sort: str = "name",
    descending: bool = False,
) -> int | None:
    """The 0-based row of `member_id` in `query_members(filt, sort=, descending=)`, or None.

    Lets a paged list jump to a member it does not show yet (the one just added or edited).
    """
    where, params = _where(filt)
    row = db.query_one(
        f"SELECT pos FROM (SELECT id, row_number() OVER (ORDER BY {_order_by(sort, descending)})"
        f" - 1 AS pos FROM members{where}) WHERE id = ?",
        (*params, member_id),
    )
    return None if row is None else row["pos"]


def query_members(
    db: Database,
    filt: MemberFilter = MemberFilter(),
    *,
    sort: str = "name",
    descending: bool = False,
    limit: int | None = 200,
    offset: int = 0,
) -> list[Member]:
    """One page of members matching `filt` (never load everyone into a widget).

    Text-only filters of 3+ letter words are answered in SQL: a rare word through the
    trigram index; a common one (more than COMMON_HITS hits) scans in sort order and
    stops as soon as the page is full. 1-2 letter words and text mixed with tag, city or
    subscription filters are answered from the in-memory _LiveList (name order).

    The in-order scan is used only for orders not correlated with what people search (a
    page of "paris" sorted by city would scan every city before Paris).
    """
    if _use_live_list(filt) and sort == "name" and not descending and limit is not None:
        if _scan_instead(db, filt):
            page = _scan_names(db, filt, limit, offset)
        else:
            page = _live_matches(db, filt)[offset : offset + limit]
        if not page:
            return []
        found = {
            r["id"]: r
            for r in db.query(
                f"SELECT * FROM members WHERE id IN ({', '.join('?' * len(page))})", tuple(page)
            )
        }
        return [Member.from_row(found[i]) for i in page if i in found]
    scan = False
    words = _fts_words(filt)
    if words and limit is not None and sort in SCAN_ORDERS and not filt.include_archived:
        hits = db.scalar(
            "SELECT count(*) FROM (SELECT rowid FROM members_fts WHERE members_fts MATCH ? "
            "LIMIT ?)",
            (_fts_query(words), COMMON_HITS),
        )
        scan = hits >= COMMON_HITS
    where, params = _where(filt, scan=scan)
    sql = f"SELECT * FROM members{where} ORDER BY {_order_by(sort, descending)}"
    if limit is not None:
        sql += " LIMIT ? OFFSET ?"
        params += [limit, offset]
    return [Member.from_row(r) for r in db.query(sql, tuple(params))]


def count_members(db: Database, filt: MemberFilter = MemberFilter()) -> int:
    """How many members match `filt`: text-only 3+ letter words are counted in the FTS
    index, 1-2 letter words and mixed filters in the in-memory _LiveList."""
    words = _fts_words(filt)
    text_only = not filt.tag and not filt.city and filt.subscribed is None
    all_long = len(words) == len(fold(filt.text).split())
    if words and all_long and text_only and not filt.include_archived:
        return db.scalar(
            "SELECT count(*) FROM members_fts WHERE members_fts MATCH ?", (_fts_query(words),)
        )
    if _use_live_list(filt):
        if _scan_instead(db, filt):
            where, words = _scan_sql(filt)
            return db.scalar(f"SELECT count(*) {where}", tuple(words))
        return len(_live_matches(db, filt))
    where, params = _where(filt)
    return db.scalar(f"SELECT count(*) FROM members{where}", tuple(params))


def all_tags(db: Database) -> list[str]:
    tags: set[str] = set()
    for (raw,) in db.execute("SELECT DISTINCT tags FROM members WHERE tags != ''"):
        tags.update(split_tags(raw))
    return sorted(tags, key=sort_key)


def tag_options(db: Database) -> list[str]:
    """The tags a filter offers (the known ones and every one in use), alphabetically."""
    return sorted(set(KNOWN_TAGS) | set(all_tags(db)), key=sort_key)


def all_cities(db: Database) -> list[str]:
    """Every city spelling among the members shown, in French alphabetical order.

    Read from the index of the stored key alone (the key ends with the city as typed).
    """
    return [
        sort_key_parts(r[0])[0]
        for r in db.execute(
            "SELECT DISTINCT city_key FROM members WHERE archived_at IS NULL AND city_key > ?"
            " ORDER BY city_key",
            (sort_key(""),),
        )
    ]


def consent_history(db: Database, member_id: int) -> list[ConsentEvent]:
    rows = db.query(
        "SELECT subscribed, at, source, detail, purpose FROM consent_events WHERE member_id = ?"
        " ORDER BY id",
        (member_id,),
    )
    return [
        ConsentEvent(
            bool(r["subscribed"]), from_iso(r["at"]), r["source"], r["detail"], r["purpose"]
        )
        for r in rows
    ]


CONSENT_PURPOSES = ("newsletter", "reminders")


def reminders_allowed(db: Database, member_id: int) -> bool:
    """Whether the member accepts reminders (yes until they decline them)."""
    return bool(db.scalar("SELECT " + REMINDERS_ALLOWED_SQL.format(member="?"), (member_id,)))


def set_reminders_consent(
    db: Database, member_id: int, allowed: bool, *, now: datetime, source: str, detail: str = ""
) -> bool:
    """Append a `reminders` consent event if it changes the member's choice (the newsletter
    subscription is left alone); return whether it did."""
    with db.transaction():
        get_member(db, member_id)
        if reminders_allowed(db, member_id) == allowed:
            return False
        db.execute(
            "INSERT INTO consent_events (member_id, subscribed, at, source, detail, purpose)"
            " VALUES (?, ?, ?, ?, ?, 'reminders')",
            (member_id, int(allowed), to_iso(now), source, detail),
        )
    return True


# -- writes --------------------------------------------------------------------------------
def _duplicate_error(db: Database, email: str, exclude_id: int | None = None) -> None:
    others = [m for m in find_all_by_email(db, email) if m.id != exclude_id]
    if others:
        other = others[0]
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
            email_key=email_key(clean["email"]),
            joined_at=to_iso(joined_at or now),
            unsubscribe_token=new_token(),
            search=search_text(row),
            **sort_keys(row),
            created_at=stamp,
            updated_at=stamp,
            subscribed=int(subscribed),
        )
        cursor = db.execute(
            f"INSERT INTO members ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
            tuple(row.values()),
        )
        member_id = cursor.lastrowid
        assert member_id is not None  # set by every INSERT
        index_new_members(db, member_id)
        append_consent(db, member_id, subscribed, now=now, source=source)
        audit.record(db, "member.add", "member", member_id, now=now)
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
        search = search_text(merged)
        if search != search_text(current.as_dict() | {"tags": join_tags(current.tags)}):
            clean["search"] = search
        if "email" in clean:  # no other member has this key now: not a twin any more
            clean.update(email_key=email_key(clean["email"]), email_twin=0)
        if SORT_SOURCES & clean.keys():
            clean.update(sort_keys(merged))
        clean["updated_at"] = to_iso(now)
        sets = ", ".join(f"{k} = ?" for k in clean)
        db.execute(f"UPDATE members SET {sets} WHERE id = ?", (*clean.values(), member_id))
        audit.record(
            db, "member.edit", "member", member_id, detail=",".join(sorted(fields)), now=now
        )
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
        state = "subscribed" if subscribed else "unsubscribed"
        audit.record(db, "member.consent", "member", member_id, detail=f"{state} {source}", now=now)
    return True


def unsubscribe_email(db: Database, email: str, *, now: datetime, source: str = "cli") -> Member:
    """Unsubscribe the member with `email` (idempotent); NotFound if nobody has it.

    Members whose addresses differ from it only by case (pairs awaiting a merge) are
    unsubscribed too: it is the same mailbox asking.
    """
    found = find_all_by_email(db, email)
    if not found:
        raise NotFound(_("no member with email {email}").format(email=email))
    for member in found:
        set_subscription(db, member.id, False, now=now, source=source)
    return get_member(db, found[0].id)


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
        audit.record(db, "member.archive", "member", member_id, now=now)
    return get_member(db, member_id)


def index_new_members(db: Database, first_id: int) -> None:
    """Add members with id >= `first_id` to the search index (call after inserting them).

    One statement for a whole batch: the index is built in one go, in the caller's
    transaction. Updates and archiving are indexed by triggers (see migrations).
    """
    db.execute(
        "INSERT INTO members_fts(rowid, search) SELECT id, search FROM members "
        "WHERE id >= ? AND archived_at IS NULL",
        (first_id,),
    )


def restore_member(db: Database, member_id: int, *, now: datetime) -> Member:
    """Bring an archived member back into view. Their subscription stays as it is (off):
    only the member can consent again."""
    with db.transaction():
        get_member(db, member_id)
        if db.scalar("SELECT erased_at FROM members WHERE id = ?", (member_id,)):
            raise ValidationError(
                _("member #{id} was erased: there is nothing to restore").format(id=member_id)
            )
        db.execute(
            "UPDATE members SET archived_at = NULL, updated_at = ? WHERE id = ?",
            (to_iso(now), member_id),
        )
        audit.record(db, "member.restore", "member", member_id, now=now)
    return get_member(db, member_id)


BULK_ROWS = 10_000
"""From this many new rows (and at least as many as stored), indexes are rebuilt, not updated."""
BULK_CACHE_KIB = -65536  # a 64 MiB page cache while a big batch is written


class BulkInsert:
    """Insert prepared member rows in batches, in the caller's transaction, with
    consecutive ids from `first`; on leaving, index them for search.

    With `rebuild`, the members indexes are dropped first and rebuilt once at the end,
    several times faster than updating them row by row (a unique index rebuilt over a
    duplicate still fails, and the caller's transaction rolls back). Rows get their
    email_key from their email column unless `columns` has one.
    """

    def __init__(self, db: Database, columns: Sequence[str], *, rebuild: bool) -> None:
        self.db = db
        self.columns = tuple(columns)
        self.rebuild = rebuild
        self.first = 0
        self.count = 0
        self._email = -1 if "email_key" in self.columns else self.columns.index("email")
        self._sort_keys = "name_key" not in self.columns
        names = _with_sort_keys(self.columns, [])[0] if self._sort_keys else self.columns
        names = names if self._email < 0 else (*names, "email_key")
        self._sql = (
            f"INSERT INTO members (id, {', '.join(names)}) "
            f"VALUES ({', '.join('?' * (len(names) + 1))})"
        )
        self._indexes: list[dict[str, Any]] = []

    def __enter__(self) -> BulkInsert:
        db = self.db
        self.first = db.scalar("SELECT coalesce(max(id), 0) FROM members") + 1
        self._cache = db.scalar("PRAGMA cache_size")
        db.execute(f"PRAGMA cache_size = {BULK_CACHE_KIB}")
        if self.rebuild:
            self._indexes = db.query(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                "AND tbl_name = 'members' AND sql IS NOT NULL"
            )
            for index in self._indexes:
                db.execute(f'DROP INDEX "{index["name"]}"')
        return self

    def add(self, records: Sequence[tuple]) -> None:
        """Insert `records` (values of `columns`, no id)."""
        start, email = self.first + self.count, self._email
        if self._sort_keys:
            records = _with_sort_keys(self.columns, records)[1]
        rows = (
            ((start + i, *r) for i, r in enumerate(records))
            if email < 0
            else ((start + i, *r, email_key(r[email])) for i, r in enumerate(records))
        )
        self.db.conn.executemany(self._sql, rows)
        self.count += len(records)

    def __exit__(self, exc_type: type[BaseException] | None, *_exc: object) -> None:
        try:
            if exc_type is None:
                for index in self._indexes:
                    self.db.execute(index["sql"])
                if self.count:
                    index_new_members(self.db, self.first)
        finally:
            self.db.execute(f"PRAGMA cache_size = {int(self._cache)}")


def insert_rows(db: Database, columns: Sequence[str], records: Sequence[tuple]) -> int:
    """Insert prepared member rows and index them for search; return the first new id.

    `records` hold the values of `columns` (no id); the new ids are consecutive. Runs in
    the caller's transaction; a big batch rebuilds the indexes once (see BulkInsert).
    """
    if not records:
        return 0
    rebuild = len(records) >= max(BULK_ROWS, db.scalar("SELECT count(*) FROM members"))
    with BulkInsert(db, columns, rebuild=rebuild) as inserter:
        inserter.add(records)
    return inserter.first


def _with_sort_keys(
    columns: Sequence[str], records: Sequence[tuple]
) -> tuple[Sequence[str], Sequence[tuple]]:
    """`columns` and `records` with the stored sort keys added (unless the caller gave them)."""
    if "name_key" in columns:
        return columns, records
    blank = len(columns)  # the index of an empty string appended to each record
    at = {name: columns.index(name) if name in columns else blank for name in SORT_SOURCES}
    last, first, company, city = (at[n] for n in ("last_name", "first_name", "company", "city"))
    keyed = []
    for record in records:
        values = (*record, "")
        keyed.append(
            (
                *record,
                sort_key(values[last] or "", values[first] or ""),
                sort_key(values[company] or ""),
                sort_key(values[city] or ""),
            )
        )
    return (*columns, "name_key", "company_key", "city_key"), keyed


def insert_many(
    db: Database,
    rows: Iterable[tuple[Mapping[str, Any], bool, datetime]],
    *,
    now: datetime,
    source: str,
) -> int:
    """Insert already-validated, unique members in bulk: (fields, subscribed, joined_at).

    Each gets its first consent event, dated `joined_at`. Runs inside the caller's
    transaction when there is one (the importer's), else its own.
    """
    stamp = to_iso(now)
    columns = (*EDITABLE_FIELDS, "joined_at", "unsubscribe_token", "search")
    columns += ("created_at", "updated_at", "subscribed")
    records = []
    consents = []
    rows = list(rows)
    tokens = new_tokens(len(rows))
    for (fields, subscribed, joined_at), token in zip(rows, tokens, strict=True):
        row = {k: fields.get(k, "") or "" for k in EDITABLE_FIELDS}
        row["tags"] = join_tags(split_tags(row["tags"]))
        records.append(
            (
                *row.values(),
                to_iso(joined_at),
                token,
                search_text(row),
                stamp,
                stamp,
                int(subscribed),
            )
        )
        consents.append((int(subscribed), to_iso(joined_at)))
    with db.transaction():
        first = insert_rows(db, columns, records)
        db.conn.executemany(
            "INSERT INTO consent_events (member_id, subscribed, at, source) VALUES (?, ?, ?, ?)",
            ((first + i, sub, at, source) for i, (sub, at) in enumerate(consents)),
        )
    return len(records)
