"""Choosing files: a picker to open one (CSV import) and a dialog to export into a folder.

FilePicker walks folders with Textual's DirectoryTree (Enter opens a folder or picks a
file, Backspace or ".." goes up), shows only folders and the files it can read (.csv
and .txt by default) and still lets the organiser type or paste a path: any letter
typed in the list goes to the path box. In folder mode it picks a folder instead.

ExportDialog asks where an export goes: a folder (by default her Documents folder or
home, never the current directory: see omtui.paths.default_export_dir), a file name, and
the shape (for Excel, or stable columns for scripts). It returns an ExportChoice whose
`path` is absolute, so the toast can give the full path.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from rich.text import Text, TextType
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import (
    Button,
    DirectoryTree,
    Input,
    Label,
    RadioButton,
    RadioSet,
    Static,
    Tree,
)
from textual.widgets.directory_tree import DirEntry
from textual.widgets.tree import TreeNode
from textual.worker import WorkerCancelled, WorkerFailed

from omtui.i18n import _
from omtui.tui.text import plain, visible

READABLE = (".csv", ".txt")
UP = ".."


def _resolve(raw: str, base: Path) -> Path:
    """A typed path: `~` expanded, relative to `base` (the folder shown), never to the
    process's current directory."""
    path = Path(raw).expanduser()
    return (path if path.is_absolute() else base / path).resolve()


def _current_folder() -> Path:
    """The folder the app was started from, or home when it no longer exists."""
    try:
        return Path.cwd()
    except OSError:
        return Path.home()


def tilde(path: Path) -> str:
    """`path` as shown: under the home folder it starts with "~" (shorter at 80 columns,
    and typed back as it is)."""
    home = Path.home()
    if path == home:
        return "~"
    if path.is_relative_to(home):
        return "~/" + str(path.relative_to(home))
    return str(path)


class PickerTree(DirectoryTree):
    """One folder's folders and readable files (hidden ones left out), ".." first.

    Unlike DirectoryTree it keeps no worker waiting for folders to load for as long as it
    is shown (its `_loader`): a sub-folder opened in place (Space, or a click on its arrow)
    is read when it opens, so `app.workers.wait_for_complete()` returns while a picker is
    open, as it does for every other screen.
    """

    def __init__(self, path: Path, *, suffixes: tuple[str, ...], folders_only: bool) -> None:
        super().__init__(path, id="tree")
        self.suffixes = suffixes
        self.folders_only = folders_only
        self.show_root = False
        self.auto_expand = False  # Enter opens a folder (the picker re-roots), not a branch

    def filter_paths(self, paths: Iterable[Path]) -> Iterable[Path]:
        shown = []
        for path in paths:
            if path.name.startswith("."):
                continue
            readable = not self.folders_only and path.suffix.lower() in self.suffixes
            if readable or self._safe_is_dir(path):
                shown.append(path)
        return shown

    def _loader(self) -> None:  # type: ignore[override]
        """No queue worker: the folder shown is read by `reload`, sub-folders below."""

    async def _on_tree_node_expanded(self, event: Tree.NodeExpanded[DirEntry]) -> None:
        event.stop()
        event.prevent_default()  # not DirectoryTree's handler: it queues for `_loader`
        entry = event.node.data
        if entry is None or entry.loaded or event.node is self.root:
            return
        entry.loaded = True
        try:
            content = await self._load_directory(event.node).wait()
        except (WorkerCancelled, WorkerFailed):
            return
        self._populate_node(event.node, content)

    def _populate_node(self, node: TreeNode[DirEntry], content: Iterable[Path]) -> None:
        folder = Path(self.path)
        if node is self.root and folder.parent != folder:
            content = [folder / UP, *content]
        super()._populate_node(node, content)
        if node is self.root:  # once the folder is drawn, the cursor on its first entry
            self.call_after_refresh(self._first_entry)

    def _first_entry(self) -> None:
        children = self.root.children
        up = bool(children) and str(children[0].label) == UP
        self.cursor_line = 1 if up and len(children) > 1 else 0

    def process_label(self, label: TextType) -> Text:
        """A file name is data: its control characters are shown, never sent."""
        text = label.plain if isinstance(label, Text) else str(label)
        return Text(visible(text, multiline=False))


class FilePicker(ModalScreen[Path | None]):
    """dismiss(absolute path) of the chosen file (or folder, with `folders=True`); None on Esc."""

    DEFAULT_CSS = """
    FilePicker { align: center middle; }
    FilePicker > Vertical {
        width: 90; max-width: 100%; height: 22; max-height: 100%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    FilePicker .title { text-style: bold; }
    FilePicker #folder { color: $text-muted; height: auto; }
    FilePicker #path { margin-top: 1; }
    FilePicker #tree { height: 1fr; min-height: 3; margin-top: 1; }
    FilePicker #error { color: $error; height: auto; }
    FilePicker #hint { color: $text-muted; height: auto; }
    FilePicker #buttons { height: 1; align-horizontal: right; }
    FilePicker #buttons Button { margin-left: 1; }
    """
    BINDINGS = [
        Binding("escape", "cancel", _("Cancel")),
        Binding("backspace", "parent", _("Parent folder"), show=False),
        Binding("ctrl+s", "choose", _("Choose"), priority=True),
    ]

    def __init__(
        self,
        title: str,
        *,
        start: Path | None = None,
        folders: bool = False,
        suffixes: tuple[str, ...] = READABLE,
    ) -> None:
        super().__init__()
        self.title_text = title
        self.folders = folders
        self.suffixes = suffixes
        self.start = (start or _current_folder()).expanduser().resolve()

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(plain(self.title_text), classes="title")
            yield Static(plain(self.folder_line(self.start)), id="folder")
            yield Input(
                tilde(self.start) if self.folders else "",
                placeholder=_("or type a path, then Enter"),
                compact=True,
                select_on_focus=False,  # letters typed in the list land here, in order
                id="path",
            )
            yield PickerTree(self.start, suffixes=self.suffixes, folders_only=self.folders)
            yield Static("", id="error")
            yield Static(self.hint(), id="hint")
            with Horizontal(id="buttons"):
                yield Button(_("Cancel"), id="cancel", compact=True)
                yield Button(
                    _("Choose this folder") if self.folders else _("Open"),
                    id="ok",
                    variant="primary",
                    compact=True,
                )

    def hint(self) -> str:
        if self.folders:
            return _("Enter opens a folder, Backspace goes up; Ctrl+S chooses the folder shown.")
        names = ", ".join(self.suffixes)
        return _(
            "Enter opens a folder or picks a file ({names}), Backspace goes up; "
            "type a path to go anywhere."
        ).format(names=names)

    def folder_line(self, folder: Path) -> str:
        return _("Folder: {folder}").format(folder=tilde(folder))

    @property
    def listing(self) -> PickerTree:
        return self.query_one(PickerTree)

    @property
    def folder(self) -> Path:
        return Path(self.listing.path)

    def on_mount(self) -> None:
        self.listing.focus()

    # -- moving around ------------------------------------------------------------------
    def go(self, folder: Path) -> None:
        folder = folder.resolve()
        self.listing.path = folder
        self.query_one("#folder", Static).update(plain(self.folder_line(folder)))
        self.query_one("#error", Static).update("")
        if self.folders:
            self.query_one("#path", Input).value = tilde(folder)

    def action_parent(self) -> None:
        if self.focused is self.listing and self.folder.parent != self.folder:
            self.go(self.folder.parent)

    @on(DirectoryTree.DirectorySelected)
    def _opened_folder(self, event: DirectoryTree.DirectorySelected) -> None:
        event.stop()
        self.go(event.path)

    @on(DirectoryTree.FileSelected)
    def _picked_file(self, event: DirectoryTree.FileSelected) -> None:
        event.stop()
        if not self.folders:
            self.dismiss(event.path.resolve())

    def on_key(self, event: events.Key) -> None:
        """A letter typed in the list starts a path in the path box."""
        box = self.query_one("#path", Input)
        if (
            self.focused is self.listing
            and event.is_printable
            and event.character not in (None, " ")
        ):
            event.stop()
            event.prevent_default()
            box.focus()
            box.insert_text_at_cursor(event.character)

    # -- choosing -------------------------------------------------------------------------
    def error(self, message: str) -> None:
        self.query_one("#error", Static).update(plain(message))

    @on(Input.Submitted, "#path")
    def submit(self) -> None:
        raw = self.query_one("#path", Input).value.strip()
        if not raw:
            if self.folders:
                self.dismiss(self.folder)
            else:
                self.error(_("Pick a file in the list or type its path; Esc to cancel."))
            return
        path = _resolve(raw, self.folder)
        if path.is_dir():
            if self.folders and path == self.folder:
                self.dismiss(path)
                return
            self.go(path)
            if not self.folders:
                self.query_one("#path", Input).value = ""
            self.listing.focus()
        elif self.folders:
            self.error(_("The folder {folder} does not exist.").format(folder=path))
        elif path.is_file():
            self.dismiss(path)
        else:
            self.error(_("{path} is not a file; check the path.").format(path=path))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "cancel":
            self.dismiss(None)
        else:
            self.action_choose()

    def action_choose(self) -> None:
        """The folder shown (folder mode), else the path typed or the file under the cursor."""
        if self.folders:
            typed = self.query_one("#path", Input).value.strip()
            if not typed or _resolve(typed, self.folder) == self.folder:
                self.dismiss(self.folder)
                return
            self.submit()
            return
        node = self.listing.cursor_node
        typed = self.query_one("#path", Input).value.strip()
        if not self.folders and not typed and node is not None and node.data is not None:
            if node.allow_expand:
                self.go(node.data.path)
            else:
                self.dismiss(node.data.path.resolve())
            return
        self.submit()

    def action_cancel(self) -> None:
        self.dismiss(None)


@dataclass(frozen=True)
class ExportChoice:
    """Where an export goes (an absolute path) and in which shape."""

    path: Path
    excel: bool


class ExportDialog(ModalScreen[ExportChoice | None]):
    """Folder, file name and shape of an export; dismiss(ExportChoice) or None on Esc."""

    DEFAULT_CSS = """
    ExportDialog { align: center middle; }
    ExportDialog > Vertical {
        width: 80; max-width: 100%; height: auto; max-height: 100%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    ExportDialog .title { text-style: bold; height: auto; }
    ExportDialog .row { height: 1; margin-top: 1; }
    ExportDialog .row Label { width: 16; }
    ExportDialog .row Input { width: 1fr; }
    ExportDialog .row Button { margin-left: 1; }
    ExportDialog RadioSet { margin-top: 1; width: 1fr; }
    ExportDialog #error { color: $error; height: auto; }
    ExportDialog #buttons { height: 1; align-horizontal: right; margin-top: 1; }
    ExportDialog #buttons Button { margin-left: 1; }
    """
    BINDINGS = [
        Binding("escape", "cancel", _("Cancel")),
        Binding("ctrl+s", "export", _("Export"), priority=True),
        Binding("ctrl+b", "browse", _("Browse folders"), priority=True),
    ]

    def __init__(self, title: str, *, folder: Path, name: str, excel: bool = True) -> None:
        super().__init__()
        self.title_text = title
        self.start_folder = folder
        self.name_value = name
        self.excel = excel

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(plain(self.title_text), classes="title")
            with Horizontal(classes="row"):
                yield Label(_("Folder"))
                yield Input(tilde(self.start_folder), compact=True, id="folder")
                yield Button(_("Browse…"), id="browse", compact=True)
            with Horizontal(classes="row"):
                yield Label(_("File name"))
                yield Input(self.name_value, compact=True, id="name")
            with RadioSet(id="shape", compact=True):
                yield RadioButton(
                    _("For Excel: headers in your language, oui/non, local dates"),
                    value=self.excel,
                    id="excel",
                )
                yield RadioButton(
                    _("For scripts: the stable columns (email, first name…)"),
                    value=not self.excel,
                    id="stable",
                )
            yield Static("", id="error")
            with Horizontal(id="buttons"):
                yield Button(_("Cancel"), id="cancel", compact=True)
                yield Button(_("Export"), id="ok", variant="primary", compact=True)

    def on_mount(self) -> None:
        self.query_one("#name", Input).focus()

    def action_browse(self) -> None:
        folder = _resolve(self.query_one("#folder", Input).value.strip() or "~", Path.home())
        while not folder.is_dir() and folder.parent != folder:
            folder = folder.parent

        def chosen(path: Path | None) -> None:
            if path is not None:
                self.query_one("#folder", Input).value = tilde(path)
                self.query_one("#name", Input).focus()

        picker = FilePicker(_("Export into which folder?"), start=folder, folders=True)
        self.app.push_screen(picker, chosen)

    def choice(self) -> ExportChoice | None:
        """The checked choice, or None with the error shown."""
        error = self.query_one("#error", Static)
        raw_folder = self.query_one("#folder", Input).value.strip()
        name = self.query_one("#name", Input).value.strip()
        folder = _resolve(raw_folder or "~", Path.home())
        if not folder.is_dir():
            error.update(plain(_("The folder {folder} does not exist.").format(folder=folder)))
            return None
        if not name or name in (".", UP):
            error.update(_("Type a file name, or Esc to cancel."))
            return None
        path = _resolve(name, folder)  # a name with a folder in it goes there
        if not path.suffix:
            path = path.with_name(path.name + ".csv")  # so a double-click opens a spreadsheet
        if path.is_dir():
            error.update(plain(_("{path} is a folder; type a file name.").format(path=path)))
            return None
        if not path.parent.is_dir():
            error.update(plain(_("The folder {folder} does not exist.").format(folder=path.parent)))
            return None
        excel = self.query_one("#excel", RadioButton).value
        return ExportChoice(path, excel)

    def action_export(self) -> None:
        choice = self.choice()
        if choice is not None:
            self.dismiss(choice)

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "folder":  # Enter moves on, as in the forms; from the name, exports
            self.query_one("#name", Input).focus()
        else:
            self.action_export()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "ok":
            self.action_export()
        elif event.button.id == "browse":
            self.action_browse()
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)
