"""Sandboxes, stores and node settings for the node tests.

The sandbox stands paused at 2021-01-10 00:00 UTC (BTC/USDT, 10,000 USDT) unless a test asks
otherwise; :class:`Driver` moves it one 5-minute bar at a time and turns the node's loop until
the bar is dispatched, so every run is exact. Everything goes through the real ccxt client on
ports the OS picks.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tradeforge.adapters.ccxt import Credentials
from tradeforge.live import NodeConfig, TradingNode, node_config
from tradeforge.model.events import OrderEvent
from tradeforge.model.market_data import Bar
from tradeforge.model.orders import Order
from tradeforge.persistence.store import Store
from tradeforge.sandbox import SandboxConfig, SandboxServer

START = "2021-01-10"
START_NS = 1_610_236_800_000_000_000
BAR_MS = 300_000
KEYS = Credentials("sandbox-key", "sandbox-secret")
STRATEGIES = Path(__file__).with_name("strategies.py")
StartServer = Callable[..., SandboxServer]


@pytest.fixture
def make_server() -> Iterator[StartServer]:
    """``make_server(**settings)``: BTC/USDT sandboxes, paused at 2021-01-10, stopped after."""
    started: list[SandboxServer] = []

    def make(**settings: Any) -> SandboxServer:
        defaults: dict[str, Any] = {
            "port": 0, "speed": 1000, "symbols": ("BTC/USDT",), "start": START, "paused": True,
            "balances": {"USDT": Decimal(10_000)},
        }  # fmt: skip
        server = SandboxServer(SandboxConfig(**(defaults | settings))).start()
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()


@pytest.fixture
def server(make_server: StartServer) -> SandboxServer:
    return make_server()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = Store(f"sqlite:///{tmp_path / 'node.db'}")
    yield store
    store.dispose()


def strategy(name: str, **params: Any) -> dict[str, Any]:
    """A strategy entry: a built-in name, or a class of ``strategies.py``."""
    where = name if name.islower() else f"{STRATEGIES}:{name}"
    return {"name": where, "id": name, "params": params}


def settings(server: SandboxServer, mode: str = "paper", **extra: Any) -> NodeConfig:
    """A node on ``server``: BTC/USDT 5m, ``sma_cross`` 3/8 unless ``strategies`` is given."""
    document: dict[str, Any] = {
        "mode": mode,
        "venue": {"exchange": "binance", "url": server.http_url},
        "symbols": ["BTC/USDT"],
        "timeframes": ["5m"],
        "strategies": [strategy("sma_cross", fast=3, slow=8)],
        "reconcile": {"grace": "0s"},
    }
    return node_config(document | extra, "test")


class Recorder:
    """Every bar and order event a node dispatches."""

    def __init__(self) -> None:
        self.bars: list[Bar] = []
        self.events: list[tuple[Order, OrderEvent]] = []

    def on_bar(self, bar: Bar) -> None:
        self.bars.append(bar)

    def on_order_event(self, order: Order, event: OrderEvent) -> None:
        self.events.append((order, event))

    def kinds(self) -> list[tuple[str, str]]:
        return [(o.client_order_id, type(e).__name__) for o, e in self.events]


class Driver:
    """A started node on a paused sandbox, moved bar by bar."""

    def __init__(self, node: TradingNode, server: SandboxServer) -> None:
        self.node = node
        self.server = server
        self.seen = Recorder()
        node.observers.append(self.seen)
        self.wait_for(self._subscribed)

    def _subscribed(self) -> bool:
        def listening(s: Any) -> bool:
            klines = sum(bool(v) for k, v in s.hub.listeners.items() if "@kline" in k)
            users = any(c.user_ids for c in s.hub.connections)
            return klines >= 1 and (users or self.node.config.mode == "paper")

        return bool(self.server.call(listening))

    def bars(self, count: int) -> None:
        """Move the market ``count`` bars on, one at a time, each dispatched by the node."""
        for _ in range(count):
            wanted = len(self.seen.bars) + 1
            self.server.advance(BAR_MS)
            self.wait_for(lambda n=wanted: len(self.seen.bars) >= n)
            self.commands_done()

    def commands_done(self) -> None:
        """Wait until the venue answered every command sent so far; apply the answers."""
        orders = self.node.link.orders
        if orders is not None:
            orders.wait_idle()
        while not self.node.link.inbox.empty():
            self.node.step(0)

    def wait_for(self, condition: Callable[[], bool], timeout: float = 15.0) -> None:
        """Turn the node's loop until ``condition()`` holds."""
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError("the condition never held")
            self.node.step(0.02)

    def settle(self, quiet: float = 0.3) -> None:
        """Turn the loop until nothing arrives for ``quiet`` seconds."""
        if self.node.link.orders is not None:
            self.node.link.orders.wait_idle()
        end = time.monotonic() + quiet
        while time.monotonic() < end:
            if self.node.link.inbox.empty():
                self.node.step(0.02)
                continue
            self.node.step(0.02)
            end = time.monotonic() + quiet


def start_node(config: NodeConfig, store: Store, server: SandboxServer, **options: Any) -> Driver:
    """A started node (live mode with the sandbox's keys) and its driver."""
    if config.mode == "live":
        options.setdefault("credentials", KEYS)
    node = TradingNode(config, store, **options).start()
    return Driver(node, server)
