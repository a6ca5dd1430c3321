"""`omtui events add/edit --access-notes --arrive-before`: what a volunteer needs on the
day, typed from the command line and shown by `events show` (text and JSON)."""

from __future__ import annotations

import json

from omtui.core.db import Database
from omtui.core.demo import DEMO_NOW

START = DEMO_NOW.replace(year=2030)


def ok(result) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_add_edit_and_show_access_notes_and_arrival(run_cli, db: Database) -> None:
    db.close()
    out = ok(
        run_cli(
            "events", "add", "--kind", "summit", "--title", "Sommet test",
            "--start", START.strftime("%Y-%m-%d 09:00"), "--end", "18:00",
            "--city", "Lyon", "--address", "1 place Bellecour",
            "--access-notes", "2e étage, code 4437B", "--arrive-before", "30",
        )
    )  # fmt: skip
    event_id = out.split()[2].rstrip(":")
    shown = ok(run_cli("events", "show", event_id))
    assert "Access: 2e étage, code 4437B" in shown
    assert "Volunteers arrive 30 minutes before their shift." in shown
    event = json.loads(ok(run_cli("events", "show", event_id, "--json")))
    assert event["access_notes"] == "2e étage, code 4437B" and event["arrive_before"] == 30
    ok(run_cli("events", "edit", event_id, "--arrive-before", ""))  # empty: at the start
    assert "Volunteers arrive" not in ok(run_cli("events", "show", event_id))
    wrong = run_cli("events", "edit", event_id, "--arrive-before", "2000")
    assert wrong.returncode == 1
    assert "not a number of minutes from 0 to 720" in wrong.stderr
