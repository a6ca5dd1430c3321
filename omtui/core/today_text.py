"""The overview in words: the lines `omtui today` prints and the "Aujourd'hui" tab shows.

Whole sentences with named placeholders (translators get each line whole); numbers in the
interface language's style (Babel).
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from babel.numbers import format_decimal, format_percent

from omtui.core.dates import humanize_day
from omtui.core.labels import event_kind
from omtui.core.today import (
    Attendance,
    CityIdea,
    LastNewsletter,
    MemberFigures,
    NextEvent,
    Overview,
    Urgency,
    job_text,
)
from omtui.i18n import _, current_language, ngettext

SPARKS = "▁▂▃▄▅▆▇█"
MARKS = {Urgency.NOW: "!", Urgency.SOON: "•", Urgency.LATER: "·"}


def number(value: int) -> str:
    return format_decimal(value, locale=current_language())


def percent(value: float) -> str:
    return format_percent(value, locale=current_language())


def sparkline(values: list[int] | tuple[int, ...]) -> str:
    """One block character per value, the highest full height."""
    top = max(values, default=0)
    if not top:
        return SPARKS[0] * len(values)
    return "".join(SPARKS[round(v / top * (len(SPARKS) - 1))] for v in values)


def fill_bar(registered: int, capacity: int | None, width: int = 10) -> str:
    """ "███████░░░" for 7 of 10 places taken (no capacity: empty)."""
    if not capacity:
        return ""
    full = min(width, round(registered / capacity * width))
    return "█" * full + "░" * (width - full)


def heading_needs_you(count: int) -> str:
    return ngettext("What needs you ({n})", "What needs you ({n})", count).format(n=count)


def empty_needs_you() -> str:
    return _("Nothing needs you today: every shift is covered and every send went out.")


def members_line(figures: MemberFigures) -> str:
    """ "3 000 membres, 21 arrivés ce mois-ci, 0 désabonné ce mois-ci": each count agrees."""
    total, joined = figures.total, figures.joined_this_month
    left = figures.unsubscribed_this_month
    return _("{members}, {joined}, {unsubscribed}").format(
        members=ngettext("{n} member", "{n} members", total).format(n=number(total)),
        joined=ngettext("{n} joined this month", "{n} joined this month", joined).format(
            n=number(joined)
        ),
        unsubscribed=ngettext(
            "{n} unsubscribed this month", "{n} unsubscribed this month", left
        ).format(n=number(left)),
    )


def sparkline_line(figures: MemberFigures) -> str:
    values = [n for _month, n in figures.joined_by_month]
    return _("New members, last 12 months: {spark} ({n} in all)").format(
        spark=sparkline(values), n=number(sum(values))
    )


def event_line(event: NextEvent, now: datetime, tz: ZoneInfo) -> str:
    when = humanize_day(event.starts_at, now, tz)
    if event.capacity:
        seats = _("{registered}/{capacity}").format(
            registered=number(event.registered), capacity=number(event.capacity)
        )
    else:
        seats = number(event.registered)
    if event.waiting:
        return ngettext(
            "{when}: {title} ({kind}), {seats} registered, {n} waiting",
            "{when}: {title} ({kind}), {seats} registered, {n} waiting",
            event.waiting,
        ).format(
            when=when, title=event.title, kind=event_kind(event.kind), seats=seats, n=event.waiting
        )
    return _("{when}: {title} ({kind}), {seats} registered").format(
        when=when, title=event.title, kind=event_kind(event.kind), seats=seats
    )


def newsletter_line(letter: LastNewsletter | None, now: datetime, tz: ZoneInfo) -> str:
    if letter is None:
        return _("No newsletter sent yet.")
    left = letter.unsubscribed_after
    return _("“{subject}”, sent {when}: {sent} delivered, {failed} failed, {unsubscribed}").format(
        subject=letter.subject,
        when=humanize_day(letter.sent_at, now, tz),
        sent=number(letter.sent),
        failed=number(letter.failed),
        unsubscribed=ngettext(
            "{n} unsubscribed in the 7 days after", "{n} unsubscribed in the 7 days after", left
        ).format(n=number(left)),
    )


def attendance_line(row: Attendance) -> str:
    if row.rate is None:
        return ngettext(
            "{kind}: {events} event, nobody registered",
            "{kind}: {events} events, nobody registered",
            row.events,
        ).format(kind=event_kind(row.kind), events=row.events)
    return ngettext(
        "{kind}: {rate} came ({checked_in}/{registered}, {events} event)",
        "{kind}: {rate} came ({checked_in}/{registered}, {events} events)",
        row.events,
    ).format(
        kind=event_kind(row.kind),
        rate=percent(row.rate),
        checked_in=number(row.checked_in),
        registered=number(row.registered),
        events=row.events,
    )


def city_line(idea: CityIdea) -> str:
    return ngettext("{city}: {n} member", "{city}: {n} members", idea.members).format(
        city=idea.city, n=number(idea.members)
    )


def report(view: Overview, tz: ZoneInfo) -> list[str]:
    """The whole overview as plain lines (what `omtui today` prints)."""
    now = view.now
    lines = [heading_needs_you(len(view.items))]
    if view.items:
        lines += [f"  {MARKS[i.urgency]} {i.text}" for i in view.items]
    else:
        lines.append("  " + empty_needs_you())
    lines += ["", _("Automation")]
    lines += [f"  {job_text(job, now, tz)}" for job in view.jobs]
    lines += ["", _("The club at a glance")]
    lines += [f"  {members_line(view.members)}", f"  {sparkline_line(view.members)}"]
    lines += ["", _("Next events")]
    if view.next_events:
        lines += [f"  {event_line(e, now, tz)}" for e in view.next_events]
    else:
        lines.append("  " + _("No upcoming event."))
    lines += ["", _("Last newsletter"), f"  {newsletter_line(view.last_newsletter, now, tz)}"]
    lines += ["", _("Attendance, last 6 months (checked in / registered)")]
    if view.attendance:
        lines += [f"  {attendance_line(a)}" for a in view.attendance]
    else:
        lines.append("  " + _("No event in the last 6 months."))
    lines += ["", _("Where to hold the next lunch (no event there for 6 months)")]
    if view.lunch_cities:
        lines += [f"  {city_line(c)}" for c in view.lunch_cities]
    else:
        lines.append("  " + _("Every city with members had an event lately."))
    return lines
