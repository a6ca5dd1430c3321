"""The interface language: one gettext entry point and the rule that chooses the language.

The language is, in order: the environment variable `OMTUI_LANG`, `language = "fr"|"en"`
in the config file, the locale (`LC_ALL`, `LC_MESSAGES`, `LANG`) when it names a language
omtui ships, and otherwise the club's language stored in its database (French for a new
club). `omtui.cli.main()` settles it from the command line before the click commands and the
TUI modules are imported, since their key descriptions and help texts are translated when
their classes are built. Importing this module makes a first choice from the environment
alone (no file is read), so strings translated at import follow `OMTUI_LANG` and the locale.

The catalogue is `omtui/locale/<lang>/LC_MESSAGES/omtui.mo`, compiled from the `.po` files
by Babel (`make catalogue`); English is the source text itself.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import gettext
import inspect
import os
from collections.abc import Iterator, Mapping
from pathlib import Path

LANGUAGES = ("fr", "en")
"""The languages omtui ships; the first is the club's default."""
DEFAULT_LANGUAGE = "fr"
LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "omtui"
LOCALE_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANG")

_translation: gettext.NullTranslations = gettext.NullTranslations()
_language = "en"

_Choice = tuple[str, gettext.NullTranslations]
_local: contextvars.ContextVar[_Choice | None] = contextvars.ContextVar(
    "omtui_language", default=None
)
"""A language used for a while by one thread or task only (`language_for()`): a worker
writing members' mails in the club's language must not change the words the organiser's
screen shows meanwhile."""


def _active() -> gettext.NullTranslations:
    choice = _local.get()
    return _translation if choice is None else choice[1]


def _(message: str) -> str:
    """Translate a user-facing string into the current language."""
    return _active().gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """Translate a string whose form depends on a count (French: 0 and 1 are singular)."""
    return _active().ngettext(singular, plural, n)


def translate_declared(message: str) -> str:
    """Translate a message declared (and so extracted) elsewhere with `N_()`: click's words."""
    return _active().gettext(message)


def translate_docstring(docstring: str) -> str:
    """Translate a CLI command's docstring (its `--help`), cleaned as click shows it.

    omtui/babel_extract.py extracts the docstrings of click commands with the same cleaning.
    """
    return _active().gettext(inspect.cleandoc(docstring))


def N_(message: str) -> str:
    """Mark a string for extraction without translating it (translate later with `_()`)."""
    return message


def current_language() -> str:
    """The language in use: "fr" or "en" (a Babel locale name, for dates and numbers)."""
    choice = _local.get()
    return _language if choice is None else choice[0]


def _catalogue(language: str) -> gettext.NullTranslations:
    if language not in LANGUAGES:
        raise ValueError(f"unsupported language {language!r}; omtui ships {LANGUAGES}")
    if language == "en":
        return gettext.NullTranslations()
    # fallback=False: a missing compiled catalogue is a packaging bug, not English.
    return gettext.translation(DOMAIN, localedir=LOCALE_DIR, languages=[language])


def set_language(language: str) -> None:
    """Use `language` ("fr" or "en") for every string translated from now on, everywhere."""
    global _translation, _language
    _translation = _catalogue(language)
    _language = language


@contextlib.contextmanager
def language_for(language: str) -> Iterator[None]:
    """Translate in `language` within the block, in this thread or task only: the other
    threads (the app's screen) keep the interface language."""
    token = _local.set((language, _catalogue(language)))
    try:
        yield
    finally:
        _local.reset(token)


def normalize(value: str | None) -> str | None:
    """ "fr", "fr_FR.UTF-8", "French", "en-GB" -> "fr"/"en"; anything else -> None."""
    if not value:
        return None
    code = value.strip().split(".")[0].split("@")[0].replace("-", "_").split("_")[0].lower()
    aliases = {"french": "fr", "francais": "fr", "français": "fr", "english": "en"}
    code = aliases.get(code, code)
    return code if code in LANGUAGES else None


def locale_language(environ: Mapping[str, str] | None = None) -> str | None:
    """The language the locale names, if omtui ships it.

    As POSIX does, the first of LC_ALL, LC_MESSAGES and LANG that is set decides: `LANG=C`
    (or `POSIX`) names no language, and the choice falls through to the club's.
    """
    env = os.environ if environ is None else environ
    for name in LOCALE_VARIABLES:
        value = env.get(name)
        if value:
            return normalize(value)
    return None


def choose_language(
    config_language: str | None = None,
    club_language: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> str:
    """Apply the rule: OMTUI_LANG > config > locale > the club's language > French."""
    env = os.environ if environ is None else environ
    for candidate in (
        normalize(env.get("OMTUI_LANG")),
        normalize(config_language),
        locale_language(env),
        normalize(club_language),
    ):
        if candidate:
            return candidate
    return DEFAULT_LANGUAGE


def use_language(config_language: str | None, db_path: Path | None) -> str:
    """Choose the language for a run and switch to it; the database is read only if needed."""
    club_language = None
    decided = (
        normalize(os.environ.get("OMTUI_LANG")) or normalize(config_language) or locale_language()
    )
    if not decided and db_path is not None:
        from omtui.core.club import peek_language  # lazy: i18n is imported by everything

        club_language = peek_language(db_path)
    language = choose_language(config_language, club_language)
    set_language(language)
    return language


set_language(choose_language())


@functools.lru_cache(maxsize=4)
def translator(language: str) -> gettext.NullTranslations:
    """The catalogue of one language, for text written in a language other than the
    interface's: what members receive is in the club's language (core/newsletter.py)."""
    if language == "en":
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, localedir=LOCALE_DIR, languages=[language], fallback=True)
