"""CLI: `omtui backup|restore|audit|maintenance` and `omtui members erase|export-data`."""

from __future__ import annotations

from pathlib import Path

import click

from omtui.commands import echo, echo_json, pass_club
from omtui.commands.members import members_group
from omtui.context import ClubContext
from omtui.core import audit, members
from omtui.core.dates import format_local, parse_local
from omtui.core.privacy import erase, export, jobs
from omtui.errors import NotFound, OmtuiError, UnusableInput
from omtui.i18n import _, ngettext


def _member_by_email(club: ClubContext, email: str) -> members.Member:
    member = members.find_by_email(club.db, email)
    if member is None:
        raise NotFound(_("no member with email {email}").format(email=email))
    return member


@click.command("backup")
@click.argument("folder", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help=_("Take a copy even if nothing changed."))
@pass_club
def backup_cmd(club: ClubContext, folder: Path | None, force: bool) -> None:
    """Copy the database into FOLDER (default: [backup] dir, or "backups" beside it).

    Only when the data changed since the last copy; the copy is checked, owner-only, and
    named with the date; older copies are rotated ([backup] daily, weekly, monthly).
    For cron: `omtui backup` every night.
    """
    result = jobs.run_backup(
        club.db, club.config.backup, now=club.now(), folder=folder, force=force
    )
    if result.path is None:
        echo(_("No change since the last backup; no copy taken."))
    else:
        echo(_("Backup written to {path}").format(path=result.path))
    if result.removed:
        echo(
            ngettext(
                "{count} older copy removed.", "{count} older copies removed.", len(result.removed)
            ).format(count=len(result.removed))
        )


@click.command("restore")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help=_("Do not ask for confirmation."))
@pass_club
def restore_cmd(club: ClubContext, file: Path, yes: bool) -> None:
    """Replace the club's data with the backup FILE.

    The file is checked first (an omtui database, not damaged, not from a newer omtui);
    a copy of the current data is kept; members erased since the backup are erased again.
    """
    from omtui.core.privacy.backup import check_backup

    check_backup(file)
    if not yes and not click.confirm(
        _("Replace the club's data with {file}? A copy of the current data is kept first.").format(
            file=file
        ),
        default=False,
    ):
        raise OmtuiError(_("not confirmed; nothing was changed"))
    result = jobs.restore(club.db, club.config.backup, file, now=club.now())
    if result.previous is not None:
        echo(_("The data before the restore is kept in {path}").format(path=result.previous))
    echo(_("Restored from {file}.").format(file=file))
    echo(jobs.restored_summary(result))


@members_group.command("erase")
@click.argument("email")
@click.option("--yes", is_flag=True, help=_("Do not ask to type the email to confirm."))
@pass_club
def erase_cmd(club: ClubContext, email: str, yes: bool) -> None:
    """Erase EMAIL's personal data for good (RGPD right to erasure).

    Names, email, phone, company, notes and token leave every database file; the member's
    attendance and mail statistics stay, anonymous. A backup is taken first; restoring an
    older backup erases them again.
    """
    member = _member_by_email(club, email)
    if not yes:
        typed = click.prompt(
            _("Type the member's email ({email}) to erase their data").format(email=member.email),
            default="",
            show_default=False,
        )
        if members.email_key(typed.strip()) != members.email_key(member.email):
            raise OmtuiError(_("not confirmed; nothing was erased"))
    jobs.backup_before(club.db, club.config.backup, "erase", now=club.now())
    pending = False
    for same in members.find_all_by_email(club.db, email):  # twins awaiting a merge too
        pending |= erase.erase_member(club.db, same.id, now=club.now()).checkpoint_pending
        echo(_("Member #{id} is erased.").format(id=same.id))
    if pending:
        echo(
            _(
                "Another omtui process is still reading the database: the erased data leaves "
                "the -wal file at the next checkpoint (run `omtui maintenance` later)."
            ),
            err=True,
        )


@members_group.command("export-data")
@click.argument("email")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help=_("Write the JSON to this file (owner-only) instead of the screen."),
)
@pass_club
def export_data_cmd(club: ClubContext, email: str, output: Path | None) -> None:
    """Everything the club holds on EMAIL, as JSON (RGPD right of access)."""
    member = _member_by_email(club, email)
    if output is not None:
        export.write_export(club.db, member.id, output, now=club.now())
    else:
        data = export.export_member(club.db, member.id)
        audit.record(club.db, "member.export-data", "member", member.id, now=club.now())
        echo_json(data, indent=1)
        return
    echo(_("Data of member #{id} written to {path}").format(id=member.id, path=output))


@click.command("audit")
@click.option("--since", help=_("Only entries from this date (YYYY-MM-DD)."))
@click.option("--action", help=_("Only actions starting with this (member., backup)."))
@click.option("--json", "as_json", is_flag=True, help=_("One JSON array of entries."))
@pass_club
def audit_cmd(club: ClubContext, since: str | None, action: str | None, as_json: bool) -> None:
    """Show the audit log: who changed what, and when (never the data itself)."""
    start = None
    if since:
        try:
            start = parse_local(since, club.tz)
        except ValueError as exc:
            raise UnusableInput(
                _("--since: {value!r} is not a date such as 2026-11-01").format(value=since)
            ) from exc
    found = audit.entries(club.db, since=start, action=action)
    if as_json:
        echo_json([e.as_dict() for e in found], indent=1)
        return
    if not found:
        echo(_("No audit entry."))
        return
    for e in found:
        target = f"{e.target} #{e.target_id}" if e.target_id is not None else e.target
        echo(
            "  ".join(
                part
                for part in (format_local(e.at, club.tz), e.actor, e.action, target, e.detail)
                if part
            )
        )


@click.command("maintenance")
@pass_club
def maintenance_cmd(club: ClubContext) -> None:
    """Apply the retention rules (for cron, daily): forget old mails' addresses, list
    long-archived members to erase, checkpoint the database."""
    from omtui.core.privacy import retention

    report = retention.run_maintenance(club.db, club.config.privacy, now=club.now())
    echo(
        ngettext(
            "{count} sent mail older than {days} days lost its address.",
            "{count} sent mails older than {days} days lost their addresses.",
            report.outbox_cleared,
        ).format(count=report.outbox_cleared, days=club.config.privacy.outbox_days)
    )
    if report.to_erase:
        echo(
            ngettext(
                "{count} member archived more than {days} days ago should be erased:",
                "{count} members archived more than {days} days ago should be erased:",
                len(report.to_erase),
            ).format(count=len(report.to_erase), days=club.config.privacy.archived_days)
        )
        for member in report.to_erase:
            echo(f"  #{member.id}  {member.email}  {member.full_name}")
        echo(_("Erase each with `omtui members erase EMAIL`."))


COMMANDS: list[click.Command] = [backup_cmd, restore_cmd, audit_cmd, maintenance_cmd]
