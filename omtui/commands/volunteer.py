"""CLI: `omtui volunteer --member EMAIL`, the restricted app a volunteer gets over SSH."""

from __future__ import annotations

import click

from omtui.commands import pass_club
from omtui.context import ClubContext
from omtui.core import rota
from omtui.i18n import _


@click.command("volunteer")
@click.option("--member", "email", required=True, help=_("The volunteer's email address."))
@pass_club
def volunteer(club: ClubContext, email: str) -> None:
    """Open the volunteer's own rota: my shifts, open shifts, take and drop.

    An unknown email or a member not tagged volunteer is refused in one line (exit 2)
    before any screen opens.
    """
    volunteer = rota.require_volunteer(club.db, email)  # refuse before importing Textual
    from omtui.tui.volunteer import VolunteerApp  # lazy: the CLI never imports Textual otherwise

    VolunteerApp(club, volunteer).run()


COMMANDS: list[click.Command] = [volunteer]
