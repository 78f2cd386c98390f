"""In-trade management through engine runs on small constructed bars, worked out by hand.

Unless a test says otherwise: 1,000 USD, no fees, tick 0.01, step 0.001; the strategy attaches
its manager and buys 1 at bar 0's close, so the position opens at bar 1's open (100) at
``ns(1)``. Levels of a long round up to the tick, a short's down. A venue stop fills at its
level, or at the open when a bar gaps beyond it, at the point of the bar's path (open, low,
high, close for a long) where it is reached; an emulated exit is a market order sent at the
close of the bar that reached the level, filled at the next bar's open.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from tests.backtest.helpers import (
    Action,
    D,
    bars,
    fills,
    instrument,
    ns,
    order_fills,
    orders,
    reason,
    run,
    scripted,
)
from tradeforge.backtest import BacktestResult
from tradeforge.backtest.config import BacktestConfig
from tradeforge.backtest.engine import BacktestEngine
from tradeforge.data.replay import BarSeries
from tradeforge.model.enums import LiquiditySide, OrderSide, OrderStatus, OrderType
from tradeforge.model.events import OrderUpdated
from tradeforge.model.orders import Order
from tradeforge.model.symbol import Symbol
from tradeforge.risk.management import (
    BreakEven,
    ManagementError,
    StopLoss,
    StopMove,
    TakeProfit,
    TimeStop,
    TradeManager,
    TrailingStop,
)
from tradeforge.strategy import Strategy
from tradeforge.strategy.errors import StrategyError

QUIET = (100, 101, 99, 100)
MODES = pytest.mark.parametrize("emulate", [False, True], ids=["venue", "emulated"])
TOLERANCE_NS = 1_000  # fill times inside a bar are read off the path in float arithmetic


def managed(
    manager: TradeManager, entry: Action | None = None, **later: Action
) -> dict[int, Action]:
    """A script attaching ``manager`` and entering (default ``buy(1)``) at bar 0's close;
    ``later`` maps ``"b<i>"`` to what the strategy does at bar ``i``'s close."""

    def start(s: Strategy) -> Any:
        s.manage(manager)
        return (entry or (lambda x: x.buy(1)))(s)

    script: dict[int, Action] = {0: start}
    script.update({int(k[1:]): action for k, action in later.items()})
    return script


def in_bar(i: int, fraction_of_path: float) -> int:
    """The time ``fraction_of_path`` (0 to 3 segments) along hourly bar ``i``'s path."""
    return ns(i + fraction_of_path / 3)


def exits(result: BacktestResult) -> list[Order]:
    """The orders the manager sent (every order after the entry)."""
    return orders(result)[1:]


def stop_updates(order: Order) -> list[Decimal | None]:
    """The stop prices of a venue order's amendments, in order."""
    return [e.stop_price for e in order.events if isinstance(e, OrderUpdated)]


def moves(manager: TradeManager) -> list[tuple[int, Decimal, str]]:
    return [(m.ts, m.stop, m.rule) for m in manager.moves]


def run_managed(data: Any, script: Mapping[int, Action], **config: Any) -> BacktestResult:
    return run(data, dict(script), **config)


# -- stop loss ------------------------------------------------------------------------------


@MODES
def test_percent_stop_loss(emulate: bool) -> None:
    manager = TradeManager(stop=StopLoss(pct=0.05), emulate=emulate)
    data = bars(QUIET, (100, 102, 98, 101), (101, 101.5, 94, 96), QUIET)
    result = run_managed(data, managed(manager))
    assert moves(manager) == [(ns(1), D("95.00"), "stop_loss")]
    [exit_order] = exits(result)
    assert exit_order.reduce_only
    assert exit_order.tags == ("stop_loss",)
    entry, stop = fills(result)
    assert (entry.last_price, entry.ts) == (100, ns(1))
    if emulate:  # bar 2 reached 95: a market order at its close, filled at bar 3's open
        assert exit_order.order_type is OrderType.MARKET
        assert (stop.last_price, stop.ts) == (100, ns(3))
        assert result.final_equity == 1000
    else:  # long: 101 -> 94 first; 95 at 6/7 of the first segment
        assert exit_order.order_type is OrderType.STOP_MARKET
        assert exit_order.stop_price == 95
        assert stop.last_price == 95
        assert abs(stop.ts - in_bar(2, 6 / 7)) <= TOLERANCE_NS
        assert result.final_equity == 995
    assert manager.trade is None
    assert result.run.exchange.working_orders() == []


@MODES
def test_a_gap_through_the_stop(emulate: bool) -> None:
    manager = TradeManager(stop=StopLoss(pct=0.05), emulate=emulate)
    data = bars(QUIET, (100, 102, 98, 101), (93, 94, 92, 93), (97, 98, 96, 97))
    result = run_managed(data, managed(manager))
    _, stop = fills(result)
    expected = (97, ns(3)) if emulate else (93, ns(2))  # the venue's stop fills at the open
    assert (stop.last_price, stop.ts) == expected


@MODES
def test_stop_loss_at_a_price_and_atr_multiples(emulate: bool) -> None:
    # four bars of true range 2: the ATR(3) is 2 at bar 3's close; the entry fills at bar 4
    data = bars(QUIET, QUIET, QUIET, QUIET, (100, 104, 99, 103), (103, 104, 96, 97), QUIET)
    manager = TradeManager(stop=StopLoss(atr=1.5, period=3), emulate=emulate)
    result = run(data, {3: lambda s: (s.manage(manager), s.buy(1))[1]})
    assert moves(manager) == [(ns(4), D("97.00"), "stop_loss")]  # 100 - 1.5 x 2
    _, stop = fills(result)
    if emulate:
        assert (stop.last_price, stop.ts) == (100, ns(6))
    else:  # 103 -> 96: 97 at 6/7
        assert stop.last_price == 97
        assert abs(stop.ts - in_bar(5, 6 / 7)) <= TOLERANCE_NS

    fixed = TradeManager(stop=StopLoss(price=96.5), emulate=emulate)
    result = run(data, {3: lambda s: (s.manage(fixed), s.buy(1))[1]})
    assert moves(fixed) == [(ns(4), D("96.50"), "stop_loss")]


def test_an_atr_stop_waits_for_the_atr() -> None:
    # entry at bar 1: the ATR(3) is undefined until bar 3 closes (2.0): stop 100 - 2 x 2 = 96
    data = bars(QUIET, QUIET, QUIET, QUIET, (100, 101, 95, 96))
    manager = TradeManager(stop=StopLoss(atr=2, period=3))
    result = run_managed(data, managed(manager))
    assert moves(manager) == [(ns(4), D("96.00"), "stop_loss")]
    [stop] = exits(result)
    assert stop.events[0].ts == ns(4)
    assert order_fills(stop)[0].last_price == 96


# -- take profit ----------------------------------------------------------------------------


@pytest.mark.parametrize("native_contingency", [True, False], ids=["venue-oco", "engine-oco"])
def test_take_profit_on_the_venue_cancels_the_stop(native_contingency: bool) -> None:
    manager = TradeManager(stop=StopLoss(pct=0.05), take_profit=TakeProfit(pct=0.1))
    data = bars(QUIET, (100, 102, 98, 101), (101, 111, 100, 110), QUIET)
    result = run_managed(data, managed(manager), native_contingency=native_contingency)
    stop, target = exits(result)
    assert (stop.order_type, stop.stop_price) == (OrderType.STOP_MARKET, 95)
    assert (target.order_type, target.stop_price) == (OrderType.TAKE_PROFIT_MARKET, 110)
    assert stop.order_list_id == target.order_list_id == f"L-{stop.client_order_id}"
    [take] = order_fills(target)
    # long: 101 -> 100 -> 111: 110 at 10/11 of the second segment
    assert (take.last_price, take.liquidity_side) == (110, LiquiditySide.TAKER)
    assert abs(take.ts - in_bar(2, 1 + 10 / 11)) <= TOLERANCE_NS
    assert stop.status is OrderStatus.CANCELED
    assert reason(stop) == f"OCO: {target.client_order_id} filled"
    assert result.final_equity == 1010


@MODES
def test_take_profit_gapped_and_emulated(emulate: bool) -> None:
    manager = TradeManager(take_profit=TakeProfit(price=110), emulate=emulate)
    data = bars(QUIET, (100, 102, 98, 101), (112, 113, 111, 112), (111, 112, 110, 111))
    result = run_managed(data, managed(manager))
    [target] = exits(result)
    assert target.tags == ("take_profit",)
    _, take = fills(result)
    assert (take.last_price, take.ts) == ((111, ns(3)) if emulate else (112, ns(2)))


@MODES
def test_a_bar_reaching_both_exits_takes_the_stop(emulate: bool) -> None:
    manager = TradeManager(
        stop=StopLoss(pct=0.05), take_profit=TakeProfit(pct=0.1), emulate=emulate
    )
    data = bars(QUIET, (100, 102, 98, 100), (100, 111, 94, 100), (98, 99, 97, 98))
    result = run_managed(data, managed(manager))
    _, out = fills(result)
    if emulate:
        assert (out.last_price, out.ts) == (98, ns(3))
    else:  # long: 100 -> 94 first; 95 at 5/6
        assert out.last_price == 95
        assert abs(out.ts - in_bar(2, 5 / 6)) <= TOLERANCE_NS
    assert result.trades["exit_tags"].tolist() == ["stop_loss"]


# -- trailing stop --------------------------------------------------------------------------

TRENDING = bars(
    QUIET,
    (100, 103.33, 99, 102),  # best 103.33: 103.33 x 0.97 = 100.2301 -> 100.24
    (102, 106, 101, 105),  # 106 x 0.97 = 102.82
    (105, 105.5, 103, 104),  # no new high: unchanged
    (104, 108, 103.5, 107.5),  # 108 x 0.97 = 104.76
    (107, 107.5, 100, 101),  # reaches 104.76
    QUIET,
)


@MODES
def test_percent_trailing_stop_bar_by_bar(emulate: bool) -> None:
    manager = TradeManager(stop=StopLoss(pct=0.05), trail=TrailingStop(pct=0.03), emulate=emulate)
    result = run_managed(TRENDING, managed(manager))
    assert moves(manager) == [
        (ns(1), D("97.00"), "trailing_stop"),  # 100 x 0.97, tighter than the 95 stop loss
        (ns(2), D("100.24"), "trailing_stop"),
        (ns(3), D("102.82"), "trailing_stop"),
        (ns(5), D("104.76"), "trailing_stop"),
    ]
    [stop] = exits(result)
    _, out = fills(result)
    if emulate:
        assert (out.last_price, out.ts) == (100, ns(6))
    else:  # the venue order was amended after each bar that moved the stop
        assert stop.events[0].stop_price == D("97.00")  # type: ignore[union-attr]
        assert stop_updates(stop) == [D("100.24"), D("102.82"), D("104.76")]
        assert [e.ts for e in stop.events if isinstance(e, OrderUpdated)] == [ns(2), ns(3), ns(5)]
        assert out.last_price == D("104.76")  # 107 -> 100: at 2.24/7
        assert abs(out.ts - in_bar(5, 2.24 / 7)) <= TOLERANCE_NS
    assert result.trades["exit_tags"].tolist() == ["stop_loss"]


# The ATR(3) of these bars is 2, 2, 2 at bars 3 (the entry's last bar), then 3, 4, 4.8333,
# 5.5556 at bars 4 to 7 (true ranges 5, 6, 6.5, 7).
ATR_TREND = bars(
    QUIET,
    QUIET,
    QUIET,
    QUIET,
    (100, 104, 99, 103),  # 104 - 2 x 3 = 98
    (103, 108, 102, 107),  # 108 - 2 x 4 = 100
    (107, 107.5, 101, 106),  # 108 - 2 x 4.8333 = 98.33: looser, the stop stays at 100
    (106, 112, 105, 111),  # 112 - 2 x 5.5556 = 100.888... -> 100.89
    (111, 111.5, 99, 100),  # reaches 100.89
    QUIET,
)


@MODES
def test_atr_trailing_stop_never_loosens(emulate: bool) -> None:
    manager = TradeManager(trail=TrailingStop(atr=2, period=3), emulate=emulate)
    result = run(ATR_TREND, {3: lambda s: (s.manage(manager), s.buy(1))[1]})
    assert moves(manager) == [
        (ns(4), D("96.00"), "trailing_stop"),  # from the entry: 100 - 2 x 2
        (ns(5), D("98.00"), "trailing_stop"),
        (ns(6), D("100.00"), "trailing_stop"),
        (ns(8), D("100.89"), "trailing_stop"),
    ]
    _, out = fills(result)
    if emulate:
        assert (out.last_price, out.ts) == (100, ns(9))
    else:
        [stop] = exits(result)
        assert stop_updates(stop) == [D("98.00"), D("100.00"), D("100.89")]
        assert out.last_price == D("100.89")  # 111 -> 99: at 10.11/12
        assert abs(out.ts - in_bar(8, 10.11 / 12)) <= TOLERANCE_NS


@MODES
def test_short_trailing_stop_rounds_down(emulate: bool) -> None:
    manager = TradeManager(stop=StopLoss(pct=0.05), trail=TrailingStop(pct=0.03), emulate=emulate)
    data = bars(QUIET, (100, 101, 96.5, 98), (98, 100, 97.5, 99.5), (101, 102, 100, 101))
    result = run_managed(data, managed(manager, entry=lambda s: s.sell(1)), account="margin")
    # 100 x 1.03 = 103 (tighter than the 105 stop loss), then 96.5 x 1.03 = 99.395 -> 99.39
    assert moves(manager) == [
        (ns(1), D("103.00"), "trailing_stop"),
        (ns(2), D("99.39"), "trailing_stop"),
    ]
    _, out = fills(result)
    if emulate:
        assert (out.last_price, out.ts) == (101, ns(3))
        assert result.final_equity == 999
    else:  # short: 98 -> 100 first; 99.39 at 1.39/2
        assert out.last_price == D("99.39")
        assert abs(out.ts - in_bar(2, 1.39 / 2)) <= TOLERANCE_NS
        assert result.final_equity == D("1000.61")


# -- break-even -----------------------------------------------------------------------------

TO_1R = bars(
    QUIET,
    (100, 103, 99, 102),
    (102, 105, 101, 104),  # 105: one R (5) above the entry
    (104, 104.5, 99, 100),  # back below the entry
    QUIET,
)


@MODES
def test_break_even_at_one_r(emulate: bool) -> None:
    manager = TradeManager(
        stop=StopLoss(pct=0.05), break_even=BreakEven(r=1, cover_fees=False), emulate=emulate
    )
    result = run_managed(TO_1R, managed(manager))
    assert moves(manager) == [
        (ns(1), D("95.00"), "stop_loss"),
        (ns(3), D("100.00"), "break_even"),
    ]
    _, out = fills(result)
    if emulate:
        assert (out.last_price, out.ts) == (100, ns(4))
    else:
        [stop] = exits(result)
        assert stop_updates(stop) == [D("100.00")]
        assert out.last_price == 100  # 104 -> 99: at 4/5
        assert abs(out.ts - in_bar(3, 4 / 5)) <= TOLERANCE_NS
    assert result.final_equity == 1000


def test_break_even_covers_both_fees_by_default() -> None:
    # 100 x 1.001 / 0.999 = 100.2002... -> 100.21: the exit pays back both taker fees
    manager = TradeManager(stop=StopLoss(pct=0.05), break_even=BreakEven())
    result = run_managed(TO_1R, managed(manager), commission=0.001)
    assert moves(manager)[-1] == (ns(3), D("100.21"), "break_even")
    _, out = fills(result)
    assert out.last_price == D("100.21")
    # 1000 - 100 - 0.1 + 100.21 - 0.10021
    assert result.final_equity == D("1000.00979")
    assert result.trades["net_pnl"].tolist() == [pytest.approx(0.00979)]


def test_break_even_waits_for_its_trigger() -> None:
    data = bars(QUIET, (100, 103, 99, 102), (102, 104.99, 101, 104), (104, 104.5, 99, 100))
    manager = TradeManager(stop=StopLoss(pct=0.05), break_even=BreakEven(cover_fees=False))
    result = run_managed(data, managed(manager))
    assert moves(manager) == [(ns(1), D("95.00"), "stop_loss")]
    assert len(fills(result)) == 1  # still long, the stop at 95


def test_break_even_by_percent_with_an_offset() -> None:
    manager = TradeManager(
        stop=StopLoss(pct=0.05), break_even=BreakEven(pct=0.02, offset=0.5, cover_fees=False)
    )
    run_managed(TO_1R, managed(manager))  # bar 1 reaches 103 >= 102
    assert moves(manager) == [
        (ns(1), D("95.00"), "stop_loss"),
        (ns(2), D("100.50"), "break_even"),
    ]


def test_a_new_leg_replaces_the_venue_orders_as_a_pair() -> None:
    # a take profit alone, then the break-even stop: the take profit is canceled and both go
    # out again as one OCO list
    manager = TradeManager(
        take_profit=TakeProfit(pct=0.1), break_even=BreakEven(pct=0.02, cover_fees=False)
    )
    result = run_managed(TO_1R, managed(manager))
    first, stop, target = exits(result)
    assert (first.order_type, first.stop_price, first.order_list_id) == (
        OrderType.TAKE_PROFIT_MARKET,
        110,
        None,
    )
    assert (first.status, first.last_event.ts) == (OrderStatus.CANCELED, ns(2))
    assert (stop.stop_price, target.stop_price) == (100, 110)
    assert stop.order_list_id == target.order_list_id == f"L-{stop.client_order_id}"
    assert stop.events[0].ts == target.events[0].ts == ns(2)
    assert [f.last_price for f in order_fills(stop)] == [100]  # bar 3: 104 -> 99
    assert reason(target) == f"OCO: {stop.client_order_id} filled"


# -- time stop ------------------------------------------------------------------------------

STEPS = bars(*[(100 + i, 101 + i, 99 + i, 100 + i) for i in range(7)])  # bar i opens 100 + i


@pytest.mark.parametrize(
    ("rule", "exit_bar"),
    [
        (TimeStop(bars=3), 4),  # held bars 1, 2, 3: sent at bar 3's close
        (TimeStop(duration="2h"), 3),  # 2h after ns(1): bar 2's close
        (TimeStop(duration=timedelta(hours=2)), 3),
        (TimeStop(duration=2 * 3_600_000_000_000), 3),
    ],
    ids=["bars", "text", "timedelta", "ns"],
)
def test_time_stop_closes_at_the_next_open(rule: TimeStop, exit_bar: int) -> None:
    manager = TradeManager(time_stop=rule)
    result = run_managed(STEPS, managed(manager))
    [out_order] = exits(result)
    assert (out_order.order_type, out_order.tags) == (OrderType.MARKET, ("time_stop",))
    assert out_order.events[0].ts == ns(exit_bar)
    _, out = fills(result)
    assert (out.last_price, out.ts) == (100 + exit_bar, ns(exit_bar))


def test_time_stop_withdraws_the_venue_stop_first() -> None:
    manager = TradeManager(stop=StopLoss(pct=0.05), time_stop=TimeStop(bars=2))
    result = run_managed(STEPS, managed(manager), market_fill="close")
    stop, out_order = exits(result)
    assert (stop.status, reason(stop), stop.last_event.ts) == (
        OrderStatus.CANCELED,
        "canceled",
        ns(3),
    )
    [out] = order_fills(out_order)
    # with market_fill="close" the entry fills at bar 0's close (100), the exit at bar 2's (102)
    assert (out.last_price, out.ts) == (102, ns(3))


# -- the position's life --------------------------------------------------------------------


def test_closing_the_position_cancels_what_is_left() -> None:
    manager = TradeManager(stop=StopLoss(pct=0.05), take_profit=TakeProfit(pct=0.1))
    result = run_managed(
        STEPS, managed(manager, b2=lambda s: s.close_position())
    )  # fills at bar 3's open
    stop, target, _ = exits(result)
    assert [stop.status, target.status] == [OrderStatus.CANCELED] * 2
    assert stop.last_event.ts == target.last_event.ts == ns(3)
    assert result.run.exchange.working_orders() == []
    assert manager.trade is None


def test_exits_follow_the_position_quantity() -> None:
    manager = TradeManager(stop=StopLoss(pct=0.05), take_profit=TakeProfit(pct=0.2))
    result = run_managed(
        STEPS,
        managed(manager, entry=lambda s: s.buy(2), b1=lambda s: s.sell(1), b3=lambda s: s.buy(1)),
    )
    stop, target, *_ = exits(result)
    for order in (stop, target):
        sizes = [e.quantity for e in order.events if isinstance(e, OrderUpdated)]
        assert sizes == [D("1.000"), D("2.000")]  # after the sale at 102, the buy at 104
        assert order.quantity == 2
    assert manager.trade is not None
    assert manager.trade.entry == D("102.5")  # (1 x 101 + 1 x 104) / 2; the levels stay
    assert (stop.stop_price, target.stop_price) == (D("95.95"), D("121.20"))  # from 101


def test_taking_over_an_open_position() -> None:
    manager = TradeManager(trail=TrailingStop(pct=0.03), time_stop=TimeStop(bars=4))
    result = run_managed(TRENDING, {0: lambda s: s.buy(1), 3: lambda s: s.manage(manager)})
    # the best price of bars 1 to 3 (held before) is 106: 102.82, placed at bar 3's close
    assert moves(manager) == [(ns(4), D("102.82"), "trailing_stop")]
    [stop, out_order] = exits(result)
    assert stop.events[0].ts == ns(4)
    assert stop.status is OrderStatus.CANCELED  # bar 4 closes the fourth bar: time stop
    assert out_order.tags == ("time_stop",)
    assert fills(result)[-1].last_price == 107


@MODES
def test_exits_under_a_flip_follow_the_new_side(emulate: bool) -> None:
    manager = TradeManager(stop=StopLoss(pct=0.05), emulate=emulate)
    result = run_managed(
        STEPS, managed(manager, b1=lambda s: s.sell(2)), account="margin"
    )  # long 1 at 101, then short 1 at 102
    assert moves(manager) == [
        (ns(1), D("95.95"), "stop_loss"),
        (ns(2), D("107.10"), "stop_loss"),  # 102 x 1.05
    ]
    if not emulate:
        first, _, second = exits(result)
        assert (first.status, reason(first), first.last_event.ts) == (
            OrderStatus.CANCELED,
            "canceled",
            ns(2),
        )
        assert (second.side, second.stop_price, second.status) == (
            OrderSide.BUY,
            D("107.10"),
            OrderStatus.ACCEPTED,
        )


# -- where the exits live -------------------------------------------------------------------


def test_a_venue_without_stop_orders_gets_emulated_exits() -> None:
    series = [BarSeries.from_frame(Symbol.parse("ASSET/USD"), TO_1R)]
    engine = BacktestEngine(series, [instrument()], BacktestConfig(cash=Decimal(1_000)))
    engine.exchange.order_types = frozenset({OrderType.MARKET, OrderType.LIMIT})
    manager = TradeManager(stop=StopLoss(pct=0.05), break_even=BreakEven(cover_fees=False))
    engine.add_strategy(scripted(managed(manager))())
    engine.run()
    assert not manager.on_venue
    _, out_order = engine.execution.orders.values()
    assert (out_order.order_type, out_order.tags) == (OrderType.MARKET, ("stop_loss",))
    assert [f.last_price for f in order_fills(out_order)] == [100]  # bar 4's open
    assert order_fills(out_order)[0].ts == ns(4)


def test_a_stop_order_the_venue_lacks_is_rejected() -> None:
    series = [BarSeries.from_frame(Symbol.parse("ASSET/USD"), TO_1R)]
    engine = BacktestEngine(series, [instrument()], BacktestConfig(cash=Decimal(1_000)))
    engine.exchange.order_types = frozenset({OrderType.MARKET})
    engine.add_strategy(scripted({0: lambda s: s.buy(1, stop=110)})())
    engine.run()
    [order] = engine.execution.orders.values()
    assert reason(order) == "-1116 order type STOP_MARKET is not supported on sim"


def test_a_refused_venue_stop_turns_to_emulation() -> None:
    # the risk gate's price band (2 %) refuses the stop at 95; the manager watches the bars
    manager = TradeManager(stop=StopLoss(pct=0.05))
    data = bars(QUIET, (100, 102, 98, 101), (101, 101.5, 94, 96), (97, 98, 96, 97))
    result = run_managed(data, managed(manager), risk={"default": {"price_band": 0.02}})
    stop, out_order = exits(result)
    assert stop.status is OrderStatus.REJECTED
    assert reason(stop).startswith("price band:")
    assert manager.on_venue  # the venue takes stops: only this trade is emulated
    assert (out_order.order_type, out_order.tags) == (OrderType.MARKET, ("stop_loss",))
    assert [(f.last_price, f.ts) for f in order_fills(out_order)] == [(97, ns(3))]


class _HoldWithStop(Strategy):
    """Market orders only and no event hooks: a run the fast path would take."""

    def on_start(self) -> None:
        self.manager = self.manage(TradeManager(stop=StopLoss(pct=0.05), emulate=True))

    def on_bar(self, bar: Any) -> None:
        if bar.index == 0:
            self.buy(1)


def test_management_takes_the_full_kernel() -> None:
    data = bars(QUIET, (100, 102, 98, 101), (101, 101.5, 94, 96), (97, 98, 96, 97))
    result = run(data, _HoldWithStop)
    assert not result.run.fast_path
    assert [(f.last_price, f.ts) for f in fills(result)] == [(100, ns(1)), (97, ns(3))]
    kernel = run(data, _HoldWithStop, fast_path=False)
    assert [(f.last_price, f.ts) for f in fills(kernel)] == [(100, ns(1)), (97, ns(3))]


# -- the rules' arguments -------------------------------------------------------------------


def test_defaults() -> None:
    assert StopLoss() == StopLoss(atr=2.0, period=14)
    assert TakeProfit() == TakeProfit(atr=4.0, period=14)
    assert TrailingStop() == TrailingStop(atr=3.0, period=22)
    assert BreakEven() == BreakEven(r=1.0, offset=0, cover_fees=True)
    assert TradeManager(stop=StopLoss()).emulate is False
    assert StopMove(1, D("1"), "stop_loss").rule == "stop_loss"


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: StopLoss(pct=0.02, atr=2), "StopLoss takes exactly one of price, pct, atr; "
                                           "got ['pct', 'atr']"),
        (lambda: StopLoss(pct=-0.01), "StopLoss pct must be positive, got -0.01"),
        (lambda: TakeProfit(price=float("nan")), "TakeProfit price must be finite, got nan"),
        (lambda: TrailingStop(atr=2, period=0), "TrailingStop period must be an int >= 1, got 0"),
        (lambda: BreakEven(offset=-1), "BreakEven offset must be >= 0, got -1"),
        (TimeStop, "TimeStop takes exactly one of bars, duration"),
        (lambda: TimeStop(bars=0), "TimeStop bars must be an int >= 1, got 0"),
        (lambda: TimeStop(duration="soon"), "TimeStop duration 'soon' is not like '36h' or '2d'"),
        (TradeManager, "a TradeManager needs at least one rule"),
        (lambda: TradeManager(break_even=BreakEven()),
         "BreakEven(r=1.0) measures R from the stop loss: give stop=, or a BreakEven(pct=...)"),
    ],
)  # fmt: skip
def test_rules_refuse_what_makes_no_sense(build: Any, message: str) -> None:
    with pytest.raises(ManagementError) as raised:
        build()
    assert str(raised.value) == message


def test_one_manager_per_symbol() -> None:
    data = bars(QUIET, QUIET)
    twice = {0: lambda s: [s.manage(TradeManager(stop=StopLoss())) for _ in range(2)]}
    with pytest.raises(StrategyError, match="ASSET/USD has a trade manager already"):
        run(data, twice)
    shared = TradeManager(stop=StopLoss())
    run(data, {0: lambda s: s.manage(shared)})
    with pytest.raises(StrategyError, match="this TradeManager manages ASSET/USD"):
        run(data, {0: lambda s: s.manage(shared)})
