"""The Members tab: a filtered, sorted window of members paged in SQL, and its actions.

The table never holds more than WINDOW rows: moving the cursor past either end slides
the window by SHIFT rows. Queries run in thread workers (the newest wins), so typing in
the filter stays responsive at 100,000 members.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from textual import on, work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import DataTable, Input, Label, Select, Static
from textual.worker import Worker, WorkerState, get_current_worker

from omtui.core import members as core
from omtui.core.db import Database
from omtui.core.members import Member, MemberFilter
from omtui.core.numbers import format_number
from omtui.errors import OmtuiError
from omtui.i18n import _, ngettext
from omtui.tui.messages import DataChanged
from omtui.tui.panes.base import ClubPane
from omtui.tui.panes.members_actions import MemberActions
from omtui.tui.text import plain
from omtui.tui.widgets.member_table import COLUMNS, Cells, MemberTable, member_cells

WINDOW = 100
"""Rows in the table at once."""
SHIFT = 50
"""Rows the window slides by when the cursor reaches one of its ends."""
SUBSCRIPTION_OPTIONS = ((_("Subscribed"), True), (_("Unsubscribed"), False))


class MembersPane(MemberActions, ClubPane):
    """Members: filter, sort, page, add, edit, delete, consent history, import, export."""

    AREAS = frozenset({"members"})
    BINDINGS = [
        Binding("slash", "focus_filter", _("Filter")),
        Binding("a", "add_member", _("Add")),
        Binding("e", "edit_member", _("Edit")),
        Binding("d,delete", "delete_member", _("Delete")),
        Binding("enter", "show_member", _("Details"), show=False),
        Binding("s", "next_sort", _("Sort")),
        Binding("r", "reverse_sort", _("Reverse"), show=False),
        Binding("i", "import_csv", _("Import")),
        Binding("x", "export_csv", _("Export")),
        Binding("m", "merge_member", _("Merge"), show=False),
        Binding("escape", "escape", _("Clear filter"), show=False),
    ]

    def __init__(self, club, **kwargs) -> None:
        super().__init__(club, **kwargs)
        self.filt = MemberFilter()
        self.start = 0
        self.total: int | None = None
        self.everyone: int | None = None
        self._generation = 0
        self.shown_generation = 0
        """The last fetch whose rows are on screen (tests and the benchmark wait on it)."""
        self._pending = False
        self._keep_id: int | None = None
        self._prefetched = False
        self._count_db: Database | None = None
        self._select_options: dict[str, list[str]] = {}
        self._selects_mounted = False
        self._shown: list[tuple[int, tuple[str, ...]]] = []

    # -- layout ---------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        with Horizontal(id="members-filters"):
            yield Input(
                placeholder=_("/ filter: name, email…"),
                id="members-filter",
                compact=True,
            )
        yield Label("", id="members-count")
        yield MemberTable(id="members-table")
        yield Static("", id="members-empty", classes="empty")

    @property
    def table(self) -> MemberTable:
        return self.query_one(MemberTable)

    # -- loading --------------------------------------------------------------------
    def on_mount(self) -> None:
        """Members is the tab shown at start: put its first page in the very first frame.

        One page sorted by name comes from an index (a few ms at 100,000 members); the
        count (after the first frame) and the filter options follow in workers.
        """
        self._count_db = self.club.worker_db()
        self._generation += 1
        page = core.query_members(self.club.db, self.filt, limit=WINDOW)
        now = self.club.now()
        self._show_rows(self._generation, 0, [(m.id, member_cells(m, now)) for m in page], None, 0)
        self._prefetched = True
        self.call_after_refresh(self._mount_filter_selects)

    async def _mount_filter_selects(self) -> None:
        """The tag, city and consent filters arrive just after the first frame.

        Three Selects are a fifth of the app's widgets: not in the way of the first page.
        """
        await self.query_one("#members-filters").mount(
            Select((), prompt=_("Any tag"), id="members-tag", compact=True),
            Select((), prompt=_("Any city"), id="members-city", compact=True),
            Select(
                SUBSCRIPTION_OPTIONS, prompt=_("Any consent"), id="members-subscribed", compact=True
            ),
        )
        self._selects_mounted = True
        for selector, values in list(self._select_options.items()):
            self._set_options(selector, values)

    def load(self) -> None:
        """First show, or the data changed: keep the filter, the window and the cursor."""
        self.everyone = None
        if self._prefetched:  # the first page is already there (on_mount), counted after
            self._prefetched = False
            self.focus_in_tab(self.table)
        else:
            keep_id, self._keep_id = self._keep_id or self.table.current_member_id, None
            self.fetch(self.start, keep_id=keep_id, cursor_row=self.table.cursor_row)
        self.call_after_refresh(self.load_options)  # after the rows are on screen

    def fetch(self, offset: int = 0, *, keep_id: int | None = None, cursor_row: int = 0) -> None:
        """Query one window of rows in a worker; stale answers are dropped."""
        self._generation += 1
        self._pending = True
        self._fetch(self._generation, self.filt, offset, keep_id, cursor_row)

    @work(thread=True, exclusive=True, group="members-filter", exit_on_error=False)
    def _fetch(
        self, generation: int, filt: MemberFilter, offset: int, keep_id: int | None, row: int
    ) -> None:
        db, now = self.club.db, self.club.now()
        sort, descending = self.table.sort_key, self.table.descending
        page = core.query_members(
            db, filt, sort=sort, descending=descending, limit=WINDOW, offset=offset
        )
        if keep_id is not None and all(m.id != keep_id for m in page):
            # the member to keep (just added or edited) is elsewhere: centre the window on it
            where = core.position_of(db, keep_id, filt, sort=sort, descending=descending)
            if where is not None:
                offset = max(0, where - WINDOW // 2)
                page = core.query_members(
                    db, filt, sort=sort, descending=descending, limit=WINDOW, offset=offset
                )
        if not page and offset > 0:  # the window fell off the end (rows went away)
            offset = 0
            page = core.query_members(db, filt, sort=sort, descending=descending, limit=WINDOW)
        rows = [(m.id, member_cells(m, now)) for m in page]
        if get_current_worker().is_cancelled:
            return
        self.app.call_from_thread(self._show_rows, generation, offset, rows, keep_id, row)

    @work(thread=True, exclusive=True, group="members-count", exit_on_error=False)
    def _count(self, generation: int, filt: MemberFilter, offset: int, page_size: int) -> None:
        """Count the matches and everyone, then show the count line."""
        db = self.club.db
        if core.counted_by_scan(db, filt):  # tens of ms in SQLite: off the pages' connection
            db = self._scan_db()
        # A short first page is the whole answer: no need to count (a miss costs one scan).
        if offset == 0 and page_size < WINDOW:
            total = page_size
        else:
            total = core.count_members(db, filt)
        everyone = self.everyone
        if everyone is None:
            everyone = total if filt == MemberFilter() else core.count_members(db)
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._show_count, generation, total, everyone)

    def _scan_db(self) -> Database:
        """The counts' own connection (kept while the pane lives)."""
        if self._count_db is None:  # made in on_mount; a worker may run after unmount
            return self.club.db
        return self._count_db

    def on_unmount(self) -> None:
        if self._count_db is not None:
            self._count_db.close()
            self._count_db = None

    def _show_rows(
        self,
        generation: int,
        offset: int,
        rows: list[tuple[int, Cells]],
        keep_id: int | None,
        cursor_row: int,
    ) -> None:
        if generation != self._generation:
            return
        self.start = offset
        if keep_id is not None:
            cursor_row = next((i for i, (mid, _c) in enumerate(rows) if mid == keep_id), cursor_row)
        # Typing on ("hele", "helen", "helene") often finds the same rows: keep the
        # table as it is then, so there is nothing to redraw.
        shown = [(mid, tuple(c.plain for c in cells)) for mid, cells in rows]
        if shown != self._shown:
            self.table.show_rows(rows, cursor_row)
            self._shown = shown
        elif rows and cursor_row != self.table.cursor_row:
            self.table.move_cursor(row=cursor_row, animate=False)
        self.shown_generation = generation
        # Count once the rows are painted: on 2 busy cores the count (a scan for short
        # words) would otherwise compete with drawing the rows the person is waiting for.
        self.call_after_refresh(self._count, generation, self.filt, offset, len(rows))
        self._pending = False
        empty = not rows
        if self.table.display == empty:
            self.table.display = not empty
            empty_note = self.query_one("#members-empty", Static)
            empty_note.display = empty
            empty_note.update(self._empty_message())

    def _show_count(self, generation: int, total: int, everyone: int) -> None:
        if generation != self._generation:
            return
        self.total, self.everyone = total, everyone
        # one line, fixed size: no layout pass needed
        self.query_one("#members-count", Label).update(self.count_text(), layout=False)

    def count_text(self) -> str:
        """ "1,234 of 3,012 members · 1–200 shown · sorted by name ▲"."""
        total, everyone = self.total or 0, self.everyone or 0
        if self.filt == MemberFilter():
            text = ngettext("{total} member", "{total} members", total).format(
                total=format_number(total)
            )
        else:
            text = ngettext(
                "{total} of {everyone} member", "{total} of {everyone} members", everyone
            ).format(total=format_number(total), everyone=format_number(everyone))
        if total > self.table.row_count > 0:
            text += " · " + _("{first}–{last} shown").format(
                first=format_number(self.start + 1),
                last=format_number(self.start + self.table.row_count),
            )
        label = dict(COLUMNS)[self.table.sort_key]
        arrow = "▼" if self.table.descending else "▲"
        return text + " · " + _("sorted by {column} {arrow}").format(column=label, arrow=arrow)

    def _empty_message(self) -> str:
        if self.filt == MemberFilter():
            return _("No members yet. Press a to add one or i to import a CSV file.")
        return _("No member matches these filters. Esc clears the text filter.")

    @work(thread=True, exclusive=True, group="members-options", exit_on_error=False)
    def load_options(self) -> None:
        """Fill the tag and city filters (distinct values, read in a worker)."""
        tags = core.tag_options(self.club.db)
        cities = core.all_cities(self.club.db)
        self.app.call_from_thread(self._set_options, "#members-tag", tags)
        self.app.call_from_thread(self._set_options, "#members-city", cities)
        if not getattr(self, "_duplicates_told", False):  # once: members to merge
            self._duplicates_told = True
            notice = core.duplicate_notice(self.club.db)
            if notice:
                self.app.call_from_thread(
                    self.notify, notice, severity="warning", timeout=15, markup=False
                )

    def _set_options(self, selector: str, values: list[str]) -> None:
        self._select_options[selector] = values
        if not self._selects_mounted:
            return  # _mount_filter_selects applies them
        select = self.query_one(selector, Select)
        current = select.value
        select.set_options((plain(v), v) for v in values)
        if current in values:
            with select.prevent(Select.Changed):
                select.value = current

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A query that failed says so, instead of leaving the table as it was."""
        if event.state == WorkerState.ERROR and event.worker.group.startswith("members-"):
            self._pending = False
            error = event.worker.error
            self.notify(_("Members: {error}").format(error=error), severity="error", timeout=10)

    # -- filtering ------------------------------------------------------------------
    @on(Input.Changed, "#members-filter")
    def _filter_typed(self, event: Input.Changed) -> None:
        self.set_filter(replace(self.filt, text=event.value))

    @on(Input.Submitted, "#members-filter")
    def _filter_done(self) -> None:
        self.table.focus()

    @on(Select.Changed)
    def _select_changed(self, event: Select.Changed) -> None:
        value: Any = None if event.value is Select.NULL else event.value
        field = {"members-tag": "tag", "members-city": "city", "members-subscribed": "subscribed"}
        name = field.get(event.select.id or "")
        if name is not None and getattr(self.filt, name) != value:
            self.set_filter(replace(self.filt, **{name: value}))

    def set_filter(self, filt: MemberFilter) -> None:
        self.filt = filt
        self.fetch(0)

    def action_focus_filter(self) -> None:
        # set_focus now, not later: the keys typed right after "/" belong to the filter
        self.screen.set_focus(self.query_one("#members-filter", Input))

    def focus_default(self) -> None:
        """Coming back to Members puts the keys on the table (a, x, 2 act, not type);
        `/` goes to the filter."""
        self.screen.set_focus(self.table)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "escape":  # only when it does something: otherwise Esc goes on
            box = self.query_one("#members-filter", Input)
            return box.has_focus or bool(box.value)
        return super().check_action(action, parameters)

    def action_escape(self) -> None:
        box = self.query_one("#members-filter", Input)
        if box.has_focus and box.value:
            box.value = ""
        elif box.has_focus:
            self.table.focus()
        else:  # on the table with a filter typed: clear it
            box.value = ""

    def reveal_member(self, member_id: int) -> None:
        """Make sure `member_id` can be shown: clear the filters that hide them."""
        if self.filt == MemberFilter():
            return
        sort, descending = self.table.sort_key, self.table.descending
        if (
            core.position_of(self.club.db, member_id, self.filt, sort=sort, descending=descending)
            is not None
        ):
            return
        self.filt = MemberFilter()
        box = self.query_one("#members-filter", Input)
        with box.prevent(Input.Changed):
            box.value = ""
        for select in self.query(Select):
            with select.prevent(Select.Changed):
                select.clear()
        self.notify(_("Filter cleared to show them."))

    def action_clear_filters(self) -> None:
        self.query_one("#members-filter", Input).value = ""
        for select in self.query(Select):
            select.clear()
        self.set_filter(MemberFilter())

    # -- sorting and paging ---------------------------------------------------------
    def sort_by(self, key: str, descending: bool = False) -> None:
        self.table.show_sort(key, descending)
        self.fetch(0)

    @on(DataTable.HeaderSelected)
    def _header_clicked(self, event: DataTable.HeaderSelected) -> None:
        key = str(event.column_key.value)
        same = key == self.table.sort_key
        self.sort_by(key, descending=not self.table.descending if same else False)

    def action_next_sort(self) -> None:
        keys = [k for k, _label in COLUMNS]
        self.sort_by(keys[(keys.index(self.table.sort_key) + 1) % len(keys)])

    def action_reverse_sort(self) -> None:
        self.sort_by(self.table.sort_key, not self.table.descending)

    @on(DataTable.RowHighlighted)
    def _slide_window(self, event: DataTable.RowHighlighted) -> None:
        """At the last row fetch the next rows, at the first row the previous ones."""
        table = self.table
        if self._pending or event.cursor_row != table.cursor_row:
            return  # a stale event from a rebuild
        last = table.row_count - 1
        if event.cursor_row == last and self.total and self.start + table.row_count < self.total:
            self.fetch(self.start + SHIFT, cursor_row=last - SHIFT)
        elif event.cursor_row == 0 and self.start > 0:
            new_offset = max(0, self.start - SHIFT)
            self.fetch(new_offset, cursor_row=self.start - new_offset)

    @on(DataTable.RowSelected)
    def _row_chosen(self) -> None:
        self.action_show_member()

    # -- writes go through core, then tell the app ------------------------------------
    def selected_member(self) -> Member | None:
        member_id = self.table.current_member_id
        if member_id is None:
            self.notify(_("No member selected."), severity="warning")
            return None
        try:
            return core.get_member(self.club.db, member_id)
        except OmtuiError as exc:
            self.notify(str(exc), severity="error")
            return None

    def changed(self, keep_id: int | None = None) -> None:
        """After a write: the app refreshes every pane showing members, this one included."""
        self._keep_id = keep_id
        self.post_message(DataChanged("members"))

    # -- command palette --------------------------------------------------------------
    def palette_commands(self) -> Iterable[SystemCommand]:
        yield SystemCommand(_("Add member"), _("Open an empty member form"), self.action_add_member)
        yield SystemCommand(
            _("Edit member"), _("Edit the selected member"), self.action_edit_member
        )
        yield SystemCommand(
            _("Delete member"), _("Archive the selected member"), self.action_delete_member
        )
        yield SystemCommand(
            _("Merge members"),
            _("Join another record of the same person into the selected member"),
            self.action_merge_member,
        )
        yield SystemCommand(
            _("Member details and consent history"),
            _("Show the selected member, subscribe or unsubscribe them"),
            self.action_show_member,
        )
        yield SystemCommand(
            _("Import members from CSV"), _("Preview, then apply"), self.action_import_csv
        )
        yield SystemCommand(
            _("Export members to CSV"),
            _("Write the members matching the filters"),
            self.action_export_csv,
        )
        yield SystemCommand(
            _("Filter members"), _("Jump to the filter (/)"), self.action_focus_filter
        )
        yield SystemCommand(
            _("Clear member filters"), _("Show every member"), self.action_clear_filters
        )
        for key, label in COLUMNS:
            yield SystemCommand(
                _("Sort members by {column}").format(column=label),
                _("Ascending; run it again or press r to reverse"),
                lambda key=key: self.sort_by(key),
            )
