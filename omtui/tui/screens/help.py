"""The `?` help screen: every key of the tab you are in and the keys that work everywhere,
generated from the bindings themselves (one source: what the footer shows, what `?` lists)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.dom import DOMNode
from textual.screen import ModalScreen
from textual.widgets import Markdown

from omtui.i18n import _

KeyRows = list[tuple[str, str]]


def _own_bindings(node_type: type) -> Iterable[Binding]:
    """The bindings declared by omtui's classes in `node_type`'s MRO (Textual's own are
    left out: the widgets show theirs), most derived first."""
    for cls in node_type.__mro__:
        if not cls.__module__.startswith("omtui") or "BINDINGS" not in cls.__dict__:
            continue
        for item in cls.__dict__["BINDINGS"]:
            binding = _as_binding(item)
            if not binding.action.startswith("app."):  # the app's own: under "Everywhere"
                yield binding


def _as_binding(item: BindingType) -> Binding:
    if isinstance(item, Binding):
        return item
    key, action, *rest = item
    return Binding(key, action, rest[0] if rest else "")


def key_rows(app: App, bindings: Iterable[Binding]) -> KeyRows:
    """(keys as shown, what they do), one row per action, in declaration order."""
    rows: KeyRows = []
    seen: set[str] = set()
    for binding in bindings:
        if not binding.description or binding.action in seen:
            continue
        seen.add(binding.action)
        keys = [k.strip() for k in binding.key.split(",") if k.strip()]
        shown = " / ".join(
            app.get_key_display(Binding(k, binding.action, binding.description)) for k in keys
        )
        rows.append((shown, binding.description))
    return rows


def bindings_of(node: DOMNode) -> KeyRows:
    """Every key of a tab (its pane and omtui widgets inside it)."""
    found: list[Binding] = list(_own_bindings(type(node)))
    for child in node.query("*"):
        if type(child) is not type(node):
            found.extend(_own_bindings(type(child)))
    return key_rows(node.app, found)


def global_rows(app: App) -> KeyRows:
    rows = key_rows(app, _own_bindings(type(app)))
    palette = app.get_key_display(Binding(app.COMMAND_PALETTE_BINDING, "command_palette"))
    rows.append((palette, _("Command palette (every action, searchable)")))
    rows.append(("Tab / Shift+Tab", _("Move between fields and widgets")))
    rows.append(("Esc", _("Close a dialog")))
    return rows


def _table(rows: KeyRows) -> str:
    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("`", "'")

    key, action = _("Key"), _("Action")
    lines = [f"| {key} | {action} |", "| --- | --- |"]
    lines += [f"| `{cell(keys)}` | {cell(what)} |" for keys, what in rows]
    return "\n".join(lines)


def help_text(sections: Sequence[tuple[str, KeyRows]]) -> str:
    parts = ["# " + _("omtui keys")]
    for title, rows in sections:
        if rows:
            parts += ["", "## " + title, "", _table(rows)]
    return "\n".join(parts) + "\n"


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

    def __init__(self, sections: Sequence[tuple[str, KeyRows]] = (), extra: str = "") -> None:
        super().__init__()
        self.text = help_text(sections) + ("\n" + extra if extra else "")

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Markdown(self.text)

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).focus()  # the arrows scroll a long list at 80x24

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(None)
