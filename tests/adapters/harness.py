"""A kernel wired to a sandbox through the ccxt execution client: the real
``ExecutionEngine``, ``RiskEngine`` and ``Portfolio`` on one side, the real ccxt on the other."""

from __future__ import annotations

import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import ccxt

from tradeforge.adapters.ccxt.execution_client import CcxtExecutionClient
from tradeforge.adapters.ccxt.execution_core import ExecutionSettings
from tradeforge.adapters.ccxt.session import SessionSettings
from tradeforge.common.clock import LiveClock
from tradeforge.execution.engine import ExecutionEngine
from tradeforge.model.enums import OrderSide, OrderType
from tradeforge.model.events import OrderEvent, PositionEvent
from tradeforge.model.instrument import Instrument
from tradeforge.model.orders import Order
from tradeforge.portfolio.portfolio import Portfolio
from tradeforge.risk.engine import RiskEngine
from tradeforge.sandbox import SandboxServer

from .conftest import session_for

FAST = ExecutionSettings(lookup_delay=0.0, fill_grace=0.2, orphan_grace=0.5, reconcile_every=None)


class Harness:
    """One strategy ``S`` trading BTC/USDT on ``server`` through the kernel."""

    def __init__(
        self,
        server: SandboxServer,
        settings: ExecutionSettings = FAST,
        session_settings: SessionSettings | None = None,
        **hooks: Any,
    ) -> None:
        self.server = server
        self.session = session_for(server, session_settings, **hooks)
        self.clock = LiveClock()
        self.latencies: list[float] = []
        self.connection: list[bool] = []
        self.client = CcxtExecutionClient(
            self.session, self.clock, settings, connection=self, latency=self
        )
        self.sends: list[tuple[Any, ...]] = []
        self.client.start()
        self._count_sends()
        market = self.session.exchange.markets["BTC/USDT"]
        self.instrument = Instrument.from_ccxt_market(market, "binance")
        self.portfolio = Portfolio("USDT", Decimal(10_000), [self.instrument])
        self.engine = ExecutionEngine(
            self.clock, RiskEngine([], lambda s: None), self.portfolio, self.client,
            {self.instrument.symbol: self.instrument},
        )  # fmt: skip
        self.events: list[OrderEvent] = []
        self.positions: list[PositionEvent] = []
        self.engine.register(
            "S", lambda order, event: self.events.append(event), self.positions.append
        )

    # sinks of the risk engine's breakers
    def set_connected(self, connected: bool) -> None:
        self.connection.append(connected)

    def record(self, ms: float) -> None:
        self.latencies.append(ms)

    def _count_sends(self) -> None:
        exchange = self.session.exchange
        for name in ("create_order", "create_market_buy_order_with_cost"):
            real = getattr(exchange, name)

            async def counted(*args: Any, _real: Any = real, _name: str = name) -> Any:
                self.sends.append((_name, *args))
                return await _real(*args)

            setattr(exchange, name, counted)

    def order(self, cid: str, side: OrderSide, kind: OrderType, qty: str, **kw: Any) -> Order:
        return Order(cid, "BTC/USDT", side, kind, Decimal(qty), ts_init=0, strategy_id="S", **kw)

    def submit(self, order: Order, quote: Decimal | None = None) -> Order:
        self.engine.submit(order, quote)
        self.settle()
        return order

    def settle(self, quiet: float = 0.3) -> None:
        """Wait for the commands, then drain until nothing arrives for ``quiet`` seconds."""
        self.client.wait_idle()
        while self.client.drain(timeout=quiet):
            pass

    def wait_for(self, condition: Callable[[], bool], timeout: float = 10.0) -> None:
        """Drain until ``condition()`` holds (the kernel's state after the events)."""
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError("the condition never held")
            self.client.drain(timeout=0.05)

    def kinds(self, cid: str) -> list[str]:
        return [type(e).__name__ for e in self.events if e.client_order_id == cid]

    def venue_orders(self, cid: str) -> list[dict[str, Any]]:
        """Every order the venue holds under client id ``cid`` (a separate ccxt client)."""
        rest = ccxt.binance(self.server.ccxt_config())
        return [o for o in rest.fetch_orders("BTC/USDT") if o["clientOrderId"] == cid]

    def wait_user_stream(self) -> None:
        """Until the sandbox has the user stream subscribed (so no event is missed)."""
        deadline = time.monotonic() + 10
        while not self.server.call(lambda s: any(c.user_ids for c in s.hub.connections)):
            if time.monotonic() > deadline:
                raise AssertionError("the user stream never subscribed")
            time.sleep(0.02)

    def close(self) -> None:
        self.client.stop()
