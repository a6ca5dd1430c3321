"""The TOML config file as typed dataclasses, with environment overrides.

Secrets are never stored in the file: `[smtp] password_env` names the environment
variable that holds the SMTP password (or `OMTUI_SMTP_PASSWORD` is used directly).
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from omtui.errors import ConfigError
from omtui.i18n import LANGUAGES, _

TLS_MODES = ("none", "starttls", "tls")


class _Server:
    """What the SMTP and IMAP settings share: a password read from the environment, and
    a repr that never shows it."""

    PASSWORD_VAR: ClassVar[str]
    """The environment variable that holds the password (it beats `password_env`)."""
    host: str
    port: int
    tls: str
    password_env: str | None

    @property
    def password(self) -> str | None:
        """Read the password from the environment at the moment it is needed."""
        if self.PASSWORD_VAR in os.environ:
            return os.environ[self.PASSWORD_VAR]
        if self.password_env:
            return os.environ.get(self.password_env)
        return None

    def __repr__(self) -> str:  # never leak a password through a repr
        return f"{type(self).__name__}(host={self.host!r}, port={self.port}, tls={self.tls!r})"


@dataclass(frozen=True, repr=False)
class SmtpConfig(_Server):
    PASSWORD_VAR = "OMTUI_SMTP_PASSWORD"
    host: str = "localhost"
    port: int = 25
    tls: str = "none"
    username: str | None = None
    password_env: str | None = None
    from_address: str = ""
    """The club's sending address; nothing is sent until it is set."""
    from_name: str = ""
    concurrency: int = 4
    rate: float = 10.0
    max_consecutive_errors: int = 20
    timeout: float = 30.0
    """Seconds to wait for the server's reply to each command."""
    data_timeout: float = 600.0
    """Seconds to wait for the reply after the end of a message (RFC 5321 4.5.3.2: 10 min)."""
    helo_name: str = ""
    """The name given in EHLO; empty: this machine's full name, or from_address's domain."""
    cafile: str | None = None
    """A CA bundle to trust for tls/starttls (a relay with a private certificate)."""
    bounce_address: str = ""
    """The envelope sender (Return-Path): where bounces go; empty means from_address.
    Point it at the mailbox `omtui mailbox sync` reads."""

    @property
    def envelope_sender(self) -> str:
        return self.bounce_address.strip() or self.from_address


@dataclass(frozen=True, repr=False)
class ImapConfig(_Server):
    """The club's mailbox that `omtui mailbox sync` reads (bounces, unsubscribe requests)."""

    PASSWORD_VAR = "OMTUI_IMAP_PASSWORD"
    host: str = ""
    """Empty: no mailbox configured."""
    port: int = 993
    tls: str = "tls"
    username: str = ""
    password_env: str | None = None
    folder: str = "INBOX"
    move_processed: bool = False
    """Move the messages omtui understood into a subfolder (never deletes anything)."""
    cafile: str | None = None
    timeout: float = 60.0


@dataclass(frozen=True)
class DatabaseConfig:
    busy_timeout: float = 60.0
    """Seconds a writer waits for another process's write to finish before giving up."""


@dataclass(frozen=True)
class RemindersConfig:
    """`[reminders]`: which reminders `omtui remind` sends, and how long ahead."""

    event: bool = True
    event_lead_hours: float = 24.0
    shift: bool = True
    shift_lead_hours: float = 48.0
    promotion: bool = True
    call_for_help: bool = True
    call_for_help_days: float = 7.0
    drop_notice: bool = True
    drop_notice_hours: float = 48.0
    change: bool = True


@dataclass(frozen=True)
class BackupConfig:
    dir: str | None = None
    """Where `omtui backup` writes (default: a "backups" folder beside the database)."""
    daily: int = 7
    """How many daily copies to keep (the newest of each of the last N days with one)."""
    weekly: int = 4
    monthly: int = 12


@dataclass(frozen=True)
class PrivacyConfig:
    outbox_days: int = 180
    """Sent mails older than this lose their recipients' addresses."""
    archived_days: int = 1095
    """Members archived longer than this are listed for erasure."""


@dataclass(frozen=True)
class NewsletterConfig:
    """`[newsletter]`: what members receive."""

    language: str | None = None
    """The language of the mails ("fr" or "en"); default: the club's language."""
    footer: str | None = None
    """Markdown after every newsletter, with {club_name} and {unsubscribe}; default: a
    sentence naming the club and an unsubscribe link, in the newsletter's language."""


@dataclass(frozen=True)
class Config:
    club_name: str = ""
    """Empty: not configured (the send plan warns; the database may hold the name)."""
    timezone: str = "Europe/Paris"
    db: str | None = None
    language: str | None = None
    """The interface language, "fr" or "en" (`OMTUI_LANG` beats it; default: the locale)."""
    list_id: str = "newsletter.club.example.org"
    unsubscribe_mailto: str | None = None
    unsubscribe_url: str | None = None
    smtp: SmtpConfig = field(default_factory=SmtpConfig)
    imap: ImapConfig = field(default_factory=ImapConfig)
    database: DatabaseConfig = field(default_factory=DatabaseConfig)
    reminders: RemindersConfig = field(default_factory=RemindersConfig)
    organiser_email: str = ""
    """Where notices for the organiser go (a volunteer dropping a shift at short notice)."""
    organiser_phone: str = ""
    """Shown with organiser_email in the volunteer view: how to reach her on the day."""
    backup: BackupConfig = field(default_factory=BackupConfig)
    privacy: PrivacyConfig = field(default_factory=PrivacyConfig)
    newsletter: NewsletterConfig = field(default_factory=NewsletterConfig)
    path: Path | None = None

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def _check_type(section: str, key: str, value: Any, expected: type | tuple[type, ...]) -> Any:
    if not isinstance(value, expected) or (isinstance(value, bool) and expected is not bool):
        names = (
            " or ".join(t.__name__ for t in expected)
            if isinstance(expected, tuple)
            else expected.__name__
        )
        raise ConfigError(
            _("config: [{section}] {key} must be a {type}, got {value!r}").format(
                section=section, key=key, type=names, value=value
            )
        )
    return value


_CLUB_KEYS: dict[str, type | tuple[type, ...]] = {
    "club_name": str,
    "timezone": str,
    "db": str,
    "language": str,
    "list_id": str,
    "unsubscribe_mailto": str,
    "unsubscribe_url": str,
    "organiser_email": str,
    "organiser_phone": str,
}
_REMINDERS_KEYS: dict[str, type | tuple[type, ...]] = {
    name: (bool if isinstance(value, bool) else (int, float))
    for name, value in RemindersConfig().__dict__.items()
}
_SMTP_KEYS: dict[str, type | tuple[type, ...]] = {
    "host": str,
    "port": int,
    "tls": str,
    "username": str,
    "password_env": str,
    "from_address": str,
    "from_name": str,
    "concurrency": int,
    "rate": (int, float),
    "max_consecutive_errors": int,
    "timeout": (int, float),
    "data_timeout": (int, float),
    "helo_name": str,
    "cafile": str,
    "bounce_address": str,
}
_IMAP_KEYS: dict[str, type | tuple[type, ...]] = {
    "host": str,
    "port": int,
    "tls": str,
    "username": str,
    "password_env": str,
    "folder": str,
    "move_processed": bool,
    "cafile": str,
    "timeout": (int, float),
}
_IMAP_ENV = {
    "OMTUI_IMAP_HOST": ("host", str),
    "OMTUI_IMAP_PORT": ("port", int),
    "OMTUI_IMAP_TLS": ("tls", str),
    "OMTUI_IMAP_USER": ("username", str),
}
_DATABASE_KEYS: dict[str, type | tuple[type, ...]] = {"busy_timeout": (int, float)}
_BACKUP_KEYS: dict[str, type | tuple[type, ...]] = {
    "dir": str,
    "daily": int,
    "weekly": int,
    "monthly": int,
}
_PRIVACY_KEYS: dict[str, type | tuple[type, ...]] = {"outbox_days": int, "archived_days": int}
_NEWSLETTER_KEYS: dict[str, type | tuple[type, ...]] = {"language": str, "footer": str}
NEWSLETTER_LANGUAGES = ("fr", "en")
_SMTP_ENV = {
    "OMTUI_SMTP_HOST": ("host", str),
    "OMTUI_SMTP_PORT": ("port", int),
    "OMTUI_SMTP_TLS": ("tls", str),
    "OMTUI_SMTP_USER": ("username", str),
    "OMTUI_FROM": ("from_address", str),
}


def _parse_table(section: str, table: dict[str, Any], keys: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in table.items():
        if key not in keys:
            raise ConfigError(
                _("config: unknown key {key!r} in [{section}]; known keys: {known}").format(
                    key=key, section=section, known=", ".join(sorted(keys))
                )
            )
        out[key] = _check_type(section, key, value, keys[key])
    return out


def _from_environment(table: dict[str, Any], names: dict[str, tuple[str, type]]) -> None:
    """Environment variables beat the file: `names` maps each to its key and its type."""
    for env, (key, kind) in names.items():
        if env in os.environ:
            try:
                table[key] = kind(os.environ[env])
            except ValueError as exc:
                raise ConfigError(
                    _("environment: {env} must be a {type}").format(env=env, type=kind.__name__)
                ) from exc


def _section(raw: dict[str, Any], name: str) -> dict[str, Any]:
    table = raw.pop(name, {})
    if not isinstance(table, dict):
        raise ConfigError(_("config: [{section}] must be a table").format(section=name))
    return table


def load_config(path: Path | None) -> Config:
    """Read the config at `path` (a missing file means defaults), then apply env overrides."""
    raw: dict[str, Any] = {}
    if path is not None and path.exists():
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(
                _("config: {path} is not valid TOML: {error}").format(path=path, error=exc)
            ) from exc
    smtp_raw = raw.pop("smtp", {})
    if not isinstance(smtp_raw, dict):
        raise ConfigError(_("config: [smtp] must be a table"))
    imap_raw = raw.pop("imap", {})
    if not isinstance(imap_raw, dict):
        raise ConfigError(_("config: [imap] must be a table"))
    database_raw = raw.pop("database", {})
    if not isinstance(database_raw, dict):
        raise ConfigError(_("config: [database] must be a table"))
    database = _parse_table("database", database_raw, _DATABASE_KEYS)
    backup = _parse_table("backup", _section(raw, "backup"), _BACKUP_KEYS)
    privacy = _parse_table("privacy", _section(raw, "privacy"), _PRIVACY_KEYS)
    for section, values in (("backup", backup), ("privacy", privacy)):
        for key, value in values.items():
            if isinstance(value, int) and value < 0:
                raise ConfigError(
                    _("config: [{section}] {key} must be 0 or more").format(
                        section=section, key=key
                    )
                )
    _from_environment(database, {"OMTUI_BUSY_TIMEOUT": ("busy_timeout", float)})
    if database.get("busy_timeout", 60.0) < 0:
        raise ConfigError(_("config: [database] busy_timeout must be 0 or more seconds"))
    reminders_raw = raw.pop("reminders", {})
    if not isinstance(reminders_raw, dict):
        raise ConfigError(_("config: [reminders] must be a table"))
    reminders: dict[str, Any] = {
        key: value if isinstance(value, bool) else float(value)
        for key, value in _parse_table("reminders", reminders_raw, _REMINDERS_KEYS).items()
    }
    if any(not isinstance(v, bool) and v <= 0 for v in reminders.values()):
        raise ConfigError(_("config: [reminders] lead times must be more than 0"))
    newsletter_raw = raw.pop("newsletter", {})
    if not isinstance(newsletter_raw, dict):
        raise ConfigError(_("config: [newsletter] must be a table"))
    newsletter = _parse_table("newsletter", newsletter_raw, _NEWSLETTER_KEYS)
    if newsletter.get("language") not in (None, *NEWSLETTER_LANGUAGES):
        raise ConfigError(
            _("config: [newsletter] language must be one of {languages}, not {value!r}").format(
                languages=", ".join(NEWSLETTER_LANGUAGES), value=newsletter["language"]
            )
        )
    club = _parse_table(_("top level"), raw, _CLUB_KEYS)
    smtp = _parse_table("smtp", smtp_raw, _SMTP_KEYS)
    _from_environment(smtp, _SMTP_ENV)
    if smtp.get("tls", "none") not in TLS_MODES:
        raise ConfigError(
            _("config: [smtp] tls must be one of {modes}").format(modes=", ".join(TLS_MODES))
        )
    if club.get("language") not in (None, *LANGUAGES):
        raise ConfigError(
            _("config: language must be one of {languages}, not {language!r}").format(
                languages=", ".join(LANGUAGES), language=club["language"]
            )
        )
    imap = _parse_table("imap", imap_raw, _IMAP_KEYS)
    _from_environment(imap, _IMAP_ENV)
    if imap.get("tls", "tls") not in TLS_MODES:
        raise ConfigError(
            _("config: [imap] tls must be one of {modes}").format(modes=", ".join(TLS_MODES))
        )
    if "port" not in imap and imap.get("tls", "tls") != "tls":
        imap["port"] = 143
    if "timeout" in imap:
        imap["timeout"] = float(imap["timeout"])
    if "rate" in smtp:
        smtp["rate"] = float(smtp["rate"])
    if "port" not in smtp and smtp.get("tls") == "tls":
        smtp["port"] = 465
    elif "port" not in smtp and smtp.get("tls") == "starttls":
        smtp["port"] = 587
    config = Config(
        **club,
        smtp=SmtpConfig(**smtp),
        imap=ImapConfig(**imap),
        newsletter=NewsletterConfig(**newsletter),
        database=DatabaseConfig(busy_timeout=float(database.get("busy_timeout", 60.0))),
        reminders=RemindersConfig(**reminders),
        backup=BackupConfig(**backup),
        privacy=PrivacyConfig(**privacy),
        path=path,
    )
    try:
        config.tz  # noqa: B018 - validate the zone name early
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(_("config: unknown timezone {tz!r}").format(tz=config.timezone)) from exc
    return config
