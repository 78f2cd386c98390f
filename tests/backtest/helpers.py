"""Small constructed bars, scripted strategies and exact readers of a run's fills.

Every expected value in these tests is computed by hand from a few bars, so the helpers keep
the bars short and the strategies declarative: a *script* maps a bar index to what the
strategy does at that bar's close (``{0: lambda s: s.buy(1)}``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any

import pandas as pd

from tradeforge.backtest import Backtest, BacktestResult
from tradeforge.model.events import OrderEvent, OrderFilled
from tradeforge.model.instrument import Instrument, InstrumentKind
from tradeforge.model.orders import Order
from tradeforge.model.symbol import Symbol
from tradeforge.strategy import Strategy

T0 = pd.Timestamp("2024-01-01", tz="UTC")
HOUR = 3_600_000_000_000
SYMBOL = "ASSET/USD"

Row = tuple[float, float, float, float] | tuple[float, float, float, float, float]
Action = Callable[[Strategy], Any]


def ns(hours: float) -> int:
    """``T0 + hours`` in ns UTC (bar ``i`` of hourly bars opens at ``ns(i)``, closes at
    ``ns(i + 1)``)."""
    return int(T0.value + round(hours * HOUR))


def bars(*rows: Row, freq: str = "1h", start: pd.Timestamp = T0) -> pd.DataFrame:
    """A frame of OHLC(V) bars; the volume defaults to 1,000."""
    full = [(*r, 1_000.0) if len(r) == 4 else r for r in rows]
    return pd.DataFrame(
        full,
        columns=["open", "high", "low", "close", "volume"],
        index=pd.date_range(start, periods=len(rows), freq=freq),
    )


def scripted(
    script: Mapping[int, Action],
    *,
    name: str = "Scripted",
    on_event: Callable[[Strategy, OrderEvent], Any] | None = None,
) -> type[Strategy]:
    """A strategy class that runs ``script[i](self)`` at the close of bar ``i`` (of its
    primary series) and records every order event it receives in ``self.events``."""

    def on_start(self: Strategy) -> None:
        self.events = []  # type: ignore[attr-defined]
        self.placed = {}  # type: ignore[attr-defined]

    def on_bar(self: Strategy, bar: Any) -> None:
        if bar.timeframe != self.ctx.series[0].timeframe:
            return
        action = script.get(bar.index)
        if action is not None:
            self.placed[bar.index] = action(self)  # type: ignore[attr-defined]

    def on_order_event(self: Strategy, event: OrderEvent) -> None:
        self.events.append(event)  # type: ignore[attr-defined]
        if on_event is not None:
            on_event(self, event)

    return type(
        name,
        (Strategy,),
        {"on_start": on_start, "on_bar": on_bar, "on_order_event": on_order_event},
    )


def run(
    data: Any,
    script: Mapping[int, Action] | type[Strategy],
    *,
    cash: float | Decimal = 1_000,
    symbol: str = SYMBOL,
    **config: Any,
) -> BacktestResult:
    """Run ``script`` (or a strategy class) over ``data``; check the books balance exactly.

    Without ``instruments`` (or ``quantity_step``), the symbol trades with a tick of 0.01 and a
    step of 0.001 (fees from ``commission``)."""
    strategy = script if isinstance(script, type) else scripted(script)
    if "instruments" not in config and "quantity_step" not in config:
        config["instruments"] = [instrument(symbol)]  # tick 0.01, step 0.001, no fees
    result = Backtest(data, strategy, cash=cash, symbol=symbol, **config).run()
    assert result.accounting_gap() == 0
    assert_venue_agrees(result)
    return result


def assert_venue_agrees(result: BacktestResult) -> None:
    """The simulated venue's books and the portfolio agree to the last digit."""
    portfolio, account = result.portfolio, result.run.exchange.account
    assert account.total(portfolio.currency) == portfolio.cash
    for symbol, position in portfolio.positions().items():
        if portfolio.account == "cash":
            assert account.total(symbol.base) == position.signed_qty
        else:
            held = account.positions.get(symbol, (Decimal(0), Decimal(0)))[0]  # type: ignore[union-attr]
            assert held == position.signed_qty


def strategy_of(result: BacktestResult) -> Any:
    """The strategy instance of a run (scripted strategies keep ``events`` and ``placed``)."""
    return result.run.strategies[0]


def orders(result: BacktestResult) -> list[Order]:
    """Every order of the run, in submission order."""
    return list(result.run.execution.orders.values())


def order_fills(order: Order) -> list[OrderFilled]:
    """The fills of one order."""
    return [e for e in order.events if isinstance(e, OrderFilled)]


def fills(result: BacktestResult) -> list[OrderFilled]:
    """Every fill of the run in the order the venue made them (exact ``Decimal`` values)."""
    every = [f for o in orders(result) for f in order_fills(o)]
    return sorted(every, key=lambda f: int(f.trade_id))


def prices(items: Iterable[OrderFilled]) -> list[Decimal]:
    """``last_price`` of each fill."""
    return [f.last_price for f in items]


def instrument(
    symbol: str = SYMBOL,
    *,
    tick: str = "0.01",
    step: str = "0.001",
    **fields: Any,
) -> Instrument:
    """A spot instrument on the ``sim`` venue."""
    return Instrument(
        symbol=Symbol.parse(symbol),
        venue="sim",
        kind=InstrumentKind.SPOT,
        price_tick=Decimal(tick),
        quantity_step=Decimal(step),
        **fields,
    )


def reason(order: Order) -> str:
    """The reason of an order's last event (rejection or cancel), ``""`` when it has none."""
    return str(getattr(order.last_event, "reason", ""))


D = Decimal


class Venue:
    """A :class:`SimulatedExchange` on a :class:`TestClock` whose events land in a list.

    The clock starts at ``ns(1)``: the close of bar 0 and the open of bar 1, where orders sent
    at bar 0's close arrive.
    """

    def __init__(
        self,
        *,
        account: str = "margin",
        cash: str = "100000",
        base: str = "0",
        instruments: list[Instrument] | None = None,
        **options: Any,
    ) -> None:
        from tradeforge.backtest.exchange import SimulatedExchange
        from tradeforge.backtest.venue_account import CashAccount, MarginAccount
        from tradeforge.common.clock import TestClock

        self.instrument = (instruments or [instrument()])[0]
        self.symbol = self.instrument.symbol
        self.clock = TestClock(ns(1))
        balances = {self.symbol.quote: Decimal(cash)}
        if Decimal(base):
            balances[self.symbol.base] = Decimal(base)
        venue_account = (
            CashAccount(balances) if account == "cash" else MarginAccount(balances, Decimal(1))
        )
        self.exchange = SimulatedExchange(
            "sim",
            instruments or [self.instrument],
            clock=self.clock,
            account=venue_account,
            **options,
        )
        self.events: list[OrderEvent] = []
        self.exchange.connect(self.events.append)
        self._seq = 0

    def order(self, side: str, kind: str, qty: str = "1", **prices: str) -> Order:
        """An order of ``kind`` (``market``, ``limit``, ``stop_market`` ...) for the symbol."""
        from tradeforge.model.enums import OrderSide

        self._seq += 1
        factory = getattr(Order, kind)
        return factory(  # type: ignore[no-any-return]
            f"O-{self._seq}",
            self.symbol,
            OrderSide.BUY if side == "buy" else OrderSide.SELL,
            Decimal(qty),
            *([Decimal(prices.pop("price"))] if kind == "limit" else []),
            *(
                [Decimal(prices.pop("stop"))]
                if kind in ("stop_market", "take_profit_market")
                else []
            ),
            ts_init=self.clock.timestamp_ns(),
            **{k: Decimal(v) for k, v in prices.items()},
        )

    def bar(  # noqa: PLR0917 - a bar's fields, positionally
        self, i: int, o: float, h: float, low: float, c: float, v: float = 1_000.0
    ) -> None:
        """Match bar ``i`` (hourly, opening at ``ns(i)``), then move the clock to its close."""
        self.exchange.process_bar(self.symbol, ns(i), ns(i + 1), o, h, low, c, v)
        self.clock.set_time(ns(i + 1))

    def fills(self) -> list[OrderFilled]:
        return [e for e in self.events if isinstance(e, OrderFilled)]

    def of(self, cls: type, client_order_id: str | None = None) -> list[Any]:
        return [
            e
            for e in self.events
            if isinstance(e, cls) and client_order_id in (None, e.client_order_id)
        ]
