"""The send progress window: a bar, sent/failed/remaining, rate, ETA; pause, resume, cancel.

A `SendRun` is the TUI's handle on one send started from this app (the app's send
service owns it and runs the worker). The window only shows it and asks the service to
pause, resume or cancel: closing it does not stop the send.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Footer, Label, ProgressBar, Static

from omtui.context import ClubContext
from omtui.core import outbox, sender
from omtui.core.newsletter import get_newsletter
from omtui.core.numbers import format_decimal, format_number
from omtui.i18n import _, ngettext
from omtui.tui.newsletter_sends import NewsletterSends, RunChanged, SendRun
from omtui.tui.screens.confirm import ConfirmDialog
from omtui.tui.screens.newsletter_plan import humanize_duration, wrap
from omtui.tui.text import markup, plain

UNCERTAIN_SHOWN = 6
FAILED_SHOWN = 5
POLL_SECONDS = 1.0


class SendProgressScreen(ModalScreen[None]):
    """Watch one send; p pauses, r resumes, c cancels, f retries the failed recipients,
    Esc closes (the send goes on)."""

    BINDINGS = [
        Binding("p", "pause", _("Pause")),
        Binding("r", "resume", _("Resume")),
        Binding("c", "cancel_send", _("Cancel send")),
        Binding("u", "resend_uncertain", _("Resend uncertain"), show=False),
        Binding("f", "retry_failed", _("Retry failed")),
        Binding("F", "retry_failed(True)", _("Retry failed, 5xx too"), show=False),
        Binding("escape", "close", _("Close")),
    ]

    def __init__(self, club: ClubContext, run: SendRun, sends: NewsletterSends) -> None:
        super().__init__()
        self.club = club
        self.run = run
        self.sends = sends
        self.subject = get_newsletter(club.db, run.newsletter_id).subject
        self.state = ""
        """The send's state as last shown (sending, paused, sent, cancelled)."""

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Offer only what makes sense now (the footer greys out the rest)."""
        if action == "pause":
            return self.run.running or None
        if action in ("resume", "cancel_send") and not self.run.running:
            return self.state in ("paused", "sending") or None
        if action == "resume":
            return None
        if action == "retry_failed":
            return (not self.run.running and self.state in ("sent", "paused", "sending")) or None
        return True

    def compose(self) -> ComposeResult:
        with Vertical(id="nlp-box"):
            yield Label(
                plain(_("Newsletter “{subject}”").format(subject=self.subject)), id="nlp-title"
            )
            yield ProgressBar(total=None, show_eta=False, id="nlp-bar")
            yield Static("", id="nlp-counts")
            yield Static("", id="nlp-state")
            with VerticalScroll(id="nlp-lists"):  # many failed or uncertain: they scroll
                yield Static("", id="nlp-failed")
                yield Static("", id="nlp-uncertain")
        yield Footer()

    def on_mount(self) -> None:
        self.run.watch(self)
        self.show()
        self.set_interval(POLL_SECONDS, self._poll)

    def _poll(self) -> None:
        """Follow a send that runs elsewhere (another omtui, the CLI) from the database."""
        if not self.run.running:
            self.show()

    def on_unmount(self) -> None:
        if self in self.run.watchers:
            self.run.watchers.remove(self)

    @on(RunChanged)
    def _run_changed(self, message: RunChanged) -> None:
        message.stop()
        self.show()
        self.refresh_bindings()

    def current(self) -> sender.SendProgress:
        if self.run.running and self.run.progress is not None:
            return self.run.progress
        return sender.progress(self.club.db, self.run.newsletter_id)

    def show(self) -> None:
        """Show the run's latest progress, or the stored one when nothing runs here."""
        progress = self.current()
        if progress.state != self.state:
            self.state = progress.state
            self.refresh_bindings()
        self.query_one("#nlp-bar", ProgressBar).update(
            total=max(progress.total, 1), progress=progress.done
        )
        eta_seconds = progress.eta_seconds
        rate_cap = self.club.config.smtp.rate
        if eta_seconds is None and progress.remaining and rate_cap > 0:
            eta_seconds = progress.remaining / rate_cap
        eta = "—"
        if progress.remaining and eta_seconds:
            eta = humanize_duration(eta_seconds)
        rate = _("{rate}/s").format(rate=format_decimal(progress.rate)) if progress.rate else "—"
        self.query_one("#nlp-counts", Static).update(
            _(
                "Sent [b]{sent}[/b] of {total}   Failed [b]{failed}[/b]   "
                "Remaining [b]{remaining}[/b]\nRate [b]{rate}[/b]   ETA [b]{eta}[/b]"
            ).format(
                sent=format_number(progress.sent),
                total=format_number(progress.total),
                failed=format_number(progress.failed),
                remaining=format_number(progress.remaining),
                rate=rate,
                eta=eta,
            )
        )
        text, alarming = self._state_text(progress)
        state = self.query_one("#nlp-state", Static)
        state.update(plain(text))  # holds server replies: text, not markup
        state.set_class(alarming, "-error")
        self.query_one("#nlp-failed", Static).update(self._failed_text(progress))
        self.query_one("#nlp-uncertain", Static).update(self._uncertain_text(progress))

    def _state_text(self, progress: sender.SendProgress) -> tuple[str, bool]:
        """What is happening and what the organiser can do, and whether it is bad news."""
        reason = progress.message or self.run.control.reason or ""
        if self.run.error:
            return _("Stopped: {error}").format(error=self.run.error), True
        if self.run.running and self.run.control.stopping:
            return _("Stopping after the messages in flight…"), False
        if self.run.running:
            return _(
                "Sending… p pauses, c cancels, Esc hides this window (the send goes on)."
            ), False
        if progress.state == "paused":
            bad = self.run.progress is not None and not self.run.asked  # paused by itself
            if reason == _("paused by the organiser"):  # not "Paused: paused by ..."
                return _("Paused by the organiser. Press r to resume."), bad
            return _("Paused: {reason}. Press r to resume.").format(reason=reason), bad
        if progress.state == "sending":
            return _("Interrupted. Press r to resume the remaining recipients."), True
        if progress.state == "cancelled":
            return _("Cancelled: the remaining recipients will not receive it."), False
        if progress.state == "sent":
            return _("Finished."), bool(progress.failed)
        return "", False

    def _failed_text(self, progress: sender.SendProgress) -> Content:
        """Who could not be reached, with the server's reply, and what f / F would do."""
        if not progress.failed or self.run.running:
            return Content("")
        rows = outbox.rows_in_state(
            self.club.db, self.run.newsletter_id, "failed", limit=FAILED_SHOWN
        )
        lines = [markup(_("[b]Failed ({count})[/b]:"), count=format_number(progress.failed))]
        lines += [plain(f"  {row.email}: {row.reply}") for row in rows]
        if progress.failed > len(rows):
            more = format_number(progress.failed - len(rows))
            lines.append(plain(_("  and {count} more").format(count=more)))
        kinds = outbox.failed_counts(self.club.db, self.run.newsletter_id)
        if kinds["temporary"] or kinds["permanent"]:
            lines.append(
                plain(
                    _(
                        "Temporary failures: {temporary} (f sends to them again). "
                        "Refused for good: {permanent} (F retries those too)."
                    ).format(
                        temporary=format_number(kinds["temporary"]),
                        permanent=format_number(kinds["permanent"]),
                    )
                )
            )
        return Content("\n").join(lines)

    def _uncertain_text(self, progress: sender.SendProgress) -> Content:
        if not progress.uncertain:
            return Content("")
        rows = outbox.rows_in_state(
            self.club.db, self.run.newsletter_id, "uncertain", limit=UNCERTAIN_SHOWN
        )
        shown = ", ".join(row.email for row in rows)
        if progress.uncertain > len(rows):
            more = progress.uncertain - len(rows)
            shown += ngettext(" and {count} more", " and {count} more", more).format(
                count=format_number(more)
            )
        return markup(
            _(
                "[b]Uncertain ({count})[/b]: their message was handed over but no answer came "
                "(the connection broke or the send stopped); they may or may not have it, so they "
                "are not resent (u resends to them): {emails}"
            ),
            count=format_number(progress.uncertain),
            emails=shown,
        )

    # -- keys ------------------------------------------------------------------------
    def action_pause(self) -> None:
        if self.run.running:
            self.run.pause()
            self.show()

    def action_resume(self) -> None:
        if self.run.running:
            return
        progress = sender.progress(self.club.db, self.run.newsletter_id)
        if progress.state in ("paused", "sending") and progress.remaining:
            self.run = self.sends.start(self.run.newsletter_id, watcher=self)
            self.show()
        else:
            self.notify(_("Nothing to resume."))

    def action_cancel_send(self) -> None:
        stopped = not self.run.running
        if stopped and self.current().state not in ("paused", "sending"):
            return

        def answered(yes: bool | None) -> None:
            if not yes:
                return
            if stopped:  # settle a paused or interrupted send as cancelled
                self.run = self.sends.start(self.run.newsletter_id, cancel=True, watcher=self)
            else:
                self.run.cancel()
            self.show()

        self.app.push_screen(
            ConfirmDialog(
                wrap(_("Cancel this send for good? The remaining recipients will not receive it.")),
                yes=_("Cancel the send"),
                no=_("Keep sending"),
            ),
            answered,
        )

    def action_resend_uncertain(self) -> None:
        progress = self.current()
        if self.run.running or not progress.uncertain:
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.run = self.sends.start(
                    self.run.newsletter_id, resend_uncertain=True, watcher=self
                )
                self.show()

        self.app.push_screen(
            ConfirmDialog(
                wrap(
                    ngettext(
                        "Send again to the {count} uncertain recipient? They may then "
                        "receive it twice.",
                        "Send again to the {count} uncertain recipients? Some of them may "
                        "then receive it twice.",
                        progress.uncertain,
                    ).format(count=format_number(progress.uncertain))
                ),
                yes=_("Resend"),
                no=_("Leave them"),
            ),
            answered,
        )

    def action_retry_failed(self, include_permanent: bool = False) -> None:
        if self.run.running:
            return
        kinds = outbox.failed_counts(self.club.db, self.run.newsletter_id)
        count = kinds["temporary"] + (kinds["permanent"] if include_permanent else 0)
        if not count:
            self.notify(_("No failed recipient to retry."))
            return
        question = ngettext(
            "Send it again to the recipient whose delivery failed?",
            "Send it again to the {count} recipients whose delivery failed?",
            count,
        ).format(count=format_number(count))
        if include_permanent and kinds["permanent"]:
            question += " " + _(
                "{count} of them were refused for good (5xx): a server that said no may say "
                "no again."
            ).format(count=format_number(kinds["permanent"]))

        def answered(yes: bool | None) -> None:
            if yes:
                self.run = self.sends.start(
                    self.run.newsletter_id,
                    retry_failed=True,
                    include_permanent=include_permanent,
                    watcher=self,
                )
                self.show()

        self.app.push_screen(
            ConfirmDialog(wrap(question), yes=_("Retry"), no=_("Not now")), answered
        )

    def action_close(self) -> None:
        self.dismiss()
