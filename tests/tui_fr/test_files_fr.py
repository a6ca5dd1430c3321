"""The members export in a French session: the dialog, and a file for French Excel."""

from __future__ import annotations

from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Input

from omtui.context import ClubContext
from omtui.tui.app import make_app
from omtui.tui.screens.file_picker import ExportDialog
from screenshots.scenes import still_cursors
from tests.tui import pilot_helpers as ui

SIZE = (80, 24)


async def open_export(pilot: Pilot) -> ExportDialog:
    await ui.open_members(pilot)
    dialog = await ui.press_to_open(pilot, ExportDialog, "x")
    still_cursors(pilot)
    return dialog


def test_snapshot_export_dialog(demo_club: ClubContext, snap_compare, isolated_dirs) -> None:
    (isolated_dirs / "Documents").mkdir()
    assert snap_compare(make_app(demo_club, poll=False), terminal_size=SIZE, run_before=open_export)


async def test_an_export_for_excel_has_french_headers_and_days(
    demo_club: ClubContext, isolated_dirs: Path
) -> None:
    app = make_app(demo_club, poll=False)
    async with app.run_test(size=SIZE) as pilot:
        dialog = await open_export(pilot)
        assert dialog.query_one("#name", Input).value == "membres-2026-11-22.csv"
        await ui.press_and_settle(pilot, "enter")
    rows = (isolated_dirs / "membres-2026-11-22.csv").read_bytes().decode("utf-8-sig")
    header, first = rows.split("\r\n")[:2]
    assert header == (
        "Courriel;Prénom;Nom;Téléphone;Entreprise;Poste;Ville;Étiquettes;Newsletter;"
        "Membre depuis;Notes"
    )
    day = first.split(";")[9]
    assert len(day) == 10 and day[2] == day[5] == "/"  # 31/03/2024
