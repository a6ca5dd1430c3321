"""The Events tab's "cancel the event": ask (saying how many members will be told),
cancel, then send the cancellation notices at once through the reminders' sender
(core/mail/cancel_notice.py); what cannot go now stays queued for `omtui remind`."""

from __future__ import annotations

import asyncio

from omtui.core import events as ev
from omtui.core.mail import cancel_notice
from omtui.errors import OmtuiError
from omtui.i18n import _, ngettext
from omtui.tui.messages import DataChanged
from omtui.tui.notices import send_notices, send_now
from omtui.tui.panes.base import ClubPane
from omtui.tui.screens.confirm import ConfirmDialog


def ask_and_cancel(pane: ClubPane, event: ev.Event) -> None:
    """Confirm, cancel `event` with its registrations, then tell its members by email."""
    club = pane.club
    if event.cancelled:
        pane.notify(
            _("{title} was already cancelled.").format(title=event.title),
            severity="warning",
            markup=False,
        )
        return
    told = cancel_notice.to_tell(club.db, event.id, now=club.now())
    people = sum(1 for r in ev.registrations(club.db, event.id) if r.status != "cancelled")
    question = ngettext(
        "Cancel {title} ({n} registration)?", "Cancel {title} ({n} registrations)?", people
    ).format(title=event.title, n=people)
    if told:
        question += " " + ngettext(
            "{n} member will be told by email.", "{n} members will be told by email.", told
        ).format(n=told)

    async def done(confirmed: bool | None) -> None:
        if not confirmed:
            return
        now = club.now()
        try:  # in a thread, on its own connection: the write may wait for another process
            result = await asyncio.to_thread(
                club.in_worker, lambda db: cancel_notice.cancel_event(db, event.id, now=now)
            )
        except OmtuiError as exc:
            pane.notify(str(exc), severity="error", markup=False)
            return
        pane.notify(
            ngettext(
                "{title} is cancelled; {n} registration cancelled.",
                "{title} is cancelled; {n} registrations cancelled.",
                people,
            ).format(title=event.title, n=people),
            markup=False,
        )
        if pane.is_active_tab():
            # now: a pane not yet redrawn since the dialog closed only marks itself stale
            pane.load()
        pane.post_message(DataChanged("events"))
        if result.pending:
            send_notices(pane)

    pane.app.push_screen(ConfirmDialog(question, yes=_("Cancel the event"), no=_("Keep")), done)


def after_form(pane: ClubPane, event: ev.Event) -> None:
    """The form set an event cancelled: queue and send its notices (nothing the second
    time: each member is told once)."""
    if not event.cancelled:
        return

    async def queue() -> None:
        now = pane.club.now()
        try:
            result = await asyncio.to_thread(
                pane.club.in_worker, lambda db: cancel_notice.cancel_event(db, event.id, now=now)
            )
        except OmtuiError as exc:
            pane.notify(str(exc), severity="error", markup=False)
            return
        if result.queued:
            pane.notify(
                ngettext(
                    "{n} member will be told by email.",
                    "{n} members will be told by email.",
                    result.queued,
                ).format(n=result.queued)
            )
            await send_now(pane)

    pane.run_worker(queue(), group="mail", exit_on_error=False)
