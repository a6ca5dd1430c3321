"""The Members tab (an honest empty state until its issue lands)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from omtui.i18n import _
from omtui.tui.panes.base import ClubPane


class MembersPane(ClubPane):
    """Members: not built yet."""

    AREAS = frozenset({"members"})

    def compose(self) -> ComposeResult:
        yield Static(_("Members are not available in this version of omtui yet."), classes="empty")
