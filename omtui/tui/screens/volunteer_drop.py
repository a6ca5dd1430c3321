"""The reason a volunteer must give to drop a shift less than 48 hours before it starts."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from omtui.i18n import _
from omtui.tui.screens.confirm import DIALOG_CSS
from omtui.tui.text import plain


class DropReasonDialog(ModalScreen[str | None]):
    """Ask why; dismiss(reason) on Enter with some text, dismiss(None) on Esc."""

    DEFAULT_CSS = DIALOG_CSS.replace("{name}", "DropReasonDialog")
    BINDINGS = [Binding("escape", "cancel", _("Keep the shift"))]

    def __init__(self, shift_label: str) -> None:
        super().__init__()
        self.shift_label = shift_label

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(
                plain(_("{shift} starts in less than 48 hours.").format(shift=self.shift_label))
            )
            yield Label(_("Why are you dropping it? The organiser will see your answer."))
            yield Input(placeholder=_("reason"), id="reason")
            yield Label(_("Enter to drop, Esc to keep the shift."), id="hint")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        reason = event.value.strip()
        if not reason:
            self.query_one("#hint", Label).update(
                _("A reason is required to drop this shift (or Esc to keep it).")
            )
            self.query_one("#hint", Label).add_class("error")
            return
        self.dismiss(reason)

    def action_cancel(self) -> None:
        self.dismiss(None)
