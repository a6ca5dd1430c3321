"""What members receive is in the club's language, frozen when a send starts: the footer,
the `{upcoming_events}` dates, the test prefix. In French and in English."""

from __future__ import annotations

import email
import sqlite3
from dataclasses import replace
from datetime import datetime, timedelta
from email import policy
from pathlib import Path

import pytest

from omtui.config import Config, NewsletterConfig, SmtpConfig, load_config
from omtui.core import migrations
from omtui.core.db import Database
from omtui.core.demo import DEMO_CLUB_NAME, build_demo
from omtui.core.newsletter import (
    Recipient,
    club_name,
    club_warnings,
    create_draft,
    get_newsletter,
    list_newsletters,
    mail_language,
    upcoming_events_block,
)
from omtui.core.newsletter_mime import MessageTemplate
from omtui.core.sender import build_test_message, prepare, start_send
from omtui.errors import ConfigError, ValidationError
from omtui.i18n import translator
from tests.core.test_newsletter import add_event, add_people

BASE = Config(
    club_name="Club des Office Managers",
    unsubscribe_url="https://club.example.org/unsubscribe",
    smtp=SmtpConfig(from_address="lettre@club.example.org"),
)
DEMO_LIKE_EVENTS = [
    # (title, offset from DEMO_NOW = Sun 22 Nov 2026 09:00 UTC, city, online url)
    ("Déjeuner à Lyon", timedelta(days=11, hours=2, minutes=30), "Lyon", ""),  # Thu 3 Dec
    ("Afterwork à Nantes", timedelta(days=2), "Nantes", ""),
    ("Webinaire contrats", timedelta(days=4, hours=3), "", "https://visio.example.org/x"),
]


def config(lang: str | None, **newsletter) -> Config:
    return replace(BASE, newsletter=NewsletterConfig(language=lang, **newsletter))


def seed_events(db: Database, now: datetime) -> None:
    for title, offset, city, url in DEMO_LIKE_EVENTS:
        add_event(db, title, now + offset, city=city)
        if url:
            db.execute("UPDATE events SET online_url = ? WHERE title = ?", (url, title))


def parse(data: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(data, policy=policy.default)


def parts(data: bytes) -> tuple[str, str]:
    msg = parse(data)
    text = msg.get_body(("plain",)).get_content().replace("\r\n", "\n")
    return text, msg.get_body(("html",)).get_content()


# -- {upcoming_events} ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("lang", "lyon", "webinar"),
    [
        ("fr", "jeudi 3 décembre, 12:30", "jeudi 26 novembre, 13:00"),
        ("en", "Thursday 3 December, 12:30", "Thursday 26 November, 13:00"),
    ],
)
def test_events_block_has_absolute_dates_in_the_language(
    db: Database, now: datetime, lang: str, lyon: str, webinar: str
) -> None:
    seed_events(db, now)
    block = upcoming_events_block(db, now=now, tz=BASE.tz, lang=lang)
    online = translator(lang).gettext("online")
    tuesday = "mardi 24 novembre" if lang == "fr" else "Tuesday 24 November"
    assert block.splitlines() == [
        f"- **Afterwork à Nantes**, {tuesday}, 10:00, Nantes",
        f"- **Webinaire contrats**, {webinar}, {online}",
        f"- **Déjeuner à Lyon**, {lyon}, Lyon",
    ]
    assert "(" not in block  # no countdown: a mail is read days later


def test_events_block_follows_the_audience_city(db: Database, now: datetime) -> None:
    seed_events(db, now)
    block = upcoming_events_block(db, now=now, tz=BASE.tz, city="lyon", lang="fr")
    assert "Déjeuner à Lyon" in block and "Webinaire contrats" in block
    assert "Nantes" not in block


def test_a_newsletter_for_lyon_freezes_lyon_events(db: Database, now: datetime) -> None:
    add_people(db, now)
    seed_events(db, now)
    nl = create_draft(db, subject="S", body="{upcoming_events}", city="Lyon", now=now)
    started = start_send(db, nl.id, config("fr"), prepare(db, nl.id, config("fr")), now=now)
    assert "Lyon" in started.events_block and "Nantes" not in started.events_block


# -- footer ---------------------------------------------------------------------------------
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_default_footer_in_the_language_with_a_real_link(
    db: Database, now: datetime, lang: str
) -> None:
    nl = create_draft(db, subject="S", body="Bonjour {first_name}", now=now)
    template = MessageTemplate(nl, config(lang), events_block="", clock=lambda: now)
    text, page = parts(template.build(Recipient("a@x.org", "Ann", token="tok1"))[1])
    link = "https://club.example.org/unsubscribe?token=tok1"
    sentence = translator(lang).gettext(
        "You receive this newsletter as a member of {club_name}. [Unsubscribe]({unsubscribe})"
    )
    label = sentence.split("[")[1].split("]")[0]
    assert text.endswith(
        "\n-- \n" + sentence.format(club_name="Club des Office Managers", unsubscribe=link) + "\n"
    )
    assert f'href="{link}">{label}</a>' in page
    assert "Club des Office Managers" in page


def test_configured_footer_markdown_and_a_bare_unsubscribe_is_a_link(
    db: Database, now: datetime
) -> None:
    footer = "Lettre du **{club_name}**. Pour ne plus la recevoir : {unsubscribe}"
    nl = create_draft(db, subject="S", body="Corps ; lien : {unsubscribe}", now=now)
    template = MessageTemplate(nl, config("fr", footer=footer), events_block="", clock=lambda: now)
    text, page = parts(template.build(Recipient("a@x.org", token="tok2"))[1])
    link = "https://club.example.org/unsubscribe?token=tok2"
    assert text.endswith(
        f"-- \nLettre du **Club des Office Managers**. Pour ne plus la recevoir : {link}\n"
    )
    assert "<strong>Club des Office Managers</strong>" in page
    assert page.count(f'href="{link}">{link}</a>') == 2  # the body's and the footer's
    assert "mailto:" not in page.split("<hr")[1].replace(f'href="{link}"', "")


def test_a_footer_with_an_unknown_placeholder_is_refused(db: Database, now: datetime) -> None:
    nl = create_draft(db, subject="S", body="B", now=now)
    with pytest.raises(ValidationError, match="first_name"):
        MessageTemplate(
            nl, config("fr", footer="Hi {first_name}"), events_block="", clock=lambda: now
        )


# -- the language is frozen when the send starts ---------------------------------------------
def test_language_frozen_at_start_survives_a_resume_in_another_language(
    db: Database, now: datetime
) -> None:
    add_people(db, now)
    seed_events(db, now)
    nl = create_draft(db, subject="S", body="{upcoming_events}", now=now)
    started = start_send(db, nl.id, config("fr"), prepare(db, nl.id, config("fr")), now=now)
    assert started.language == "fr"
    assert "jeudi 3 décembre, 12:30" in started.events_block
    # A resume by cron with an English config still writes French to everybody.
    resumed = MessageTemplate(
        get_newsletter(db, nl.id),
        config("en"),
        events_block=started.events_block,
        clock=lambda: now + timedelta(days=1),
    )
    text, _page = parts(resumed.build(Recipient("a@x.org", token="t"))[1])
    assert "jeudi 3 décembre, 12:30" in text
    fr_footer = translator("fr").gettext(
        "You receive this newsletter as a member of {club_name}. [Unsubscribe]({unsubscribe})"
    )
    assert fr_footer.split("{club_name}")[0] in text


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_test_send_subject_prefix_and_dates_in_the_language(
    db: Database, now: datetime, lang: str
) -> None:
    seed_events(db, now)
    nl = create_draft(db, subject="Les nouvelles", body="{upcoming_events}", city="Lyon", now=now)
    _mid, data = build_test_message(db, nl.id, config(lang), "someone@example.org", now=now)
    msg = parse(data)
    assert str(msg["Subject"]) == translator(lang).gettext("[TEST]") + " Les nouvelles"
    text, _page = parts(data)
    lyon = "jeudi 3 décembre, 12:30" if lang == "fr" else "Thursday 3 December, 12:30"
    assert f"- **Déjeuner à Lyon**, {lyon}, Lyon" in text
    assert "Nantes" not in text


def test_mail_language_defaults_to_french(db: Database) -> None:
    assert mail_language(db, Config()) == "fr"
    assert mail_language(db, config("en")) == "en"


# -- config and club name ------------------------------------------------------------------
def test_newsletter_config_table(tmp_path: Path) -> None:
    path = tmp_path / "omtui.toml"
    path.write_text(
        'club_name = "Club"\n[newsletter]\nlanguage = "en"\nfooter = "{club_name}: {unsubscribe}"\n'
    )
    loaded = load_config(path)
    assert loaded.newsletter == NewsletterConfig(language="en", footer="{club_name}: {unsubscribe}")
    path.write_text('[newsletter]\nlanguage = "de"\n')
    with pytest.raises(ConfigError, match="language"):
        load_config(path)
    path.write_text('[newsletter]\nfont = "x"\n')
    with pytest.raises(ConfigError, match="font"):
        load_config(path)


def test_send_plan_warns_without_a_club_name(db: Database, now: datetime) -> None:
    add_people(db, now)
    nl = create_draft(db, subject="S", body="B", now=now)
    assert Config().club_name == ""
    assert club_name(db, Config()) == ""
    [warning] = club_warnings(db, Config())
    assert "club_name" in warning
    assert prepare(db, nl.id, Config()).warnings == (warning,)
    assert prepare(db, nl.id, BASE).warnings == ()


def test_demo_names_its_club_in_french(db: Database) -> None:
    assert DEMO_CLUB_NAME == "Club des Office Managers"
    # The club's name lives in its settings row (the `club_settings` table of the language
    # work); made here if this database has none, so the test runs on either schema.
    db.execute(
        "CREATE TABLE IF NOT EXISTS club_settings (id INTEGER PRIMARY KEY,"
        " name TEXT NOT NULL DEFAULT '', language TEXT NOT NULL DEFAULT 'fr')"
    )
    db.execute("INSERT OR IGNORE INTO club_settings (id) VALUES (1)")
    assert club_name(db, Config()) == ""
    build_demo(db, members_count=20)
    assert club_name(db, Config()) == "Club des Office Managers"
    assert club_warnings(db, Config()) == []
    assert club_name(db, replace(BASE, club_name="Club de Lyon")) == "Club de Lyon"  # config wins
    sent = [n for n in list_newsletters(db) if n.newsletter.status == "sent"]
    assert [n.newsletter.language for n in sent] == ["fr"]
    assert "jeudi 29 octobre, 18:30, Paris" in sent[0].newsletter.events_block


# -- migration ---------------------------------------------------------------------------
def test_migration_marks_sends_already_started_as_english(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "old.db", isolation_level=None)
    step = migrations.STEPS.index(migrations._009_newsletter_language)
    for number, func in enumerate(migrations.STEPS[:step], start=1):
        conn.execute("BEGIN")
        func(conn)
        conn.execute(f"PRAGMA user_version = {number}")
        conn.execute("COMMIT")
    for status in ("draft", "sent"):
        conn.execute(
            "INSERT INTO newsletters (subject, status, created_at, updated_at)"
            " VALUES (?, ?, '2026-01-01', '2026-01-01')",
            (status, status),
        )
    migrations.apply(conn, step)
    rows = dict(conn.execute("SELECT subject, language FROM newsletters").fetchall())
    assert rows == {"draft": "", "sent": "en"}
    conn.close()
