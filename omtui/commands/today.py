"""CLI: `omtui today [--json]`, the overview's list and figures (handy in a morning email)."""

from __future__ import annotations

import click

from omtui.commands import echo, echo_json, pass_club
from omtui.context import ClubContext
from omtui.i18n import _


@click.command("today")
@click.option("--json", "as_json", is_flag=True, help=_("Print JSON instead of text."))
@pass_club
def today_cmd(club: ClubContext, as_json: bool) -> None:
    """What needs you today, and the club at a glance (the app's first tab)."""
    from omtui.core import today, today_text

    view = today.overview(club.db, now=club.now(), tz=club.tz)
    if as_json:
        echo_json(view.as_dict())
        return
    for line in today_text.report(view, club.tz):
        echo(line)


COMMANDS = [today_cmd]
