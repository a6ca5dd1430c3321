"""CLI: `omtui events ...` (events, registrations, check-in, guest list, calendar) and
`omtui partners ...`."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from omtui.commands import echo, echo_json, pass_club
from omtui.context import ClubContext
from omtui.core import events as ev
from omtui.core import labels
from omtui.core import partners as pt
from omtui.core.dates import format_day_time, format_time, humanize_day, to_iso
from omtui.core.events_import import import_registrations
from omtui.core.ics import events_to_ical
from omtui.core.numbers import format_number, format_percent
from omtui.errors import OmtuiError
from omtui.i18n import _, ngettext
from omtui.paths import open_private


def _seats(stats: ev.EventStats) -> str:
    if stats.capacity is None:
        return f"{stats.registered}"
    return f"{stats.registered}/{stats.capacity}"


@click.group("events")
def events_group() -> None:
    """Plan events, fill them, check people in, export a calendar."""


@events_group.command("list")
@click.option("--json", "as_json", is_flag=True, help=_("Print JSON instead of a table."))
@click.option("--past", is_flag=True, help=_("Past events (most recent first) instead."))
@click.option("--all", "show_all", is_flag=True, help=_("Upcoming, then past events."))
@pass_club
def list_cmd(club: ClubContext, as_json: bool, past: bool, show_all: bool) -> None:
    """Upcoming events, soonest first."""
    now = club.now()
    found = ev.list_events(club.db, now=now, include_past=show_all, past_only=past)
    if as_json:
        rows = []
        for event in found:
            stats = ev.event_stats(club.db, event.id)
            rows.append(
                event.as_dict()
                | {
                    "registered": stats.registered,
                    "waiting": stats.waiting,
                    "seats_left": stats.seats_left,
                    "attended": stats.attended,
                }
            )
        echo_json(rows, indent=2)
        return
    if not found:
        echo(_("No past events.") if past else _("No upcoming events."))
        return
    this_year = now.astimezone(club.tz).year  # other years are named: "Fri 8 Jan" is ambiguous
    for event in found:
        stats = ev.event_stats(club.db, event.id)
        other_year = event.starts_at.astimezone(club.tz).year != this_year
        status = f" [{labels.event_status(event.status)}]"  # each status, confirmed too
        waiting = f" +{stats.waiting} " + _("waiting") if stats.waiting else ""
        kind, where = labels.event_kind(event.kind), event.city or _("online")
        echo(
            f"{event.id:>4}  {format_day_time(event.starts_at, club.tz, year=other_year)}  "
            f"{kind:<7}  {event.title}{status}  ({where}; "
            f"{_seats(stats)}{waiting}; {humanize_day(event.starts_at, now, club.tz)})"
        )


def _show(club: ClubContext, event: ev.Event) -> None:
    db, tz = club.db, club.tz
    stats = ev.event_stats(db, event.id)
    lines = [
        f"#{event.id} {event.title}",
        _("Kind: {kind}   Status: {status}").format(
            kind=labels.event_kind(event.kind), status=labels.event_status(event.status)
        ),
        _("When: {start} - {end} ({tz}), {rel}").format(
            start=format_day_time(event.starts_at, tz, year=True),
            end=format_time(event.ends_at, tz),
            tz=tz.key,
            rel=humanize_day(event.starts_at, club.now(), tz),
        ),
        _("Where: {where}").format(where=event.location or "-"),
    ]
    if event.host_member_id:
        host = db.query_one(
            "SELECT first_name, last_name FROM members WHERE id = ?", (event.host_member_id,)
        )
        if host:
            lines.append(_("Host: {name}").format(name=f"{host['first_name']} {host['last_name']}"))
    if event.room_capacity:
        lines.append(_("Room capacity: {n}").format(n=event.room_capacity))
    if event.access_notes:
        lines.append(_("Access: {notes}").format(notes=event.access_notes))
    if event.arrive_before:
        lines.append(event.arrival_rule())
    seats = _("unlimited") if stats.seats_left is None else str(stats.seats_left)
    lines.append(
        _("Registered: {reg}   Seats left: {left}   Waiting: {wait}   Attended: {att}").format(
            reg=_seats(stats), left=seats, wait=stats.waiting, att=stats.attended
        )
    )
    if stats.attendance_rate is not None and event.is_past(club.now()):
        lines.append(
            _("Attendance rate: {rate}").format(rate=format_percent(stats.attendance_rate))
        )
    linked = pt.event_partners(db, event.id)
    if linked:
        lines.append(
            _("Partners: {names}").format(
                names=", ".join(f"{p.partner.company} ({p.role})" for p in linked)
            )
        )
    if event.description:
        lines += ["", event.description]
    regs = ev.registrations(db, event.id)
    if regs:
        lines += ["", _("Registrations:")]
    for reg in regs:
        if reg.status == "registered":
            mark = "✓" if reg.attended_at else " "
            lines.append(f"  {mark} {reg.full_name} <{reg.email}>")
    for number, reg in enumerate((r for r in regs if r.status == "waiting"), start=1):
        lines.append(f"  {_('waiting')} #{number}: {reg.full_name} <{reg.email}>")
    if event.cancelled:  # who was coming
        gone = labels.registration_status("cancelled")
        lines += [f"  {gone}: {r.full_name} <{r.email}>" for r in regs if r.status == "cancelled"]
    echo("\n".join(lines))


def _registration_dict(reg: ev.Registration) -> dict[str, Any]:
    def iso(value: datetime | None) -> str | None:
        return to_iso(value) if value else None

    return {
        "member_id": reg.member_id,
        "name": reg.full_name,
        "email": reg.email,
        "status": reg.status,
        "registered_at": iso(reg.registered_at),
        "promoted_at": iso(reg.promoted_at),
        "cancelled_at": iso(reg.cancelled_at),
        "attended_at": iso(reg.attended_at),
        "source": reg.source,
    }


def _show_json(club: ClubContext, event: ev.Event) -> None:
    stats = ev.event_stats(club.db, event.id)
    echo_json(
        event.as_dict()
        | {
            "registered": stats.registered,
            "waiting": stats.waiting,
            "cancelled": stats.cancelled,
            "seats_left": stats.seats_left,
            "attended": stats.attended,
            "partners": [
                {"company": p.partner.company, "role": p.role}
                for p in pt.event_partners(club.db, event.id)
            ],
            "registrations": [_registration_dict(r) for r in ev.registrations(club.db, event.id)],
        },
        indent=2,
    )


@events_group.command("show")
@click.argument("event_id", type=int)
@click.option(
    "--json", "as_json", is_flag=True, help=_("Print JSON: every field and registration.")
)
@pass_club
def show_cmd(club: ClubContext, event_id: int, as_json: bool) -> None:
    """An event with its registrations, waiting list and partners."""
    event = ev.get_event(club.db, event_id)
    if as_json:
        _show_json(club, event)
    else:
        _show(club, event)


@events_group.command("cancel")
@click.argument("event_id", type=int)
@click.option("--yes", is_flag=True, help=_("Do not ask for confirmation."))
@click.option(
    "--send-now",
    is_flag=True,
    help=_("Send the cancellation notices now, not with the next `omtui remind` run."),
)
@pass_club
@click.pass_context
def cancel_cmd(
    ctx: click.Context, club: ClubContext, event_id: int, yes: bool, send_now: bool
) -> None:
    """Cancel an event: its registrations are cancelled and its shifts no longer need anyone.

    The event is kept (calendars get STATUS:CANCELLED). Each member registered or on the
    waiting list gets one email saying so, in the club's language: it goes out with the
    next `omtui remind` run (cron), or at once with --send-now. Running it again sends
    nobody a second notice.
    """
    from omtui.core.mail import cancel_notice

    event = ev.get_event(club.db, event_id)
    if not event.cancelled:
        people = [r for r in ev.registrations(club.db, event_id) if r.status != "cancelled"]
        told = cancel_notice.to_tell(club.db, event_id, now=club.now())
        question = ngettext(
            "Cancel {title} ({n} registration)?", "Cancel {title} ({n} registrations)?", len(people)
        ).format(title=event.title, n=len(people))
        if told:
            question += " " + ngettext(
                "{n} member will be told by email.", "{n} members will be told by email.", told
            ).format(n=told)
        if not yes and not click.confirm(question):
            raise click.Abort()
    done = cancel_notice.cancel_event(club.db, event_id, now=club.now())
    if done.was_cancelled:
        echo(_("{title} was already cancelled.").format(title=event.title))
    else:
        echo(
            ngettext(
                "{title} is cancelled; {n} registration cancelled.",
                "{title} is cancelled; {n} registrations cancelled.",
                len(people),
            ).format(title=event.title, n=len(people))
        )
    if not done.pending:
        return
    if not send_now:
        _say_notices(done.pending, event_id)
        return
    _send_notices(ctx, club)


def _queue_notices(club: ClubContext, event_id: int) -> int:
    """Queue the notices of an event just cancelled; how many are waiting."""
    from omtui.core.mail import cancel_notice

    return cancel_notice.cancel_event(club.db, event_id, now=club.now()).pending


def _say_notices(pending: int, event_id: int) -> None:
    if pending:
        echo(
            ngettext(
                "{n} cancellation notice is waiting: it goes out with the next `omtui remind`"
                " run, or now with `omtui events cancel {id} --send-now`.",
                "{n} cancellation notices are waiting: they go out with the next"
                " `omtui remind` run, or now with `omtui events cancel {id} --send-now`.",
                pending,
            ).format(n=pending, id=event_id)
        )


def _send_notices(ctx: click.Context, club: ClubContext) -> None:
    """Send the queued cancellation notices now (the reminders' sender, lease and rate)."""
    from omtui.core.mail import cancel_notice, remind_run

    try:
        report = remind_run.run(
            club.db, club.config, clock=club.now, kinds=cancel_notice.CANCELLATION
        )
    except OmtuiError as exc:
        echo(str(exc), err=True)
        echo(_("The notices stay queued for the next `omtui remind` run."), err=True)
        ctx.exit(1)
    if report.busy:
        echo(_("omtui remind is running now: it sends the notices, or its next run does."))
        return
    echo(_("Cancellation notices: {summary}").format(summary=report.summary()))
    for address, reply in report.failed + report.uncertain:
        echo(f"{address}: {reply}")
    if report.stopped:
        echo(_("The notices stay queued for the next `omtui remind` run."))
    if not report.ok:
        ctx.exit(1)


def _event_options(func):
    options = [
        click.option("--kind", type=click.Choice(ev.KINDS), help=_("Kind of event.")),
        click.option("--title", help=_("Title.")),
        click.option("--start", help=_('Start, club time: "2026-12-03 12:30".')),
        click.option("--end", help=_('End, club time: "2026-12-03 14:00" or "14:00".')),
        click.option("--city"),
        click.option("--host", "host_email", help=_("Email of the member hosting a meetup.")),
        click.option("--host-company"),
        click.option("--address"),
        click.option("--url", "online_url", help=_("Online link (webinars).")),
        click.option("--capacity", help=_("Seats (empty for no limit).")),
        click.option("--room-capacity", help=_("How many the host's room holds.")),
        click.option("--access-notes", help=_("Floor, badge, door code...")),
        click.option(
            "--arrive-before",
            metavar="MINUTES",
            help=_("Volunteers arrive this many minutes before their shift (empty: at its start)."),
        ),
        click.option("--description"),
        click.option("--status", type=click.Choice(ev.STATUSES)),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _fields_from(club: ClubContext, options: dict[str, Any], base: ev.Event | None) -> dict:
    fields: dict[str, Any] = {}
    for name in (
        "kind",
        "title",
        "city",
        "host_company",
        "address",
        "online_url",
        "capacity",
        "room_capacity",
        "access_notes",
        "arrive_before",
        "description",
        "status",
    ):
        if options.get(name) is not None:
            fields[name] = options[name]
    if options.get("host_email"):
        fields["host_member_id"] = ev.member_by_email(club.db, options["host_email"]).id
    now = club.now()
    if options.get("start"):
        fields["starts_at"] = ev.parse_when(options["start"], club.tz, "starts_at", now=now)
    start = fields.get("starts_at") or (base.starts_at if base else None)
    if options.get("end"):
        fields["ends_at"] = ev.parse_when(options["end"], club.tz, "ends_at", now=now, start=start)
    return fields


@events_group.command("add")
@_event_options
@pass_club
def add_cmd(club: ClubContext, **options: Any) -> None:
    """Add an event; times are typed in the club's timezone."""
    fields = _fields_from(club, options, None)
    event = ev.create_event(club.db, fields, now=club.now())
    echo(_("Added event {id}: {title}").format(id=event.id, title=event.title))


@events_group.command("edit")
@click.argument("event_id", type=int)
@_event_options
@pass_club
def edit_cmd(club: ClubContext, event_id: int, **options: Any) -> None:
    """Change some fields of an event (the others stay as they are)."""
    current = ev.get_event(club.db, event_id)
    fields = _fields_from(club, options, current)
    if not fields:
        raise click.UsageError(_("nothing to change: give at least one option"))
    event = ev.update_event(club.db, event_id, fields, now=club.now())
    echo(_("Updated event {id}: {title}").format(id=event.id, title=event.title))
    if event.cancelled and not current.cancelled:  # as `omtui events cancel` would
        _say_notices(_queue_notices(club, event_id), event_id)


@events_group.command("register")
@click.argument("event_id", type=int)
@click.argument("email")
@pass_club
def register_cmd(club: ClubContext, event_id: int, email: str) -> None:
    """Register a member (by email); when full they join the waiting list."""
    member = ev.member_by_email(club.db, email)
    reg = ev.register(club.db, event_id, member.id, now=club.now(), source="cli")
    if reg.status == "registered":
        echo(_("{name} is registered.").format(name=member.full_name))
    else:
        place = len(ev.waiting_list(club.db, event_id))
        echo(
            _("The event is full: {name} is number {n} on the waiting list.").format(
                name=member.full_name, n=place
            )
        )


@events_group.command("cancel-registration")
@click.argument("event_id", type=int)
@click.argument("email")
@pass_club
def cancel_registration_cmd(club: ClubContext, event_id: int, email: str) -> None:
    """Cancel a member's registration; the first on the waiting list takes the seat."""
    member = ev.member_by_email(club.db, email)
    promoted = ev.cancel_registration(club.db, event_id, member.id, now=club.now())
    echo(_("Cancelled {name}'s registration.").format(name=member.full_name))
    if promoted:
        echo(_("{name} moved up from the waiting list.").format(name=promoted.full_name))


@events_group.command("checkin")
@click.argument("event_id", type=int)
@click.argument("email")
@click.option(
    "--walk-in", is_flag=True, help=_("Not registered: register and check in, in one step.")
)
@click.option(
    "--overbook", is_flag=True, help=_("Check in even if every seat is taken (over capacity).")
)
@click.option(
    "--early", is_flag=True, help=_("Check in before the doors open (2 hours before the start).")
)
@pass_club
def checkin_cmd(
    club: ClubContext, event_id: int, email: str, walk_in: bool, overbook: bool, early: bool
) -> None:
    """Mark a registered member as attended (from 2 hours before the start).

    Someone on the waiting list takes a free seat; when none is left, --overbook lets
    them in over capacity. --walk-in registers a member who did not register.
    """
    member = ev.member_by_email(club.db, email)
    before = ev.get_registration(club.db, event_id, member.id)
    check = ev.walk_in if walk_in else ev.check_in
    try:
        reg = check(club.db, event_id, member.id, now=club.now(), overbook=overbook, early=early)
    except ev.NeedsSeat as exc:
        raise OmtuiError(
            _("{reason}; add --overbook to check them in over capacity").format(reason=exc)
        ) from exc
    except ev.CheckInNotOpen as exc:
        raise OmtuiError(
            _("{reason} ({when}); add --early to check in now").format(
                reason=exc, when=format_day_time(exc.opens_at, club.tz)
            )
        ) from exc
    if before and before.attended_at:
        when = format_time(reg.attended_at or club.now(), club.tz)
        echo(_("{name} was already checked in at {when}.").format(name=member.full_name, when=when))
    else:
        echo(_("{name} checked in.").format(name=member.full_name))


@events_group.command("guests")
@click.argument("event_id", type=int)
@pass_club
def guests_cmd(club: ClubContext, event_id: int) -> None:
    """Names-only guest list for the host's reception (no emails or phones)."""
    event = ev.get_event(club.db, event_id)
    names = ev.guest_list(club.db, event_id)
    echo(
        ngettext(
            "{title} - {when} ({n} guest)", "{title} - {when} ({n} guests)", len(names)
        ).format(
            title=event.title,
            when=format_day_time(event.starts_at, club.tz, year=True),
            n=format_number(len(names)),
        )
    )
    for name in names:
        echo(name)


@events_group.command("ics")
@click.argument("event_id", type=int, required=False)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help=_("Write to this file instead of standard output."),
)
@pass_club
def ics_cmd(club: ClubContext, event_id: int | None, output: Path | None) -> None:
    """iCalendar (.ics) for one event, or all upcoming events."""
    now = club.now()
    chosen = [ev.get_event(club.db, event_id)] if event_id else ev.list_events(club.db, now=now)
    data = events_to_ical(chosen, tz=club.tz, now=now, calendar_name=club.config.club_name)
    if output is None:
        sys.stdout.buffer.write(data)
        return
    try:
        with open_private(output, "wb") as fh:  # 0600 (0660 shared): who attends what
            fh.write(data)
    except OSError as exc:
        raise OmtuiError(_("cannot write {path}: {error}").format(path=output, error=exc)) from exc
    echo(
        ngettext("Wrote {n} event to {path}", "Wrote {n} events to {path}", len(chosen)).format(
            n=len(chosen), path=output
        ),
        err=True,
    )


@events_group.command("import-registrations")
@click.argument("event_id", type=int)
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help=_("Show what would happen; write nothing."))
@pass_club
def import_registrations_cmd(club: ClubContext, event_id: int, file: Path, dry_run: bool) -> None:
    """Register the members listed in a form tool's CSV export (by email).

    Emails that are not members are listed, not added. Exit code 1 when some rows could
    not be used (the others are registered).
    """
    report = import_registrations(club.db, event_id, file, now=club.now(), dry_run=dry_run)
    for warning in report.warnings:
        echo(_("warning: {text}").format(text=warning), err=True)
    verb = _("Would register") if dry_run else _("Registered")
    echo(
        _("{verb} {n} for {title}; {w} on the waiting list; {a} already there.").format(
            verb=verb,
            n=len(report.registered),
            title=report.event.title,
            w=len(report.waiting),
            a=len(report.already),
        )
    )
    if report.unknown:
        echo(_("Not members (not added; check the address or add them first):"))
        for line, email in report.unknown:
            echo(_("  line {line}: {text}").format(line=line, text=email))
    if report.invalid:
        echo(_("Rows not used:"))
    for line, _value, why in report.invalid:
        echo(_("  line {line}: {text}").format(line=line, text=why))
    if report.problems:
        raise click.exceptions.Exit(1)


@click.group("partners")
def partners_group() -> None:
    """Partners (exhibitors and sponsors of events)."""


@partners_group.command("list")
@pass_club
def partners_list(club: ClubContext) -> None:
    """Every partner."""
    for partner in pt.list_partners(club.db):
        echo(f"{partner.id:>4}  {partner.company}  {partner.contact}  {partner.email}")


@partners_group.command("add")
@click.argument("company")
@click.option("--contact", default="")
@click.option("--email", default="")
@pass_club
def partners_add(club: ClubContext, company: str, contact: str, email: str) -> None:
    """Add a partner company."""
    fields = {"company": company, "contact": contact, "email": email}
    partner = pt.add_partner(club.db, fields, now=club.now())
    echo(_("Added partner {id}: {company}").format(id=partner.id, company=partner.company))


@partners_group.command("link")
@click.argument("event_id", type=int)
@click.argument("partner")
@click.option("--role", type=click.Choice(pt.ROLES), default="exhibitor", show_default=True)
@pass_club
def partners_link(club: ClubContext, event_id: int, partner: str, role: str) -> None:
    """Link a partner (id or company name) to an event."""
    found = pt.find_partner(club.db, partner)
    pt.link_partner(club.db, event_id, found.id, role)
    echo(
        _("{company} is {role} of event {id}.").format(
            company=found.company, role=labels.partner_role(role), id=event_id
        )
    )


@partners_group.command("unlink")
@click.argument("event_id", type=int)
@click.argument("partner")
@pass_club
def partners_unlink(club: ClubContext, event_id: int, partner: str) -> None:
    """Remove a partner from an event."""
    found = pt.find_partner(club.db, partner)
    if not pt.unlink_partner(club.db, event_id, found.id):
        raise OmtuiError(
            _("{company} is not linked to event {id}").format(company=found.company, id=event_id)
        )
    echo(_("{company} removed from event {id}.").format(company=found.company, id=event_id))


COMMANDS: list[click.Command] = [events_group, partners_group]
