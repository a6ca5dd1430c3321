"""Add or edit one member in a modal form; core's ValidationError shows under its field."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, Select

from omtui.core.members import Member
from omtui.core.text import clean_text
from omtui.errors import OmtuiError, ValidationError
from omtui.i18n import _
from omtui.tui.text import plain

FIELDS: tuple[tuple[str, str], ...] = (
    ("first_name", _("First name")),
    ("last_name", _("Last name")),
    ("email", _("Email")),
    ("phone", _("Phone")),
    ("company", _("Company")),
    ("job_title", _("Job title")),
    ("city", _("City")),
    ("tags", _("Tags")),
    ("notes", _("Notes")),
)
CONSENT_SOURCES: tuple[tuple[str, str], ...] = (
    (_("a form the member filled in"), "form"),
    (_("on paper"), "paper"),
    (_("at an event sign-up"), "event-signup"),
)
"""How a newsletter consent typed by the organiser was given: recorded as its source."""
Save = Callable[[dict[str, Any]], Member]
"""Validates and writes the form's values (core), returns the saved member or raises."""


class MemberForm(ModalScreen[Member | None]):
    """Edit fields; Enter or Ctrl+S saves through `save`, Esc cancels (returns None).

    The form stays open while `save` raises ValidationError: the message appears under
    the field it names, and nothing was written.
    """

    DEFAULT_CSS = """
    MemberForm { align: center middle; }
    MemberForm > Vertical {
        width: 76; max-width: 100%; height: auto; max-height: 100%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    MemberForm #form-title { text-style: bold; }
    MemberForm VerticalScroll { margin-top: 1; }
    MemberForm VerticalScroll { height: auto; max-height: 15; }
    MemberForm .row { height: auto; }
    MemberForm .row Label.name { width: 12; padding-top: 0; }
    MemberForm .row Input { width: 1fr; }
    MemberForm .field-error { color: $error; padding-left: 12; width: 100%; display: none; }
    MemberForm #form-hint { color: $text-muted; }
    MemberForm .field-error.shown { display: block; }
    MemberForm #form-error { color: $error; width: 100%; }
    MemberForm #buttons { height: auto; align-horizontal: right; margin-top: 1; }
    MemberForm Button { margin-left: 1; min-width: 10; }
    """
    BINDINGS = [
        Binding("escape", "cancel", _("Cancel")),
        Binding("ctrl+s", "save", _("Save")),
    ]

    def __init__(self, save: Save, member: Member | None = None) -> None:
        super().__init__()
        self.save_member = save
        self._saving = False
        self.member = member

    def initial(self) -> Mapping[str, str]:
        if self.member is None:
            return {}
        data = self.member.as_dict()
        data["tags"] = ", ".join(self.member.tags)
        # an Input shows what saving would store: no control characters
        return {name: clean_text(data.get(name), multiline=True) for name, _label in FIELDS}

    def compose(self) -> ComposeResult:
        values = self.initial()
        title = (
            _("Edit {name}").format(name=self.member.full_name or self.member.email)
            if self.member
            else _("New member")
        )
        with Vertical():
            yield Label(plain(title), id="form-title")
            yield Label(_("Enter or Ctrl+S saves, Esc cancels."), id="form-hint")
            with VerticalScroll():
                for name, label in FIELDS:
                    with Horizontal(classes="row"):
                        yield Label(label, classes="name")
                        yield Input(
                            values.get(name, ""),
                            id=f"field-{name}",
                            compact=True,
                            placeholder=_("volunteer, speaker, …") if name == "tags" else "",
                        )
                    yield Label("", id=f"error-{name}", classes="field-error")
                if self.member is None:  # consent is the member's act: never pre-ticked
                    yield Checkbox(_("Subscribed to the newsletter"), False, id="field-subscribed")
                    yield Select(
                        CONSENT_SOURCES,
                        prompt=_("How did they consent?"),
                        id="field-consent_source",
                        compact=True,
                        disabled=True,
                    )
            yield Label("", id="form-error")
            with Horizontal(id="buttons"):
                yield Button(_("Cancel"), id="cancel")
                yield Button(_("Save"), id="save", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#field-first_name", Input).focus()

    def values(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            name: self.query_one(f"#field-{name}", Input).value for name, _label in FIELDS
        }
        if self.member is None:
            data["subscribed"] = self.query_one("#field-subscribed", Checkbox).value
            source = self.query_one("#field-consent_source", Select).value
            data["consent_source"] = "" if source is Select.NULL else str(source)
        return data

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        if event.checkbox.id == "field-subscribed":
            self.query_one("#field-consent_source", Select).disabled = not event.value

    def show_error(self, error: OmtuiError) -> None:
        """Put the message under its field (or at the bottom) and focus that field."""
        self.clear_errors()
        field = getattr(error, "field", None)
        if field and self.query(f"#error-{field}"):
            label = self.query_one(f"#error-{field}", Label)
            label.update(plain(str(error)))
            label.add_class("shown")
            self.query_one(f"#field-{field}", Input).focus()
        else:
            self.query_one("#form-error", Label).update(plain(str(error)))

    def clear_errors(self) -> None:
        for label in self.query(".field-error"):
            label.remove_class("shown")
        self.query_one("#form-error", Label).update("")

    async def action_save(self) -> None:
        if self._saving:
            return
        values = self.values()
        if values.get("subscribed") and not values.get("consent_source"):
            self.clear_errors()
            self.query_one("#form-error", Label).update(
                _("Say how they consented to the newsletter (form, paper or event sign-up).")
            )
            self.query_one("#field-consent_source", Select).focus()
            return
        self._saving = True
        try:  # in a thread: the write may wait for another process, the screen must not
            member = await asyncio.to_thread(self.save_member, values)
        except (ValidationError, OmtuiError) as exc:
            self.show_error(exc)
            return
        finally:
            self._saving = False
        self.dismiss(member)

    def action_cancel(self) -> None:
        self.dismiss(None)

    async def on_input_submitted(self) -> None:
        await self.action_save()

    async def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save":
            await self.action_save()
        else:
            self.action_cancel()
