"""History over REST: paged, de-duplicated, gap-checked, equal to the catalog bars."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

import pandas as pd
import pytest

from tradeforge.adapters.ccxt.data_client import CcxtDataClient
from tradeforge.adapters.ccxt.paging import first_open_ms, next_open_ms
from tradeforge.adapters.ccxt.retry import RetryPolicy
from tradeforge.adapters.ccxt.session import SessionSettings, VenueSession
from tradeforge.model.timeframe import Timeframe
from tradeforge.sandbox import SandboxServer

from .conftest import (
    BAR_MS,
    START,
    START_MS,
    Row,
    Sleeps,
    StartServer,
    catalog_rows,
    closing,
    run,
    session_for,
)

DAY = pd.Timedelta(days=1)


def small_pages(session: VenueSession, limit: int) -> VenueSession:
    """The session with ``limit`` candles per page."""
    session.profile = replace(session.profile, ohlcv_page_limit=limit)
    return session


def rows_of(bars: list[Any]) -> list[Row]:
    return [(b.ts_open // 1_000_000, b.open, b.high, b.low, b.close, b.volume) for b in bars]


def test_grid_helpers() -> None:
    tf = Timeframe.parse("5m")
    assert first_open_ms(tf, START_MS) == START_MS
    assert first_open_ms(tf, START_MS + 1) == START_MS + BAR_MS
    assert next_open_ms(tf, START_MS) == START_MS + BAR_MS
    month = Timeframe.parse("1M")
    assert next_open_ms(month, 1_609_459_200_000) == 1_612_137_600_000  # Jan → Feb 2021


def test_paging_equals_the_catalog_bars_exactly(make_server: StartServer) -> None:
    server = make_server(paused=True, start=START + 3 * DAY)
    session = small_pages(session_for(server), 100)
    client = CcxtDataClient(session)
    pager = client.pager("BTC/USDT", "5m", START_MS, None)

    async def scenario() -> list[list[Any]]:
        return [page async for page in pager.pages()]

    pages = run(closing(session, scenario()))
    rows = [row for page in pages for row in page]
    assert rows == catalog_rows(START, START + 3 * DAY)  # 864 closed bars
    assert [len(p) for p in pages] == [99] + [100] * 7 + [65]
    assert pager.forming is not None and pager.forming[0] == START_MS + 864 * BAR_MS
    assert (pager.stats.pages, pager.stats.kept, pager.stats.duplicates) == (10, 865, 0)
    assert pager.stats.gaps == []


def test_fetch_bars_stops_before_until(paused: SandboxServer) -> None:
    session = session_for(paused)
    client = CcxtDataClient(session)
    bars = run(
        closing(session, client.fetch_bars("BTC/USDT", "5m", START - DAY / 2, START - DAY / 4))
    )
    assert rows_of(bars) == catalog_rows(START - DAY / 2, START - DAY / 4)
    assert len(bars) == 72


def test_transient_errors_while_paging_are_retried(make_server: StartServer) -> None:
    server = make_server(paused=True, start=START + DAY)
    sleeps = Sleeps()
    settings = SessionSettings(retry=RetryPolicy(max_attempts=4))
    session = small_pages(session_for(server, settings, sleep=sleeps), 50)
    client = CcxtDataClient(session)

    async def scenario() -> list[Any]:
        await client.load_markets()
        server.error_burst(3, status=503)
        return await client.fetch_bars("BTC/USDT", "5m", START, START + DAY)

    bars = run(closing(session, scenario()))
    assert rows_of(bars) == catalog_rows(START, START + DAY)
    assert session.retries == 3
    assert len(sleeps.calls) == 3


def test_hostile_rows_are_dropped_logged_and_counted(
    paused: SandboxServer, caplog: pytest.LogCaptureFixture
) -> None:
    session = small_pages(session_for(paused), 10)
    client = CcxtDataClient(session)
    exchange = session.exchange
    real = exchange.fetch_ohlcv
    calls = {"n": 0}

    async def hostile(*args: Any, **kwargs: Any) -> Any:
        rows = await real(*args, **kwargs)
        calls["n"] += 1
        if calls["n"] == 1:
            rows = [
                *rows[:3],
                ["x", 1, 2, 3, 4, 5],
                [rows[3][0], 5, 1, 2, 3, 4],
                rows[2],
                *rows[3:],
            ]
        if calls["n"] == 2:
            rows = [*rows, [rows[-1][0] + 7, 1, 1, 1, 1, 1]]  # off the 5m grid
        return rows

    exchange.fetch_ohlcv = hostile
    pager = client.pager("BTC/USDT", "5m", START_MS - 30 * BAR_MS, START_MS)

    async def scenario() -> list[Any]:
        return [row async for page in pager.pages() for row in page]

    with caplog.at_level(logging.WARNING, logger="tradeforge.adapters"):
        rows = run(closing(session, scenario()))
    assert rows == catalog_rows(START - pd.Timedelta(minutes=150), START)
    assert (pager.stats.malformed, pager.stats.duplicates) == (3, 1)
    messages = [r.getMessage() for r in caplog.records]
    assert any("candle time 'x'" in m and "raw=['x', 1, 2, 3, 4, 5]" in m for m in messages)
    assert any("breaks 0 < low <= open, close <= high" in m for m in messages)
    assert any("off the 5m grid" in m for m in messages)


def test_holes_in_the_venue_series_are_reported_as_gaps(paused: SandboxServer) -> None:
    session = session_for(paused)
    client = CcxtDataClient(session)
    exchange = session.exchange
    real = exchange.fetch_ohlcv

    async def holed(*args: Any, **kwargs: Any) -> Any:
        rows = await real(*args, **kwargs)
        return [r for r in rows if r[0] not in (START_MS - 10 * BAR_MS, START_MS - 9 * BAR_MS)]

    exchange.fetch_ohlcv = holed
    pager = client.pager("BTC/USDT", "5m", START_MS - 20 * BAR_MS, START_MS)

    async def scenario() -> int:
        return len([row async for page in pager.pages() for row in page])

    assert run(closing(session, scenario())) == 18
    assert pager.stats.gaps == [(START_MS - 10 * BAR_MS, START_MS - 8 * BAR_MS)]
