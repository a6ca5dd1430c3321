"""VolunteerApp: the restricted app a volunteer gets (`omtui volunteer --member EMAIL`).

A separate App built on the shared core, not the organiser's app with tabs hidden: it
composes only the volunteer's own shifts and the open shifts they may take, and its
bindings and command palette offer only take, drop, refresh and quit. Other volunteers
appear by first name only; no email or phone but the volunteer's own and the organiser's
(`organiser_email`, `organiser_phone` in the config: who to call on the day) is ever shown.

Under the lists, the highlighted shift says what a volunteer needs on the day: when to
arrive (the event's rule, or the shift's start), where, and for their own shifts only, the
access notes (floor, badge, door code).
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text
from textual import events, work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Label, Static

from omtui.context import ClubContext
from omtui.core import audit, rota
from omtui.core import events as ev
from omtui.core.club import display_name
from omtui.core.dates import format_time, humanize_day
from omtui.crashlog import crash_line, log_error
from omtui.errors import OmtuiError
from omtui.i18n import _, ngettext
from omtui.tui.dbwork import waiting_notifier
from omtui.tui.screens.confirm import ConfirmDialog
from omtui.tui.screens.volunteer_drop import DropReasonDialog
from omtui.tui.text import PlainTextApp, cell, plain
from omtui.tui.textual_words import TranslatedApp
from omtui.tui.widgets.fit_table import FitTable

POLL_SECONDS = 1.0
REDRAW_SECONDS = 60.0


class VolunteerApp(PlainTextApp, TranslatedApp):
    """My upcoming shifts and the open shifts I may take; take and drop."""

    TITLE = _("omtui volunteer")
    CSS = """
    #body { height: 1fr; padding: 0 1; }
    .heading { text-style: bold; color: $accent; margin-top: 1; }
    DataTable { height: 1fr; }
    #detail { height: auto; color: $text-muted; }
    #contact { height: auto; }
    #status { height: auto; min-height: 1; }
    #status.refused { color: $warning; }
    """
    BINDINGS = [
        Binding("t", "take", _("Take")),
        Binding("d", "drop", _("Drop")),
        Binding("r", "refresh", _("Refresh")),
        Binding("question_mark", "help", _("Help")),
        Binding("q", "quit", _("Quit")),
        Binding("ctrl+q", "quit", _("Quit"), priority=True),
    ]

    def __init__(self, club: ClubContext, volunteer: rota.Volunteer, *, poll: bool = True) -> None:
        super().__init__()
        self.club = club
        self.volunteer = volunteer
        audit.set_actor(f"member:{volunteer.id}")  # the audit log names the volunteer by id
        self.poll = poll
        self.title = self.TITLE
        who = volunteer.first_name or volunteer.email
        club_name = display_name(club.db, club.config.club_name)
        self.sub_title = " · ".join(part for part in (who, club_name) if part)
        self._data_version: int | None = None
        self._shifts: dict[int, rota.Shift] = {}
        self._clashes: dict[int, str] = {}
        club.set_notifier(waiting_notifier(self, also=self._show_waiting))

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="body"):
            yield Label(_("My upcoming shifts"), classes="heading", id="mine-heading")
            # the event (then the role or who else) gives way with "…" to fit 80 columns
            yield FitTable(id="mine", cursor_type="row", zebra_stripes=True, fit=(2, 3))
            yield Label(_("Open shifts I may take"), classes="heading", id="open-heading")
            yield FitTable(id="open", cursor_type="row", zebra_stripes=True, fit=(2, 1))
            yield Static("", id="detail")
            yield Static(self._contact(), id="contact")
            yield Static(_("t take an open shift · d drop one of mine · q quit"), id="status")
        yield Footer()

    def on_mount(self) -> None:
        mine = self.query_one("#mine", DataTable)
        mine.add_columns(_("When"), _("Role"), _("Event"), _("With"))
        opened = self.query_one("#open", DataTable)
        opened.add_columns(_("When"), _("Role"), _("Event"), _("Free"))
        self.load()
        first = opened if opened.row_count and not mine.row_count else mine
        first.focus()
        # once the tables have their final widths (a horizontal scrollbar may come and
        # go), say the detail again: a first layout left it one line high
        self.call_after_refresh(self._detail_again)
        self._data_version = self.club.db.data_version()
        if self.poll:
            self.set_interval(POLL_SECONDS, self.check_for_outside_changes)
            self.set_interval(REDRAW_SECONDS, self.load)  # shifts start and end as time passes

    # -- data ------------------------------------------------------------------------
    def load(self) -> None:
        """Re-read both lists, keeping each cursor where it was."""
        db, now, tz = self.club.db, self.club.now(), self.club.tz
        me = self.volunteer.id
        mine = rota.my_shifts(db, me, now=now)
        with_whom = rota.assignments(db, [s.id for s in mine])
        self._fill(
            "#mine",
            [
                (
                    s.id,
                    s.when(tz),
                    cell(s.role),
                    cell(s.event_title),
                    cell(
                        ", ".join(
                            a.first_name for a in with_whom.get(s.id, []) if a.member_id != me
                        )
                        or "—"
                    ),
                )
                for s in mine
            ],
        )
        offered = rota.open_shifts(db, me, now=now)
        self._clashes = {
            s.id: clash for s in offered if (clash := rota.find_clash(db, s, me, tz)) is not None
        }
        self._fill(
            "#open",
            [
                (
                    s.id,
                    s.when(tz),
                    cell(s.role),
                    cell(s.event_title),
                    Text(f"{s.missing}/{s.needed}", style="bold")
                    + (Text(" " + _("clash"), style="yellow") if s.id in self._clashes else ""),
                )
                for s in offered
            ],
        )
        self._shifts = {s.id: s for s in [*mine, *offered]}
        self.query_one("#mine-heading", Label).update(
            _("My upcoming shifts ({count})").format(count=len(mine))
        )

    def _fill(self, selector: str, rows: list[tuple]) -> None:
        table = self.query_one(selector, DataTable)
        row = table.cursor_row
        table.clear()
        for key, *cells in rows:
            table.add_row(*cells, key=str(key))
        if rows:
            table.move_cursor(row=min(row, len(rows) - 1))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.has_focus:
            self._show_detail(event.data_table)

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        if isinstance(event.widget, DataTable):
            self._show_detail(event.widget)

    def _detail_again(self) -> None:
        if isinstance(self.focused, DataTable):
            self._show_detail(self.focused)

    def _contact(self) -> Content:
        """How to reach the organiser, from the config ("" when nothing is set)."""
        config = self.club.config
        ways = " · ".join(w.strip() for w in (config.organiser_email, config.organiser_phone) if w)
        return plain(_("Organiser: {ways}").format(ways=ways) if ways else "")

    def _show_detail(self, table: DataTable) -> None:
        """Say when the highlighted shift starts, when to arrive, where, and its notes (the
        access notes for one's own shifts only), under the lists."""
        shift_id = self._selected(f"#{table.id}")
        shift = self._shifts.get(shift_id) if shift_id is not None else None
        detail = self.query_one("#detail", Static)
        if shift is None:
            detail.update("")
            return
        now, tz = self.club.now(), self.club.tz
        parts = [
            f"{shift.role} · {shift.event_title}",
            _("starts {when}").format(when=humanize_day(shift.starts_at, now, tz)),
        ]
        if table.id == "open" and shift.id in self._clashes:
            parts.append(_("clashes with {what}").format(what=self._clashes[shift.id]))
        if shift.notes:
            parts.append(shift.notes)
        lines = [" · ".join(parts)]
        try:
            event = ev.get_event(self.club.db, shift.event_id)
        except OmtuiError:
            event = None
        if event is not None:
            arrive = format_time(event.arrive_by(shift.starts_at), tz)
            if event.arrive_before:
                lines.append(
                    ngettext(
                        "Arrive by {time}, {n} minute before the shift.",
                        "Arrive by {time}, {n} minutes before the shift.",
                        event.arrive_before,
                    ).format(time=arrive, n=event.arrive_before)
                )
            else:
                lines.append(_("Arrive by {time}, when the shift starts.").format(time=arrive))
            if event.location:
                lines.append(_("Where: {where}").format(where=event.location))
            if table.id == "mine" and event.access_notes:
                lines.append(_("Access: {notes}").format(notes=event.access_notes))
        detail.update(plain("\n".join(lines)))

    def check_for_outside_changes(self) -> None:
        """The organiser (another process) changed something: show it."""
        version = self.club.db.data_version()
        if version != self._data_version:
            self._data_version = version
            self.load()

    def _selected(self, selector: str) -> int | None:
        table = self.query_one(selector, DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        return int(key.value) if key.value is not None else None

    def _answer(self, message: str, ok: bool) -> None:
        status = self.query_one("#status", Static)
        status.update(plain(message))
        status.set_class(not ok, "refused")
        self.notify(message, severity="information" if ok else "warning", timeout=4, markup=False)
        self.load()

    # -- actions ---------------------------------------------------------------------
    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id == "open":
            self.action_take()
        else:
            self.action_drop()

    def action_take(self) -> None:
        shift_id = self._selected("#open")
        if shift_id is None:
            self._answer(_("There is no open shift to take."), ok=False)
            return
        now, tz, me = self.club.now(), self.club.tz, self.volunteer.id
        self._write(lambda db: rota.take_shift(db, shift_id, me, now=now, tz=tz))

    def action_drop(self) -> None:
        shift_id = self._selected("#mine")
        if shift_id is None:
            self._answer(_("You have no upcoming shift to drop."), ok=False)
            return
        shift = rota.get_shift(self.club.db, shift_id)
        label = shift.label(self.club.tz)
        if shift.starts_at <= self.club.now():
            self._drop(shift_id, "")  # answers "too late to drop" without asking anything
        elif not rota.needs_reason(shift, self.club.now()):
            question = _("Drop {shift}?").format(shift=label)
            self.push_screen(
                ConfirmDialog(question, yes=_("Drop"), no=_("Keep")),
                lambda yes: self._drop(shift_id, "") if yes else None,
            )
        else:
            self.push_screen(
                DropReasonDialog(label),
                lambda reason: self._drop(shift_id, reason) if reason else None,
            )

    def _drop(self, shift_id: int, reason: str) -> None:
        now, tz, me = self.club.now(), self.club.tz, self.volunteer.id
        self._write(lambda db: rota.drop_shift(db, shift_id, me, now=now, tz=tz, reason=reason))

    @work(thread=True, group="volunteer-write", exit_on_error=False)
    def _write(self, change) -> None:
        """Take or drop off the UI thread: a write may wait for another process's."""
        try:
            result = self.club.in_worker(change)
        except OmtuiError as exc:
            self.call_from_thread(self._answer, str(exc), False)
            return
        self.call_from_thread(self._answer, result.message, result.ok)

    def _show_waiting(self, message: str) -> None:
        status = self.query_one("#status", Static)
        status.update(Text(message))
        status.set_class(True, "refused")

    def action_help(self) -> None:
        """Every key of this view, from its bindings (the same `?` as the organiser's app)."""
        from omtui.tui.screens.help import HelpScreen, key_rows

        rows = key_rows(self, [b for b in self.BINDINGS if isinstance(b, Binding)])
        self.push_screen(HelpScreen([(_("Your shifts"), rows)]))

    def action_refresh(self) -> None:
        self.load()

    # -- an unexpected error: one line for the volunteer, the details for the organiser ----
    def _handle_exception(self, error: Exception) -> None:
        """Replaces Textual's crash screen (source and local variables) with one line.

        The traceback goes to a log file only the organiser can read (omtui.crashlog).
        """
        self._return_code = 1
        if self._exception is None:  # run_test() re-raises it, as Textual does
            self._exception = error
            self._exception_event.set()
        log_error(error, db_path=self.club.db_path, who=self.volunteer.email)
        self._exit_renderables.append(Text(crash_line(), end="", no_wrap=True, overflow="ignore"))
        self._close_messages_no_wait()

    # -- command palette: only the volunteer's own actions ------------------------------
    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield SystemCommand(_("Take"), _("Take the selected open shift"), self.action_take)
        yield SystemCommand(_("Drop"), _("Drop the selected shift of mine"), self.action_drop)
        yield SystemCommand(_("Refresh"), _("Read the rota again"), self.action_refresh)
        yield SystemCommand(_("Quit"), _("Leave the volunteer view"), self.exit)


def make_volunteer_app(club: ClubContext, email: str, *, poll: bool = True) -> VolunteerApp:
    """The one factory: resolve the volunteer (UnusableInput if refused) and build the app."""
    return VolunteerApp(club, rota.require_volunteer(club.db, email), poll=poll)
