"""CLI: `omtui volunteer --member EMAIL`, the restricted app a volunteer gets over SSH."""

from __future__ import annotations

import sys

import click

from omtui.commands import echo, pass_club
from omtui.context import ClubContext
from omtui.core import rota
from omtui.crashlog import crash_line, log_error
from omtui.errors import OmtuiError, UnusableInput
from omtui.i18n import _


@click.command("volunteer")
@click.option("--member", "email", required=True, help=_("The volunteer's email address."))
@pass_club
def volunteer(club: ClubContext, email: str) -> None:
    """Open the volunteer's own rota: my shifts, open shifts, take and drop.

    An unknown email, a member not tagged volunteer, or no terminal is refused in one
    line (exit 2) before any screen opens.
    """
    volunteer = rota.require_volunteer(club.db, email)  # refuse before importing Textual
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        # Without a terminal Textual would spin on after the client leaves (ssh -T).
        raise UnusableInput(
            _("omtui volunteer needs a terminal: connect with `ssh -t` (or from a terminal)")
        )
    try:
        from omtui.tui.volunteer import VolunteerApp  # lazy: the CLI never imports Textual

        app = VolunteerApp(club, volunteer)
        app.run()  # an error inside the app: one line on screen, details in the log
    except OmtuiError:
        raise
    except Exception as exc:  # outside the app: the volunteer still gets one line only
        log_error(exc, db_path=club.db_path, who=volunteer.email)
        echo(crash_line(), err=True)
        raise SystemExit(1) from None
    if app.return_code:
        raise SystemExit(app.return_code)


COMMANDS: list[click.Command] = [volunteer]
