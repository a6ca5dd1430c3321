"""One gettext entry point, so a French interface can follow without touching every file."""

from __future__ import annotations

import gettext
from pathlib import Path

_LOCALE_DIR = Path(__file__).parent / "locale"
_translation = gettext.translation("omtui", localedir=_LOCALE_DIR, fallback=True)


def _(message: str) -> str:
    """Translate a user-facing string (identity until a catalogue is shipped)."""
    return _translation.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """Translate a string whose form depends on a count."""
    return _translation.ngettext(singular, plural, n)
