"""The app's first frame is its complete first screen (issue 10, start-up).

Textual settles some things a few frames after the first one (the footer's keys, the
focus, the active tab's underline, the layout for the terminal's width): each is one more
full redraw before the screen is complete. The app settles them before its first frame;
these tests look at the first frame and check that nothing changes after it.
"""

from __future__ import annotations

import gc

import pytest
from textual.widgets import Footer
from textual.widgets._tabs import Underline

from omtui.context import ClubContext
from omtui.core import today
from omtui.tui import first_read
from omtui.tui.app import OmtuiApp, make_app
from omtui.tui.panes.today import TodayPane
from tests.tui import pilot_helpers as ui


def first_frame_state(app: OmtuiApp) -> dict:
    pane = app.query_one(TodayPane)
    underline = app.query_one(Underline)
    return {
        "footer keys": [str(key.description) for key in app.query_one(Footer).children],
        "focused": app.focused.id if app.focused else None,
        "underline": (underline.highlight_start, underline.highlight_end),
        "wide": pane.has_class("-wide"),
        "drawn": pane.drawn,
    }


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_first_frame_is_the_complete_screen(
    demo_club: ClubContext, size: tuple[int, int]
) -> None:
    app = make_app(demo_club, poll=False)
    first: dict = {}
    display = app._display

    def record(screen, renderable) -> None:
        display(screen, renderable)
        if renderable is not None and not first:
            first.update(first_frame_state(app))

    app._display = record  # type: ignore[method-assign]
    async with app.run_test(size=size) as pilot:
        await ui.settle(pilot)
        settled = first_frame_state(app)
    assert first == settled
    assert first["footer keys"], "the footer's keys are in the first frame"
    assert first["focused"] == "today-items"
    assert first["underline"][1] > first["underline"][0]
    assert first["wide"] is (size[0] >= 110)
    assert first["drawn"] == 1


async def test_the_collector_is_back_on_after_the_first_frame(demo_club: ClubContext) -> None:
    """`omtui` starts with the garbage collector off (cli.main); the app turns it back on."""
    gc.disable()
    try:
        app = make_app(demo_club, poll=False)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            assert gc.isenabled()
    finally:
        gc.unfreeze()
        gc.enable()


async def test_the_read_started_before_textual_is_the_one_drawn(demo_club: ClubContext) -> None:
    """`omtui` starts reading the Today figures in a thread before Textual loads."""
    first_read.start(demo_club)
    app = make_app(demo_club, poll=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        pane = app.query_one(TodayPane)
        assert pane.drawn == 1
        assert first_read.take(demo_club) is None  # the pane took it
    fresh = today.overview(demo_club.db, now=demo_club.now(), tz=demo_club.tz)
    assert pane.view == fresh


def test_a_bad_database_is_one_line_before_the_app(tmp_path) -> None:
    """The database opens in the first read's thread: its error still comes as one line,
    exit 2, before any screen."""
    from click.testing import CliRunner

    from omtui.cli import cli

    bad = tmp_path / "club.db"
    bad.write_bytes(b"this is not a database, " * 200)
    result = CliRunner().invoke(cli, ["--db", str(bad)])
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        f"omtui: {bad} is not an omtui database (not an SQLite file); it was left untouched"
    ]
    assert bad.read_bytes() == b"this is not a database, " * 200
