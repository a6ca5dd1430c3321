"""Choosing files in the app: the import's file picker and the export's folder dialog."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, RadioButton, Static

from omtui.context import ClubContext
from omtui.core import members
from omtui.tui.app import OmtuiApp, make_app
from omtui.tui.screens.file_picker import ExportDialog, FilePicker, PickerTree
from omtui.tui.screens.import_preview import ImportPreviewScreen
from screenshots.scenes import still_cursors
from tests.tui import pilot_helpers as ui


def shown(picker: FilePicker) -> list[str]:
    return [str(node.label) for node in picker.listing.root.children]


async def open_picker(pilot: Pilot) -> FilePicker:
    """The Members tab, then `i`: the import's file picker, on its folder's first entry."""
    app = pilot.app
    await ui.open_members(pilot)
    await pilot.press("i")
    await ui.wait_for(pilot, lambda: isinstance(app.screen, FilePicker))
    picker = app.screen
    assert isinstance(picker, FilePicker)
    await on_first_entry(pilot, picker)
    return picker


async def on_first_entry(pilot: Pilot, picker: FilePicker) -> None:
    """Wait for the folder's listing, with the cursor on its first entry after ".."."""
    await ui.wait_for(pilot, lambda: len(picker.listing.root.children) > 1)
    await ui.wait_for(pilot, lambda: picker.listing.cursor_line == 1)


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The current directory: a sub-folder, readable files and others."""
    here = tmp_path / "work"
    (here / "archives").mkdir(parents=True)
    (here / ".cache").mkdir()
    (here / "archives" / "2025.csv").write_text("email\r\nold@example.com\r\n", encoding="utf-8")
    (here / "adhérents.csv").write_text(
        "Courriel;Prénom;Newsletter\r\ngaelle@example.fr;Gaëlle;oui\r\n", encoding="utf-8"
    )
    (here / "liste.TXT").write_text("email\r\n", encoding="utf-8")
    (here / "photo.png").write_bytes(b"\x89PNG")
    (here / ".hidden.csv").write_text("email\r\n", encoding="utf-8")
    monkeypatch.chdir(here)
    return here


async def test_the_picker_starts_here_and_shows_only_what_it_can_read(
    demo_club: ClubContext, folder: Path
) -> None:
    app = make_app(demo_club, poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        picker = await open_picker(pilot)
        assert picker.folder == folder.resolve()
        assert shown(picker) == ["..", "archives", "adhérents.csv", "liste.TXT"]
        assert str(folder.resolve()) in str(picker.query_one("#folder", Static).render())
        # Enter on a folder opens it; Backspace goes back up
        await pilot.press("enter")
        await ui.wait_for(pilot, lambda: shown(picker) == ["..", "2025.csv"])
        assert picker.folder == (folder / "archives").resolve()
        await pilot.press("backspace")
        await ui.wait_for(pilot, lambda: "adhérents.csv" in shown(picker))
        await on_first_entry(pilot, picker)
        # Enter on a file opens the preview
        await pilot.press("down", "enter")
        await ui.wait_for(pilot, lambda: isinstance(app.screen, ImportPreviewScreen))
        await ui.settle(pilot)
        assert "1 new" in str(app.screen.query_one("#summary", Static).render())
        await ui.press_and_settle(pilot, "a")
    assert members.find_by_email(demo_club.db, "gaelle@example.fr") is not None


async def test_a_path_can_still_be_typed(demo_club: ClubContext, folder: Path) -> None:
    app = make_app(demo_club, poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        picker = await open_picker(pilot)
        box = picker.query_one("#path", Input)
        await pilot.press(*"nope.csv")  # typed in the list: it goes to the path box
        assert box.value == "nope.csv" and picker.focused is box
        await pilot.press("enter")
        error = str(picker.query_one("#error", Static).render())
        assert f"{folder.resolve() / 'nope.csv'} is not a file" in error
        box.value = "archives"  # a folder typed: the list opens it
        await pilot.press("enter")
        await ui.wait_for(pilot, lambda: shown(picker) == ["..", "2025.csv"])
        assert box.value == "" and picker.focused is picker.listing
        await pilot.press(*"../adhérents.csv", "enter")  # relative to the folder shown
        await ui.wait_for(pilot, lambda: isinstance(app.screen, ImportPreviewScreen))
        await ui.settle(pilot)
        assert "adhérents.csv" in str(app.screen.query_one(".title").render())


async def test_hostile_file_names_are_shown_as_text(demo_club: ClubContext, folder: Path) -> None:
    hostile = folder / "[b]bold [@click=app.quit]\x1b]2;title\x07.csv"
    hostile.write_text("email\r\n", encoding="utf-8")
    app = make_app(demo_club, poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        picker = await open_picker(pilot)
        await ui.wait_for(pilot, lambda: len(shown(picker)) == 5)
        assert "[b]bold [@click=app.quit]␛]2;title␇.csv" in shown(picker)
        assert isinstance(picker.listing, PickerTree)


async def export_dialog(app: OmtuiApp, pilot: Pilot) -> ExportDialog:
    await pilot.press("x")
    await ui.wait_for(pilot, lambda: isinstance(app.screen, ExportDialog))
    dialog = app.screen
    assert isinstance(dialog, ExportDialog)
    return dialog


async def test_export_goes_to_documents_not_the_current_directory(
    demo_club: ClubContext, folder: Path, isolated_dirs: Path
) -> None:
    documents = isolated_dirs / "Documents"
    documents.mkdir()
    app = make_app(demo_club, poll=False)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await ui.open_members(pilot)
        dialog = await export_dialog(app, pilot)
        assert dialog.query_one("#folder", Input).value == "~/Documents"
        assert dialog.query_one("#name", Input).value == "members-2026-11-22.csv"
        assert dialog.query_one("#excel", RadioButton).value  # for Excel unless she says so
        await pilot.press("enter")
        await ui.wait_for(pilot, lambda: ui.toasted(app, "Exported"))
        out = documents / "members-2026-11-22.csv"
        assert f"Exported 300 members to {out}." in ui.toasts(app)
        # the next export starts in the same folder, in the shape she chose last
        dialog = await export_dialog(app, pilot)
        await pilot.click("#stable")
        dialog.query_one("#name", Input).value = "scripts.csv"
        await pilot.press("ctrl+s")
        await ui.wait_for(pilot, lambda: (documents / "scripts.csv").exists())
        await ui.wait_for(pilot, lambda: not isinstance(app.screen, ExportDialog))
        dialog = await export_dialog(app, pilot)
        assert not dialog.query_one("#excel", RadioButton).value
    assert not list(folder.glob("members*"))
    header = out.read_bytes().decode("utf-8-sig").split("\r\n")[0]
    assert header.startswith("Email,First name,Last name,")
    stable = (documents / "scripts.csv").read_bytes().decode("utf-8-sig").split("\r\n")[0]
    assert stable.startswith("email;first name;last name;")


async def test_export_without_documents_goes_home_and_the_folder_can_be_picked(
    demo_club: ClubContext, folder: Path, isolated_dirs: Path
) -> None:
    target = isolated_dirs / "exports" / "club"
    target.mkdir(parents=True)
    app = make_app(demo_club, poll=False)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await ui.open_members(pilot)
        dialog = await export_dialog(app, pilot)
        assert dialog.query_one("#folder", Input).value == "~"
        await pilot.press("ctrl+b")
        await ui.wait_for(pilot, lambda: isinstance(app.screen, FilePicker))
        picker = app.screen
        assert isinstance(picker, FilePicker)
        await on_first_entry(pilot, picker)
        assert shown(picker) == ["..", "exports"]  # folders only, none hidden
        await pilot.press("enter")  # into exports
        await ui.wait_for(pilot, lambda: shown(picker) == ["..", "club"])
        await on_first_entry(pilot, picker)
        await pilot.press("enter")  # into club
        await ui.wait_for(pilot, lambda: picker.folder == target.resolve())
        await pilot.press("ctrl+s")
        await ui.wait_for(pilot, lambda: app.screen is dialog)
        assert dialog.query_one("#folder", Input).value == "~/exports/club"
        dialog.query_one("#name", Input).value = "lyon"
        await pilot.press("ctrl+s")
        await ui.wait_for(pilot, lambda: ui.toasted(app, "Exported"))
    assert (target / "lyon.csv").exists()  # .csv added, so a double-click opens a spreadsheet


async def test_export_checks_the_folder_and_asks_before_replacing(
    demo_club: ClubContext, folder: Path, isolated_dirs: Path
) -> None:
    existing = isolated_dirs / "members.csv"
    existing.write_text("keep me", encoding="utf-8")
    app = make_app(demo_club, poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await ui.open_members(pilot)
        dialog = await export_dialog(app, pilot)
        dialog.query_one("#folder", Input).focus()
        dialog.query_one("#folder", Input).value = str(isolated_dirs / "missing")
        await pilot.press("enter")  # from the folder, Enter moves to the name
        assert dialog.focused is dialog.query_one("#name", Input)
        await pilot.press("enter")
        error = str(dialog.query_one("#error", Static).render())
        assert f"The folder {isolated_dirs / 'missing'} does not exist." in error
        ui.fill(dialog, folder=str(isolated_dirs), name="members.csv")
        await pilot.press("enter")
        await ui.wait_for(
            pilot, lambda: "Replace it?" in str(app.screen.query_one("Label").render())
        )
        await pilot.press("escape")  # no: nothing written
        await pilot.pause()
    assert existing.read_text(encoding="utf-8") == "keep me"


def test_snapshot_file_picker_80x24(
    demo_club: ClubContext, snap_compare, isolated_dirs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    here = isolated_dirs / "club"
    (here / "archives").mkdir(parents=True)
    for name in ("adhérents 2026.csv", "export-excel.csv", "liste-salon.txt", "logo.png"):
        (here / name).write_text("email\r\n", encoding="utf-8")
    monkeypatch.chdir(here)

    async def run_before(pilot: Pilot) -> None:
        await open_picker(pilot)
        still_cursors(pilot)

    assert snap_compare(
        make_app(demo_club, poll=False), terminal_size=(80, 24), run_before=run_before
    )


def test_snapshot_export_dialog_80x24(
    demo_club: ClubContext, snap_compare, isolated_dirs: Path
) -> None:
    (isolated_dirs / "Documents").mkdir()

    async def run_before(pilot: Pilot) -> None:
        await ui.open_members(pilot)
        await export_dialog(pilot.app, pilot)
        still_cursors(pilot)

    assert snap_compare(
        make_app(demo_club, poll=False), terminal_size=(80, 24), run_before=run_before
    )


async def test_a_members_data_export_is_offered_in_documents(
    demo_club: ClubContext, folder: Path, isolated_dirs: Path
) -> None:
    from omtui.tui.screens.import_preview import PathPrompt
    from tests.tui.test_privacy_screens import _open_detail

    (isolated_dirs / "Documents").mkdir()
    app = make_app(demo_club, poll=False)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        member_id = await _open_detail(app, pilot)
        await ui.press_to_open(pilot, PathPrompt, "x")
        box = app.screen.query_one(Input)
        assert box.value == f"~/Documents/member-{member_id}-data.json"
        await pilot.press("enter")
        target = isolated_dirs / "Documents" / f"member-{member_id}-data.json"
        await ui.wait_for(pilot, lambda: target.exists())
        await ui.wait_for(pilot, lambda: f"Data written to {target}." in ui.toasts(app))


async def test_the_picker_starts_home_when_the_current_folder_is_gone(
    demo_club: ClubContext, tmp_path: Path, isolated_dirs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()
    (isolated_dirs / "members.csv").write_text("email\r\n", encoding="utf-8")
    app = make_app(demo_club, poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        picker = await open_picker(pilot)
        assert picker.folder == isolated_dirs.resolve()
        assert "members.csv" in shown(picker)


async def test_no_worker_stays_busy_while_the_picker_is_open(
    demo_club: ClubContext, folder: Path
) -> None:
    """Tests (and the app) wait for workers: a picker on screen must not keep one busy."""
    app = make_app(demo_club, poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        picker = await open_picker(pilot)
        await ui.settle(pilot)  # returns: no endless folder-loading worker
        await pilot.press("space")  # opens "archives" in place
        await ui.wait_for(pilot, lambda: len(picker.listing.root.children[1].children) == 1)
        assert str(picker.listing.root.children[1].children[0].label) == "2025.csv"
        await ui.settle(pilot)
        await pilot.press("down", "enter")  # picks it
        await ui.wait_for(pilot, lambda: isinstance(app.screen, ImportPreviewScreen))
