"""Errors a person can act on; the CLI prints them as one line and exits with `exit_code`."""

from __future__ import annotations


class OmtuiError(Exception):
    """Base class for errors that carry a message meant for the user."""

    exit_code = 1


class UnusableInput(OmtuiError):
    """The input cannot be used at all; nothing was written."""

    exit_code = 2


class DatabaseError(UnusableInput):
    """The database file cannot be opened safely (not SQLite, or a newer schema)."""


class ForeignDatabase(DatabaseError):
    """An SQLite file that belongs to another application; it was left untouched."""


class DatabaseDamaged(DatabaseError):
    """SQLite reports the file as damaged (corrupt pages, truncated file)."""


class DatabaseUnwritable(DatabaseError):
    """The file or its folder is read-only for this account, or the disk is full."""


class DatabaseBusy(DatabaseError):
    """Another process held the write lock past the configured wait; nothing was written."""


class ConfigError(UnusableInput):
    """The config file is not valid TOML or has a wrong value."""


class NotFound(OmtuiError):
    """A record the user named does not exist."""


class ValidationError(OmtuiError):
    """A field value is wrong; `field` names it so forms can show the message inline."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field
