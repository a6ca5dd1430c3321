"""Text helpers shared by search, import, sorting, and what reaches a terminal."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from functools import lru_cache

# Letters that are not a base letter plus accents, so NFKD leaves them whole: a French
# keyboard has no œ key, so "coeur" must find "Cœur" and "Œuvray" sorts as "Oeuvray".
# Typographic apostrophes and hyphens (word processors put them in names) read as the
# keyboard's, so "d'Arc" finds "d’Arc" and both sort together.
_LETTERS = str.maketrans(
    {
        "œ": "oe", "æ": "ae", "ø": "o", "ł": "l", "đ": "d", "ð": "d",
        "\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u2010": "-", "\u2011": "-",
    }
)  # fmt: skip


def fold(text: str | None) -> str:
    """Lower-case `text`, strip accents and spell out ligatures: "Cœur Hélène" -> "coeur helene".

    Used on both sides of a search (the stored text and what is typed) and as the first
    level of alphabetical order (see sort_key).
    """
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_LETTERS))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


# -- control characters and Unicode normal form -------------------------------------------
# C0 (but tab and newline), DEL and C1: what a terminal may act on instead of showing.
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_CONTROLS_ONE_LINE = re.compile("[\x00-\x1f\x7f-\x9f]")
_CONTROLS_BUT_US = re.compile("[\x00-\x08\x0b-\x1e\x7f-\x9f]")


def has_controls(text: str) -> bool:
    """Whether `text` holds a C0/C1 control character other than tab and newline."""
    return _CONTROLS.search(text) is not None


def clean_text(value: object, *, multiline: bool = False) -> str:
    """What omtui stores for a value typed or imported: NFC, no control characters.

    Control characters (NUL, BEL, ESC and the rest of C0, DEL, C1) are dropped: they have
    no place in a name and could command a terminal that shows it. With `multiline`
    (notes) newlines, tabs and carriage returns stay (notes round-trip as written);
    otherwise tabs and newlines become spaces. Names are stored composed (NFC), so an
    "é" typed and one imported compare equal.
    """
    text = "" if value is None else str(value)
    if multiline:
        if _CONTROLS.search(text):
            text = _CONTROLS.sub(lambda m: m.group() if m.group() == "\r" else "", text)
    elif _CONTROLS_ONE_LINE.search(text):
        text = _CONTROLS_ONE_LINE.sub(lambda m: " " if m.group() in "\t\n\r" else "", text)
    if not text.isascii() and not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    return text


def clean_cells(values: Mapping[str, str]) -> dict[str, str]:
    """Every cell of an imported row through clean_text (newlines kept for notes)."""
    # The usual row is clean: check it once, its cells joined by U+001F (a starter that
    # composes with nothing, so the NFC check cannot bridge two cells).
    row = "\x1f".join(values.values())
    if (
        _CONTROLS_BUT_US.search(row) is None
        and row.count("\x1f") == len(values) - 1
        and (row.isascii() or unicodedata.is_normalized("NFC", row))
    ):
        return dict(values)
    return {name: clean_text(cell, multiline=True) for name, cell in values.items()}


def _picture(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x20:
        return chr(0x2400 + code)  # U+2400 CONTROL PICTURES: ESC shows as ␛, BEL as ␇
    if code == 0x7F:
        return "\u2421"  # ␡
    return "\ufffd"  # C1 has no pictures


def visible(text: object, *, multiline: bool = True) -> str:
    """`text` safe to print to a terminal: each control character shown, never obeyed.

    Newlines (CRLF too) and tabs pass when `multiline`; any other C0 character becomes its Unicode
    control picture (ESC -> "␛", BEL -> "␇"), DEL becomes "␡" and C1 becomes U+FFFD.
    """
    text = "" if text is None else str(text)
    if multiline and "\r\n" in text:
        text = text.replace("\r\n", "\n")
    pattern = _CONTROLS if multiline else _CONTROLS_ONE_LINE
    return pattern.sub(_picture, text) if pattern.search(text) else text


_LEVEL_END = "\x01"  # below every character left in a level: "Dupont" < "Dupontel"
_PART_SEP = "\x02"


@lru_cache(maxsize=16384)
def _levels(part: str) -> tuple[str, str]:
    """(accents and case ignored, case ignored) forms of `part`, control characters out."""
    return (
        "".join(ch for ch in fold(part) if ch >= " "),
        "".join(ch for ch in part.casefold() if ch >= " "),
    )


def sort_key(*parts: str) -> str:
    """A string whose plain (binary) order is French alphabetical order of `parts`.

    First level: the parts folded (accents and case ignored, œ as oe), compared part by
    part, so ("Dupont", "Zoé") sorts before ("Dupontel", "Amélie"). Ties are broken by
    the accents ("Emilie" before "Émilie"), then by the text as typed, so the order never
    depends on insertion order. Stored in `members.*_key` columns (see
    migrations._007_sort_keys) so SQLite sorts and pages with a plain index, no collation
    to register on every connection.
    """
    if len(parts) == 1:
        return _one_key(parts[0] or "")
    if len(parts) == 2:  # (last name, first name): once per member in a 100,000-row import
        first, second = parts[0] or "", parts[1] or ""
        p1, s1 = _levels(first)
        p2, s2 = _levels(second)
        return f"{p1}\x02{p2}\x01{s1}\x02{s2}\x01{first}\x02{second}"
    levels = [_levels(p or "") for p in parts]
    primary = _PART_SEP.join(level[0] for level in levels)
    secondary = _PART_SEP.join(level[1] for level in levels)
    typed = _PART_SEP.join(p or "" for p in parts)
    return primary + _LEVEL_END + secondary + _LEVEL_END + typed


@lru_cache(maxsize=16384)
def _one_key(part: str) -> str:
    """sort_key() of one part (companies and cities repeat a lot in a big import)."""
    primary, secondary = _levels(part)
    return primary + _LEVEL_END + secondary + _LEVEL_END + part


def sort_key_parts(key: str) -> list[str]:
    """The parts a sort_key() was made of, as typed."""
    return key.split(_LEVEL_END, 2)[2].split(_PART_SEP)


def column(text: str, width: int) -> str:
    """`text` in exactly `width` characters for a CLI table: padded, or cut with "…"."""
    return text.ljust(width) if len(text) <= width else text[: width - 1] + "…"
