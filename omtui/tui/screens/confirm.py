"""A yes/no dialog that returns a bool, and a dialog that asks to type a value back."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label

from omtui.i18n import _
from omtui.tui.text import plain

DIALOG_CSS = """
{name} { align: center middle; }
{name} > Vertical {
    width: 64; max-width: 100%; height: auto;
    border: thick $primary; background: $surface; padding: 1 2;
}
{name} > Vertical > Label { width: 100%; }
{name} Horizontal { height: auto; align-horizontal: right; margin-top: 1; }
{name} Button { margin-left: 1; }
{name} .error { color: $error; }
"""


class ConfirmDialog(ModalScreen[bool]):
    """Ask a question; dismiss(True) on yes, dismiss(False) on no or Esc."""

    DEFAULT_CSS = DIALOG_CSS.replace("{name}", "ConfirmDialog")
    BINDINGS = [Binding("escape", "no", _("Cancel"))]

    def __init__(self, question: str, yes: str = _("Yes"), no: str = _("No")) -> None:
        super().__init__()
        self.question = question
        self.yes_label = yes
        self.no_label = no

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(plain(self.question))
            with Horizontal():
                yield Button(self.no_label, id="no")
                yield Button(self.yes_label, id="yes", variant="error")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_no(self) -> None:
        self.dismiss(False)


class TypeToConfirmDialog(ModalScreen[bool]):
    """Ask the user to type `expected` (e.g. the number of recipients) to go ahead."""

    DEFAULT_CSS = DIALOG_CSS.replace("{name}", "TypeToConfirmDialog")
    BINDINGS = [Binding("escape", "cancel", _("Cancel"))]

    def __init__(self, message: str, expected: str) -> None:
        super().__init__()
        self.message = message
        self.expected = expected

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(plain(self.message))
            yield Input(placeholder=self.expected, id="typed")
            yield Label("", id="mismatch", classes="error")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.value.strip() == self.expected:
            self.dismiss(True)
        else:
            self.query_one("#mismatch", Label).update(
                plain(
                    _("Type exactly {expected} to confirm, or Esc to cancel.").format(
                        expected=self.expected
                    )
                )
            )

    def action_cancel(self) -> None:
        self.dismiss(False)
