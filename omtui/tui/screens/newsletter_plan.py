"""The send plan (who gets it, who is left out and why, how long), then type-to-confirm."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Sequence
from datetime import datetime

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

from omtui.core import labels
from omtui.core.dates import format_duration
from omtui.core.newsletter import SendPlan
from omtui.core.numbers import format_number
from omtui.i18n import _, ngettext
from omtui.tui.screens.confirm import TypeToConfirmDialog
from omtui.tui.text import markup, plain

EXAMPLES_SHOWN = 3


def wrap(text: str, width: int = 56) -> str:
    """Break a question into lines that fit the shared dialogs (their labels do not wrap)."""
    return "\n".join(textwrap.fill(part, width) for part in text.split("\n"))


def humanize_duration(seconds: float) -> str:
    """ "about 13 seconds", "about 4 minutes and 30 seconds", "less than a second"."""
    if seconds < 1:
        return _("less than a second")
    return _("about {duration}").format(duration=format_duration(seconds))


def plan_text(
    subject: str,
    plan: SendPlan,
    now: datetime,
    warnings: Sequence[str] = (),
    problems: Sequence[str] = (),
) -> Content:
    """The plan: recipients, who is left out and why, the duration, warnings about the
    configuration and what stops the send (data as plain text)."""
    duration = humanize_duration(plan.estimated_seconds)
    lines = [
        markup(_("Subject: [b]{subject}[/b]"), subject=subject),
        Content(""),
        markup(
            ngettext(
                "Recipients: [b]{count}[/b] subscribed member",
                "Recipients: [b]{count}[/b] subscribed members",
                plan.count,
            ),
            count=format_number(plan.count),
        ),
        Content(""),
        plain(_("Left out:")),
        plain(
            _("  outside the audience: {count}").format(count=format_number(plan.outside_audience))
        ),
    ]
    for reason, emails in plan.left_out.items():
        if not emails:
            continue
        label = labels.left_out_reason(reason)
        line = markup("  {label}: {count}", label=label, count=format_number(len(emails)))
        if reason != "unsubscribed":  # worth fixing: show which addresses
            shown = ", ".join(emails[:EXAMPLES_SHOWN])
            shown += ", …" if len(emails) > EXAMPLES_SHOWN else ""
            line += markup("  [dim]({shown})[/dim]", shown=shown)
        lines.append(line)
    lines += [
        Content(""),
        markup(
            _("At {rate} messages/s this takes [b]{duration}[/b]."),
            rate=format_number(plan.rate),
            duration=duration,
        ),
    ]
    for warning in (*plan.warnings, *warnings):
        lines += [Content(""), markup(_("[b]Warning[/b]: {warning}"), warning=warning)]
    for problem in problems:
        lines += [Content(""), markup(_("[b]Cannot send[/b]: {problem}"), problem=problem)]
    return Content("\n").join(lines)


class SendPlanScreen(ModalScreen[bool]):
    """Show the plan; Continue (True) or Cancel/Esc (False)."""

    BINDINGS = [Binding("escape", "cancel", _("Cancel"))]

    def __init__(
        self,
        subject: str,
        plan: SendPlan,
        now: datetime,
        warnings: Sequence[str] = (),
        problems: Sequence[str] = (),
    ) -> None:
        super().__init__()
        self.subject = subject
        self.plan = plan
        self.now = now
        self.warnings = list(warnings)
        self.problems = list(problems)
        """What stops the send (no from_address): shown, and Continue disabled."""

    def compose(self) -> ComposeResult:
        with Vertical(id="nlplan-box"):
            yield Label(_("Send plan"), id="nlplan-title")
            with VerticalScroll(id="nlplan-scroll"):  # long warnings scroll, buttons stay
                yield Static(
                    plan_text(self.subject, self.plan, self.now, self.warnings, self.problems),
                    id="nlplan-body",
                )
            with Horizontal(id="nlplan-buttons"):
                yield Button(_("Cancel"), id="cancel")
                yield Button(
                    _("Continue…"), id="continue", variant="warning", disabled=not self.can_send
                )

    @property
    def can_send(self) -> bool:
        return bool(self.plan.count) and not self.problems

    def on_mount(self) -> None:
        self.query_one("#continue" if self.can_send else "#cancel", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "continue")

    def action_cancel(self) -> None:
        self.dismiss(False)


def ask_to_send(
    app: App,
    subject: str,
    plan: SendPlan,
    now: datetime,
    then: Callable[[bool], None],
    *,
    warnings: Sequence[str] = (),
    problems: Sequence[str] = (),
) -> None:
    """The plan, then TypeToConfirmDialog asking for the number of recipients; `then(ok)`."""

    def planned(go: bool | None) -> None:
        if not go:
            then(False)
            return
        count = str(plan.count)
        app.push_screen(
            TypeToConfirmDialog(
                _("Type {count}, the number of recipients, to send it now.").format(count=count),
                count,
            ),
            lambda ok: then(bool(ok)),
        )

    app.push_screen(SendPlanScreen(subject, plan, now, warnings, problems), planned)
