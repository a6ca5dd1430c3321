"""CLI: `omtui club show|set`, the club's settings kept in its database (its language)."""

from __future__ import annotations

import click

from omtui.commands import echo, pass_club
from omtui.context import ClubContext
from omtui.core.club import get_settings, set_settings
from omtui.i18n import LANGUAGES, _, current_language


@click.group("club")
def club_group() -> None:
    """The club's own settings, kept in its database: its language."""


@club_group.command("show")
@pass_club
def show_cmd(club: ClubContext) -> None:
    """Print the club's stored name and language, and the language in use now."""
    settings = get_settings(club.db)
    echo(_("Club name (database): {name}").format(name=settings.name or "-"))
    echo(_("Club language (database): {language}").format(language=settings.language))
    echo(_("Language in use: {language}").format(language=current_language()))


@club_group.command("set")
@click.option(
    "--language",
    type=click.Choice(LANGUAGES),
    required=True,
    help=_("The club's language, used when OMTUI_LANG, the config and the locale say nothing."),
)
@pass_club
def set_cmd(club: ClubContext, language: str) -> None:
    """Change the club's language (the one a volunteer with LANG=C gets)."""
    set_settings(club.db, language=language)
    echo(_("The club's language is now {language}.").format(language=language))


COMMANDS = [club_group]
