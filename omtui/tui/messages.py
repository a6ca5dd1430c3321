"""Messages panes post upwards; the app routes them to whoever needs a refresh."""

from __future__ import annotations

from textual.message import Message


class DataChanged(Message):
    """Something in the database changed; `area` is "members", "events", "rota",
    "newsletter", or "*" when another process committed (unknown area)."""

    def __init__(self, area: str = "*") -> None:
        super().__init__()
        self.area = area
