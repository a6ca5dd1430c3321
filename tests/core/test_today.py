"""The overview's figures (core/today.py) on the demo club and on built situations."""

from __future__ import annotations

from datetime import timedelta

from omtui.context import ClubContext
from omtui.core import events as ev
from omtui.core import members, newsletter, rota, runs, sender, today
from omtui.core.today import Kind, Urgency


def _overview(club: ClubContext) -> today.Overview:
    return today.overview(club.db, now=club.now(), tz=club.tz)


def paused_send(club: ClubContext, reason: str = "the SMTP server refused us") -> int:
    """A newsletter whose send started and was paused (by the sender's own status path)."""
    draft = newsletter.create_draft(
        club.db, subject="Les nouvelles", body="Bonjour {first_name}", now=club.now()
    )
    plan = sender.prepare(club.db, draft.id, club.config)
    sender.start_send(club.db, draft.id, club.config, plan, now=club.now())
    sender._set_status(club.db, draft.id, "paused", reason, club.now())
    return draft.id


def test_demo_club_has_each_kind_of_line(demo_club: ClubContext) -> None:
    view = _overview(demo_club)
    kinds = {i.kind for i in view.items}
    assert {Kind.DROP, Kind.GAP, Kind.FULL, Kind.PROMOTED, Kind.UNREADY, Kind.SEND} <= kinds
    urgencies = [i.urgency for i in view.items]
    assert urgencies == sorted(urgencies)  # most urgent first
    drop = next(i for i in view.items if i.kind == Kind.DROP)
    assert "Ma fille est malade" in drop.text and drop.urgency == Urgency.NOW
    assert drop.target is not None and drop.target.tab == "rota" and drop.target.shift_id
    full = next(i for i in view.items if i.kind == Kind.FULL)
    assert "is full (" in full.text and "people waiting" in full.text
    assert full.target is not None and full.target.tab == "events"


def test_glance_figures(demo_club: ClubContext) -> None:
    view = _overview(demo_club)
    assert view.members.total == 300
    assert len(view.members.joined_by_month) == 12
    assert view.members.joined_by_month[-1] == ("2026-11", view.members.joined_this_month)
    assert 1 <= len(view.next_events) <= 5
    assert all(e.starts_at > demo_club.now() for e in view.next_events)
    assert view.last_newsletter is not None and view.last_newsletter.sent > 0
    assert {a.kind for a in view.attendance} <= {"meetup", "lunch", "webinar", "summit"}
    assert all(0 <= (a.rate or 0) <= 1 for a in view.attendance)
    cities = [c.city for c in view.lunch_cities]
    assert "Paris" not in cities and cities  # Paris had events; others wait for a lunch
    counts = [c.members for c in view.lunch_cities]
    assert counts == sorted(counts, reverse=True)


def test_a_gap_and_a_late_drop_with_its_reason(club: ClubContext) -> None:
    now, tz = club.now(), club.tz
    person = members.add_member(
        club.db, {"email": "vol@example.org", "first_name": "Zoé", "tags": "volunteer"}, now=now
    )
    event = ev.create_event(
        club.db,
        {
            "kind": "meetup",
            "title": "Afterwork Lyon",
            "starts_at": now + timedelta(days=1),
            "ends_at": now + timedelta(days=1, hours=2),
            "city": "Lyon",
            "address": "1 rue de la République",
            "host_company": "ACME",
            "status": "confirmed",
        },
        now=now,
    )
    shift = rota.create_shift(
        club.db,
        event.id,
        role="accueil",
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        needed=2,
    )
    rota.take_shift(club.db, shift.id, person.id, now=now - timedelta(days=3), tz=tz)
    rota.drop_shift(club.db, shift.id, person.id, now=now, tz=tz, reason="Train annulé")
    items = _overview(club).items
    assert [(i.kind, i.target) for i in items] == [
        (Kind.DROP, today.Target("rota", event_id=event.id, shift_id=shift.id)),
        (Kind.GAP, today.Target("rota", event_id=event.id, shift_id=shift.id)),
    ]
    assert "Train annulé" in items[0].text and "Zoé" in items[0].text
    assert "2 volunteers missing" in items[1].text


def test_unready_event_offers_to_confirm(club: ClubContext) -> None:
    now = club.now()
    event = ev.create_event(
        club.db,
        {
            "kind": "webinar",
            "title": "Webinar",
            "starts_at": now + timedelta(days=5),
            "ends_at": now + timedelta(days=5, hours=1),
            "online_url": "https://example.org/w",
        },
        now=now,
    )
    [item] = _overview(club).items
    assert item.kind == Kind.UNREADY and item.action == "confirm_event"
    assert "not confirmed" in item.text
    ev.update_event(club.db, event.id, {"status": "confirmed"}, now=now)
    assert _overview(club).items == ()
    ev.create_event(
        club.db,
        {
            "kind": "lunch",
            "title": "Déjeuner à Nantes",
            "starts_at": now + timedelta(days=2),
            "ends_at": now + timedelta(days=2, hours=2),
            "city": "Nantes",
            "status": "confirmed",
        },
        now=now,
    )
    [item] = _overview(club).items
    assert item.text.endswith(": no host, no address") and item.action == ""
    assert item.urgency == Urgency.NOW


def test_paused_send_and_empty_club(club: ClubContext) -> None:
    assert _overview(club).items == ()
    members.add_member(club.db, {"email": "a@example.org"}, now=club.now(), subscribed=True)
    newsletter_id = paused_send(club)
    [item] = _overview(club).items
    assert item.kind == Kind.SEND and item.urgency == Urgency.NOW
    assert "paused, 1 recipient left: the SMTP server refused us" in item.text
    assert item.target == today.Target("newsletter", newsletter_id=newsletter_id)


def test_automation_runs(club: ClubContext) -> None:
    now = club.now()
    view = _overview(club)
    assert [j.kind for j in view.jobs] == ["remind", "mailbox", "backup"]
    assert all(j.last is None for j in view.jobs)
    assert today.job_text(view.jobs[2], now, club.tz) == "Backup: never ran"
    runs.record_run(
        club.db, "backup", ok=False, detail="disk full", started_at=now, finished_at=now
    )
    old = now - timedelta(days=3)
    runs.record_run(club.db, "remind", ok=True, started_at=old, finished_at=old)
    view = _overview(club)
    texts = [i.text for i in view.items if i.kind == Kind.AUTOMATION]
    assert any("Backup: failed" in t and "disk full" in t for t in texts)
    assert any(t.startswith("Reminders has not run since") for t in texts)


def test_extension_point(club: ClubContext) -> None:
    def triage(db, now, tz):
        return [today.Item("triage", Urgency.SOON, "2 bounces to look at", None)]

    today.register_source(triage)
    try:
        assert [i.text for i in _overview(club).items] == ["2 bounces to look at"]
    finally:
        today._SOURCES.remove(triage)


def test_json_ready(demo_club: ClubContext) -> None:
    import json

    data = _overview(demo_club).as_dict()
    assert json.loads(json.dumps(data))["members"]["total"] == 300
    assert data["needs_you"][0]["target"]["tab"] == "rota"


def test_cancellation_notices_still_queued(demo_club: ClubContext) -> None:
    """An event cancelled from the CLI without --send-now: its notices wait for cron."""
    from omtui.core.mail import cancel_notice

    assert all(i.kind != Kind.NOTICES for i in _overview(demo_club).items)
    result = cancel_notice.cancel_event(demo_club.db, 8, now=demo_club.now())
    assert result.pending > 1
    [item] = [i for i in _overview(demo_club).items if i.kind == Kind.NOTICES]
    assert item.urgency == Urgency.SOON and item.action == "send_notices"
    assert item.text.startswith(f"{result.pending} members still have to be told")
    demo_club.db.execute(
        "UPDATE reminders SET state = 'sent' WHERE kind = 'cancellation' AND id IN"
        " (SELECT id FROM reminders WHERE kind = 'cancellation' LIMIT 1)"
    )
    [item] = [i for i in _overview(demo_club).items if i.kind == Kind.NOTICES]
    assert item.text.startswith(f"{result.pending - 1} members")


def test_each_count_agrees_in_french(club: ClubContext) -> None:
    """ "0 désabonnés ce mois-ci": French counts 0 and 1 in the singular."""
    from omtui.core import today_text
    from omtui.i18n import language_for

    figures = today.MemberFigures(
        total=1, joined_this_month=2, unsubscribed_this_month=0, joined_by_month=()
    )
    letter = today.LastNewsletter(
        id=1, subject="Les nouvelles", sent_at=club.now(), sent=1, failed=0,
        unsubscribed_after=1,
    )  # fmt: skip
    with language_for("fr"):
        assert today_text.members_line(figures) == (
            "1 membre, 2 arrivés ce mois-ci, 0 désabonné ce mois-ci"
        )
        line = today_text.newsletter_line(letter, club.now(), club.tz)
    assert line.endswith(": 1 remis, 0 en échec, 1 désabonné dans les 7 jours suivants")
    assert today_text.members_line(figures) == (
        "1 member, 2 joined this month, 0 unsubscribed this month"
    )
