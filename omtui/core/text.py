"""Text helpers shared by search, import, sorting, and what reaches a terminal."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping


def fold(text: str | None) -> str:
    """Lower-case `text` and strip accents: "Hélène" -> "helene"."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


# -- control characters and Unicode normal form -------------------------------------------
# C0 (but tab and newline), DEL and C1: what a terminal may act on instead of showing.
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_CONTROLS_ONE_LINE = re.compile("[\x00-\x1f\x7f-\x9f]")


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
