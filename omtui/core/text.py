"""Text helpers shared by search, import and sorting."""

from __future__ import annotations

import unicodedata


def fold(text: str | None) -> str:
    """Lower-case `text` and strip accents: "Hélène" -> "helene"."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))
