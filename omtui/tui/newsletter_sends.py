"""The app's newsletter sends: one service per app runs them and publishes their progress.

A send outlives every window: the Newsletter pane and the progress screen only start runs
here and subscribe to `RunChanged` messages; neither calls into the other.
"""

from __future__ import annotations

import asyncio
import weakref
from dataclasses import dataclass, field

from textual.app import App
from textual.message import Message
from textual.message_pump import MessagePump
from textual.worker import Worker

from omtui.context import ClubContext
from omtui.core import sender
from omtui.core.numbers import format_number
from omtui.i18n import _, ngettext
from omtui.tui.messages import DataChanged


class RunChanged(Message):
    """A send made progress, paused, finished or failed (posted to whoever watches it)."""

    def __init__(self, run: SendRun) -> None:
        super().__init__()
        self.run = run


@dataclass(eq=False)
class SendRun:
    """One send started from this app: its switches, worker and latest progress."""

    newsletter_id: int
    running: bool = False
    error: str = ""
    progress: sender.SendProgress | None = None
    control: sender.SendControl = field(default_factory=sender.SendControl)
    asked: str = ""
    """What the organiser asked of this run ("pause", "cancel"); empty if it stopped by
    itself (server down, too many errors), which the window shows as bad news."""
    worker: Worker | None = None
    watchers: list[MessagePump] = field(default_factory=list)

    def begin(self) -> None:
        """Reset for a new (or resumed) run."""
        self.control = sender.SendControl()
        self.running = True
        self.error = ""
        self.asked = ""

    def pause(self, reason: str = "") -> None:
        self.asked = "pause"
        self.control.pause(reason)

    def cancel(self) -> None:
        self.asked = "cancel"
        self.control.cancel()

    def update(self, progress: sender.SendProgress) -> None:
        """The sender's progress callback (thread-safe: it only posts messages)."""
        self.progress = progress
        self.changed()

    def changed(self) -> None:
        for watcher in list(self.watchers):
            watcher.post_message(RunChanged(self))

    def watch(self, watcher: MessagePump) -> None:
        if watcher not in self.watchers:
            self.watchers.append(watcher)


class NewsletterSends:
    """Every send started in one app, run in workers owned by the app itself."""

    def __init__(self, app: App, club: ClubContext) -> None:
        self.app = app
        self.club = club
        self.runs: dict[int, SendRun] = {}
        self.subscribers: list[MessagePump] = []
        """Told about every run (the Newsletter pane), besides each run's own watchers."""

    def run(self, newsletter_id: int) -> SendRun:
        """The run of `newsletter_id` started here, or an idle one to watch a send."""
        return self.runs.get(newsletter_id) or SendRun(newsletter_id)

    def start(
        self,
        newsletter_id: int,
        *,
        resend_uncertain: bool = False,
        cancel: bool = False,
        retry_failed: bool = False,
        include_permanent: bool = False,
        watcher: MessagePump | None = None,
    ) -> SendRun:
        """Run (or resume) a started send in a worker. With `cancel`, the sender only
        settles the outbox and marks the newsletter cancelled; with `retry_failed` it first
        queues the failed recipients again (the permanent ones too with
        `include_permanent`)."""
        run = self.runs.get(newsletter_id)
        if run is None:
            run = self.runs[newsletter_id] = SendRun(newsletter_id)
        for subscriber in [*self.subscribers, *([watcher] if watcher else [])]:
            run.watch(subscriber)
        run.begin()
        if cancel:
            run.cancel()
        run.worker = self.app.run_worker(
            self._send(run, resend_uncertain, (retry_failed, include_permanent)),
            name=f"newsletter-{newsletter_id}",
            group="mail",
            exclusive=False,
            exit_on_error=False,
        )
        self.app.post_message(DataChanged("newsletter"))
        return run

    async def _send(
        self, run: SendRun, resend_uncertain: bool, retry: tuple[bool, bool] = (False, False)
    ) -> None:
        """Await the async sender on the app's event loop: the UI stays responsive."""
        try:
            outcome = await sender.send_newsletter(
                self.club.db_path,
                run.newsletter_id,
                self.club.config,
                control=run.control,
                on_progress=run.update,
                resend_uncertain=resend_uncertain,
                retry_failed=retry[0],
                include_permanent=retry[1],
                clock=self.club.now,
            )
            run.progress = outcome.progress
            self._announce(run, outcome.state, outcome.reason)
        except Exception as exc:  # show every failure; the outbox keeps what was sent
            run.error = str(exc) or exc.__class__.__name__
            self.app.notify(run.error, title=_("Newsletter send stopped"), severity="error")
        finally:
            run.running = False
            run.changed()
            self.app.post_message(DataChanged("newsletter"))

    def _announce(self, run: SendRun, state: str, reason: str) -> None:
        """A toast when a send ends, in case its window is hidden."""
        progress = run.progress
        if state == "sent" and progress is not None:
            self.app.notify(
                ngettext(
                    "Newsletter sent to {sent} recipient ({failed} failed).",
                    "Newsletter sent to {sent} recipients ({failed} failed).",
                    progress.sent,
                ).format(sent=format_number(progress.sent), failed=format_number(progress.failed)),
                severity="warning" if progress.failed else "information",
            )
        elif state == "paused" and not run.asked:
            self.app.notify(reason, title=_("Newsletter send paused"), severity="error")

    def running(self) -> list[SendRun]:
        return [run for run in self.runs.values() if run.running]

    async def pause_all(self, reason: str, timeout: float) -> None:
        """Pause every running send and wait (at most `timeout` s) for the messages in flight."""
        runs = self.running()
        for run in runs:
            run.pause(reason)
        workers = [run.worker for run in runs if run.worker is not None]
        if workers:
            await asyncio.wait(
                [asyncio.ensure_future(worker.wait()) for worker in workers], timeout=timeout
            )


_SERVICES: weakref.WeakKeyDictionary[App, NewsletterSends] = weakref.WeakKeyDictionary()


def sends_of(app: App, club: ClubContext) -> NewsletterSends:
    """The send service of `app`, made on first use (so start-up does not import the sender)."""
    service = _SERVICES.get(app)
    if service is None:
        service = _SERVICES[app] = NewsletterSends(app, club)
    return service
