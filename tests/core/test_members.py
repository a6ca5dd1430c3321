"""Members core: search (case, accents, FTS and scan paths), counts, consent history, emails."""

from __future__ import annotations

from datetime import timedelta

import pytest
from email_validator import EmailNotValidError, validate_email

from omtui.core import members
from omtui.core.db import Database
from omtui.core.demo import build_demo
from omtui.core.members import MemberFilter
from omtui.errors import NotFound, ValidationError


@pytest.fixture
def demo_db(db: Database, now) -> Database:
    build_demo(db, members_count=300, now=now)
    return db


def emails(found: list[members.Member]) -> set[str]:
    return {m.email for m in found}


def test_search_ignores_case_and_accents(db: Database, now) -> None:
    helene = members.add_member(
        db, {"email": "h@example.com", "first_name": "Hélène", "last_name": "Dupré"}, now=now
    )
    members.add_member(db, {"email": "x@example.com", "first_name": "Xavier"}, now=now)
    for text in ("helene", "HELENE", "Hélène", "hélè", "lène", "dupre hel", "he", "DÛ"):
        found = members.query_members(db, MemberFilter(text=text))
        assert [m.id for m in found] == [helene.id], text
        assert members.count_members(db, MemberFilter(text=text)) == 1, text
    assert members.query_members(db, MemberFilter(text="helene zzz")) == []
    assert members.count_members(db, MemberFilter(text="zzz")) == 0


@pytest.mark.parametrize(
    "text", ["", "a", "le", "par", "paris", "helene", "e-mail", "lyon free", "vo", "zzzq", '"x']
)
def test_count_matches_query_on_every_path(demo_db: Database, text: str) -> None:
    for filt in (
        MemberFilter(text=text),
        MemberFilter(text=text, city="Paris"),
        MemberFilter(text=text, tag="freelance"),
        MemberFilter(text=text, subscribed=False),
        MemberFilter(text=text, include_archived=True),
    ):
        everyone = members.query_members(demo_db, filt, limit=None)
        assert members.count_members(demo_db, filt) == len(everyone), filt
        folded = [w for w in members.fold(text).split()]
        for member in everyone:
            assert all(w in members.search_text(member.as_dict() | {"tags": ",".join(member.tags)})
                       for w in folded)  # fmt: skip


def test_common_term_scans_in_order_with_the_same_page(
    demo_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    filt = MemberFilter(text="paris")
    by_index = members.query_members(demo_db, filt, limit=20)
    monkeypatch.setattr(members, "COMMON_HITS", 5)  # force the in-order scan path
    assert members.query_members(demo_db, filt, limit=20) == by_index
    assert len(by_index) == 20


def test_search_index_follows_edits_archive_and_restore(db: Database, now) -> None:
    member = members.add_member(db, {"email": "a@example.com", "last_name": "Martin"}, now=now)
    members.update_member(db, member.id, {"last_name": "Lefèvre"}, now=now)
    assert members.count_members(db, MemberFilter(text="martin")) == 0
    assert members.count_members(db, MemberFilter(text="lefevre")) == 1
    members.update_member(db, member.id, {"phone": "0601"}, now=now)  # search unchanged
    assert members.count_members(db, MemberFilter(text="lefevre")) == 1
    members.archive_member(db, member.id, now=now)
    assert members.count_members(db, MemberFilter(text="lefevre")) == 0
    assert members.query_members(db, MemberFilter(text="lefevre")) == []
    archived = MemberFilter(text="lefevre", include_archived=True)
    assert [m.id for m in members.query_members(db, archived)] == [member.id]
    members.restore_member(db, member.id, now=now)
    assert members.count_members(db, MemberFilter(text="lefevre")) == 1
    db.execute("DELETE FROM members WHERE id = ?", (member.id,))
    assert db.scalar("SELECT count(*) FROM members_fts WHERE members_fts MATCH 'lefevre'") == 0


def test_fts_index_is_consistent(demo_db: Database) -> None:
    demo_db.execute("INSERT INTO members_fts(members_fts, rank) VALUES ('integrity-check', 1)")


def test_consent_is_appended_never_rewritten(db: Database, now) -> None:
    member = members.add_member(db, {"email": "a@example.com"}, now=now, source="form")
    assert members.set_subscription(db, member.id, False, now=now + timedelta(1), source="cli")
    assert not members.set_subscription(db, member.id, False, now=now, source="cli")
    first = members.consent_history(db, member.id)
    members.set_subscription(db, member.id, True, now=now + timedelta(2), source="import:x.csv")
    members.archive_member(db, member.id, now=now + timedelta(3))
    history = members.consent_history(db, member.id)
    assert history[: len(first)] == first
    assert [(e.subscribed, e.source) for e in history] == [
        (True, "form"),
        (False, "cli"),
        (True, "import:x.csv"),
        (False, "archived"),
    ]
    restored = members.restore_member(db, member.id, now=now + timedelta(4))
    assert restored.archived_at is None and not restored.subscribed


def test_unsubscribe_email_is_case_insensitive_and_reports_unknown(db: Database, now) -> None:
    members.add_member(db, {"email": "Anna@example.com"}, now=now)
    assert not members.unsubscribe_email(db, "ANNA@EXAMPLE.COM", now=now).subscribed
    with pytest.raises(NotFound, match=r"nobody@example\.com"):
        members.unsubscribe_email(db, "nobody@example.com", now=now)


def test_insert_many_normalises_and_indexes(db: Database, now) -> None:
    rows = [({"email": f"m{i}@example.com", "first_name": "Zoé", "tags": "b,a"}, i % 2 == 0, now)
            for i in range(10)]  # fmt: skip
    assert members.insert_many(db, rows, now=now, source="demo") == 10
    assert members.count_members(db, MemberFilter(text="zoe")) == 10
    assert members.count_members(db, MemberFilter(subscribed=True)) == 5
    assert {m.tags for m in members.query_members(db)} == {("a", "b")}
    assert db.scalar("SELECT count(*) FROM consent_events WHERE source = 'demo'") == 10


ADDRESSES = [
    "plain@example.com",
    "First.Last@Example.COM",
    "o'brien+tag@example.co.uk",
    "a@b.fr",
    "x@cœurdeville.fr",
    "x@XN--CURDEVILLE-RIB.FR",
    "élodie@example.fr",
    "no-at-sign.example.com",
    "two@@example.com",
    "a@b@example.com",
    ".lead@example.com",
    "trail.@example.com",
    "dou..ble@example.com",
    "space in@example.com",
    "a@localhost",
    "a@example",
    "a@example.test",
    "a@-bad.example.com",
    "a@bad-.example.com",
    "a@exa_mple.com",
    "a@example..com",
    "a@123.456",
    "a@[127.0.0.1]",
    '"quoted"@example.com',
    "x" * 64 + "@example.com",
    "x" * 65 + "@example.com",
    "a@" + "b" * 64 + ".com",
    "a@" + ".".join(["abcdefghij"] * 25) + ".com",
    "a@example.com.",
    "a@ex\u200bample.com",
    "tab\t@example.com",
]


@pytest.mark.parametrize("address", ADDRESSES)
def test_fast_email_path_agrees_with_email_validator(address: str) -> None:
    try:
        expected = validate_email(address, check_deliverability=False).normalized
    except EmailNotValidError:
        expected = None
    fast = members._fast_normalise(address)
    assert fast is None or fast == expected  # the fast path never accepts a bad address
    try:
        got = members.normalise_email(address)
    except ValidationError:
        got = None
    assert got == expected


def test_duplicate_email_names_the_member(db: Database, now) -> None:
    members.add_member(db, {"email": "a@example.com", "first_name": "Anna"}, now=now)
    with pytest.raises(ValidationError, match="Anna"):
        members.add_member(db, {"email": "A@EXAMPLE.com"}, now=now)


def test_short_terms_match_an_sql_scan(demo_db: Database) -> None:
    for text in ("a", "le", "e z", "zq"):
        words = members.fold(text).split()
        where = " AND ".join("instr(search, ?) > 0" for _ in words)
        expected = demo_db.query(
            f"SELECT id FROM members WHERE archived_at IS NULL AND {where} "
            "ORDER BY name_key, id LIMIT 50 OFFSET 5",  # French alphabetical order
            tuple(words),
        )
        page = members.query_members(demo_db, MemberFilter(text=text), limit=50, offset=5)
        assert [m.id for m in page] == [r["id"] for r in expected], text
        total = demo_db.scalar(
            f"SELECT count(*) FROM members WHERE archived_at IS NULL AND {where}", tuple(words)
        )
        assert members.count_members(demo_db, MemberFilter(text=text)) == total, text


def test_short_terms_see_changes_from_this_and_other_connections(
    db: Database, db_path, now
) -> None:
    assert members.count_members(db, MemberFilter(text="qj")) == 0
    members.add_member(db, {"email": "qj@example.com"}, now=now)
    assert members.count_members(db, MemberFilter(text="qj")) == 1
    other = Database(db_path)
    try:
        members.add_member(other, {"email": "qjx@example.com"}, now=now)
    finally:
        other.close()
    assert members.count_members(db, MemberFilter(text="qj")) == 2
    assert len(members.query_members(db, MemberFilter(text="QJ"))) == 2


def test_short_terms_right_after_a_write_do_not_rebuild_the_name_list(
    demo_db: Database, db_path, now
) -> None:
    """Issue 10: the first 1-2 letter keystroke after a write scans the name index in
    SQLite instead of reading every member back into Python; same pages, same counts."""
    texts = ("a", "le", "e z", "zq", "zq le")
    other = Database(db_path)
    try:
        members.add_member(
            other, {"email": "zqa@example.com", "first_name": "Zqa", "last_name": "Lebrun"},
            now=now,
        )  # fmt: skip
    finally:
        other.close()
    assert not members._live_list_is_fresh(demo_db)

    def answers() -> dict[str, tuple[list[int], int]]:
        return {
            text: (
                [m.id for m in members.query_members(demo_db, MemberFilter(text=text), limit=40)],
                members.count_members(demo_db, MemberFilter(text=text)),
            )
            for text in texts
        }

    scanned = answers()
    assert not members._live_list_is_fresh(demo_db), "no rebuild for text-only filters"
    assert scanned["zq le"][1] == 1
    members._live_list(demo_db)  # a filter mixed with a tag or city builds it
    assert members._live_list_is_fresh(demo_db)
    assert answers() == scanned


@pytest.mark.parametrize("sort", sorted(members.SORTABLE))
@pytest.mark.parametrize("descending", [False, True])
def test_every_sort_gives_the_same_page_on_every_path(
    demo_db: Database, monkeypatch: pytest.MonkeyPatch, sort: str, descending: bool
) -> None:
    filt = MemberFilter(text="par")
    by_index = members.query_members(demo_db, filt, sort=sort, descending=descending, limit=30)
    everyone = members.query_members(demo_db, filt, sort=sort, descending=descending, limit=None)
    assert by_index == everyone[:30]
    monkeypatch.setattr(members, "COMMON_HITS", 1)
    scanned = members.query_members(demo_db, filt, sort=sort, descending=descending, limit=30)
    assert scanned == by_index
    full = members.query_members(demo_db, sort=sort, descending=descending, limit=None)
    ids = [m.id for m in full]
    assert len(ids) == len(set(ids)) == members.count_members(demo_db)


@pytest.mark.parametrize(
    "filt",
    [
        MemberFilter(text="le", city="paris"),
        MemberFilter(text="par", tag="freelance"),
        MemberFilter(text="e", subscribed=False),
        MemberFilter(tag="volunteer"),
        MemberFilter(city="LYON"),
        MemberFilter(subscribed=True, text="dupre"),
    ],
)
def test_in_memory_pages_match_sql(demo_db: Database, filt: MemberFilter) -> None:
    assert members._use_live_list(filt)
    everyone = members.query_members(demo_db, filt, limit=None)  # SQL
    assert everyone, filt
    assert members.query_members(demo_db, filt, limit=7, offset=3) == everyone[3:10]
    assert members.count_members(demo_db, filt) == len(everyone)


@pytest.mark.parametrize(
    ("filt", "sort", "descending"),
    [
        (MemberFilter(), "name", False),
        (MemberFilter(text="paris"), "city", True),
        (MemberFilter(tag="volunteer"), "joined", False),
    ],
)
def test_position_of_is_the_row_in_the_list(
    demo_db: Database, now, filt: MemberFilter, sort: str, descending: bool
) -> None:
    everyone = members.query_members(demo_db, filt, sort=sort, descending=descending, limit=None)
    assert len(everyone) > 3
    for row in (0, len(everyone) // 2, len(everyone) - 1):
        member_id = everyone[row].id
        assert (
            members.position_of(demo_db, member_id, filt, sort=sort, descending=descending) == row
        )
    outside = members.query_members(demo_db, MemberFilter(text="zzzz-nobody"), limit=None)
    assert outside == []
    archived = members.archive_member(demo_db, everyone[0].id, now=everyone[0].joined_at)
    assert members.position_of(demo_db, archived.id, filt, sort=sort) is None


def test_apply_twice_changes_nothing_the_second_time(db: Database, tmp_path, now) -> None:
    from omtui.core.importer import apply_import, preview_import

    path = tmp_path / "m.csv"
    path.write_bytes(b"email,newsletter\r\na@example.com,non\r\n")
    preview = preview_import(db, path, now=now)
    assert apply_import(db, preview, now=now).counts["new"] == 1
    assert apply_import(db, preview, now=now).counts == {
        "new": 0, "updated": 0, "unchanged": 1, "rejected": 0,
    }  # fmt: skip
    assert db.scalar("SELECT count(*) FROM consent_events") == 1
