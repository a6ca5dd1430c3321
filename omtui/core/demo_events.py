"""Demo data for the events area: past and upcoming meetups in members' offices, webinars,
lunches across France, two summits with partners, registrations, a waiting list and
check-ins. Deterministic: the same `now` and seed always give the same events."""

from __future__ import annotations

import random
import uuid
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from omtui.core import events, partners
from omtui.core.db import Database
from omtui.errors import OmtuiError

TZ = ZoneInfo("Europe/Paris")
SEED = 7

# (days from now, start, hours, kind, title, city, capacity, fill ratio, status)
# fmt: off
PLAN: tuple[tuple[int, str, float, str, str, str, int | None, float, str], ...] = (
    (-75, "18:30", 2.5, "meetup", "Afterwork : bien accueillir un nouvel arrivant",
     "Paris", 30, 0.9, "confirmed"),
    (-61, "12:30", 1.5, "lunch", "Déjeuner des office managers lyonnais",
     "Lyon", 12, 1.0, "confirmed"),
    (-47, "11:00", 1.0, "webinar", "Webinar : négocier son contrat de ménage",
     "", 200, 0.35, "confirmed"),
    (-33, "09:00", 8.0, "summit", "Sommet des office managers 2026",
     "Paris", 250, 0.6, "confirmed"),
    (-19, "12:30", 1.5, "lunch", "Déjeuner bordelais", "Bordeaux", 10, 0.8, "confirmed"),
    (-8, "18:30", 2.0, "meetup", "Visite des nouveaux bureaux", "Lille", 20, 0.7, "confirmed"),
    (1, "12:30", 1.5, "lunch", "Déjeuner du lundi à Paris", "Paris", 14, 1.15, "confirmed"),
    (2, "18:30", 2.5, "meetup", "Afterwork : le flex office, un an après",
     "Paris", 25, 1.25, "confirmed"),
    (5, "11:00", 1.0, "webinar", "Webinar : la facture électronique en 2027",
     "", 300, 0.4, "confirmed"),
    (9, "12:30", 1.5, "lunch", "Déjeuner des office managers nantais",
     "Nantes", 10, 0.6, "planned"),
    (12, "18:30", 2.0, "meetup", "Rencontre : gérer les prestataires", "Lyon", 18, 0.5, "planned"),
    (16, "12:30", 1.5, "lunch", "Déjeuner marseillais", "Marseille", 12, 0.3, "cancelled"),
    (23, "11:00", 1.0, "webinar", "Webinar : préparer le budget services généraux",
     "", None, 0.2, "planned"),
    (30, "12:30", 1.5, "lunch", "Déjeuner strasbourgeois", "Strasbourg", 10, 0.2, "planned"),
    (44, "18:30", 2.0, "meetup", "Afterwork de janvier à Toulouse",
     "Toulouse", 20, 0.15, "planned"),
    (88, "09:00", 8.5, "summit", "Sommet des office managers 2027", "Paris", 300, 0.25, "planned"),
)
# fmt: on

PARTNERS = (
    ("Nettoyage Éclat", "Karine Besnard", "karine.besnard@eclat-nettoyage.fr"),
    ("CaféPro Services", "Olivier Tessier", "o.tessier@cafepro.fr"),
    ("Mobilier & Bureaux", "Sonia Ferreira", "sonia@mobilier-bureaux.fr"),
    ("Plantes au Bureau", "Hugo Lambert", "hugo@plantesaubureau.fr"),
    ("Accueil Premium", "Nadia Haddad", "nadia.haddad@accueil-premium.fr"),
    ("Sécuri'Badge", "Marc Olivier", "m.olivier@securibadge.fr"),
)

SUMMIT_VENUES = {"Paris": ("Palais des Congrès", "2 place de la Porte Maillot, 75017 Paris")}
ADDRESSES = {
    "Paris": "18 rue du Faubourg Saint-Antoine, 75011 Paris",
    "Lyon": "5 quai Jules Courmont, 69002 Lyon",
    "Lille": "40 rue de Béthune, 59800 Lille",
    "Toulouse": "12 allée Jean Jaurès, 31000 Toulouse",
    "Bordeaux": "3 cours de l'Intendance, 33000 Bordeaux",
    "Nantes": "9 rue Crébillon, 44000 Nantes",
    "Marseille": "27 La Canebière, 13001 Marseille",
    "Strasbourg": "6 place Kléber, 67000 Strasbourg",
}
RESTAURANTS = ("Le Petit Zinc", "Chez Simone", "La Table du Marché", "Brasserie du Port")


def _start(now: datetime, days: int, clock: str) -> datetime:
    day = now.astimezone(TZ).date() + timedelta(days=days)
    hour, minute = (int(x) for x in clock.split(":"))
    return datetime.combine(day, time(hour, minute), TZ)


def _fields(rng: random.Random, db: Database, plan, now: datetime) -> dict:
    days, clock, hours, kind, title, city, capacity, _fill, status = plan
    start = _start(now, days, clock)
    fields: dict = {
        "kind": kind,
        "title": title,
        "starts_at": start,
        "ends_at": start + timedelta(hours=hours),
        "city": city,
        "capacity": capacity,
        "status": status,
    }
    if kind == "webinar":
        fields["online_url"] = f"https://visio.omtui.example/{rng.randrange(10**6, 10**7)}"
        fields["description"] = "Une heure en ligne, questions bienvenues."
    elif kind == "summit":
        fields["host_company"], fields["address"] = SUMMIT_VENUES.get(city, ("", ADDRESSES[city]))
        fields["description"] = "Conférences, ateliers et rencontres avec nos partenaires."
    elif kind == "lunch":
        fields["host_company"] = rng.choice(RESTAURANTS)
        fields["address"] = ADDRESSES.get(city, "")
        fields["description"] = "Chacun règle son repas."
    else:  # meetup in a member's office
        host = db.query_one(
            "SELECT id, company FROM members WHERE city = ? AND archived_at IS NULL "
            "ORDER BY id LIMIT 1 OFFSET ?",
            (city, rng.randrange(0, 5)),
        )
        if host:
            fields["host_member_id"] = host["id"]
        else:
            fields["host_company"] = "Atelier Lumière"
        fields["address"] = ADDRESSES.get(city, "")
        fields["room_capacity"] = (capacity or 20) + rng.choice((0, 5, 10))
        floor = rng.randint(1, 7)
        suffix = "er" if floor == 1 else "e"
        code = rng.randint(1000, 9999)
        fields["access_notes"] = (
            f"{floor}{suffix} étage ; badge visiteur à l'accueil ; code porte {code}B"
        )
        fields["description"] = "Visite des locaux puis échanges autour d'un verre."
    return fields


def _register_some(
    rng: random.Random, db: Database, event: events.Event, fill: float, now: datetime
) -> None:
    pool = [
        r["id"]
        for r in db.query(
            "SELECT id FROM members WHERE archived_at IS NULL AND (city = ? OR ? = '') "
            "AND id IS NOT ? ORDER BY id",
            (
                event.city,
                "" if event.kind in ("webinar", "summit") else event.city,
                event.host_member_id,
            ),
        )
    ]
    wanted = round((event.capacity or 40) * fill)
    chosen = rng.sample(pool, min(wanted, len(pool)))
    closes = min(event.starts_at, now) - timedelta(hours=2)
    opened = closes - timedelta(days=30)
    step = (closes - opened) / (len(chosen) + 1)
    for index, member_id in enumerate(chosen, start=1):
        moment = opened + step * index
        try:
            events.register(db, event.id, member_id, now=moment, source="demo")
        except OmtuiError:
            continue
    regs = events.registrations(db, event.id, status="registered")
    if len(regs) >= 5 and rng.random() < 0.8:  # cancellations promote the waiting list
        for reg in rng.sample(regs, min(2, len(regs))):
            events.cancel_registration(
                db, event.id, reg.member_id, now=closes - timedelta(minutes=30)
            )


def _check_in_past(rng: random.Random, db: Database, event: events.Event) -> None:
    for reg in events.registrations(db, event.id, status="registered"):
        if rng.random() < 0.78:
            events.check_in(
                db, event.id, reg.member_id, now=event.starts_at + timedelta(minutes=10)
            )


def seed(db: Database, *, now: datetime) -> int:
    """Create the demo events, registrations and partners; return how many events."""
    rng = random.Random(SEED)
    made: list[events.Event] = []
    with db.transaction():
        for plan in PLAN:
            fields = _fields(rng, db, plan, now)
            created_at = fields["starts_at"] - timedelta(days=45)
            uid = f"{uuid.UUID(int=rng.getrandbits(128), version=4)}@omtui"
            # Register while the event is still open, then set its final status.
            status = fields.pop("status")
            event = events.create_event(db, fields, now=created_at, uid=uid)
            _register_some(rng, db, event, plan[7], now)
            if event.is_past(now):
                _check_in_past(rng, db, event)
            if status != "planned":
                event = events.update_event(db, event.id, {"status": status}, now=created_at)
            made.append(event)
        _seed_partners(rng, db, made, now)
    return len(made)


def _seed_partners(
    rng: random.Random, db: Database, made: list[events.Event], now: datetime
) -> None:
    created = [
        partners.add_partner(db, {"company": company, "contact": contact, "email": email}, now=now)
        for company, contact, email in PARTNERS
    ]
    for summit in (e for e in made if e.kind == "summit"):
        sponsors = rng.sample(created, 2)
        for partner in created:
            role = "sponsor" if partner in sponsors else "exhibitor"
            partners.link_partner(db, summit.id, partner.id, role)
