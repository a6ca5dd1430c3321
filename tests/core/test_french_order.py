"""French alphabetical order (stored sort keys) and œ/æ folding in search (issue 9)."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from omtui.core import events, members, migrations, partners, rota
from omtui.core.db import Database, open_database
from omtui.core.importer import apply_import, export_members, preview_import
from omtui.core.members import MemberFilter
from omtui.core.text import fold, sort_key, sort_key_parts

# (last name, first name) in the order a French reader expects
FRENCH_ORDER = [
    ("", "Zoé"),
    ("Aubert", "Aïcha"),
    ("Aubert", "Amélie"),
    ("Çava", "Jean"),
    ("Cavaillès", "Anne"),
    ("Dupont", "Zoé"),
    ("DUPONT", "Zoë"),
    ("Dupontel", "Albert"),
    ("Eber", "Luc"),
    ("Émilie", "Rose"),
    ("Emilien", "Paul"),
    ("Lefèvre", "Inès"),
    ("Oeuvray", "Marc"),
    ("Œuvray", "Marc"),
    ("Œuvré", "Lise"),
    ("Straße", "Karl"),
    ("Strassen", "Karl"),
    ("Zoé", "Alain"),
]


def test_fold_spells_ligatures_out() -> None:
    assert fold("Cœur de Ville") == "coeur de ville"
    assert fold("ŒUVRAY") == "oeuvray"
    assert fold("Lætitia") == "laetitia"
    assert fold("Straße") == "strasse"
    assert fold("Hélène Çava") == "helene cava"
    assert fold("Jeanne d\u2019Arc-Dupré") == fold("jeanne d'arc-dupre") == "jeanne d'arc-dupre"
    assert fold("Jean\u2011Pierre") == "jean-pierre"


def test_sort_key_orders_like_a_french_reader() -> None:
    shuffled = sorted(FRENCH_ORDER, key=lambda p: (p[1], p[0]), reverse=True)
    assert sorted(shuffled, key=lambda p: sort_key(*p)) == FRENCH_ORDER
    # accents and case are ignored at the first level, the typed text breaks ties
    assert sort_key("Émilie") < sort_key("Emilien")
    assert sort_key("Emilie") < sort_key("Émilie") < sort_key("Emilien")
    assert sort_key("Oeuvray") < sort_key("Œuvray") < sort_key("Oeuvre")
    assert sort_key("Dupont", "Zoé") < sort_key("Dupontel", "Albert")
    assert sort_key_parts(sort_key("Saint-Étienne")) == ["Saint-Étienne"]


@pytest.fixture
def french_db(db: Database, now: datetime) -> Database:
    cities = ["Évry", "Paris", "Œting", "angers", "Lyon", "Aix", "Ézanville", "Çaleçon"]
    companies = ["Zèbre", "éclair", "Alpha", "Œuvre SA", "Orange", "ÉDF", "cœur SARL", "Beta"]
    for i, (last, first) in enumerate(reversed(FRENCH_ORDER)):
        members.add_member(
            db,
            {
                "email": f"m{i}@example.fr",
                "first_name": first,
                "last_name": last,
                "company": companies[i % len(companies)],
                "city": cities[i % len(cities)],
                "tags": "volunteer" if i % 2 else "bénévole",
            },
            now=now,
        )
    return db


def names(found: list[members.Member]) -> list[tuple[str, str]]:
    return [(m.last_name, m.first_name) for m in found]


def test_members_list_in_french_order_every_path(french_db: Database) -> None:
    assert names(members.query_members(french_db, limit=None)) == FRENCH_ORDER
    descending = members.query_members(french_db, descending=True, limit=None)
    assert names(descending) == FRENCH_ORDER[::-1]
    pages = [members.query_members(french_db, limit=5, offset=o) for o in range(0, 20, 5)]
    assert [n for page in pages for n in names(page)] == FRENCH_ORDER
    # the in-memory list (1-2 letter words) and the SQL paths agree on the order
    short = names(members.query_members(french_db, MemberFilter(text="e")))
    assert short == [n for n in FRENCH_ORDER if "e" in fold(" ".join(n) + " m@example.fr")]
    for i, member in enumerate(members.query_members(french_db, limit=None)):
        assert members.position_of(french_db, member.id) == i


def test_companies_cities_and_filter_options_in_french_order(french_db: Database) -> None:
    companies = [m.company for m in members.query_members(french_db, sort="company", limit=None)]
    assert list(dict.fromkeys(companies)) == [
        "Alpha", "Beta", "cœur SARL", "éclair", "ÉDF", "Œuvre SA", "Orange", "Zèbre",
    ]  # fmt: skip
    cities = [m.city for m in members.query_members(french_db, sort="city", limit=None)]
    expected = ["Aix", "angers", "Çaleçon", "Évry", "Ézanville", "Lyon", "Œting", "Paris"]
    assert list(dict.fromkeys(cities)) == expected
    assert members.all_cities(french_db) == expected
    assert members.tag_options(french_db)[:3] == ["bénévole", "board", "freelance"]


def test_sort_keys_follow_edits_and_imports(french_db: Database, now, tmp_path: Path) -> None:
    zoe = members.query_members(french_db, MemberFilter(text="alain"))[0]
    members.update_member(french_db, zoe.id, {"last_name": "Ábel"}, now=now)
    assert names(members.query_members(french_db, limit=2)) == [("", "Zoé"), ("Ábel", "Alain")]
    members.update_member(french_db, zoe.id, {"city": "Zürich", "company": "Ωmega"}, now=now)
    assert members.all_cities(french_db)[-1] == "Zürich"
    last = members.query_members(french_db, sort="company", descending=True, limit=1)[0]
    assert last.id == zoe.id
    csv = tmp_path / "import.csv"
    csv.write_text(
        "email;prénom;nom;ville\n"
        "m0@example.fr;Alain;Zoé;Abbeville\n"  # an update: moves back to the end
        "new@example.fr;Élise;Èbre;Évian\n",  # new: among the E
        encoding="utf-8",
    )
    apply_import(french_db, preview_import(french_db, csv, now=now), now=now)
    order = names(members.query_members(french_db, limit=None))
    assert order[-1] == ("Zoé", "Alain") and order.index(("Èbre", "Élise")) == 9  # after Eber
    assert members.all_cities(french_db)[0] == "Abbeville"
    out = tmp_path / "export.csv"
    export_members(french_db, out)
    lines = out.read_text(encoding="utf-8-sig").splitlines()[1:]
    assert [tuple(line.split(";")[2:0:-1]) for line in lines] == order


def test_big_import_keeps_the_keys(db: Database, now, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(members, "BULK_ROWS", 2)  # the drop-and-rebuild-indexes path
    csv = tmp_path / "import.csv"
    csv.write_text("email;nom\nz@x.fr;Zèle\ne@x.fr;Émile\nc@x.fr;Cœur\n", encoding="utf-8")
    apply_import(db, preview_import(db, csv, now=now), now=now)
    assert [m.last_name for m in members.query_members(db)] == ["Cœur", "Émile", "Zèle"]


def test_guests_registrations_volunteers_and_partners(french_db: Database, now) -> None:
    start = now + timedelta(days=3)
    event = events.create_event(
        french_db,
        {"kind": "lunch", "title": "Déjeuner", "starts_at": start,
         "ends_at": start + timedelta(hours=2), "city": "Lyon"},
        now=now,
    )  # fmt: skip
    everyone = members.query_members(french_db, limit=None)
    for member in reversed(everyone):
        events.register(french_db, event.id, member.id, now=now)
    expected = [f"{f} {last}".strip() for last, f in FRENCH_ORDER]
    assert events.guest_list(french_db, event.id) == expected
    regs = events.registrations(french_db, event.id)
    assert [r.full_name for r in regs] == expected
    volunteers = [(v.last_name, v.first_name) for v in rota.volunteers(french_db)]
    assert volunteers == [n for n in FRENCH_ORDER if n in volunteers]
    assert len(volunteers) == 9
    for company in ("Zèbre", "éclair", "Alpha", "Œuvre", "Orange"):
        partner = partners.add_partner(french_db, {"company": company}, now=now)
        partners.link_partner(french_db, event.id, partner.id, "exhibitor")
    order = ["Alpha", "éclair", "Œuvre", "Orange", "Zèbre"]
    assert [p.company for p in partners.list_partners(french_db)] == order
    assert [p.partner.company for p in partners.event_partners(french_db, event.id)] == order


def test_search_folds_oe_and_ae_both_ways(db: Database, now) -> None:
    coeur = members.add_member(
        db, {"email": "c@x.fr", "last_name": "Martin", "company": "Cœur de Ville"}, now=now
    )
    oeuvray = members.add_member(db, {"email": "o@x.fr", "last_name": "Œuvray"}, now=now)
    laetitia = members.add_member(db, {"email": "l@x.fr", "first_name": "Laetitia"}, now=now)
    for text, member in (
        ("coeur", coeur), ("Cœur", coeur), ("COEUR DE", coeur), ("oeuvray", oeuvray),
        ("Œuvray", oeuvray), ("oe", oeuvray), ("Lætitia", laetitia), ("æ", laetitia),
    ):  # fmt: skip
        found = members.query_members(db, MemberFilter(text=text))
        if text in ("oe",):
            assert member.id in [m.id for m in found], text
            continue
        assert [m.id for m in found] == [member.id], text
        assert members.count_members(db, MemberFilter(text=text)) == 1, text
    tagged = MemberFilter(text="coeur", subscribed=True)  # the in-memory list path
    assert [m.id for m in members.query_members(db, tagged)] == [coeur.id]


def test_migration_backfills_keys_and_refolds_search(tmp_path: Path) -> None:
    """A database made before _007_sort_keys gets its keys, indexes and œ search text."""
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    before = migrations.STEPS.index(migrations._007_sort_keys)
    for number, func in enumerate(migrations.STEPS[:before], start=1):
        conn.execute("BEGIN")
        func(conn)
        conn.execute(f"PRAGMA user_version = {number}")
        conn.execute("COMMIT")
    stamp = "2026-01-01T00:00:00+00:00"
    for i, (last, company, search) in enumerate(
        [("Zola", "Cœur de Ville", "zola cœur de ville"), ("Émery", "Alpha", "emery alpha")]
    ):
        columns = [c[1] for c in conn.execute("PRAGMA table_info(members)")]
        row = {
            "last_name": last, "company": company, "email": f"{i}@x.fr", "search": search,
            "joined_at": stamp, "unsubscribe_token": f"t{i}", "created_at": stamp,
            "updated_at": stamp,
        }  # fmt: skip
        row = {k: v for k, v in row.items() if k in columns}
        conn.execute(
            f"INSERT INTO members ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
            tuple(row.values()),
        )
        members_id = conn.execute("SELECT max(id) FROM members").fetchone()[0]
        conn.execute("INSERT INTO members_fts(rowid, search) VALUES (?, ?)", (members_id, search))
    conn.close()
    db = open_database(path)
    try:
        assert [m.last_name for m in members.query_members(db)] == ["Émery", "Zola"]
        assert [m.last_name for m in members.query_members(db, MemberFilter(text="coeur"))] == [
            "Zola"
        ]
        assert members.count_members(db, MemberFilter(text="cœur")) == 1
        indexes = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='index'")}
        assert {"members_live_name_key", "members_live_company_key", "members_live_city_key"} <= (
            indexes
        )
        plan = " ".join(
            str(r[-1])
            for r in db.execute(
                "EXPLAIN QUERY PLAN SELECT * FROM members WHERE archived_at IS NULL "
                "ORDER BY name_key, id LIMIT 10"
            )
        )
        assert "members_live_name_key" in plan and "TEMP B-TREE" not in plan
    finally:
        db.close()
