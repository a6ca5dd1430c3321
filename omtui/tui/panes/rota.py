"""The Rota tab: per-event coverage (gaps stand out), assign and unassign volunteers,
add/edit/delete shifts, dropped places with their reasons, and who is on when (30 days)."""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text
from textual import work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import ContentSwitcher, DataTable, Label, Static

from omtui.context import ClubContext
from omtui.core import labels, rota, rota_coverage
from omtui.core.dates import format_day_time, humanize_day
from omtui.core.text import fold
from omtui.core.today import Target
from omtui.errors import OmtuiError
from omtui.i18n import _, ngettext
from omtui.tui.messages import DataChanged
from omtui.tui.panes.base import ClubPane
from omtui.tui.screens.confirm import ConfirmDialog
from omtui.tui.screens.rota_pick import RotaPickDialog
from omtui.tui.screens.rota_shift_form import RotaShiftForm, ShiftFields
from omtui.tui.text import cell, plain
from omtui.tui.widgets.fit_table import FitTable

WHO_DAYS = 30
GAP = "bold red"


def _filled(filled: int, needed: int, event_status: str = "") -> Text:
    if event_status == "cancelled":  # nobody is needed any more: no gap to flag
        return Text(f"{filled}/{needed}", style="dim")
    return Text(f"{filled}/{needed}", style=GAP if filled < needed else "green")


def _gap(missing: int) -> Text:
    return (
        Text(ngettext("⚠ {n} missing", "⚠ {n} missing", missing).format(n=missing), style=GAP)
        if missing
        else Text("✓", "green")
    )


class RotaPane(ClubPane):
    """Coverage by event above, the highlighted event's shifts below."""

    AREAS = frozenset({"rota", "events", "members"})
    DEFAULT_CSS = """
    RotaPane .rota-heading { text-style: bold; color: $accent; padding: 0 1; }
    RotaPane #rota-events { height: 1fr; }
    RotaPane #rota-shifts { height: 1fr; }
    RotaPane #rota-dropped { height: auto; max-height: 5; padding: 0 1; color: $warning; }
    RotaPane #rota-status { height: auto; padding: 0 1; }
    RotaPane #rota-status.refused { color: $error; text-style: bold; }
    RotaPane ContentSwitcher, RotaPane #rota-coverage, RotaPane #rota-who-view { height: 1fr; }
    RotaPane #rota-who { height: 1fr; }
    """
    BINDINGS = [
        Binding("a", "assign", _("Assign")),
        Binding("u", "unassign", _("Unassign")),
        Binding("n", "new_shift", _("New shift")),
        Binding("e", "edit_shift", _("Edit")),
        Binding("delete", "delete_shift", _("Delete"), key_display=_("del")),
        Binding("w", "toggle_who", _("Who is on when")),
    ]

    def __init__(self, club: ClubContext, **kwargs) -> None:
        super().__init__(club, **kwargs)
        self._said_for: tuple | None = None
        """Where the cursors were when the status line last said something (None: it shows
        the keys): once she moves elsewhere, the message is about another line: stale."""
        self.event_id: int | None = None
        self._want_shift: int | None = None
        self._focus_shifts = False
        self._coverage: dict[int, rota_coverage.EventCoverage] = {}

    def compose(self) -> ComposeResult:
        with ContentSwitcher(initial="rota-coverage"):
            with Vertical(id="rota-coverage"):
                yield Label(_("Coverage by event"), classes="rota-heading")
                # each table's last column (a title, notes) gives way with "…" at 80 columns
                yield FitTable(id="rota-events", cursor_type="row", zebra_stripes=True, fit=4)
                yield Label(_("Shifts"), classes="rota-heading", id="rota-shifts-heading")
                yield FitTable(
                    id="rota-shifts", cursor_type="row", zebra_stripes=True, fit=(4, 3, 1)
                )
                yield Static("", id="rota-dropped")
            with Vertical(id="rota-who-view"):
                yield Label(
                    _("Who is on when: the next {days} days").format(days=WHO_DAYS),
                    classes="rota-heading",
                )
                yield FitTable(id="rota-who", cursor_type="row", zebra_stripes=True, fit=(4, 2, 1))
        yield Static(self._keys_line(), id="rota-status")

    def on_mount(self) -> None:
        self.query_one("#rota-events", DataTable).add_columns(
            _("When"), _("Filled"), _("Gaps"), _("Shifts"), _("Event")
        )
        self.query_one("#rota-shifts", DataTable).add_columns(
            _("When"), _("Role"), _("Filled"), _("Volunteers"), _("Notes")
        )
        self.query_one("#rota-who", DataTable).add_columns(
            _("When"), _("Role"), _("Who"), _("Gaps"), _("Event")
        )

    # -- loading -------------------------------------------------------------------------
    def load(self) -> None:
        now, tz = self.club.now(), self.club.tz
        cover = rota_coverage.coverage(self.club.db, since=now)
        self._coverage = {c.event_id: c for c in cover}
        table = self.query_one("#rota-events", DataTable)
        rows = [
            (
                c.event_id,
                humanize_day(c.starts_at, now, tz),
                _filled(c.filled, c.needed, c.status) if c.shifts else "",
                # a cancelled event says so in the gaps column, which 80 columns never cut
                Text(f"✗ {labels.event_status(c.status)}", style="dim")
                if c.status == "cancelled"
                else (_gap(c.missing) if c.shifts else ""),
                str(len(c.shifts)) if c.shifts else Text(_("none yet"), style="dim"),
                cell(("✗ " if c.status == "cancelled" else "") + c.title),
            )
            for c in cover
        ]
        self._refill(table, rows, keep=self.event_id)
        if self.event_id not in self._coverage:
            self.event_id = cover[0].event_id if cover else None
        self.show_event()
        if self.query_one(ContentSwitcher).current == "rota-who-view":
            self.load_who()
        if not self.query("DataTable:focus"):
            self.focus_in_tab(table)
        self._keep_said()

    @staticmethod
    def _refill(table: DataTable, rows: list[tuple], keep: int | None = None) -> None:
        row = table.cursor_row
        table.clear()
        for key, *cells in rows:
            table.add_row(*cells, key=str(key))
        if not rows:
            return
        if keep is not None and str(keep) in {str(r[0]) for r in rows}:
            row = table.get_row_index(str(keep))
        table.move_cursor(row=min(row, len(rows) - 1), scroll=True)

    def show_event(self) -> None:
        """Fill the shifts table and the dropped places for the highlighted event."""
        cover = self._coverage.get(self.event_id) if self.event_id is not None else None
        heading = self.query_one("#rota-shifts-heading", Label)
        shifts = self.query_one("#rota-shifts", DataTable)
        dropped_box = self.query_one("#rota-dropped", Static)
        if cover is None:
            heading.update(_("No upcoming events: add one in the Events tab."))
            shifts.clear()
            dropped_box.update("")
            return
        heading.update(
            plain(
                _("Shifts of {event}: {filled}/{needed} places filled").format(
                    event=cover.title, filled=cover.filled, needed=cover.needed
                )
                if cover.shifts
                else _("{event} has no shifts yet: n adds one").format(event=cover.title)
            )
        )
        db, tz = self.club.db, self.club.tz
        held = rota.assignments(db, [s.id for s in cover.shifts])
        rows = [
            (
                s.id,
                s.when(tz),
                cell(s.role),
                _filled(s.filled, s.needed, s.event_status),
                cell(", ".join(a.full_name for a in held.get(s.id, [])))
                or cell(_("nobody yet"), style="dim" if s.event_status == "cancelled" else GAP),
                cell(s.notes),
            )
            for s in cover.shifts
        ]
        self._refill(shifts, rows, keep=self._want_shift)
        if self._want_shift is not None:  # a Today line named this shift
            self._want_shift = None
            self.focus_in_tab(shifts)
            self._focus_shifts = False
        gone = rota_coverage.dropped(db, event_id=cover.event_id)
        dropped_box.update(
            plain(
                "\n".join(
                    _("Dropped: {name} left {role} ({when}): {reason}").format(
                        name=a.full_name,
                        role=s.role,
                        when=format_day_time(a.dropped_at, tz) if a.dropped_at else "",
                        reason=a.drop_reason or _("no reason given"),
                    )
                    for s, a in gone
                )
            )
        )
        self._keep_said()

    def load_who(self) -> None:
        now, tz = self.club.now(), self.club.tz
        rows = [
            (
                s.id,
                s.when(tz),
                cell(s.role),
                cell(", ".join(a.full_name for a in people))
                or cell(_("nobody"), style="dim" if s.event_status == "cancelled" else GAP),
                _gap(s.missing),
                cell(s.event_title),
            )
            for s, people in rota_coverage.who_is_on(self.club.db, now=now, days=WHO_DAYS)
        ]
        self._refill(self.query_one("#rota-who", DataTable), rows)
        self._keep_said()

    def on_show(self) -> None:
        """Back on the tab: a message from the last visit is about a moment gone."""
        if self._said_for is not None:
            self._show_keys()
        super().on_show()

    def want(self, target: Target) -> None:
        """Select the Today line's event and shift, in the coverage view."""
        if target.event_id is not None:
            self.event_id = target.event_id
            self._want_shift = target.shift_id
            self._focus_shifts = target.shift_id is not None
            self.query_one(ContentSwitcher).current = "rota-coverage"

    def focus_default(self) -> None:
        if self._focus_shifts:  # shown for a Today line: its shift, not the events
            self._focus_shifts = False
            self.screen.set_focus(self.query_one("#rota-shifts", DataTable))
        else:
            super().focus_default()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if self._said_for is not None and self._selection() != self._said_for:
            self._show_keys()  # she moved on: the last message was about another line
        if event.data_table.id == "rota-events" and event.row_key.value is not None:
            new = int(event.row_key.value)
            if new != self.event_id:
                self.event_id = new
                self.show_event()

    # -- helpers ---------------------------------------------------------------------------
    def _sync_event(self) -> None:
        """Follow the events cursor now, even if its highlight message is still queued."""
        events = self.query_one("#rota-events", DataTable)
        if events.row_count:
            key = events.coordinate_to_cell_key(events.cursor_coordinate).row_key.value
            if key is not None and int(key) != self.event_id:
                self.event_id = int(key)
                self.show_event()

    def selected_shift(self) -> rota.Shift | None:
        """The shift under the cursor (shifts table, or the who-is-on-when list)."""
        who = self.query_one(ContentSwitcher).current == "rota-who-view"
        if not who:
            self._sync_event()
        table = self.query_one("#rota-who" if who else "#rota-shifts", DataTable)
        if not table.row_count:
            self.say(_("Pick a shift first (↓ to the shifts list, or n to add one)."), ok=False)
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        try:
            return rota.get_shift(self.club.db, int(key or 0))
        except OmtuiError as exc:
            self.say(str(exc), ok=False)
            return None

    def say(self, message: str, *, ok: bool) -> None:
        status = self.query_one("#rota-status", Static)
        status.update(plain(message))
        status.set_class(not ok, "refused")
        self._said_for = self._selection()
        self.notify(message, severity="information" if ok else "error", timeout=6, markup=False)

    @staticmethod
    def _keys_line() -> str:
        return _("a assign · u unassign · n new shift · e edit · Del delete · w who is on when")

    def _show_keys(self) -> None:
        """Back to the keys' line (the last message no longer applies)."""
        status = self.query_one("#rota-status", Static)
        status.update(self._keys_line())
        status.remove_class("refused")
        self._said_for = None

    def _selection(self) -> tuple:
        """The view and the row under each table's cursor (what a message is about)."""

        def key(table_id: str) -> str | None:
            table = self.query_one(table_id, DataTable)
            if not table.row_count:
                return None
            return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value

        view = self.query_one(ContentSwitcher).current
        return (view, key("#rota-events"), key("#rota-shifts"), key("#rota-who"))

    def _keep_said(self) -> None:
        """A reload (after her change, or another tab's) moved no cursor of hers: a message
        on the status line still applies to where she is."""
        if self._said_for is not None:
            self._said_for = self._selection()

    def changed(self, message: str) -> None:
        self.say(message, ok=True)
        self.post_message(DataChanged("rota"))

    # -- actions ---------------------------------------------------------------------------
    def action_assign(self) -> None:
        shift = self.selected_shift()
        if shift is None:
            return
        tz = self.club.tz
        if shift.event_status == "cancelled":  # say it now, not after a name is picked
            self.say(
                _("{event} is cancelled: its shifts cannot be taken").format(
                    event=shift.event_title
                ),
                ok=False,
            )
            return
        if shift.missing == 0:
            self.say(
                ngettext(
                    "full: the only place is taken on {shift}",
                    "full: all {needed} places are taken on {shift}",
                    shift.needed,
                ).format(needed=shift.needed, shift=shift.label(tz)),
                ok=False,
            )
            return
        held = {a.member_id for a in rota.assignments(self.club.db, [shift.id]).get(shift.id, [])}
        city = fold(
            self.club.db.scalar("SELECT city FROM events WHERE id = ?", (shift.event_id,)) or ""
        )
        cities = {
            r["id"]: fold(r["city"] or "")
            for r in self.club.db.query(
                "SELECT id, city FROM members WHERE tags LIKE '%volunteer%'"
            )
        }
        local: list[tuple[int, str]] = []
        others: list[tuple[int, str]] = []
        for v in rota.volunteers(self.club.db):
            if v.id in held:
                continue
            busy = rota.find_clash(self.club.db, shift, v.id, tz)
            label = f"{v.full_name} <{v.email}>" + (_("  ⚠ busy") if busy else "")
            # volunteers of the event's city first (then the others, by name)
            (local if city and cities.get(v.id) == city else others).append((v.id, label))
        choices = local + others
        if not choices:
            self.say(_("No volunteer left to assign: tag members volunteer first."), ok=False)
            return
        title = _("Assign a volunteer to {shift}").format(shift=shift.label(self.club.tz))

        def picked(member_id: int | None) -> None:
            if member_id:
                self._assign(shift.id, member_id)

        self.app.push_screen(RotaPickDialog(title, choices), picked)

    @work(thread=True, group="rota-write", exit_on_error=False)
    def _assign(self, shift_id: int, member_id: int) -> None:
        """Off the UI thread (like every write here): it may wait for another process."""
        now, tz = self.club.now(), self.club.tz
        try:
            result = self.club.in_worker(
                lambda db: rota.take_shift(db, shift_id, member_id, now=now, tz=tz, by="organiser")
            )
        except OmtuiError as exc:
            self.app.call_from_thread(self.say, str(exc), ok=False)
            return
        if result.ok:
            self.app.call_from_thread(self.changed, result.message)
        else:
            self.app.call_from_thread(self.say, result.message, ok=False)

    def action_unassign(self) -> None:
        shift = self.selected_shift()
        if shift is None:
            return
        held = rota.assignments(self.club.db, [shift.id]).get(shift.id, [])
        if not held:
            self.say(_("Nobody is on this shift."), ok=False)
            return
        title = _("Take whom off {shift}?").format(shift=shift.label(self.club.tz))

        def picked(member_id: int | None) -> None:
            if member_id:
                self._unassign(shift.id, member_id)

        choices = [(a.member_id, a.full_name) for a in held]
        self.app.push_screen(RotaPickDialog(title, choices), picked)

    @work(thread=True, group="rota-write", exit_on_error=False)
    def _unassign(self, shift_id: int, member_id: int) -> None:
        try:
            shift = self.club.in_worker(lambda db: rota.unassign(db, shift_id, member_id))
        except OmtuiError as exc:
            self.app.call_from_thread(self.say, str(exc), ok=False)
            return
        message = _("Unassigned from {shift}").format(shift=shift.label(self.club.tz))
        self.app.call_from_thread(self.changed, message)

    def action_new_shift(self) -> None:
        self._sync_event()
        cover = self._coverage.get(self.event_id) if self.event_id is not None else None
        if cover is None:
            self.say(_("There is no upcoming event to add a shift to."), ok=False)
            return

        def save(fields: ShiftFields) -> rota.Shift:  # runs in the form's worker thread
            return self.club.in_worker(
                lambda db: rota.create_shift(db, cover.event_id, **vars(fields))
            )

        self.app.push_screen(
            RotaShiftForm(
                _("New shift for {event}").format(event=cover.title),
                self.club.tz,
                save,
                default_start=cover.starts_at,
                now=self.club.now,
            ),
            self._saved,
        )

    def action_edit_shift(self) -> None:
        shift = self.selected_shift()
        if shift is None:
            return

        def save(fields: ShiftFields) -> rota.Shift:  # runs in the form's worker thread
            return self.club.in_worker(lambda db: rota.update_shift(db, shift.id, **vars(fields)))

        title = _("Edit shift at {event}").format(event=shift.event_title)
        form = RotaShiftForm(title, self.club.tz, save, shift, now=self.club.now)
        self.app.push_screen(form, self._saved)

    def _saved(self, shift: rota.Shift | None) -> None:
        if shift is not None:
            self.changed(_("Saved {shift}").format(shift=shift.label(self.club.tz)))

    def action_delete_shift(self) -> None:
        shift = self.selected_shift()
        if shift is None:
            return
        question = ngettext(
            "Delete {shift}? {n} volunteer is on it.",
            "Delete {shift}? {n} volunteers are on it.",
            shift.filled,
        ).format(shift=shift.label(self.club.tz), n=shift.filled)

        def done(yes: bool | None) -> None:
            if yes:
                self._delete(shift)

        self.app.push_screen(ConfirmDialog(question, yes=_("Delete")), done)

    @work(thread=True, group="rota-write", exit_on_error=False)
    def _delete(self, shift: rota.Shift) -> None:
        try:
            self.club.in_worker(lambda db: rota.delete_shift(db, shift.id))
        except OmtuiError as exc:
            self.app.call_from_thread(self.say, str(exc), ok=False)
            return
        message = _("Deleted {shift}").format(shift=shift.label(self.club.tz))
        self.app.call_from_thread(self.changed, message)

    def action_toggle_who(self) -> None:
        self._show_keys()
        switcher = self.query_one(ContentSwitcher)
        if switcher.current == "rota-who-view":
            switcher.current = "rota-coverage"
            self.query_one("#rota-events", DataTable).focus()
        else:
            switcher.current = "rota-who-view"
            self.load_who()
            self.query_one("#rota-who", DataTable).focus()

    def palette_commands(self) -> Iterable[SystemCommand]:
        yield SystemCommand(
            _("Rota: assign a volunteer"),
            _("Put a volunteer on the selected shift"),
            self.action_assign,
        )
        yield SystemCommand(
            _("Rota: unassign a volunteer"),
            _("Take a volunteer off the selected shift"),
            self.action_unassign,
        )
        yield SystemCommand(
            _("Rota: add a shift"),
            _("A new shift for the selected event"),
            self.action_new_shift,
        )
        yield SystemCommand(
            _("Rota: edit the shift"), _("Change the selected shift"), self.action_edit_shift
        )
        yield SystemCommand(
            _("Rota: delete the shift"),
            _("Delete the selected shift (asks first)"),
            self.action_delete_shift,
        )
        yield SystemCommand(
            _("Rota: who is on when"),
            _("Every shift of the next {days} days and who holds it").format(days=WHO_DAYS),
            self.action_toggle_who,
        )
