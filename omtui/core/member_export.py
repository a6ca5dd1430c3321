"""Export members to CSV, in two shapes: stable columns for scripts, or "for Excel".

    export_members(db, path, MemberFilter(tag="volunteer"))            # for scripts
    export_members(db, path, filt, excel=True, tz=tz, lang="fr")      # for a spreadsheet

Both are UTF-8 with a BOM and `;` separators (French Excel opens them as a table; the
English "for Excel" shape uses `,`, English Excel's separator), with
cells a spreadsheet would run as formulas protected (csvfile.neutralise), and both import
back unchanged (core/importer.py reads either set of headers).

- For scripts: English headers that never change (`email;first name;...`), tags joined
  with ",", newsletter yes/no, the joined moment in ISO 8601 UTC.
- For Excel: the headers in the interface's language (`Courriel;Prénom;Nom;...`), tags
  joined with ", ", newsletter oui/non (yes/no in English), the day the member joined in
  the club's time zone (31/03/2024 in French, 2024-03-31 in English: both read as dates by
  a spreadsheet of that language). The headers are fixed here, not translated through the
  catalogue, so a translation can never make an export unreadable by the import.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from zoneinfo import ZoneInfo

from omtui.core import members
from omtui.core.csvfile import neutralise
from omtui.core.dates import to_iso
from omtui.core.db import Database
from omtui.core.members import Member, MemberFilter
from omtui.errors import UnusableInput
from omtui.i18n import _, current_language
from omtui.paths import open_private

FIELDS = (
    "email",
    "first_name",
    "last_name",
    "phone",
    "company",
    "job_title",
    "city",
    "tags",
    "newsletter",
    "joined_at",
    "notes",
)
SCRIPT_HEADERS = (
    "email",
    "first name",
    "last name",
    "phone",
    "company",
    "job title",
    "city",
    "tags",
    "newsletter",
    "joined",
    "notes",
)
EXCEL_HEADERS: dict[str, tuple[str, ...]] = {
    "en": (
        "Email", "First name", "Last name", "Phone", "Company", "Job title", "City",
        "Tags", "Newsletter", "Member since", "Notes",
    ),
    "fr": (
        "Courriel", "Prénom", "Nom", "Téléphone", "Entreprise", "Poste", "Ville",
        "Étiquettes", "Newsletter", "Membre depuis", "Notes",
    ),
}  # fmt: skip
EXCEL_YES_NO = {"en": ("yes", "no"), "fr": ("oui", "non")}
EXCEL_DAY = {"en": "%Y-%m-%d", "fr": "%d/%m/%Y"}
EXCEL_DELIMITER = {"en": ",", "fr": ";"}
"""Excel splits a CSV at its list separator: `;` where the decimal mark is a comma."""


def _script_cells(member: Member) -> list[str]:
    return [
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


def _excel_cells(member: Member, lang: str, tz: ZoneInfo) -> list[str]:
    yes, no = EXCEL_YES_NO[lang]
    joined = member.joined_at.astimezone(tz).strftime(EXCEL_DAY[lang]) if member.joined_at else ""
    return [
        member.email,
        member.first_name,
        member.last_name,
        member.phone,
        member.company,
        member.job_title,
        member.city,
        ", ".join(member.tags),
        yes if member.subscribed else no,
        joined,
        member.notes,
    ]


def export_members(
    db: Database,
    path: Path | str,
    filt: MemberFilter = MemberFilter(),  # noqa: B008 - frozen, so a safe default
    *,
    excel: bool = False,
    tz: ZoneInfo | None = None,
    lang: str | None = None,
) -> int:
    """Write the members matching `filt` (not archived) to `path`, sorted by name; return
    how many. `excel` picks the spreadsheet shape, in `lang` (default: the interface's
    language) with days in `tz` (default UTC)."""
    path = Path(path)
    rows = members.query_members(db, filt, sort="name", limit=None)
    language = lang or current_language()
    if language not in EXCEL_HEADERS:
        language = "en"
    zone = tz or ZoneInfo("UTC")
    headers: Sequence[str] = EXCEL_HEADERS[language] if excel else SCRIPT_HEADERS
    try:
        with open_private(path, "w", encoding="utf-8-sig", newline="") as fh:  # personal data
            delimiter = EXCEL_DELIMITER[language] if excel else ";"
            writer = csv.writer(fh, delimiter=delimiter, lineterminator="\r\n")
            writer.writerow(headers)
            for member in rows:
                cells = _excel_cells(member, language, zone) if excel else _script_cells(member)
                writer.writerow([neutralise(cell) for cell in cells])
    except OSError as exc:
        raise UnusableInput(
            _("cannot write {path}: {error}").format(path=path, error=exc.strerror or exc)
        ) from exc
    return len(rows)
