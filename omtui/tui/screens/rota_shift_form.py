"""Add or edit a shift: role, start, end (club time), volunteers needed, notes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widgets import Button, Input, Label

from omtui.core import dateparse, labels, rota
from omtui.core.dates import format_local, utcnow
from omtui.core.text import clean_text
from omtui.errors import OmtuiError, ValidationError
from omtui.i18n import _
from omtui.tui.screens.confirm import DIALOG_CSS
from omtui.tui.text import plain

WHEN = "%Y-%m-%d %H:%M"
DEFAULT_LENGTH = timedelta(hours=2)


@dataclass(frozen=True)
class ShiftFields:
    role: str
    starts_at: datetime
    ends_at: datetime
    needed: int
    notes: str


Save = Callable[[ShiftFields], rota.Shift]


class RotaShiftForm(ModalScreen[rota.Shift | None]):
    """The form calls `save` on Enter; a refusal is shown under the form, nothing closes.

    dismiss(shift) once saved, dismiss(None) on Esc.
    """

    DEFAULT_CSS = (
        DIALOG_CSS.replace("{name}", "RotaShiftForm")
        + """
    RotaShiftForm > Vertical { width: 72; padding: 0 1; }
    RotaShiftForm #form-title { text-style: bold; margin-bottom: 1; }
    RotaShiftForm .row { height: 1; margin: 0; align-horizontal: left; }
    RotaShiftForm .row Label { width: 9; color: $text-muted; }
    RotaShiftForm .row Input { width: 1fr; height: 1; border: none; padding: 0 1; }
    RotaShiftForm .hint { color: $text-muted; margin-top: 1; }
    """
    )
    BINDINGS = [Binding("escape", "cancel", _("Cancel"))]

    def __init__(
        self,
        title: str,
        tz: ZoneInfo,
        save: Save,
        shift: rota.Shift | None = None,
        default_start: datetime | None = None,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        super().__init__()
        self.title_text = title
        self.tz = tz
        self.save = save
        self.shift = shift
        self.default_start = default_start
        self.now = now
        self._prefill: dict[str, tuple[str, datetime]] = {}

    def compose(self) -> ComposeResult:
        s = self.shift
        start = s.starts_at if s else self.default_start
        end = s.ends_at if s else (start + DEFAULT_LENGTH if start else None)
        for name, moment in (("starts_at", start), ("ends_at", end)):
            if moment is not None:
                self._prefill[name] = (format_local(moment, self.tz, WHEN), moment)
        with Vertical():
            yield Label(plain(self.title_text), id="form-title")
            with Horizontal(classes="row"):
                yield Label(_("Role"))
                yield Input(
                    clean_text(s.role) if s else "",
                    placeholder=_("welcome desk, set-up, host, tear-down…"),
                    suggester=SuggestFromList(labels.shift_roles(), case_sensitive=False),
                    id="role",
                )
            with Horizontal(classes="row"):
                yield Label(_("Starts"))
                yield Input(
                    self._prefill["starts_at"][0] if start else "",
                    placeholder=_("03/12/2026 18:00, 3 Dec 18h"),
                    id="starts_at",
                )
            with Horizontal(classes="row"):
                yield Label(_("Ends"))
                yield Input(
                    self._prefill["ends_at"][0] if end else "",
                    placeholder=_("20:00 (the same day) or 03/12/2026 20:00"),
                    id="ends_at",
                )
            with Horizontal(classes="row"):
                yield Label(_("Needed"))
                yield Input(str(s.needed) if s else "1", id="needed", type="integer")
            with Horizontal(classes="row"):
                yield Label(_("Notes"))
                yield Input(clean_text(s.notes) if s else "", id="notes")
            yield Label(
                _("Times are club time ({tz}). Enter saves, Esc cancels.").format(tz=self.tz.key),
                classes="hint",
            )
            yield Label("", id="form-error", classes="error")
            with Horizontal():
                yield Button(_("Cancel"), id="cancel")
                yield Button(_("Save"), id="save", variant="primary")

    def _value(self, name: str) -> str:
        return self.query_one(f"#{name}", Input).value.strip()

    def _when(self, name: str, label: str, start: datetime | None = None) -> datetime:
        """A start, or with `start` an end (a time alone is on the start's day)."""
        text = self._value(name)
        shown = self._prefill.get(name)
        if shown is not None and text == shown[0]:
            return shown[1]  # as shown: the stored moment (02:30 may read two ways)
        try:
            if start is not None:
                return dateparse.parse_end(text, start=start, tz=self.tz, now=self.now())
            return dateparse.parse_datetime(text, tz=self.tz, now=self.now())
        except dateparse.UnreadableDate:
            raise ValidationError(
                _("{label}: write a date and time like 2026-12-03 18:30").format(label=label),
                field=name,
            ) from None
        except dateparse.DateParseError as exc:
            raise ValidationError(
                _("{field}: {reason}").format(field=label, reason=str(exc)), field=name
            ) from None

    def submit(self) -> None:
        error = self.query_one("#form-error", Label)
        try:
            starts_at = self._when("starts_at", _("start"))
            fields = ShiftFields(
                role=self._value("role"),
                starts_at=starts_at,
                ends_at=self._when("ends_at", _("end"), starts_at),
                needed=int(self._value("needed") or 0),
                notes=self._value("notes"),
            )
        except (ValidationError, ValueError) as exc:
            self._refused(exc)
            return
        error.update(_("Saving…"))
        self._save(fields)

    @work(thread=True, group="shift-form-save", exit_on_error=False)
    def _save(self, fields: ShiftFields) -> None:
        """Save off the UI thread: the write may wait for another process's."""
        try:
            saved = self.save(fields)
        except (OmtuiError, ValueError) as exc:
            self.app.call_from_thread(self._refused, exc)
            return
        self.app.call_from_thread(self.dismiss, saved)

    def _refused(self, exc: Exception) -> None:
        self.query_one("#form-error", Label).update(plain(str(exc)))
        field = getattr(exc, "field", None)
        if field and self.query(f"#{field}"):
            self.query_one(f"#{field}", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save":
            self.submit()
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)
