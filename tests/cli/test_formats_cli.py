"""The CLI writes dates and times in the interface language, and warns before a send when
the club has no name."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest

from omtui.core import events
from omtui.core.db import open_database
from omtui.core.demo import DEMO_NOW
from tests.cli.test_newsletter_cli import new_draft, seed

FUTURE = DEMO_NOW + timedelta(days=3650)  # Wednesday 19 November 2036, 10:00 in Paris


@pytest.fixture
def event_id(db_path: Path) -> str:
    db = open_database(db_path)
    event = events.create_event(
        db,
        {
            "kind": "lunch",
            "title": "Déjeuner",
            "starts_at": FUTURE,
            "ends_at": FUTURE + timedelta(hours=2),
            "city": "Lyon",
        },
        now=DEMO_NOW,
    )
    db.close()
    return str(event.id)


@pytest.mark.parametrize(
    ("lang", "when", "row"),
    [
        # the list names the year of an event that is not this year (issue 10)
        ("fr", "mer. 19 nov. 2036, 10:00 - 12:00", "mer. 19 nov. 2036, 10:00  déjeuner"),
        ("en", "Wed, 19 Nov 2036, 10:00 - 12:00", "Wed, 19 Nov 2036, 10:00  lunch"),
    ],
)
def test_event_dates_in_the_interface_language(
    run_cli, event_id: str, lang: str, when: str, row: str
) -> None:
    shown = run_cli("events", "show", event_id, env={"OMTUI_LANG": lang})
    assert shown.returncode == 0, shown.stderr
    assert when in shown.stdout
    listed = run_cli("events", "list", env={"OMTUI_LANG": lang})
    assert row in listed.stdout
    # The CLI runs at the real clock: the countdown is some years ahead.
    assert re.search(r"dans \d+ ans\)" if lang == "fr" else r"in \d+ years\)", listed.stdout)


def test_send_plan_warns_when_no_club_name_is_configured(
    run_cli, db_path: Path, tmp_path: Path
) -> None:
    seed(db_path)
    nid = new_draft(run_cli, tmp_path)
    config = tmp_path / "omtui.toml"
    smtp = '[smtp]\nfrom_address = "lettre@club.example.org"\n'
    config.write_text(smtp, encoding="utf-8")
    result = run_cli("--config", str(config), "newsletter", "send", nid, input="no\n")
    assert result.returncode == 1 and "not confirmed" in result.stderr
    assert "No club name is configured" in result.stderr and "club_name" in result.stderr
    config.write_text('club_name = "Club des Office Managers"\n' + smtp, encoding="utf-8")
    named = run_cli("--config", str(config), "newsletter", "send", nid, input="no\n")
    assert "not confirmed" in named.stderr and "No club name" not in named.stderr
