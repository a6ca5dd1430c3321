"""Regenerate screenshots/*.svg from the deterministic demo club (`make screenshots`).

Each scene opens the real app (the same factory the CLI uses) on a fresh demo database at
a fixed size with time frozen, drives it with Pilot, and saves an SVG.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

from textual.app import App
from textual.pilot import Pilot

from omtui.config import Config
from omtui.context import ClubContext
from omtui.core.demo import DEMO_NOW, build_demo
from omtui.tui.app import make_app

HERE = Path(__file__).parent
SIZE = (120, 40)

Scene = Callable[[Pilot], Awaitable[None]]


async def members_scene(pilot: Pilot) -> None:
    """The Members tab: first page of the demo club, the count settled, cursor a few rows down."""
    await pilot.press("1")
    await pilot.app.workers.wait_for_complete()
    await pilot.press("down", "down", "down")


async def events_scene(pilot: Pilot) -> None:
    await pilot.press("2")


async def rota_scene(pilot: Pilot) -> None:
    await pilot.press("3")


async def newsletter_scene(pilot: Pilot) -> None:
    await pilot.press("4")


SCENES: dict[str, tuple[str, Scene]] = {
    "members": ("organiser", members_scene),
    "events": ("organiser", events_scene),
    "rota": ("organiser", rota_scene),
    "newsletter": ("organiser", newsletter_scene),
}
"""name -> (which app, what to do before the screenshot)."""


def build_app(kind: str, club: ClubContext) -> App:
    if kind == "organiser":
        return make_app(club, poll=False)
    raise ValueError(f"unknown app kind {kind!r}")


async def shoot(name: str, kind: str, scene: Scene, workdir: Path) -> Path:
    db_path = workdir / f"{name}.db"
    club = ClubContext(
        config=Config(club_name="Club des Office Managers"), db_path=db_path, fixed_now=DEMO_NOW
    )
    build_demo(club.db, members_count=3000)
    app = build_app(kind, club)
    out = HERE / f"{name}.svg"
    async with app.run_test(size=SIZE) as pilot:
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


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
