"""CLI: `omtui demo` builds the deterministic demo club."""

from __future__ import annotations

import click

from omtui.commands import echo, pass_club
from omtui.context import ClubContext
from omtui.core.demo import build_demo
from omtui.core.numbers import format_number
from omtui.errors import UnusableInput
from omtui.i18n import _, ngettext


@click.command("demo")
@click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False),
    help=_("Where to create the demo database (default: the usual database)."),
)
@click.option("--members", "members_count", default=3000, show_default=True, type=click.IntRange(0))
@pass_club
def demo(club: ClubContext, db_path: str | None, members_count: int) -> None:
    """Create a realistic, deterministic demo club in an empty database."""
    if db_path:
        club.close()
        club.db_path = __import__("pathlib").Path(db_path)
    if club.db.scalar("SELECT count(*) FROM members"):
        raise UnusableInput(
            _("{path} already holds members; give an empty or new file with --db").format(
                path=club.db_path
            )
        )
    summary = build_demo(club.db, members_count=members_count)
    drafts = club.db.scalar("SELECT count(*) FROM newsletters WHERE status = 'draft'")
    sent = summary.newsletters - drafts
    m, e, s, n = summary.members, summary.events, summary.shifts, summary.newsletters
    echo(
        _(
            "Demo club created in {path}: {members}, {events}, {shifts}, "
            "{newsletters} ({drafts}, {sent})."
        ).format(
            path=club.db_path,
            members=ngettext("{n} member", "{n} members", m).format(n=format_number(m)),
            events=ngettext("{n} event", "{n} events", e).format(n=format_number(e)),
            shifts=ngettext("{n} shift", "{n} shifts", s).format(n=format_number(s)),
            newsletters=ngettext("{n} newsletter", "{n} newsletters", n).format(n=format_number(n)),
            drafts=ngettext("{n} draft", "{n} drafts", drafts).format(n=format_number(drafts)),
            sent=ngettext("{n} sent", "{n} sent", sent).format(n=format_number(sent)),
        )
    )


COMMANDS: list[click.Command] = [demo]
