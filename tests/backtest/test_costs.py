"""Slippage, volume participation and latency, each against hand-computed fills.

Bars as in ``test_fills``: bar 1 is ``102 -> 101 -> 104 -> 103`` along its path, bar 2 opens at
105, bar 3 at 104.
"""

from __future__ import annotations

from tests.backtest.helpers import D, bars, fills, ns, orders, run
from tradeforge.model.enums import LiquiditySide, OrderStatus
from tradeforge.model.events import OrderFilled

DATA = bars(
    (100, 101, 99, 100, 8),
    (102, 104, 101, 103, 8),
    (105, 106, 104, 105, 8),
    (104, 105, 103, 104, 8),
)
HALF_HOUR_MS = 30 * 60 * 1_000


# -- slippage -------------------------------------------------------------------------------


def test_slippage_moves_taker_prices_against_the_taker_and_rounds_away() -> None:
    result = run(
        DATA,
        {0: lambda s: s.buy(1), 1: lambda s: s.sell(1)},
        slippage_bps=10,
        commission=0.001,
    )
    buy, sell = fills(result)
    assert buy.last_price == D("102.11")  # 102 * 1.001 = 102.102, up to the tick
    assert sell.last_price == D("104.89")  # 105 * 0.999 = 104.895, down to the tick
    assert buy.fee.amount == D("102.11") * D("0.001")
    assert sell.fee.amount == D("104.89") * D("0.001")
    assert result.portfolio.realized_pnl() == D("2.78")


def test_slippage_applies_to_stops() -> None:
    result = run(DATA, {0: lambda s: s.buy(1, stop=103.5)}, slippage_bps=10)
    [fill] = fills(result)
    assert fill.last_price == D("103.61")  # 103.5 * 1.001 = 103.6035, up


def test_makers_never_slip() -> None:
    result = run(DATA, {0: lambda s: s.buy(1, limit=101.5)}, slippage_bps=50)
    [fill] = fills(result)
    assert fill.last_price == D("101.5")
    assert fill.liquidity_side is LiquiditySide.MAKER


def test_a_marketable_limit_slips_as_a_taker_but_not_past_its_limit() -> None:
    result = run(DATA, {0: lambda s: s.buy(1, limit=103)}, slippage_bps=10)
    [fill] = fills(result)
    assert fill.last_price == D("102.11")
    assert fill.liquidity_side is LiquiditySide.TAKER


def test_slippage_never_fills_a_limit_worse_than_its_limit() -> None:
    # 102 * 1.001 = 102.102 would pass the buy limit 102.05: the limit caps it
    result = run(DATA, {0: lambda s: s.buy(1, limit=102.05)}, slippage_bps=10)
    [fill] = fills(result)
    assert fill.last_price == D("102.05")
    assert fill.liquidity_side is LiquiditySide.TAKER


def test_slippage_of_a_marketable_sell_limit_stops_at_the_limit() -> None:
    data = bars((100, 101, 99, 100), (98, 99, 96, 97))
    result = run(data, {0: lambda s: s.sell(1, limit=97.95)}, slippage_bps=10, account="margin")
    [fill] = fills(result)
    assert fill.last_price == D("97.95")  # 98 * 0.999 = 97.902 would pass it


# -- volume participation -------------------------------------------------------------------


def test_max_volume_share_splits_a_market_order_across_bars() -> None:
    # each bar trades 8; a quarter of it is 2 per bar: 2 @ 102, 2 @ 105, 1 @ 104
    result = run(DATA, {0: lambda s: s.buy(5)}, max_volume_share=0.25, commission=0.001)
    got = [(f.last_qty, f.last_price, f.ts) for f in fills(result)]
    assert got == [(2, 102, ns(1)), (2, 105, ns(2)), (1, 104, ns(3))]
    [order] = orders(result)
    assert order.status is OrderStatus.FILLED
    assert order.avg_px == D("103.6")
    assert [type(e).__name__ for e in order.events[-3:]] == ["OrderFilled"] * 3
    assert result.portfolio.fees == (204 + 210 + 104) * D("0.001")
    assert result.portfolio.position(order.symbol).signed_qty == 5


def test_max_volume_share_leaves_a_limit_partially_filled() -> None:
    result = run(DATA, {0: lambda s: s.buy(5, limit=101.5)}, max_volume_share=0.25)
    [fill] = fills(result)
    assert (fill.last_qty, fill.last_price) == (2, D("101.5"))
    [order] = orders(result)
    assert order.status is OrderStatus.PARTIALLY_FILLED
    assert order.leaves_qty == 3


def test_max_volume_share_rounds_the_cap_down_to_the_step() -> None:
    data = bars((100, 101, 99, 100), (102, 104, 101, 103, 0.7), (105, 106, 104, 105, 0.7))
    result = run(data, {0: lambda s: s.buy(1)}, max_volume_share=0.5)
    assert [f.last_qty for f in fills(result)] == [D("0.35"), D("0.35")]


def test_trade_entry_price_of_a_position_built_by_partial_fills() -> None:
    result = run(DATA, {0: lambda s: s.buy(5)}, max_volume_share=0.25)
    [trade] = result.portfolio.trades
    assert trade.size == 5
    assert trade.entry_price == D("103.6")


# -- latency --------------------------------------------------------------------------------


def test_latency_shifts_where_a_market_order_becomes_active() -> None:
    # sent at bar 0's close, it reaches the venue half way through bar 1: position 1.5 of the
    # path 102 -> 101 -> 104 -> 103, price 101 + 3 * 0.5
    result = run(DATA, {0: lambda s: s.buy(1)}, latency_ms=HALF_HOUR_MS)
    [fill] = fills(result)
    assert (fill.last_price, fill.ts) == (D("102.5"), ns(1.5))


def test_latency_lets_a_limit_miss_the_dip_before_it_arrives() -> None:
    without = run(DATA, {0: lambda s: s.buy(1, limit=101.5)})
    assert fills(without)[0].last_price == D("101.5")  # the dip is at position 0.5
    late = run(DATA, {0: lambda s: s.buy(1, limit=101.5)}, latency_ms=HALF_HOUR_MS)
    assert fills(late) == []  # it arrives at 1.5: the price only rises from 102.5


def test_latency_with_market_fill_close_trades_in_the_next_bar() -> None:
    result = run(DATA, {0: lambda s: s.buy(1)}, latency_ms=HALF_HOUR_MS, market_fill="close")
    [fill] = fills(result)
    assert (fill.last_price, fill.ts) == (D("102.5"), ns(1.5))


def test_latency_longer_than_a_bar_skips_it() -> None:
    # 90 minutes: active half way through bar 2, path 105 -> 106 -> 104 -> 105, position 1.5
    result = run(DATA, {0: lambda s: s.buy(1)}, latency_ms=3 * HALF_HOUR_MS)
    [fill] = fills(result)
    assert (fill.last_price, fill.ts) == (D("105"), ns(2.5))


def test_a_cancel_reaches_the_venue_after_the_latency() -> None:
    # the limit (102) arrives at 1.5 of bar 1 (price 102.5 rising: no fill); the cancel sent
    # at bar 1's close arrives at 1.5 of bar 2, after the dip to 102 at 0.5 (103 -> 101 first)
    data = bars(
        (100, 101, 99, 100), (102, 104, 101, 103), (103, 106, 101, 103), (103, 104, 102, 103)
    )

    def cancel(s: object) -> None:
        s.cancel_all()  # type: ignore[attr-defined]

    result = run(data, {0: lambda s: s.buy(1, limit=102), 1: cancel}, latency_ms=HALF_HOUR_MS)
    assert [f.last_price for f in fills(result)] == [102]


def test_fill_events_carry_the_fill_time() -> None:
    result = run(DATA, {0: lambda s: s.buy(1)}, latency_ms=HALF_HOUR_MS)
    [order] = orders(result)
    [event] = [e for e in order.events if isinstance(e, OrderFilled)]
    assert event.ts == ns(1.5)
    assert result.fills["ts"].tolist()[0].value == ns(1.5)


def test_a_cancel_that_arrives_before_the_dip_cancels() -> None:
    # bar 2 visits its nearer extreme first: 103 -> 104.5 -> 101 -> 103. The cancel sent at
    # bar 1's close arrives at 1.5 along that path (102.75, falling), before the fall reaches
    # the limit 102 at 1 + 2.5 / 3.5 = 1.71
    data = bars(
        (100, 101, 99, 100), (102, 104, 101, 103), (103, 104.5, 101, 103), (103, 104, 102, 103)
    )

    def cancel(s: object) -> None:
        s.cancel_all()  # type: ignore[attr-defined]

    result = run(data, {0: lambda s: s.buy(1, limit=102), 1: cancel}, latency_ms=HALF_HOUR_MS)
    assert fills(result) == []
    [order] = orders(result)
    assert order.status is OrderStatus.CANCELED
    assert order.last_event.ts == ns(2.5)
