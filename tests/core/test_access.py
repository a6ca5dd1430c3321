"""authorized_keys management: exact line format, foreign lines untouched, key checks, modes."""

from __future__ import annotations

import base64
import os
import random
import re
import shutil
import stat
import subprocess
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

import pytest

from omtui.core import access
from omtui.core.access import AccessError
from omtui.core.db import Database
from omtui.core.members import Member, add_member, archive_member
from omtui.core.sshkeys import BadPublicKey, PublicKey, parse_public_key, read_public_key_file
from omtui.errors import NotFound

OMTUI = "/opt/omtui/bin/omtui"
FOREIGN = (
    b"# keys of the server's admin, keep\n"
    b"\n"
    b'from="10.0.0.0/8",no-agent-forwarding ssh-ed25519 '
    + base64.b64encode(b"\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20" + b"A" * 32)
    + b" admin@box\r\n"
    b"   # an indented comment with trailing spaces   \n"
)


def wire(*parts: bytes) -> bytes:
    return b"".join(len(p).to_bytes(4, "big") + p for p in parts)


def ed25519_text(seed: int, comment: str = "alice@laptop") -> str:
    blob = wire(b"ssh-ed25519", random.Random(seed).randbytes(32))
    return f"ssh-ed25519 {base64.b64encode(blob).decode()} {comment}".rstrip()


def rsa_text(bits: int, seed: int = 1) -> str:
    n = random.Random(seed).getrandbits(bits) | (1 << (bits - 1)) | 1
    blob = wire(b"ssh-rsa", b"\x01\x00\x01", b"\x00" + n.to_bytes(bits // 8, "big"))
    return f"ssh-rsa {base64.b64encode(blob).decode()} bob@desk"


@pytest.fixture
def key_file(tmp_path: Path):
    def make(text: str, name: str = "id.pub") -> Path:
        path = tmp_path / name
        path.write_text(text)
        return path

    return make


@pytest.fixture
def keys_path(tmp_path: Path) -> Path:
    return tmp_path / "home" / ".ssh" / "authorized_keys"


@pytest.fixture
def volunteers(db: Database, now: datetime) -> dict[str, Member]:
    people = {
        "alice": ("Alice", "Martin", "alice.martin@example.fr", "volunteer"),
        "bob": ("Bob", "Durand", "bob.durand@example.fr", "volunteer,speaker"),
        "carol": ("Carol", "Petit", "carol.petit@example.fr", "speaker"),
        "dan": ("Dan", "O'Brien", "dan.o'brien@example.fr", "volunteer"),
        "eve": ("Eve", "Roux", "eve.roux@example.fr", "volunteer"),
    }
    out = {}
    for nick, (first, last, email, tags) in people.items():
        out[nick] = add_member(
            db, {"first_name": first, "last_name": last, "email": email, "tags": tags}, now=now
        )
    out["eve"] = archive_member(db, out["eve"].id, now=now)
    return out


def grant(keys_path: Path, email: str, text: str) -> str:
    key = parse_public_key(text)
    command = access.forced_command([OMTUI], Path("/srv/omtui/club.db"), email)
    return access.grant_access(keys_path, email, key, command)


# --- key parsing ---------------------------------------------------------------------------


def test_parses_an_ed25519_key_and_fingerprints_it_like_ssh_keygen(key_file, tmp_path) -> None:
    text = ed25519_text(1)
    key = read_public_key_file(key_file(text + "\n"))
    assert key.key_type == "ssh-ed25519"
    assert key.comment == "alice@laptop"
    assert f"ssh-ed25519 {key.data} alice@laptop" == text
    if shutil.which("ssh-keygen"):
        out = subprocess.run(
            ["ssh-keygen", "-l", "-f", str(tmp_path / "id.pub")],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert out.split()[1] == key.fingerprint


def test_accepts_rsa_of_2048_bits_and_refuses_short_rsa() -> None:
    assert parse_public_key(rsa_text(2048)).key_type == "ssh-rsa"
    with pytest.raises(BadPublicKey, match="shorter than 2048 bits"):
        parse_public_key(rsa_text(1024))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n"
            "-----END OPENSSH PRIVATE KEY-----\n",
            "PRIVATE key",
        ),
        ("-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----\n", "PRIVATE key"),
        ("PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\n", "PRIVATE key"),
        ("---- BEGIN SSH2 PUBLIC KEY ----\nAAAA\n---- END SSH2 PUBLIC KEY ----\n", "ssh-keygen -i"),
        ("", "no public key"),
        ("# only a comment\n\n", "no public key"),
        (ed25519_text(1) + "\n" + ed25519_text(2) + "\n", "exactly one public key"),
        ("hello world\n", "does not start with an OpenSSH key type"),
        ('command="sh" ' + ed25519_text(1), "does not start with an OpenSSH key type"),
        ("ssh-dss AAAAB3NzaC1kc3MAAACBAP\n", "DSA key"),
        ("ssh-ed25519-cert-v01@openssh.com AAAA\n", "certificate"),
        ("ssh-ed25519\n", "no key data"),
        ("ssh-ed25519 not*base64!\n", "damaged"),
        ("ssh-ed25519 " + base64.b64encode(wire(b"ssh-rsa", b"x" * 32)).decode(), "match its type"),
        ("ssh-ed25519 " + base64.b64encode(wire(b"ssh-ed25519")).decode(), "damaged"),
        ("ssh-ed25519 " + base64.b64encode(b"\x00\x00\x00\x0bssh-ed").decode(), "damaged"),
    ],
)
def test_refuses_what_is_not_one_public_key(text: str, message: str) -> None:
    with pytest.raises(BadPublicKey, match=message):
        parse_public_key(text)


def test_missing_and_huge_key_files(tmp_path: Path, key_file) -> None:
    with pytest.raises(BadPublicKey, match="cannot read the key file"):
        read_public_key_file(tmp_path / "nope.pub")
    with pytest.raises(BadPublicKey, match="too big"):
        read_public_key_file(key_file("x" * 70_000))


# --- who may be granted --------------------------------------------------------------------


def test_only_active_volunteers_with_a_safe_email(db: Database, volunteers) -> None:
    assert access.volunteer_for_grant(db, " Alice.Martin@EXAMPLE.fr ").id == volunteers["alice"].id
    with pytest.raises(AccessError, match=re.escape("no member has the email nobody@example.fr")):
        access.volunteer_for_grant(db, "nobody@example.fr")
    with pytest.raises(AccessError, match="is not tagged volunteer"):
        access.volunteer_for_grant(db, "carol.petit@example.fr")
    with pytest.raises(AccessError, match="archived"):
        access.volunteer_for_grant(db, "eve.roux@example.fr")
    with pytest.raises(AccessError, match="cannot be used safely"):
        access.volunteer_for_grant(db, "dan.o'brien@example.fr")
    with pytest.raises(AccessError, match="not a valid email"):
        access.volunteer_for_grant(db, 'a"b c@example.fr')


def test_forced_command_is_quoted_and_refuses_unsafe_paths() -> None:
    cmd = access.forced_command(
        ["/opt/omtui/bin/omtui", "--config", "/srv/my club/config.toml"],
        Path("/srv/omtui/club.db"),
        "alice.martin@example.fr",
    )
    assert cmd == (
        "/opt/omtui/bin/omtui --config '/srv/my club/config.toml' --db /srv/omtui/club.db "
        "volunteer --member alice.martin@example.fr"
    )
    with pytest.raises(AccessError, match="absolute path"):
        access.forced_command(["omtui"], Path("/srv/club.db"), "a@example.fr")
    with pytest.raises(AccessError, match="double quote"):
        access.forced_command([OMTUI], Path("/srv/o'brien/club.db"), "a@example.fr")
    with pytest.raises(AccessError, match="double quote"):
        access.forced_command([OMTUI], Path("/srv/a\\b/club.db"), "a@example.fr")


def test_default_command_is_an_absolute_omtui() -> None:
    prefix = access.default_omtui_command()
    assert Path(prefix[0]).is_absolute()
    assert prefix[-1] == "omtui" or prefix[0].endswith("/omtui")


# --- the authorized_keys file --------------------------------------------------------------


def test_grant_writes_the_exact_line_and_creates_folder_and_file_private(keys_path) -> None:
    assert grant(keys_path, "alice.martin@example.fr", ed25519_text(1)) == "added"
    data = ed25519_text(1).split()[1]
    assert keys_path.read_text() == (
        f'command="{OMTUI} --db /srv/omtui/club.db volunteer --member alice.martin@example.fr"'
        f",restrict,pty ssh-ed25519 {data} omtui:alice.martin@example.fr alice@laptop\n"
    )
    assert stat.S_IMODE(keys_path.stat().st_mode) == 0o600
    assert stat.S_IMODE(keys_path.parent.stat().st_mode) == 0o700
    assert not list(keys_path.parent.glob(".authorized_keys.*"))


def test_grant_and_revoke_keep_foreign_lines_byte_for_byte(keys_path) -> None:
    keys_path.parent.mkdir(parents=True)
    keys_path.write_bytes(FOREIGN + b"ssh-rsa AAAAnotours last-line-without-newline")
    grant(keys_path, "alice.martin@example.fr", ed25519_text(1))
    grant(keys_path, "bob.durand@example.fr", rsa_text(2048))
    after = keys_path.read_bytes()
    assert after.startswith(FOREIGN + b"ssh-rsa AAAAnotours last-line-without-newline\n")
    assert after.count(b"omtui:") == 2
    revoked = access.revoke_access(keys_path, "ALICE.martin@example.fr")
    assert [g.email for g in revoked] == ["alice.martin@example.fr"]
    lines = keys_path.read_bytes().splitlines(keepends=True)
    assert b"".join(lines[:-1]) == FOREIGN + b"ssh-rsa AAAAnotours last-line-without-newline\n"
    assert b"omtui:bob.durand@example.fr" in lines[-1]
    access.revoke_access(keys_path, "bob.durand@example.fr")
    assert keys_path.read_bytes() == FOREIGN + b"ssh-rsa AAAAnotours last-line-without-newline\n"


def test_regrant_same_key_replaces_in_place_and_second_key_adds(keys_path) -> None:
    grant(keys_path, "alice.martin@example.fr", ed25519_text(1))
    grant(keys_path, "bob.durand@example.fr", ed25519_text(2))
    key = parse_public_key(ed25519_text(1))
    new_cmd = access.forced_command([OMTUI], Path("/srv/new.db"), "alice.martin@example.fr")
    assert access.grant_access(keys_path, "alice.martin@example.fr", key, new_cmd) == "replaced"
    grants = access.list_grants(keys_path)
    assert [(g.email, g.line_number) for g in grants] == [
        ("alice.martin@example.fr", 1),
        ("bob.durand@example.fr", 2),
    ]
    assert "/srv/new.db" in grants[0].command
    assert grant(keys_path, "alice.martin@example.fr", ed25519_text(3, "phone")) == "added"
    grants = access.list_grants(keys_path)
    assert [g.email for g in grants].count("alice.martin@example.fr") == 2
    assert grants[2].comment == "phone"
    assert grants[2].fingerprint == parse_public_key(ed25519_text(3)).fingerprint
    # revoke one key by fingerprint, then the rest
    removed = access.revoke_access(keys_path, "alice.martin@example.fr", grants[2].fingerprint)
    assert [g.fingerprint for g in removed] == [grants[2].fingerprint]
    assert len(access.list_grants(keys_path)) == 2


def test_a_key_already_used_elsewhere_is_refused_and_nothing_written(keys_path) -> None:
    keys_path.parent.mkdir(parents=True)
    keys_path.write_bytes(FOREIGN)
    foreign_key = FOREIGN.split(b"\n")[2].split()[2].decode()
    with pytest.raises(AccessError, match="line omtui did not write"):
        grant(keys_path, "alice.martin@example.fr", f"ssh-ed25519 {foreign_key}")
    assert keys_path.read_bytes() == FOREIGN
    grant(keys_path, "alice.martin@example.fr", ed25519_text(1))
    before = keys_path.read_bytes()
    with pytest.raises(AccessError, match=re.escape("already granted to alice.martin@example.fr")):
        grant(keys_path, "bob.durand@example.fr", ed25519_text(1))
    assert keys_path.read_bytes() == before


def test_revoke_removes_only_that_volunteers_lines(keys_path) -> None:
    grant(keys_path, "alice.martin@example.fr", ed25519_text(1))
    grant(keys_path, "bob.durand@example.fr", ed25519_text(2))
    grant(keys_path, "alice.martin@example.fr", ed25519_text(3))
    # a hand-written line that merely mentions the email is not ours
    with keys_path.open("a") as fh:
        fh.write(f"{ed25519_text(4, 'alice.martin@example.fr')}\n")
    removed = access.revoke_access(keys_path, "alice.martin@example.fr")
    assert len(removed) == 2
    text = keys_path.read_text()
    assert "omtui:alice" not in text
    assert "omtui:bob.durand@example.fr" in text
    assert text.endswith(f"{ed25519_text(4, 'alice.martin@example.fr')}\n")
    with pytest.raises(NotFound, match="has no access"):
        access.revoke_access(keys_path, "alice.martin@example.fr")
    with pytest.raises(NotFound, match="no key with fingerprint"):
        access.revoke_access(keys_path, "bob.durand@example.fr", "SHA256:nope")


def test_revoke_on_a_missing_file_and_list_of_nothing(keys_path) -> None:
    assert access.list_grants(keys_path) == []
    with pytest.raises(NotFound, match="does not exist"):
        access.revoke_access(keys_path, "alice.martin@example.fr")


def test_existing_file_modes_are_tightened(keys_path) -> None:
    keys_path.parent.mkdir(mode=0o755, parents=True)
    keys_path.parent.chmod(0o755)
    keys_path.write_text("# mine\n")
    keys_path.chmod(0o644)
    grant(keys_path, "alice.martin@example.fr", ed25519_text(1))
    assert stat.S_IMODE(keys_path.stat().st_mode) == 0o600
    assert stat.S_IMODE(keys_path.parent.stat().st_mode) == 0o700
    assert keys_path.read_text().startswith("# mine\n")


def test_a_symlinked_file_stays_a_symlink(tmp_path: Path) -> None:
    real = tmp_path / "shared" / "keys"
    real.parent.mkdir()
    real.write_text("# real\n")
    link = tmp_path / "link_keys"
    link.symlink_to(real)
    grant(link, "alice.martin@example.fr", ed25519_text(1))
    assert link.is_symlink()
    assert "omtui:alice.martin@example.fr" in real.read_text()


def test_default_path_comes_from_env_or_home(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.delenv("OMTUI_AUTHORIZED_KEYS", raising=False)
    assert access.default_authorized_keys() == Path.home() / ".ssh" / "authorized_keys"
    monkeypatch.setenv("OMTUI_AUTHORIZED_KEYS", str(tmp_path / "ak"))
    assert access.default_authorized_keys() == tmp_path / "ak"


def test_public_key_fingerprint_matches_a_known_value() -> None:
    key = PublicKey("ssh-ed25519", wire(b"ssh-ed25519", b"\x00" * 32))
    assert key.fingerprint.startswith("SHA256:")
    assert "=" not in key.fingerprint
    assert len(key.fingerprint) == len("SHA256:") + 43


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give a file to another user")
def test_root_keeps_the_volunteer_accounts_ownership(tmp_path: Path) -> None:
    home = tmp_path / "vol"
    home.mkdir()
    os.chown(home, 4242, 4343)
    keys_path = home / ".ssh" / "authorized_keys"
    grant(keys_path, "alice.martin@example.fr", ed25519_text(1))
    for path in (keys_path.parent, keys_path):
        assert (path.stat().st_uid, path.stat().st_gid) == (4242, 4343)
    grant(keys_path, "bob.durand@example.fr", ed25519_text(2))
    assert keys_path.stat().st_uid == 4242


def test_concurrent_grants_lose_no_line(keys_path: Path) -> None:
    emails = [f"v{i}@example.fr" for i in range(12)]
    with ThreadPoolExecutor(max_workers=6) as pool:
        outcomes = list(
            pool.map(lambda i: grant(keys_path, emails[i], ed25519_text(100 + i)), range(12))
        )
    assert outcomes == ["added"] * 12
    assert sorted(g.email for g in access.list_grants(keys_path)) == sorted(emails)


def test_unusable_locations_are_one_clear_error(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("x")
    with pytest.raises(AccessError, match="is not a folder"):
        grant(tmp_path / "afile" / "authorized_keys", "alice.martin@example.fr", ed25519_text(1))
    (tmp_path / "adir").mkdir()
    with pytest.raises(AccessError, match="cannot read"):
        grant(tmp_path / "adir", "alice.martin@example.fr", ed25519_text(1))
