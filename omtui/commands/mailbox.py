"""CLI: `omtui mailbox sync|triage|show|handled|unsubscribe-sender|mark-bounced`."""

from __future__ import annotations

import click

from omtui.commands import echo, echo_json, pass_club
from omtui.context import ClubContext
from omtui.core.dates import format_date_time
from omtui.core.mail import mailbox, triage
from omtui.i18n import _, ngettext


@click.group("mailbox")
def mailbox_group() -> None:
    """Read the club's mailbox back: bounces, unsubscribe requests, the rest to triage."""


@mailbox_group.command("sync")
@click.option("--json", "as_json", is_flag=True, help=_("Print the summary as JSON."))
@pass_club
def sync_cmd(club: ClubContext, as_json: bool) -> None:
    """Read what is new in the [imap] folder and apply it (meant for cron).

    Bounces mark addresses bounced or held, unsubscribe requests (the member's token in
    the Subject) unsubscribe, auto-replies are set aside, the rest goes to triage. Never
    deletes a message; changes no flag unless move_processed is set. Running it again, or
    twice at once, changes nothing twice.
    """
    summary = mailbox.sync(club.db, club.config.imap, clock=club.now)
    if as_json:
        echo_json(summary.as_dict())
        return
    echo(summary.line())
    for note in summary.notes:
        echo(_("note: {note}").format(note=note))
    if summary.cleared:
        echo(
            _("accepted again, no longer held: {emails}").format(emails=", ".join(summary.cleared))
        )
    if summary.moved:
        echo(
            ngettext(
                "{count} message moved to the processed folder",
                "{count} messages moved to the processed folder",
                summary.moved,
            ).format(count=summary.moved)
        )


@mailbox_group.command("triage")
@click.option("--json", "as_json", is_flag=True, help=_("One JSON array of messages."))
@click.option("--all", "include_handled", is_flag=True, help=_("Include the settled ones."))
@pass_club
def triage_cmd(club: ClubContext, as_json: bool, include_handled: bool) -> None:
    """List the mail omtui did not understand, each with the reason."""
    items = triage.open_items(club.db, include_handled=include_handled)
    if as_json:
        echo_json([item.as_dict() for item in items], indent=1)
        return
    if not items:
        echo(_("Nothing to triage."))
        return
    for item in items:
        when = format_date_time(item.sent_at or item.read_at, club.tz)
        state = f" [{item.handled_how}]" if item.handled_at else ""
        echo(f"#{item.id}  {when}  {item.sender or '?'}  {item.subject}{state}")
        echo(f"      {item.reason}")
    echo(ngettext("{count} message", "{count} messages", len(items)).format(count=len(items)))


@mailbox_group.command("show")
@click.argument("message_id", type=int)
@pass_club
def show_cmd(club: ClubContext, message_id: int) -> None:
    """Print the raw message MESSAGE_ID of the triage list."""
    raw = triage.raw_message(club.db, message_id)
    echo(raw.decode("utf-8", "replace"))


@mailbox_group.command("handled")
@click.argument("message_id", type=int)
@pass_club
def handled_cmd(club: ClubContext, message_id: int) -> None:
    """Mark message MESSAGE_ID of the triage list as handled."""
    triage.mark_handled(club.db, message_id, now=club.now())
    echo(_("Message {id} is handled.").format(id=message_id))


@mailbox_group.command("unsubscribe-sender")
@click.argument("message_id", type=int)
@pass_club
def unsubscribe_sender_cmd(club: ClubContext, message_id: int) -> None:
    """Unsubscribe the member who sent message MESSAGE_ID (you checked it is them)."""
    member = triage.unsubscribe_sender(club.db, message_id, now=club.now())
    echo(_("{email} is unsubscribed.").format(email=member.email))


@mailbox_group.command("mark-bounced")
@click.argument("message_id", type=int)
@click.option("--email", help=_("The address to mark (default: the report's recipient)."))
@pass_club
def mark_bounced_cmd(club: ClubContext, message_id: int, email: str | None) -> None:
    """Mark the address of message MESSAGE_ID bounced: no more mail goes to it."""
    status = triage.mark_bounced(club.db, message_id, now=club.now(), email=email)
    echo(_("{email} is marked bounced.").format(email=status.email))


COMMANDS: list[click.Command] = [mailbox_group]
