"""Data on screen as text, never as markup or terminal commands.

Textual parses a plain `str` given to a Label, a Static, a DataTable cell, a toast or a
border title as markup: "Grégoire [/]" raises MarkupError and "[@click=app.quit]x[/]"
becomes a clickable action. Every value that came from a person, a file or a server goes
to a widget through one of these helpers; the app's own literal strings keep their markup.
"""

from __future__ import annotations

from string import Formatter
from typing import Any

from rich.text import Text
from textual.app import App
from textual.content import Content
from textual.notifications import SeverityLevel

from omtui.core.text import visible

__all__ = ["DataCell", "PlainTextApp", "cell", "markup", "plain", "visible"]


def plain(value: object, *, style: str = "", multiline: bool = True) -> Content:
    """`value` as literal text for a Label, a Static, an OptionList item or a title.

    Control characters are shown (ESC as "␛"), never sent to the terminal; newlines too
    unless `multiline`.
    """
    text = visible(value, multiline=multiline)
    return Content.styled(text, style) if style else Content(text)


class DataCell(Text):
    """A table cell holding data: Rich Text (never parsed), equal to the str it shows."""

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            return self.plain == other
        return super().__eq__(other)

    __hash__ = None  # type: ignore[assignment]  # mutable, like Text


def cell(value: object, *, style: str = "") -> DataCell:
    """`value` as a literal DataTable cell (DataTable parses str cells as markup)."""
    return DataCell(visible(value, multiline=False), style=style, end="", overflow="ellipsis")


def markup(template: str, /, **values: Any) -> Content:
    """The app's own markup `template` (from _()) with `{name}` fields filled as plain text.

    Never escape data into a markup string instead: Textual's parser has no escape for a
    backslash, so a value ending in "\\" would swallow the app's next tag.

    `markup(_("Register for [b]{title}[/b]"), title=event.title)`: the tags are the app's,
    the title is shown as written, whatever brackets it holds. Format specs work as in
    str.format ("{rate:.0%}").
    """
    parts: list[str] = []
    variables: dict[str, str] = {}
    for literal, field, spec, conversion in Formatter().parse(template):
        parts.append(literal)
        if field is None:
            continue
        value = values[field] if field else ""
        if conversion == "r":
            value = repr(value)
        elif conversion in ("s", "a"):
            value = str(value) if conversion == "s" else ascii(value)
        name = f"omtui_value_{len(variables)}"
        variables[name] = visible(format(value, spec or ""))
        parts.append(f"${name}")
    return Content.from_markup("".join(parts), **variables)


class PlainTextApp(App[None]):
    """An App whose toasts and header are always plain text.

    Widget.notify() passes markup=True by default, and every toast of ours says something
    about data (names, titles, server replies): the message is never parsed, and control
    characters in it or in the title are shown, not sent to the terminal.
    """

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        super().notify(
            visible(message),
            title=visible(title, multiline=False),
            severity=severity,
            timeout=timeout,
            markup=False,
        )

    def format_title(self, title: str, sub_title: str) -> Content:
        return super().format_title(
            visible(title, multiline=False), visible(sub_title, multiline=False)
        )
