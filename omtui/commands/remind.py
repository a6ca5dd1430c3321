"""CLI: `omtui remind [--dry-run]` (for cron), and members' choice about reminders."""

from __future__ import annotations

from datetime import datetime

import click

from omtui.commands import echo, echo_json, pass_club
from omtui.context import ClubContext
from omtui.core import labels, members
from omtui.core.dates import format_day_time, parse_local, to_iso
from omtui.core.mail import remind_run
from omtui.errors import NotFound
from omtui.i18n import _


@click.group("remind", invoke_without_command=True)
@click.option("--dry-run", is_flag=True, help=_("List what would go out; send nothing."))
@click.option("--json", "as_json", is_flag=True, help=_("With --dry-run: one JSON array."))
@click.option(
    "--resend-uncertain",
    is_flag=True,
    help=_("Also send again the reminders that may have been received (uncertain)."),
)
@click.option("--now", "now_text", hidden=True, help="Pretend it is this time (tests).")
@click.pass_context
def remind_group(
    ctx: click.Context, dry_run: bool, as_json: bool, resend_uncertain: bool, now_text: str | None
) -> None:
    """Send the reminders due now and exit (run it from cron every 15 minutes)."""
    if ctx.invoked_subcommand is not None:
        return
    club: ClubContext = ctx.obj
    fixed = parse_local(now_text, club.tz) if now_text else None

    def clock() -> datetime:
        return fixed or club.now()

    if dry_run:
        due = remind_run.dry_run(club.db, club.config, now=clock())
        if club.config.reminders.drop_notice and not club.config.organiser_email.strip():
            echo(
                _(
                    "organiser_email is not set in the config: notices of shifts dropped"
                    " at short notice are not sent"
                ),
                err=True,
            )
        if as_json:
            echo_json(
                [
                    {
                        "kind": d.kind,
                        "email": d.email,
                        "event_id": d.event_id,
                        "shift_id": d.shift_id,
                        "due_at": to_iso(d.due_at),
                        "late": d.late,
                    }
                    for d in due
                ]
            )
            return
        if not due:
            echo(_("Nothing is due."))
        for d in due:
            line = _("{when}  {kind}  to {email}").format(
                when=format_day_time(d.due_at, club.tz),
                kind=labels.reminder_kind(d.kind),
                email=d.email,
            )
            echo(line + ("  " + _("(late: would be skipped)") if d.late else ""))
        return
    report = remind_run.run(club.db, club.config, clock=clock, resend_uncertain=resend_uncertain)
    echo(report.summary())
    for d in report.late:
        echo(
            _("skipped, too late: {kind} to {email} (due {when})").format(
                kind=labels.reminder_kind(d.kind),
                email=d.email,
                when=format_day_time(d.due_at, club.tz),
            )
        )
    for email, reply in report.failed + report.uncertain:
        echo(f"{email}: {reply}")
    if not report.ok:
        ctx.exit(1)


@remind_group.command("status")
@click.option("--json", "as_json", is_flag=True, help=_("One JSON object."))
@pass_club
def status_cmd(club: ClubContext, as_json: bool) -> None:
    """Reminders per state, the failed and uncertain ones, and the last run."""
    from omtui.core.mail import reminders
    from omtui.core.runs import last_runs

    db = club.db
    counts = reminders.counts(db)
    failed = reminders.in_state(db, "failed")
    uncertain = reminders.in_state(db, "uncertain")
    last = last_runs(db).get("remind")
    if as_json:
        echo_json(
            {
                "counts": counts,
                "failed": [r.as_dict() for r in failed],
                "uncertain": [r.as_dict() for r in uncertain],
                "last_run": last.as_dict() if last else None,
            }
        )
        return
    echo(", ".join(f"{labels.reminder_state(k)}: {v}" for k, v in counts.items()))
    for row in failed:
        echo(
            _("failed: {kind} to {email}: {reply}").format(
                kind=labels.reminder_kind(row.kind), email=row.email, reply=row.reply
            )
        )
    if uncertain:
        echo(
            _(
                "Uncertain (in flight at an interruption; maybe received, not sent again unless"
                " you run `omtui remind --resend-uncertain`):"
            )
        )
        for row in uncertain:
            echo(f"  {labels.reminder_kind(row.kind)}: {row.email}")
    if last is None:
        echo(_("omtui remind has never run: add it to cron (see the README)."))
    else:
        echo(
            _("Last run of omtui remind: {when}, {detail}").format(
                when=format_day_time(last.finished_at, club.tz), detail=last.detail
            )
        )


def _member_id(club: ClubContext, email: str) -> int:
    member = members.find_by_email(club.db, email)
    if member is None:
        raise NotFound(_("no member with the email {email}").format(email=email))
    return member.id


@remind_group.command("decline")
@click.argument("email")
@pass_club
def decline_cmd(club: ClubContext, email: str) -> None:
    """Record that EMAIL declines reminders (the newsletter choice is separate)."""
    changed = members.set_reminders_consent(
        club.db, _member_id(club, email), False, now=club.now(), source="cli"
    )
    echo(
        _("{email} will get no reminders.").format(email=email)
        if changed
        else _("{email} had already declined reminders.").format(email=email)
    )


@remind_group.command("accept")
@click.argument("email")
@pass_club
def accept_cmd(club: ClubContext, email: str) -> None:
    """Record that EMAIL accepts reminders again."""
    changed = members.set_reminders_consent(
        club.db, _member_id(club, email), True, now=club.now(), source="cli"
    )
    echo(
        _("{email} will get reminders again.").format(email=email)
        if changed
        else _("{email} already accepts reminders.").format(email=email)
    )


COMMANDS: list[click.Command] = [remind_group]
