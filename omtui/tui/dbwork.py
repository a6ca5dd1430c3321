"""The app's side of a shared database: a notice while a write waits for another process."""

from __future__ import annotations

from collections.abc import Callable

from textual.app import App

from omtui.i18n import _

WAIT_NOTICE_SECONDS = 8


def waiting_notifier(app: App, also: Callable[[str], None] | None = None) -> Callable[[str], None]:
    """A notifier for `Database.on_wait` that shows a toast (and calls `also`) on the UI
    thread, whichever thread the waiting write runs in."""

    def show(message: str) -> None:
        app.notify(
            message,
            title=_("Database busy"),
            severity="warning",
            timeout=WAIT_NOTICE_SECONDS,
            markup=False,
        )
        if also is not None:
            also(message)

    def notify(message: str) -> None:
        try:
            app.call_from_thread(show, message)
        except RuntimeError:  # already on the UI thread (or the app is not running)
            if app.is_running:
                show(message)

    return notify
