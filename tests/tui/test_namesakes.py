"""Register (`r`) and assign (`a`) do not take the first of two members who share a name
(issue 10): Enter asks, showing the emails; the arrows then choose."""

from __future__ import annotations

from textual.app import App
from textual.widgets import Label, OptionList

from omtui.context import ClubContext
from omtui.core import events as ev
from omtui.core import members
from omtui.tui.app import make_app
from omtui.tui.screens.event_register import RegisterDialog
from omtui.tui.screens.rota_pick import RotaPickDialog
from tests.tui import pilot_helpers as ui
from tests.tui.pilot_helpers import OPEN_LUNCH


async def test_register_asks_which_of_two_namesakes(demo_club: ClubContext) -> None:
    db, now = demo_club.db, demo_club.now()
    first = members.add_member(
        db, {"first_name": "Zélie", "last_name": "Homonyme", "email": "zelie@a.example"}, now=now
    )
    second = members.add_member(
        db, {"first_name": "Zelie", "last_name": "Homonyme", "email": "zelie@b.example"}, now=now
    )
    app = make_app(demo_club, poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await ui.open_event(pilot, OPEN_LUNCH)
        dialog = await ui.press_to_open(pilot, RegisterDialog, "r")
        await ui.press_and_pause(pilot, *"zelie homonyme", "enter")
        assert app.screen is dialog  # asked, nobody registered
        assert "2 people are called Zelie Homonyme" in str(dialog.query_one("#error").render())
        assert ev.get_registration(db, OPEN_LUNCH, first.id) is None
        matches = dialog.query_one("#matches", OptionList)
        assert matches.has_focus
        shown = [str(matches.get_option_at_index(i).prompt) for i in range(matches.option_count)]
        assert any("zelie@b.example" in line for line in shown)  # the emails tell them apart
        await pilot.press("down")
        chosen = int(matches.get_option_at_index(matches.highlighted).id)
        other = first.id if chosen == second.id else second.id
        await ui.press_and_pause(pilot, "enter")
        assert app.screen is not dialog
        assert ev.get_registration(db, OPEN_LUNCH, chosen) is not None
        assert ev.get_registration(db, OPEN_LUNCH, other) is None


async def test_pick_asks_which_of_two_namesakes() -> None:
    picked: list[int | None] = []
    choices = [
        (1, "Hélène Dupré <helene@a.example>"),
        (2, "Hélène Dupré <helene@b.example>  ⚠ busy"),
        (3, "Hugo Martin <hugo@example.org>"),
    ]

    class Host(App):
        def on_mount(self) -> None:
            self.push_screen(RotaPickDialog("Assign", choices), picked.append)

    app = Host()
    async with app.run_test(size=(80, 24)) as pilot:
        await ui.press_and_pause(pilot, *"helene", "enter")
        assert picked == []
        assert "2 people are called Hélène Dupré" in str(
            app.screen.query_one("#pick-error", Label).render()
        )
        await ui.press_and_pause(pilot, "down", "enter")
        assert picked == [2]
    app = Host()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*"hugo", "enter")  # one person of that name: no question
        await pilot.pause()
    assert picked == [2, 3]
