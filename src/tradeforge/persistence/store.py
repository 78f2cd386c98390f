"""The store: one engine per database URL and short sessions, one per unit of work.

SQLite (the default, a file) is opened with WAL journaling (readers never wait for the writer),
foreign keys enforced, a 10 s busy timeout and ``synchronous=NORMAL``. PostgreSQL URLs are
normalised to the psycopg 3 driver (``postgresql://`` and ``postgres://`` become
``postgresql+psycopg://``). A ``schema`` puts every table of the store in that PostgreSQL
schema (through ``search_path``); the tests give each test its own.

Database errors leave :meth:`Store.session` as :mod:`tradeforge.persistence.errors`, each with
one line naming the database and the cause.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Self

from sqlalchemy import Connection, Engine, create_engine, event, exc
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker

from tradeforge.persistence.errors import (
    ConstraintViolationError,
    StoreError,
    StoreUnavailableError,
    StoreUrlError,
    StoreValueError,
)

SQLITE_BUSY_TIMEOUT_MS = 10_000
_PG_DRIVER = "postgresql+psycopg"


def normalize_url(url: str | URL) -> URL:
    """Parse a database URL; PostgreSQL URLs get the psycopg 3 driver.

    Raises
    ------
    StoreUrlError
        When the URL cannot be parsed or names a backend other than SQLite or PostgreSQL.
    """
    try:
        parsed = make_url(url) if isinstance(url, str) else url
    except exc.ArgumentError:
        raise StoreUrlError(
            f"bad database URL {str(url)!r}: use sqlite:///path/to/file.db or "
            "postgresql://user@host:5432/database"
        ) from None
    backend = parsed.get_backend_name()
    if backend in ("postgresql", "postgres"):
        return parsed.set(drivername=_PG_DRIVER)
    if backend == "sqlite":
        return parsed
    raise StoreUrlError(
        f"unsupported database {parsed.render_as_string(hide_password=True)!r}: "
        "tradeforge stores state in SQLite or PostgreSQL"
    )


def display_url(url: URL) -> str:
    """The URL as text with the password hidden."""
    return url.render_as_string(hide_password=True)


class Store:
    """A database of tradeforge state.

    Parameters
    ----------
    url : str or URL
        ``sqlite:///path.db`` (the folder is created) or ``postgresql://user@host/db``.
    schema : str, optional
        PostgreSQL only: the schema holding the tables (it must exist).
    echo : bool
        Log every SQL statement.

    Examples
    --------
    >>> store = Store("sqlite:///:memory:")
    >>> with store.session() as session:
    ...     pass  # committed on success, rolled back on error
    """

    def __init__(self, url: str | URL, *, schema: str | None = None, echo: bool = False) -> None:
        self.url = normalize_url(url)
        self.schema = schema
        self.engine: Engine = _create_engine(self.url, schema, echo)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def backend(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return self.url.get_backend_name()

    def __repr__(self) -> str:
        schema = f", schema={self.schema!r}" if self.schema else ""
        return f"Store({display_url(self.url)!r}{schema})"

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One unit of work: committed when the block ends, rolled back when it raises.

        Raises
        ------
        ConstraintViolationError, StoreUnavailableError, StoreValueError, StoreError
            Database errors, translated to one clear line (the original is chained).
        """
        with self.translate_errors(), self._sessions() as session, session.begin():
            yield session

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One unit of work on a plain connection (Core statements, no ORM session): committed
        when the block ends, rolled back when it raises; errors translated as in
        :meth:`session`."""
        with self.translate_errors(), self.engine.begin() as connection:
            yield connection

    @contextmanager
    def translate_errors(self) -> Iterator[None]:
        """Turn SQLAlchemy and driver errors raised in the block into store errors."""
        try:
            yield
        except StoreError:
            raise
        except exc.IntegrityError as error:
            raise _constraint_error(error) from error
        except exc.StatementError as error:
            if isinstance(error.orig, StoreValueError):
                raise StoreValueError(str(error.orig)) from error
            if isinstance(error, exc.OperationalError | exc.InterfaceError):
                raise self._unavailable(error) from error
            raise StoreError(f"{display_url(self.url)}: {_first_line(error.orig)}") from error
        except StoreValueError:
            raise

    def _unavailable(self, error: exc.DBAPIError) -> StoreError:
        message = _first_line(error.orig)
        if error.connection_invalidated or "connect" in message or "unable to open" in message:
            return StoreUnavailableError(f"cannot reach {display_url(self.url)}: {message}")
        return StoreError(f"{display_url(self.url)}: {message}")

    def check_connection(self) -> None:
        """Open and close one connection.

        Raises
        ------
        StoreUnavailableError
            When the server cannot be reached or the file cannot be opened.
        """
        try:
            with self.engine.connect():
                pass
        except exc.DBAPIError as error:
            raise StoreUnavailableError(
                f"cannot reach {display_url(self.url)}: {_first_line(error.orig)}"
            ) from error

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.dispose()


def _create_engine(url: URL, schema: str | None, echo: bool) -> Engine:
    if url.get_backend_name() == "sqlite":
        database = url.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, echo=echo)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    connect_args: dict[str, Any] = {"connect_timeout": 5}
    if schema is not None:
        connect_args["options"] = f"-csearch_path={schema}"
    return create_engine(url, echo=echo, connect_args=connect_args, pool_pre_ping=True)


def _sqlite_pragmas(connection: Any, _record: object) -> None:
    cursor = connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def _first_line(error: object) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _constraint_error(error: exc.IntegrityError) -> ConstraintViolationError:
    """One line naming the constraint (PostgreSQL) or the columns (SQLite) and the cause."""
    orig = error.orig
    diag = getattr(orig, "diag", None)
    constraint = getattr(diag, "constraint_name", None)
    detail = getattr(diag, "message_detail", None)
    message = _first_line(orig)
    if constraint:
        message = f"{message}{f' ({detail})' if detail else ''}"
    return ConstraintViolationError(f"constraint violated: {message}", constraint)
