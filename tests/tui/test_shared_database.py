"""Issue 7, section 1: the organiser's app keeps its locks while other processes come and go.

The real app (Pilot) previews and applies an import, exports, and sends a newsletter to a
real SMTP server (aiosmtpd): each opens a second connection. Between them, other processes
read, write and exit. Afterwards the file is intact, every write from every process is
there, and this process holds no deleted WAL (the symptom of lost POSIX locks).
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from textual.widgets import Input

from omtui.context import ClubContext
from omtui.core import newsletter as nl
from omtui.core import sender
from omtui.core.demo import DEMO_NOW, build_demo
from omtui.tui.app import make_app
from omtui.tui.screens.import_preview import ImportPreviewScreen
from tests.core.test_db import _db_fds as held_files  # this process's open database files
from tests.smtp_sink import SmtpSink
from tests.tui import pilot_helpers as ui
from tests.tui.test_newsletter_pane import BODY, confirm_send, mail_config


def other_processes(db_path: Path, tag: str, env: dict[str, str]) -> None:
    """A reader, a writer and a bare SQLite client, each opening, closing and exiting."""
    omtui = [sys.executable, "-m", "omtui", "--db", str(db_path)]
    for argv in (
        [*omtui, "members", "list", "--json"],
        [*omtui, "partners", "add", f"cli-{tag}"],
        [
            sys.executable,
            "-c",
            "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
            "c.execute('INSERT INTO partners (company, created_at) VALUES (?, ?)', "
            "('raw-' + sys.argv[2], '2026-01-01')); c.commit(); c.close()",
            str(db_path),
            tag,
        ],
    ):
        done = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=60)
        assert done.returncode == 0, done.stderr


def app_writes(club: ClubContext, tag: str) -> None:
    """The app's own (main thread) connection writes between the others."""
    with club.db.transaction():
        club.db.execute(
            "INSERT INTO partners (company, created_at) VALUES (?, '2026-01-01')", (f"app-{tag}",)
        )


async def test_app_keeps_its_locks_while_other_processes_come_and_go(
    db_path: Path, smtp_sink: SmtpSink, tmp_path: Path, isolated_dirs: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OMTUI_")}
    env.update(HOME=str(isolated_dirs), XDG_CONFIG_HOME=str(isolated_dirs / ".config"))
    club = ClubContext(config=mail_config(smtp_sink), db_path=db_path, fixed_now=DEMO_NOW)
    build_demo(club.db, members_count=300)
    item = nl.create_draft(club.db, subject="Shared", body=BODY, now=club.now())
    csv_file = tmp_path / "new.csv"
    csv_file.write_text(
        "email;first name;newsletter\n"
        + "".join(f"new{n}@example.org;New{n};oui\n" for n in range(50)),
        encoding="utf-8",
    )
    out = tmp_path / "export.csv"
    tags: list[str] = []

    def round_of_others(tag: str) -> None:
        tags.append(tag)
        other_processes(db_path, tag, env)
        app_writes(club, tag)

    app = make_app(club, poll=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await ui.open_members(pilot)
        await pilot.press("i")  # import: preview on a worker's connection
        app.screen.query_one("#path", Input).value = str(csv_file)
        app.screen.query_one("#path", Input).focus()  # the file picker's path box
        await ui.press_and_settle(pilot, "enter")
        assert isinstance(app.screen, ImportPreviewScreen)
        round_of_others("after-preview")
        await pilot.press("a")  # apply on a worker's connection
        await ui.settle(pilot)
        round_of_others("after-apply")
        await pilot.press("x")  # export on a worker's connection
        ui.fill(app.screen, folder=str(out.parent), name=out.name)
        await ui.press_and_settle(pilot, "enter")
        assert out.exists()
        round_of_others("after-export")
        plan = sender.prepare(club.db, item.id, club.config)
        await ui.open_newsletter(pilot, item.id)
        await pilot.press("s")  # send: the sender's own connection
        await confirm_send(pilot, plan.count)
        await ui.settle(pilot)
        round_of_others("after-send")
        deleted = [f for f in held_files(db_path) if "(deleted)" in f]
        assert deleted == []
    club.close()
    assert [f for f in held_files(db_path) if "(deleted)" in f] == []
    check = sqlite3.connect(db_path)
    try:
        assert check.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        partners = {r[0] for r in check.execute("SELECT company FROM partners")}
        for tag in tags:
            assert {f"cli-{tag}", f"raw-{tag}", f"app-{tag}"} <= partners, tag
        imported = check.execute(
            "SELECT count(*) FROM members WHERE email LIKE 'new%@example.org'"
        ).fetchone()[0]
        assert imported == 50
        sent = check.execute(
            "SELECT count(*) FROM outbox WHERE newsletter_id = ? AND state = 'sent'", (item.id,)
        ).fetchone()[0]
        assert sent == plan.count == len(smtp_sink.messages)
        ids = check.execute("SELECT count(*), count(DISTINCT id) FROM members").fetchone()
        assert ids[0] == ids[1]
    finally:
        check.close()
