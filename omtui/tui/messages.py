"""Messages panes post upwards; the app routes them to whoever needs a refresh."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from omtui.core.today import Target


class DataChanged(Message):
    """Something in the database changed; `area` is "members", "events", "rota",
    "newsletter", or "*" when another process committed (unknown area)."""

    def __init__(self, area: str = "*") -> None:
        super().__init__()
        self.area = area


class OpenTarget(Message):
    """Show the place `target` names (a tab, and the event, shift or newsletter in it).

    Posted by the Today tab; the app switches tab and hands the target to that tab's pane,
    so no pane reaches into another."""

    def __init__(self, target: Target) -> None:
        super().__init__()
        self.target = target
