"""The app in French and in English, each in its own process as a person would start it.

Key descriptions and the click command tree are translated when their modules are imported,
so the language is chosen first, from the command line's `--config`/`--db`, the environment
and the club's database (`omtui.cli.choose_language_from_argv`), exactly as `omtui` does.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from omtui.core.db import open_database
from omtui.core.demo import build_demo

CHILD = r"""
import asyncio, json, sys
from omtui.cli import choose_language_from_argv

language = choose_language_from_argv(sys.argv[1:])

from textual.widgets import Label, Tab
from omtui.context import ClubContext
from omtui.core.demo import DEMO_NOW
from omtui.tui.app import make_app


async def main() -> None:
    club = ClubContext.from_options(db=sys.argv[4], config=sys.argv[2], now=DEMO_NOW)
    app = make_app(club, poll=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        seen = {
            "language": language,
            "tabs": [str(tab.label) for tab in app.query(Tab)],
            "count": str(app.query_one("#members-count", Label).render()),
            "footer": [key.description for key in app.query("FooterKey")],
            "system": [c.title for c in app.get_system_commands(app.screen)],
        }
        await pilot.press("ctrl+p")
        await pilot.pause()
        seen["palette"] = app.screen.query_one("CommandInput").placeholder
    print(json.dumps(seen))
    club.close()


asyncio.run(main())
"""


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo club at its real size (3,000 members); its stored language is French."""
    path = tmp_path_factory.mktemp("language") / "club.db"
    db = open_database(path)
    build_demo(db, members_count=3000)
    db.close()
    return path


def run_app(demo_db: Path, tmp_path: Path, config: str, **env: str) -> dict:
    config_path = tmp_path / "config.toml"
    config_path.write_text(config, encoding="utf-8")
    locale_names = ("LC_ALL", "LC_MESSAGES", "LANG")
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith("OMTUI_") and k not in locale_names
    }
    clean.update(HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path / ".config"), **env)
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, "--config", str(config_path), "--db", str(demo_db)],
        capture_output=True,
        text=True,
        env=clean,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_lang_c_and_language_fr_gives_the_french_app(demo_db: Path, tmp_path: Path) -> None:
    seen = run_app(demo_db, tmp_path, 'language = "fr"\n', LANG="C")
    assert seen["language"] == "fr"
    assert seen["tabs"] == ["Membres", "Événements", "Planning", "Newsletter"]
    assert seen["count"].startswith("3\u202f000 membres")  # French digits: a narrow no-break space
    assert "Aide" in seen["footer"] and "Help" not in seen["footer"]
    assert "commandes" in seen["footer"]  # the palette's label, Textual's "palette" in English
    assert {"Thème", "Quitter", "Touches", "Capture d’écran", "Aller à Membres"} <= set(
        seen["system"]
    )
    assert seen["palette"] == "Rechercher une commande…"


def test_lang_c_alone_gives_the_clubs_language_french(demo_db: Path, tmp_path: Path) -> None:
    seen = run_app(demo_db, tmp_path, "", LANG="C")
    assert seen["language"] == "fr"
    assert seen["tabs"][0] == "Membres"


def test_an_english_locale_gives_english(demo_db: Path, tmp_path: Path) -> None:
    seen = run_app(demo_db, tmp_path, "", LANG="en_US.UTF-8")
    assert seen["language"] == "en"
    assert seen["tabs"] == ["Members", "Events", "Rota", "Newsletter"]
    assert seen["count"].startswith("3,000 members")
    assert "Help" in seen["footer"] and "palette" in seen["footer"]
    assert {"Theme", "Quit", "Keys", "Screenshot"} <= set(seen["system"])
    assert seen["palette"] == "Search for commands…"


def test_language_en_in_the_config_beats_a_french_locale(demo_db: Path, tmp_path: Path) -> None:
    seen = run_app(demo_db, tmp_path, 'language = "en"\n', LANG="fr_FR.UTF-8")
    assert seen["tabs"][0] == "Members"


def test_omtui_lang_beats_the_config(demo_db: Path, tmp_path: Path) -> None:
    seen = run_app(demo_db, tmp_path, 'language = "en"\n', OMTUI_LANG="fr", LANG="en_US.UTF-8")
    assert seen["tabs"][0] == "Membres"


async def test_textual_words_follow_the_language_at_run_time(demo_club) -> None:
    """What TranslatedApp translates when it is used (not at import) switches in-process."""
    from textual.command import CommandInput, CommandPalette

    from omtui import i18n
    from omtui.tui.app import make_app

    i18n.set_language("fr")  # the autouse fixture sets English back for the next test
    app = make_app(demo_club, poll=False)
    notes: list[str] = []
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        titles = {c.title: c.help for c in app.get_system_commands(app.screen)}
        assert titles["Thème"] == "Changer le thème de couleurs"
        assert titles["Quitter"] == "Quitter l’application dès que possible"
        app.search_themes()
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)
        assert app.screen.query_one(CommandInput).placeholder == "Rechercher un thème…"
        await pilot.press("escape")
        await pilot.press("ctrl+c")
        await pilot.pause()
        notes = [str(n.message) for n in app._notifications]
    assert any("pour quitter l’application" in note for note in notes), notes
