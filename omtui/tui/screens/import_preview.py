"""CSV import and export dialogs: ask for a path, then show the import preview before applying."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Input, Label, Static

from omtui.core.numbers import format_number, format_numbers
from omtui.errors import OmtuiError
from omtui.i18n import _, ngettext
from omtui.tui.text import cell, plain

DIALOG_CSS = """
{name} {{ align: center middle; }}
{name} > Vertical {{
    width: 90; max-width: 100%; height: auto; max-height: 100%;
    border: thick $primary; background: $surface; padding: 0 1;
}}
{name} .title {{ text-style: bold; margin-bottom: 1; }}
{name} .error {{ color: $error; }}
{name} .buttons {{ height: auto; align-horizontal: right; margin-top: 1; }}
{name} Button {{ margin-left: 1; min-width: 10; }}
"""


class PathPrompt(ModalScreen[Path | None]):
    """Ask for a file path; `must_exist` for reading. Returns the path or None (Esc)."""

    DEFAULT_CSS = DIALOG_CSS.format(name="PathPrompt")
    BINDINGS = [Binding("escape", "cancel", _("Cancel"))]

    def __init__(self, title: str, *, must_exist: bool, initial: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.must_exist = must_exist
        self.initial = initial

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(plain(self.title_text), classes="title")
            yield Input(self.initial, placeholder=_("path/to/members.csv"), id="path")
            yield Label("", id="path-error", classes="error")
            with Horizontal(classes="buttons"):
                yield Button(_("Cancel"), id="cancel")
                yield Button(_("OK"), id="ok", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#path", Input).focus()

    def submit(self) -> None:
        raw = self.query_one("#path", Input).value.strip()
        error = self.query_one("#path-error", Label)
        if not raw:
            error.update(_("Type a file path, or Esc to cancel."))
            return
        path = Path(raw).expanduser()
        if self.must_exist and not path.is_file():
            error.update(plain(_("{path} is not a file; check the path.").format(path=path)))
            return
        if not self.must_exist and not path.parent.is_dir():
            error.update(plain(_("The folder {folder} does not exist.").format(folder=path.parent)))
            return
        self.dismiss(path.absolute())  # so the toast that follows gives the full path

    def on_input_submitted(self) -> None:
        self.submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "ok":
            self.submit()
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ImportPreviewScreen(ModalScreen[bool]):
    """What an import would do; Apply (a, or the button) returns True, Esc returns False."""

    DEFAULT_CSS = (
        DIALOG_CSS.format(name="ImportPreviewScreen")
        + """
    ImportPreviewScreen #rejected { height: auto; max-height: 10; }
    ImportPreviewScreen #summary { height: auto; }
    """
    )
    BINDINGS = [
        Binding("escape", "cancel", _("Cancel")),
        Binding("a", "apply", _("Apply")),
        Binding("s", "save_rejects", _("Save rejected rows")),
    ]

    def __init__(self, preview: Any) -> None:
        super().__init__()
        self.preview = preview

    def compose(self) -> ComposeResult:
        p = self.preview
        accepted = p.counts["new"] + p.counts["updated"]
        with Vertical():
            yield Label(plain(_("Import {name}").format(name=Path(p.path).name)), classes="title")
            yield Static(plain(self.summary()), id="summary")
            rejected = p.counts["rejected"]
            if rejected:
                text = _("Rejected rows (not imported): {n}").format(n=format_number(rejected))
                if rejected > len(p.rejected):
                    text += " " + _("(the first {shown} below)").format(
                        shown=format_number(len(p.rejected))
                    )
                yield Label(text, classes="error")
                yield DataTable(id="rejected", cursor_type="row", zebra_stripes=True)
            with Horizontal(classes="buttons"):
                if rejected:
                    yield Button(_("Save rejected rows…"), id="save-rejects")
                yield Button(_("Cancel"), id="cancel")
                yield Button(
                    ngettext("Apply ({n} row)", "Apply ({n} rows)", accepted).format(
                        n=format_number(accepted)
                    )
                    if accepted
                    else _("Nothing to apply"),
                    id="apply",
                    variant="primary",
                    disabled=accepted == 0,
                )

    def summary(self) -> str:
        p = self.preview
        lines = [
            _("{new} new · {updated} updated · {unchanged} unchanged").format(
                **format_numbers(p.counts)
            )
            + " · "
            + _("{rejected} rejected").format(rejected=format_number(p.counts["rejected"])),
            _("Encoding {encoding}, delimiter {delimiter}").format(
                encoding=p.encoding, delimiter=_delimiter_name(p.delimiter)
            ),
        ]
        lines += [_("Warning: {w}").format(w=w) for w in p.warnings]
        for row in p.row_warnings[:3]:
            lines.append(
                _("Warning, line {line}: {reason}").format(line=row.line, reason=row.reason)
            )
        if p.row_warning_count > 3:
            more = p.row_warning_count - 3
            lines.append(_("... and {count} more row warnings").format(count=format_number(more)))
        return "\n".join(lines)

    def on_mount(self) -> None:
        if self.preview.rejected:
            table = self.query_one("#rejected", DataTable)
            # Reasons wrap in their column (rows grow): none is cut off at 80 columns.
            room = min(90, self.app.size.width) - 4 - 2  # border and padding, scrollbar
            lines = (len(str(r.line)) for r in self.preview.rejected)
            line_width = max(len(_("Line")), *lines)
            emails = (len(r.email or "") for r in self.preview.rejected)
            email_width = min(26, max(len(_("Email")), *emails))
            reason_width = max(20, room - line_width - email_width - 6)  # 6: cell padding
            table.add_column(_("Line"), width=line_width)
            table.add_column(_("Email"), width=email_width)
            table.add_column(_("Reason"), width=reason_width)
            for row in self.preview.rejected:
                table.add_row(str(row.line), cell(row.email or ""), cell(row.reason), height=None)
        apply = self.query_one("#apply", Button)
        if not apply.disabled:
            apply.focus()

    def action_save_rejects(self) -> None:
        if not self.preview.counts["rejected"]:
            return
        prompt = PathPrompt(
            _("Save the rejected rows, with their reasons, to a CSV file"),
            must_exist=False,
            initial=str(Path(self.preview.path).with_name("rejected.csv")),
        )

        def chosen(path: Path | None) -> None:
            if path is not None:
                self.save_rejects(path)

        self.app.push_screen(prompt, chosen)

    @work(thread=True, group="import-rejects", exit_on_error=False)
    def save_rejects(self, path: Path) -> None:
        try:
            count = self.preview.save_rejects(path)
        except (OmtuiError, OSError) as exc:
            self.app.call_from_thread(self.notify, str(exc), severity="error", markup=False)
            return
        message = _("Saved {count} rejected rows to {path}.").format(
            count=format_number(count), path=path
        )
        self.app.call_from_thread(self.notify, message, markup=False)

    def action_apply(self) -> None:
        if not self.query_one("#apply", Button).disabled:
            self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "apply":
            self.action_apply()
        elif event.button.id == "save-rejects":
            self.action_save_rejects()
        else:
            self.action_cancel()


def _delimiter_name(delimiter: str) -> str:
    return {",": _("comma (,)"), ";": _("semicolon (;)"), "\t": _("tab")}.get(
        delimiter, repr(delimiter)
    )
