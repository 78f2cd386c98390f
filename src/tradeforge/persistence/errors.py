"""Errors of the state store, each with a one-line message a user can act on.

This module imports nothing heavy, so the CLI can list these errors among the user errors it
reports without loading SQLAlchemy.
"""

from __future__ import annotations


class StoreError(Exception):
    """Anything that went wrong in the store; the message names the database and the cause."""


class StoreUrlError(StoreError):
    """A database URL that cannot be used (malformed, or a backend tradeforge does not support)."""


class StoreUnavailableError(StoreError):
    """The database server cannot be reached, or the file cannot be opened."""


class ConstraintViolationError(StoreError):
    """A write refused by a constraint (unique, foreign key, not null, check).

    Attributes
    ----------
    constraint : str or None
        The constraint's name when the backend reports it (PostgreSQL does, SQLite names the
        columns instead).
    """

    def __init__(self, message: str, constraint: str | None = None) -> None:
        super().__init__(message)
        self.constraint = constraint


class StoreValueError(StoreError, ValueError):
    """A value that cannot be stored exactly (a naive datetime, a float for money, NaN)."""


class SchemaError(StoreError):
    """The database schema is not at the revision the code needs, or a migration failed."""


class CopyMismatchError(StoreError):
    """``db copy`` found different row counts or checksums in the target than in the source."""
