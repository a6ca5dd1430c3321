"""Text helpers shared by search, import and sorting."""

from __future__ import annotations

import unicodedata
from functools import lru_cache

# Letters that are not a base letter plus accents, so NFKD leaves them whole: a French
# keyboard has no œ key, so "coeur" must find "Cœur" and "Œuvray" sorts as "Oeuvray".
_LETTERS = str.maketrans({"œ": "oe", "æ": "ae", "ø": "o", "ł": "l", "đ": "d", "ð": "d"})


def fold(text: str | None) -> str:
    """Lower-case `text`, strip accents and spell out ligatures: "Cœur Hélène" -> "coeur helene".

    Used on both sides of a search (the stored text and what is typed) and as the first
    level of alphabetical order (see sort_key).
    """
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_LETTERS))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


_PRIMARY_END = "\x01"  # below every character left in a folded part: "Dupont" < "Dupontel"
_PART_SEP = "\x02"


@lru_cache(maxsize=16384)
def _primary(part: str) -> str:
    return "".join(ch for ch in fold(part) if ch >= " ")


def sort_key(*parts: str) -> str:
    """A string whose plain (binary) order is French alphabetical order of `parts`.

    First level: the parts folded (accents and case ignored, œ as oe), compared part by
    part, so ("Dupont", "Zoé") sorts before ("Dupontel", "Amélie"). Ties ("Emilie" and
    "Émilie") are then broken by the parts as typed, so the order never depends on
    insertion order. Stored in `members.*_key` columns (see migrations._007_sort_keys)
    so SQLite sorts and pages with a plain index, no collation to register.
    """
    primary = _PART_SEP.join(_primary(p or "") for p in parts)
    return primary + _PRIMARY_END + _PART_SEP.join(p or "" for p in parts)


def sort_key_parts(key: str) -> list[str]:
    """The parts a sort_key() was made of, as typed."""
    return key.partition(_PRIMARY_END)[2].split(_PART_SEP)
