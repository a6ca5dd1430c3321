"""The IMAP side of the mailbox sync, through imapclient (a maintained client, not
hand-written IMAP). Only reads, and moves when asked: never deletes, never expunges."""

from __future__ import annotations

import ssl
from collections.abc import Iterator

from omtui.config import ImapConfig
from omtui.errors import ConfigError, OmtuiError
from omtui.i18n import _


def connect(settings: ImapConfig):
    """A logged-in IMAPClient; ConfigError when [imap] is incomplete, OmtuiError when the
    server cannot be reached or refuses the login."""
    import imapclient
    from imapclient.exceptions import IMAPClientError, LoginError

    if not settings.host:
        raise ConfigError(
            _("no mailbox is configured: set host in the [imap] table (or OMTUI_IMAP_HOST)")
        )
    password = settings.password
    if not settings.username or password is None:
        raise ConfigError(
            _(
                "the mailbox login is incomplete: set username in [imap] and the password in "
                "the environment variable named by password_env (or OMTUI_IMAP_PASSWORD)"
            )
        )
    context = None
    if settings.tls in ("tls", "starttls"):
        context = ssl.create_default_context(cafile=settings.cafile)
    where = f"{settings.host}:{settings.port}"
    try:
        client = imapclient.IMAPClient(
            settings.host,
            port=settings.port,
            ssl=settings.tls == "tls",
            ssl_context=context if settings.tls == "tls" else None,
            timeout=settings.timeout,
        )
    except (OSError, IMAPClientError) as exc:
        raise OmtuiError(
            _("the mailbox server {where} cannot be reached ({error})").format(
                where=where, error=exc
            )
        ) from exc
    try:
        if settings.tls == "starttls":
            client.starttls(context)
        client.login(settings.username, password)
    except LoginError as exc:
        raise OmtuiError(
            _("the mailbox server {where} refused the login: {error}").format(
                where=where, error=exc
            )
        ) from exc
    except (OSError, IMAPClientError) as exc:
        raise OmtuiError(
            _("the mailbox server {where} failed: {error}").format(where=where, error=exc)
        ) from exc
    return client


def open_folder(client, folder: str, *, readonly: bool) -> int:
    """Select `folder` (EXAMINE when `readonly`: no flag can change); its UIDVALIDITY."""
    from imapclient.exceptions import IMAPClientError

    try:
        info = client.select_folder(folder, readonly=readonly)
    except IMAPClientError as exc:
        raise OmtuiError(
            _("the mailbox folder {folder} cannot be opened: {error}").format(
                folder=folder, error=exc
            )
        ) from exc
    return int(info[b"UIDVALIDITY"])


def new_uids(client, after: int) -> list[int]:
    """UIDs above `after`, ascending ("N:*" always returns the last message: filtered)."""
    return sorted(uid for uid in client.search(["UID", f"{after + 1}:*"]) if uid > after)


def fetch(client, uids: list[int]) -> Iterator[tuple[int, bytes]]:
    """(uid, raw bytes) with BODY.PEEK[] (never sets \\Seen), in UID order."""
    data = client.fetch(uids, ["BODY.PEEK[]"])
    for uid in sorted(data):
        raw = data[uid].get(b"BODY[]")
        if raw is not None:
            yield uid, bytes(raw)


def processed_folder(client, folder: str) -> str | None:
    """The subfolder understood mail goes to (created when missing), or None when the
    server cannot MOVE (copying then flagging deleted would be deleting)."""
    if not client.has_capability("MOVE"):
        return None
    delimiter = "/"
    for _flags, delim, _name in client.list_folders(directory="", pattern=folder):
        if delim:
            delimiter = delim.decode() if isinstance(delim, bytes) else str(delim)
        break
    from omtui.core.mail.mailbox import PROCESSED_FOLDER

    target = f"{folder}{delimiter}{PROCESSED_FOLDER}"
    if not client.folder_exists(target):
        client.create_folder(target)
    return target
