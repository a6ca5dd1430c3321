"""CLI: `omtui rota` prints the shifts (organiser view, or one volunteer's with --member);
`omtui rota assign|unassign|add|edit|delete` change them through the same core as the Rota tab."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import click

from omtui.commands import echo, echo_json, pass_club
from omtui.context import ClubContext
from omtui.core import dateparse, member_edit, members, rota
from omtui.core.dates import format_local, to_iso
from omtui.errors import OmtuiError, UnusableInput
from omtui.i18n import _, ngettext

WHEN = "%Y-%m-%d %H:%M"


def _shift_dict(
    club: ClubContext, shift: rota.Shift, held: list[rota.Assignment], gone: list[rota.Assignment]
) -> dict[str, Any]:
    return {
        "id": shift.id,
        "event_id": shift.event_id,
        "event": shift.event_title,
        "role": shift.role,
        "starts_at": to_iso(shift.starts_at),
        "ends_at": to_iso(shift.ends_at),
        "starts_local": format_local(shift.starts_at, club.tz, WHEN),
        "ends_local": format_local(shift.ends_at, club.tz, WHEN),
        "needed": shift.needed,
        "filled": shift.filled,
        "missing": shift.missing,
        "notes": shift.notes,
        "volunteers": [{"name": a.full_name, "email": a.email} for a in held],
        "dropped": [
            {
                "name": a.full_name,
                "email": a.email,
                "dropped_at": to_iso(a.dropped_at) if a.dropped_at else None,
                "reason": a.drop_reason,
            }
            for a in gone
        ],
    }


@click.group("rota", invoke_without_command=True)
@click.option("--member", "email", help=_("Only this volunteer's shifts."))
@click.option("--json", "as_json", is_flag=True, help=_("Print JSON instead of text."))
@click.option("--past", is_flag=True, help=_("Include shifts that have ended."))
@click.pass_context
def rota_group(ctx: click.Context, email: str | None, as_json: bool, past: bool) -> None:
    """Print the volunteer rota: every shift not yet ended, with who holds it and the gaps."""
    if ctx.invoked_subcommand is not None:
        return
    club: ClubContext = ctx.obj
    db, now = club.db, club.now()
    member_id = rota.require_volunteer(db, email).id if email else None
    shifts = rota.list_shifts(db, since=None if past else now, member_id=member_id)
    ids = [s.id for s in shifts]
    held, gone = rota.assignments(db, ids), rota.assignments(db, ids, dropped=True)
    if as_json:
        rows = [_shift_dict(club, s, held.get(s.id, []), gone.get(s.id, [])) for s in shifts]
        echo_json(rows, indent=2)
        return
    if not shifts:
        echo(_("No shifts for this volunteer.") if email else _("No upcoming shifts."))
        return
    event_id = None
    for shift in shifts:
        if shift.event_id != event_id:
            echo(("" if event_id is None else "\n") + shift.event_title)
            event_id = shift.event_id
        names = ", ".join(a.full_name for a in held.get(shift.id, [])) or "-"
        gap = (
            "  "
            + ngettext("GAP: {n} missing", "GAP: {n} missing", shift.missing).format(
                n=shift.missing
            )
            if shift.missing
            else ""
        )
        echo(
            f"{shift.id:>5}  {shift.when(club.tz):<24}  {shift.role:<16} "
            f"{shift.filled}/{shift.needed}  {names}{gap}"
        )
        for a in gone.get(shift.id, []):
            reason = a.drop_reason or _("no reason given")
            echo(
                "       " + _("dropped by {name}: {reason}").format(name=a.full_name, reason=reason)
            )


@rota_group.command("assign")
@click.argument("shift_id", type=int)
@click.argument("email")
@click.option(
    "--tag-volunteer",
    is_flag=True,
    help=_("Tag the member volunteer first if they are not one yet."),
)
@pass_club
def assign_cmd(club: ClubContext, shift_id: int, email: str, tag_volunteer: bool) -> None:
    """Put a volunteer on a shift (refused, naming the clash, if they are double-booked)."""
    member = members.find_by_email(club.db, email)
    if (
        member is not None
        and member.archived_at is None
        and rota.find_volunteer(club.db, email) is None
    ):
        if not tag_volunteer:
            raise UnusableInput(
                _("{email} is not a volunteer; add --tag-volunteer to tag them and assign").format(
                    email=member.email
                )
            )
        member_edit.add_tags(club.db, member.id, ["volunteer"], now=club.now())
        echo(_("{name} is now tagged volunteer.").format(name=member.full_name))
    volunteer = rota.require_volunteer(club.db, email)
    result = rota.take_shift(
        club.db, shift_id, volunteer.id, now=club.now(), tz=club.tz, by="organiser"
    )
    if not result.ok:
        raise OmtuiError(result.message)
    echo(_("{name}: {message}").format(name=volunteer.full_name, message=result.message))


@rota_group.command("unassign")
@click.argument("shift_id", type=int)
@click.argument("email")
@pass_club
def unassign_cmd(club: ClubContext, shift_id: int, email: str) -> None:
    """Take a volunteer off a shift."""
    volunteer = rota.require_volunteer(club.db, email)
    shift = rota.unassign(club.db, shift_id, volunteer.id)
    echo(_("{name} is off {shift}").format(name=volunteer.full_name, shift=shift.label(club.tz)))


def _when(club: ClubContext, text: str, field: str, start: datetime | None = None) -> datetime:
    """A start, or with `start` an end (a time alone is on the start's day)."""
    try:
        if start is not None:
            return dateparse.parse_end(text, start=start, tz=club.tz, now=club.now())
        return dateparse.parse_datetime(text, tz=club.tz, now=club.now())
    except dateparse.UnreadableDate:
        raise UnusableInput(
            _("{field}: {text!r} is not a date and time; write it like 2026-12-03 18:30").format(
                field=field, text=text
            )
        ) from None
    except dateparse.DateParseError as exc:
        raise UnusableInput(_("{field}: {reason}").format(field=field, reason=str(exc))) from None


@rota_group.command("add")
@click.argument("event_id", type=int)
@click.option("--role", required=True, help=_("welcome desk, set-up, host, tear-down, ..."))
@click.option("--start", required=True, help=_("Start, club time: 2026-12-03 18:00"))
@click.option(
    "--end",
    required=True,
    help=_('End, club time: "2026-12-03 20:00" or "20:00" (same day as the start).'),
)
@click.option("--needed", default=1, show_default=True, type=int, help=_("Volunteers needed."))
@click.option("--notes", default="", help=_("What the volunteers should know."))
@pass_club
def add_cmd(
    club: ClubContext, event_id: int, role: str, start: str, end: str, needed: int, notes: str
) -> None:
    """Add a shift to an event."""
    starts_at = _when(club, start, "--start")
    shift = rota.create_shift(
        club.db,
        event_id,
        role=role,
        starts_at=starts_at,
        ends_at=_when(club, end, "--end", starts_at),
        needed=needed,
        notes=notes,
    )
    echo(_("Shift {id}: {shift}").format(id=shift.id, shift=shift.label(club.tz)))


@rota_group.command("edit")
@click.argument("shift_id", type=int)
@click.option("--role", help=_("welcome desk, set-up, host, tear-down, ..."))
@click.option("--start", help=_("Start, club time: 2026-12-03 18:00"))
@click.option(
    "--end", help=_('End, club time: "2026-12-03 20:00" or "20:00" (same day as the start).')
)
@click.option("--needed", type=int, help=_("Volunteers needed."))
@click.option("--notes", help=_("What the volunteers should know."))
@pass_club
def edit_cmd(
    club: ClubContext,
    shift_id: int,
    role: str | None,
    start: str | None,
    end: str | None,
    needed: int | None,
    notes: str | None,
) -> None:
    """Change some fields of a shift (the others stay as they are)."""
    if all(v is None for v in (role, start, end, needed, notes)):
        raise click.UsageError(_("nothing to change: give at least one option"))
    shift = rota.get_shift(club.db, shift_id)
    starts_at = _when(club, start, "--start") if start else shift.starts_at
    shift = rota.update_shift(
        club.db,
        shift_id,
        role=shift.role if role is None else role,
        starts_at=starts_at,
        ends_at=_when(club, end, "--end", starts_at) if end else shift.ends_at,
        needed=shift.needed if needed is None else needed,
        notes=shift.notes if notes is None else notes,
    )
    echo(_("Shift {id}: {shift}").format(id=shift.id, shift=shift.label(club.tz)))


@rota_group.command("delete")
@click.argument("shift_id", type=int)
@click.option("--yes", is_flag=True, help=_("Do not ask for confirmation."))
@pass_club
def delete_cmd(club: ClubContext, shift_id: int, yes: bool) -> None:
    """Delete a shift and its assignments."""
    shift = rota.get_shift(club.db, shift_id)
    if not yes and not click.confirm(
        ngettext(
            "Delete {shift} ({n} volunteer on it)?",
            "Delete {shift} ({n} volunteers on it)?",
            shift.filled,
        ).format(shift=shift.label(club.tz), n=shift.filled)
    ):
        raise click.Abort()
    rota.delete_shift(club.db, shift_id)
    echo(_("Deleted {shift}").format(shift=shift.label(club.tz)))


COMMANDS: list[click.Command] = [rota_group]
