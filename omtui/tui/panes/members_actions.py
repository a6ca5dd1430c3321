"""What the Members tab does to members: add, edit, delete, details, import, export.

A mixin of MembersPane (which provides `club`, `filt`, `selected_member()` and
`changed()`), kept apart so each module reads in one sitting.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import work

from omtui.core import members as core
from omtui.core.members import Member
from omtui.core.numbers import format_number, format_numbers
from omtui.errors import OmtuiError
from omtui.i18n import _, ngettext
from omtui.tui.screens.confirm import ConfirmDialog
from omtui.tui.screens.import_preview import ImportPreviewScreen, PathPrompt
from omtui.tui.screens.member_detail import MemberDetail, Outcome
from omtui.tui.screens.member_form import MemberForm

if TYPE_CHECKING:  # what the mixin needs, declared here so it does not import the pane
    from omtui.core.members import MemberFilter
    from omtui.tui.panes.base import ClubPane

    _Base = ClubPane
else:
    _Base = object


class MemberActions(_Base):
    """Key and palette actions of the Members tab."""

    if TYPE_CHECKING:  # provided by MembersPane
        filt: MemberFilter

        def selected_member(self) -> Member | None: ...

        def changed(self, keep_id: int | None = None) -> None: ...

    # -- add / edit / delete ---------------------------------------------------------
    def action_add_member(self) -> None:
        def save(values: dict[str, Any]) -> Member:  # in a thread: its own connection
            subscribed = bool(values.pop("subscribed", True))
            now = self.club.now()
            return self.club.in_worker(
                lambda db: core.add_member(
                    db, values, now=now, subscribed=subscribed, source="form"
                )
            )

        self.app.push_screen(MemberForm(save), self._saved)

    def action_edit_member(self) -> None:
        member = self.selected_member()
        if member is not None:
            self.edit(member)

    def edit(self, member: Member) -> None:
        def save(values: dict[str, Any]) -> Member:  # in a thread: its own connection
            now = self.club.now()
            return self.club.in_worker(
                lambda db: core.update_member(db, member.id, values, now=now)
            )

        self.app.push_screen(MemberForm(save, member), self._saved)

    def _saved(self, member: Member | None) -> None:
        if member is not None:
            self.notify(_("Saved {name}.").format(name=member.full_name or member.email))
            self.changed(keep_id=member.id)

    def action_delete_member(self) -> None:
        member = self.selected_member()
        if member is None:
            return
        question = _(
            "Delete {name} <{email}>?\n\nThey are archived: hidden from every list\n"
            "and unsubscribed. Their consent history is kept."
        ).format(name=member.full_name or member.email, email=member.email)

        def answered(yes: bool | None) -> None:
            if yes:
                self.archive(member)

        self.app.push_screen(ConfirmDialog(question, yes=_("Delete")), answered)

    @work(thread=True, group="members-write", exit_on_error=False)
    def archive(self, member: Member) -> None:
        """Off the UI thread: the write may wait for another process's."""
        now = self.club.now()
        try:
            self.club.in_worker(lambda db: core.archive_member(db, member.id, now=now))
        except OmtuiError as exc:
            self.app.call_from_thread(self.notify, str(exc), severity="error", markup=False)
            return
        name = member.full_name or member.email
        self.app.call_from_thread(self.notify, _("Deleted {name}.").format(name=name))
        self.app.call_from_thread(self.changed)

    # -- details and consent history ----------------------------------------------------
    def action_show_member(self) -> None:
        member = self.selected_member()
        if member is None:
            return

        def closed(outcome: Outcome) -> None:
            if outcome is not None:
                self.changed(keep_id=member.id)
            if outcome == "edit":
                self.edit(core.get_member(self.club.db, member.id))

        self.app.push_screen(MemberDetail(self.club, member.id), closed)

    # -- import -------------------------------------------------------------------------
    def action_import_csv(self) -> None:
        prompt = PathPrompt(_("Import members from a CSV file"), must_exist=True)
        self.app.push_screen(prompt, self._import_chosen)

    def _import_chosen(self, path: Path | None) -> None:
        if path is not None:
            self.preview_import(path)

    @work(thread=True, group="members-import", exit_on_error=False)
    def preview_import(self, path: Path) -> None:
        """Read and check the file (a separate connection: nothing is written here)."""
        from omtui.core import importer

        self.app.call_from_thread(self.notify, _("Reading {path}…").format(path=path))
        now = self.club.now()
        try:  # its own connection; SQLite errors come back as one clear line
            preview = self.club.in_worker(lambda db: importer.preview_import(db, path, now=now))
        except OmtuiError as exc:
            self.app.call_from_thread(
                self.notify, str(exc), severity="error", timeout=10, markup=False
            )
            return
        self.app.call_from_thread(self._show_preview, preview)

    def _show_preview(self, preview: Any) -> None:
        def answered(apply: bool | None) -> None:
            if apply:
                self.apply_import(preview)

        self.app.push_screen(ImportPreviewScreen(preview), answered)

    @work(thread=True, group="members-import", exit_on_error=False)
    def apply_import(self, preview: Any) -> None:
        """Apply in one transaction on its own connection, then refresh."""
        from omtui.core import importer

        now = self.club.now()
        try:  # its own connection; waits for another process's write, or says why not
            result = self.club.in_worker(lambda db: importer.apply_import(db, preview, now=now))
        except OmtuiError as exc:
            self.app.call_from_thread(
                self.notify, str(exc), severity="error", timeout=10, markup=False
            )
            return
        message = _("Imported: {new} new, {updated} updated, {unchanged} unchanged.").format(
            **format_numbers(result.counts)
        )
        self.app.call_from_thread(self.notify, message)
        self.app.call_from_thread(self.changed)

    # -- export -------------------------------------------------------------------------
    def action_export_csv(self) -> None:
        prompt = PathPrompt(
            _("Export the members matching the filters to a CSV file (UTF-8)"),
            must_exist=False,
            initial="members.csv",
        )
        self.app.push_screen(prompt, self._confirm_export)

    def _confirm_export(self, path: Path | None) -> None:
        if path is None:
            return
        if not path.exists():
            self.export_csv(path)
            return
        question = _("{path} exists. Replace it?").format(path=path)

        def answered(yes: bool | None) -> None:
            if yes:
                self.export_csv(path)

        self.app.push_screen(ConfirmDialog(question, yes=_("Replace")), answered)

    @work(thread=True, group="members-export", exit_on_error=False)
    def export_csv(self, path: Path) -> None:
        from omtui.core import importer

        filt = self.filt
        try:
            count = self.club.in_worker(lambda db: importer.export_members(db, path, filt))
        except (OmtuiError, OSError) as exc:
            self.app.call_from_thread(
                self.notify, str(exc), severity="error", timeout=10, markup=False
            )
            return
        self.app.call_from_thread(
            self.notify,
            ngettext(
                "Exported {n} member to {path}.", "Exported {n} members to {path}.", count
            ).format(n=format_number(count), path=path),
        )
