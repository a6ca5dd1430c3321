"""The Rota tab (an honest empty state until its issue lands)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from omtui.i18n import _
from omtui.tui.panes.base import ClubPane


class RotaPane(ClubPane):
    """Rota: not built yet."""

    AREAS = frozenset({"rota"})

    def compose(self) -> ComposeResult:
        yield Static(
            _("The volunteer rota is not available in this version of omtui yet."), classes="empty"
        )
