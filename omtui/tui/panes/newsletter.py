"""The Newsletter tab (an honest empty state until its issue lands)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from omtui.i18n import _
from omtui.tui.panes.base import ClubPane


class NewsletterPane(ClubPane):
    """Newsletter: not built yet."""

    AREAS = frozenset({"newsletter"})

    def compose(self) -> ComposeResult:
        yield Static(
            _("Newsletters are not available in this version of omtui yet."), classes="empty"
        )
