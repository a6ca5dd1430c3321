"""The deterministic demo club, shared by `omtui demo`, the tests and the screenshots.

The same seed and `now` always give the same club, so snapshots do not drift.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from omtui.core import demo_events, demo_newsletter, demo_rota, members
from omtui.core.club import set_settings
from omtui.core.db import Database

DEMO_CLUB_NAME = "Club des Office Managers"
"""The demo club's name, as every screenshot shows it."""
DEMO_NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
"""The moment the demo club is built around (tests and screenshots freeze time here)."""

FIRST_NAMES = [
    "Hélène",
    "Élodie",
    "Céline",
    "Amélie",
    "Chloé",
    "Léa",
    "Zoé",
    "Maëlle",
    "Noémie",
    "Agnès",
    "Françoise",
    "Geneviève",
    "Inès",
    "Sophie",
    "Camille",
    "Julie",
    "Claire",
    "Nathalie",
    "Isabelle",
    "Sandrine",
    "Aurélie",
    "Émilie",
    "Mélanie",
    "Valérie",
    "Anaïs",
    "Laëtitia",
    "Océane",
    "Pauline",
    "Manon",
    "Margaux",
    "Sébastien",
    "Jérôme",
    "Frédéric",
    "Stéphane",
    "Grégoire",
    "Benoît",
    "Loïc",
    "Thibault",
    "François",
    "Mathieu",
    "Julien",
    "Nicolas",
    "Antoine",
    "Rémi",
    "Hervé",
    "Karim",
    "Yasmine",
    "Fatima",
    "Nadia",
    "Samira",
    "Mehdi",
    "Aïcha",
    "Thi",
    "Linh",
    "Sarah",
    "Léonie",
    "Bérénice",
    "Josée",
    "Clémence",
    "Adèle",
]
LAST_NAMES = [
    "Dupré",
    "Lefèvre",
    "Martin",
    "Bernard",
    "Dubois",
    "Thomas",
    "Robert",
    "Richard",
    "Petit",
    "Durand",
    "Leroy",
    "Moreau",
    "Simon",
    "Laurent",
    "Lefebvre",
    "Michel",
    "Garcia",
    "David",
    "Bertrand",
    "Roux",
    "Vincent",
    "Fournier",
    "Morel",
    "Girard",
    "André",
    "Mercier",
    "Blanc",
    "Guérin",
    "Boyer",
    "Garnier",
    "Chevalier",
    "François",
    "Legrand",
    "Gauthier",
    "Perrin",
    "Robin",
    "Clément",
    "Morin",
    "Nicolas",
    "Henry",
    "Roussel",
    "Mathieu",
    "Gautier",
    "Masson",
    "Marchand",
    "Duval",
    "Denis",
    "Dumont",
    "Marie",
    "Lemaire",
    "Noël",
    "Meyer",
    "Dufour",
    "Meunier",
    "Brun",
    "Blanchard",
    "Giraud",
    "Joly",
    "Rivière",
    "Lucas",
    "Brunet",
    "Gaillard",
    "Barbier",
    "Arnaud",
    "Martínez",
    "Gérard",
    "Roche",
    "Renard",
    "Schmitt",
    "Roy",
    "Leroux",
    "Colin",
    "Vidal",
    "Caron",
    "Picard",
    "Roger",
    "Fabre",
    "Aubert",
    "Lemoine",
    "Renaud",
    "Dumas",
    "Lacroix",
    "Olivier",
    "Philippe",
    "Bourgeois",
    "Pierre",
    "Benoît",
    "Rey",
    "Leclerc",
    "Payet",
    "Rolland",
    "Leclercq",
    "Guillaume",
    "Lecomte",
    "Lopez",
    "Jean",
    "Dupuy",
    "Guillot",
    "Hubert",
    "Berger",
    "Carpentier",
    "Sánchez",
    "Dupuis",
    "Moulin",
    "Louis",
    "Deschamps",
    "Huet",
    "Vasseur",
    "Perez",
    "Boucher",
    "Fleury",
    "Royer",
    "Klein",
    "Jacquet",
    "Adam",
    "Paris",
    "Poirier",
    "Marty",
    "Aubry",
    "Guyot",
    "Carré",
    "Charles",
    "Renault",
    "Charpentier",
    "Ménard",
    "Maillard",
    "Baron",
    "Bertin",
    "Bailly",
    "Hervé",
    "Schneider",
    "Fernandez",
    "Le",
    "Gall",
    "Collet",
    "Léger",
    "Bouvier",
    "Julien",
    "Prévost",
    "Millet",
    "Perrot",
    "Daniel",
    "Le",
    "Roux",
    "Cousin",
    "Germain",
    "Breton",
    "Besson",
    "Langlois",
    "Rémy",
    "Le",
    "Goff",
    "Pelletier",
    "Lévêque",
    "Perrier",
    "Leblanc",
    "Barré",
    "Lebrun",
    "Marchal",
]
CITIES = (
    ("Paris", 40),
    ("Lyon", 10),
    ("Marseille", 7),
    ("Toulouse", 6),
    ("Bordeaux", 6),
    ("Lille", 6),
    ("Nantes", 6),
    ("Strasbourg", 4),
    ("Rennes", 4),
    ("Montpellier", 4),
    ("Nice", 3),
    ("Grenoble", 2),
    ("Saint-Étienne", 1),
    ("Orléans", 1),
)
COMPANIES = (
    "Atelier Lumière",
    "Cabinet Bérard & Associés",
    "Société Générale d'Études",
    "Éditions du Quai",
    "Boulangeries Réunies",
    "Groupe Océane",
    "Studio Parallèle",
    "Agence Hélios",
    "Lefèvre Architectes",
    "Clinique Saint-Honoré",
    "Banque Populaire du Sud",
    "Cœur de Ville Immobilier",
    "Transports Rivière",
    "Maison Garnier",
    "Numérique & Cie",
    "Laboratoires Ferrand",
    "Assurances Mutuelles de l'Ouest",
    "Fromagerie Chevalier",
    "Cabinet d'avocats Roux",
    "Start-up Nation SAS",
)
JOB_TITLES = (
    "Office Manager",
    "Office Manager",
    "Office Manager",
    "Assistante de direction",
    "Responsable des services généraux",
    "Happiness Manager",
    "Office Manager freelance",
    "Responsable administrative",
)


def _ascii(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if c.isalnum() and not unicodedata.combining(c))


@dataclass(frozen=True)
class DemoSummary:
    members: int
    events: int = 0
    shifts: int = 0
    newsletters: int = 0


def demo_member_rows(count: int, *, seed: int = 42, now: datetime = DEMO_NOW):
    """Yield (fields, subscribed, joined_at) for `count` deterministic French members."""
    rng = random.Random(seed)
    cities = [c for c, _w in CITIES]
    weights = [w for _c, w in CITIES]
    seen: set[str] = set()
    for index in range(count):
        first = rng.choice(FIRST_NAMES)
        last = rng.choice(LAST_NAMES)
        company = rng.choice(COMPANIES)
        domain = _ascii(company)[:18] + ".fr"
        local = f"{_ascii(first)}.{_ascii(last)}"
        email = f"{local}@{domain}"
        if email in seen:
            email = f"{local}{index}@{domain}"
        seen.add(email)
        tags = []
        roll = rng.random()
        if roll < 0.04:
            tags.append("volunteer")
        if rng.random() < 0.15:
            tags.append("freelance")
        if rng.random() < 0.03:
            tags.append("speaker")
        if rng.random() < 0.02:
            tags.append("host")
        fields = {
            "first_name": first,
            "last_name": last,
            "email": email,
            "phone": f"+33 6 {rng.randint(10, 99)} {rng.randint(10, 99)} "
            f"{rng.randint(10, 99)} {rng.randint(10, 99)}",
            "company": company,
            "job_title": rng.choice(JOB_TITLES),
            "city": rng.choices(cities, weights)[0],
            "tags": ",".join(tags),
            "notes": "",
        }
        subscribed = rng.random() > 0.12
        joined_at = now - timedelta(days=rng.randint(1, 6 * 365), minutes=rng.randint(0, 1440))
        yield fields, subscribed, joined_at


def seed_members(db: Database, count: int, *, now: datetime = DEMO_NOW) -> int:
    return members.insert_many(db, demo_member_rows(count, now=now), now=now, source="demo")


def name_the_club(db: Database, name: str = DEMO_CLUB_NAME) -> None:
    """Store the demo club's name with the club (the config's `club_name` overrides it)."""
    set_settings(db, name=name)


def build_demo(db: Database, *, members_count: int = 3000, now: datetime = DEMO_NOW) -> DemoSummary:
    """Fill an empty database with the demo club."""
    name_the_club(db)
    created = seed_members(db, members_count, now=now)
    events = demo_events.seed(db, now=now)
    shifts = demo_rota.seed(db, now=now)
    newsletters = demo_newsletter.seed(db, now=now)
    return DemoSummary(members=created, events=events, shifts=shifts, newsletters=newsletters)
