"""CLI: `omtui access grant|revoke|list`, the volunteers' SSH keys in authorized_keys."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Any

import click

from omtui.commands import echo, echo_json, pass_club
from omtui.context import ClubContext
from omtui.core import access, sshkeys
from omtui.core.members import find_by_email
from omtui.errors import OmtuiError, UnusableInput
from omtui.i18n import _

authorized_keys_option = click.option(
    "--authorized-keys",
    "keys_path",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="OMTUI_AUTHORIZED_KEYS",
    show_envvar=True,
    help=_(
        "The authorized_keys file of the volunteers' account (default: ~/.ssh/authorized_keys)."
    ),
)


def _keys_path(value: Path | None) -> Path:
    return value.expanduser() if value else access.default_authorized_keys()


@click.group(name="access")
def access_group() -> None:
    """Volunteers' SSH keys: each one opens only the volunteer view."""


@access_group.command(name="grant")
@click.argument("email")
@click.argument("pubkey", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path))
@authorized_keys_option
@click.option(
    "--command",
    "command",
    help=_(
        "How the volunteers' account runs omtui, e.g. '/opt/omtui/bin/omtui --config "
        "/srv/omtui/config.toml' (default: this omtui's absolute path). `--db` and "
        "`volunteer --member EMAIL` are appended."
    ),
)
@pass_club
def grant(
    club: ClubContext, email: str, pubkey: Path, keys_path: Path | None, command: str | None
) -> None:
    """Let the volunteer EMAIL log in over SSH with the public key in PUBKEY (- for stdin).

    The key's line forces `omtui --db DB volunteer --member EMAIL` (DB is this command's
    database, as an absolute path). Granting a key again rewrites its line; a second key
    for the same volunteer adds a line.
    """
    try:
        prefix = shlex.split(command) if command is not None else access.default_omtui_command()
    except ValueError as exc:
        raise UnusableInput(_("--command: {reason}").format(reason=exc)) from exc
    if str(pubkey) == "-":
        text = sys.stdin.read(sshkeys.MAX_KEY_FILE_BYTES + 1)
        if len(text) > sshkeys.MAX_KEY_FILE_BYTES:
            raise UnusableInput(_("standard input is too big to be a public key"))
        key = sshkeys.parse_public_key(text, source=_("standard input"))
    else:
        key = sshkeys.read_public_key_file(pubkey)
    if not club.db_path.exists():
        raise UnusableInput(
            _("no database at {path}: pass the club's with --db (before `access`)").format(
                path=club.db_path
            )
        )
    member = access.volunteer_for_grant(club.db, email)
    forced = access.forced_command(prefix, club.db_path, member.email)
    path = _keys_path(keys_path)
    outcome = access.grant_access(path, member.email, key, forced)
    verb = _("Granted") if outcome == "added" else _("Renewed")
    echo(
        _("{verb} SSH access to {name} <{email}> ({kind} {fp}) in {path}").format(
            verb=verb,
            name=member.full_name,
            email=member.email,
            kind=key.key_type,
            fp=key.fingerprint,
            path=path,
        )
    )


@access_group.command(name="revoke")
@click.argument("email")
@click.option(
    "--fingerprint", help=_("Revoke only this key (SHA256:..., as `omtui access list` shows).")
)
@authorized_keys_option
def revoke(email: str, fingerprint: str | None, keys_path: Path | None) -> None:
    """Remove every SSH key granted to EMAIL (or only the one with --fingerprint)."""
    path = _keys_path(keys_path)
    removed = access.revoke_access(path, email, fingerprint)
    for grant in removed:
        echo(
            _("Revoked {email}: {kind} {fp}").format(
                email=grant.email, kind=grant.key_type, fp=grant.fingerprint
            )
        )


def _note(club: ClubContext, email: str) -> str:
    """Why a granted line no longer matches the club (empty when all is well)."""
    if not club.db_path.exists():
        return ""
    try:
        member = find_by_email(club.db, email)
    except OmtuiError:  # not an omtui database: list the keys anyway
        return ""
    if member is None:
        return _("unknown member")
    if member.archived_at is not None:
        return _("archived")
    if "volunteer" not in member.tags:
        return _("no longer tagged volunteer")
    return ""


@access_group.command(name="list")
@authorized_keys_option
@click.option("--json", "as_json", is_flag=True, help=_("Print JSON instead of a table."))
@pass_club
def list_access(club: ClubContext, keys_path: Path | None, as_json: bool) -> None:
    """The volunteers' keys omtui granted: email, key type, SHA256 fingerprint."""
    path = _keys_path(keys_path)
    grants = access.list_grants(path)
    rows: list[dict[str, Any]] = [{**g.as_dict(), "note": _note(club, g.email)} for g in grants]
    if as_json:
        echo_json(rows, indent=2)
        return
    if not rows:
        echo(_("No volunteer has SSH access in {path}.").format(path=path))
        return
    width = max(len(r["email"]) for r in rows)
    kind_width = max(len(r["key_type"]) for r in rows)
    for r in rows:
        line = f"{r['email']:<{width}}  {r['key_type']:<{kind_width}}  {r['fingerprint']}"
        extra = "  ".join(x for x in (r["comment"], f"({r['note']})" if r["note"] else "") if x)
        echo(f"{line}  {extra}".rstrip())


COMMANDS: list[click.Command] = [access_group]
