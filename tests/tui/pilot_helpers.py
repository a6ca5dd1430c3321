"""Steps shared by the Pilot tests (tests/tui and tests/tui_fr): settle the app, wait for a
state, read the toasts, open a tab or an event, choose a Today line, read a table's keys.

Tests import it as `from tests.tui import pilot_helpers as ui` (`await ui.settle(pilot)`) and
the demo's landmarks by name (`FULL_MEETUP`). Each step waits on the app's own state (its
workers, its messages, a condition), never on a fixed sleep; they take the Pilot and reach the
app through `pilot.app`. The TUI modules are imported inside the functions: tests/tui_fr must
choose French before any of them is imported. What the screenshots also show (the demo's
interrupted send, its busiest volunteer, still cursors) is in screenshots/scenes.py.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from textual.app import App
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, OptionList

if TYPE_CHECKING:
    from omtui.context import ClubContext
    from omtui.core import today
    from omtui.tui.panes.events import EventsPane
    from omtui.tui.panes.members import MembersPane
    from omtui.tui.panes.newsletter import NewsletterPane
    from omtui.tui.panes.rota import RotaPane
    from omtui.tui.screens.newsletter_editor import NewsletterEditor

S = TypeVar("S")

FULL_LUNCH = 7  # demo: "Déjeuner du lundi à Paris", tomorrow 12:30, 14/14
FULL_MEETUP = 8  # demo: the meetup with a waiting list
OPEN_LUNCH = 10  # demo: Nantes lunch with seats left


async def settle(pilot: Pilot, rounds: int = 3) -> None:
    """Process pending messages, then `rounds` times: wait for every worker and process what
    it posted (a worker's result may start another: a reload, a count, a deferred section)."""
    await pilot.pause()
    for _ in range(rounds):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


async def wait_for(
    pilot: Pilot,
    condition: Callable[[], bool],
    *,
    seconds: float = 30.0,
    delay: float = 0.01,
) -> None:
    """Let the app process messages until `condition` holds, looking every `delay` seconds
    (room for a thread worker: a folder listing, a send); fail after `seconds`."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition never became true")
        await pilot.pause(delay)


async def press_and_pause(pilot: Pilot, *keys: str) -> None:
    """Press the keys, then let the app process what they caused."""
    await pilot.press(*keys)
    await pilot.pause()


async def press_and_settle(pilot: Pilot, *keys: str) -> None:
    """Press the keys, then settle: the workers they started are done, their results shown."""
    await pilot.press(*keys)
    await settle(pilot)


async def press_to_open(pilot: Pilot, kind: type[S], *keys: str) -> S:
    """Press the keys, let the app process them, and return the screen they opened (a `kind`:
    a form, a dialog)."""
    await press_and_pause(pilot, *keys)
    screen = pilot.app.screen
    assert isinstance(screen, kind), screen
    return screen


def toasts(app: App) -> list[str]:
    """The text of the notifications shown (and not yet timed out)."""
    return [str(note.message) for note in app._notifications]


def toasted(app: App, words: str) -> bool:
    """Whether a notification shown contains `words`."""
    return any(words in text for text in toasts(app))


def fill(screen: Any, **values: str) -> None:
    """Type values into a screen's Inputs, by their id (`fill(form, title="Afterwork")`)."""
    for name, value in values.items():
        screen.query_one(f"#{name}", Input).value = value


def fill_member_form(form: Any, **values: str) -> None:
    """Type values into the member form's fields (`#field-<name>`)."""
    fill(form, **{f"field-{name}": value for name, value in values.items()})


def row_key(table: DataTable) -> str | None:
    """The key of the row under the table's cursor."""
    return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value


def row_keys(table: DataTable) -> list[int]:
    """The keys of a table's rows, top to bottom, as numbers (the ids they show)."""
    return [int(table.coordinate_to_cell_key((r, 0)).row_key.value) for r in range(table.row_count)]


def option_texts(options: OptionList) -> list[str]:
    """What an OptionList lists, top to bottom."""
    return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]


def receive_mail(club: ClubContext, *raws: str) -> None:
    """Messages arrived in the club's mailbox, read as `omtui mailbox sync` reads them
    (INBOX, uids from 1): bounces, unsubscribe requests, replies waiting in triage."""
    from omtui.core.mail.mailbox import SyncSummary, process_message

    for uid, raw in enumerate(raws, start=1):
        process_message(
            club.db, raw.encode(), folder="INBOX", uidvalidity=1, uid=uid,
            now=club.now(), summary=SyncSummary(),
        )  # fmt: skip


# -- the organiser's tabs -----------------------------------------------------------------
async def open_members(pilot: Pilot) -> MembersPane:
    """Show the Members tab (the app opens on Today), its first window loaded."""
    from omtui.tui.panes.members import MembersPane

    await pilot.press("1")
    await wait_for(pilot, lambda: bool(pilot.app.query(MembersPane)))
    await settle(pilot)
    return pilot.app.query_one(MembersPane)


async def open_events(pilot: Pilot) -> EventsPane:
    """Show the Events tab."""
    from omtui.tui.panes.events import EventsPane

    await pilot.press("2")
    await pilot.pause()
    return pilot.app.query_one(EventsPane)


async def select_event(pilot: Pilot, pane: EventsPane, event_id: int) -> None:
    """Put the Events table's cursor (and the focus) on an event; its detail shows."""
    table = pane.query_one("#events", DataTable)
    table.focus()
    table.move_cursor(row=table.get_row_index(str(event_id)))
    await pilot.pause()
    assert pane.selected_id == event_id


async def open_event(pilot: Pilot, event_id: int) -> EventsPane:
    """Show the Events tab with the cursor on an event."""
    pane = await open_events(pilot)
    await select_event(pilot, pane, event_id)
    return pane


async def open_rota(
    pilot: Pilot, event_row: int | None = None, shift_id: int | None = None
) -> RotaPane:
    """Show the Rota tab; with `event_row`, the cursor on that row of its events; with
    `shift_id`, on that shift (and the focus on the shifts)."""
    from omtui.tui.panes.rota import RotaPane

    await pilot.press("3")
    await pilot.pause()
    pane = pilot.app.query_one(RotaPane)
    if event_row is not None:
        pane.query_one("#rota-events", DataTable).move_cursor(row=event_row)
        await pilot.pause()
    if shift_id is not None:
        await pick_shift(pilot, pane, shift_id)
    return pane


async def pick_shift(pilot: Pilot, pane: RotaPane, shift_id: int) -> None:
    """Put the Rota's shift table's cursor (and the focus) on a shift."""
    shifts = pane.query_one("#rota-shifts", DataTable)
    shifts.focus()
    shifts.move_cursor(row=shifts.get_row_index(str(shift_id)))
    await pilot.pause()


async def open_newsletter(pilot: Pilot, item_id: int | None = None) -> NewsletterPane:
    """Show the Newsletter tab, with the cursor on newsletter `item_id` if given."""
    from omtui.tui.panes.newsletter import NewsletterPane

    await pilot.press("4")
    await pilot.pause()
    pane = pilot.app.query_one(NewsletterPane)
    if item_id is not None:
        table = pane.query_one("#nl-table", DataTable)
        table.move_cursor(row=table.get_row_index(str(item_id)))
        await pilot.pause()
    return pane


async def open_editor(pilot: Pilot, item_id: int) -> NewsletterEditor:
    """Open a newsletter of the Newsletter tab in the editor (Enter on its row)."""
    from omtui.tui.screens.newsletter_editor import NewsletterEditor

    await open_newsletter(pilot, item_id)
    await pilot.press("enter")
    editor = pilot.app.screen
    assert isinstance(editor, NewsletterEditor)
    return editor


# -- Today --------------------------------------------------------------------------------
def today_lines(app: App) -> list[str]:
    """The lines of Today's "what needs you" list."""
    return option_texts(app.query_one("#today-items", OptionList))


async def choose_today_line(pilot: Pilot, words: str) -> today.Item:
    """Highlight the first Today line containing `words`, press Enter on it, settle; the
    line's item."""
    from omtui.tui.panes.today import TodayPane

    app = pilot.app
    index = next(i for i, text in enumerate(today_lines(app)) if words in text)
    options = app.query_one("#today-items", OptionList)
    options.focus()
    options.highlighted = index
    await pilot.press("enter")
    await settle(pilot)
    return app.query_one(TodayPane).items[index]


SCROLLS_SIDEWAYS = {"members-table": 120}
"""Tables whose last columns are a scroll to the right below a width (the members' consent
and joined date at 80 columns, by design)."""


def tables_off_screen(app: App) -> list[str]:
    """The tables on screen whose columns are wider than their room: the last ones would be
    cut by the screen's edge, with no "…" to say so."""
    found = []
    for table in app.screen.query(DataTable):
        if not table.display or not table.region.width:
            continue
        if app.size.width < SCROLLS_SIDEWAYS.get(table.id or "", 0):
            continue
        width = sum(column.get_render_width(table) for column in table.ordered_columns)
        room = table.scrollable_content_region.width
        if width > room:
            found.append(f"#{table.id}: {width} cells for {room}")
    return found
