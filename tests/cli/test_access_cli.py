"""`omtui access grant|revoke|list` as the organiser runs them."""

from __future__ import annotations

import base64
import json
import random
import stat
from datetime import datetime
from pathlib import Path

import pytest

from omtui.core.db import Database
from omtui.core.members import add_member

OMTUI = "/opt/omtui/bin/omtui"


def pubkey(seed: int, comment: str) -> str:
    blob = b"".join(
        len(p).to_bytes(4, "big") + p for p in (b"ssh-ed25519", random.Random(seed).randbytes(32))
    )
    return f"ssh-ed25519 {base64.b64encode(blob).decode()} {comment}\n"


@pytest.fixture
def club_db(db: Database, now: datetime) -> Database:
    add_member(
        db,
        {
            "first_name": "Alice",
            "last_name": "Martin",
            "email": "alice@example.fr",
            "tags": "volunteer",
        },
        now=now,
    )
    add_member(
        db, {"first_name": "Carol", "last_name": "Petit", "email": "carol@example.fr"}, now=now
    )
    return db


@pytest.fixture
def keys(tmp_path: Path) -> Path:
    return tmp_path / "volunteer" / ".ssh" / "authorized_keys"


@pytest.fixture
def alice_key(tmp_path: Path) -> Path:
    path = tmp_path / "alice.pub"
    path.write_text(pubkey(1, "alice@laptop"))
    return path


def test_grant_list_revoke_round_trip(run_cli, club_db, keys, alice_key, db_path) -> None:
    granted = run_cli(
        "access", "grant", "alice@example.fr", str(alice_key), "--authorized-keys", str(keys),
        "--command", OMTUI,
    )  # fmt: skip
    assert granted.returncode == 0, granted.stderr
    assert "Granted SSH access to Alice Martin <alice@example.fr> (ssh-ed25519 SHA256:" in (
        granted.stdout
    )
    line = keys.read_text()
    assert line.startswith(
        f'command="{OMTUI} --db {db_path} volunteer --member alice@example.fr",restrict,pty '
        "ssh-ed25519 AAAA"
    )
    assert line.endswith(" omtui:alice@example.fr alice@laptop\n")
    assert stat.S_IMODE(keys.stat().st_mode) == 0o600

    listed = run_cli("access", "list", "--authorized-keys", str(keys))
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.split()[:2] == ["alice@example.fr", "ssh-ed25519"]
    assert listed.stdout.split()[2].startswith("SHA256:")

    again = run_cli(
        "access", "grant", "alice@example.fr", str(alice_key), "--authorized-keys", str(keys),
        "--command", OMTUI,
    )  # fmt: skip
    assert again.returncode == 0
    assert "Renewed" in again.stdout
    assert keys.read_text() == line

    revoked = run_cli("access", "revoke", "alice@example.fr", "--authorized-keys", str(keys))
    assert revoked.returncode == 0, revoked.stderr
    assert "Revoked alice@example.fr: ssh-ed25519 SHA256:" in revoked.stdout
    assert keys.read_text() == ""
    empty = run_cli("access", "list", "--authorized-keys", str(keys))
    assert "No volunteer has SSH access" in empty.stdout


def test_env_var_and_default_command(run_cli, club_db, keys, alice_key) -> None:
    env = {"OMTUI_AUTHORIZED_KEYS": str(keys)}
    result = run_cli("access", "grant", "alice@example.fr", str(alice_key), env=env)
    assert result.returncode == 0, result.stderr
    command = keys.read_text().split('"')[1]
    assert Path(command.split()[0]).is_absolute()
    assert "volunteer --member alice@example.fr" in command
    listed = run_cli("access", "list", "--json", env=env)
    rows = json.loads(listed.stdout)
    assert [(r["email"], r["key_type"], r["line"], r["note"]) for r in rows] == [
        ("alice@example.fr", "ssh-ed25519", 1, "")
    ]


@pytest.mark.parametrize(
    ("email", "key_text", "message"),
    [
        ("carol@example.fr", pubkey(2, "c"), "is not tagged volunteer"),
        ("nobody@example.fr", pubkey(2, "c"), "no member has the email nobody@example.fr"),
        ('alice"@example.fr', pubkey(2, "c"), "not a valid email address"),
        (
            "alice@example.fr",
            "-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----\n",
            "holds a PRIVATE key",
        ),
        ("alice@example.fr", "ssh-ed25519 AAAA%%%\n", "damaged"),
        ("alice@example.fr", pubkey(2, "a") + pubkey(3, "b"), "exactly one public key"),
    ],
)
def test_refusals_are_one_line_exit_2_and_write_nothing(
    run_cli, club_db, keys, tmp_path, email, key_text, message
) -> None:
    keys.parent.mkdir(parents=True)
    keys.write_text("# mine\n")
    key = tmp_path / "k.pub"
    key.write_text(key_text)
    result = run_cli("access", "grant", email, str(key), "--authorized-keys", str(keys))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert message in result.stderr
    assert keys.read_text() == "# mine\n"


def test_relative_command_is_refused(run_cli, club_db, keys, alice_key) -> None:
    result = run_cli(
        "access", "grant", "alice@example.fr", str(alice_key), "--authorized-keys", str(keys),
        "--command", "omtui",
    )  # fmt: skip
    assert result.returncode == 2
    assert "absolute path" in result.stderr
    assert not keys.exists()


def test_revoke_unknown_is_exit_1(run_cli, club_db, keys) -> None:
    keys.parent.mkdir(parents=True)
    keys.write_text("# mine\n")
    result = run_cli("access", "revoke", "alice@example.fr", "--authorized-keys", str(keys))
    assert result.returncode == 1
    assert "alice@example.fr has no access" in result.stderr


def test_list_notes_members_who_are_no_longer_volunteers(
    run_cli, club_db, keys, alice_key, db_path
) -> None:
    run_cli("access", "grant", "alice@example.fr", str(alice_key), "--authorized-keys", str(keys))
    club_db.execute("UPDATE members SET tags = '' WHERE email = 'alice@example.fr'")
    listed = run_cli("access", "list", "--authorized-keys", str(keys))
    assert "(no longer tagged volunteer)" in listed.stdout


def test_grant_reads_the_key_from_stdin(run_cli, club_db, keys) -> None:
    result = run_cli(
        "access", "grant", "alice@example.fr", "-", "--authorized-keys", str(keys),
        input=pubkey(7, "from-stdin"),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert keys.read_text().endswith(" omtui:alice@example.fr from-stdin\n")
    private = run_cli(
        "access", "grant", "alice@example.fr", "-", "--authorized-keys", str(keys),
        input="-----BEGIN OPENSSH PRIVATE KEY-----\nx\n-----END OPENSSH PRIVATE KEY-----\n",
    )  # fmt: skip
    assert private.returncode == 2
    assert "standard input holds a PRIVATE key" in private.stderr


def test_grant_without_a_database_creates_none(run_cli, keys, alice_key, tmp_path) -> None:
    missing = tmp_path / "nowhere" / "club.db"
    result = run_cli(
        "access", "grant", "alice@example.fr", str(alice_key), "--authorized-keys", str(keys),
        db=missing,
    )  # fmt: skip
    assert result.returncode == 2
    assert f"no database at {missing}" in result.stderr
    assert not missing.exists()
    assert not keys.exists()
