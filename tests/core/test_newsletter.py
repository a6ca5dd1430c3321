"""Newsletter drafts, placeholders, audiences, send plans and the message bytes."""

from __future__ import annotations

import email
from datetime import datetime, timedelta
from email import policy

import pytest

from omtui.config import Config, SmtpConfig
from omtui.core import members
from omtui.core.dates import to_iso
from omtui.core.db import Database
from omtui.core.newsletter import (
    Recipient,
    audience_size,
    check_placeholders,
    create_draft,
    duplicate,
    ensure_valid,
    get_newsletter,
    list_newsletters,
    parse_template,
    render_preview,
    send_plan,
    upcoming_events_block,
    update_draft,
)
from omtui.core.newsletter_mime import MessageTemplate
from omtui.core.sender import prepare, start_send
from omtui.errors import NotFound, ValidationError

PEOPLE = [
    ("Hélène", "Dupré", "helene.dupre@example.fr", "Lyon", "volunteer", True),
    ("Jérôme", "Lefèvre", "jerome@example.fr", "Paris", "", True),
    ("Zoé", "Martin", "zoe@example.fr", "Lyon", "speaker", False),
    ("Ann", "Smith", "ann@example.org", "Paris", "volunteer,speaker", True),
    ("Bob", "O'Brien, Jr.", "bob@example.org", "Nantes", "", True),
]


def add_people(db: Database, now: datetime, people=PEOPLE) -> list[members.Member]:
    """Members with accented names; the third one is unsubscribed."""
    out = []
    for first, last, mail, city, tags, subscribed in people:
        out.append(
            members.add_member(
                db,
                {"first_name": first, "last_name": last, "email": mail, "city": city, "tags": tags},
                now=now,
                subscribed=subscribed,
            )
        )
    return out


def add_many(db: Database, count: int, now: datetime, *, domain: str = "example.org") -> None:
    """`count` subscribed members with ASCII addresses user0001@domain ..."""
    rows = (
        (
            {"first_name": f"Émile{i}", "last_name": "Dupré", "email": f"user{i:04d}@{domain}"},
            True,
            now,
        )
        for i in range(count)
    )
    members.insert_many(db, rows, now=now, source="test")


def add_event(db: Database, title: str, starts: datetime, *, city="Lyon", status="planned"):
    stamp = to_iso(starts)
    db.execute(
        "INSERT INTO events (kind, title, starts_at, ends_at, city, status, uid, created_at,"
        " updated_at) VALUES ('meetup', ?, ?, ?, ?, ?, ?, ?, ?)",
        (title, stamp, to_iso(starts + timedelta(hours=2)), city, status, title, stamp, stamp),
    )


def parse(data: bytes) -> email.message.EmailMessage:
    """Parse like a mail client would, and insist on zero defects anywhere."""
    message = email.message_from_bytes(data, policy=policy.default)
    assert message.defects == []
    for part in message.walk():
        assert part.defects == [], part.defects
    for name in message:
        assert message[name].defects == (), (name, message[name].defects)
    return message


# -- placeholders -------------------------------------------------------------------------
def test_known_placeholders_and_escaped_braces_parse() -> None:
    segments = parse_template("Hi {first_name} {{not a field}} {upcoming_events}")
    assert [name for _lit, name in segments if name] == ["first_name", "upcoming_events"]
    assert check_placeholders("a {{b}} c") == []


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("Hi {firstname}", "unknown placeholder {firstname}"),
        ("Hi {first_name!r}", "unknown placeholder {first_name!r}"),
        ("Hi {city:>10}", "unknown placeholder {city:>10}"),
        ("Hi {0}", "unknown placeholder {0}"),
        ("a } b", "unmatched brace"),
        ("a { b", "unmatched brace"),
    ],
)
def test_unknown_placeholders_are_errors_that_say_what_to_do(text: str, fragment: str) -> None:
    problems = check_placeholders(text)
    assert len(problems) == 1 and fragment in problems[0]
    assert "{{" in problems[0]  # tells how to write a literal brace


def test_upcoming_events_not_allowed_in_subject() -> None:
    with pytest.raises(ValidationError, match="only be used in the body"):
        ensure_valid("News {upcoming_events}", "body")


# -- drafts --------------------------------------------------------------------------------
def test_create_update_duplicate_and_list(db: Database, now: datetime) -> None:
    nl = create_draft(db, subject="Hello", body="Hi {first_name}", tags="Volunteer", now=now)
    assert nl.status == "draft" and nl.audience_tags == ("volunteer",) and not nl.read_only
    nl = update_draft(db, nl.id, subject="Bonjour", city=" Lyon ", now=now)
    assert (nl.subject, nl.audience_city, nl.body) == ("Bonjour", "Lyon", "Hi {first_name}")
    copy = duplicate(db, nl.id, now=now + timedelta(minutes=1))
    assert copy.id != nl.id and copy.duplicated_from == nl.id
    assert (copy.subject, copy.body, copy.audience_tags) == (nl.subject, nl.body, ("volunteer",))
    assert [s.newsletter.id for s in list_newsletters(db)] == [copy.id, nl.id]
    with pytest.raises(ValidationError):
        update_draft(db, nl.id, body="{oops}", now=now)
    assert get_newsletter(db, nl.id).body == "Hi {first_name}"  # nothing half-written
    with pytest.raises(NotFound):
        get_newsletter(db, 999)


def test_sent_newsletter_is_read_only_and_keeps_text_and_audience(
    db: Database, now: datetime
) -> None:
    people = add_people(db, now)
    config = Config()
    nl = create_draft(db, subject="S", body="B {first_name}", city="Lyon", now=now)
    start_send(db, nl.id, config, prepare(db, nl.id, config), now=now)
    with pytest.raises(ValidationError, match="can no longer be edited"):
        update_draft(db, nl.id, subject="changed", now=now)
    # A member joining Lyon later does not change the frozen audience.
    members.update_member(db, people[1].id, {"city": "Lyon"}, now=now)
    rows = db.query("SELECT email FROM outbox WHERE newsletter_id = ?", (nl.id,))
    assert [r["email"] for r in rows] == ["helene.dupre@example.fr"]
    assert get_newsletter(db, nl.id).body == "B {first_name}"


# -- audience and send plan -------------------------------------------------------------------
def test_audience_is_subscribed_members_narrowed_by_tags_and_city(
    db: Database, now: datetime
) -> None:
    people = add_people(db, now)
    assert audience_size(db) == 4
    assert audience_size(db, ["volunteer"]) == 2
    assert audience_size(db, ["volunteer", "speaker"]) == 1
    assert audience_size(db, [], "lyon") == 1  # Zoé in Lyon is unsubscribed
    members.archive_member(db, people[0].id, now=now)
    assert audience_size(db, ["volunteer"]) == 1


def test_send_plan_lists_who_is_left_out_and_why(db: Database, now: datetime) -> None:
    add_people(db, now)
    db.execute(  # an address imported before validation existed
        "INSERT INTO members (first_name, email, subscribed, joined_at, unsubscribe_token,"
        " created_at, updated_at) VALUES ('X', 'not-an-address', 1, ?, 'tok-x', ?, ?)",
        (to_iso(now), to_iso(now), to_iso(now)),
    )
    nl = create_draft(db, subject="S", body="B", tags="volunteer", now=now)
    plan = send_plan(db, nl, rate=2)
    assert [r.email for r in plan.recipients] == ["helene.dupre@example.fr", "ann@example.org"]
    assert plan.outside_audience == 3  # Jérôme, Bob, and the bad address have no tag
    everyone = create_draft(db, subject="S", body="B", now=now)
    plan = send_plan(db, everyone, rate=2)
    assert plan.count == 4
    assert plan.left_out["unsubscribed"] == ["zoe@example.fr"]
    assert plan.left_out["invalid"] == ["not-an-address"]
    assert plan.estimated_seconds == 2.0


def test_unsubscribed_members_never_in_a_plan_whatever_the_filter(
    db: Database, now: datetime
) -> None:
    people = add_people(db, now)
    members.set_subscription(db, people[3].id, False, now=now, source="test")
    for tags, city in [((), ""), (("speaker",), ""), ((), "Paris")]:
        nl = create_draft(db, subject="S", body="B", tags=tags, city=city, now=now)
        emails = {r.email for r in send_plan(db, nl, rate=1).recipients}
        assert not emails & {"zoe@example.fr", "ann@example.org"}


# -- rendering ----------------------------------------------------------------------------------
def test_upcoming_events_block_skips_past_and_cancelled(db: Database, now: datetime) -> None:
    config = Config()
    add_event(db, "Past lunch", now - timedelta(days=1))
    add_event(db, "Cancelled meetup", now + timedelta(days=2), status="cancelled")
    add_event(db, "Apéro de Noël", now + timedelta(days=1, hours=3), city="Lyon")
    for day in range(3, 10):
        add_event(db, f"Later {day}", now + timedelta(days=day), city="Paris")
    block = upcoming_events_block(db, now=now, tz=config.tz)
    lines = block.splitlines()
    assert len(lines) == 5
    assert lines[0] == "- **Apéro de Noël**, lundi 23 novembre, 13:00, Lyon"  # no countdown
    assert lines[0].endswith("Lyon")
    assert "Past" not in block and "Cancelled" not in block


def test_preview_fills_placeholders_for_a_sample_member(db: Database, now: datetime) -> None:
    subject, body = render_preview(
        db, "Hi {first_name}", "{first_name} {last_name} in {city}: {unsubscribe} {{x}}",
        now=now, tz=Config().tz,
    )  # fmt: skip
    assert subject == "Hi Hélène"
    assert body.startswith("Hélène Dupré in Lyon: mailto:") and body.endswith("{x}")
    # What members read is in the club's language (French by default), whatever the interface's.
    assert "Aucun événement à venir" in render_preview(db, "s", "{upcoming_events}", now=now,
                                                  tz=Config().tz)[1]  # fmt: skip


CONFIG = Config(
    club_name="Club des Office Managers",
    list_id="news.club.example.org",
    unsubscribe_url="https://club.example.org/unsubscribe",
    smtp=SmtpConfig(from_address="lettre@club.example.org", from_name="Le Club"),
)


def build(newsletter, recipient: Recipient, config: Config = CONFIG, now=None):
    template = MessageTemplate(
        newsletter, config, events_block="- **Apéro** <b>x</b>", clock=lambda: now
    )
    return template.build(recipient)


@pytest.mark.parametrize(
    "subject",
    [
        "Les nouvelles de l'été — édition spéciale",
        "Plain ASCII subject",
        "Très " * 30 + "long",
        "Bonjour {first_name}, à bientôt à {city} !",
    ],
)
def test_messages_parse_back_without_defects(db: Database, now: datetime, subject: str) -> None:
    nl = create_draft(
        db,
        subject=subject,
        body="# Bonjour {first_name} {last_name}\n\nÀ {city}.\n\n{upcoming_events}\n\n"
        "[Se désabonner]({unsubscribe}) — {{accolades}} <script>x</script>\n" + "é" * 300,
        now=now,
    )
    r = Recipient("helene.dupre@example.fr", "Hélène", "Dupré", "Saint-Étienne", "tok_A-1", 1, 7)
    message_id, data = build(nl, r, now=now)
    msg = parse(data)
    assert max(len(line) for line in data.split(b"\r\n")) <= 998
    assert msg["To"].addresses[0].display_name == "Hélène Dupré"
    assert msg["To"].addresses[0].addr_spec == "helene.dupre@example.fr"
    assert str(msg["Subject"]) == subject.replace("{first_name}", "Hélène").replace(
        "{city}", "Saint-Étienne"
    )
    assert msg["From"].addresses[0].display_name == "Le Club"
    assert msg["Message-ID"] == message_id and message_id.endswith("@club.example.org>")
    assert msg["Date"].datetime == now
    assert msg["List-Id"] == "Club des Office Managers <news.club.example.org>"
    unsubscribe = str(msg["List-Unsubscribe"])
    assert "<mailto:lettre@club.example.org?subject=unsubscribe%20tok_A-1>" in unsubscribe
    assert "<https://club.example.org/unsubscribe?token=tok_A-1>" in unsubscribe
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert msg.get_content_type() == "multipart/alternative"
    text = msg.get_body(("plain",)).get_content().replace("\r\n", "\n")
    page = msg.get_body(("html",)).get_content()
    assert text.startswith("# Bonjour Hélène Dupré\n\nÀ Saint-Étienne.")
    assert "{accolades}" in text and "- **Apéro** <b>x</b>" in text
    assert "https://club.example.org/unsubscribe?token=tok_A-1" in text
    assert '<h1 style="' in page and "Bonjour Hélène Dupré</h1>" in page
    assert (
        '<a style="color:#1d4ed8" href="https://club.example.org/unsubscribe?token=tok_A-1"' in page
    )
    assert "<script>" not in page and "&lt;script&gt;" in page  # raw HTML is escaped
    assert "&lt;b&gt;x&lt;/b&gt;" in page


def test_names_needing_quotes_and_values_with_html(db: Database, now: datetime) -> None:
    nl = create_draft(db, subject="S", body="Hi {last_name}", now=now)
    r = Recipient("bob@example.org", "Bob", "O'Brien, <Jr.>", "", "t", 2, 3)
    _mid, data = build(nl, r, config=Config(), now=now)
    msg = parse(data)
    assert msg["To"].addresses[0].display_name == "Bob O'Brien, <Jr.>"
    assert "List-Unsubscribe-Post" not in msg  # no https URL configured
    assert "Hi O&#x27;Brien, &lt;Jr.&gt;" in msg.get_body(("html",)).get_content()


def test_each_message_id_is_unique(db: Database, now: datetime) -> None:
    nl = create_draft(db, subject="S", body="B", now=now)
    template = MessageTemplate(nl, CONFIG, events_block="", clock=lambda: now)
    ids = {template.build(Recipient(f"u{i}@x.org", outbox_id=i))[0] for i in range(500)}
    assert len(ids) == 500


@pytest.mark.parametrize(
    "address",
    [
        "ann.lee+news@example.org",
        "h.dupre@cœurdeville.fr",
        "o'brien@example.ie",
        "a..b@example.org",
        ".a@example.org",
        "a@-example.org",
        "a@example",
        "a@example.c0",
        "x" * 65 + "@example.org",
        "a b@example.org",
    ],
)
def test_fast_address_check_agrees_with_email_validator(address: str) -> None:
    from email_validator import EmailNotValidError, validate_email

    from omtui.core.newsletter import _valid_address

    try:
        validate_email(address, check_deliverability=False)
        expected = True
    except EmailNotValidError:
        expected = False
    assert _valid_address(address) is expected
