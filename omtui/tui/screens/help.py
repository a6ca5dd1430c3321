"""The `?` help screen: every key of the app, in one place."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown

from omtui.i18n import _

HELP_TEXT = _(
    """\
# omtui keys

| Key | Action |
| --- | --- |
| `1` `2` `3` `4` | Members, Events, Rota, Newsletter tab |
| `Tab` / `Shift+Tab` | Move between fields and widgets |
| `/` | Jump to the filter |
| `Ctrl+P` | Command palette (every action, searchable) |
| `?` | This help |
| `Esc` | Close a dialog |
| `Ctrl+Q` | Quit |

Each tab lists its own keys in the footer at the bottom of the screen.
"""
)


class HelpScreen(ModalScreen[None]):
    """Shows the keys; any of Esc, q or ? closes it."""

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 70; max-width: 100%; height: auto; max-height: 90%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    """
    BINDINGS = [
        Binding("escape,q,question_mark", "dismiss", _("Close"), show=True),
    ]

    def __init__(self, extra: str = "") -> None:
        super().__init__()
        self.extra = extra

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Markdown(HELP_TEXT + ("\n" + self.extra if self.extra else ""))

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(None)
