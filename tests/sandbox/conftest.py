"""Sandboxes for the tests: on ports 18700-18799, fast, driven by the real ccxt client.

``paused`` is a BTC/USDT sandbox whose market clock stands still at 2021-01-02 00:00 UTC
(tests step it with ``server.advance(ms)``), so fills are exact; ``live`` runs at 1000x.
Expected values come from the catalog bars, read here independently of the sandbox.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Coroutine, Iterator
from decimal import Decimal
from typing import Any, TypeVar

import ccxt
import pandas as pd
import pytest
import websockets

from tradeforge.data import ParquetCatalog
from tradeforge.samples import SAMPLE_CATALOG
from tradeforge.sandbox import SandboxConfig, SandboxError, SandboxServer

T = TypeVar("T")
PORTS = range(18700, 18800)
START = pd.Timestamp("2021-01-02", tz="UTC")
START_MS = int(START.timestamp() * 1000)
BAR_MS = 300_000
StartServer = Callable[..., SandboxServer]


def start_server(**settings: Any) -> SandboxServer:
    """A started sandbox on a free port of the test range."""
    ports = list(PORTS)
    random.shuffle(ports)
    for port in ports[:40]:
        config = SandboxConfig(port=port, **settings)
        try:
            return SandboxServer(config).start()
        except SandboxError as error:
            if "cannot listen" not in str(error):
                raise
    raise RuntimeError("no free port in 18700-18799")


@pytest.fixture
def make_server() -> Iterator[StartServer]:
    """``make_server(**settings)`` starts sandboxes that stop after the test."""
    started: list[SandboxServer] = []

    def make(**settings: Any) -> SandboxServer:
        defaults: dict[str, Any] = {"speed": 1000, "symbols": ("BTC/USDT",)}
        server = start_server(**(defaults | settings))
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()


@pytest.fixture
def paused(make_server: StartServer) -> SandboxServer:
    """BTC/USDT standing at 2021-01-02 00:00 UTC with 10000 USDT and 1 BTC."""
    return make_server(
        paused=True, balances={"USDT": Decimal(10_000), "BTC": Decimal(1)}, start=START
    )


@pytest.fixture
def live(make_server: StartServer) -> SandboxServer:
    """BTC/USDT and ETH/USDT replayed at 1000x from 2021-01-02 00:00 UTC."""
    return make_server(symbols=("BTC/USDT", "ETH/USDT"), start=START)


def rest(server: SandboxServer, **extra: Any) -> ccxt.binance:
    """A sync ccxt client of ``server``."""
    return ccxt.binance(server.ccxt_config(**extra))


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to its end with a 20 s safety limit."""
    return asyncio.run(asyncio.wait_for(coroutine, 20))


def connect(url: str) -> websockets.asyncio.client.connect:
    """A raw websocket client that queues every frame (with websockets' default of 16
    unread frames it stops reading, and a close then waits 10 s for the server's reply)."""
    return websockets.connect(url, max_queue=None)


async def subscribed(server: SandboxServer) -> None:
    """Wait until a client listens to the user data stream (so no event is missed)."""

    def listening() -> bool:
        return server.call(lambda s: any(c.user_ids for c in s.hub.connections))

    while not await asyncio.to_thread(listening):
        await asyncio.sleep(0.01)


def catalog_bars(symbol: str = "BTC/USDT", timeframe: str = "5m") -> pd.DataFrame:
    """The bundled bars, straight from the catalog (the truth the sandbox replays)."""
    return ParquetCatalog(SAMPLE_CATALOG).read_bars("binance", symbol, timeframe)


def bar_at(time: pd.Timestamp, symbol: str = "BTC/USDT") -> pd.Series:
    """The catalog bar opening at ``time``."""
    return catalog_bars(symbol).loc[time]


def price(value: float) -> Decimal:
    """A catalog price as an exact decimal."""
    return Decimal(repr(float(value)))


def first_touch(
    level: float, below: bool, after: pd.Timestamp = START
) -> tuple[pd.Series, Decimal]:
    """The first bar after ``after`` whose range reaches ``level`` (from above when
    ``below``), and the fill price the rules give: the level, or the open on a gap."""
    bars = catalog_bars().loc[after:]
    hit = bars[bars["low"] <= level] if below else bars[bars["high"] >= level]
    bar = hit.iloc[0]
    gapped = bar["open"] <= level if below else bar["open"] >= level
    return bar, price(bar["open"]) if gapped else price(level)
