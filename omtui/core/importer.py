"""Import members from a CSV file (preview, then apply in one transaction) and export them.

API (the CLI and the TUI import screen both use it)::

    preview = preview_import(db, path, now=now)   # reads and validates; writes nothing
    preview.counts      # {"new": 3, "updated": 1, "unchanged": 10, "rejected": 2}
    preview.rejected    # [RejectedRow(line=7, reason="...", email="...")]
    preview.warnings    # ["unknown column 'Fax' was ignored"]
    result = apply_import(db, preview, now=now)   # one transaction; result.counts likewise
    export_members(db, path, MemberFilter(tag="volunteer"))  # -> number of rows written

Rules (also in the README, section Members):
- Upsert by email, case-insensitively; a second row with the same email is rejected.
- An empty cell never wipes what the database holds: only non-empty cells are compared
  and written (clear a field in the member form instead).
- Non-empty tags replace the member's tags.
- Newsletter column: oui/non, yes/no, 1/0, true/false, x/empty. Without a newsletter
  column, new members are subscribed and existing members keep their state. A change
  appends a consent event with source "import:<file name>"; history is never rewritten.
- Archived members are rejected ("archived member, restore first"), never resurrected.
- A file that is not a CSV, is empty, or has no email column raises UnusableInput.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from omtui.core import members
from omtui.core.csvfile import CsvTable, read_csv
from omtui.core.dates import from_iso, to_iso
from omtui.core.db import Database
from omtui.core.members import MemberFilter
from omtui.core.text import fold
from omtui.errors import UnusableInput, ValidationError
from omtui.i18n import _
from omtui.paths import open_private

FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "email": (
        "email", "e-mail", "courriel", "mail", "adresse email", "adresse e-mail",
        "adresse mail", "email address", "e-mail address", "adresse électronique",
    ),
    "first_name": ("first name", "firstname", "given name", "prénom"),
    "last_name": ("last name", "lastname", "surname", "family name", "nom", "nom de famille"),
    "company": ("company", "organisation", "organization", "employer", "entreprise",
                "société", "employeur", "structure"),
    "city": ("city", "town", "ville", "commune"),
    "phone": ("phone", "phone number", "telephone", "mobile", "tel", "téléphone",
              "portable", "numéro de téléphone"),
    "job_title": ("job title", "job", "title", "position", "role", "poste", "fonction",
                  "intitulé de poste", "métier"),
    "tags": ("tags", "tag", "labels", "étiquettes", "étiquette", "catégories"),
    "newsletter": ("newsletter", "subscribed", "subscription", "abonné", "abonnée",
                   "abonnement", "lettre d'information", "inscrit newsletter"),
    "notes": ("notes", "note", "comments", "comment", "commentaire", "commentaires",
              "remarques"),
    "joined_at": ("joined", "joined at", "joined date", "member since", "date d'adhésion",
                  "adhésion", "membre depuis", "inscrit le"),
}  # fmt: skip
ALIASES = {alias: name for name, aliases in FIELD_ALIASES.items() for alias in aliases}
YES = frozenset({"oui", "o", "yes", "y", "1", "true", "vrai", "x", "subscribed", "abonne"})
NO = frozenset({"non", "n", "no", "0", "false", "faux", "", "unsubscribed", "desabonne"})
EXPORT_HEADERS = (
    ("email", "email"),
    ("first_name", "first name"),
    ("last_name", "last name"),
    ("phone", "phone"),
    ("company", "company"),
    ("job_title", "job title"),
    ("city", "city"),
    ("tags", "tags"),
    ("newsletter", "newsletter"),
    ("joined_at", "joined"),
    ("notes", "notes"),
)
COMPARED = ("first_name", "last_name", "phone", "company", "job_title", "city", "tags", "notes")

_PLAIN = frozenset(COMPARED) - {"tags", "notes"}  # whitespace collapsed, like the form
_FR_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


@dataclass(frozen=True)
class RejectedRow:
    """A row that will not be imported: its line in the file, why, and its email if any."""

    line: int
    reason: str
    email: str = ""


@dataclass
class ImportRow:
    """An accepted row: cleaned non-empty values, and what it changes (for updates)."""

    line: int
    email: str
    fields: dict[str, str]  # cleaned, non-empty editable fields (email included)
    subscribed: bool | None  # None: the file says nothing (no newsletter column)
    joined_at: datetime | None = None
    member_id: int | None = None
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # field -> (old, new)


@dataclass
class ImportPreview:
    """What an import would do; nothing has been written yet."""

    path: Path
    encoding: str
    delimiter: str
    columns: dict[str, str]  # header -> field
    new: list[ImportRow] = field(default_factory=list)
    updated: list[ImportRow] = field(default_factory=list)
    unchanged: list[ImportRow] = field(default_factory=list)
    rejected: list[RejectedRow] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        return {
            "new": len(self.new),
            "updated": len(self.updated),
            "unchanged": len(self.unchanged),
            "rejected": len(self.rejected),
        }

    @property
    def source(self) -> str:
        """The consent source recorded for this import: "import:<file name>"."""
        return f"import:{self.path.name}"


@dataclass
class ImportResult:
    """What an import did (the same counts as its preview, checked again at apply time)."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[RejectedRow] = field(default_factory=list)
    source: str = ""

    @property
    def counts(self) -> dict[str, int]:
        return {
            "new": self.new,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": len(self.rejected),
        }


# -- preview -------------------------------------------------------------------------------
def parse_newsletter(raw: str) -> bool:
    """oui/non, yes/no, 1/0, true/false, x/empty -> bool; ValueError otherwise."""
    key = raw.strip().lower()
    if key not in YES and key not in NO:
        key = fold(key)
    if key in YES:
        return True
    if key in NO:
        return False
    raise ValueError(raw)


def parse_joined(raw: str) -> datetime:
    """ISO 8601 (date or date-time) or dd/mm/yyyy; a date without zone is taken as UTC."""
    text = raw.strip()
    match = _FR_DATE.match(text)
    if match:
        day, month, year = (int(g) for g in match.groups())
        return datetime(year, month, day, tzinfo=UTC)
    moment = from_iso(text)  # ValueError when unreadable
    return moment.replace(microsecond=0)


def _clean_row(values: dict[str, str]) -> tuple[dict[str, str], bool | None, datetime | None]:
    """Validate one row's cells; raise ValidationError/ValueError with a reason."""
    fields: dict[str, str] = {"email": members.normalise_email(values.get("email", ""))}
    for name in _PLAIN & values.keys():
        cleaned = " ".join(values[name].split())
        if cleaned:
            fields[name] = cleaned
    if values.get("tags"):
        tags = members.join_tags(members.split_tags(values["tags"]))
        if tags:
            fields["tags"] = tags
    notes = values.get("notes")
    if notes and not notes.isspace():
        fields["notes"] = notes  # kept as written (multi-line notes round-trip)
    subscribed: bool | None = None
    if "newsletter" in values:
        try:
            subscribed = parse_newsletter(values["newsletter"])
        except ValueError:
            raise ValueError(
                _(
                    "unknown newsletter value {value!r} (use oui/non, yes/no, 1/0, x or empty)"
                ).format(value=values["newsletter"])
            ) from None
    joined: datetime | None = None
    if values.get("joined_at", "").strip():
        try:
            joined = parse_joined(values["joined_at"])
        except ValueError:
            raise ValueError(
                _("unreadable joined date {value!r} (use 2024-03-31 or 31/03/2024)").format(
                    value=values["joined_at"]
                )
            ) from None
    return fields, subscribed, joined


def _parse(table: CsvTable) -> tuple[list[ImportRow], list[RejectedRow]]:
    accepted: list[ImportRow] = []
    rejected: list[RejectedRow] = []
    seen: dict[str, int] = {}
    for row in table.rows:
        raw_email = row.values.get("email", "").strip()
        if not raw_email:
            rejected.append(RejectedRow(row.line, _("missing email"), ""))
            continue
        try:
            fields, subscribed, joined = _clean_row(row.values)
        except (ValidationError, ValueError) as exc:
            rejected.append(RejectedRow(row.line, str(exc), raw_email))
            continue
        key = fields["email"].lower()
        if key in seen:
            rejected.append(
                RejectedRow(
                    row.line,
                    _("duplicate email (already on line {line})").format(line=seen[key]),
                    fields["email"],
                )
            )
            continue
        seen[key] = row.line
        accepted.append(ImportRow(row.line, fields["email"], fields, subscribed, joined))
    return accepted, rejected


_STORED = ("id", "email", *COMPARED, "subscribed", "joined_at", "archived_at", "search")


def _existing(db: Database) -> dict[str, dict[str, Any]]:
    """Every member's stored values by lower-cased email (raw rows: fast at 100,000)."""
    rows = db.query(f"SELECT {', '.join(_STORED)} FROM members")
    return {r["email"].lower(): r for r in rows}


def _classify(
    rows: list[ImportRow], existing: dict[str, dict[str, Any]]
) -> tuple[list[ImportRow], list[ImportRow], list[ImportRow], list[RejectedRow]]:
    new: list[ImportRow] = []
    updated: list[ImportRow] = []
    unchanged: list[ImportRow] = []
    rejected: list[RejectedRow] = []
    for row in rows:
        current = existing.get(row.email.lower())
        row.changes = {}
        row.member_id = None
        if current is None:
            new.append(row)
            continue
        row.member_id = current["id"]
        if current["archived_at"] is not None:
            rejected.append(
                RejectedRow(
                    row.line,
                    _("archived member, restore first (omtui members restore {email})").format(
                        email=current["email"]
                    ),
                    row.email,
                )
            )
            continue
        for name, value in row.fields.items():
            stored = current[name]
            if name == "tags" and value != stored:  # stored by another path, maybe unsorted
                stored = members.join_tags(members.split_tags(stored))
            if name != "email" and value != stored:
                row.changes[name] = (current[name], value)
        if row.subscribed is not None and row.subscribed != bool(current["subscribed"]):
            row.changes["subscribed"] = (bool(current["subscribed"]), row.subscribed)
        if row.joined_at is not None and to_iso(row.joined_at) != current["joined_at"]:
            row.changes["joined_at"] = (from_iso(current["joined_at"]), row.joined_at)
        (updated if row.changes else unchanged).append(row)
    return new, updated, unchanged, rejected


def preview_import(db: Database, path: Path | str, *, now: datetime) -> ImportPreview:
    """Read and validate `path` against the database; write nothing.

    Raises UnusableInput when the file is not a CSV, is empty, or has no email column.
    `now` is accepted for symmetry with apply_import (and future date rules).
    """
    table = read_csv(path, ALIASES)
    if "email" not in table.columns.values():
        raise UnusableInput(
            _(
                "{path} has no email column (found: {headers}); name one of the columns "
                "email, e-mail, courriel or mail"
            ).format(path=table.path, headers=", ".join(h for h in table.headers if h) or "-")
        )
    accepted, rejected = _parse(table)
    new, updated, unchanged, archived = _classify(accepted, _existing(db))
    rejected = sorted(rejected + archived, key=lambda r: r.line)
    preview = ImportPreview(
        path=table.path,
        encoding=table.encoding,
        delimiter=table.delimiter,
        columns=dict(table.columns),
        new=new,
        updated=updated,
        unchanged=unchanged,
        rejected=rejected,
        warnings=list(table.warnings),
    )
    if "newsletter" not in table.columns.values():
        preview.warnings.append(
            _("no newsletter column: new members are subscribed, existing members keep theirs")
        )
    return preview


# -- apply ---------------------------------------------------------------------------------
def _insert_new(db: Database, rows: list[ImportRow], *, now: datetime, source: str) -> None:
    if not rows:
        return
    stamp = to_iso(now)
    editable = members.EDITABLE_FIELDS
    columns = (*members.EDITABLE_FIELDS, "subscribed", "joined_at", "unsubscribe_token")
    columns += ("search", "created_at", "updated_at")
    records = []
    tokens = members.new_tokens(len(rows))
    for row, token in zip(rows, tokens, strict=True):
        fields = row.fields
        subscribed = True if row.subscribed is None else row.subscribed
        records.append(
            (
                *[fields.get(k, "") for k in editable],
                int(subscribed),
                to_iso(row.joined_at) if row.joined_at else stamp,
                token,
                members.search_text(fields),
                stamp,
                stamp,
            )
        )
    first = members.insert_rows(db, columns, records)
    db.execute(
        "INSERT INTO consent_events (member_id, subscribed, at, source, detail) "
        "SELECT id, subscribed, ?, ?, '' FROM members WHERE id > ? ORDER BY id",
        (stamp, source, first - 1),
    )


def _update(
    db: Database, row: ImportRow, current: dict[str, Any], *, now: datetime, source: str
) -> None:
    sets: dict[str, Any] = {n: new for n, (_old, new) in row.changes.items() if n in COMPARED}
    if "joined_at" in row.changes:
        sets["joined_at"] = to_iso(row.joined_at)  # type: ignore[arg-type]
    search = members.search_text(current | sets)
    if search != current["search"]:
        sets["search"] = search  # only then does the search index need its update trigger
    sets["updated_at"] = to_iso(now)
    db.execute(
        f"UPDATE members SET {', '.join(f'{k} = ?' for k in sets)} WHERE id = ?",
        (*sets.values(), current["id"]),
    )
    if "subscribed" in row.changes:
        members.append_consent(db, current["id"], bool(row.subscribed), now=now, source=source)


def apply_import(db: Database, preview: ImportPreview, *, now: datetime) -> ImportResult:
    """Write the accepted rows of `preview` in ONE transaction (all or nothing).

    The rows are compared with the database again inside the transaction, so a change
    made by another session between preview and apply is taken into account.
    """
    rows = sorted(preview.new + preview.updated + preview.unchanged, key=lambda r: r.line)
    source = preview.source
    cache = db.scalar("PRAGMA cache_size")
    db.execute(f"PRAGMA cache_size = {members.BULK_CACHE_KIB}")  # indexes stay in memory
    try:
        with db.transaction():
            existing = _existing(db)
            new, updated, unchanged, archived = _classify(rows, existing)
            _insert_new(db, new, now=now, source=source)
            for row in updated:
                _update(db, row, existing[row.email.lower()], now=now, source=source)
    finally:
        db.execute(f"PRAGMA cache_size = {int(cache)}")
    rejected = sorted(preview.rejected + archived, key=lambda r: r.line)
    return ImportResult(len(new), len(updated), len(unchanged), rejected, source)


# -- export --------------------------------------------------------------------------------
def export_members(
    db: Database,
    path: Path | str,
    filt: MemberFilter = MemberFilter(),  # noqa: B008 - frozen, so a safe default
) -> int:
    """Write the members matching `filt` to `path`; return how many.

    UTF-8 with a BOM and `;` delimiters, so a French Excel opens it as a table; every
    field; tags joined with ","; newsletter yes/no; joined date ISO 8601 UTC. Importing the
    file back changes nothing.
    """
    path = Path(path)
    rows = members.query_members(db, filt, sort="name", limit=None)
    try:
        with open_private(path, "w", encoding="utf-8-sig", newline="") as fh:  # personal data
            writer = csv.writer(fh, delimiter=";", lineterminator="\r\n")
            writer.writerow([header for _name, header in EXPORT_HEADERS])
            for member in rows:
                writer.writerow(
                    [
                        member.email,
                        member.first_name,
                        member.last_name,
                        member.phone,
                        member.company,
                        member.job_title,
                        member.city,
                        ",".join(member.tags),
                        "yes" if member.subscribed else "no",
                        to_iso(member.joined_at) if member.joined_at else "",
                        member.notes,
                    ]
                )
    except OSError as exc:
        raise UnusableInput(
            _("cannot write {path}: {error}").format(path=path, error=exc.strerror or exc)
        ) from exc
    return len(rows)
