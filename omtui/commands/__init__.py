"""CLI subcommands, one module per area; each exposes `COMMANDS`, a list of click commands."""

from __future__ import annotations

import click

from omtui.context import ClubContext

pass_club = click.make_pass_decorator(ClubContext)
