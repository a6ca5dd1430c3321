"""Forward-only schema migrations, one registered function per step.

`PRAGMA user_version` holds the number of steps applied. Each step runs in its own
transaction together with the version bump, so a crash leaves the previous version intact.
A step, once released, is never edited: add a new one (use sqlite-utils' `table.transform()`
for what ALTER TABLE cannot do).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

APPLICATION_ID = 0x4F4D5455
"""`PRAGMA application_id` of every omtui database: "OMTU" in the file header."""

Step = Callable[[sqlite3.Connection], None]
STEPS: list[Step] = []


def run_script(conn: sqlite3.Connection, script: str) -> None:
    """Run several statements inside the caller's transaction.

    `executescript()` would COMMIT first, breaking the one-transaction-per-step rule.
    """
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            conn.execute(buffer)
            buffer = ""
    if buffer.strip():
        raise ValueError(f"incomplete SQL statement in migration: {buffer!r}")


def step(func: Step) -> Step:
    """Register `func` as the next migration step."""
    STEPS.append(func)
    return func


# ---------------------------------------------------------------------------------------
# Step 1: members and their consent history (owned by core/members.py)
# ---------------------------------------------------------------------------------------
@step
def _001_members(conn: sqlite3.Connection) -> None:
    run_script(
        conn,
        """
        CREATE TABLE members (
            id INTEGER PRIMARY KEY,
            first_name TEXT NOT NULL DEFAULT '',
            last_name TEXT NOT NULL DEFAULT '',
            email TEXT NOT NULL COLLATE NOCASE,
            phone TEXT NOT NULL DEFAULT '',
            company TEXT NOT NULL DEFAULT '',
            job_title TEXT NOT NULL DEFAULT '',
            city TEXT NOT NULL DEFAULT '',
            tags TEXT NOT NULL DEFAULT '',
            subscribed INTEGER NOT NULL DEFAULT 0,
            joined_at TEXT NOT NULL,
            notes TEXT NOT NULL DEFAULT '',
            unsubscribe_token TEXT NOT NULL,
            search TEXT NOT NULL DEFAULT '',
            archived_at TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE UNIQUE INDEX members_email ON members(email COLLATE NOCASE);
        -- A named index, not a column constraint, so a bulk import can rebuild it once.
        CREATE UNIQUE INDEX members_token ON members(unsubscribe_token);
        CREATE INDEX members_city ON members(city COLLATE NOCASE);
        -- Live members in name order with their folded search text: the default page and
        -- substring scans read this index alone, without a table lookup per row.
        CREATE INDEX members_live_name ON members(
            last_name COLLATE NOCASE, first_name COLLATE NOCASE, id, search
        ) WHERE archived_at IS NULL;
        CREATE INDEX members_joined ON members(joined_at);
        CREATE INDEX members_live_subscribed ON members(subscribed, id) WHERE archived_at IS NULL;
        CREATE INDEX members_live_tags ON members(tags, id) WHERE archived_at IS NULL;
        CREATE INDEX members_company ON members(company COLLATE NOCASE);
        CREATE INDEX members_archived ON members(archived_at) WHERE archived_at IS NOT NULL;
        CREATE TABLE consent_events (
            id INTEGER PRIMARY KEY,
            member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
            subscribed INTEGER NOT NULL,
            at TEXT NOT NULL,
            source TEXT NOT NULL,
            detail TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX consent_events_member ON consent_events(member_id, id);
        -- Type-to-filter index: trigram FTS5 over the pre-folded `search` column of members
        -- not archived (SQLite 3.40's trigram has no remove_diacritics, hence the folding).
        -- Inserts are indexed by members.index_new_members() in one statement, not by a
        -- trigger: FTS5 flushes at every trigger's savepoint, 10x slower for a bulk import.
        -- Updates and deletes keep the index right through the triggers below.
        CREATE VIRTUAL TABLE members_fts USING fts5(
            search, content='members', content_rowid='id', tokenize='trigram', columnsize=0
        );
        -- Build big batches in memory (up to 32 MiB) before writing index segments.
        INSERT INTO members_fts(members_fts, rank) VALUES ('hashsize', 33554432);
        CREATE TRIGGER members_fts_delete AFTER DELETE ON members
        WHEN old.archived_at IS NULL BEGIN
            INSERT INTO members_fts(members_fts, rowid, search)
                VALUES ('delete', old.id, old.search);
        END;
        CREATE TRIGGER members_fts_unindex AFTER UPDATE OF search, archived_at ON members
        WHEN old.archived_at IS NULL BEGIN
            INSERT INTO members_fts(members_fts, rowid, search)
                VALUES ('delete', old.id, old.search);
        END;
        CREATE TRIGGER members_fts_reindex AFTER UPDATE OF search, archived_at ON members
        WHEN new.archived_at IS NULL BEGIN
            INSERT INTO members_fts(rowid, search) VALUES (new.id, new.search);
        END;
        """,
    )


# ---------------------------------------------------------------------------------------
# Step 2: events, registrations, partners, rota (owned by core/events.py, core/rota.py)
# ---------------------------------------------------------------------------------------
@step
def _002_events_and_rota(conn: sqlite3.Connection) -> None:
    run_script(
        conn,
        """
        CREATE TABLE events (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL CHECK (kind IN ('meetup', 'webinar', 'lunch', 'summit')),
            title TEXT NOT NULL,
            starts_at TEXT NOT NULL,
            ends_at TEXT NOT NULL,
            city TEXT NOT NULL DEFAULT '',
            host_member_id INTEGER REFERENCES members(id) ON DELETE SET NULL,
            host_company TEXT NOT NULL DEFAULT '',
            address TEXT NOT NULL DEFAULT '',
            online_url TEXT NOT NULL DEFAULT '',
            capacity INTEGER,
            room_capacity INTEGER,
            access_notes TEXT NOT NULL DEFAULT '',
            description TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL DEFAULT 'planned'
                CHECK (status IN ('planned', 'confirmed', 'cancelled')),
            uid TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX events_starts ON events(starts_at);
        CREATE TABLE registrations (
            id INTEGER PRIMARY KEY,
            event_id INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
            member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
            status TEXT NOT NULL CHECK (status IN ('registered', 'waiting', 'cancelled')),
            registered_at TEXT NOT NULL,
            promoted_at TEXT,
            cancelled_at TEXT,
            attended_at TEXT,
            source TEXT NOT NULL DEFAULT '',
            UNIQUE (event_id, member_id)
        );
        CREATE INDEX registrations_event ON registrations(event_id, status, id);
        CREATE INDEX registrations_member ON registrations(member_id);
        CREATE TABLE partners (
            id INTEGER PRIMARY KEY,
            company TEXT NOT NULL,
            contact TEXT NOT NULL DEFAULT '',
            email TEXT NOT NULL DEFAULT '',
            notes TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL
        );
        CREATE TABLE event_partners (
            event_id INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
            partner_id INTEGER NOT NULL REFERENCES partners(id) ON DELETE CASCADE,
            role TEXT NOT NULL CHECK (role IN ('exhibitor', 'sponsor')),
            PRIMARY KEY (event_id, partner_id, role)
        );
        CREATE TABLE shifts (
            id INTEGER PRIMARY KEY,
            event_id INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
            role TEXT NOT NULL,
            starts_at TEXT NOT NULL,
            ends_at TEXT NOT NULL,
            needed INTEGER NOT NULL DEFAULT 1 CHECK (needed >= 1),
            notes TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX shifts_event ON shifts(event_id, starts_at);
        CREATE INDEX shifts_starts ON shifts(starts_at);
        CREATE TABLE shift_assignments (
            id INTEGER PRIMARY KEY,
            shift_id INTEGER NOT NULL REFERENCES shifts(id) ON DELETE CASCADE,
            member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
            assigned_at TEXT NOT NULL,
            assigned_by TEXT NOT NULL DEFAULT '',
            dropped_at TEXT,
            drop_reason TEXT NOT NULL DEFAULT ''
        );
        CREATE UNIQUE INDEX shift_assignments_active
            ON shift_assignments(shift_id, member_id) WHERE dropped_at IS NULL;
        CREATE INDEX shift_assignments_member ON shift_assignments(member_id);
        """,
    )


# ---------------------------------------------------------------------------------------
# Step 3: newsletters and the per-recipient outbox (owned by core/newsletter.py, outbox.py)
# ---------------------------------------------------------------------------------------
@step
def _003_newsletter(conn: sqlite3.Connection) -> None:
    run_script(
        conn,
        """
        CREATE TABLE newsletters (
            id INTEGER PRIMARY KEY,
            subject TEXT NOT NULL DEFAULT '',
            body TEXT NOT NULL DEFAULT '',
            audience_tags TEXT NOT NULL DEFAULT '',
            audience_city TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL DEFAULT 'draft'
                CHECK (status IN ('draft', 'sending', 'paused', 'sent', 'cancelled')),
            duplicated_from INTEGER REFERENCES newsletters(id) ON DELETE SET NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            send_started_at TEXT,
            sent_at TEXT,
            pause_reason TEXT NOT NULL DEFAULT '',
            events_block TEXT NOT NULL DEFAULT ''
        );
        CREATE TABLE outbox (
            id INTEGER PRIMARY KEY,
            newsletter_id INTEGER NOT NULL REFERENCES newsletters(id) ON DELETE CASCADE,
            member_id INTEGER REFERENCES members(id) ON DELETE SET NULL,
            email TEXT NOT NULL,
            first_name TEXT NOT NULL DEFAULT '',
            last_name TEXT NOT NULL DEFAULT '',
            city TEXT NOT NULL DEFAULT '',
            token TEXT NOT NULL DEFAULT '',
            state TEXT NOT NULL DEFAULT 'queued'
                CHECK (state IN ('queued', 'sending', 'sent', 'failed', 'uncertain')),
            attempts INTEGER NOT NULL DEFAULT 0,
            reply TEXT NOT NULL DEFAULT '',
            message_id TEXT NOT NULL DEFAULT '',
            updated_at TEXT NOT NULL,
            sent_at TEXT
        );
        CREATE UNIQUE INDEX outbox_recipient ON outbox(newsletter_id, email COLLATE NOCASE);
        CREATE INDEX outbox_state ON outbox(newsletter_id, state);
        """,
    )


# ---------------------------------------------------------------------------------------
# Step 4: mark the file as omtui's (owned by core/db.py), so a file of another application
# is recognised and refused before anything is written to it.
# ---------------------------------------------------------------------------------------
@step
def _004_application_id(conn: sqlite3.Connection) -> None:
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")


# ---------------------------------------------------------------------------------------
# Step 5: one email key compared everywhere (owned by core/members.py)
# ---------------------------------------------------------------------------------------
@step
def _005_email_key(conn: sqlite3.Connection) -> None:
    """members.email_key: the address case-folded (Unicode) and in NFC, unique.

    SQLite's NOCASE folds ASCII only, so "ÉLISE@x" and "élise@x" may both be stored. Such
    pairs are kept (never merged silently): every member but the first of a pair gets
    email_twin = its id, so the unique index (email_key, email_twin) holds, and
    members.duplicate_emails() lists them for the organiser to merge.
    """
    from omtui.core.members import email_key

    conn.execute("ALTER TABLE members ADD COLUMN email_key TEXT")
    conn.execute("ALTER TABLE members ADD COLUMN email_twin INTEGER NOT NULL DEFAULT 0")
    seen: set[str] = set()
    keys = []
    for member_id, email in conn.execute("SELECT id, email FROM members ORDER BY id"):
        key = email_key(email)
        keys.append((key, member_id if key in seen else 0, member_id))
        seen.add(key)
    conn.executemany("UPDATE members SET email_key = ?, email_twin = ? WHERE id = ?", keys)
    conn.execute("CREATE UNIQUE INDEX members_email_key ON members(email_key, email_twin)")
    conn.execute("CREATE INDEX members_email_twins ON members(email_key) WHERE email_twin != 0")


# ---------------------------------------------------------------------------------------
# Step 6: what happened to each message (owned by core/outbox.py, core/send_lease.py)
# ---------------------------------------------------------------------------------------
@step
def _006_outbox_delivery(conn: sqlite3.Connection) -> None:
    run_script(
        conn,
        """
        -- Set just before a row's DATA command: only such rows can have reached the server.
        ALTER TABLE outbox ADD COLUMN transmit_at TEXT;
        -- A failed row's kind: 'temporary' (4xx, connection), 'permanent' (5xx), 'unsubscribed'.
        ALTER TABLE outbox ADD COLUMN fail_kind TEXT NOT NULL DEFAULT '';
        UPDATE outbox SET fail_kind = CASE
            WHEN reply LIKE 'not sent: the member unsubscribed%' THEN 'unsubscribed'
            WHEN reply GLOB '5[0-9][0-9]*' THEN 'permanent'
            ELSE 'temporary' END
        WHERE state = 'failed';
        -- Rows in flight before this step: whether their DATA started is unknown.
        UPDATE outbox SET transmit_at = updated_at WHERE state = 'sending';
        -- One sender per newsletter: a lease renewed every few seconds by the process
        -- sending it, taken over when not renewed for 30 s. Live leases also share the
        -- club's rate between concurrent senders.
        CREATE TABLE send_leases (
            newsletter_id INTEGER PRIMARY KEY REFERENCES newsletters(id) ON DELETE CASCADE,
            holder TEXT NOT NULL,
            renewed_at REAL NOT NULL
        );
        """,
    )


# ---------------------------------------------------------------------------------------
# Step 7: French alphabetical order and œ/æ in search (owned by core/members.py, text.py)
# ---------------------------------------------------------------------------------------
@step
def _007_sort_keys(conn: sqlite3.Connection) -> None:
    """Stored sort keys (text.sort_key) for names, companies and cities, so lists sort in
    French alphabetical order through plain indexes; and the search text refolded, now
    that fold() spells œ as oe (the FTS index follows through its update triggers)."""
    from omtui.core.text import fold, sort_key

    for column in ("name_key", "company_key", "city_key"):
        conn.execute(f"ALTER TABLE members ADD COLUMN {column} TEXT NOT NULL DEFAULT ''")
    rows = conn.execute(
        "SELECT id, last_name, first_name, company, city, search FROM members"
    ).fetchall()
    conn.executemany(
        "UPDATE members SET name_key = ?, company_key = ?, city_key = ? WHERE id = ?",
        ((sort_key(r[1], r[2]), sort_key(r[3]), sort_key(r[4]), r[0]) for r in rows),
    )
    # fold() of the old folded text is the new folded text; only changed rows are
    # written, so the search index is touched for them alone.
    conn.executemany(
        "UPDATE members SET search = ? WHERE id = ?",
        [(fold(r[5]), r[0]) for r in rows if not r[5].isascii() and fold(r[5]) != r[5]],
    )
    run_script(
        conn,
        """
        DROP INDEX members_live_name;
        DROP INDEX members_company;
        -- Live members in name order with their folded search text (see _001_members).
        CREATE INDEX members_live_name_key ON members(name_key, id, search)
            WHERE archived_at IS NULL;
        -- Partial like the name index: a deep page (OFFSET 50000) steps through the index
        -- alone, with no table lookup per skipped row to test archived_at.
        CREATE INDEX members_live_company_key ON members(company_key)
            WHERE archived_at IS NULL;
        CREATE INDEX members_live_city_key ON members(city_key) WHERE archived_at IS NULL;
        """,
    )


# ---------------------------------------------------------------------------------------
# Step 8: the club's own settings, one row (owned by core/club.py)
# ---------------------------------------------------------------------------------------
@step
def _008_club_settings(conn: sqlite3.Connection) -> None:
    """The club's name and language, kept with its data (French for a new club)."""
    run_script(
        conn,
        """
        CREATE TABLE club_settings (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            name TEXT NOT NULL DEFAULT '',
            language TEXT NOT NULL DEFAULT 'fr' CHECK (language IN ('fr', 'en'))
        );
        INSERT INTO club_settings (id, name, language) VALUES (1, '', 'fr');
        """,
    )


# ---------------------------------------------------------------------------------------
# Step 9: the language a newsletter is written in for its members (core/newsletter.py)
# ---------------------------------------------------------------------------------------
@step
def _009_newsletter_language(conn: sqlite3.Connection) -> None:
    # Frozen when a send starts; '' for a draft. Sends started before this step wrote their
    # footer and events in English: a resumed one carries on in English.
    run_script(
        conn,
        """
        ALTER TABLE newsletters ADD COLUMN language TEXT NOT NULL DEFAULT '';
        UPDATE newsletters SET language = 'en' WHERE status != 'draft';
        """,
    )


# ---------------------------------------------------------------------------------------
# Step 10: what each cron job did last (owned by core/runs.py)
# ---------------------------------------------------------------------------------------
@step
def _010_automation_runs(conn: sqlite3.Connection) -> None:
    run_script(
        conn,
        """
        CREATE TABLE automation_runs (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            started_at TEXT NOT NULL,
            finished_at TEXT NOT NULL,
            ok INTEGER NOT NULL,
            detail TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX automation_runs_kind ON automation_runs(kind, id);
        """,
    )


# ---------------------------------------------------------------------------------------
# Step 11: reminders sent by `omtui remind`, and consent purposes (owned by
# core/mail/reminders.py; the `purpose` column by core/members.py)
# ---------------------------------------------------------------------------------------
@step
def _011_reminders(conn: sqlite3.Connection) -> None:
    """One row per reminder ever due (kind, member, event or shift, lead): the unique key
    makes each go out at most once. States as in the outbox, plus `skipped` (too late)."""
    run_script(
        conn,
        """
        CREATE TABLE reminders (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
            event_id INTEGER REFERENCES events(id) ON DELETE CASCADE,
            shift_id INTEGER REFERENCES shifts(id) ON DELETE CASCADE,
            lead TEXT NOT NULL,
            email TEXT NOT NULL,
            due_at TEXT NOT NULL,
            detail TEXT NOT NULL DEFAULT '',
            state TEXT NOT NULL DEFAULT 'queued' CHECK (state IN
                ('queued', 'sending', 'sent', 'failed', 'uncertain', 'skipped')),
            attempts INTEGER NOT NULL DEFAULT 0,
            reply TEXT NOT NULL DEFAULT '',
            message_id TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            transmit_at TEXT,
            sent_at TEXT
        );
        CREATE UNIQUE INDEX reminders_key ON reminders(
            kind, member_id, COALESCE(shift_id, 0), COALESCE(event_id, 0), lead
        );
        CREATE INDEX reminders_state ON reminders(state, due_at);
        CREATE INDEX reminders_event ON reminders(event_id);
        CREATE INDEX reminders_shift ON reminders(shift_id);
        CREATE TABLE reminder_lease (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            holder TEXT NOT NULL,
            renewed_at REAL NOT NULL
        );
        CREATE TABLE reminder_watch (
            event_id INTEGER PRIMARY KEY REFERENCES events(id) ON DELETE CASCADE,
            fields TEXT NOT NULL
        );
        ALTER TABLE consent_events ADD COLUMN purpose TEXT NOT NULL DEFAULT 'newsletter';
        CREATE INDEX consent_events_purpose ON consent_events(member_id, purpose, id);
        """,
    )


# Step 12: what comes back to the club's mailbox (owned by core/mail/bounces.py, mailbox.py)
# ---------------------------------------------------------------------------------------
@step
def _012_mailbox(conn: sqlite3.Connection) -> None:
    """Address states (ok, bounced, held) with the failures that set them; every message
    read from the mailbox (its kind, the reason, the raw bytes of what needs a person);
    the last UID read per folder; one lease so two syncs never act twice."""
    run_script(
        conn,
        """
        CREATE TABLE email_status (
            email_key TEXT PRIMARY KEY,
            email TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'ok' CHECK (status IN ('ok', 'bounced', 'held')),
            soft_in_a_row INTEGER NOT NULL DEFAULT 0,
            status_line TEXT NOT NULL DEFAULT '',
            reported_at TEXT,
            updated_at TEXT NOT NULL
        );
        CREATE TABLE delivery_failures (
            id INTEGER PRIMARY KEY,
            origin TEXT NOT NULL,
            report_key TEXT NOT NULL,
            email_key TEXT NOT NULL,
            email TEXT NOT NULL,
            outbox_id INTEGER,
            action TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL DEFAULT '',
            permanent INTEGER NOT NULL,
            line TEXT NOT NULL DEFAULT '',
            at TEXT NOT NULL,
            UNIQUE (report_key, email_key)
        );
        CREATE INDEX delivery_failures_outbox ON delivery_failures(outbox_id);
        CREATE INDEX outbox_message_id ON outbox(message_id) WHERE message_id != '';
        CREATE TABLE mailbox_messages (
            id INTEGER PRIMARY KEY,
            folder TEXT NOT NULL,
            uidvalidity INTEGER NOT NULL,
            uid INTEGER NOT NULL,
            message_id TEXT NOT NULL DEFAULT '',
            kind TEXT NOT NULL,
            reason TEXT NOT NULL DEFAULT '',
            sender TEXT NOT NULL DEFAULT '',
            subject TEXT NOT NULL DEFAULT '',
            sent_at TEXT,
            read_at TEXT NOT NULL,
            raw BLOB,
            handled_at TEXT,
            handled_how TEXT NOT NULL DEFAULT '',
            moved INTEGER NOT NULL DEFAULT 0,
            UNIQUE (folder, uidvalidity, uid)
        );
        CREATE INDEX mailbox_messages_message_id ON mailbox_messages(message_id)
            WHERE message_id != '';
        CREATE INDEX mailbox_messages_open ON mailbox_messages(kind, handled_at);
        CREATE TABLE mailbox_folders (
            folder TEXT PRIMARY KEY,
            uidvalidity INTEGER NOT NULL,
            last_uid INTEGER NOT NULL DEFAULT 0,
            synced_at TEXT
        );
        CREATE TABLE mailbox_lease (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            holder TEXT NOT NULL DEFAULT '',
            expires_at REAL NOT NULL DEFAULT 0
        );
        INSERT INTO mailbox_lease (id, holder, expires_at) VALUES (1, '', 0);
        """,
    )


# ---------------------------------------------------------------------------------------
# Step 14: the overview's unsubscribes by date (read by core/today.py), without a scan
# of every consent event at 100,000 members
# ---------------------------------------------------------------------------------------
@step
def _014_today_indexes(conn: sqlite3.Connection) -> None:
    conn.execute(
        "CREATE INDEX consent_events_unsubscribed ON consent_events(at) WHERE subscribed = 0"
    )


# ---------------------------------------------------------------------------------------
# Step 13: members' privacy (owned by core/privacy/ and core/audit.py)
# ---------------------------------------------------------------------------------------
@step
def _013_privacy(conn: sqlite3.Connection) -> None:
    """The erasure log (keyed hashes only), its keys, the append-only audit log, and
    members.erased_at."""
    import secrets

    run_script(
        conn,
        """
        ALTER TABLE members ADD COLUMN erased_at TEXT;
        -- Random keys of the erasure log's HMACs: a restored backup may bring an older
        -- key, so erasures keep the id of the key they were hashed with.
        CREATE TABLE privacy_keys (
            id INTEGER PRIMARY KEY,
            key BLOB NOT NULL,
            created_at TEXT NOT NULL
        );
        -- One row per erased address: HMAC-SHA256(key, email key), never the address.
        CREATE TABLE erasures (
            id INTEGER PRIMARY KEY,
            key_id INTEGER NOT NULL REFERENCES privacy_keys(id),
            digest TEXT NOT NULL,
            member_id INTEGER,
            erased_at TEXT NOT NULL,
            UNIQUE (key_id, digest)
        );
        -- Who did what, when; targets by id, never a body, a password or erased data.
        CREATE TABLE audit_log (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            target TEXT NOT NULL DEFAULT '',
            target_id INTEGER,
            detail TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX audit_log_at ON audit_log(at);
        CREATE INDEX audit_log_target ON audit_log(target, target_id);
        CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN
            SELECT RAISE(ABORT, 'the audit log is append-only');
        END;
        CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN
            SELECT RAISE(ABORT, 'the audit log is append-only');
        END;
        """,
    )
    conn.execute(
        "INSERT INTO privacy_keys (key, created_at) "
        "VALUES (?, strftime('%Y-%m-%dT%H:%M:%S+00:00'))",
        (secrets.token_bytes(32),),
    )


# ---------------------------------------------------------------------------------------
# Step 15: who was told an event is cancelled (the column owned by core/events.py, the
# notices themselves are rows of `reminders`, kind "cancellation")
# ---------------------------------------------------------------------------------------
@step
def _015_cancel_notices(conn: sqlite3.Connection) -> None:
    """registrations.cancelled_with_event: the status ('registered' or 'waiting') a
    registration had when its event was cancelled, NULL otherwise. Events cancelled before
    this step keep NULL, so upgrading tells nobody about an old cancellation."""
    conn.execute("ALTER TABLE registrations ADD COLUMN cancelled_with_event TEXT")


# ---------------------------------------------------------------------------------------
# Step 16: what a volunteer needs on the day (owned by core/events.py)
# ---------------------------------------------------------------------------------------
@step
def _016_event_access(conn: sqlite3.Connection) -> None:
    """events.arrive_before: how many minutes before their shift the volunteers of an
    event arrive (badges, briefing); NULL means at the shift's start."""
    conn.execute("ALTER TABLE events ADD COLUMN arrive_before INTEGER")


LATEST = len(STEPS)


def apply(conn: sqlite3.Connection, current: int) -> int:
    """Apply every step after `current`, each in its own transaction; return the new version."""
    for number, func in enumerate(STEPS[current:], start=current + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            found = conn.execute("PRAGMA user_version").fetchone()[0]
            if found >= number:  # another process migrated meanwhile
                conn.execute("ROLLBACK")
                continue
            func(conn)
            conn.execute(f"PRAGMA user_version = {number}")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    return LATEST
