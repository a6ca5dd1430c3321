"""Newsletters: drafts, duplicates, audiences, placeholders, previews and the send plan.

A draft is editable; once a send starts (status `sending`, `paused`, `sent`, `cancelled`)
the newsletter is read-only: its subject, body, audience and the `{upcoming_events}`
block are frozen, and the outbox rows snapshot who receives it.

Placeholders use `str.format` syntax: `{first_name}`, `{last_name}`, `{city}`,
`{unsubscribe}` (the member's unsubscribe link) and `{upcoming_events}` (a Markdown list
of the next events). `{{` and `}}` stand for literal braces. Anything else between braces
is an error reported before anything is sent.

What members read is in the newsletter's language (`[newsletter] language`, else the
club's), not the organiser's interface language: the footer, the events' dates and the
test prefix. It is frozen on the newsletter when its send starts, so a send resumed later
(by cron, under another locale) gives everybody the same text.
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from email_validator import EmailNotValidError, validate_email

from omtui.config import Config
from omtui.core import labels
from omtui.core.club import display_name, get_settings
from omtui.core.dates import format_long, from_iso, to_iso
from omtui.core.db import Database
from omtui.core.members import email_key, join_tags, split_tags
from omtui.core.text import clean_text
from omtui.errors import NotFound, ValidationError
from omtui.i18n import _, translator

MEMBER_FIELDS = ("first_name", "last_name", "city", "unsubscribe")
"""Placeholders that differ per recipient."""
PLACEHOLDERS = (*MEMBER_FIELDS, "upcoming_events")
UPCOMING_EVENTS_LIMIT = 5
STATUSES = ("draft", "sending", "paused", "sent", "cancelled")

Segments = list[tuple[str, str | None]]
"""A parsed template: (literal text, placeholder name or None) pairs, in order."""


@dataclass(frozen=True)
class Newsletter:
    id: int
    subject: str
    body: str
    audience_tags: tuple[str, ...] = ()
    audience_city: str = ""
    status: str = "draft"
    duplicated_from: int | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    send_started_at: datetime | None = None
    sent_at: datetime | None = None
    pause_reason: str = ""
    events_block: str = ""
    language: str = ""
    """The members' language, frozen when the send starts ('' for a draft)."""

    @property
    def read_only(self) -> bool:
        """True once a send has started: the text and audience can no longer change."""
        return self.status != "draft"

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Newsletter:
        def when(key: str) -> datetime | None:
            return from_iso(row[key]) if row.get(key) else None

        return cls(
            id=row["id"],
            subject=row["subject"],
            body=row["body"],
            audience_tags=split_tags(row["audience_tags"]),
            audience_city=row["audience_city"],
            status=row["status"],
            duplicated_from=row["duplicated_from"],
            created_at=when("created_at"),
            updated_at=when("updated_at"),
            send_started_at=when("send_started_at"),
            sent_at=when("sent_at"),
            pause_reason=row["pause_reason"],
            events_block=row.get("events_block") or "",
            language=row.get("language") or "",
        )


@dataclass(frozen=True)
class NewsletterSummary:
    """One line of the newsletter list: the newsletter plus its outbox counts."""

    newsletter: Newsletter
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def recipients(self) -> int:
        return sum(self.counts.values())

    def as_dict(self) -> dict[str, Any]:
        nl = self.newsletter
        return {
            "id": nl.id,
            "subject": nl.subject,
            "status": nl.status,
            "audience_tags": list(nl.audience_tags),
            "audience_city": nl.audience_city,
            "created_at": to_iso(nl.created_at) if nl.created_at else None,
            "updated_at": to_iso(nl.updated_at) if nl.updated_at else None,
            "send_started_at": to_iso(nl.send_started_at) if nl.send_started_at else None,
            "sent_at": to_iso(nl.sent_at) if nl.sent_at else None,
            "pause_reason": nl.pause_reason,
            "counts": dict(self.counts),
        }


# -- placeholders ----------------------------------------------------------------------
def parse_template(text: str, where: str = "body") -> Segments:
    """Split `text` into (literal, placeholder) pairs; raise ValidationError on any problem."""
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError as exc:
        raise ValidationError(
            _(
                "the {where} has an unmatched brace ({error}); write {{{{ or }}}} "
                "for a literal brace"
            ).format(where=where, error=exc),
            field=where,
        ) from exc
    segments: Segments = []
    for literal, name, spec, conversion in parsed:
        if name is None:
            segments.append((literal, None))
            continue
        if name not in PLACEHOLDERS or spec or conversion:
            shown = "{" + name + (f"!{conversion}" if conversion else "")
            shown += (f":{spec}" if spec else "") + "}"
            raise ValidationError(
                _(
                    "the {where} uses an unknown placeholder {name}; known: {known} "
                    "(write {{{{ and }}}} for literal braces)"
                ).format(
                    where=where, name=shown, known=", ".join("{" + p + "}" for p in PLACEHOLDERS)
                ),
                field=where,
            )
        segments.append((literal, name))
    return segments


def check_placeholders(text: str, where: str = "body") -> list[str]:
    """Problems with the placeholders in `text` (empty when it is fine), for live display."""
    try:
        parse_template(text, where)
    except ValidationError as exc:
        return [str(exc)]
    return []


def check_subject_text(subject: str) -> None:
    """A subject is one line of text: no CR, LF, tab or other control character (they
    could forge headers or garble the subject line in mail clients)."""
    for char in subject:
        if unicodedata.category(char) in ("Cc", "Zl", "Zp"):
            if char in "\r\n\u2028\u2029\x85":
                raise ValidationError(_("the subject must be one line"), field="subject")
            raise ValidationError(
                _("the subject contains a control character ({code}); remove it").format(
                    code=f"U+{ord(char):04X}"
                ),
                field="subject",
            )


def ensure_valid(subject: str, body: str) -> None:
    """Raise ValidationError if the subject or body cannot be sent as it is."""
    if not subject.strip():
        raise ValidationError(_("a newsletter needs a subject"), field="subject")
    if not body.strip():
        raise ValidationError(_("a newsletter needs a body"), field="body")
    check_subject_text(subject)
    parse_template(subject, "subject")
    for _literal, name in parse_template(subject, "subject"):
        if name == "upcoming_events":
            raise ValidationError(
                _("{upcoming_events} can only be used in the body"), field="subject"
            )
    parse_template(body, "body")


def fill(segments: Segments, values: Mapping[str, str]) -> str:
    """Substitute `values` into parsed segments (no further formatting of the values)."""
    return "".join(lit + (values[name] if name else "") for lit, name in segments)


# -- drafts ------------------------------------------------------------------------------
def _clean_city(city: str | None) -> str:
    return " ".join((city or "").split())


def create_draft(
    db: Database,
    *,
    subject: str,
    body: str,
    tags: Iterable[str] | str = (),
    city: str | None = "",
    now: datetime,
) -> Newsletter:
    """Insert a new draft and return it. Placeholders are checked; the subject may be empty
    while drafting but not when sending."""
    check_subject_text(subject)
    parse_template(subject, "subject")
    parse_template(body, "body")
    stamp = to_iso(now)
    with db.transaction():
        cursor = db.execute(
            "INSERT INTO newsletters (subject, body, audience_tags, audience_city, status,"
            " created_at, updated_at) VALUES (?, ?, ?, ?, 'draft', ?, ?)",
            (
                clean_text(subject).strip(),
                clean_text(body, multiline=True),
                join_tags(split_tags(tags)),
                _clean_city(city),
                stamp,
                stamp,
            ),
        )
    assert cursor.lastrowid is not None  # set by every INSERT
    return get_newsletter(db, cursor.lastrowid)


def update_draft(
    db: Database,
    newsletter_id: int,
    *,
    subject: str | None = None,
    body: str | None = None,
    tags: Iterable[str] | str | None = None,
    city: str | None = None,
    now: datetime,
) -> Newsletter:
    """Change a draft's fields (None = unchanged). A newsletter being or already sent is
    read-only: ValidationError."""
    with db.transaction():
        current = get_newsletter(db, newsletter_id)
        if current.read_only:
            raise ValidationError(
                _("newsletter {id} is {status} and can no longer be edited; duplicate it").format(
                    id=newsletter_id, status=labels.newsletter_status(current.status)
                )
            )
        changes: dict[str, Any] = {}
        if subject is not None:
            check_subject_text(subject)
            parse_template(subject, "subject")
            changes["subject"] = clean_text(subject).strip()
        if body is not None:
            parse_template(body, "body")
            changes["body"] = clean_text(body, multiline=True)
        if tags is not None:
            changes["audience_tags"] = join_tags(split_tags(tags))
        if city is not None:
            changes["audience_city"] = _clean_city(city)
        if changes:
            changes["updated_at"] = to_iso(now)
            sets = ", ".join(f"{k} = ?" for k in changes)
            db.execute(
                f"UPDATE newsletters SET {sets} WHERE id = ?", (*changes.values(), newsletter_id)
            )
    return get_newsletter(db, newsletter_id)


def get_newsletter(db: Database, newsletter_id: int) -> Newsletter:
    row = db.query_one("SELECT * FROM newsletters WHERE id = ?", (newsletter_id,))
    if row is None:
        raise NotFound(_("no newsletter with id {id}").format(id=newsletter_id))
    return Newsletter.from_row(row)


def list_newsletters(db: Database) -> list[NewsletterSummary]:
    """Every newsletter, newest first, with its outbox counts per state."""
    counts: dict[int, dict[str, int]] = {}
    for row in db.query(
        "SELECT newsletter_id, state, count(*) AS n FROM outbox GROUP BY newsletter_id, state"
    ):
        counts.setdefault(row["newsletter_id"], {})[row["state"]] = row["n"]
    rows = db.query("SELECT * FROM newsletters ORDER BY created_at DESC, id DESC")
    return [NewsletterSummary(Newsletter.from_row(r), counts.get(r["id"], {})) for r in rows]


def duplicate(db: Database, newsletter_id: int, *, now: datetime) -> Newsletter:
    """A new draft with the same subject, body and audience as `newsletter_id`."""
    source = get_newsletter(db, newsletter_id)
    stamp = to_iso(now)
    with db.transaction():
        cursor = db.execute(
            "INSERT INTO newsletters (subject, body, audience_tags, audience_city, status,"
            " duplicated_from, created_at, updated_at) VALUES (?, ?, ?, ?, 'draft', ?, ?, ?)",
            (
                source.subject,
                source.body,
                join_tags(source.audience_tags),
                source.audience_city,
                source.id,
                stamp,
                stamp,
            ),
        )
    assert cursor.lastrowid is not None  # set by every INSERT
    return get_newsletter(db, cursor.lastrowid)


def delete_draft(db: Database, newsletter_id: int) -> None:
    """Delete a draft (never a newsletter that has been sent, even partly)."""
    with db.transaction():
        if get_newsletter(db, newsletter_id).read_only:
            raise ValidationError(_("only drafts can be deleted"))
        db.execute("DELETE FROM newsletters WHERE id = ?", (newsletter_id,))


# -- audience ------------------------------------------------------------------------------
def _audience_where(tags: Iterable[str], city: str) -> tuple[str, tuple[Any, ...]]:
    clauses = ["archived_at IS NULL"]
    params: list[Any] = []
    for tag in split_tags(tags):
        clauses.append("(',' || tags || ',') LIKE ?")
        params.append(f"%,{tag},%")
    if city.strip():
        clauses.append("city = ? COLLATE NOCASE")
        params.append(city.strip())
    return " AND ".join(clauses), tuple(params)


def audience_size(db: Database, tags: Iterable[str] | str = (), city: str = "") -> int:
    """How many subscribed, active members match the tags (all of them) and the city."""
    where, params = _audience_where(split_tags(tags), city or "")
    return db.scalar(f"SELECT count(*) FROM members WHERE {where} AND subscribed = 1", params)


@dataclass(frozen=True)
class Recipient:
    """Who a message goes to, as snapshotted in the outbox."""

    email: str
    first_name: str = ""
    last_name: str = ""
    city: str = ""
    token: str = ""
    member_id: int | None = None
    outbox_id: int | None = None

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


@dataclass(frozen=True)
class SendPlan:
    """Who receives a newsletter, who is left out and why, and how long it takes."""

    newsletter_id: int
    recipients: list[Recipient]
    left_out: dict[str, list[str]]
    """reason -> addresses (or a count line for "outside the audience")."""
    outside_audience: int
    rate: float
    warnings: tuple[str, ...] = ()
    """Worth fixing first, but no reason to refuse (e.g. no club name configured)."""

    @property
    def count(self) -> int:
        return len(self.recipients)

    @property
    def estimated_seconds(self) -> float:
        return self.count / self.rate if self.rate > 0 else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "newsletter_id": self.newsletter_id,
            "recipients": self.count,
            "left_out": {reason: len(emails) for reason, emails in self.left_out.items()},
            "outside_audience": self.outside_audience,
            "estimated_seconds": round(self.estimated_seconds, 1),
            "warnings": list(self.warnings),
        }


LEFT_OUT_REASONS = {
    "unsubscribed": "unsubscribed",
    "invalid": "invalid address",
    "duplicate": "duplicate address",
}


_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_PLAIN_ADDRESS = re.compile(rf"{_ATEXT}(?:\.{_ATEXT})*@(?:{_LABEL}\.)+[A-Za-z]{{2,63}}")


def _valid_address(email: str) -> bool:
    """Plain ASCII addresses by a strict pattern (fast); anything else by email-validator."""
    if len(email) <= 254 and email.find("@") <= 64 and _PLAIN_ADDRESS.fullmatch(email):
        return True
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


def send_plan(db: Database, newsletter: Newsletter, *, rate: float) -> SendPlan:
    """Compute the recipients of `newsletter` now: subscribed, active members of its
    audience with a valid, not yet seen address. Unsubscribed members never receive it."""
    where, params = _audience_where(newsletter.audience_tags, newsletter.audience_city)
    rows = db.query(
        "SELECT id, email, first_name, last_name, city, unsubscribe_token, subscribed"
        f" FROM members WHERE {where} ORDER BY id",
        params,
    )
    left_out: dict[str, list[str]] = {k: [] for k in LEFT_OUT_REASONS}
    seen: set[str] = set()
    recipients: list[Recipient] = []
    for row in rows:
        email = row["email"].strip()
        if not row["subscribed"]:
            left_out["unsubscribed"].append(email)
            continue
        if not _valid_address(email):
            left_out["invalid"].append(email)
            continue
        key = email_key(email)  # as members compare them: "ÉLISE@" is "élise@"
        if key in seen:
            left_out["duplicate"].append(email)
            continue
        seen.add(key)
        recipients.append(
            Recipient(
                email=email,
                first_name=row["first_name"],
                last_name=row["last_name"],
                city=row["city"],
                token=row["unsubscribe_token"],
                member_id=row["id"],
            )
        )
    total_subscribed = db.scalar(
        "SELECT count(*) FROM members WHERE archived_at IS NULL AND subscribed = 1"
    )
    in_audience = sum(1 for row in rows if row["subscribed"])
    return SendPlan(newsletter.id, recipients, left_out, total_subscribed - in_audience, rate)


# -- what members read -----------------------------------------------------------------------
DEFAULT_MAIL_LANGUAGE = "fr"
"""The club's language when nothing says otherwise: the club is French."""
FOOTER_PLACEHOLDERS = ("club_name", "unsubscribe")


def _club_setting(db: Database | None, column: str) -> str:
    """The club's name or language as stored with the club (core/club.py)."""
    if db is None:
        return ""
    settings = get_settings(db)
    return str(getattr(settings, column) or "")


def club_name(db: Database | None, config: Config) -> str:
    """The club's name: the config's `club_name`, else the one stored with the club."""
    if db is None:
        return config.club_name.strip()
    return display_name(db, config.club_name)


def mail_language(db: Database | None, config: Config) -> str:
    """The language members read: `[newsletter] language`, else the club's language."""
    return config.newsletter.language or _club_setting(db, "language") or DEFAULT_MAIL_LANGUAGE


def newsletter_language(db: Database | None, newsletter: Newsletter, config: Config) -> str:
    """The language frozen on a started newsletter, else the one it would be sent in now."""
    return newsletter.language or mail_language(db, config)


def default_footer(lang: str) -> str:
    """The footer when `[newsletter] footer` is not set (Markdown, in `lang`)."""
    return translator(lang).gettext(
        "You receive this newsletter as a member of {club_name}. [Unsubscribe]({unsubscribe})"
    )


def check_footer(footer: str) -> None:
    """Raise ValidationError unless `footer` uses only {club_name} and {unsubscribe}."""
    try:
        parsed = list(string.Formatter().parse(footer))
    except ValueError as exc:
        raise ValidationError(
            _("[newsletter] footer has an unmatched brace ({error})").format(error=exc)
        ) from exc
    for _literal, name, _spec, _conversion in parsed:
        if name is not None and name not in FOOTER_PLACEHOLDERS:
            raise ValidationError(
                _("[newsletter] footer uses an unknown placeholder {name}; known: {known}").format(
                    name="{" + name + "}", known="{club_name}, {unsubscribe}"
                )
            )


def footer_segments(config: Config, *, lang: str, name: str) -> Segments:
    """The footer as segments: {club_name} filled in, {unsubscribe} left as a slot."""
    footer = config.newsletter.footer
    source = footer if footer is not None else default_footer(lang)
    check_footer(source)
    segments: Segments = []
    for literal, field_name, _spec, _conv in string.Formatter().parse(source):
        if field_name == "club_name":
            segments.append((literal + name, None))
        else:
            segments.append((literal, field_name))
    return segments


def subject_prefix_for_test(lang: str) -> str:
    """What starts a test message's subject, in the members' language."""
    return translator(lang).gettext("[TEST]") + " "


def club_warnings(db: Database | None, config: Config) -> list[str]:
    """Things to fix before sending that do not stop a send (shown with the send plan)."""
    warnings = []
    if not club_name(db, config):
        warnings.append(
            _(
                "No club name is configured: the footer and the sender's name will be empty. "
                'Set club_name = "..." in the config file.'
            )
        )
    return warnings


# -- rendering -------------------------------------------------------------------------------
def upcoming_events_block(
    db: Database, *, now: datetime, tz: ZoneInfo, city: str = "", lang: str | None = None
) -> str:
    """A Markdown list of the next events that are not cancelled (title, date, place), in
    `lang`. With a `city` (the newsletter's audience), only that city's events and the online
    ones. Dates are absolute ("jeudi 3 décembre, 12:30"): a mail is read days later."""
    lang = lang or DEFAULT_MAIL_LANGUAGE
    where, params = "status != 'cancelled' AND starts_at > ?", [to_iso(now)]
    if city.strip():
        where += " AND (city = ? COLLATE NOCASE OR (city = '' AND online_url != ''))"
        params.append(city.strip())
    rows = db.query(
        f"SELECT title, starts_at, city, online_url FROM events WHERE {where}"
        " ORDER BY starts_at, id LIMIT ?",
        (*params, UPCOMING_EVENTS_LIMIT),
    )
    tr = translator(lang)
    if not rows:
        return tr.gettext("_No upcoming events at the moment._")
    lines = []
    for row in rows:
        when = format_long(from_iso(row["starts_at"]), tz, lang=lang)
        place = row["city"] or (tr.gettext("online") if row["online_url"] else "")
        line = f"- **{row['title']}**, {when}"
        lines.append(line + (f", {place}" if place else ""))
    return "\n".join(lines)


def unsubscribe_link(token: str, *, mailto: str, url: str | None) -> str:
    """The link a member follows to unsubscribe: the https URL if configured, else mailto."""
    if url:
        if "{token}" in url:
            return url.replace("{token}", token)
        return f"{url}{'&' if '?' in url else '?'}token={token}"
    return f"mailto:{mailto}?subject=unsubscribe%20{token}"


def member_values(recipient: Recipient, *, mailto: str, url: str | None) -> dict[str, str]:
    return {
        "first_name": recipient.first_name,
        "last_name": recipient.last_name,
        "city": recipient.city,
        "unsubscribe": unsubscribe_link(recipient.token, mailto=mailto, url=url),
    }


SAMPLE = Recipient("helene.dupre@example.org", "Hélène", "Dupré", "Lyon", "SAMPLE-TOKEN")


def render_preview(
    db: Database,
    subject: str,
    body: str,
    *,
    now: datetime,
    tz: ZoneInfo,
    recipient: Recipient | None = None,
    mailto: str = "unsubscribe@example.org",
    url: str | None = None,
    events_block: str | None = None,
    city: str = "",
    lang: str | None = None,
) -> tuple[str, str]:
    """(subject, Markdown body) as `recipient` (default: a sample member) would read them.

    Raises ValidationError for an unknown placeholder, so the editor can show it."""
    values = member_values(recipient or SAMPLE, mailto=mailto, url=url)
    if events_block is None and "upcoming_events" in body:
        events_block = upcoming_events_block(db, now=now, tz=tz, city=city, lang=lang)
    values["upcoming_events"] = events_block or ""
    return (
        fill(parse_template(subject, "subject"), values),
        fill(parse_template(body, "body"), values),
    )
