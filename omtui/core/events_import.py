"""Import an event's registrations from a form tool's CSV export.

The file is read by the members import's reader (omtui.core.csvfile: encoding, delimiter
and header detection). Rows are registered in file order (the order people answered),
all in one transaction; emails that are not members are listed, never turned into members.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from omtui.core import events as ev
from omtui.core import members
from omtui.core.csvfile import read_csv
from omtui.core.db import Database
from omtui.errors import OmtuiError, UnusableInput, ValidationError
from omtui.i18n import _

ALIASES = {
    "email": "email",
    "e-mail": "email",
    "mail": "email",
    "courriel": "email",
    "adresse e-mail": "email",
    "adresse email": "email",
    "adresse mail": "email",
    "email address": "email",
    "e-mail address": "email",
    "votre email": "email",
    "votre e-mail": "email",
    "votre adresse e-mail": "email",
    "your email": "email",
    "prénom": "first_name",
    "first name": "first_name",
    "nom": "last_name",
    "last name": "last_name",
}


@dataclass
class ImportReport:
    """What an import did (or would do, with dry_run)."""

    event: ev.Event
    encoding: str = ""
    delimiter: str = ""
    registered: list[str] = field(default_factory=list)  # emails given a seat
    waiting: list[str] = field(default_factory=list)  # emails put on the waiting list
    already: list[str] = field(default_factory=list)  # already registered or waiting
    unknown: list[tuple[int, str]] = field(default_factory=list)  # (line, email): no member
    invalid: list[tuple[int, str, str]] = field(default_factory=list)  # (line, value, why)
    warnings: list[str] = field(default_factory=list)

    @property
    def problems(self) -> int:
        return len(self.unknown) + len(self.invalid)


class _DryRun(Exception):
    """Raised inside the transaction to roll a dry run back."""


def import_registrations(
    db: Database, event_id: int, path: Path | str, *, now: datetime, dry_run: bool = False
) -> ImportReport:
    """Register every member whose email appears in the CSV, in file order.

    Raises UnusableInput (nothing written) when the file cannot be read or has no email
    column, OmtuiError when the event is cancelled or over.
    """
    event = ev.get_event(db, event_id)
    if event.cancelled:
        raise OmtuiError(_("{title} is cancelled; nothing was imported").format(title=event.title))
    if event.is_past(now):
        raise OmtuiError(
            _("{title} has already ended; nothing was imported").format(title=event.title)
        )
    table = read_csv(path, ALIASES)
    if "email" not in table.columns.values():
        raise UnusableInput(
            _("{path} has no email column (found: {headers}); nothing was imported").format(
                path=path, headers=", ".join(table.headers) or "-"
            )
        )
    report = ImportReport(
        event=event,
        encoding=table.encoding,
        delimiter=table.delimiter,
        # A form export has many other columns (questions, timestamps): not worth a warning.
        warnings=[w for w in table.warnings if not any(repr(h) in w for h in table.unknown)],
    )
    seen: set[str] = set()
    try:
        with db.transaction():
            for row in table.rows:
                _import_row(db, report, row.line, row.values.get("email", ""), seen, now)
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    return report


def _import_row(
    db: Database, report: ImportReport, line: int, raw: str, seen: set[str], now: datetime
) -> None:
    if not raw.strip():
        report.invalid.append((line, raw, _("no email")))
        return
    try:
        email = members.normalise_email(raw)
    except ValidationError as exc:
        report.invalid.append((line, raw.strip(), str(exc)))
        return
    if members.email_key(email) in seen:
        report.already.append(email)
        return
    seen.add(members.email_key(email))
    member = members.find_by_email(db, email)
    if member is None:
        report.unknown.append((line, email))
        return
    try:
        reg = ev.register(db, report.event.id, member.id, now=now, source="import")
    except ev.AlreadyRegistered:
        report.already.append(member.email)
        return
    except OmtuiError as exc:  # e.g. an archived member
        report.invalid.append((line, email, str(exc)))
        return
    (report.registered if reg.status == "registered" else report.waiting).append(member.email)
