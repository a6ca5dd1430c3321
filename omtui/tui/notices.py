"""Sending the queued cancellation notices from the app (the Events tab after a cancel,
the Today line "members still have to be told"): through the reminders' sender
(core/mail/remind_run.py), in a mail worker so the app stays usable; what cannot go now
stays queued for `omtui remind`."""

from __future__ import annotations

import asyncio

from omtui.core.mail import cancel_notice
from omtui.errors import OmtuiError
from omtui.i18n import _
from omtui.tui.messages import DataChanged
from omtui.tui.panes.base import ClubPane


def send_notices(pane: ClubPane) -> None:
    """Send the queued cancellation notices now (a mail worker: the app stays usable)."""
    pane.run_worker(send_now(pane), group="mail", exit_on_error=False)


async def send_now(pane: ClubPane) -> None:
    """Send the queued cancellation notices, then say how it went."""
    from omtui.core.mail import remind_run  # the SMTP client: loaded when first needed

    club = pane.club
    try:
        report = await asyncio.to_thread(
            club.in_worker,
            lambda db: remind_run.run(
                db, club.config, clock=club.now, kinds=cancel_notice.CANCELLATION
            ),
        )
    except OmtuiError as exc:  # no sending address configured, the database busy...
        stays = _("The notices stay queued for the next `omtui remind` run.")
        pane.notify(
            f"{exc}\n{stays}",
            severity="warning",
            markup=False,
            timeout=15,
        )
        return
    if report.busy:
        pane.notify(_("omtui remind is running now: it sends the notices, or its next run does."))
        return
    pane.post_message(DataChanged("events"))  # Today counts the notices still to send
    said = _("Cancellation notices: {summary}").format(summary=report.summary())
    if report.stopped:  # the server is down: the rest waits for the next run
        said += "\n" + _("The notices stay queued for the next `omtui remind` run.")
    pane.notify(said, severity="information" if report.ok else "warning", markup=False)
