"""Brackets (``buy(qty, sl=..., tp=...)``): exits at their levels, the intrabar choice when
both are in reach, the OCO cancel, and the same outcomes when the engine emulates the lists.

A long bracket sent at bar 0's close enters at bar 1's open (100) with a stop loss at 95 and a
take profit (a limit) at 110.
"""

from __future__ import annotations

import pytest

from tests.backtest.helpers import D, bars, fills, ns, orders, reason, run
from tradeforge.backtest import BacktestResult
from tradeforge.model.enums import LiquiditySide, OrderStatus, OrderType
from tradeforge.model.orders import Order
from tradeforge.strategy import Strategy

NATIVE = pytest.mark.parametrize("native", [True, False], ids=["native", "emulated"])

QUIET = (100, 101, 99, 100)


def _bracket_orders(result: BacktestResult) -> tuple[Order, Order, Order]:
    entry, sl, tp = orders(result)
    assert entry.order_type is OrderType.MARKET
    assert (sl.order_type, tp.order_type) == (OrderType.STOP_MARKET, OrderType.LIMIT)
    assert sl.reduce_only and tp.reduce_only
    return entry, sl, tp


@NATIVE
def test_stop_loss_fills_at_its_level_and_cancels_the_take_profit(native: bool) -> None:
    data = bars(QUIET, (100, 102, 98, 101), (101, 101.5, 94, 96), QUIET)
    result = run(data, {0: lambda s: s.buy(2, sl=95, tp=110)}, native_contingency=native)
    entry, sl, tp = _bracket_orders(result)
    buy, stop = fills(result)
    assert (buy.client_order_id, buy.last_price, buy.ts) == (entry.client_order_id, 100, ns(1))
    assert stop.client_order_id == sl.client_order_id
    assert stop.last_price == 95
    assert stop.liquidity_side is LiquiditySide.TAKER
    # long, adverse: 101 -> 94 first; 95 at 6/7 of segment 0
    assert abs(stop.ts - ns(2 + (6 / 7) / 3)) <= 1_000
    assert tp.status is OrderStatus.CANCELED
    assert reason(tp) == f"OCO: {sl.client_order_id} filled"
    assert result.portfolio.realized_pnl() == -10
    assert result.final_equity == 990


@NATIVE
def test_take_profit_fills_at_its_limit_as_maker(native: bool) -> None:
    data = bars(QUIET, (100, 102, 98, 101), (101, 112, 100, 111), QUIET)
    result = run(data, {0: lambda s: s.buy(2, sl=95, tp=110)}, native_contingency=native)
    _, sl, tp = _bracket_orders(result)
    _, take = fills(result)
    assert (take.client_order_id, take.last_price) == (tp.client_order_id, 110)
    assert take.liquidity_side is LiquiditySide.MAKER
    assert sl.status is OrderStatus.CANCELED
    assert result.final_equity == 1020


@NATIVE
@pytest.mark.parametrize(
    ("intrabar", "exit_price", "winner"),
    [
        ("adverse", 95, "SL"),  # a long's adverse extreme is the low
        ("favorable", 110, "TP"),
        ("low_first", 95, "SL"),
        ("high_first", 110, "TP"),
    ],
)
def test_both_exits_in_reach_in_one_bar(
    native: bool, intrabar: str, exit_price: int, winner: str
) -> None:
    # bar 2 reaches 111 and 94 (open 100: the high is nearer, so "nearest" would pick the TP)
    data = bars(QUIET, (100, 102, 98, 100), (100, 111, 94, 100), QUIET)
    result = run(
        data,
        {0: lambda s: s.buy(1, sl=95, tp=110)},
        intrabar=intrabar,
        native_contingency=native,
    )
    _, sl, tp = _bracket_orders(result)
    _, exit_fill = fills(result)
    filled, canceled = (sl, tp) if winner == "SL" else (tp, sl)
    assert exit_fill.client_order_id == filled.client_order_id
    assert exit_fill.last_price == exit_price
    assert filled.status is OrderStatus.FILLED
    assert canceled.status is OrderStatus.CANCELED
    assert result.portfolio.realized_pnl() == exit_price - 100


@NATIVE
@pytest.mark.parametrize(("intrabar", "exit_price"), [("adverse", 105), ("favorable", 90)])
def test_short_bracket_adverse_is_the_high(native: bool, intrabar: str, exit_price: int) -> None:
    data = bars(QUIET, (100, 102, 98, 100), (100, 106, 89, 100), QUIET)
    result = run(
        data,
        {0: lambda s: s.sell(1, sl=105, tp=90)},
        account="margin",
        intrabar=intrabar,
        native_contingency=native,
    )
    _, exit_fill = fills(result)
    assert exit_fill.last_price == exit_price
    assert result.portfolio.realized_pnl() == 100 - exit_price
    assert not result.portfolio.positions()


@NATIVE
def test_stop_loss_in_the_entry_bar(native: bool) -> None:
    # the entry fills at bar 1's open (100); the same bar falls to 94: the stop trades there
    data = bars(QUIET, (100, 101, 94, 96), (96, 97, 95.5, 96))
    result = run(data, {0: lambda s: s.buy(1, sl=95, tp=110)}, native_contingency=native)
    buy, stop = fills(result)
    assert (buy.last_price, stop.last_price) == (100, 95)
    assert abs(stop.ts - ns(1 + (5 / 6) / 3)) <= 1_000  # long, adverse: 100 -> 94 first
    assert result.final_equity == 995


@NATIVE
def test_exits_wait_for_the_entry(native: bool) -> None:
    data = bars(QUIET, QUIET, QUIET)
    result = run(data, {1: lambda s: s.buy(1, limit=90, sl=85, tp=95)}, native_contingency=native)
    entry, sl, tp = orders(result)
    assert entry.order_type is OrderType.LIMIT
    assert fills(result) == []
    assert entry.status is OrderStatus.ACCEPTED
    # the exits never reached the venue: the entry has not filled
    assert result.run.exchange.working_orders() == [entry.client_order_id]
    assert sl.status is tp.status
    assert result.run.execution.open_orders() == [entry]


@NATIVE
def test_canceling_the_entry_cancels_the_held_exits(native: bool) -> None:
    data = bars(QUIET, QUIET, QUIET)

    def cancel(s: Strategy) -> None:
        bracket = s.placed[0]  # type: ignore[attr-defined]
        assert s.cancel(bracket.entry)

    result = run(
        data,
        {0: lambda s: s.buy(1, limit=90, sl=85, tp=95), 1: cancel},
        native_contingency=native,
    )
    assert [o.status for o in orders(result)] == [OrderStatus.CANCELED] * 3
    assert result.run.exchange.working_orders() == []


def test_bracket_quantity_and_rounded_levels() -> None:
    data = bars(QUIET, (100, 102, 98, 101), QUIET)
    result = run(data, {0: lambda s: s.buy(D("1.5"), sl=95.004, tp=109.996)})
    _, sl, tp = orders(result)
    # exits of a long are sells: rounded up to the tick (never more aggressive)
    assert (sl.stop_price, tp.price) == (D("95.01"), D("110.00"))
    assert sl.quantity == tp.quantity == D("1.5")
