"""What a message in the club's mailbox is, and why: the one place that decides.

In this order: a delivery report (a bounce, a delay, or a mere "delivered"), an automatic
reply (Auto-Submitted, X-Autoreply, Precedence auto_reply, an out-of-office subject), an
unsubscribe request (the Subject carries a member's token, as the List-Unsubscribe
`mailto:` puts it there; a token quoted in a body never counts), else not understood,
with a one-line reason for the triage list. Nothing here touches the database: whether
a token belongs to a member is asked through `known_token`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime
from enum import StrEnum
from typing import Any

from omtui.core.mail.dsn import Dsn, is_report, parse_dsn
from omtui.i18n import _


class Kind(StrEnum):
    BOUNCE = "bounce"
    """A delivery report with at least one failed or delayed recipient."""
    REPORT = "report"
    """A delivery report with nothing to act on (delivered, relayed)."""
    AUTO_REPLY = "auto_reply"
    UNSUBSCRIBE = "unsubscribe"
    TRIAGE = "triage"
    """Not understood: a person must look."""


@dataclass(frozen=True)
class Classified:
    kind: Kind
    reason: str
    """One line saying what it is, or why it was not understood."""
    sender: str = ""
    subject: str = ""
    date: datetime | None = None
    message_id: str = ""
    dsn: Dsn | None = None
    token: str = ""
    """For an unsubscribe request: the member's token found in the Subject."""
    unknown_tokens: tuple[str, ...] = ()
    """Token-like words of an unsubscribe Subject that match nobody (reported)."""


_AUTO_SUBJECT = re.compile(
    r"^\s*(?:(?:re|tr|fwd?|aw)\s*:\s*)*(?:"
    r"out of (?:the )?office|automatic reply|auto[- ]?reply|autoreply|auto:|"
    r"r[ée]ponse automatique|message d'absence|absence du bureau|"
    r"abwesenheitsnotiz|automatische antwort|respuesta autom[áa]tica|risposta automatica"
    r")",
    re.IGNORECASE,
)
_UNSUBSCRIBE_WORDS = re.compile(
    r"\b(?:unsubscribe|d[ée]sinscri(?:ption|re)|d[ée]sabonne(?:ment|r)?|opt[- ]?out)\b",
    re.IGNORECASE,
)
_TOKEN_LIKE = re.compile(r"(?<![\w-])[A-Za-z0-9_-]{6,64}(?![\w-])")
_AFTER_KEYWORD = re.compile(
    _UNSUBSCRIBE_WORDS.pattern + r"[\s:]+([A-Za-z0-9_-]{6,64})(?![\w-])", re.I
)
_BOUNCE_SENDERS = re.compile(r"^(?:mailer-daemon|postmaster)@", re.IGNORECASE)


def _header(message: Message, name: str) -> str:
    try:
        value = message.get(name)
    except (ValueError, TypeError, IndexError):  # a broken encoded word or address
        value = message.get_all(name, [""])[0] if name in message else ""
    return " ".join(str(value or "").split())


def message_date(message: Message) -> datetime | None:
    raw = _header(message, "Date")
    if not raw:
        return None
    try:
        parsed = parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def sender_address(message: Message) -> str:
    for _name, address in getaddresses([_header(message, "From")]):
        if "@" in address:
            return address
    return ""


def is_auto_reply(message: Message) -> str:
    """The reason a message is an automatic reply, or "" when it is not one."""
    auto = _header(message, "Auto-Submitted").lower()
    if auto and not auto.startswith("no"):
        return _("automatic reply (Auto-Submitted: {value})").format(value=auto)
    for name in ("X-Autoreply", "X-Autorespond", "X-Autoresponder"):
        if _header(message, name):
            return _("automatic reply ({header} header)").format(header=name)
    if _header(message, "Precedence").lower() == "auto_reply":
        return _("automatic reply (Precedence: auto_reply)")
    if _AUTO_SUBJECT.match(_header(message, "Subject")):
        return _("automatic reply (out-of-office subject)")
    return ""


def _candidates(subject: str) -> list[str]:
    words = _TOKEN_LIKE.findall(subject)
    return [w for w in words if not _UNSUBSCRIBE_WORDS.fullmatch(w)]


def classify(message: Message, known_token: Callable[[str], bool]) -> Classified:
    """Decide what `message` is; `known_token(word)` says whether a word is a member's
    unsubscribe token."""
    subject = _header(message, "Subject")
    base = Classified(
        Kind.TRIAGE,
        "",
        sender=sender_address(message),
        subject=subject,
        date=message_date(message),
        message_id=_header(message, "Message-ID"),
    )

    def out(kind: Kind, reason: str, **extra: Any) -> Classified:
        return replace(base, kind=kind, reason=reason, **extra)

    if is_report(message):
        dsn = parse_dsn(message)
        assert dsn is not None
        if not dsn.recipients:
            return out(Kind.TRIAGE, _("a delivery report that names no recipient"), dsn=dsn)
        failures = dsn.failures
        if not failures:
            actions = ", ".join(sorted({r.action or "?" for r in dsn.recipients}))
            return out(
                Kind.REPORT,
                _("a delivery report with nothing to do ({actions})").format(actions=actions),
                dsn=dsn,
            )
        first = failures[0]
        return out(
            Kind.BOUNCE,
            _("delivery report for {address}: {action} {status}").format(
                address=first.address, action=first.action, status=first.status or "?"
            ),
            dsn=dsn,
        )
    auto = is_auto_reply(message)
    if auto:
        return out(Kind.AUTO_REPLY, auto)
    candidates = _candidates(subject)
    known = sorted({w for w in candidates if known_token(w)})
    if len(known) == 1:
        return out(Kind.UNSUBSCRIBE, _("unsubscribe request by token"), token=known[0])
    if len(known) > 1:
        return out(Kind.TRIAGE, _("the subject carries the tokens of several members"))
    if _UNSUBSCRIBE_WORDS.search(subject):
        unknown = tuple(_AFTER_KEYWORD.findall(subject))
        if unknown:
            return out(
                Kind.TRIAGE,
                _("unsubscribe request with a token that matches no member: {token}").format(
                    token=unknown[0]
                ),
                unknown_tokens=unknown,
            )
        return out(Kind.TRIAGE, _("unsubscribe request without a token: who is asking is not sure"))
    if _BOUNCE_SENDERS.match(base.sender):
        return out(Kind.TRIAGE, _("looks like a bounce but carries no delivery status report"))
    return out(
        Kind.TRIAGE,
        _("not a delivery report, an automatic reply or an unsubscribe request"),
    )
