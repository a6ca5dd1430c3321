"""Read a CSV file as a person's spreadsheet writes it, whatever its encoding and delimiter.

Generic: the members import and the event registrations import both use it.

- Encoding: UTF-8 with a BOM, UTF-8, or cp1252 (French Excel's "CSV (séparateur : point-virgule)").
- Delimiter: `,`, `;` or tab, guessed from the header line (quotes respected).
- Headers are matched to fields through aliases, ignoring case, accents, spaces and
  punctuation ("Prénom", "PRENOM", "first name", "First_Name" are all the same key).
- Each row keeps the line number where it starts in the file (quoted newlines included),
  so a person can find it in their spreadsheet. Blank lines are skipped.

A file that is binary, empty, or has no header raises UnusableInput.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from omtui.core.text import fold
from omtui.errors import UnusableInput
from omtui.i18n import _

DELIMITERS = (",", ";", "\t")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet run a cell (OWASP's CSV injection list)."""
_PHONE = re.compile(r"[+0-9 .()-]*[0-9][+0-9 .()-]*")
MAX_BYTES = 200 * 1024 * 1024
_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def neutralise(value: str) -> str:
    """A cell value a spreadsheet shows as text: a leading apostrophe before `=`, `+`, `-`,
    `@`, tab or CR (OWASP), except phone numbers (only `+`, digits, spaces, dots, dashes,
    parentheses). Values that already start with apostrophes before such a character get
    one more, so `restore()` gives every value back exactly."""
    if value.lstrip("'").startswith(FORMULA_STARTS) and not _PHONE.fullmatch(value):
        return "'" + value
    return value


def restore(cell: str) -> str:
    """The value `neutralise()` protected: one leading apostrophe removed when what follows
    it (after any further apostrophes) starts like a formula."""
    if cell.startswith("'") and cell.lstrip("'").startswith(FORMULA_STARTS):
        return cell[1:]
    return cell


def header_key(header: str) -> str:
    """The comparable form of a header: "Prénom " -> "prenom", "E-mail" -> "email"."""
    return _NON_ALNUM.sub("", fold(header))


@dataclass
class CsvRow:
    """One record: the line it starts on and its values by field name (missing => "")."""

    line: int
    values: dict[str, str]


@dataclass
class CsvTable:
    """A decoded file: how it was read, which header became which field, and its rows."""

    path: Path
    encoding: str
    delimiter: str
    headers: list[str]
    columns: dict[str, str]  # original header -> field
    unknown: list[str]  # headers that map to no field (ignored)
    rows: list[CsvRow] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def decode(data: bytes, path: Path) -> tuple[str, str]:
    """(text, encoding name): UTF-8 with BOM, UTF-8, else cp1252; UnusableInput if binary.

    UTF-16 with a BOM (Excel's "Unicode text") is read too.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            pass  # not text after all: the binary check below says so
    if b"\x00" in data[:65536]:
        raise UnusableInput(
            _("{path} is not a CSV file (it contains binary data); nothing was imported").format(
                path=path
            )
        )
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise UnusableInput(
                _("{path} starts like UTF-8 but is not ({error}); nothing was imported").format(
                    path=path, error=exc
                )
            ) from exc
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError as exc:
        raise UnusableInput(
            _(
                "{path} is neither UTF-8 nor Windows (cp1252) text; save it as "
                '"CSV UTF-8" and try again'
            ).format(path=path)
        ) from exc


def sniff_delimiter(first_line: str) -> str:
    """The delimiter (`,` `;` or tab) that occurs most often outside quotes in the header."""
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for ch in first_line:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def read_csv(path: Path | str, aliases: Mapping[str, str]) -> CsvTable:
    """Read `path`, mapping headers to fields with `aliases` (header_key -> field name).

    Keys of `aliases` are compared through `header_key`, so they may be written naturally
    ("prénom", "e-mail"). When two headers map to the same field, the first wins and a
    warning says so. Raises UnusableInput for unreadable, binary or empty files.
    """
    path = Path(path)
    try:
        if path.stat().st_size > MAX_BYTES:
            raise UnusableInput(_("{path} is too large for a CSV import").format(path=path))
        data = path.read_bytes()
    except OSError as exc:
        raise UnusableInput(
            _("cannot read {path}: {error}").format(path=path, error=exc.strerror or exc)
        ) from exc
    text, encoding = decode(data, path)
    first_line = next((ln for ln in io.StringIO(text) if ln.strip()), "")
    if not first_line:
        raise UnusableInput(_("{path} is empty; nothing was imported").format(path=path))
    delimiter = sniff_delimiter(first_line)
    keyed = {header_key(k): v for k, v in aliases.items()}

    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    headers: list[str] | None = None
    table: CsvTable | None = None
    positions: list[tuple[int, str]] = []
    last_index = -1
    previous_end = 0
    try:
        for cells in reader:
            start = previous_end + 1
            previous_end = reader.line_num
            if not "".join(cells).strip():
                continue  # blank line (or a row of empty cells)
            if headers is None:
                headers = [c.strip() for c in cells]
                table = CsvTable(path, encoding, delimiter, headers, {}, [])
                for index, header in enumerate(headers):
                    name = keyed.get(header_key(header))
                    if name is None:
                        if header:
                            table.unknown.append(header)
                    elif name in table.columns.values():
                        table.warnings.append(
                            _("column {header!r} repeats {field!r}; it was ignored").format(
                                header=header, field=name
                            )
                        )
                    else:
                        table.columns[header] = name
                        positions.append((index, name))
                last_index = max((i for i, _name in positions), default=-1)
                continue
            assert table is not None
            if len(cells) > last_index:
                values = {name: restore(cells[index]) for index, name in positions}
            else:  # a short row: missing cells are empty
                values = {
                    name: restore(cells[i]) if i < len(cells) else "" for i, name in positions
                }
            table.rows.append(CsvRow(start, values))
    except csv.Error as exc:
        raise UnusableInput(
            _("{path} is not a readable CSV file (line {line}: {error})").format(
                path=path, line=reader.line_num, error=exc
            )
        ) from exc
    if table is None:
        raise UnusableInput(_("{path} is empty; nothing was imported").format(path=path))
    for header in table.unknown:
        table.warnings.append(_("unknown column {header!r} was ignored").format(header=header))
    return table
