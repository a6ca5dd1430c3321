"""CLI: `omtui members import|export|list|unsubscribe|history|restore`, on the core code."""

from __future__ import annotations

from pathlib import Path

import click

from omtui.commands import echo, echo_json, pass_club
from omtui.context import ClubContext
from omtui.core import importer, members
from omtui.core.dates import format_date_time, to_iso
from omtui.core.members import MemberFilter
from omtui.core.numbers import format_number, format_numbers
from omtui.errors import NotFound
from omtui.i18n import _, ngettext

SHOWN_LINES = 20  # rejected rows (and row warnings) printed before "... and N more"


@click.group("members")
def members_group() -> None:
    """Import, export, list and unsubscribe members."""


def _summary(counts: dict[str, int]) -> str:
    return _("{new} new, {updated} updated, {unchanged} unchanged, {rejected} rejected").format(
        **format_numbers(counts)
    )


def _echo_lines(rows: list[importer.RejectedRow], total: int, template: str) -> None:
    """The first SHOWN_LINES rows on stderr, then one line for the rest."""
    for row in rows[:SHOWN_LINES]:
        email = f" ({row.email})" if row.email else ""
        echo(template.format(line=row.line, email=email, reason=row.reason), err=True)
    if total > SHOWN_LINES:
        echo(_("... and {count} more").format(count=format_number(total - SHOWN_LINES)), err=True)


def _delimiter_name(delimiter: str) -> str:
    names = {",": _("comma"), ";": _("semicolon"), "\t": _("tab")}
    return names.get(delimiter, delimiter)


@members_group.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--dry-run", is_flag=True, help=_("Show what would change; write nothing."))
@click.option(
    "--rejects",
    "rejects_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help=_("Write the rejected rows, with a reason column, to this CSV file."),
)
@pass_club
def import_cmd(club: ClubContext, file: Path, dry_run: bool, rejects_path: Path | None) -> None:
    """Import members from a CSV FILE (upsert by email).

    Exit 0 when every row was accepted, 1 when some rows were rejected (the first ones
    on stderr, all of them in the --rejects file; the good rows are imported), 2 when
    the file is unusable (nothing written).
    """
    _notice_duplicates(club)
    preview = importer.preview_import(club.db, file, now=club.now())
    delimiter = _delimiter_name(preview.delimiter)
    echo(
        _("{path}: {encoding}, {delimiter}-separated").format(
            path=preview.path, encoding=preview.encoding, delimiter=delimiter
        )
    )
    mapped = ", ".join(f"{header} -> {name}" for header, name in preview.columns.items())
    echo(_("Columns: {mapped}").format(mapped=mapped))
    for warning in preview.warnings:
        echo(_("warning: {warning}").format(warning=warning), err=True)
    _echo_lines(
        preview.row_warnings,
        preview.row_warning_count,
        _("line {line}{email}: warning: {reason}"),
    )
    outcome: importer.ImportPreview | importer.ImportResult
    if dry_run:
        summary = _summary(preview.counts)
        echo(_("Dry run, nothing written: {summary}").format(summary=summary))
        outcome = preview
    else:
        outcome = importer.apply_import(club.db, preview, now=club.now())
        echo(_("Imported: {summary}").format(summary=_summary(outcome.counts)))
    rejected = outcome.counts["rejected"]
    _echo_lines(outcome.rejected, rejected, _("line {line}{email}: {reason}"))
    if rejects_path is not None:
        count = outcome.save_rejects(rejects_path)
        echo(
            _("{count} rejected rows written to {path}").format(
                count=format_number(count), path=rejects_path
            ),
            err=True,
        )
    elif rejected > SHOWN_LINES:
        echo(_("(--rejects FILE writes every rejected row with its reason)"), err=True)
    if rejected:
        click.get_current_context().exit(1)


@members_group.command("export")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--tag", help=_("Only members with this tag."))
@click.option("--city", help=_("Only members in this city."))
@pass_club
def export_cmd(club: ClubContext, file: Path, tag: str | None, city: str | None) -> None:
    """Export members to a CSV FILE (UTF-8, `;`-separated; imports back unchanged)."""
    count = importer.export_members(club.db, file, MemberFilter(tag=tag, city=city))
    echo(
        ngettext(
            "Exported {count} member to {path}", "Exported {count} members to {path}", count
        ).format(count=format_number(count), path=file)
    )


def _table(rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )


@members_group.command("list")
@click.option("--tag", help=_("Only members with this tag."))
@click.option("--city", help=_("Only members in this city."))
@click.option("--search", "text", default="", help=_("Only members matching this text."))
@click.option("--json", "as_json", is_flag=True, help=_("One JSON array, every field."))
@pass_club
def list_cmd(
    club: ClubContext, tag: str | None, city: str | None, text: str, as_json: bool
) -> None:
    """Print every matching member (no paging), sorted by name."""
    _notice_duplicates(club)
    found = members.query_members(
        club.db, MemberFilter(text=text, tag=tag, city=city), sort="name", limit=None
    )
    if as_json:
        echo_json([m.as_dict() for m in found], indent=1)
        return
    if not found:
        echo(_("No member matches."))
        return
    header = [_("Name"), _("Email"), _("Company"), _("City"), _("Tags"), _("Newsletter")]
    rows = [header] + [
        [
            m.full_name,
            m.email,
            m.company,
            m.city,
            ", ".join(m.tags),
            _("yes") if m.subscribed else _("no"),
        ]
        for m in found
    ]
    echo(_table(rows))
    echo(
        ngettext("{count} member", "{count} members", len(found)).format(
            count=format_number(len(found))
        )
    )


def _member(club: ClubContext, email: str) -> members.Member:
    member = members.find_by_email(club.db, email)
    if member is None:
        raise NotFound(_("no member with email {email}").format(email=email))
    return member


def _notice_duplicates(club: ClubContext) -> None:
    notice = members.duplicate_notice(club.db)
    if notice:
        echo(_("notice: {notice}").format(notice=notice), err=True)


@members_group.command("duplicates")
@pass_club
def duplicates_cmd(club: ClubContext) -> None:
    """List members whose emails differ only by case, for you to merge.

    They were stored before omtui compared emails this way; they are never merged
    automatically. Merge each group: edit the member to keep, delete the others.
    """
    groups = members.duplicate_emails(club.db)
    if not groups:
        echo(_("No two members share an email."))
        return
    rows = [[_("Member"), _("Email"), _("Name"), _("Newsletter")]]
    for group in groups:
        if len(rows) > 1:
            rows.append(["", "", "", ""])
        rows += [
            [f"#{m.id}", m.email, m.full_name, _("yes") if m.subscribed else _("no")] for m in group
        ]
    echo(_table(rows))
    echo(members.duplicate_notice(club.db))


@members_group.command("unsubscribe")
@click.argument("email")
@pass_club
def unsubscribe_cmd(club: ClubContext, email: str) -> None:
    """Unsubscribe EMAIL from the newsletter (recorded with source "cli")."""
    member = _member(club, email)
    changed = False
    for same in members.find_all_by_email(club.db, email):  # twins awaiting a merge too
        changed |= members.set_subscription(club.db, same.id, False, now=club.now(), source="cli")
    if changed:
        echo(_("{email} is unsubscribed.").format(email=member.email))
    else:
        echo(_("{email} was already unsubscribed.").format(email=member.email))


@members_group.command("history")
@click.argument("email")
@click.option("--json", "as_json", is_flag=True, help=_("One JSON array of events."))
@pass_club
def history_cmd(club: ClubContext, email: str, as_json: bool) -> None:
    """Show the consent history of EMAIL: every subscription and unsubscription."""
    member = _member(club, email)
    events = members.consent_history(club.db, member.id)
    if as_json:
        data = [
            {
                "subscribed": e.subscribed,
                "at": to_iso(e.at),
                "source": e.source,
                "detail": e.detail,
                "purpose": e.purpose,
            }
            for e in events
        ]
        echo_json(data, indent=1)
        return
    echo(f"{member.full_name} <{member.email}>")
    rows = [[_("When"), _("Event"), _("Source")]] + [
        [
            format_date_time(e.at, club.tz),
            (_("subscribed") if e.subscribed else _("unsubscribed"))
            if e.purpose == "newsletter"
            else (_("accepts reminders") if e.subscribed else _("declined reminders")),
            e.source + (f" ({e.detail})" if e.detail else ""),
        ]
        for e in events
    ]
    echo(_table(rows))


@members_group.command("restore")
@click.argument("email")
@pass_club
def restore_cmd(club: ClubContext, email: str) -> None:
    """Bring an archived (deleted) member back; they stay unsubscribed."""
    member = _member(club, email)
    members.restore_member(club.db, member.id, now=club.now())
    echo(_("{email} is restored (still unsubscribed).").format(email=member.email))


COMMANDS: list[click.Command] = [members_group]
