"""The CLI speaks the chosen language: --help, messages and errors (command names stay)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from omtui.core import club as club_settings
from omtui.core import members
from omtui.core.db import open_database

NO_LANGUAGE = {"OMTUI_LANG": "", "LC_ALL": "", "LC_MESSAGES": ""}


def test_help_is_french_under_lang_c(run_cli) -> None:
    result = run_cli("--help", env={**NO_LANGUAGE, "LANG": "C"})
    assert result.returncode == 0, result.stderr
    assert "Gérer un club professionnel" in result.stdout
    assert "Fichier de base de données SQLite" in result.stdout
    assert "Importer, exporter, lister et désabonner les membres." in result.stdout
    sub = run_cli("members", "list", "--help", env={**NO_LANGUAGE, "LANG": "C"})
    assert "Afficher tous les membres correspondants" in sub.stdout
    assert "Seulement les membres de cette ville." in sub.stdout
    assert "Utilisation\u00a0: omtui members list" in sub.stdout  # click's own words too
    assert "Afficher ce message et quitter." in sub.stdout
    missing = run_cli("members", "import", env={**NO_LANGUAGE, "LANG": "C"})
    assert "Erreur\u00a0: Argument manquant" in missing.stderr


def test_help_is_english_under_an_english_locale(run_cli) -> None:
    result = run_cli("--help", env={**NO_LANGUAGE, "LANG": "en_US.UTF-8"})
    assert "Run a professional members' club" in result.stdout
    assert "Import, export, list and unsubscribe members." in result.stdout


def test_the_clubs_language_and_the_config(
    run_cli, db_path: Path, tmp_path: Path, now: datetime
) -> None:
    db = open_database(db_path)
    fields = {"first_name": "Aïcha", "last_name": "Benali", "email": "aicha@example.fr"}
    members.add_member(db, fields, now=now)
    club_settings.set_settings(db, language="en")
    db.close()
    english = run_cli("members", "list", env={**NO_LANGUAGE, "LANG": "C"})
    assert english.stdout.rstrip().endswith("1 member"), english.stdout
    config = tmp_path / "config.toml"
    config.write_text('language = "fr"\n', encoding="utf-8")
    french = run_cli("--config", str(config), "members", "list", env={**NO_LANGUAGE})
    assert french.stdout.rstrip().endswith("1 membre"), french.stdout
    error = run_cli("--config", str(config), "members", "history", "nobody@example.fr",
                    env=NO_LANGUAGE)  # fmt: skip
    assert error.returncode != 0
    assert "aucun membre" in error.stderr


def test_a_wrong_language_in_the_config_is_reported(run_cli, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('language = "de"\n', encoding="utf-8")
    result = run_cli("--config", str(config), "members", "list")
    assert result.returncode == 2
    assert "language must be one of fr, en" in result.stderr


def test_club_set_changes_the_language_a_plain_locale_gets(run_cli) -> None:
    before = run_cli("club", "show", env={**NO_LANGUAGE, "LANG": "C"})
    assert "Langue utilisée\u00a0: fr" in before.stdout  # a new club is French
    result = run_cli("club", "set", "--language", "en", env={**NO_LANGUAGE, "LANG": "C"})
    assert result.returncode == 0, result.stderr
    shown = run_cli("club", "show", env={**NO_LANGUAGE, "LANG": "C"})
    assert "Club language (database): en" in shown.stdout
    assert "Language in use: en" in shown.stdout
    french = run_cli("club", "show", env={**NO_LANGUAGE, "LANG": "fr_FR.UTF-8"})
    assert "Langue utilisée\u00a0: fr" in french.stdout


def test_newsletter_list_says_its_states_in_french(run_cli) -> None:
    """`newsletter list` printed "draft" and "sent" in a French session, and cut long
    subjects mid-word without saying so."""
    assert run_cli("demo", "--members", "120").returncode == 0
    listed = run_cli("newsletter", "list", env={"OMTUI_LANG": "fr"})
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert [line.split()[1] for line in lines] == ["brouillon", "brouillon", "envoyée"]
    assert "Appel à bénévoles : déjeuner des parten…" in listed.stdout
