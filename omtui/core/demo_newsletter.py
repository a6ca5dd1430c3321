"""Demo data for the newsletter area: two drafts and one issue sent a month ago."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from omtui.core import outbox
from omtui.core.dates import to_iso
from omtui.core.db import Database
from omtui.core.newsletter import create_draft, get_newsletter, send_plan

SENT_BODY = """# Bonjour {first_name},

Novembre a été riche : merci aux 40 hôtes qui ont ouvert leurs bureaux pour nos
rencontres, et bienvenue aux 120 nouveaux membres.

## Au programme

{upcoming_events}

À très vite à {city} ou ailleurs !

[Se désabonner]({unsubscribe})
"""
DRAFT_BODY = """# Bonjour {first_name},

Les fêtes approchent : voici les rendez-vous du club pour finir l'année en beauté.

## Prochains événements

{upcoming_events}

Une question, une idée d'atelier ? Répondez simplement à ce message.

[Se désabonner]({unsubscribe})
"""
VOLUNTEER_BODY = """Bonjour {first_name},

Nous cherchons des bénévoles pour l'accueil du déjeuner des partenaires à {city}.
Inscrivez-vous dans le planning : `omtui volunteer`.
"""
SENT_EVENTS = """- **Rencontre chez Atelier Lumière**, jeudi 29 octobre, 18:30, Paris
- **Webinaire « Négocier ses contrats »**, mardi 3 novembre, 12:30, en ligne"""


def seed(db: Database, *, now: datetime) -> int:
    """Create the demo newsletters; return how many were made."""
    rng = random.Random(11)
    sent_at = now - timedelta(days=30)
    old = create_draft(
        db, subject="Les nouvelles de novembre", body=SENT_BODY, now=sent_at - timedelta(days=2)
    )
    plan = send_plan(db, get_newsletter(db, old.id), rate=10)
    with db.transaction():
        outbox.snapshot(db, old.id, plan.recipients, now=sent_at)
        rows = db.query("SELECT id FROM outbox WHERE newsletter_id = ? ORDER BY id", (old.id,))
        updates = []
        for row in rows:
            roll = rng.random()
            if roll < 0.006:
                state, reply = "failed", "550 5.1.1 Mailbox unavailable"
            elif roll < 0.008:
                state, reply = "uncertain", "in flight when the previous send stopped"
            else:
                state, reply = "sent", ""
            mid = f"<demo.{old.id}.{row['id']}@club.example.org>" if state == "sent" else ""
            when = to_iso(sent_at + timedelta(seconds=row["id"] / 10))
            updates.append(
                (state, reply, mid, when if state == "sent" else None, when, 1, row["id"])
            )
        db.conn.executemany(
            "UPDATE outbox SET state = ?, reply = ?, message_id = ?, sent_at = ?,"
            " updated_at = ?, attempts = ? WHERE id = ?",
            updates,
        )
        db.execute(
            "UPDATE newsletters SET status = 'sent', send_started_at = ?, sent_at = ?,"
            " updated_at = ?, events_block = ?, language = 'fr' WHERE id = ?",
            (
                to_iso(sent_at),
                to_iso(sent_at + timedelta(minutes=5)),
                to_iso(sent_at + timedelta(minutes=5)),
                SENT_EVENTS,
                old.id,
            ),
        )
    create_draft(
        db,
        subject="Appel à bénévoles : déjeuner des partenaires",
        body=VOLUNTEER_BODY,
        tags=("volunteer",),
        now=now - timedelta(days=3),
    )
    create_draft(
        db, subject="Les rendez-vous de décembre", body=DRAFT_BODY, now=now - timedelta(hours=5)
    )
    return 3
