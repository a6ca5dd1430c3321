"""Read a CSV file as a person's spreadsheet writes it, whatever its encoding and delimiter.

Generic: the members import and the event registrations import both use it. Files are
read as a stream (`open_csv`), so a 600,000-row file never sits in memory.

- Only regular files are read: a folder, a FIFO or a device (`/dev/zero`) is refused
  before reading, and a line longer than MAX_LINE_CHARS stops the reading.
- Encoding: UTF-8 with a BOM, UTF-8, or cp1252 (French Excel's "CSV (séparateur : point-virgule)"),
  UTF-16 with or without BOM (detected by its NUL bytes), each decoded strictly. A file
  mixing UTF-8 and cp1252 lines is refused, naming a line of each.
- Delimiter: `,`, `;` or tab, guessed from the header line (quotes respected).
- Headers are matched to fields through aliases, ignoring case, accents, spaces and
  punctuation ("Prénom", "PRENOM", "first name", "First_Name" are all the same key).
- Each row keeps the line number where it starts in the file (quoted newlines included),
  so a person can find it in their spreadsheet. Blank lines are skipped.

A file that is binary, empty, or has no header raises UnusableInput.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import os
import re
import stat
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

from omtui.core.numbers import format_number
from omtui.core.text import fold
from omtui.errors import UnusableInput
from omtui.i18n import _, ngettext

DELIMITERS = (",", ";", "\t")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet run a cell (OWASP's CSV injection list)."""
_PHONE = re.compile(r"[+0-9 .()-]*[0-9][+0-9 .()-]*")
MAX_BYTES = 200 * 1024 * 1024
MAX_LINE_CHARS = 1024 * 1024
"""A longer line (a header of 10,000 columns is ~150 kB) means this is no spreadsheet."""
CHUNK_BYTES = 1024 * 1024
LISTED_UNKNOWN = 3  # up to this many unknown columns get a warning each, more get one line
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
    cells: list[str] = field(default_factory=list)  # the row as written in the file


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
    digest: str = ""  # sha256 of the file's bytes


def _not_text(path: Path) -> UnusableInput:
    return UnusableInput(
        _("{path} is not a CSV file (it contains binary data); nothing was imported").format(
            path=path
        )
    )


def _open_regular(path: Path) -> BinaryIO:
    """Open `path` for reading if it is a regular file of acceptable size; never blocks.

    Checked on the open file (not on the name), so a FIFO or a device swapped in after a
    check is refused as well.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise UnusableInput(
            _("cannot read {path}: {error}").format(path=path, error=exc.strerror or exc)
        ) from exc
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise UnusableInput(
            _(
                "{path} is not a regular file (a folder, a pipe or a device); "
                "give the path of a CSV file; nothing was imported"
            ).format(path=path)
        )
    if info.st_size > MAX_BYTES:
        os.close(fd)
        raise UnusableInput(_("{path} is too large for a CSV import").format(path=path))
    os.set_blocking(fd, True)
    return os.fdopen(fd, "rb")


def _utf16_order(sample: bytes) -> str | None:
    """'utf-16-le' or 'utf-16-be' when NUL bytes sit at every other position, as in text
    saved as UTF-16 without a BOM; None otherwise."""
    sample = sample[: len(sample) // 2 * 2]
    even, odd = sample[0::2], sample[1::2]
    if len(odd) < 2:
        return None
    even_nul, odd_nul = even.count(0) / len(even), odd.count(0) / len(odd)
    if odd_nul > 0.7 and even_nul < 0.05:
        order = "utf-16-le"
    elif even_nul > 0.7 and odd_nul < 0.05:
        order = "utf-16-be"
    else:
        return None
    text = sample.decode(order, errors="replace")
    if any(ch < " " and ch not in "\t\r\n" for ch in text):
        return None  # control characters: binary data with NULs, not text
    return order


def _survey(fh: BinaryIO, path: Path) -> tuple[str, str]:
    """(encoding, sha256) of the whole file, read in chunks: every byte is checked to
    decode strictly in the encoding returned, so the rows never hold mojibake."""
    digest = hashlib.sha256()
    head = fh.read(CHUNK_BYTES)
    digest.update(head)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
    elif head.startswith(b"\xef\xbb\xbf"):
        encoding = "utf-8-sig"
    elif b"\x00" in head[:65536]:
        encoding = _utf16_order(head[:65536]) or ""
        if not encoding:
            raise _not_text(path)
    else:
        encoding = "utf-8"
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    chunk = head
    failed = False
    while chunk:
        if not failed:
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError:
                failed = True
        chunk = fh.read(CHUNK_BYTES)
        digest.update(chunk)
    if not failed:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            failed = True
    if not failed:
        return encoding, digest.hexdigest()
    if encoding == "utf-8":
        fh.seek(0)
        return _utf8_or_cp1252(fh, path), digest.hexdigest()
    if encoding.startswith("utf-16"):
        raise UnusableInput(
            _(
                "{path} looks like UTF-16 text but does not decode as such; save it as "
                '"CSV UTF-8" and try again; nothing was imported'
            ).format(path=path)
        )
    fh.seek(0)
    number = 0
    while line := fh.readline(MAX_LINE_CHARS * 4):
        number += 1
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            break
    raise UnusableInput(
        _(
            '{path} starts like UTF-8 but line {line} is not; save it as "CSV UTF-8" and '
            "try again; nothing was imported"
        ).format(path=path, line=number)
    )


def _utf8_or_cp1252(fh: BinaryIO, path: Path) -> str:
    """A file that is not all UTF-8: cp1252 if every line is, else say which line is what."""
    utf8_line = bad_line = 0
    number = 0
    while line := fh.readline(MAX_LINE_CHARS * 4):
        number += 1
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            bad_line = bad_line or number
        else:
            utf8_line = utf8_line or number
        try:
            line.decode("cp1252")
        except UnicodeDecodeError:
            raise UnusableInput(
                _(
                    "{path}: line {line} is neither UTF-8 nor Windows (cp1252) text; save the "
                    'file as "CSV UTF-8" and try again; nothing was imported'
                ).format(path=path, line=number)
            ) from None
        if utf8_line and bad_line:
            raise UnusableInput(
                _(
                    "{path} mixes encodings: line {utf8} is UTF-8 but line {other} is not "
                    '(Windows cp1252?); save the file as "CSV UTF-8" and try again; '
                    "nothing was imported"
                ).format(path=path, utf8=utf8_line, other=bad_line)
            )
    return "cp1252"


def decode(data: bytes, path: Path) -> tuple[str, str]:
    """(text, encoding name) of a whole file's bytes, by the rules of `open_csv`."""
    encoding, _digest = _survey(io.BytesIO(data), path)
    return data.decode(encoding), encoding


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


class CsvReader:
    """An open CSV file: `table` describes it (rows empty), iterating yields its CsvRows.

    Use as a context manager (`with open_csv(path, aliases) as reader:`). Raises
    UnusableInput for unreadable, binary, empty or oversized files and lines.
    """

    def __init__(self, path: Path | str, aliases: Mapping[str, str]) -> None:
        self.path = Path(path)
        self._raw = _open_regular(self.path)
        try:
            encoding, digest = _survey(self._raw, self.path)
            self._raw.seek(0)
            self._text = io.TextIOWrapper(self._raw, encoding=encoding, newline="")
            self._line = 0
            self._start_table(aliases, encoding, digest)
        except BaseException:
            self._raw.close()
            raise

    def _physical_lines(self) -> Iterator[str]:
        """The file's lines, each at most MAX_LINE_CHARS long (else UnusableInput)."""
        while line := self._text.readline(MAX_LINE_CHARS):
            self._line += 1
            if len(line) >= MAX_LINE_CHARS and not line.endswith("\n"):
                raise UnusableInput(
                    _(
                        "{path}: line {line} is longer than {limit} characters; "
                        "is it a CSV file? nothing was imported"
                    ).format(path=self.path, line=self._line, limit=format_number(MAX_LINE_CHARS))
                )
            yield line

    def _start_table(self, aliases: Mapping[str, str], encoding: str, digest: str) -> None:
        lines = self._physical_lines()
        try:
            first = next(ln for ln in lines if ln.strip())
        except StopIteration:
            raise UnusableInput(
                _("{path} is empty; nothing was imported").format(path=self.path)
            ) from None
        except UnicodeDecodeError as exc:
            raise _not_text(self.path) from exc
        self.delimiter = sniff_delimiter(first)
        first_number = self._line

        def source() -> Iterator[str]:
            yield first
            yield from lines

        self._reader = csv.reader(source(), delimiter=self.delimiter, strict=False)
        self._previous_end = first_number - 1
        cells = self._next_cells()
        assert cells is not None  # the first line is not blank
        headers = [c.strip() for c in cells]
        keyed = {header_key(k): v for k, v in aliases.items()}
        table = CsvTable(self.path, encoding, self.delimiter, headers, {}, [], digest=digest)
        self._positions: list[tuple[int, str]] = []
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
                self._positions.append((index, name))
        self._last_index = max((i for i, _name in self._positions), default=-1)
        unknown = table.unknown
        if len(unknown) <= LISTED_UNKNOWN:
            for header in unknown:
                table.warnings.append(
                    _("unknown column {header!r} was ignored").format(header=header)
                )
        else:
            shown = ", ".join(repr(h) for h in unknown[:LISTED_UNKNOWN])
            table.warnings.append(
                ngettext(
                    "{count} unknown column was ignored: {shown} ...",
                    "{count} unknown columns were ignored: {shown} ...",
                    len(unknown),
                ).format(count=format_number(len(unknown)), shown=shown)
            )
        self.table = table

    def _next_cells(self) -> list[str] | None:
        """The next non-blank record's cells (self._start set to its first line), or None."""
        try:
            for cells in self._reader:
                self._start = self._previous_end + 1
                self._previous_end = self._line
                if "".join(cells).strip():
                    return cells
        except csv.Error as exc:
            raise UnusableInput(
                _("{path} is not a readable CSV file (line {line}: {error})").format(
                    path=self.path, line=self._line, error=exc
                )
            ) from exc
        except UnicodeDecodeError as exc:  # the file changed since it was surveyed
            raise UnusableInput(
                _("{path} changed while it was read; nothing was imported").format(path=self.path)
            ) from exc
        return None

    def __iter__(self) -> Iterator[CsvRow]:
        positions, last_index = self._positions, self._last_index
        while (cells := self._next_cells()) is not None:
            if len(cells) > last_index:
                values = {name: cells[index] for index, name in positions}
            else:  # a short row: missing cells are empty
                values = {name: cells[i] if i < len(cells) else "" for i, name in positions}
            for name, value in values.items():
                if value[:1] == "'":
                    values[name] = restore(value)
            yield CsvRow(self._start, values, cells)

    def close(self) -> None:
        self._raw.close()

    def __enter__(self) -> CsvReader:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def open_csv(path: Path | str, aliases: Mapping[str, str]) -> CsvReader:
    """Open `path` for streaming, mapping headers to fields with `aliases` (header_key ->
    field name). Keys of `aliases` are compared through `header_key`, so they may be
    written naturally ("prénom", "e-mail"). When two headers map to the same field, the
    first wins and a warning says so."""
    return CsvReader(path, aliases)


def read_csv(path: Path | str, aliases: Mapping[str, str]) -> CsvTable:
    """The whole of `path` in memory (small files: event registrations); see open_csv."""
    with open_csv(path, aliases) as reader:
        table = reader.table
        table.rows = list(reader)
    return table
