"""The market-order fast path gives exactly the full kernel's results, and steps aside when
it cannot.

Every comparison runs the same backtest twice, ``fast_path=True`` (the default) and
``fast_path=False``, and requires equal orders with their events, fills, trades, ledger,
equity curve and final equity, down to the last digit.
"""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import pytest

from tests.backtest.helpers import bars
from tests.strategies.conftest import bars as sample_bars
from tradeforge.backtest import Backtest, BacktestResult
from tradeforge.model.instrument import Instrument, InstrumentKind
from tradeforge.model.symbol import Symbol
from tradeforge.strategies import BollingerReversion, RsiReversion, SmaCross
from tradeforge.strategy import Strategy


def both_ways(data: Any, strategy: type[Strategy], **options: Any) -> BacktestResult:
    """Run on the fast path and on the full kernel; assert identical results; return the
    fast one."""
    fast = Backtest(data, strategy, **options).run()
    full = Backtest(data, strategy, fast_path=False, **options).run()
    assert fast.run.fast_path
    assert not full.run.fast_path
    assert_same(fast, full)
    return fast


def assert_same(fast: BacktestResult, full: BacktestResult) -> None:
    assert fast.final_equity == full.final_equity
    assert str(fast.final_equity) == str(full.final_equity)
    fast_orders = list(fast.run.execution.orders.values())
    full_orders = list(full.run.execution.orders.values())
    assert [o.events for o in fast_orders] == [o.events for o in full_orders]
    assert [o.status for o in fast_orders] == [o.status for o in full_orders]
    assert fast.portfolio.ledger == full.portfolio.ledger
    assert fast.portfolio.trades == full.portfolio.trades
    assert fast.portfolio.fees == full.portfolio.fees
    assert fast.portfolio.realized_pnl() == full.portfolio.realized_pnl()
    pd.testing.assert_frame_equal(fast.orders, full.orders)
    pd.testing.assert_frame_equal(fast.fills, full.fills)
    pd.testing.assert_frame_equal(fast.trades, full.trades)
    pd.testing.assert_series_equal(fast.equity, full.equity)
    assert fast.accounting_gap() == 0
    assert _held(fast) == _held(full)  # the venue's balances


def _held(result: BacktestResult) -> dict[str, Decimal]:
    return {c: v for c, v in result.run.exchange.account.balances().items() if v}


# -- built-in strategies on real bars ---------------------------------------------------------


@pytest.mark.parametrize(
    ("strategy", "params"),
    [
        (SmaCross, {"fast": 10, "slow": 30}),
        (RsiReversion, {}),
        (BollingerReversion, {}),
    ],
)
def test_builtin_strategies_match_the_full_kernel(
    strategy: type[Strategy], params: dict[str, Any]
) -> None:
    data = sample_bars("BTC/USDT", "1h", "2021-01-01", "2021-05-01")
    fast = Backtest(data, strategy, cash=10_000, commission=0.001, symbol="BTC/USDT").run(**params)
    full = Backtest(
        data, strategy, cash=10_000, commission=0.001, symbol="BTC/USDT", fast_path=False
    ).run(**params)
    assert fast.run.fast_path
    assert len(fast.trades) > 5
    assert_same(fast, full)


def test_the_readme_sma_cross_sized_by_equity_matches() -> None:
    """``self.buy()`` without a size: a value order, sized at the fill price (OrderUpdated)."""

    class AllIn(Strategy):
        def on_bar(self, bar: Any) -> None:
            if self.position().is_flat:
                self.buy()
            else:
                self.close_position()

    data = sample_bars("ETH/USDT", "1h", "2021-02-01", "2021-02-08")
    result = both_ways(data, AllIn, cash=1_000, commission=0.001, symbol="ETH/USDT")
    assert len(result.trades) == 84  # 168 bars: in and out every other bar
    buys = [o for o in result.run.execution.orders.values() if o.side.value == "BUY"]
    assert len(buys) == 84
    resized = [o for o in buys if o.events[0].quantity != o.filled_qty]  # type: ignore[attr-defined]
    updates = [e for o in buys for e in o.events if type(e).__name__ == "OrderUpdated"]
    assert len(resized) == len(updates) == 58  # sized at the fill price, not the last close


def test_filled_orders_are_kept_as_records_that_rebuild_them_event_for_event() -> None:
    """The strategy's own order objects and the journal's rebuilt ones are equal, though the
    journal keeps only the records of the filled ones."""

    class Keeper(Strategy):
        def on_start(self) -> None:
            self.sent: list[Any] = []

        def on_bar(self, bar: Any) -> None:
            self.sent.append(self.buy(notional=100) if self.position().is_flat else None)
            self.sent.append(self.close_position())

    data = sample_bars("ETH/USDT", "1h", "2021-02-01", "2021-02-03")
    result = Backtest(data, Keeper, cash=1_000, commission=0.001, symbol="ETH/USDT").run()
    assert result.run.fast_path
    kept = [o for o in result.run.strategies[0].sent if o is not None]
    journal = result.run.execution.orders
    stored = journal._entries.values()  # type: ignore[attr-defined]
    assert len(journal) == 48  # in at one bar's close, out at the next: the last never fills
    assert sum(isinstance(e, tuple) for e in stored) == len(result.fills) == 47
    assert [o.client_order_id for o in kept] == list(journal)
    assert [o.events for o in kept] == [o.events for o in journal.values()]
    assert [o.status for o in kept] == [o.status for o in journal.values()]


# -- random market-order strategies -----------------------------------------------------------


class RandomTrader(Strategy):
    """Random market orders of every kind the fast path covers, from a seed."""

    seed: int = 0

    def on_start(self) -> None:
        self.rng = random.Random(self.seed)

    def on_bar(self, bar: Any) -> None:
        rng = self.rng
        action = rng.random()
        if action < 0.25:
            self.buy(round(rng.uniform(0.001, 3.0), 3))
        elif action < 0.4:
            self.sell(round(rng.uniform(0.001, 2.0), 3))  # often more than held: rejected
        elif action < 0.5:
            self.buy(notional=round(rng.uniform(1, 400), 2))
        elif action < 0.6:
            self.close_position()
        elif action < 0.67:
            self.order_target_percent(rng.choice([0.0, 0.3, 0.9, 1.2]))
        elif action < 0.72:
            order = self.buy(fraction=rng.choice([0.1, 0.5, 1.0]))
            if rng.random() < 0.5:
                self.cancel(order)
        elif action < 0.75:
            self.cancel_all()


def random_walk(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    close = np.round(100 * np.exp(np.cumsum(rng.normal(0, 0.02, n))), 2)
    opens = np.round(np.r_[100.0, close[:-1]] * np.exp(rng.normal(0, 0.01, n)), 2)
    high = np.round(np.maximum(opens, close) * (1 + rng.uniform(0, 0.01, n)), 2)
    low = np.round(np.minimum(opens, close) * (1 - rng.uniform(0, 0.01, n)), 2)
    index = pd.date_range("2024-01-01", periods=n, freq="1h", tz="UTC")
    return pd.DataFrame(
        {"open": opens, "high": high, "low": low, "close": close, "volume": 1_000.0},
        index=index,
    )


INSTRUMENT = Instrument(
    symbol=Symbol.parse("ASSET/USD"),
    venue="sim",
    kind=InstrumentKind.SPOT,
    price_tick=Decimal("0.01"),
    quantity_step=Decimal("0.001"),
    min_quantity=Decimal("0.002"),
    min_notional=Decimal("5"),
    maker_fee=Decimal("0.0002"),
    taker_fee=Decimal("0.00075"),
)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize(
    "venue",
    [
        {},
        {"market_fill": "close"},
        {"slippage_bps": 7.5},
        {"commission": 0},
    ],
    ids=["next-open", "close", "slippage", "no-fee"],
)
def test_random_market_orders_match_the_full_kernel(seed: int, venue: dict[str, Any]) -> None:
    data = random_walk(300, seed)
    result = Backtest(data, RandomTrader, cash=1_000, instruments=[INSTRUMENT], **venue).run(
        seed=seed
    )
    full = Backtest(
        data, RandomTrader, cash=1_000, instruments=[INSTRUMENT], fast_path=False, **venue
    ).run(seed=seed)
    assert result.run.fast_path
    assert_same(result, full)
    statuses = {o.status.value for o in result.run.execution.orders.values()}
    # every path was taken (filled at the close, an order is never left to cancel)
    expected = (
        {"FILLED", "REJECTED"} if venue.get("market_fill") else {"FILLED", "REJECTED", "CANCELED"}
    )
    assert expected <= statuses


def test_a_buy_the_gap_makes_unaffordable_is_canceled_with_the_kernels_reason() -> None:
    """All the cash at the last close, then the next open gaps up: the venue cancels the
    order at the fill price, with the same message either way."""

    class AllCash(Strategy):
        def on_bar(self, bar: Any) -> None:
            if len(self.close) == 1:
                self.buy(99)  # 99 * 100 * 1.001 = 9,909.9 <= 10,000

    data = bars((100, 100, 100, 100), (102, 102, 102, 102), (102, 102, 102, 102))
    result = both_ways(data, AllCash, cash=10_000, commission=0.001)
    (order,) = result.run.execution.orders.values()
    assert order.status.value == "CANCELED"
    assert order.last_event.reason == "insufficient USD: need 10108.09800000000, free 10000"


# -- when the fast path steps aside -----------------------------------------------------------


class LimitAfterMarket(Strategy):
    """Market orders first, then a limit order: the fast path must hand over."""

    def on_bar(self, bar: Any) -> None:
        n = len(self.close)
        if n == 2:
            self.buy(1)
        elif n == 4:
            self.sell(1, limit=float(self.close[-1]) + 5)


def test_a_limit_order_restarts_the_run_on_the_full_kernel() -> None:
    data = random_walk(40, 3)
    fast = Backtest(data, LimitAfterMarket, cash=1_000).run()
    full = Backtest(data, LimitAfterMarket, cash=1_000, fast_path=False).run()
    assert not fast.run.fast_path
    assert_same(fast, full)
    assert [o.order_type.value for o in fast.run.execution.orders.values()] == [
        "MARKET",
        "LIMIT",
    ]


class Listener(Strategy):
    def on_order_event(self, event: Any) -> None:
        self.heard = getattr(self, "heard", 0) + 1

    def on_bar(self, bar: Any) -> None:
        if len(self.close) == 2:
            self.buy(1)


@pytest.mark.parametrize(
    ("strategy", "options"),
    [
        (Listener, {}),
        (SmaCross, {"latency_ms": 10}),
        (SmaCross, {"max_volume_share": 0.5}),
        (SmaCross, {"account": "margin"}),
    ],
    ids=["order-listener", "latency", "volume-cap", "margin"],
)
def test_runs_the_fast_path_does_not_cover_take_the_full_kernel(
    strategy: type[Strategy], options: dict[str, Any]
) -> None:
    data = random_walk(60, 1)
    result = Backtest(data, strategy, cash=1_000, **options).run()
    assert not result.run.fast_path
