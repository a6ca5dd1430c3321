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
    """A DataTable whose column number `fit` shrinks (down to `min_fit`) to fit the screen;
    `fit` may name several columns: the first gives way first, then the next."""

    def __init__(self, *args, fit: int | tuple[int, ...], min_fit: int = 12, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fit = (fit,) if isinstance(fit, int) else fit
        self.min_fit = min_fit

    def _update_dimensions(self, new_rows: Iterable[RowKey]) -> None:
        super()._update_dimensions(new_rows)
        if self._fit_columns():
            super()._update_dimensions(())  # the virtual size, with the new widths

    def on_resize(self, event: Resize) -> None:
        self._require_update_dimensions = True
        self.refresh()

    def watch_show_vertical_scrollbar(self, show: bool) -> None:
        """The scrollbar came or went once the rows were counted: the room changed."""
        self._require_update_dimensions = True
        self.refresh()

    def _fit_columns(self) -> bool:
        """Set the fit columns' widths for the room there is; True if one changed."""
        columns = self.ordered_columns
        room = self.scrollable_content_region.width
        fitted = [columns[i] for i in self.fit if 0 <= i < len(columns)]
        if not fitted or room <= 0:
            return False
        # each fit column at its natural width, then the first ones give way
        widths = {id(c): c.content_width for c in fitted}
        fixed = sum(c.get_render_width(self) for c in columns if id(c) not in widths)
        padding = 2 * self.cell_padding * len(fitted)
        over = fixed + padding + sum(widths.values()) - room
        for column in fitted:
            if over <= 0:
                break
            give = min(over, max(0, widths[id(column)] - self.min_fit))
            widths[id(column)] -= give
            over -= give
        changed = False
        for column in fitted:
            width = widths[id(column)]
            auto = width == column.content_width
            if column.auto_width == auto and (auto or column.width == width):
                continue
            column.auto_width = auto
            column.width = width
            changed = True
        if changed:
            self._clear_caches()
            self.refresh()
        return changed
