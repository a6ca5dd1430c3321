"""The French catalogue: complete, in step with the code, compiled, and chosen by the rule.

The rule: `OMTUI_LANG`, else `language` in the config, else the locale when it names fr or
en, else the club's language stored in its database (French for a new club).
"""

from __future__ import annotations

import ast
import gettext
import io
import string
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

import omtui
from omtui import i18n
from omtui.core import club
from omtui.core.db import open_database

PACKAGE = Path(omtui.__file__).parent
PO = PACKAGE / "locale" / "fr" / "LC_MESSAGES" / "omtui.po"
MO = PO.with_suffix(".mo")
MARKUP = ("[b]", "[/b]", "[dim]", "[/dim]")
HOW_TO_FIX = "run `make messages`, translate the new entries in {po}, then `make catalogue`"


def read_catalogue():
    with PO.open("rb") as f:
        return read_po(f, locale="fr")


def msgid_key(msgid) -> str | tuple[str, ...]:
    return msgid if isinstance(msgid, str) else tuple(msgid)


def extracted() -> set:
    """What `make messages` finds in the code today (babel.cfg's extractor)."""
    found = set()
    keywords = {**DEFAULT_KEYWORDS, "N_": None}
    method_map = [("**.py", "omtui.babel_extract:extract")]
    for _file, _line, message, _comments, _context in extract_from_dir(
        PACKAGE, method_map, keywords=keywords
    ):
        found.add(msgid_key(message))
    return found


def test_every_string_in_the_code_is_in_the_catalogue_and_nothing_else() -> None:
    in_po = {msgid_key(m.id) for m in read_catalogue() if m.id}
    in_code = extracted()
    assert not in_code - in_po, HOW_TO_FIX.format(po=PO) + f": missing {in_code - in_po}"
    assert not in_po - in_code, f"obsolete entries in {PO} (`make messages`): {in_po - in_code}"


def test_every_message_has_a_french_translation_and_none_is_fuzzy() -> None:
    catalogue = read_catalogue()
    assert catalogue.num_plurals == 2 and catalogue.plural_expr == "(n > 1)"
    untranslated = [m.id for m in catalogue if m.id and not all(m.string or [""])]
    untranslated += [m.id for m in catalogue if m.id and isinstance(m.string, tuple)
                     and not all(m.string)]  # fmt: skip
    fuzzy = [m.id for m in catalogue if m.id and m.fuzzy]
    assert not untranslated, f"no French for: {untranslated}"
    assert not fuzzy, f"fuzzy (unchecked) translations: {fuzzy}"


def fields(text: str) -> set[tuple[str, str, str | None]]:
    return {
        (name, spec or "", conversion)
        for _lit, name, spec, conversion in string.Formatter().parse(text)
        if name is not None
    }


def test_translations_keep_the_placeholders_and_the_markup() -> None:
    bad = []
    for m in read_catalogue():
        if not m.id:
            continue
        if isinstance(m.id, str):
            checks = [(m.id, m.string, fields(m.string) == fields(m.id))]
        else:  # a plural form may leave out a count it spells out ("la seule place")
            allowed = fields(m.id[0]) | fields(m.id[1])
            checks = [(m.id[1], form, fields(form) <= allowed) for form in m.string]
        for source, text, ok in checks:
            tags_ok = all(source.count(tag) == text.count(tag) for tag in MARKUP)
            if not (ok and tags_ok):
                bad.append((source, text))
    assert not bad, bad


def test_french_typography_no_plain_space_before_double_punctuation() -> None:
    bad = []
    for m in read_catalogue():
        forms = [m.string] if isinstance(m.string, str) else list(m.string)
        for text in forms:
            if any(mark in text for mark in (" :", " ;", " ?", " !", "« ", " »", "'")):
                bad.append(text)
    assert not bad, "use a no-break space before : ; ? ! and inside « », and ’: " + repr(bad)


def test_the_shipped_mo_is_compiled_from_the_po() -> None:
    buffer = io.BytesIO()
    write_mo(buffer, read_catalogue())
    buffer.seek(0)
    fresh = gettext.GNUTranslations(buffer)
    with MO.open("rb") as f:
        shipped = gettext.GNUTranslations(f)
    assert shipped._catalog == fresh._catalog, f"{MO} is stale: run `make catalogue`"


def _calls(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id in ("_", "N_"):
                yield node, 1
            elif node.func.id == "ngettext":
                yield node, 2


def test_translation_functions_only_get_literals() -> None:
    """`_(variable)` cannot be extracted: the string would silently stay English."""
    bad, literal_ids = [], set()
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for call, literal_args in _calls(tree):
            args = call.args[:literal_args]
            if len(args) < literal_args or not all(
                isinstance(a, ast.Constant) and isinstance(a.value, str) for a in args
            ):
                bad.append(f"{path.relative_to(PACKAGE)}:{call.lineno}")
                continue
            values = tuple(a.value for a in args)
            literal_ids.add(values[0] if literal_args == 1 else values)
    assert not bad, f"_()/ngettext() given something that is not a string literal: {bad}"
    # Calls inside f-strings are invisible to Babel's extractor: keep them out of f-strings.
    in_po = {msgid_key(m.id) for m in read_catalogue() if m.id}
    assert not literal_ids - in_po, f"not extracted (inside an f-string?): {literal_ids - in_po}"


def test_french_plural_forms_and_english_source() -> None:
    i18n.set_language("fr")
    try:
        assert i18n.ngettext("{count} member", "{count} members", 1) == "{count} membre"
        assert i18n.ngettext("{count} member", "{count} members", 0) == "{count} membre"
        assert i18n.ngettext("{count} member", "{count} members", 3000) == "{count} membres"
        assert i18n._("Members") == "Membres"
        assert i18n.current_language() == "fr"
    finally:
        i18n.set_language("en")
    assert i18n.ngettext("{count} member", "{count} members", 1) == "{count} member"
    assert i18n._("Members") == "Members"
    assert i18n.current_language() == "en"


@pytest.mark.parametrize(
    ("environ", "config", "club_language", "expected"),
    [
        ({"OMTUI_LANG": "en", "LANG": "fr_FR.UTF-8"}, "fr", "fr", "en"),  # env beats all
        ({"LANG": "en_US.UTF-8"}, "fr", None, "fr"),  # config beats the locale
        ({"LANG": "en_US.UTF-8"}, None, "fr", "en"),  # the locale beats the club
        ({"LANG": "C"}, None, "en", "en"),  # LANG=C names no language: the club's
        ({"LANG": "C.UTF-8"}, None, None, "fr"),  # no club language known: French
        ({"LC_ALL": "fr_FR.UTF-8", "LANG": "en_US.UTF-8"}, None, None, "fr"),
        ({"LC_ALL": "C", "LANG": "en_US.UTF-8"}, None, "fr", "fr"),  # LC_ALL decides
        ({"LC_MESSAGES": "en_GB.UTF-8", "LANG": "fr_FR"}, None, None, "en"),
        ({"LANG": "de_DE.UTF-8"}, None, "fr", "fr"),  # a language omtui does not ship
        ({"OMTUI_LANG": "klingon", "LANG": "en_US"}, None, None, "en"),  # ignored
    ],
)
def test_the_choice_rule(environ, config, club_language, expected) -> None:
    assert i18n.choose_language(config, club_language, environ=environ) == expected


def test_new_databases_are_french_and_the_club_language_can_change(db_path: Path) -> None:
    db = open_database(db_path)
    try:
        assert club.get_settings(db) == club.ClubSettings(name="", language="fr")
        club.set_settings(db, language="en", name="Club des Office Managers")
        assert club.get_settings(db) == club.ClubSettings("Club des Office Managers", "en")
        with pytest.raises(ValueError):
            club.set_settings(db, language="de")
    finally:
        db.close()
    assert club.peek_language(db_path) == "en"
    assert club.peek_language(db_path.with_name("missing.db")) is None


def test_use_language_reads_the_club_only_when_nothing_else_decides(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = open_database(db_path)
    club.set_settings(db, language="en")
    db.close()
    monkeypatch.delenv("OMTUI_LANG")
    for name in i18n.LOCALE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "C")
    assert i18n.use_language(None, db_path) == "en"
    assert i18n.use_language("fr", db_path) == "fr"
    monkeypatch.setenv("OMTUI_LANG", "en")
    assert i18n.use_language("fr", db_path) == "en"


def test_a_mail_language_in_a_worker_thread_leaves_the_screen_s_language_alone() -> None:
    """CI caught it: the Events tab showed "annulée" in an English session while a worker
    thread wrote cancellation notices in the club's French. A language chosen for a block
    holds in that thread only."""
    import threading

    inside, release = threading.Event(), threading.Event()
    seen: list[str] = []

    def worker() -> None:
        with i18n.language_for("fr"):  # as reminder_mail writes a member's mail
            seen.append(i18n._("registered"))
            inside.set()
            release.wait(10)
            seen.append(i18n.current_language())

    thread = threading.Thread(target=worker)
    thread.start()
    try:
        assert inside.wait(10)
        # the screen's thread, while the worker is inside its French block
        assert i18n._("registered") == "registered"
        assert i18n.ngettext("{n} member", "{n} members", 2) == "{n} members"
        assert i18n.current_language() == "en"
    finally:
        release.set()
        thread.join(10)
    assert seen == ["inscrit", "fr"]  # the worker did write in French
    assert i18n._("registered") == "registered"  # and nothing leaked after the block
