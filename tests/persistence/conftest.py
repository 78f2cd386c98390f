"""The same tests on SQLite (a temporary file) and PostgreSQL (a fresh schema per test).

``store`` is parametrized over both backends; the PostgreSQL case carries the ``postgres``
marker, so it skips without a server, except under ``TRADEFORGE_REQUIRE_SERVICES=1`` (CI),
where it fails. Each PostgreSQL test gets its own schema (``t_<uuid>``), dropped afterwards,
so tests can run in parallel (``pytest -n 2``).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from tradeforge.persistence import migrations
from tradeforge.persistence.store import Store

T0 = datetime(2024, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
"""A fixed moment: the tests' clock."""

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
]

MakeStore = Callable[..., Store]


@pytest.fixture
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[str], Store]]:
    """``make_store("sqlite")`` or ``make_store("postgres")``: an empty store, no tables."""
    made: list[tuple[Store, str | None, str | None]] = []

    def make(backend: str) -> Store:
        if backend == "sqlite":
            store = Store(f"sqlite:///{tmp_path / f'store{len(made)}.db'}")
            made.append((store, None, None))
            return store
        url = request.getfixturevalue("postgres_url")
        schema = f"t_{uuid.uuid4().hex[:12]}"
        with Store(url) as admin, admin.engine.begin() as connection:
            connection.execute(text(f"CREATE SCHEMA {schema}"))
        store = Store(url, schema=schema)
        made.append((store, url, schema))
        return store

    yield make
    for store, url, schema in made:
        store.dispose()
        if url is not None:
            with Store(url) as admin, admin.engine.begin() as connection:
                connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """``"sqlite"`` or ``"postgres"``."""
    return str(request.param)


@pytest.fixture
def empty_store(make_store: Callable[[str], Store], backend: str) -> Store:
    """A store without tables, on each backend."""
    return make_store(backend)


@pytest.fixture
def store(empty_store: Store) -> Store:
    """A store migrated to the latest revision, on each backend."""
    migrations.upgrade(empty_store)
    return empty_store


def cli_url(store: Store) -> str:
    """A URL the CLI can take for ``store`` (its schema in ``options`` on PostgreSQL)."""
    url = store.url
    if store.schema is not None:
        url = url.update_query_dict({"options": f"-csearch_path={store.schema}"})
    return url.render_as_string(hide_password=False)
