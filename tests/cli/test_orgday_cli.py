"""The commands issue 10 asked for: members add/edit/tag/untag/archive/merge, newsletter
edit/duplicate/delete, events show --json and cancel, rota assign --tag-volunteer, shell
completion. Run in a subprocess, as the organiser would."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from omtui.core import events, members, rota
from omtui.core.db import Database
from omtui.core.demo import DEMO_NOW

START = DEMO_NOW.replace(year=2030)


def ok(result) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_members_add_edit_tag_untag_archive(run_cli, db: Database) -> None:
    added = json.loads(
        ok(
            run_cli(
                "members",
                "add",
                "helene@old.example",
                "--first-name",
                "Hélène",
                "--last-name",
                "Dupré",
                "--city",
                "Lyon",
                "--tags",
                "speaker",
                "--json",
            )
        )
    )
    assert added["subscribed"] is False  # no consent unless she gave one
    assert added["tags"] == ["speaker"]
    paper = ok(run_cli("members", "add", "zoe@example.org", "--newsletter", "paper"))
    assert "Newsletter: yes" in paper
    zoe = members.find_by_email(db, "zoe@example.org")
    assert [c.source for c in members.consent_history(db, zoe.id)] == ["paper"]
    dup = run_cli("members", "add", "HELENE@old.example")
    assert dup.returncode != 0 and "already belongs to Hélène Dupré" in dup.stderr

    edited = json.loads(
        ok(
            run_cli(
                "members",
                "edit",
                "helene@old.example",
                "--email",
                "helene@new.example",
                "--company",
                "Acme",
                "--json",
            )
        )
    )
    assert edited["id"] == added["id"] and edited["email"] == "helene@new.example"
    assert edited["company"] == "Acme" and edited["city"] == "Lyon"
    assert "nothing to change" in run_cli("members", "edit", f"#{added['id']}").stderr

    assert "speaker, volunteer" in ok(run_cli("members", "tag", "helene@new.example", "volunteer"))
    assert "volunteer" in ok(run_cli("members", "untag", f"#{added['id']}", "speaker"))
    assert members.get_member(db, added["id"]).tags == ("volunteer",)

    ok(run_cli("members", "archive", "zoe@example.org"))
    assert members.get_member(db, zoe.id).archived_at is not None
    assert not members.get_member(db, zoe.id).subscribed


def test_members_merge(run_cli, db: Database) -> None:
    keep = members.add_member(db, {"first_name": "Hélène", "email": "h@new.example"}, now=DEMO_NOW)
    other = members.add_member(
        db, {"first_name": "Hélène", "email": "h@old.example", "city": "Lyon"}, now=DEMO_NOW
    )
    event = events.create_event(
        db,
        {
            "kind": "lunch",
            "title": "Déjeuner",
            "starts_at": START,
            "ends_at": START + timedelta(hours=2),
            "city": "Lyon",
        },
        now=DEMO_NOW,
    )
    events.register(db, event.id, other.id, now=DEMO_NOW)
    refused = run_cli("members", "merge", "h@new.example", "h@old.example", input="n\n")
    assert refused.returncode == 1 and members.get_member(db, other.id).archived_at is None
    out = json.loads(
        ok(run_cli("members", "merge", "h@new.example", f"#{other.id}", "--yes", "--json"))
    )
    assert out["id"] == keep.id and out["city"] == "Lyon" and out["moved"]["registrations"] == 1
    assert events.get_registration(db, event.id, keep.id) is not None
    assert members.get_member(db, other.id).archived_at is not None
    # in words, each count agreeing (French: 0 and 1 take the singular)
    twin = members.add_member(db, {"first_name": "Hélène", "email": "h@twin.example"}, now=DEMO_NOW)
    said = run_cli("members", "merge", "h@new.example", f"#{twin.id}", "--yes",
                   env={"OMTUI_LANG": "fr"})  # fmt: skip
    assert f"n° {twin.id} fusionné dans n° {keep.id}, qui reçoit 0 inscription, 0 créneau," in ok(
        said
    )


def test_newsletter_edit_duplicate_delete(run_cli, db: Database, tmp_path: Path) -> None:
    body = tmp_path / "body.md"
    body.write_text("Bonjour {first_name}", encoding="utf-8")
    draft = ok(run_cli("newsletter", "new", "--subject", "Décembre", "--body", str(body))).strip()
    body.write_text("Bonsoir {first_name}", encoding="utf-8")
    saved = ok(
        run_cli(
            "newsletter",
            "edit",
            draft,
            "--subject",
            "Noël",
            "--body",
            str(body),
            "--tag",
            "volunteer",
        )
    )
    assert "Draft 1 saved: Noël (#volunteer)" in saved
    copy = ok(run_cli("newsletter", "duplicate", draft)).strip()
    assert copy == "2"
    rows = {n["id"]: n for n in json.loads(ok(run_cli("newsletter", "list", "--json")))}
    assert rows[2]["subject"] == "Noël"
    ok(run_cli("newsletter", "delete", "2", "--yes"))
    assert [n["id"] for n in json.loads(ok(run_cli("newsletter", "list", "--json")))] == [1]
    db.execute("UPDATE newsletters SET status = 'sent' WHERE id = 1")
    refused = run_cli("newsletter", "edit", "1", "--subject", "x")
    assert refused.returncode != 0 and "duplicate it" in refused.stderr
    assert run_cli("newsletter", "delete", "1", "--yes").returncode != 0


def test_events_show_json_and_cancel(run_cli, db: Database) -> None:
    event = events.create_event(
        db,
        {
            "kind": "lunch",
            "title": "Déjeuner",
            "starts_at": START,
            "ends_at": START + timedelta(hours=2),
            "city": "Lyon",
            "capacity": 1,
        },
        now=DEMO_NOW,
    )
    a = members.add_member(
        db, {"first_name": "A", "email": "a@ex.org", "tags": "volunteer"}, now=DEMO_NOW
    )
    b = members.add_member(db, {"first_name": "B", "email": "b@ex.org"}, now=DEMO_NOW)
    events.register(db, event.id, a.id, now=DEMO_NOW)
    events.register(db, event.id, b.id, now=DEMO_NOW)
    rota.create_shift(
        db, event.id, role="desk", starts_at=START, ends_at=START + timedelta(hours=1)
    )
    shown = json.loads(ok(run_cli("events", "show", str(event.id), "--json")))
    assert shown["title"] == "Déjeuner" and shown["registered"] == 1 and shown["waiting"] == 1
    assert [r["status"] for r in shown["registrations"]] == ["registered", "waiting"]
    assert "GAP: 1 missing" in ok(run_cli("rota"))

    said = ok(run_cli("events", "cancel", str(event.id), "--yes"))
    assert "Déjeuner is cancelled; 2 registrations cancelled." in said
    shown = json.loads(ok(run_cli("events", "show", str(event.id), "--json")))
    assert shown["status"] == "cancelled"
    assert {r["status"] for r in shown["registrations"]} == {"cancelled"}
    assert "GAP" not in ok(run_cli("rota"))


def test_rota_assign_tag_volunteer(run_cli, db: Database) -> None:
    event = events.create_event(
        db,
        {
            "kind": "lunch",
            "title": "Déjeuner",
            "starts_at": START,
            "ends_at": START + timedelta(hours=2),
            "city": "Lyon",
        },
        now=DEMO_NOW,
    )
    shift = rota.create_shift(
        db, event.id, role="desk", starts_at=START, ends_at=START + timedelta(hours=1)
    )
    members.add_member(db, {"first_name": "Bob", "email": "b@ex.org"}, now=DEMO_NOW)
    refused = run_cli("rota", "assign", str(shift.id), "b@ex.org")
    assert refused.returncode == 2 and "--tag-volunteer" in refused.stderr
    said = ok(run_cli("rota", "assign", str(shift.id), "b@ex.org", "--tag-volunteer"))
    assert "Bob is now tagged volunteer." in said and "taken" in said
    assert rota.get_shift(db, shift.id).filled == 1


def test_shell_completion_scripts(run_cli) -> None:
    bash = run_cli(env={"_OMTUI_COMPLETE": "bash_source"}, db=None)
    assert bash.returncode == 0 and "_omtui_completion" in bash.stdout
    zsh = run_cli(env={"_OMTUI_COMPLETE": "zsh_source"}, db=None)
    assert zsh.returncode == 0 and "#compdef omtui" in zsh.stdout
    words = run_cli(
        env={
            "_OMTUI_COMPLETE": "bash_complete",
            "COMP_WORDS": "omtui members m",
            "COMP_CWORD": "2",
        },
        db=None,
    )
    assert "plain,merge" in words.stdout


def test_small_words_demo_counts_and_send_plan(run_cli, tmp_path: Path) -> None:
    made = ok(run_cli("demo", "--members", "200"))
    assert "3 newsletters (2 drafts, 1 sent)" in made  # not "3 drafts"
    # French agrees each count: "1 envoyée", "1 membre", not "1 envoyées", "1 membres"
    other = run_cli(
        "demo", "--members", "1", "--db", str(tmp_path / "one.db"), env={"OMTUI_LANG": "fr"}
    )
    assert "1 membre, 16 événements" in ok(other)
    assert "3 newsletters (2 brouillons, 1 envoyée)." in other.stdout
    plan = run_cli("newsletter", "send", "3", input="no\n", env={"OMTUI_FROM": "club@example.org"})
    line = next(x for x in plan.stdout.splitlines() if "takes about" in x)
    assert line.endswith("takes about 18 seconds.")  # not "17.90 seconds"


def test_events_list_shows_every_status(run_cli, db: Database) -> None:
    for status, days in (("confirmed", 1), ("planned", 2)):
        start = START + timedelta(days=days)
        events.create_event(
            db,
            {
                "kind": "lunch",
                "title": f"Déjeuner {status}",
                "starts_at": start,
                "ends_at": start + timedelta(hours=2),
                "city": "Lyon",
                "status": status,
            },
            now=DEMO_NOW,
        )
    listed = ok(run_cli("events", "list"))
    assert "Déjeuner confirmed [confirmed]" in listed and "Déjeuner planned [planned]" in listed
