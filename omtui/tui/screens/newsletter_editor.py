"""The newsletter editor: subject, Markdown body and audience beside a live preview.

The preview is rendered by the core for a sample recipient (placeholders filled), in an
exclusive worker so fast typing only renders the newest text. A sent newsletter opens
read-only; duplicating it gives an editable draft.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import Literal

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, Label, Markdown, Static, TextArea

from omtui.context import ClubContext
from omtui.core import labels, sender
from omtui.core import newsletter as nl
from omtui.core.dates import format_day
from omtui.core.db import Database
from omtui.core.members import normalise_email
from omtui.core.numbers import format_number
from omtui.core.text import clean_text
from omtui.errors import OmtuiError, ValidationError
from omtui.i18n import _, ngettext
from omtui.tui.messages import DataChanged
from omtui.tui.screens.confirm import ConfirmDialog
from omtui.tui.screens.newsletter_plan import wrap
from omtui.tui.text import plain

EditorOutcome = tuple[Literal["send", "open"], int]
"""What the editor asks of whoever opened it: send this newsletter, or open this copy."""

NARROW = 100
"""Below this width the preview replaces the editor (F2) instead of sitting beside it."""
PREVIEW_DEBOUNCE = 0.15


class NewsletterEditor(Screen[EditorOutcome | None]):
    """Edit one newsletter (None: a new draft, created on the first save)."""

    BINDINGS = [
        Binding("escape", "close", _("Close")),
        Binding("ctrl+s", "save", _("Save"), priority=True),
        Binding("f2", "toggle_preview", _("Preview")),
        Binding("f5", "send", _("Send…")),
        Binding("f3", "test_send", _("Test")),
        Binding("f4", "duplicate", _("Duplicate")),
    ]

    def __init__(self, club: ClubContext, newsletter_id: int | None) -> None:
        super().__init__()
        self.club = club
        self.newsletter_id = newsletter_id
        self.newsletter: nl.Newsletter | None = (
            nl.get_newsletter(club.db, newsletter_id) if newsletter_id is not None else None
        )
        self.saved: dict[str, str] = {}
        self.problems: list[str] = []
        self.saving = False
        """A save is running in its worker (one at a time: a new draft is created once)."""
        self._test_hint = False

    @property
    def dirty(self) -> bool:
        """Whether the fields differ from what was last loaded or saved."""
        return bool(self.saved) and self._fields() != self.saved

    @property
    def read_only(self) -> bool:
        return self.newsletter is not None and self.newsletter.read_only

    # -- layout ----------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        item = self.newsletter
        yield Header()
        with Vertical(id="nle-form"):
            with Horizontal(classes="nle-row"):
                yield Label(_("Subject"), classes="nle-label")
                yield Input(clean_text(item.subject) if item else "", id="nle-subject")
            with Horizontal(classes="nle-row"):
                yield Label(_("Tags"), classes="nle-label")
                yield Input(
                    ", ".join(item.audience_tags) if item else "",
                    placeholder=_("all tags"),
                    id="nle-tags",
                )
                yield Label(_("City"), classes="nle-label")
                yield Input(
                    clean_text(item.audience_city) if item else "",
                    placeholder=_("all"),
                    id="nle-city",
                )
                yield Label("", id="nle-audience")
        with Horizontal(id="nle-panes"):
            yield TextArea(
                clean_text(item.body, multiline=True) if item else "",
                language="markdown",
                soft_wrap=True,
                id="nle-body",
                read_only=self.read_only,
            )
            with VerticalScroll(id="nle-preview-box"):
                yield Markdown("", id="nle-preview", open_links=False)
        yield Static("", id="nle-problems")
        with Horizontal(classes="nle-row", id="nle-test-row"):
            yield Label(_("Test to"), classes="nle-label")
            yield Input(placeholder=_("address for one test message"), id="nle-test-to")
        yield Label("", id="nle-test-result")  # its own line: a server's reply can be long
        yield Footer()

    def on_mount(self) -> None:
        if self.read_only:
            for widget_id in ("#nle-subject", "#nle-tags", "#nle-city"):
                self.query_one(widget_id, Input).disabled = True
        self.saved = self._fields()
        self._apply_width(self.app.size.width)
        self.query_one("#nle-body" if self.read_only else "#nle-subject").focus()
        self._update_title()
        self.refresh_preview()

    def on_resize(self) -> None:
        self._apply_width(self.size.width)

    def _apply_width(self, width: int) -> None:
        self.set_class(width < NARROW, "-narrow")

    def action_toggle_preview(self) -> None:
        """On a narrow screen: swap editor and preview; on a wide one: hide/show the preview."""
        self.toggle_class("-preview-only" if self.has_class("-narrow") else "-no-preview")

    def _update_title(self) -> None:
        if self.newsletter is None:
            self.title = _("New newsletter")
        else:
            state = labels.newsletter_status(self.newsletter.status)
            suffix = _(" (read-only)") if self.read_only else ("*" if self.dirty else "")
            self.title = _("Newsletter #{id} · {state}{suffix}").format(
                id=self.newsletter.id, state=state, suffix=suffix
            )
        self.sub_title = _("Saving…") if self.saving else self.club.config.club_name

    # -- live preview and audience ---------------------------------------------------
    def _fields(self) -> dict:
        return {
            "subject": self.query_one("#nle-subject", Input).value,
            "body": self.query_one("#nle-body", TextArea).text,
            "tags": self.query_one("#nle-tags", Input).value,
            "city": self.query_one("#nle-city", Input).value,
        }

    @on(TextArea.Changed, "#nle-body")
    @on(Input.Changed, "#nle-subject, #nle-tags, #nle-city")
    def _changed(self) -> None:
        if self.saved:
            self._update_title()
        self.refresh_preview()

    @work(exclusive=True, group="newsletter-preview")
    async def refresh_preview(self) -> None:
        await asyncio.sleep(PREVIEW_DEBOUNCE)  # a newer keystroke cancels this one
        fields = self._fields()
        db, config, now = self.club.db, self.club.config, self.club.now()
        size = nl.audience_size(db, fields["tags"], fields["city"])
        self.query_one("#nle-audience", Label).update(
            ngettext("Audience: {count} subscribed", "Audience: {count} subscribed", size).format(
                count=format_number(size)
            )
        )
        self.problems = nl.check_placeholders(fields["subject"], "subject")
        self.problems += nl.check_placeholders(fields["body"], "body")
        problems = self.query_one("#nle-problems", Static)
        problems.update(plain("\n".join(self.problems)))
        problems.set_class(bool(self.problems), "-error")
        if self.problems:
            subject, body = fields["subject"], fields["body"]
        else:
            subject, body = nl.render_preview(
                db,
                fields["subject"],
                fields["body"],
                now=now,
                tz=config.tz,
                mailto=config.unsubscribe_mailto or config.smtp.from_address,
                url=config.unsubscribe_url,
                events_block=self.newsletter.events_block
                if self.newsletter is not None and self.read_only
                else None,
                city=fields["city"],
                lang=(
                    nl.newsletter_language(db, self.newsletter, config)
                    if self.newsletter
                    else nl.mail_language(db, config)
                ),
            )
        box = self.query_one("#nle-preview-box")
        box.border_title = (
            plain(_("Preview: {subject}").format(subject=subject), multiline=False)
            if subject
            else ""
        )
        started = self.newsletter.send_started_at if self.newsletter is not None else None
        if self.read_only and started is not None:  # frozen: say so, and since when
            box.border_subtitle = _("as sent on {day}").format(
                day=format_day(started, config.tz, year=True)
            )
        await self.query_one("#nle-preview", Markdown).update(body)

    # -- save, duplicate, test send, send --------------------------------------------
    # Every write runs in a thread worker on a connection of its own: while another process
    # writes, it waits there (the app shows a notice) and the editor keeps answering keys.
    def save(
        self,
        then: Callable[[], None] | None = None,
        failed: Callable[[], None] | None = None,
    ) -> None:
        """Write the draft (creating it on first save) off the UI thread, then call `then`
        on the UI thread; on a refusal show why and call `failed`."""
        if self.read_only:
            if then is not None:
                then()
            return
        if self.saving:
            self.notify(_("Still saving: try again in a moment."), severity="warning")
            return
        self.saving = True
        self._update_title()
        newsletter_id = self.newsletter.id if self.newsletter is not None else None
        self._save_in_worker(self._fields(), newsletter_id, self.club.now(), then, failed)

    @work(thread=True, group="newsletter-write", exit_on_error=False)
    def _save_in_worker(
        self,
        fields: dict[str, str],
        newsletter_id: int | None,
        now: datetime,
        then: Callable[[], None] | None,
        failed: Callable[[], None] | None,
    ) -> None:
        def write(db: Database) -> nl.Newsletter:
            if newsletter_id is None:
                return nl.create_draft(db, **fields, now=now)
            return nl.update_draft(db, newsletter_id, **fields, now=now)

        try:
            item = self.club.in_worker(write)
        except OmtuiError as exc:
            self.app.call_from_thread(self._not_saved, str(exc), failed)
            return
        self.app.call_from_thread(self._saved, item, fields, then)

    def _saved(
        self, item: nl.Newsletter, fields: dict[str, str], then: Callable[[], None] | None
    ) -> None:
        self.saving = False
        self.newsletter = item
        self.newsletter_id = item.id
        self.saved = fields  # what was written: keys typed meanwhile stay unsaved
        self._update_title()
        self.app.post_message(DataChanged("newsletter"))
        if then is not None:
            then()

    def _not_saved(self, error: str, failed: Callable[[], None] | None) -> None:
        self.saving = False
        self._update_title()
        self.notify(error, title=_("Not saved"), severity="error", markup=False)
        if failed is not None:
            failed()

    def action_save(self) -> None:
        if self.read_only:
            self.notify(_("A sent newsletter cannot change: duplicate it (F4) to edit a copy."))
        else:
            self.save(then=lambda: self.notify(_("Saved.")))

    def action_duplicate(self) -> None:
        def saved() -> None:
            if self.newsletter is not None:
                self.saving = True
                self._update_title()
                self._duplicate_in_worker(self.newsletter.id, self.club.now())

        self.save(then=saved)

    @work(thread=True, group="newsletter-write", exit_on_error=False)
    def _duplicate_in_worker(self, newsletter_id: int, now: datetime) -> None:
        try:
            copy = self.club.in_worker(lambda db: nl.duplicate(db, newsletter_id, now=now))
        except OmtuiError as exc:
            self.app.call_from_thread(self._not_saved, str(exc), None)
            return
        self.app.call_from_thread(self._duplicated, copy)

    def _duplicated(self, copy: nl.Newsletter) -> None:
        self.saving = False
        self.app.post_message(DataChanged("newsletter"))
        self.dismiss(("open", copy.id))
        self.app.notify(_("Duplicated as draft #{id}.").format(id=copy.id))

    def action_test_send(self) -> None:
        """F3: send the test to the address typed (the organiser's own when none is)."""
        field = self.query_one("#nle-test-to", Input)
        if not field.value.strip() and self.club.config.organiser_email:
            field.value = self.club.config.organiser_email
        self.send_test_to(field.value)

    @on(Input.Submitted, "#nle-test-to")
    def _test_submitted(self, event: Input.Submitted) -> None:
        self.send_test_to(event.value)

    @on(Input.Changed, "#nle-test-to")
    def _test_address_edited(self) -> None:
        if self._test_hint:  # a hint or refusal about the address: gone once it is edited
            self._show_test_result("", False)

    def send_test_to(self, typed: str) -> None:
        """Save, then send one test to `typed` if it is an email address; otherwise say so
        in one line and leave the cursor in the address field."""
        field = self.query_one("#nle-test-to", Input)
        if not typed.strip():
            self.set_focus(field)  # now: keys typed right after F3 go to it
            self._show_test_result(
                _("Type the address for the test, then press Enter."), False, hint=True
            )
            return
        try:
            address = normalise_email(typed)
        except ValidationError:
            self.set_focus(field)
            self._show_test_result(
                _("Not sent: that is not an email address (like name@example.org)."),
                True,
                hint=True,
            )
            return

        def saved() -> None:
            if self.newsletter is not None:
                self._show_test_result(_("Sending…"), False)
                self.test_send(self.newsletter.id, address)

        self.save(then=saved)

    @work(group="mail", exclusive=False, exit_on_error=False)
    async def test_send(self, newsletter_id: int, address: str) -> None:
        """One test message, awaited on the app's loop (the UI stays responsive)."""
        try:
            await sender.send_test_async(
                self.club.db, newsletter_id, self.club.config, address, now=self.club.now()
            )
        except (OmtuiError, OSError) as exc:
            self._show_test_result(_("Not sent: {error}").format(error=exc), True)
        else:
            self._show_test_result(_("Test sent to {address}.").format(address=address), False)

    def _show_test_result(self, text: str, error: bool, *, hint: bool = False) -> None:
        """One line (wrapped if long) under the test address; a `hint` about the address
        itself goes away when the address is edited."""
        self._test_hint = hint
        result = self.query_one("#nle-test-result", Label)
        result.update(plain(text))
        result.set_class(error, "-error")
        result.set_class(bool(text), "-shown")

    def action_send(self) -> None:
        problems = nl.check_placeholders(self._fields()["subject"], "subject")
        problems += nl.check_placeholders(self._fields()["body"], "body")
        if problems:
            self.notify(
                _("Fix the placeholders before sending: {problem}").format(problem=problems[0]),
                title=_("Cannot send"),
                severity="error",
                markup=False,
            )
            return

        def saved() -> None:
            if self.newsletter is not None:
                self.dismiss(("send", self.newsletter.id))

        self.save(then=saved)

    def action_close(self) -> None:
        """Close, saving changes; if they cannot be saved, ask before dropping them."""
        if not self.dirty or self.read_only:
            self.dismiss()
            return

        def answered(discard: bool | None) -> None:
            if discard:
                self.dismiss()

        def not_saved() -> None:
            question = _("These changes cannot be saved (see the message). Close and lose them?")
            self.app.push_screen(
                ConfirmDialog(wrap(question), yes=_("Lose changes"), no=_("Keep editing")),
                answered,
            )

        def saved() -> None:
            self.dismiss()

        self.save(then=saved, failed=not_saved)
