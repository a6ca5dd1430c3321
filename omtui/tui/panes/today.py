"""The "Aujourd'hui" tab: what needs the organiser, each line one Enter from its fix, and
the club at a glance. The app opens on it.

Every figure comes from `core.today.overview()` (read in a worker, one consistent read);
a refresh redraws only the sections whose text changed, so the screen does not flicker
when another process writes.
"""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.events import Resize
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from omtui.core import today, today_text
from omtui.errors import OmtuiError
from omtui.i18n import N_, _, ngettext, translate_declared
from omtui.tui import first_read
from omtui.tui.messages import DataChanged, OpenTarget
from omtui.tui.panes.base import ClubPane
from omtui.tui.screens.confirm import ConfirmDialog
from omtui.tui.text import plain

WIDE = 110
HEADINGS = {
    "today-jobs": N_("Automation"),
    "today-members": N_("The club at a glance"),
    "today-events": N_("Next events"),
    "today-newsletter": N_("Last newsletter"),
    "today-attendance": N_("Attendance, last 6 months (checked in / registered)"),
    "today-lunch": N_("Where to hold the next lunch (no event there for 6 months)"),
}
"""Each section's heading, drawn in its Static's first line (a widget less per section:
the first screen's start-up budget, issue 10)."""
RIGHT_SECTIONS = (
    "today-members",
    "today-events",
    "today-newsletter",
    "today-attendance",
    "today-lunch",
)
HEADING_STYLE = "bold $accent"
STYLES = {today.Urgency.NOW: "bold $error", today.Urgency.SOON: "$warning", today.Urgency.LATER: ""}


class TodayPane(ClubPane, inherit_bindings=False):
    """What needs you (most urgent first), the automation's last runs, the club's figures."""

    AREAS = frozenset({"members", "events", "rota", "newsletter"})
    DEFAULT_CSS = """
    TodayPane #today-scroll { height: 1fr; overflow-y: scroll; }
    TodayPane #today-cols { height: auto; layout: vertical; }
    TodayPane.-wide #today-cols { layout: horizontal; }
    TodayPane #today-left, TodayPane #today-right { height: auto; padding: 0 1; }
    TodayPane.-wide #today-left { width: 3fr; }
    TodayPane.-wide #today-right { width: 2fr; border-left: solid $primary-darken-2; }
    TodayPane .today-heading { text-style: bold; color: $accent; margin-top: 1; }
    TodayPane .today-section { margin-top: 1; }
    TodayPane #today-items { height: auto; max-height: 60vh; border: none; padding: 0; }
    TodayPane #today-items:focus { background-tint: $foreground 3%; }
    TodayPane #today-empty { color: $success; padding: 0 1; }
    TodayPane Static { height: auto; }
    TodayPane #today-hint { color: $text-muted; padding: 0 1; height: 1; }
    """
    # not ClubPane's `?`: Today's footer is short and shows the app's `?` already; taking
    # the pane's would reorder the footer once the focus enters it, after the first frame
    BINDINGS = [Binding("r", "refresh", _("Refresh"), show=False)]

    def __init__(self, club, **kwargs) -> None:
        super().__init__(club, **kwargs)
        self.view: today.Overview | None = None
        self.items: tuple[today.Item, ...] = ()
        self.drawn = 0
        """How many times the figures were drawn (tests wait on it)."""
        self._shown: dict[str, str] = {}

    def compose(self) -> ComposeResult:
        # the layout for the terminal's width from the first frame (the Resize event comes
        # a few frames later and would lay the whole tab out a second time)
        self.set_class(self.app.size.width >= WIDE, "-wide")
        with VerticalScroll(id="today-scroll"), Vertical(id="today-cols"):
            with Vertical(id="today-left"):
                yield Label("", id="today-needs-heading", classes="today-heading")
                yield OptionList(id="today-items")
                yield Static("", id="today-empty")
                yield self._section("today-jobs")
            with Vertical(id="today-right"):
                for section in RIGHT_SECTIONS:
                    yield self._section(section)
        yield Static(_("Enter: open or fix the line · 1-4: the other tabs"), id="today-hint")

    def _section(self, section: str) -> Static:
        return Static(self._with_heading(section, ""), id=section, classes="today-section")

    @staticmethod
    def _with_heading(section: str, text: str) -> Content:
        heading = Content.styled(translate_declared(HEADINGS[section]), HEADING_STYLE)
        return heading + "\n" + plain(text) if text else heading

    def on_mount(self) -> None:
        """Draw the figures before the first frame: the overview is the app's first screen,
        and reading it takes a few milliseconds (26 ms at 100,000 members), less than a
        worker's round trip and the extra frames of a screen filled in later."""
        self.loaded = True
        view = first_read.take(self.club)  # started by `omtui` before Textual loaded
        if view is None:
            view = today.overview(self.club.db, now=self.club.now(), tz=self.club.tz)
        self.show_view(view)

    def on_resize(self, event: Resize) -> None:
        self.set_class(event.size.width >= WIDE, "-wide")

    def focus_default(self) -> None:
        self.screen.set_focus(self.query_one("#today-items", OptionList))

    # -- loading ---------------------------------------------------------------------------
    def load(self) -> None:
        self._read()

    def action_refresh(self) -> None:
        self._read()

    @work(thread=True, exclusive=True, group="today", exit_on_error=False)
    def _read(self) -> None:
        club = self.club
        view = club.in_worker(lambda db: today.overview(db, now=club.now(), tz=club.tz))
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self.show_view, view)

    def show_view(self, view: today.Overview) -> None:
        """Draw `view`, touching only the sections whose text changed."""
        self.view = view
        tz, now = self.club.tz, view.now
        self._show_items(view.items)
        self._set("#today-jobs", "\n".join(today.job_text(j, now, tz) for j in view.jobs))
        self._set(
            "#today-members",
            "\n".join(
                [
                    today_text.members_line(view.members),
                    today_text.sparkline_line(view.members),
                ]
            ),
        )
        self._set(
            "#today-events",
            "\n".join(
                f"{today_text.fill_bar(e.registered, e.capacity) or '·' * 10} "
                f"{today_text.event_line(e, now, tz)}"
                for e in view.next_events
            )
            or _("No upcoming event."),
        )
        self._set("#today-newsletter", today_text.newsletter_line(view.last_newsletter, now, tz))
        self._set(
            "#today-attendance",
            "\n".join(today_text.attendance_line(a) for a in view.attendance)
            or _("No event in the last 6 months."),
        )
        self._set(
            "#today-lunch",
            "\n".join(today_text.city_line(c) for c in view.lunch_cities)
            or _("Every city with members had an event lately."),
        )
        self.drawn += 1

    def _set(self, selector: str, text: str) -> None:
        if self._shown.get(selector) != text:
            self._shown[selector] = text
            section = selector.removeprefix("#")
            shown = self._with_heading(section, text) if section in HEADINGS else plain(text)
            self.query_one(selector, Static).update(shown)

    def _show_items(self, items: tuple[today.Item, ...]) -> None:
        heading = today_text.heading_needs_you(len(items))
        if self._shown.get("heading") != heading:
            self._shown["heading"] = heading
            self.query_one("#today-needs-heading", Label).update(plain(heading))
        options = self.query_one("#today-items", OptionList)
        empty = self.query_one("#today-empty", Static)
        if items != self.items:
            keep = options.highlighted
            kept = self.items[keep] if keep is not None and keep < len(self.items) else None
            self.items = items
            options.clear_options()
            options.add_options(
                Option(plain(f"{today_text.MARKS[i.urgency]} {i.text}", style=STYLES[i.urgency]))
                for i in items
            )
            if items:
                options.highlighted = (
                    items.index(kept) if kept in items else min(keep or 0, len(items) - 1)
                )
        options.display = bool(items)
        empty.display = not items
        self._set("#today-empty", today_text.empty_needs_you())

    # -- acting on a line ---------------------------------------------------------------------
    @on(OptionList.OptionSelected, "#today-items")
    def item_chosen(self, message: OptionList.OptionSelected) -> None:
        if message.option_index >= len(self.items):
            return
        self.act(self.items[message.option_index])

    def act(self, item: today.Item) -> None:
        """Open the place that resolves `item`, or offer its obvious action first."""
        if item.action == "confirm_event" and item.target and item.target.event_id:
            self._offer_confirm(item.target)
        elif item.action == "send_notices":
            self._offer_notices()
        elif item.target is not None:
            self.post_message(OpenTarget(item.target))
        elif item.kind == "triage":
            self.run_worker(self.app.run_action("app.mailbox_triage"))
        elif item.kind == "reminders_due":
            from omtui.tui.screens.reminders import RemindersScreen

            self.app.push_screen(RemindersScreen(self.club))
        else:
            self.notify(
                _("Check the job's cron line and its log on the server."),
                title=item.text,
                markup=False,
            )

    def _offer_notices(self) -> None:
        # on use: the first screen needs neither the cancel notices nor the sender
        from omtui.core.mail import cancel_notice
        from omtui.tui import notices

        def answered(yes: bool | None) -> None:
            if yes:
                notices.send_notices(self)

        count = cancel_notice.pending(self.club.db)
        if not count:  # sent meanwhile (by cron, or another session)
            self.load()
            return
        question = ngettext(
            "Send the cancellation notice to the member now?",
            "Send the cancellation notices to the {n} members now?",
            count,
        ).format(n=count)
        later = _("Later (omtui remind sends them)")
        self.app.push_screen(ConfirmDialog(question, yes=_("Send now"), no=later), answered)

    def _offer_confirm(self, target: today.Target) -> None:
        from omtui.core import events as ev  # on use: the first screen does not need it

        try:
            event = ev.get_event(self.club.db, target.event_id or 0)
        except OmtuiError as exc:
            self.notify(str(exc), severity="error", markup=False)
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self._confirm(event.id)
            else:
                self.post_message(OpenTarget(target))

        question = _("{event} is still planned. Mark it as confirmed?").format(event=event.title)
        self.app.push_screen(
            ConfirmDialog(question, yes=_("Confirm it"), no=_("Open the event")), answered
        )

    @work(thread=True, group="today-write", exit_on_error=False)
    def _confirm(self, event_id: int) -> None:
        from omtui.core import events as ev

        club = self.club
        try:
            event = club.in_worker(
                lambda db: ev.update_event(db, event_id, {"status": "confirmed"}, now=club.now())
            )
        except OmtuiError as exc:
            self.app.call_from_thread(self.notify, str(exc), severity="error", markup=False)
            return
        self.app.call_from_thread(
            self.notify, _("{event} is confirmed.").format(event=event.title), markup=False
        )
        self.post_message(DataChanged("events"))
