"""Real bars for the optimizer tests, loaded once per worker, and a store per backend."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import pandas as pd
import pytest
from sqlalchemy import text

from tests.cli.conftest import catalog_dir, invoke  # noqa: F401 - the CLI tests' fixtures
from tests.strategies.conftest import bars
from tradeforge.persistence.store import Store

CASH = 10_000
COMMISSION = 0.001
BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
]


@pytest.fixture(scope="session")
def btc_1h_q1() -> pd.DataFrame:
    """BTC/USDT 1h, 2021-01-01 to 2021-03-31 (2,160 bars)."""
    return bars("BTC/USDT", "1h", "2021-01-01", "2021-04-01")


@pytest.fixture(scope="session")
def btc_1h_h1() -> pd.DataFrame:
    """BTC/USDT 1h, 2021-01-01 to 2021-06-30 (4,343 bars)."""
    return bars("BTC/USDT", "1h", "2021-01-01", "2021-07-01")


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[str], str]]:
    """``database_url("sqlite")``: a new SQLite file's URL; ``database_url("postgres")``: the
    test server's URL in a fresh schema (through ``options=-csearch_path``), dropped after."""
    schemas: list[tuple[str, str]] = []

    def make(backend: str) -> str:
        if backend == "sqlite":
            return f"sqlite:///{tmp_path / f'db{uuid.uuid4().hex[:6]}.db'}"
        url = request.getfixturevalue("postgres_url")
        schema = f"t_{uuid.uuid4().hex[:12]}"
        with Store(url) as admin, admin.engine.begin() as connection:
            connection.execute(text(f"CREATE SCHEMA {schema}"))
        schemas.append((url, schema))
        return f"{url}?options={quote(f'-csearch_path={schema}')}"

    yield make
    for url, schema in schemas:
        with Store(url) as admin, admin.engine.begin() as connection:
            connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
