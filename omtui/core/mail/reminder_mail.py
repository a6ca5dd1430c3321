"""The text of each reminder, in the club's language, with absolute dates.

Built with the standard library's EmailMessage (plain text, an `.ics` attached to event
reminders). `Auto-Submitted: auto-generated` (RFC 3834) tells mail systems not to answer
it automatically. Message-IDs carry the row (`rm<id>`), so a bounce can be matched to it.
"""

from __future__ import annotations

import json
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time

from omtui import i18n
from omtui.config import Config
from omtui.core import events as events_core
from omtui.core import ics, rota
from omtui.core.db import Database
from omtui.core.mail.reminders import ReminderRow
from omtui.core.text import clean_text
from omtui.i18n import _, ngettext


def club_language(db: Database) -> str:
    """The language members are written to: the club's (French for a new club), not the
    organiser's interface language."""
    from omtui.core.club import get_settings

    return get_settings(db).language


def when(moment: datetime, tz: ZoneInfo, lang: str) -> str:
    """ "samedi 27 mars 2027 à 10:00" / "Saturday, March 27, 2027 at 10:00" (club time)."""
    local = moment.astimezone(tz)
    return _("{date} at {time}").format(
        date=format_date(local.date(), format="full", locale=lang),
        time=format_time(local.time(), "HH:mm", locale=lang),
    )


def _place_lines(event: events_core.Event) -> list[str]:
    lines = []
    place = ", ".join(p for p in (event.host_company, event.address, event.city) if p)
    if place:
        lines.append(_("Where: {place}").format(place=place))
    if event.online_url:
        lines.append(_("Online link: {url}").format(url=event.online_url))
    if event.access_notes:
        lines.append(_("Access: {notes}").format(notes=event.access_notes))
    return lines


def _day_lines(event: events_core.Event, shift: rota.Shift, config: Config, lang: str) -> list[str]:
    """For a volunteer: when to arrive (the event's rule) and how to reach the organiser."""
    lines = []
    if event.arrive_before:
        arrive = event.arrive_by(shift.starts_at).astimezone(config.tz)
        lines.append(
            ngettext(
                "Please arrive by {time}, {n} minute before the shift.",
                "Please arrive by {time}, {n} minutes before the shift.",
                event.arrive_before,
            ).format(time=format_time(arrive.time(), "HH:mm", locale=lang), n=event.arrive_before)
        )
    ways = " · ".join(w.strip() for w in (config.organiser_email, config.organiser_phone) if w)
    if ways:
        lines.append(_("To reach the organiser on the day: {ways}").format(ways=ways))
    return lines


def _field_label(name: str) -> str:
    return {
        "starts_at": _("Starts"),
        "ends_at": _("Ends"),
        "host_company": _("Host"),
        "address": _("Address"),
        "city": _("City"),
        "online_url": _("Online link"),
        "access_notes": _("Access notes"),
    }[name]


def subject_and_body(
    db: Database,
    row: ReminderRow,
    config: Config,
    *,
    lang: str,
    name: str,
    now: datetime,
    also: tuple[int, ...] = (),
) -> tuple[str, str, bytes | None]:
    """(subject, plain-text body, .ics bytes or None) for one reminder, in the current
    language (call inside `i18n.language_for(lang)`). `also`: more shift ids for one call
    for help."""
    tz = config.tz
    event = events_core.get_event(db, row.event_id) if row.event_id else None
    shift = rota.get_shift(db, row.shift_id) if row.shift_id else None
    hello = _("Hello {name},").format(name=name) if name else _("Hello,")
    lines: list[str] = []
    attachment = None
    assert event is not None
    at = when(event.starts_at, tz, lang)
    if row.kind == "event":
        subject = _("Reminder: {title}, {when}").format(title=event.title, when=at)
        lines.append(
            _("This is a reminder that you are registered for {title} on {when}.").format(
                title=event.title, when=at
            )
        )
        lines += _place_lines(event)
        lines.append(_("The event is attached as a calendar file."))
        attachment = ics.events_to_ical([event], tz=tz, now=now, calendar_name=config.club_name)
    elif row.kind == "promotion":
        subject = _("A place is yours: {title}").format(title=event.title)
        lines.append(
            _(
                "Good news: a place opened up and you are now registered for {title} on {when}."
            ).format(title=event.title, when=at)
        )
        lines += _place_lines(event)
        attachment = ics.events_to_ical([event], tz=tz, now=now, calendar_name=config.club_name)
    elif row.kind == "change":
        subject = _("Change to {title}").format(title=event.title)
        lines.append(_("{title} has changed:").format(title=event.title))
        for field, (old, new) in sorted(json.loads(row.detail).items()):
            if field in ("starts_at", "ends_at"):
                from omtui.core.dates import from_iso

                old = when(from_iso(old), tz, lang) if old else ""
                new = when(from_iso(new), tz, lang) if new else ""
            lines.append(
                _("{field}: {new} (was: {old})").format(
                    field=_field_label(field), new=new or "-", old=old or "-"
                )
            )
        lines.append(_("It now starts on {when}.").format(when=at))
        attachment = ics.events_to_ical([event], tz=tz, now=now, calendar_name=config.club_name)
    elif row.kind == "cancellation":
        subject = _("Cancelled: {title}, {when}").format(title=event.title, when=at)
        if row.detail == "waiting":
            news = _(
                "We are sorry: {title}, planned on {when}, is cancelled. You were on its"
                " waiting list; there is nothing for you to do."
            )
        else:
            news = _(
                "We are sorry: {title}, planned on {when}, is cancelled. Your registration"
                " is cancelled with it; there is nothing for you to do."
            )
        lines.append(news.format(title=event.title, when=at))
        lines.append(_("The attached calendar file marks the event cancelled."))
        attachment = ics.events_to_ical([event], tz=tz, now=now, calendar_name=config.club_name)
    else:
        assert shift is not None
        start = when(shift.starts_at, tz, lang)
        end = format_time(shift.ends_at.astimezone(tz).time(), "HH:mm", locale=lang)
        if row.kind == "shift":
            subject = _("Your shift: {role} at {title}, {when}").format(
                role=shift.role, title=event.title, when=start
            )
            lines.append(
                _(
                    "This is a reminder of your volunteer shift: {role} at {title}, {when} to"
                    " {end}."
                ).format(role=shift.role, title=event.title, when=start, end=end)
            )
            if shift.notes:
                lines.append(_("Notes: {notes}").format(notes=shift.notes))
            lines += _place_lines(event)
            lines += _day_lines(event, shift, config, lang)
        elif row.kind == "call_for_help":
            subject = _("Volunteers wanted: {role} at {title}, {when}").format(
                role=shift.role, title=event.title, when=start
            )
            for other in [shift, *(rota.get_shift(db, i) for i in also)]:
                other_event = events_core.get_event(db, other.event_id)
                lines.append(
                    ngettext(
                        "The shift {role} at {title} on {when} still needs {n} volunteer.",
                        "The shift {role} at {title} on {when} still needs {n} volunteers.",
                        other.missing,
                    ).format(
                        role=other.role,
                        title=other_event.title,
                        when=when(other.starts_at, tz, lang),
                        n=other.missing,
                    )
                )
                lines += _place_lines(other_event)
            lines.append(_("If you can help, take it in the volunteer app or reply to this mail."))
        else:  # drop_notice
            who = db.query_one(
                "SELECT first_name, last_name, email FROM members WHERE id = ?", (row.member_id,)
            )
            volunteer = (
                " ".join(p for p in (who["first_name"], who["last_name"]) if p) or who["email"]
                if who
                else "?"
            )
            subject = _("{name} dropped the shift {role} at {title}, {when}").format(
                name=volunteer, role=shift.role, title=event.title, when=start
            )
            lines.append(
                _("{name} dropped the shift {role} at {title} on {when}, at short notice.").format(
                    name=volunteer, role=shift.role, title=event.title, when=start
                )
            )
            lines.append(_("Reason: {reason}").format(reason=row.detail or "-"))
            lines.append(
                ngettext(
                    "Places still open: {n}.", "Places still open: {n}.", shift.missing
                ).format(n=shift.missing)
            )
            hello = _("Hello,")
    footer = _("-- \n{club}").format(club=config.club_name)
    body = "\n\n".join([hello, *lines, footer]) + "\n"
    return clean_text(subject).replace("\n", " "), body, attachment


def build(
    db: Database,
    row: ReminderRow,
    config: Config,
    *,
    lang: str,
    name: str,
    now: datetime,
    also: tuple[int, ...] = (),
) -> tuple[str, bytes]:
    """(Message-ID, the message as bytes) for one reminder row (and, for a call for help,
    the other shifts `also` needing the same volunteer)."""
    with i18n.language_for(lang):  # this thread only: the screen keeps its language
        subject, body, attachment = subject_and_body(
            db, row, config, lang=lang, name=name, now=now, also=also
        )
    smtp = config.smtp
    domain = smtp.from_address.rpartition("@")[2] or "localhost"
    message = EmailMessage(policy=policy.SMTP if row.email.isascii() else policy.SMTPUTF8)
    message["From"] = formataddr((smtp.from_name or config.club_name, smtp.from_address))
    message["To"] = row.email
    message["Subject"] = subject
    message["Date"] = format_datetime(now)
    message_id = make_msgid(idstring=f"rm{row.id}", domain=domain)
    message["Message-ID"] = message_id
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(body)
    if attachment is not None:
        message.add_attachment(
            attachment, maintype="text", subtype="calendar", filename="event.ics"
        )
    return message_id, message.as_bytes()
