"""One gettext entry point, so a French interface can follow without touching every file."""

from __future__ import annotations

import functools
import gettext
import os
from pathlib import Path

_LOCALE_DIR = Path(__file__).parent / "locale"
_translation = gettext.translation("omtui", localedir=_LOCALE_DIR, fallback=True)


def _(message: str) -> str:
    """Translate a user-facing string (identity until a catalogue is shipped)."""
    return _translation.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """Translate a string whose form depends on a count."""
    return _translation.ngettext(singular, plural, n)


# -- the active language (minimal: the "lang" work replaces this with the full rule) -------
SUPPORTED = ("fr", "en")
_language: str | None = None


def current_language() -> str:
    """The interface language: set_language(), else `OMTUI_LANG`, else French."""
    if _language:
        return _language
    code = os.environ.get("OMTUI_LANG", "").split("_")[0].split(".")[0].lower()
    return code if code in SUPPORTED else "fr"


def set_language(code: str) -> None:
    """Choose the interface language for this process."""
    global _language
    _language = code


@functools.lru_cache(maxsize=4)
def translator(code: str) -> gettext.NullTranslations:
    """The catalogue of one language, for text written in a language other than the
    interface's (what members receive is in the club's language)."""
    locale_dir = Path(__file__).parent / "locale"
    return gettext.translation("omtui", localedir=locale_dir, languages=[code], fallback=True)
