"""Volunteer access over SSH: the omtui lines of an OpenSSH `authorized_keys` file.

Each granted key is one line that forces the volunteer view, whatever the client asks for:

    command="/opt/omtui/bin/omtui --db /srv/omtui/club.db volunteer --member EMAIL",restrict,pty \
ssh-ed25519 AAAA... omtui:EMAIL original-comment

The comment's first word `omtui:EMAIL` marks the lines omtui wrote; every other line
(comments, blank lines, other people's keys) is kept byte for byte. A volunteer may hold
several keys (a laptop and a phone); granting a key they already hold rewrites that line in
place. The file is replaced atomically (temp file + rename) under a lock, mode 0600.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import fcntl
import os
import re
import shlex
import sys
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from omtui.core.db import Database
from omtui.core.members import Member, email_key, find_by_email, normalise_email
from omtui.core.sshkeys import KEY_TYPES, PublicKey
from omtui.errors import NotFound, UnusableInput, ValidationError
from omtui.i18n import _

MARKER = "omtui:"
OPTIONS = "restrict,pty"

# Emails go into a shell command inside a double-quoted option: letters, digits and . _ + -
_SAFE_EMAIL = re.compile(r"[\w.+-]+@[\w.-]+")
_UNSAFE_IN_COMMAND = re.compile(r'["\\\x00-\x1f\x7f]')


class AccessError(UnusableInput):
    """A grant that cannot be written as asked; the authorized_keys file is untouched."""


@dataclass(frozen=True)
class Grant:
    """One omtui line of the authorized_keys file."""

    email: str
    key_type: str
    fingerprint: str
    comment: str
    command: str
    line_number: int

    def as_dict(self) -> dict[str, object]:
        return {
            "email": self.email,
            "key_type": self.key_type,
            "fingerprint": self.fingerprint,
            "comment": self.comment,
            "command": self.command,
            "line": self.line_number,
        }


# --- who may be granted, and the forced command -------------------------------------------


def safe_email(raw: str) -> str:
    """A valid email that can sit unquoted inside the forced command, or ValidationError."""
    email = normalise_email(raw)
    if not _SAFE_EMAIL.fullmatch(email):
        raise ValidationError(
            _(
                "{email!r} has characters that cannot be used safely in an SSH forced command "
                "(only letters, digits, . _ + - and one @); change the member's email first"
            ).format(email=email),
            field="email",
        )
    return email


def volunteer_for_grant(db: Database, email: str) -> Member:
    """The active member tagged volunteer with this email, or AccessError (exit 2)."""
    try:
        email = safe_email(email)
    except ValidationError as exc:
        raise AccessError(str(exc)) from exc
    member = find_by_email(db, email)
    if member is None:
        raise AccessError(_("no member has the email {email}").format(email=email))
    if member.archived_at is not None:
        raise AccessError(
            _("{email} belongs to an archived member; restore them first").format(email=email)
        )
    if "volunteer" not in member.tags:
        raise AccessError(
            _("{email} ({name}) is not tagged volunteer; add the tag in Members first").format(
                email=member.email, name=member.full_name
            )
        )
    try:
        safe_email(member.email)
    except ValidationError as exc:
        raise AccessError(str(exc)) from exc
    return member


def default_omtui_command() -> list[str]:
    """The absolute path of this installation's `omtui` (or `python -m omtui`)."""
    script = Path(sys.executable).parent / "omtui"
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script.absolute())]
    return [str(Path(sys.executable).absolute()), "-m", "omtui"]


def forced_command(prefix: Sequence[str], db_path: Path, email: str) -> str:
    """`PREFIX --db DB volunteer --member EMAIL`, shell-quoted, safe inside `command="..."`."""
    if not prefix or not os.path.isabs(prefix[0]):
        raise AccessError(
            _(
                "the command must start with the absolute path of omtui "
                "(e.g. /opt/omtui/bin/omtui), not {command!r}"
            ).format(command=" ".join(prefix))
        )
    argv = [*prefix, "--db", str(db_path.absolute()), "volunteer", "--member", safe_email(email)]
    command = " ".join(shlex.quote(arg) for arg in argv)
    if _UNSAFE_IN_COMMAND.search(command):
        raise AccessError(
            _(
                "the forced command {command!r} would contain a double quote, a backslash or "
                "a control character; use paths without them"
            ).format(command=command)
        )
    return command


def authorized_key_line(key: PublicKey, email: str, command: str) -> str:
    """The line omtui writes for one volunteer key (no newline)."""
    comment = "".join(ch for ch in key.comment if ch.isprintable())[:100].strip()
    marker = f"{MARKER}{email}" + (f" {comment}" if comment else "")
    return f'command="{command}",{OPTIONS} {key.key_type} {key.data} {marker}'


# --- reading the authorized_keys file ----------------------------------------------------


@dataclass(frozen=True)
class _Line:
    raw: bytes
    options: str
    key: PublicKey | None
    comment: str

    @property
    def marker_email(self) -> str | None:
        """The volunteer email if omtui wrote this line."""
        if self.key is None or not self.options.startswith('command="'):
            return None
        first = self.comment.split(" ", 1)[0]
        return (
            first[len(MARKER) :] if first.startswith(MARKER) and len(first) > len(MARKER) else None
        )

    @property
    def command(self) -> str:
        match = re.match(r'command="((?:[^"\\]|\\.)*)"', self.options)
        return match.group(1) if match else ""


def _split_options(text: str) -> tuple[str, str]:
    """(options, rest) of an authorized_keys line; quoted strings may hold spaces."""
    first = text.split(None, 1)[0]
    if first in KEY_TYPES or first == "ssh-dss" or "-cert-" in first:
        return "", text
    quoted, i = False, 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and quoted:
            i += 2
            continue
        if ch == '"':
            quoted = not quoted
        elif ch in " \t" and not quoted:
            return text[:i], text[i:].lstrip(" \t")
        i += 1
    return text, ""


def _parse_line(raw: bytes) -> _Line:
    text = raw.decode("utf-8", errors="replace").strip()
    if not text or text.startswith("#"):
        return _Line(raw, "", None, "")
    options, rest = _split_options(text)
    parts = rest.split(None, 2)
    key = None
    if len(parts) >= 2 and parts[0] in KEY_TYPES:
        with contextlib.suppress(binascii.Error, ValueError):
            key = PublicKey(parts[0], base64.b64decode(parts[1], validate=True))
    comment = parts[2].strip() if len(parts) > 2 else ""
    return _Line(raw, options, key, comment)


def _read_lines(path: Path) -> list[_Line]:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise AccessError(
            _("cannot read {path}: {reason}").format(path=path, reason=exc.strerror or exc)
        ) from exc
    return [_parse_line(raw) for raw in data.splitlines(keepends=True)]


def list_grants(path: Path) -> list[Grant]:
    """Every omtui line of the file, in file order."""
    grants = []
    for number, line in enumerate(_read_lines(path), start=1):
        email = line.marker_email
        if email is not None and line.key is not None:
            comment = line.comment.split(" ", 1)[1] if " " in line.comment else ""
            grants.append(
                Grant(
                    email=email,
                    key_type=line.key.key_type,
                    fingerprint=line.key.fingerprint,
                    comment=comment,
                    command=line.command,
                    line_number=number,
                )
            )
    return grants


# --- writing it --------------------------------------------------------------------------


def default_authorized_keys() -> Path:
    """`$OMTUI_AUTHORIZED_KEYS`, else the current user's ~/.ssh/authorized_keys."""
    env = os.environ.get("OMTUI_AUTHORIZED_KEYS")
    return Path(env).expanduser() if env else Path.home() / ".ssh" / "authorized_keys"


def _prepare_dir(folder: Path) -> None:
    """Create the key folder 0700 if missing (owned like its parent when run as root)."""
    try:
        try:
            folder.mkdir(mode=0o700, parents=True)
        except FileExistsError:  # already there (maybe made by a grant running alongside)
            if not folder.is_dir():
                raise AccessError(_("{path} is not a folder").format(path=folder)) from None
            if folder.name == ".ssh" and folder.stat().st_mode & 0o077:
                os.chmod(folder, 0o700)
            return
        os.chmod(folder, 0o700)
        if os.geteuid() == 0:
            parent = folder.parent.stat()
            os.chown(folder, parent.st_uid, parent.st_gid)
    except OSError as exc:
        raise AccessError(
            _("cannot create the folder {path}: {reason}").format(
                path=folder, reason=exc.strerror or exc
            )
        ) from exc


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """An exclusive lock on the key folder, so two grants never lose each other's line."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _write_atomically(path: Path, data: bytes) -> None:
    """Replace `path` by `data` in one rename, mode 0600, keeping the file's owner."""
    folder = path.parent
    owner = path.stat() if path.exists() else folder.stat()
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".authorized_keys.", suffix=".omtui-tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fchmod(fh.fileno(), 0o600)
            if os.geteuid() == 0:
                os.fchown(fh.fileno(), owner.st_uid, owner.st_gid)
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise AccessError(
            _("cannot write {path}: {reason}").format(path=path, reason=exc.strerror or exc)
        ) from exc
    dir_fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _target(path: Path) -> Path:
    """The real file behind `path` (a symlinked authorized_keys stays a symlink)."""
    return Path(os.path.realpath(path.expanduser()))


def grant_access(path: Path, email: str, key: PublicKey, command: str) -> str:
    """Write the volunteer's line for `key`; returns "added" or "replaced".

    Refused when the same key is already granted to someone else, or sits in a line omtui
    did not write (sshd uses the first matching line, so the grant would not take effect).
    """
    email = safe_email(email)
    path = _target(path)
    new_line = authorized_key_line(key, email, command).encode("utf-8") + b"\n"
    _prepare_dir(path.parent)
    with _locked(path.parent):
        lines = _read_lines(path)
        replaced = False
        out: list[bytes] = []
        for number, line in enumerate(lines, start=1):
            if line.key is None or line.key.blob != key.blob:
                out.append(line.raw)
                continue
            owner = line.marker_email
            if owner is None:
                raise AccessError(
                    _(
                        "this key is already on line {n} of {path}, in a line omtui did not "
                        "write; ask the volunteer for another key"
                    ).format(n=number, path=path)
                )
            if email_key(owner) != email_key(email):
                raise AccessError(
                    _(
                        "this key is already granted to {other}; revoke it first "
                        "(`omtui access revoke {other}`)"
                    ).format(other=owner)
                )
            if not replaced:
                out.append(new_line)
                replaced = True
        if not replaced:
            if out and not out[-1].endswith(b"\n"):
                out[-1] += b"\n"
            out.append(new_line)
        _write_atomically(path, b"".join(out))
    return "replaced" if replaced else "added"


def revoke_access(path: Path, email: str, fingerprint: str | None = None) -> list[Grant]:
    """Remove the volunteer's lines (only the key with `fingerprint` if given)."""
    wanted = email_key(email)
    path = _target(path)
    if not path.exists():
        raise NotFound(_("{path} does not exist; nobody has access").format(path=path))
    with _locked(path.parent):
        grants = {g.line_number: g for g in list_grants(path)}
        removed: list[Grant] = []
        out: list[bytes] = []
        for number, line in enumerate(_read_lines(path), start=1):
            grant = grants.get(number)
            if (
                grant is not None
                and email_key(grant.email) == wanted
                and (fingerprint is None or grant.fingerprint == fingerprint)
            ):
                removed.append(grant)
            else:
                out.append(line.raw)
        if not removed:
            if fingerprint:
                raise NotFound(
                    _("{email} has no key with fingerprint {fp} in {path}").format(
                        email=email, fp=fingerprint, path=path
                    )
                )
            raise NotFound(_("{email} has no access in {path}").format(email=email, path=path))
        _write_atomically(path, b"".join(out))
    return removed
