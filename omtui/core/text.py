"""Text helpers shared by search, import and sorting."""

from __future__ import annotations

import unicodedata
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
