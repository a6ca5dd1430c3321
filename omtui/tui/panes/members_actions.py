"""What the Members tab does to members: add, edit, delete, details, import, export.

A mixin of MembersPane (which provides `club`, `filt`, `selected_member()` and
`changed()`), kept apart so each module reads in one sitting.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import work

from omtui.core import member_edit
from omtui.core import members as core
from omtui.core.members import Member
from omtui.core.numbers import format_number, format_numbers
from omtui.errors import OmtuiError
from omtui.i18n import _, ngettext
from omtui.tui.screens.confirm import ConfirmDialog
from omtui.tui.screens.file_picker import ExportChoice, ExportDialog, FilePicker
from omtui.tui.screens.import_preview import ImportPreviewScreen
from omtui.tui.screens.member_detail import MemberDetail, Outcome
from omtui.tui.screens.member_form import MemberForm
from omtui.tui.screens.rota_pick import RotaPickDialog

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

        def reveal_member(self, member_id: int) -> None: ...

    # -- add / edit / delete ---------------------------------------------------------
    def action_add_member(self) -> None:
        def save(values: dict[str, Any]) -> Member:  # in a thread: its own connection
            subscribed = bool(values.pop("subscribed", False))
            source = values.pop("consent_source", "") or "form"
            now = self.club.now()
            return self.club.in_worker(
                lambda db: core.add_member(
                    db, values, now=now, subscribed=subscribed, source=source
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
            self.reveal_member(member.id)  # a filter that hides them is cleared
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

    # -- merge two records of the same person ------------------------------------------
    def merge_candidates(self, member: Member) -> list[Member]:
        """Other members who may be the same person: same email (case aside) or same
        last name, the closest first."""
        db = self.club.db
        same_email = [m for m in core.find_all_by_email(db, member.email) if m.id != member.id]
        by_name = core.query_members(
            db, core.MemberFilter(text=member.last_name or member.email.split("@")[0]), limit=50
        )
        seen = {m.id for m in same_email} | {member.id}
        return same_email + [m for m in by_name if m.id not in seen]

    def action_merge_member(self) -> None:
        keep = self.selected_member()
        if keep is None:
            return
        others = {m.id: m for m in self.merge_candidates(keep)}
        if not others:
            self.notify(
                _("No other member shares {name}'s email or last name.").format(
                    name=keep.full_name or keep.email
                ),
                severity="warning",
            )
            return
        choices = [(m.id, f"{m.full_name} <{m.email}>") for m in others.values()]

        def picked(other_id: int | None) -> None:
            if other_id is None:
                return
            other = others[other_id]
            question = _(
                "Merge {other} <{other_email}> into {keep} <{keep_email}>?\n\n"
                "Registrations, shifts, consent history and sent messages move to "
                "{keep}; {other_email} is archived."
            ).format(
                other=other.full_name,
                other_email=other.email,
                keep=keep.full_name,
                keep_email=keep.email,
            )

            def answered(yes: bool | None) -> None:
                if yes:
                    self.merge(keep, other)

            self.app.push_screen(ConfirmDialog(question, yes=_("Merge")), answered)

        title = _("Merge which record into {name} <{email}>?").format(
            name=keep.full_name, email=keep.email
        )
        self.app.push_screen(RotaPickDialog(title, choices), picked)

    @work(thread=True, group="members-write", exit_on_error=False)
    def merge(self, keep: Member, other: Member) -> None:
        """Off the UI thread: the write may wait for another process's."""
        now = self.club.now()
        try:
            self.club.in_worker(
                lambda db: member_edit.merge_members(db, keep.id, other.id, now=now)
            )
        except OmtuiError as exc:
            self.app.call_from_thread(self.notify, str(exc), severity="error", markup=False)
            return
        self.app.call_from_thread(
            self.notify,
            _("Merged {other} into {keep}.").format(other=other.email, keep=keep.full_name),
        )
        self.app.call_from_thread(self.changed, keep.id)

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
        picker = FilePicker(_("Import members from a CSV file"))  # starts in the current folder
        self.app.push_screen(picker, self._import_chosen)

    def _import_chosen(self, path: Path | None) -> None:
        if path is not None:
            self.preview_import(path)

    @work(thread=True, group="members-import", exit_on_error=False)
    def preview_import(self, path: Path) -> None:
        """Read and check the file (a separate connection: nothing is written here)."""
        from omtui.core import importer

        self.app.call_from_thread(self.notify, _("Reading {path}…").format(path=path))
        now, tz = self.club.now(), self.club.tz
        try:  # its own connection; SQLite errors come back as one clear line
            preview = self.club.in_worker(
                lambda db: importer.preview_import(db, path, now=now, tz=tz)
            )
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
    export_folder: Path | None = None  # the folder of the last export, for the next one
    export_excel: bool = True

    def action_export_csv(self) -> None:
        from omtui.paths import default_export_dir

        day = self.club.now().astimezone(self.club.tz).date().isoformat()
        dialog = ExportDialog(
            _("Export the members matching the filters to a CSV file (UTF-8)"),
            folder=self.export_folder or default_export_dir(),
            name=_("members-{date}.csv").format(date=day),
            excel=self.export_excel,
        )
        self.app.push_screen(dialog, self._confirm_export)

    def _confirm_export(self, choice: ExportChoice | None) -> None:
        if choice is None:
            return
        self.export_folder, self.export_excel = choice.path.parent, choice.excel
        if not choice.path.exists():
            self.export_csv(choice)
            return
        question = _("{path} exists. Replace it?").format(path=choice.path)

        def answered(yes: bool | None) -> None:
            if yes:
                self.export_csv(choice)

        self.app.push_screen(ConfirmDialog(question, yes=_("Replace")), answered)

    @work(thread=True, group="members-export", exit_on_error=False)
    def export_csv(self, choice: ExportChoice) -> None:
        from omtui.core.member_export import export_members

        filt, tz, path, excel = self.filt, self.club.tz, choice.path, choice.excel
        try:
            count = self.club.in_worker(
                lambda db: export_members(db, path, filt, excel=excel, tz=tz)
            )
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
            timeout=10,
            markup=False,
        )
