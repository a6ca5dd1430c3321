"""CLI: `omtui members import|export|list|add|edit|tag|untag|archive|merge|unsubscribe|history|
restore`, on the core code."""

from __future__ import annotations

from pathlib import Path

import click

from omtui.commands import echo, echo_json, pass_club
from omtui.context import ClubContext
from omtui.core import importer, labels, member_edit, members
from omtui.core.dates import format_date_time, to_iso
from omtui.core.mail import bounces
from omtui.core.members import MemberFilter
from omtui.core.numbers import format_number, format_numbers
from omtui.errors import NotFound, UnusableInput
from omtui.i18n import _, ngettext

SHOWN_LINES = 20  # rejected rows (and row warnings) printed before "... and N more"


@click.group("members")
def members_group() -> None:
    """Import, export, list and unsubscribe members."""


def _stacked(*decorators):
    """One decorator that applies `decorators` as if they were written above the function,
    in this order (options, arguments and `pass_club` several commands share)."""

    def apply(func):
        for decorator in reversed(decorators):
            func = decorator(func)
        return func

    return apply


_filter_options = _stacked(
    click.option("--tag", help=_("Only members with this tag.")),
    click.option("--city", help=_("Only members in this city.")),
)


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
@click.option(
    "--allow-erased",
    is_flag=True,
    help=_("Import addresses erased at the person's request (they asked to come back)."),
)
@pass_club
def import_cmd(
    club: ClubContext, file: Path, dry_run: bool, rejects_path: Path | None, allow_erased: bool
) -> None:
    """Import members from a CSV FILE (upsert by email).

    Exit 0 when every row was accepted, 1 when some rows were rejected (the first ones
    on stderr, all of them in the --rejects file; the good rows are imported), 2 when
    the file is unusable (nothing written).
    """
    _notice_duplicates(club)
    preview = importer.preview_import(
        club.db, file, now=club.now(), allow_erased=allow_erased, tz=club.tz
    )
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
        from omtui.core.privacy.jobs import backup_before

        backup_before(club.db, club.config.backup, "import", now=club.now())
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
@_filter_options
@click.option(
    "--excel",
    is_flag=True,
    help=_(
        "For a spreadsheet: headers in the interface's language, oui/non, the day each "
        "member joined (local time). Without it the columns stay the same for scripts."
    ),
)
@pass_club
def export_cmd(
    club: ClubContext, file: Path, tag: str | None, city: str | None, excel: bool
) -> None:
    """Export members to a CSV FILE (UTF-8, `;`-separated; imports back unchanged)."""
    filt = MemberFilter(tag=tag, city=city)
    count = importer.export_members(club.db, file, filt, excel=excel, tz=club.tz)
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
@_filter_options
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
    blocked = bounces.blocked(club.db)
    if as_json:
        echo_json(
            [
                {**m.as_dict(), "email_status": blocked.get(members.email_key(m.email), "ok")}
                for m in found
            ],
            indent=1,
        )
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
            _newsletter_cell(m, blocked),
        ]
        for m in found
    ]
    echo(_table(rows))
    echo(
        ngettext("{count} member", "{count} members", len(found)).format(
            count=format_number(len(found))
        )
    )


def _newsletter_cell(member: members.Member, blocked: dict[str, str]) -> str:
    answer = _("yes") if member.subscribed else _("no")
    status = blocked.get(members.email_key(member.email))
    if status is None:
        return answer
    return _("{answer}, address {status}").format(answer=answer, status=labels.email_status(status))


def _member(club: ClubContext, email: str) -> members.Member:
    member = members.find_by_email(club.db, email)
    if member is None:
        raise NotFound(_("no member with email {email}").format(email=email))
    return member


CONSENT_SOURCES = ("form", "paper", "event-signup")
"""How a newsletter consent typed by the organiser was given (recorded with it)."""


def _member_ref(club: ClubContext, ref: str) -> members.Member:
    """A member by email, or by number (`#12` or `12`, as `omtui members duplicates` shows)."""
    text = ref.strip()
    if text.lstrip("#").isdigit():
        return members.get_member(club.db, int(text.lstrip("#")))
    found = members.find_all_by_email(club.db, text)
    if len(found) > 1:
        raise UnusableInput(
            _("{email} is shared by members {ids}: name one by its number, e.g. #{first}").format(
                email=text, ids=", ".join(f"#{m.id}" for m in found), first=found[0].id
            )
        )
    if not found:
        raise NotFound(_("no member with email {email}").format(email=text))
    return found[0]


def _echo_member(member: members.Member, as_json: bool) -> None:
    if as_json:
        echo_json(member.as_dict(), indent=1)
        return
    tags = ", ".join(member.tags) or "-"
    echo(f"#{member.id} {member.full_name} <{member.email}>")
    echo(
        _("Company: {company}   City: {city}   Tags: {tags}   Newsletter: {newsletter}").format(
            company=member.company or "-",
            city=member.city or "-",
            tags=tags,
            newsletter=_("yes") if member.subscribed else _("no"),
        )
    )


_member_options = _stacked(
    click.option("--first-name", help=_("First name.")),
    click.option("--last-name", help=_("Last name.")),
    click.option("--company", help=_("Company.")),
    click.option("--job-title", help=_("Job title.")),
    click.option("--phone", help=_("Phone number.")),
    click.option("--city", help=_("City.")),
    click.option("--tags", help=_("Tags, comma-separated (replaces the current ones).")),
    click.option("--notes", help=_("Notes for the organiser.")),
)


def _given(options: dict) -> dict:
    names = ("first_name", "last_name", "company", "job_title", "phone", "city", "tags", "notes")
    return {name: options[name] for name in names if options.get(name) is not None}


@members_group.command("add")
@click.argument("email")
@_member_options
@click.option(
    "--newsletter",
    "consent_source",
    type=click.Choice(CONSENT_SOURCES),
    help=_("Subscribe them: the member consented on a form, on paper or at an event sign-up."),
)
@click.option("--json", "as_json", is_flag=True, help=_("Print the member as JSON."))
@pass_club
def add_cmd(club: ClubContext, email: str, consent_source: str | None, as_json: bool, **options):
    """Add a member with this EMAIL (not subscribed unless --newsletter says how they consented)."""
    fields = _given(options) | {"email": email}
    member = members.add_member(
        club.db,
        fields,
        now=club.now(),
        subscribed=consent_source is not None,
        source=consent_source or "cli",
    )
    if not as_json:
        echo(_("Added member #{id}.").format(id=member.id))
    _echo_member(member, as_json)


@members_group.command("edit")
@click.argument("member")
@click.option("--email", "new_email", help=_("A new email (history and consents are kept)."))
@_member_options
@click.option("--json", "as_json", is_flag=True, help=_("Print the member as JSON."))
@pass_club
def edit_cmd(club: ClubContext, member: str, new_email: str | None, as_json: bool, **options):
    """Change some fields of MEMBER (an email or #ID); the others stay as they are."""
    current = _member_ref(club, member)
    fields = _given(options)
    if new_email is not None:
        fields["email"] = new_email
    if not fields:
        raise UnusableInput(_("nothing to change: give at least one option, e.g. --city"))
    changed = members.update_member(club.db, current.id, fields, now=club.now())
    _echo_member(changed, as_json)


_member_and_tags = _stacked(
    click.argument("member"), click.argument("tags", nargs=-1, required=True), pass_club
)


def _change_tags(club: ClubContext, member: str, tags: tuple[str, ...], change) -> None:
    """Apply `change` (add_tags or remove_tags) to the member, then print their tags."""
    found = _member_ref(club, member)
    changed = change(club.db, found.id, tags, now=club.now())
    echo(_("{name}: {tags}").format(name=changed.full_name, tags=", ".join(changed.tags) or "-"))


@members_group.command("tag")
@_member_and_tags
def tag_cmd(club: ClubContext, member: str, tags: tuple[str, ...]) -> None:
    """Add TAGS to MEMBER (an email or #ID)."""
    _change_tags(club, member, tags, member_edit.add_tags)


@members_group.command("untag")
@_member_and_tags
def untag_cmd(club: ClubContext, member: str, tags: tuple[str, ...]) -> None:
    """Remove TAGS from MEMBER (an email or #ID)."""
    _change_tags(club, member, tags, member_edit.remove_tags)


@members_group.command("archive")
@click.argument("member")
@pass_club
def archive_cmd(club: ClubContext, member: str) -> None:
    """Archive (delete from view) MEMBER and unsubscribe them; `restore` brings them back."""
    found = _member_ref(club, member)
    members.archive_member(club.db, found.id, now=club.now())
    echo(_("{email} is archived and unsubscribed.").format(email=found.email))


@members_group.command("merge")
@click.argument("keep")
@click.argument("other")
@click.option("--yes", is_flag=True, help=_("Do not ask to confirm."))
@click.option("--json", "as_json", is_flag=True, help=_("Print the kept member as JSON."))
@pass_club
def merge_cmd(club: ClubContext, keep: str, other: str, yes: bool, as_json: bool) -> None:
    """Merge OTHER into KEEP (each an email or #ID): two records of the same person.

    Registrations, shifts, consent history and sent messages move to KEEP, empty fields
    are filled from OTHER, tags are joined; OTHER is archived.
    """
    kept, gone = _member_ref(club, keep), _member_ref(club, other)
    question = _(
        "Merge #{other} {other_name} <{other_email}> into #{keep} {keep_name} <{keep_email}>?"
    ).format(
        other=gone.id,
        other_name=gone.full_name,
        other_email=gone.email,
        keep=kept.id,
        keep_name=kept.full_name,
        keep_email=kept.email,
    )
    if not yes and not click.confirm(question):
        raise click.Abort()
    result = member_edit.merge_members(club.db, kept.id, gone.id, now=club.now())
    if as_json:
        echo_json(
            result.kept.as_dict()
            | {
                "moved": {
                    "registrations": result.registrations,
                    "shifts": result.shifts,
                    "consent_events": result.consent_events,
                    "messages": result.messages,
                }
            },
            indent=1,
        )
        return
    echo(
        _("Merged #{other} into #{keep}: {moved} moved; #{other} is archived.").format(
            other=gone.id, keep=kept.id, moved=_moved(result)
        )
    )


def _moved(r: member_edit.MergeResult) -> str:
    """ "2 registrations, 1 shift, 0 consent events, 3 messages": each count agrees."""
    parts = (
        ngettext("{n} registration", "{n} registrations", r.registrations).format(
            n=format_number(r.registrations)
        ),
        ngettext("{n} shift", "{n} shifts", r.shifts).format(n=format_number(r.shifts)),
        ngettext("{n} consent event", "{n} consent events", r.consent_events).format(
            n=format_number(r.consent_events)
        ),
        ngettext("{n} message", "{n} messages", r.messages).format(n=format_number(r.messages)),
    )
    return ", ".join(parts)


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
@click.argument("email_or_token")
@pass_club
def unsubscribe_cmd(club: ClubContext, email_or_token: str) -> None:
    """Unsubscribe EMAIL_OR_TOKEN from the newsletter: an address, or the unsubscribe
    token of a newsletter's link (recorded with source "cli")."""
    if "@" in email_or_token:
        member = _member(club, email_or_token)
    else:
        found = members.find_by_token(club.db, email_or_token)
        if found is None:
            raise NotFound(
                _("no member with email or unsubscribe token {value}").format(value=email_or_token)
            )
        member = found
    changed = False
    for same in members.find_all_by_email(club.db, member.email):  # twins awaiting a merge too
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
