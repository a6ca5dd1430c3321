"""Import members from a CSV file (preview, then apply in one transaction) and export them.

API (the CLI and the TUI import screen both use it)::

    preview = preview_import(db, path, now=now)   # reads and validates; writes nothing
    preview.counts      # {"new": 3, "updated": 1, "unchanged": 10, "rejected": 2}
    preview.rejected    # the first rejected rows: [RejectedRow(line=7, reason="...", email="...")]
    preview.row_warnings  # rows imported without a bad optional value (same shape)
    preview.warnings    # ["unknown column 'Fax' was ignored"]
    preview.save_rejects(path)                    # every rejected row, with its reason
    result = apply_import(db, preview, now=now)   # one transaction; result.counts likewise
    export_members(db, path, MemberFilter(tag="volunteer"))  # core/member_export.py

The file is read as a stream: memory holds the counts, the first KEEP_ROWS rejected
rows and warnings, and one key per accepted row (to find the same email twice). The
accepted rows wait in a temporary file for apply_import, every rejected row in another
for save_rejects.

Rules (also in the README, section Members):
- Upsert by email, compared through members.email_key (case-folded, NFC); a second row
  with the same email is rejected.
- An empty cell never wipes what the database holds: only non-empty cells are compared
  and written (clear a field in the member form instead).
- Non-empty tags replace the member's tags.
- Newsletter column: oui/non, yes/no, 1/0, true/false, x/empty. Without a newsletter
  column, new members are subscribed and existing members keep their state. A change
  appends a consent event with source "import:<file name>"; history is never rewritten.
  A value it cannot read rejects the row (guessing could subscribe someone).
- Joined date: 31/03/2024, 2024/03/31 or 2024-03-31, a time optional; an unreadable one
  is a warning on its line and the member is imported without it. A day without a time
  (what an export "for Excel" writes) is a day in the club's time zone (`tz`): it changes
  nothing for a member who joined that day, and is midnight for a new member.
- Archived members are rejected ("archived member, restore first"), never resurrected.
- A cell that an export protected with a leading apostrophe (csvfile.neutralise) is
  read without it.
- A file that is not a CSV, is empty, or has no email column raises UnusableInput.
"""

from __future__ import annotations

import csv
import heapq
import os
import pickle
import re
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

from omtui.core import audit, members
from omtui.core.csvfile import CsvReader, CsvRow, neutralise, open_csv, restore
from omtui.core.dates import from_iso, to_iso
from omtui.core.db import Database
from omtui.core.member_export import export_members  # noqa: F401 - its old home
from omtui.core.privacy import erase
from omtui.core.text import clean_cells, fold
from omtui.errors import UnusableInput, ValidationError
from omtui.i18n import _

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
    # the two columns save_rejects adds: read back without a warning, and ignored
    "_rejected_line": ("rejected line", "ligne rejetée"),
    "_rejected_reason": ("rejected reason", "motif du rejet"),
}  # fmt: skip
ALIASES = {alias: name for name, aliases in FIELD_ALIASES.items() for alias in aliases}
YES = frozenset({"oui", "o", "yes", "y", "1", "true", "vrai", "x", "subscribed", "abonne"})
NO = frozenset({"non", "n", "no", "0", "false", "faux", "", "unsubscribed", "desabonne"})
COMPARED = ("first_name", "last_name", "phone", "company", "job_title", "city", "tags", "notes")
KEEP_ROWS = 1000
"""Rejected rows (and row warnings) kept in memory to show; the rest are counted and spooled."""
CHUNK_ROWS = 500  # rows looked up in the database at once
FIRST_YEAR, LAST_YEAR = 1900, 2100  # a joined date outside these years is a typo

_PLAIN = frozenset(COMPARED) - {"tags", "notes"}  # whitespace collapsed, like the form
_DATE = re.compile(
    r"(?:(?P<d>\d{1,2})/(?P<m>\d{1,2})/(?P<y>\d{4})"  # 31/03/2024
    r"|(?P<y2>\d{4})[/-](?P<m2>\d{1,2})[/-](?P<d2>\d{1,2}))"  # 2024/03/31, 2024-03-31
    r"(?:[ T]+(?P<H>\d{1,2})[:h](?P<M>\d{2})(?::(?P<S>\d{2})(?:\.\d+)?)?)?"  # 14:30[:00]
)


@dataclass(frozen=True)
class RejectedRow:
    """A row that will not be imported (or, as a row warning, was imported without a bad
    value): its line in the file, why, and its email if any."""

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
    joined_day: bool = False  # the file gave a day, no time: compared as a day in `tz`
    member_id: int | None = None
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # field -> (old, new)
    cells: list[str] = field(default_factory=list)  # the row as written (for save_rejects)
    key: str = ""  # members.email_key(email)


def _owner_only(path: str, flags: int) -> int:
    """Open a new file readable by its owner only: it holds members' personal data."""
    return os.open(path, flags, 0o600)


class RejectSpool:
    """Rejected rows in line order: all counted and written to a temporary file with
    their cells, the first KEEP_ROWS also kept in memory (`kept`)."""

    def __init__(self) -> None:
        self.kept: list[RejectedRow] = []
        self.count = 0
        self._file: IO[str] = tempfile.NamedTemporaryFile(  # noqa: SIM115 - lives with the spool
            "w", encoding="utf-8", newline="", prefix="omtui-rejects-", suffix=".csv"
        )
        self._writer = csv.writer(self._file)

    def add(self, rejected: RejectedRow, cells: list[str]) -> None:
        self.count += 1
        if len(self.kept) < KEEP_ROWS:
            self.kept.append(rejected)
        self._writer.writerow([rejected.line, rejected.reason, rejected.email, *cells])

    def __iter__(self) -> Iterator[tuple[RejectedRow, list[str]]]:
        self._file.flush()
        with open(self._file.name, encoding="utf-8", newline="") as fh:  # its own position
            for line, reason, email, *cells in csv.reader(fh):
                yield RejectedRow(int(line), reason, email), cells


class Rejections:
    """The rejected rows of an import: those the file's content rejects (`parsed`, never
    checked again) and those the database rejects (`found`: archived members; checked
    again when applying), shown merged in line order."""

    def __init__(self, headers: list[str], parsed: RejectSpool | None = None) -> None:
        self.headers = headers
        self.parsed = parsed if parsed is not None else RejectSpool()
        self.found = RejectSpool()

    @property
    def count(self) -> int:
        return self.parsed.count + self.found.count

    @property
    def kept(self) -> list[RejectedRow]:
        """The first KEEP_ROWS rejected rows, in line order."""
        merged = heapq.merge(self.parsed.kept, self.found.kept, key=lambda r: r.line)
        return list(islice(merged, KEEP_ROWS))

    def __iter__(self) -> Iterator[tuple[RejectedRow, list[str]]]:
        return heapq.merge(self.parsed, self.found, key=lambda item: item[0].line)

    def save(self, path: Path | str) -> int:
        """Write every rejected row as a CSV the organiser can fix and import again: the
        file's own columns plus the line and the reason (UTF-8 with BOM, `;`, cells a
        spreadsheet would run protected like an export). Returns the number of rows."""
        path = Path(path)
        try:
            with open(path, "w", encoding="utf-8-sig", newline="", opener=_owner_only) as fh:
                writer = csv.writer(fh, delimiter=";", lineterminator="\r\n")
                writer.writerow([*self.headers, _("rejected line"), _("rejected reason")])
                width = len(self.headers)
                for row, cells in self:
                    cells = [neutralise(restore(c)) for c in cells[:width]]
                    cells += [""] * (width - len(cells))
                    writer.writerow([*cells, str(row.line), neutralise(row.reason)])
        except OSError as exc:
            raise UnusableInput(
                _("cannot write {path}: {error}").format(path=path, error=exc.strerror or exc)
            ) from exc
        return self.count


@dataclass
class ImportPreview:
    """What an import would do; nothing has been written yet.

    `rejected`, `updated` and `row_warnings` hold at most KEEP_ROWS rows each; `counts`
    and `row_warning_count` count them all.
    """

    path: Path
    encoding: str
    delimiter: str
    columns: dict[str, str]  # header -> field
    counts: dict[str, int] = field(
        default_factory=lambda: {"new": 0, "updated": 0, "unchanged": 0, "rejected": 0}
    )
    rejected: list[RejectedRow] = field(default_factory=list)
    updated: list[ImportRow] = field(default_factory=list)  # the first ones, with changes
    warnings: list[str] = field(default_factory=list)
    row_warnings: list[RejectedRow] = field(default_factory=list)
    row_warning_count: int = 0
    rejects: Rejections | None = field(default=None, repr=False)
    accepted: IO[bytes] | None = field(default=None, repr=False)  # pickled ImportRow chunks
    erased: list[str] = field(default_factory=list)
    """Addresses erased at the person's request and brought back by allow_erased."""
    tz: ZoneInfo | None = None  # the club's zone, for joined days without a time

    @property
    def source(self) -> str:
        """The consent source recorded for this import: "import:<file name>"."""
        return f"import:{self.path.name}"

    def save_rejects(self, path: Path | str) -> int:
        """Write every rejected row to `path` (see RejectSpool.save); return how many."""
        assert self.rejects is not None
        return self.rejects.save(path)

    def keep_accepted(self, chunk: list[ImportRow]) -> None:
        """Spool accepted rows for apply_import (tuples: several times faster to pickle)."""
        assert self.accepted is not None
        rows = [
            (r.line, r.email, r.fields, r.subscribed, r.joined_at, r.joined_day, r.cells, r.key)
            for r in chunk
        ]
        pickle.dump(rows, self.accepted, protocol=pickle.HIGHEST_PROTOCOL)

    def accepted_chunks(self) -> Iterator[list[ImportRow]]:
        if self.accepted is None:
            return
        self.accepted.seek(0)
        while True:
            try:
                rows = pickle.load(self.accepted)
            except EOFError:
                return
            yield [
                ImportRow(line, email, fields, subscribed, joined, day, cells=cells, key=key)
                for line, email, fields, subscribed, joined, day, cells, key in rows
            ]


@dataclass
class ImportResult:
    """What an import did (the same counts as its preview, checked again at apply time)."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[RejectedRow] = field(default_factory=list)  # the first KEEP_ROWS
    source: str = ""
    rejected_count: int = 0
    rejects: Rejections | None = field(default=None, repr=False)

    @property
    def counts(self) -> dict[str, int]:
        return {
            "new": self.new,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected_count,
        }

    def save_rejects(self, path: Path | str) -> int:
        assert self.rejects is not None
        return self.rejects.save(path)


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
    """31/03/2024, 2024/03/31 or 2024-03-31, optionally with a time (14:30, 14:30:00,
    14h30), or ISO 8601 with an offset. Without an offset the time is UTC. ValueError
    when unreadable or outside FIRST_YEAR..LAST_YEAR."""
    text = raw.strip()
    match = _DATE.fullmatch(text)
    try:
        if match:
            g = match.groupdict()
            moment = datetime(
                int(g["y"] or g["y2"]),
                int(g["m"] or g["m2"]),
                int(g["d"] or g["d2"]),
                int(g["H"] or 0),
                int(g["M"] or 0),
                int(g["S"] or 0),
                tzinfo=UTC,
            )
        else:
            moment = from_iso(text).replace(microsecond=0)
    except OverflowError as exc:  # an offset pushing year 1 or 9999 out of range
        raise ValueError(text) from exc
    if not FIRST_YEAR <= moment.year <= LAST_YEAR:
        raise ValueError(text)
    return moment


def _day_only(raw: str) -> bool:
    """True when a joined cell gives a day without a time (31/03/2024, 2024-03-31)."""
    match = _DATE.fullmatch(raw.strip())
    return match is not None and match["H"] is None


def _clean_row(
    values: dict[str, str], tz: ZoneInfo | None = None
) -> tuple[dict[str, str], bool | None, datetime | None, str]:
    """Validate one row's cells: (fields, subscribed, joined, warning).

    A joined day without a time is midnight in `tz` (UTC when None).

    Raises ValidationError/ValueError with a reason when the row cannot be imported; a
    bad optional value gives a warning instead and is left out.
    """
    values = clean_cells(values)  # no control characters, names in NFC (core/text.py)
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
    warning = ""
    if values.get("joined_at", "").strip():
        try:
            joined = parse_joined(values["joined_at"])
            if tz is not None and _day_only(values["joined_at"]):
                joined = joined.replace(tzinfo=tz).astimezone(UTC)
        except ValueError:
            warning = _(
                "unreadable joined date {value!r} (use 31/03/2024, 2024/03/31 or "
                "2024-03-31); imported without it"
            ).format(value=values["joined_at"])
    return fields, subscribed, joined, warning


_STORED = (
    "id",
    "email",
    "email_key",
    *COMPARED,
    "subscribed",
    "joined_at",
    "archived_at",
    "search",
)


def _lookup(
    db: Database, keys: list[str], ids: dict[str, list[int]] | None = None
) -> dict[str, list[dict[str, Any]]]:
    """The stored members whose email key is one of `keys`, by key: through the email key
    index, or through `ids` (key -> member ids) while a bulk insert has dropped it."""
    found: dict[str, list[dict[str, Any]]] = {}
    wanted: list[Any] = keys
    column = "email_key"
    if ids is not None:
        wanted = [i for key in keys for i in ids.get(key, ())]
        column = "id"
    if not wanted:
        return found
    rows = db.query(
        f"SELECT {', '.join(_STORED)} FROM members WHERE {column} IN "
        f"({', '.join('?' * len(wanted))}) ORDER BY archived_at IS NOT NULL, id",
        tuple(wanted),
    )
    for row in rows:
        found.setdefault(row["email_key"], []).append(row)
    return found


def _same_day(stored: str, row: ImportRow, tz: ZoneInfo | None) -> bool:
    """Whether a joined day without a time (row.joined_day) is the day `stored` falls on."""
    assert row.joined_at is not None
    zone = tz or UTC
    return from_iso(stored).astimezone(zone).date() == row.joined_at.astimezone(zone).date()


def _classify(
    rows: list[ImportRow], existing: dict[str, list[dict[str, Any]]], tz: ZoneInfo | None = None
) -> tuple[list[ImportRow], list[ImportRow], list[ImportRow], list[RejectedRow]]:
    new: list[ImportRow] = []
    updated: list[ImportRow] = []
    unchanged: list[ImportRow] = []
    rejected: list[RejectedRow] = []
    for row in rows:
        matches = existing.get(row.key, [])
        row.changes = {}
        row.member_id = None
        if not matches:
            new.append(row)
            continue
        live = [m for m in matches if m["archived_at"] is None]
        if len(live) > 1:
            rejected.append(
                RejectedRow(
                    row.line,
                    _(
                        "{email} matches {count} members whose addresses differ only by "
                        "case ({ids}); merge them first (omtui members duplicates)"
                    ).format(
                        email=row.email,
                        count=len(live),
                        ids=", ".join(f"#{m['id']}" for m in live),
                    ),
                    row.email,
                )
            )
            continue
        current = live[0] if live else matches[0]
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
        joined = row.joined_at
        if (
            joined is not None
            and to_iso(joined) != current["joined_at"]
            and not (row.joined_day and _same_day(current["joined_at"], row, tz))
        ):
            row.changes["joined_at"] = (from_iso(current["joined_at"]), joined)
        (updated if row.changes else unchanged).append(row)
    return new, updated, unchanged, rejected


def _parse_row(
    row: CsvRow, seen: dict[str, int], tz: ZoneInfo | None = None
) -> tuple[ImportRow | None, RejectedRow | None, str]:
    """(accepted row, rejection, warning) for one CSV row; `seen` maps keys to lines."""
    raw_email = row.values.get("email", "").strip()
    if not raw_email:
        return None, RejectedRow(row.line, _("missing email"), ""), ""
    try:
        fields, subscribed, joined, warning = _clean_row(row.values, tz)
    except (ValidationError, ValueError) as exc:
        return None, RejectedRow(row.line, str(exc), raw_email), ""
    key = members.email_key(fields["email"])
    first = seen.setdefault(key, row.line)
    if first != row.line:
        reason = _("duplicate email (already on line {line})").format(line=first)
        return None, RejectedRow(row.line, reason, fields["email"]), ""
    day = joined is not None and _day_only(row.values.get("joined_at", ""))
    accepted = ImportRow(
        row.line, fields["email"], fields, subscribed, joined, day, cells=row.cells, key=key
    )
    return accepted, None, warning


def _chunks(
    reader: CsvReader, preview: ImportPreview, is_erased: Callable[[str], bool], allow: bool
) -> Iterator[list[ImportRow]]:
    """The accepted rows in chunks of CHUNK_ROWS; rejections and warnings go to `preview`."""
    assert preview.rejects is not None
    seen: dict[str, int] = {}
    chunk: list[ImportRow] = []
    for row in reader:
        accepted, rejected, warning = _parse_row(row, seen, preview.tz)
        if accepted is not None and is_erased(accepted.email):  # see core/privacy/erase.py
            if allow:
                preview.erased.append(accepted.email)
            else:
                reason = _("erased at the person's request; not imported (--allow-erased)")
                rejected = RejectedRow(row.line, reason, accepted.email)
        if rejected is not None:
            preview.rejects.parsed.add(rejected, row.cells)
            continue
        assert accepted is not None
        if warning:
            preview.row_warning_count += 1
            if len(preview.row_warnings) < KEEP_ROWS:
                preview.row_warnings.append(RejectedRow(row.line, warning, accepted.email))
        chunk.append(accepted)
        if len(chunk) >= CHUNK_ROWS:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def preview_import(
    db: Database,
    path: Path | str,
    *,
    now: datetime,
    allow_erased: bool = False,
    tz: ZoneInfo | None = None,
) -> ImportPreview:
    """Read and validate `path` against the database, as a stream; write nothing.

    `tz` is the club's time zone: a joined day without a time is a day there.

    Raises UnusableInput when the file is not a CSV, is empty, or has no email column.
    `now` is accepted for symmetry with apply_import (and future date rules).
    """
    with open_csv(path, ALIASES) as reader:
        table = reader.table
        if "email" not in table.columns.values():
            raise UnusableInput(
                _(
                    "{path} has no email column (found: {headers}); name one of the columns "
                    "email, e-mail, courriel or mail"
                ).format(
                    path=table.path,
                    headers=", ".join(h for h in table.headers[:20] if h) or "-",
                )
            )
        preview = ImportPreview(
            path=table.path,
            encoding=table.encoding,
            delimiter=table.delimiter,
            columns={h: f for h, f in table.columns.items() if not f.startswith("_")},
            warnings=list(table.warnings),
            rejects=Rejections(table.headers),
            accepted=tempfile.TemporaryFile(),  # noqa: SIM115 - lives with the preview
            tz=tz,
        )
        assert preview.rejects is not None and preview.accepted is not None
        counts = preview.counts
        for chunk in _chunks(reader, preview, erase.erased_checker(db), allow_erased):
            new, updated, unchanged, rejected = _classify(chunk, _lookup(db, _keys(chunk)), tz)
            counts["new"] += len(new)
            counts["updated"] += len(updated)
            counts["unchanged"] += len(unchanged)
            preview.updated += updated[: KEEP_ROWS - len(preview.updated)]
            cells = {row.line: row.cells for row in chunk} if rejected else {}
            for reject in rejected:  # by the database: the row stays, for apply to check
                preview.rejects.found.add(reject, cells[reject.line])
            for row in new:  # their cells are needed only if apply finds them taken
                row.cells = []
            preview.keep_accepted(chunk)
    counts["rejected"] = preview.rejects.count
    preview.rejected = preview.rejects.kept
    if "newsletter" not in table.columns.values():
        preview.warnings.append(
            _("no newsletter column: new members are subscribed, existing members keep theirs")
        )
    return preview


def _keys(chunk: list[ImportRow]) -> list[str]:
    return list({row.key for row in chunk})


# -- apply ---------------------------------------------------------------------------------
_NEW_COLUMNS = (
    *members.EDITABLE_FIELDS,
    *("subscribed", "joined_at", "unsubscribe_token", "search", "created_at", "updated_at"),
    "email_key",
)


def _records(rows: list[ImportRow], stamp: str) -> list[tuple]:
    editable = members.EDITABLE_FIELDS
    records = []
    for row, token in zip(rows, members.new_tokens(len(rows)), strict=True):
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
                row.key,
            )
        )
    return records


def _update(
    db: Database, row: ImportRow, current: dict[str, Any], *, now: datetime, source: str
) -> None:
    sets: dict[str, Any] = {n: new for n, (_old, new) in row.changes.items() if n in COMPARED}
    if "joined_at" in row.changes:
        sets["joined_at"] = to_iso(row.joined_at)  # type: ignore[arg-type]
    search = members.search_text(current | sets)
    if search != current["search"]:
        sets["search"] = search  # only then does the search index need its update trigger
    if members.SORT_SOURCES & sets.keys():
        sets.update(members.sort_keys(current | sets))
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
    source = preview.source
    stamp = to_iso(now)
    result = ImportResult(source=source)
    assert preview.rejects is not None
    rejects = Rejections(preview.rejects.headers, preview.rejects.parsed)
    with db.transaction():
        stored = db.scalar("SELECT count(*) FROM members")
        rebuild = preview.counts["new"] >= max(members.BULK_ROWS, stored)
        ids: dict[str, list[int]] | None = None
        if rebuild:  # the indexes go: look members up in memory (fewer than the file's rows)
            ids = {}
            for key, member_id in db.execute("SELECT email_key, id FROM members"):
                ids.setdefault(key, []).append(member_id)
        with members.BulkInsert(db, _NEW_COLUMNS, rebuild=rebuild) as inserter:
            for chunk in preview.accepted_chunks():
                existing = _lookup(db, _keys(chunk), ids)
                new, updated, unchanged, rejected = _classify(chunk, existing, preview.tz)
                inserter.add(_records(new, stamp))
                for row in updated:
                    current = next(m for m in existing[row.key] if m["id"] == row.member_id)
                    _update(db, row, current, now=now, source=source)
                result.new += len(new)
                result.updated += len(updated)
                result.unchanged += len(unchanged)
                by_line = {row.line: row for row in chunk} if rejected else {}
                for reject in rejected:
                    taken = by_line[reject.line]
                    rejects.found.add(reject, taken.cells or _cells_of(taken, preview, rejects))
        if inserter.count:
            db.execute(
                "INSERT INTO consent_events (member_id, subscribed, at, source, detail) "
                "SELECT id, subscribed, ?, ?, '' FROM members WHERE id >= ? ORDER BY id",
                (stamp, source, inserter.first),
            )
        erase.forget(db, preview.erased)  # they asked to come back
        audit.record(
            db, "member.import", detail=f"new={result.new} updated={result.updated}", now=now
        )
    result.rejects = rejects
    result.rejected = rejects.kept
    result.rejected_count = rejects.count
    return result


def _cells_of(row: ImportRow, preview: ImportPreview, rejects: Rejections) -> list[str]:
    """A row's cells rebuilt from its values, for a row spooled without them."""
    values = {**row.fields}
    if row.subscribed is not None:
        values["newsletter"] = "oui" if row.subscribed else "non"
    if row.joined_at is not None:
        values["joined_at"] = to_iso(row.joined_at)
    return [values.get(preview.columns.get(h, ""), "") for h in rejects.headers]
