"""OpenSSH public keys: parse and check one key file, fingerprint it like `ssh-keygen -l`."""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from pathlib import Path

from omtui.errors import UnusableInput
from omtui.i18n import _, ngettext

MAX_KEY_FILE_BYTES = 64 * 1024
MIN_RSA_BITS = 2048

# key type -> number of SSH wire strings in its public blob (the type name included)
KEY_TYPES: dict[str, int] = {
    "ssh-ed25519": 2,
    "ssh-rsa": 3,
    "ecdsa-sha2-nistp256": 3,
    "ecdsa-sha2-nistp384": 3,
    "ecdsa-sha2-nistp521": 3,
    "sk-ssh-ed25519@openssh.com": 3,
    "sk-ecdsa-sha2-nistp256@openssh.com": 4,
}


class BadPublicKey(UnusableInput):
    """The key file is not exactly one usable OpenSSH public key."""


@dataclass(frozen=True)
class PublicKey:
    """One OpenSSH public key."""

    key_type: str
    blob: bytes
    comment: str = ""

    @property
    def data(self) -> str:
        return base64.b64encode(self.blob).decode("ascii")

    @property
    def fingerprint(self) -> str:
        """SHA256 fingerprint, as `ssh-keygen -l` prints it."""
        digest = hashlib.sha256(self.blob).digest()
        return "SHA256:" + base64.b64encode(digest).decode("ascii").rstrip("=")


def _wire_strings(blob: bytes) -> list[bytes]:
    """Split an SSH wire-format blob into its length-prefixed strings, or raise ValueError."""
    out, pos = [], 0
    while pos < len(blob):
        if pos + 4 > len(blob):
            raise ValueError("truncated length")
        size = int.from_bytes(blob[pos : pos + 4], "big")
        pos += 4
        if pos + size > len(blob):
            raise ValueError("truncated string")
        out.append(blob[pos : pos + size])
        pos += size
    return out


def parse_public_key(text: str, source: str | None = None) -> PublicKey:
    """Exactly one OpenSSH public key from `text` (a .pub file), or BadPublicKey saying why."""
    source = source or _("the key file")
    if "PRIVATE KEY" in text or "PuTTY-User-Key-File" in text:
        raise BadPublicKey(
            _(
                "{source} holds a PRIVATE key: give the public key instead (the .pub file, "
                "e.g. ~/.ssh/id_ed25519.pub), and never share the private one"
            ).format(source=source)
        )
    if "BEGIN SSH2 PUBLIC KEY" in text:
        raise BadPublicKey(
            _(
                "{source} is in the RFC 4716 (PuTTY/SSH2) format: convert it with "
                "`ssh-keygen -i -f FILE > key.pub` and grant key.pub"
            ).format(source=source)
        )
    lines = [ln.strip() for ln in text.splitlines()]
    lines = [ln for ln in lines if ln and not ln.startswith("#")]
    if not lines:
        raise BadPublicKey(_("{source} holds no public key").format(source=source))
    if len(lines) > 1:
        raise BadPublicKey(
            ngettext(
                "{source} holds {n} line; give a file with exactly one public key",
                "{source} holds {n} lines; give a file with exactly one public key",
                len(lines),
            ).format(source=source, n=len(lines))
        )
    parts = lines[0].split(None, 2)
    key_type = parts[0]
    if key_type == "ssh-dss":
        raise BadPublicKey(
            _(
                "{source} is a DSA key, which OpenSSH no longer accepts: "
                "make a new one with `ssh-keygen -t ed25519`"
            ).format(source=source)
        )
    if "-cert-" in key_type:
        raise BadPublicKey(
            _("{source} is an SSH certificate; give the plain public key").format(source=source)
        )
    if key_type not in KEY_TYPES:
        raise BadPublicKey(
            _(
                "{source} does not start with an OpenSSH key type ({kinds}); "
                "give a .pub file made by ssh-keygen"
            ).format(source=source, kinds=", ".join(sorted(KEY_TYPES)))
        )
    if len(parts) < 2:
        raise BadPublicKey(_("{source} has a key type but no key data").format(source=source))
    try:
        blob = base64.b64decode(parts[1], validate=True)
        strings = _wire_strings(blob)
    except (binascii.Error, ValueError) as exc:
        raise BadPublicKey(
            _("{source}: the key data is damaged (not valid base64 SSH key data)").format(
                source=source
            )
        ) from exc
    if not strings or strings[0] != key_type.encode():
        raise BadPublicKey(
            _("{source}: the key data does not match its type {kind}").format(
                source=source, kind=key_type
            )
        )
    if len(strings) != KEY_TYPES[key_type]:
        raise BadPublicKey(
            _("{source}: the {kind} key data is damaged").format(source=source, kind=key_type)
        )
    if key_type == "ssh-rsa" and int.from_bytes(strings[2], "big").bit_length() < MIN_RSA_BITS:
        raise BadPublicKey(
            _(
                "{source}: the RSA key is shorter than {bits} bits; make a new one with "
                "`ssh-keygen -t ed25519`"
            ).format(source=source, bits=MIN_RSA_BITS)
        )
    comment = parts[2] if len(parts) > 2 else ""
    return PublicKey(key_type=key_type, blob=blob, comment=comment)


def read_public_key_file(path: Path) -> PublicKey:
    """Read and check a public key file (at most 64 KiB, UTF-8 text)."""
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_KEY_FILE_BYTES + 1)
    except OSError as exc:
        raise BadPublicKey(
            _("cannot read the key file {path}: {reason}").format(
                path=path, reason=exc.strerror or exc
            )
        ) from exc
    if len(raw) > MAX_KEY_FILE_BYTES:
        raise BadPublicKey(_("{path} is too big to be a public key file").format(path=path))
    text = raw.decode("utf-8", errors="replace")
    return parse_public_key(text, source=str(path))
