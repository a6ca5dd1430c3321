"""The members DataTable: one window of rows at a time, sorted in SQL, keyed by member id."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from rich.cells import cell_len, set_cell_size
from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.events import Resize
from textual.geometry import Region, Size
from textual.strip import Strip
from textual.widgets import DataTable

from omtui.core.dates import humanize_delta
from omtui.core.members import Member
from omtui.i18n import _
from omtui.tui.text import visible

COLUMNS: tuple[tuple[str, str], ...] = (
    ("name", _("Name")),
    ("email", _("Email")),
    ("company", _("Company")),
    ("city", _("City")),
    ("tags", _("Tags")),
    ("subscribed", _("News")),
    ("joined", _("Joined")),
)
WIDTHS = {
    "name": 18,
    "email": 40,
    "company": 30,
    "city": 20,
    "tags": 24,
    "subscribed": 6,
    "joined": 21,
}
"""The widest each column gets: cells are cut to it in the worker (so nothing needs
measuring when a keystroke brings a new window of rows), then to the column's width of
the moment when drawn (see `widths_for`)."""

NARROW_WIDTHS = {
    "name": 16,
    "email": 20,
    "company": 10,
    "city": 10,
    "tags": 12,
    "subscribed": 4,
    "joined": 14,
}
"""At 80 columns: name, email, company, city and tags fit on screen (tags readable, not
cut to one letter); consent and joined date are a scroll to the right."""

WIDE_WIDTHS = {
    "name": 18,
    "email": 26,
    "company": 16,
    "city": 12,
    "tags": 12,
    "subscribed": 4,
    "joined": 14,
}
"""At 120 columns (a table 118 cells wide, inside the tab's padding) every column fits;
wider terminals give the extra room to the columns cut most (email, company, city, tags),
up to `WIDTHS`."""

GROWS = (("email", 4), ("company", 3), ("city", 2), ("tags", 2))
"""Where room beyond 120 columns goes, in shares."""


SHRINKS = (("email", 14), ("company", 8))
"""Where a table narrower than a layout's columns takes the room from, down to a minimum."""

FIRST_SCREEN = ("name", "email", "company", "city", "tags")
"""The columns an 80-column terminal shows; the others are a scroll to the right."""


def _needed(widths: dict[str, int], keys: tuple[str, ...] | None = None) -> int:
    """Cells the columns `keys` (default all) take, with their padding and the scrollbar."""
    keys = keys or tuple(widths)
    return sum(widths[key] + 2 for key in keys) + 2


def widths_for(width: int) -> dict[str, int]:
    """Column widths for a table `width` cells wide (its padding and scrollbar included):
    below 120 the first screen's columns fit whole, the rest scroll; wider, every column
    fits and the extra room goes to the columns cut most."""
    if width < _needed(WIDE_WIDTHS):
        widths = dict(NARROW_WIDTHS)
        deficit = _needed(widths, FIRST_SCREEN) - width
        for key, least in SHRINKS:
            take = max(0, min(deficit, widths[key] - least))
            widths[key] -= take
            deficit -= take
        return widths
    widths = dict(WIDE_WIDTHS)
    extra = width - _needed(WIDE_WIDTHS)
    shares = sum(share for _key, share in GROWS)
    for key, share in GROWS:
        widths[key] = min(WIDTHS[key], widths[key] + extra * share // shares)
    return widths


class Cell:
    """A one-line, plain cell that renders as one segment.

    DataTable renders a Text cell through Rich's wrapping machinery, the larger part of
    the cost of drawing a new page of rows; a cut-to-width string needs none of it.
    """

    __slots__ = ("plain",)

    def __init__(self, plain: str) -> None:
        self.plain = plain

    def __str__(self) -> str:
        return self.plain

    def __repr__(self) -> str:
        return f"Cell({self.plain!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Cell) and other.plain == self.plain

    def __hash__(self) -> int:
        return hash(self.plain)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield Segment(self.fit(options.max_width))

    def fit(self, width: int) -> str:
        """The text in exactly `width` cells."""
        text = self.plain
        if width > 1 and cell_len(text) > width:  # the column is narrower than the cut
            text = set_cell_size(text, width - 1) + "…"
        return set_cell_size(text, width)

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        width = cell_len(self.plain)
        return Measurement(width, width)


Cells = tuple[Cell, ...]


def _cut(text: str, column: str) -> str:
    text = visible(text, multiline=False)  # Cell sends its text as is: no ESC may pass
    width = WIDTHS[column]
    return text if cell_len(text) <= width else set_cell_size(text, width - 1) + "…"


def member_cells(member: Member, now: datetime) -> Cells:
    """A member as table cells, built in the worker thread.

    Not str: DataTable parses str cells as markup (slow, and wrong for a company called
    "Dupont [SARL]").
    """
    return tuple(map(Cell, _member_strings(member, now)))


def _member_strings(member: Member, now: datetime) -> tuple[str, ...]:
    return (
        _cut(member.full_name or "—", "name"),
        _cut(member.email, "email"),
        _cut(member.company, "company"),
        _cut(member.city, "city"),
        _cut(",".join(member.tags), "tags"),
        _("yes") if member.subscribed else _("no"),
        humanize_delta(member.joined_at, now) if member.joined_at else "",
    )


class MemberTable(DataTable):
    """Shows the rows the pane gives it; the pane decides which window of members that is."""

    def __init__(self, **kwargs) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self.sort_key = "name"
        self.descending = False

    def on_mount(self) -> None:
        self.ensure_columns()

    def ensure_columns(self) -> None:
        if not self.columns:
            widths = widths_for(self.size.width or self.app.size.width)
            for key, label in COLUMNS:
                self.add_column(label, key=key, width=widths[key])
            self.show_sort(self.sort_key, self.descending)

    def on_resize(self, event: Resize) -> None:
        """Columns follow the terminal: wider ones show more of each email and company."""
        widths = widths_for(event.size.width)
        changed = False
        for key, column in self.columns.items():
            wanted = widths.get(str(key.value))
            if wanted is not None and column.width != wanted:
                column.width = wanted
                changed = True
        if changed:
            self._clear_caches()
            self._require_update_dimensions = True
            self.refresh()

    def show_sort(self, key: str, descending: bool) -> None:
        """Mark the sorted column's header with an arrow."""
        self.sort_key, self.descending = key, descending
        for column_key, label in COLUMNS:
            column = self.columns.get(column_key)  # type: ignore[call-overload]
            if column is None:
                continue
            if column_key == key:
                column.label = Text(f"{label} {'▼' if descending else '▲'}", style="bold")
            else:
                column.label = Text(label)
        self._require_update_dimensions = True
        self.refresh()

    def _update_dimensions(self, new_rows) -> None:
        """Every column has a fixed width and every row one line: skip measuring cells.

        DataTable (Textual 8.2.8) measures every new cell here, the larger part of the
        cost of a filter keystroke; only the virtual size is needed.
        """
        self._new_rows.clear()
        width = sum(column.get_render_width(self) for column in self.columns.values())
        header = self.header_height if self.show_header else 0
        self.virtual_size = Size(width, self._total_row_height + header)

    def render_lines(self, crop: Region) -> list[Strip]:
        """One frame: the row styles are computed once per kind of row (see below)."""
        self._row_styles: dict[tuple[object, Style], Style] | None = {}
        try:
            return super().render_lines(crop)
        finally:
            self._row_styles = None

    def _get_row_style(self, row_index: int, base_style: Style) -> Style:
        """Textual computes a row's style for every line drawn (a CSS lookup through the
        widget's ancestors each time); within one frame it only depends on the kind of
        row, so it is computed once per kind."""
        cache = getattr(self, "_row_styles", None)
        if cache is None:
            return super()._get_row_style(row_index, base_style)
        if row_index == -1:
            kind: object = "header"
        elif row_index < self.fixed_rows:
            kind = "fixed"
        else:
            kind = row_index % 2 if self.zebra_stripes else "body"
        style = cache.get((kind, base_style))
        if style is None:
            style = cache[(kind, base_style)] = super()._get_row_style(row_index, base_style)
        return style

    def _render_cell(
        self,
        row_index: int,
        column_index: int,
        base_style: Style,
        width: int,
        cursor: bool = False,
        hover: bool = False,
    ) -> list[list[Segment]]:
        """A body Cell as its one line of segments, built directly.

        DataTable (Textual 8.2.8) renders every cell through Rich (Padding in Styled, then
        render_lines): most of the time of painting a new window of rows after a filter
        keystroke. A Cell is one line already cut to its column, so the same segments
        (padding, text, padding, in the cell's style and with its row/column meta) are
        built here; headers and anything else take Textual's path.
        """
        if row_index < 0 or column_index < 0:
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        row_key = self._row_locations.get_key(row_index)
        column_key = self._column_locations.get_key(column_index)
        if row_key is None or column_key is None:
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        key = (
            row_key,
            column_key,
            base_style,
            cursor,
            hover,
            self._show_hover_cursor,
            self._update_count,
            self._pseudo_class_state,
        )
        lines = self._cell_render_cache.get(key)
        if lines is not None:
            return lines
        cell = self._get_row_renderables(row_index).cells[column_index]
        if not isinstance(cell, Cell) or self.rows[row_key].height != 1:
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        fixed = row_index < self.fixed_rows or column_index < self.fixed_columns
        component_style, post_style = self._get_styles_to_render_cell(
            False,
            False,
            fixed,
            hover,
            cursor,
            self.show_cursor,
            self._show_hover_cursor,
            self.cursor_foreground_priority == "css",
            self.cursor_background_priority == "css",
        )
        meta = Style.from_meta({"row": row_index, "column": column_index})
        style = base_style + meta + component_style + post_style
        pad = " " * self.cell_padding
        text = cell.fit(max(0, width - 2 * self.cell_padding))
        lines = [[Segment(pad, style), Segment(text, style), Segment(pad, style)]]
        self._cell_render_cache[key] = lines
        return lines

    def show_rows(self, rows: Sequence[tuple[int, Cells]], cursor_row: int = 0) -> None:
        """Replace every row (clear + add) and put the cursor on `cursor_row`."""
        self.ensure_columns()
        self.clear()
        for member_id, cells in rows:
            self.add_row(*cells, key=str(member_id))
        if rows:
            self.move_cursor(row=max(0, min(cursor_row, len(rows) - 1)), animate=False)

    def row_of(self, member_id: int) -> int | None:
        """The row showing `member_id`, if it is in the current window."""
        try:
            return self.get_row_index(str(member_id))
        except Exception:
            return None

    @property
    def current_member_id(self) -> int | None:
        if not self.row_count:
            return None
        key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key
        return int(key.value) if key.value is not None else None
