"""Sandboxes and helpers for the ccxt adapter tests.

Every sandbox listens on a free port the OS picks (``port=0``); ``paused`` stands still at
2021-01-02 00:00 UTC (tests step it with ``server.advance(ms)``) so fills are exact. Expected
values come from the bundled catalog, read here independently of the sandbox.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Iterator
from decimal import Decimal
from typing import Any, TypeVar

import pandas as pd
import pytest

from tradeforge.adapters.ccxt.factory import Credentials, build_session
from tradeforge.adapters.ccxt.session import SessionSettings, VenueSession
from tradeforge.data import ParquetCatalog
from tradeforge.samples import SAMPLE_CATALOG
from tradeforge.sandbox import SandboxConfig, SandboxServer

T = TypeVar("T")
START = pd.Timestamp("2021-01-02", tz="UTC")
START_MS = int(START.timestamp() * 1000)
BAR_MS = 300_000
StartServer = Callable[..., SandboxServer]


@pytest.fixture
def make_server() -> Iterator[StartServer]:
    """``make_server(**settings)`` starts BTC/USDT sandboxes (1000x) stopped after the test."""
    started: list[SandboxServer] = []

    def make(**settings: Any) -> SandboxServer:
        defaults: dict[str, Any] = {"port": 0, "speed": 1000, "symbols": ("BTC/USDT",)}
        server = SandboxServer(SandboxConfig(**(defaults | settings))).start()
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()


@pytest.fixture
def paused(make_server: StartServer) -> SandboxServer:
    """BTC/USDT standing at 2021-01-02 00:00 UTC with 10000 USDT and 1 BTC."""
    return make_server(
        paused=True, start=START, balances={"USDT": Decimal(10_000), "BTC": Decimal(1)}
    )


def session_for(
    server: SandboxServer, settings: SessionSettings | None = None, **hooks: Any
) -> VenueSession:
    """A binance session pointed at ``server`` (signed with its credentials)."""
    keys = Credentials(server.config.api_key, server.config.api_secret)
    return build_session(
        "binance", url=server.http_url, credentials=keys, settings=settings, **hooks
    )


def run(coroutine: Coroutine[Any, Any, T], timeout: float = 30) -> T:
    """Run a coroutine to its end with a safety limit."""
    return asyncio.run(asyncio.wait_for(coroutine, timeout))


async def closing(session: VenueSession, coroutine: Coroutine[Any, Any, T]) -> T:
    """Await ``coroutine``, then close the session's exchange."""
    try:
        return await coroutine
    finally:
        await session.exchange.close()


class FakeClock:
    """Monotonic seconds that move only when told."""

    def __init__(self, start: float = 0.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class Sleeps:
    """An injected ``sleep`` that records what it was asked and returns at once."""

    def __init__(self, clock: FakeClock | None = None) -> None:
        self.calls: list[float] = []
        self.clock = clock

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        if self.clock is not None:
            self.clock.advance(seconds)


def catalog_bars(symbol: str = "BTC/USDT", timeframe: str = "5m") -> pd.DataFrame:
    """The bundled bars, straight from the catalog (the truth the sandbox replays)."""
    return ParquetCatalog(SAMPLE_CATALOG).read_bars("binance", symbol, timeframe)


Row = tuple[int, float, float, float, float, float]


def catalog_rows(start: pd.Timestamp, end: pd.Timestamp) -> list[Row]:
    """Catalog bars opening in ``[start, end)`` as ``(ms, o, h, l, c, v)``, volume to 1e-8
    (the sandbox writes 8 decimals)."""
    bars = catalog_bars().loc[start : end - pd.Timedelta(1, "ns")]
    return [
        (
            int(ts.timestamp() * 1000),
            *map(float, (b.open, b.high, b.low, b.close)),
            round(float(b.volume), 8),
        )
        for ts, b in zip(bars.index, bars.itertuples(), strict=True)
    ]
