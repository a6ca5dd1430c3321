"""Regenerate screenshots/*.svg from the deterministic demo club (`make screenshots`).

Each scene opens the real app (the same factory the CLI uses) on a fresh demo database at
a fixed size with time frozen, drives it with Pilot, and saves an SVG. The app is shown in
French, the club's language; `members-en.svg` shows it once in English (a second process,
since the language is chosen before the app's modules are imported).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

os.environ.setdefault("OMTUI_LANG", "fr")  # before omtui's modules are imported

from scenes import busiest_volunteer, seed_interrupted_send, still_cursors  # beside make.py
from textual.app import App
from textual.pilot import Pilot

from omtui.config import Config
from omtui.context import ClubContext
from omtui.core.demo import DEMO_NOW, build_demo
from omtui.tui.app import make_app

HERE = Path(__file__).parent
LANGUAGE = os.environ["OMTUI_LANG"]
SUFFIX = "" if LANGUAGE == "fr" else f"-{LANGUAGE}"
ENGLISH_SCENES = ["members"]
SIZE = (120, 40)

Scene = Callable[[Pilot], Awaitable[None]]


async def members_scene(pilot: Pilot) -> None:
    """The Members tab: first page of the demo club, the count settled, cursor a few rows down."""
    await pilot.press("1")
    await pilot.app.workers.wait_for_complete()
    await pilot.press("down", "down", "down")


async def events_scene(pilot: Pilot) -> None:
    """The Events tab on the meetup with a waiting list (the second upcoming event)."""
    await pilot.press("2")
    await pilot.pause()
    await pilot.press("down")


async def rota_scene(pilot: Pilot) -> None:
    """The Rota tab on the summit, whose shifts have gaps and a volunteer's clash."""
    await pilot.press("3")
    await pilot.pause()
    events = pilot.app.query_one("#rota-events")
    events.move_cursor(row=events.row_count - 1)  # the summit: many shifts, some gaps
    await pilot.pause()


async def volunteer_scene(pilot: Pilot) -> None:
    """A volunteer's own view: their shifts and the open ones, with the next one detailed."""
    await pilot.pause()


async def newsletter_scene(pilot: Pilot) -> None:
    """The Newsletter tab: the demo's sent issue and drafts, and an interrupted send."""
    seed_interrupted_send(pilot.app.club)
    await pilot.press("4")


async def newsletter_send_scene(pilot: Pilot) -> None:
    """The progress window of the interrupted send: counts, ETA, the uncertain recipients."""
    seed_interrupted_send(pilot.app.club)
    await pilot.press("4")
    await pilot.pause()
    await pilot.press("p")


def _seed_reminders(club: ClubContext) -> None:
    """What a cron `omtui remind` would have done at the demo's time: the reminders due
    then, sent, and its run recorded."""
    from omtui.core.mail import reminders
    from omtui.core.runs import record_run

    db, now = club.db, club.now()
    with db.transaction():
        reminders.enqueue(db, club.config.reminders, organiser="", now=now, tz=club.tz)
        db.execute(
            "UPDATE reminders SET state = 'sent', reply = '250 2.0.0 Ok: queued',"
            " sent_at = ?, updated_at = ? WHERE state = 'queued'",
            (now.isoformat(), now.isoformat()),
        )
    detail = reminders.counts(db)["sent"]
    record_run(
        db,
        "remind",
        ok=True,
        detail=f"{detail} envoyés, 0 en échec, 0 incertains, 0 sautés (en retard)",
        started_at=now,
        finished_at=now,
    )


async def reminders_scene(pilot: Pilot) -> None:
    """The reminders view: the reminders a cron run sent, and those due in the coming week."""
    _seed_reminders(pilot.app.club)
    await pilot.press("2")
    await pilot.pause()
    pilot.app.query_one("EventsPane").action_reminders()


async def today_scene(pilot: Pilot) -> None:
    """The Today tab the app opens on, with the interrupted Lyon send among its lines."""
    from omtui.tui.messages import DataChanged

    seed_interrupted_send(pilot.app.club)
    pilot.app.post_message(DataChanged("newsletter"))
    await pilot.pause()


async def newsletter_editor_scene(pilot: Pilot) -> None:
    """The editor on the December draft: Markdown on the left, its live preview on the
    right (the first member's name and the upcoming events filled in)."""
    await pilot.press("4")
    await pilot.pause()
    await pilot.press("enter")  # the first row: the December draft
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    still_cursors(pilot)


IMPORT_CSV = (
    "Prénom;Nom;Courriel;Ville;Entreprise;Newsletter;Fax\r\n"
    "Gaëlle;Lefèvre;gaelle.lefevre@example.fr;Besançon;Atelier Lumière;oui;01 02\r\n"
    "Rémi;Garnier;remi.garnier@example.fr;Lyon;Maison Garnier;non;\r\n"
    "Inès;Moreau;ines.moreau@example;Paris;Studio Parallèle;oui;\r\n"
    "Louis;Perrin;louis.perrin@example.fr;Nantes;Éditions du Quai;peut-être;\r\n"
    ";;;Lille;;;\r\n"
)
"""A French Excel export: two good rows, three the preview turns away with a reason."""


async def import_preview_scene(pilot: Pilot) -> None:
    """The import preview of a French Excel file, at 80x24: counts, then each rejected
    row with its whole reason; nothing is written until Apply."""
    await pilot.press("1")
    await pilot.app.workers.wait_for_complete()
    path = Path(pilot.app.club.db_path).parent / "adhérents.csv"
    path.write_text(IMPORT_CSV, encoding="cp1252")
    pilot.app.query_one("MembersPane").preview_import(path)
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    pilot.app.clear_notifications()


async def check_in_scene(pilot: Pilot) -> None:
    """At the door of the afterwork, half an hour before it starts, at 80x24: typing "ma"
    finds the registered, the waiting list and members who did not register."""
    from datetime import timedelta

    from omtui.core import events as ev

    club = pilot.app.club
    meetup = next(e for e in ev.list_events(club.db, now=club.now()) if e.kind == "meetup")
    club.fixed_now = meetup.starts_at - timedelta(minutes=30)
    await pilot.press("2")
    await pilot.pause()
    table = pilot.app.query_one("EventsPane").query_one("#events")
    table.move_cursor(row=table.get_row_index(str(meetup.id)))
    await pilot.pause()
    await pilot.press("c")
    await pilot.pause()
    await pilot.press("m", "a")
    await pilot.pause()
    still_cursors(pilot)


async def member_form_scene(pilot: Pilot) -> None:
    """The new-member form at 80x24, saved with a mistyped email: the error under it."""
    from textual.widgets import Input

    await pilot.press("1")
    await pilot.app.workers.wait_for_complete()
    await pilot.press("a")
    await pilot.pause()
    form = pilot.app.screen
    for field, value in {
        "#field-first_name": "Zoé",
        "#field-last_name": "Marchand",
        "#field-email": "zoe.marchand@",
        "#field-company": "Atelier Lumière",
        "#field-city": "Lyon",
    }.items():
        form.query_one(field, Input).value = value
    await pilot.press("ctrl+s")
    await pilot.pause()
    still_cursors(pilot)


SCENES: dict[str, tuple[str, Scene]] = {
    "today": ("organiser", today_scene),
    "members": ("organiser", members_scene),
    "events": ("organiser", events_scene),
    "rota": ("organiser", rota_scene),
    "volunteer": ("volunteer", volunteer_scene),
    "newsletter": ("organiser", newsletter_scene),
    "newsletter-send": ("organiser", newsletter_send_scene),
    "reminders": ("organiser", reminders_scene),
    "newsletter-editor": ("organiser", newsletter_editor_scene),
    "import-preview": ("organiser", import_preview_scene),
    "check-in": ("organiser", check_in_scene),
    "member-form": ("organiser", member_form_scene),
}
"""name -> (which app, what to do before the screenshot)."""
SIZES = {"import-preview": (80, 24), "check-in": (80, 24), "member-form": (80, 24)}
"""Scenes shown at 80x24, the smallest size the README promises (the others: SIZE)."""


def build_app(kind: str, club: ClubContext) -> App:
    if kind == "organiser":
        return make_app(club, poll=False)
    if kind == "volunteer":
        from omtui.tui.volunteer import make_volunteer_app

        return make_volunteer_app(club, busiest_volunteer(club), poll=False)
    raise ValueError(f"unknown app kind {kind!r}")


async def shoot(name: str, kind: str, scene: Scene, workdir: Path) -> Path:
    db_path = workdir / f"{name}.db"
    club = ClubContext(
        config=Config(club_name="Club des Office Managers"), db_path=db_path, fixed_now=DEMO_NOW
    )
    build_demo(club.db, members_count=3000)
    app = build_app(kind, club)
    out = HERE / f"{name}{SUFFIX}.svg"
    async with app.run_test(size=SIZES.get(name, SIZE)) as pilot:
        await pilot.pause()
        await scene(pilot)
        await app.workers.wait_for_complete()
        await pilot.pause()
        app.save_screenshot(filename=out.name, path=str(HERE))
    club.close()
    return out


async def main(names: list[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for name in names or list(SCENES):
            kind, scene = SCENES[name]
            out = await shoot(name, kind, scene, Path(tmp))
            print(f"wrote {out.relative_to(HERE.parent)}")
    if not names and LANGUAGE == "fr":
        english = {**os.environ, "OMTUI_LANG": "en"}
        subprocess.run([sys.executable, __file__, *ENGLISH_SCENES], env=english, check=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
