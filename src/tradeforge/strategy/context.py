"""What the engine gives a strategy: the services it may use, and nothing else."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol

from tradeforge.common.clock import Clock
from tradeforge.common.ids import ClientOrderIdGenerator
from tradeforge.data.replay import BarSeries
from tradeforge.model.instrument import Instrument
from tradeforge.model.order_list import OrderList
from tradeforge.model.orders import Order
from tradeforge.model.symbol import Symbol
from tradeforge.model.timeframe import Timeframe
from tradeforge.model.values import Price, Quantity
from tradeforge.portfolio.portfolio import Portfolio
from tradeforge.risk.kill_switch import KillSwitchReport
from tradeforge.risk.state import TradingState


class OrderRoute(Protocol):
    """Where a strategy's orders go: the kernel's
    :class:`~tradeforge.execution.engine.ExecutionEngine`, or a backtest's market-order
    :class:`~tradeforge.backtest.fast_path.FastExecution`."""

    def submit(self, order: Order, quote_quantity: Decimal | None = None) -> Order:
        """Check and send an order."""
        ...

    def submit_list(self, orders: OrderList) -> OrderList:
        """Check and send an order list."""
        ...

    def cancel(self, client_order_id: str) -> bool:
        """Cancel an open order."""
        ...

    def cancel_all(self, symbol: Symbol | None = None, strategy_id: str | None = None) -> int:
        """Cancel open orders."""
        ...

    def open_orders(self, symbol: Symbol | None = None) -> list[Order]:
        """Orders submitted and not yet closed."""
        ...

    def venue_last_price(self, symbol: Symbol) -> float | None:
        """The venue's last price."""
        ...

    def modify(
        self,
        client_order_id: str,
        *,
        quantity: Quantity | None = None,
        price: Price | None = None,
        stop_price: Price | None = None,
    ) -> bool:
        """Amend an open order (the fast path leaves for the full kernel instead)."""
        ...

    def require_kernel(self, reason: str) -> None:
        """Say that the strategy needs the full kernel for ``reason`` (a trade manager, say):
        nothing on the kernel; the backtest's fast path starts the run over on it."""
        ...


class TradingSwitch(Protocol):
    """The trading state as a strategy sees it (read-only), and the kill switch
    (:class:`~tradeforge.risk.control.StrategyTrading` in the kernel)."""

    @property
    def state(self) -> TradingState:
        """ACTIVE, REDUCING (only orders that reduce exposure pass) or HALTED."""
        ...

    @property
    def reason(self) -> str:
        """Why the state is what it is."""
        ...

    def kill_switch(self, reason: str, *, flatten: bool = False) -> KillSwitchReport:
        """Halt trading, cancel every open order and, with ``flatten``, close every position."""
        ...


class Unmanaged:
    """The trading switch of a context without trading control (a vectorized run): always
    ACTIVE, and no kill switch."""

    state = TradingState.ACTIVE
    reason = ""

    def kill_switch(self, reason: str, *, flatten: bool = False) -> KillSwitchReport:
        """Refused: nothing here sends orders to halt or cancel.

        Raises
        ------
        RuntimeError
            Always.
        """
        raise RuntimeError("no kill switch here: this run has no trading control")


@dataclass
class StrategyContext:
    """The engine's services for one strategy (built by the kernel); ``trading`` is the
    trading state, read-only, and the kill switch."""

    strategy_id: str
    clock: Clock
    execution: OrderRoute
    portfolio: Portfolio
    instruments: dict[Symbol, Instrument]
    series: list[BarSeries]
    ids: ClientOrderIdGenerator
    last_price: dict[Symbol, float] = field(default_factory=dict)
    trading: TradingSwitch = field(default_factory=Unmanaged)

    def find_series(self, symbol: Symbol | None, timeframe: Timeframe | None) -> BarSeries:
        """The series of ``symbol`` and ``timeframe`` (defaults: the first series' symbol and
        that symbol's shortest timeframe)."""
        symbol = symbol or self.series[0].symbol
        candidates = [s for s in self.series if s.symbol == symbol]
        if timeframe is not None:
            candidates = [s for s in candidates if s.timeframe == timeframe]
        if not candidates:
            have = ", ".join(s.label for s in self.series)
            raise KeyError(f"no data for {symbol} {timeframe or ''}".strip() + f" (have {have})")
        return min(candidates, key=lambda s: s.timeframe.nanos)
