"""Member data is text, never markup or terminal commands: the reported defects first,
then a corpus of hostile values driven through every screen."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import DataTable, Static

from omtui.context import ClubContext
from omtui.core import members, rota
from omtui.tui.app import make_app
from omtui.tui.panes.rota import RotaPane
from omtui.tui.volunteer import make_volunteer_app
from tests.tui.rota_fixtures import SmallRota, small_rota

ALICE = "alice.zebulon@example.org"


@pytest.fixture
def setup(club: ClubContext) -> SmallRota:
    return small_rota(club)


def shown(widget) -> str:
    """The plain text a Static/Label shows."""
    return str(widget.render())


def cells(table: DataTable) -> list[str]:
    return [str(c) for r in range(table.row_count) for c in table.get_row_at(r)]


def drop_soon(club: ClubContext, setup: SmallRota, reason: str) -> None:
    result = rota.drop_shift(
        club.db, setup.soon, setup.alice, now=club.now(), tz=club.tz, reason=reason
    )
    assert result.ok, result.message


async def open_rota(pilot) -> RotaPane:
    await pilot.press("3")
    await pilot.pause()
    return pilot.app.query_one(RotaPane)


# -- the reported defects ---------------------------------------------------------------
async def test_a_drop_reason_with_a_closing_tag_shows_on_the_rota(club, setup) -> None:
    drop_soon(club, setup, "Sorry [/]")
    app = make_app(club, poll=False)
    async with app.run_test(size=(160, 40)) as pilot:
        pane = await open_rota(pilot)
        assert pane.event_id == setup.late_event_id
        assert "Sorry [/]" in shown(pane.query_one("#rota-dropped", Static))


async def test_a_click_action_in_a_drop_reason_does_nothing(club, setup, tmp_path) -> None:
    shot = tmp_path / "shot.svg"
    drop_soon(club, setup, f"[@click=app.screenshot('shot.svg','{tmp_path}')]Click[/]")
    app = make_app(club, poll=False)
    async with app.run_test(size=(200, 40)) as pilot:
        pane = await open_rota(pilot)
        dropped = pane.query_one("#rota-dropped", Static)
        text = shown(dropped)
        await pilot.click(dropped, offset=(1 + text.index("Click"), 0))
        await pilot.pause()
        assert not shot.exists()
        assert "[@click=app.screenshot(" in text


async def test_a_first_name_with_a_closing_tag_in_the_volunteer_view(club, setup) -> None:
    members.update_member(club.db, setup.chloe, {"first_name": "Grégoire [/]"}, now=club.now())
    assert rota.take_shift(club.db, setup.desk, setup.chloe, now=club.now(), tz=club.tz).ok
    app = make_volunteer_app(club, ALICE, poll=False)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        assert "Grégoire [/]" in cells(app.query_one("#mine", DataTable))


class Boom(Exception):
    pass


async def test_a_volunteer_crash_shows_one_line_and_logs_the_details(
    club, setup, db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = make_volunteer_app(club, ALICE, poll=False)
    secret = "local-value-the-volunteer-must-not-see"

    def explode() -> None:
        hidden = secret  # noqa: F841 - a local a rich traceback would print
        raise Boom("forced for the test")

    with pytest.raises(Boom):
        async with app.run_test(size=(80, 24)) as pilot:
            app.call_later(explode)
            await pilot.pause()
    assert app.return_code == 1
    printed = capsys.readouterr()
    seen = (printed.out + printed.err).strip()
    assert "unexpected error" in seen and "\n" not in seen  # one line
    assert secret not in seen and "Traceback" not in seen and "explode" not in seen
    logs = list(db_path.parent.glob("*.log"))
    assert len(logs) == 1
    assert logs[0].stat().st_mode & 0o777 == 0o600
    details = logs[0].read_text()
    assert "Boom: forced for the test" in details and ALICE in details
