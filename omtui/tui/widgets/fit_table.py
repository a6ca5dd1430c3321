"""A DataTable that fits the screen: one column gives up room so the others stay visible.

A DataTable sizes every column to its longest cell and lets the table run off the right
edge: at 80 columns a long event title pushed the "When" or "Gaps" columns out of sight.
Here the `fit` column (a title, a subject) takes the width left once the other columns
are drawn; its cells are cut with "…" (cells made by `omtui.tui.text.cell` end that way),
and it gets its full width back when the terminal is wide enough.
"""

from __future__ import annotations

from collections.abc import Iterable

from textual.events import Resize
from textual.widgets import DataTable
from textual.widgets.data_table import RowKey


class FitTable(DataTable):
    """A DataTable whose column number `fit` shrinks (down to `min_fit`) to fit the screen."""

    def __init__(self, *args, fit: int, min_fit: int = 12, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fit = fit
        self.min_fit = min_fit

    def _update_dimensions(self, new_rows: Iterable[RowKey]) -> None:
        super()._update_dimensions(new_rows)
        if self._fit_column():
            super()._update_dimensions(())  # the virtual size, with the new width

    def on_resize(self, event: Resize) -> None:
        self._require_update_dimensions = True
        self.refresh()

    def _fit_column(self) -> bool:
        """Set the fit column's width for the room there is; True if it changed."""
        columns = self.ordered_columns
        room = self.scrollable_content_region.width
        if not 0 <= self.fit < len(columns) or room <= 0:
            return False
        column = columns[self.fit]
        others = sum(c.get_render_width(self) for c in columns if c is not column)
        left = room - others - 2 * self.cell_padding
        natural = column.content_width
        if left >= natural:
            width, auto = natural, True
        else:
            width, auto = max(self.min_fit, left), False
        if column.auto_width == auto and (auto or column.width == width):
            return False
        column.auto_width = auto
        column.width = width
        self._clear_caches()
        self.refresh()
        return True
