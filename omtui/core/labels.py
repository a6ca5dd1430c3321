"""Words shown for the states and kinds stored in the database (stored in English).

The database keeps `draft`, `meetup`, `confirmed`...; people read them through these
functions, in the interface language. An unknown value is shown as stored.
"""

from __future__ import annotations

from omtui.i18n import _


def _told_apart(text: str, msgid: str) -> str:
    """A word whose msgid carries a hint for translators ("cancelled (event)": French
    needs the gender): the hint is not shown when the text is not translated."""
    return text.split(" (", 1)[0] if text == msgid else text


def newsletter_status(status: str) -> str:
    """A newsletter's state, as an adjective ("la newsletter est envoyée")."""
    return {
        "draft": _("draft"),
        "sending": _("being sent"),
        "paused": _("paused"),
        "sent": _("sent"),
        "cancelled": _("cancelled"),
    }.get(status, status)


def event_kind(kind: str) -> str:
    return {
        "meetup": _("meetup"),
        "webinar": _("webinar"),
        "lunch": _("lunch"),
        "summit": _("summit"),
    }.get(kind, kind)


def event_status(status: str) -> str:
    return {
        "planned": _("planned"),
        "confirmed": _("confirmed"),
        "cancelled": _told_apart(_("cancelled (event)"), "cancelled (event)"),
    }.get(status, status)


def registration_status(status: str) -> str:
    return {
        "registered": _("registered"),
        "waiting": _("waiting"),
        "cancelled": _told_apart(_("cancelled (registration)"), "cancelled (registration)"),
    }.get(status, status)


def partner_role(role: str) -> str:
    return {"exhibitor": _("exhibitor"), "sponsor": _("sponsor")}.get(role, role)


def left_out_reason(reason: str) -> str:
    """Why a subscribed member of the audience does not receive a newsletter."""
    return {
        "unsubscribed": _("unsubscribed"),
        "invalid": _("invalid address"),
        "duplicate": _("duplicate address"),
        "bounced": _("address bounced"),
        "held": _("address held after repeated temporary failures"),
    }.get(reason, reason)


def email_status(status: str) -> str:
    """Whether a member's address can be mailed (the mailbox sync decides)."""
    return {
        "ok": _("ok"),
        "bounced": _("bounced"),
        "held": _("held"),
    }.get(status, status)


def shift_roles() -> tuple[str, ...]:
    """The roles the shift form suggests (any non-empty role is accepted)."""
    return (
        _("welcome desk"),
        _("set-up"),
        _("host"),
        _("speaker liaison"),
        _("tear-down"),
        _("cloakroom"),
    )


def reminder_kind(kind: str) -> str:
    return {
        "event": _("event reminder"),
        "shift": _("shift reminder"),
        "promotion": _("waiting-list promotion"),
        "call_for_help": _("call for help"),
        "drop_notice": _("shift dropped (to the organiser)"),
        "change": _("change notice"),
        "cancellation": _("cancellation notice"),
    }.get(kind, kind)


def reminder_state(state: str) -> str:
    return {
        "queued": _("queued"),
        "sending": _("being sent"),
        "sent": _("sent"),
        "failed": _("failed"),
        "uncertain": _("uncertain"),
        "skipped": _("skipped (late)"),
    }.get(state, state)


def consent_purpose(purpose: str) -> str:
    """What a consent is for: the newsletter (marketing) or reminders (transactional)."""
    return {"newsletter": _("newsletter"), "reminders": _("reminders")}.get(purpose, purpose)
