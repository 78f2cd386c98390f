"""Where ``Backtest`` fills a strategy's orders, on four hand-made hourly bars.

=====  =====  =====  =====  =====  ==============================================
bar    open   high   low    close  path (flat: nearest extreme first)
=====  =====  =====  =====  =====  ==============================================
0      100    101    99     100
1      102    104    101    103    102 -> 101 -> 104 -> 103
2      105    106    104    105    105 -> 106 -> 104 -> 105 (a tie: high first)
3      104    105    103    104
=====  =====  =====  =====  =====  ==============================================

An order sent at bar ``i``'s close is active from bar ``i + 1``'s open, ``ns(i + 1)``.
"""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pytest

from tests.backtest.helpers import D, bars, fills, instrument, ns, orders, run
from tradeforge.model.enums import LiquiditySide, OrderSide, OrderStatus, OrderType
from tradeforge.model.orders import Order
from tradeforge.strategy import Strategy

DATA = bars((100, 101, 99, 100), (102, 104, 101, 103), (105, 106, 104, 105), (104, 105, 103, 104))
# the mirror image (200 - price) for sells in a margin account
MIRROR = bars((100, 101, 99, 100), (98, 99, 96, 97), (95, 96, 94, 95), (96, 97, 95, 96))


def test_market_order_fills_at_the_next_open_by_default() -> None:
    result = run(DATA, {0: lambda s: s.buy(1)})
    [fill] = fills(result)
    assert (fill.last_price, fill.ts, fill.liquidity_side) == (102, ns(1), LiquiditySide.TAKER)


def test_market_order_fills_at_the_close_with_market_fill_close() -> None:
    result = run(DATA, {0: lambda s: s.buy(1)}, market_fill="close")
    [fill] = fills(result)
    assert (fill.last_price, fill.ts) == (100, ns(1))


@pytest.mark.parametrize(
    ("market_fill", "entry", "exit_"), [("next_open", 102, 105), ("close", 100, 103)]
)
def test_round_trip_pnl_and_fees_are_exact(market_fill: str, entry: int, exit_: int) -> None:
    result = run(
        DATA,
        {0: lambda s: s.buy(2), 1: lambda s: s.sell(2)},
        commission=0.001,
        market_fill=market_fill,
    )
    buy, sell = fills(result)
    assert (buy.last_price, sell.last_price) == (entry, exit_)
    assert buy.fee.amount == D(entry) * 2 * D("0.001")
    assert sell.fee.amount == D(exit_) * 2 * D("0.001")
    portfolio = result.portfolio
    assert portfolio.realized_pnl() == (exit_ - entry) * 2
    assert portfolio.fees == (entry + exit_) * 2 * D("0.001")
    assert result.final_equity == 1000 + (exit_ - entry) * 2 - (entry + exit_) * 2 * D("0.001")
    [trade] = result.trades.itertuples()
    assert (trade.entry_price, trade.exit_price, trade.size) == (entry, exit_, 2)


@pytest.mark.parametrize(
    ("limit", "price", "ts", "liquidity"),
    [
        (101.5, "101.5", ns(1 + 0.5 / 3), LiquiditySide.MAKER),  # the low reaches it
        (103, "102", ns(1), LiquiditySide.TAKER),  # the bar opens below it
        (101.504, "101.5", ns(1 + 0.5 / 3), LiquiditySide.MAKER),  # rounded down to the tick
    ],
)
def test_limit_buy(limit: float, price: str, ts: int, liquidity: LiquiditySide) -> None:
    result = run(DATA, {0: lambda s: s.buy(1, limit=limit)})
    [fill] = fills(result)
    assert fill.last_price == D(price)
    assert abs(fill.ts - ts) <= 1_000
    assert fill.liquidity_side is liquidity


def test_limit_buy_below_every_low_never_fills() -> None:
    result = run(DATA, {0: lambda s: s.buy(1, limit=100.99)})
    assert fills(result) == []
    [order] = orders(result)
    assert order.status is OrderStatus.ACCEPTED
    assert result.final_equity == 1000


@pytest.mark.parametrize(
    ("stop", "price", "ts"),
    [
        (103.5, "103.5", ns(1 + (1 + 2.5 / 3) / 3)),  # 101 -> 104 passes 103.5
        (101.5, "102", ns(1)),  # gapped: already above at the open
        (105.5, "105.5", ns(2 + 0.5 / 3)),  # next bar: 105 -> 106
    ],
)
def test_stop_buy(stop: float, price: str, ts: int) -> None:
    result = run(DATA, {0: lambda s: s.buy(1, stop=stop)})
    [fill] = fills(result)
    assert fill.last_price == D(price)
    assert abs(fill.ts - ts) <= 1_000
    assert fill.liquidity_side is LiquiditySide.TAKER
    assert orders(result)[0].order_type is OrderType.STOP_MARKET


def test_stop_limit_buy_triggers_then_waits_for_its_limit() -> None:
    # stop 104.5 triggers in bar 2 at its open 105 (gap); the limit 104.2 is reached on the way
    # 106 -> 104, at 1 + 1.8 / 2 = 1.9
    result = run(DATA, {0: lambda s: s.buy(1, stop=104.5, limit=104.2)})
    [fill] = fills(result)
    assert orders(result)[0].order_type is OrderType.STOP_LIMIT
    assert fill.last_price == D("104.2")
    assert fill.liquidity_side is LiquiditySide.MAKER
    assert abs(fill.ts - ns(2 + 1.9 / 3)) <= 1_000


def test_take_profit_order_submitted_as_built() -> None:
    def place(s: Strategy) -> object:
        order = Order.take_profit_market(
            s.ctx.ids.generate(), s.symbol, OrderSide.BUY, D(1), D("101.5"),
            ts_init=s.time, strategy_id=s.strategy_id,
        )  # fmt: skip
        return s.submit(order)

    result = run(DATA, {0: place})
    [fill] = fills(result)
    assert orders(result)[0].order_type is OrderType.TAKE_PROFIT_MARKET
    assert fill.last_price == D("101.5")  # 102 -> 101 falls to it at 0.5
    assert fill.liquidity_side is LiquiditySide.TAKER


@pytest.mark.parametrize(
    ("kwargs", "price", "liquidity"),
    [
        ({}, "98", LiquiditySide.TAKER),  # market: the open
        ({"limit": 98.5}, "98.5", LiquiditySide.MAKER),  # 98 -> 99 reaches it
        ({"limit": 97}, "98", LiquiditySide.TAKER),  # opens above it
        ({"stop": 96.5}, "96.5", LiquiditySide.TAKER),  # 99 -> 96 passes it
        ({"stop": 98.5}, "98", LiquiditySide.TAKER),  # gapped below it
    ],
)
def test_sells_mirror_buys(kwargs: dict[str, float], price: str, liquidity: LiquiditySide) -> None:
    result = run(MIRROR, {0: lambda s: s.sell(1, **kwargs)}, account="margin")
    fill = fills(result)[0]
    assert fill.last_price == D(price)
    assert fill.liquidity_side is liquidity
    assert result.portfolio.position(fill.symbol).signed_qty == -1


def test_spot_sell_of_holdings_at_a_limit() -> None:
    result = run(DATA, {0: lambda s: s.buy(1), 1: lambda s: s.sell(1, limit=105.5)})
    buy, sell = fills(result)
    assert (buy.last_price, sell.last_price) == (102, D("105.5"))
    assert sell.liquidity_side is LiquiditySide.MAKER
    assert result.portfolio.realized_pnl() == D("3.5")
    assert result.final_equity == D("1003.5")


def test_maker_and_taker_fees_of_the_instrument() -> None:
    inst = instrument(maker_fee="0.001", taker_fee="0.0025")
    result = run(
        DATA,
        {0: lambda s: s.buy(2, limit=101.5), 1: lambda s: s.sell(2)},
        instruments=[inst],
    )
    buy, sell = fills(result)
    assert buy.liquidity_side is LiquiditySide.MAKER
    assert buy.fee.amount == D("203.0") * D("0.001")
    assert sell.liquidity_side is LiquiditySide.TAKER
    assert sell.fee.amount == D(210) * D("0.0025")
    assert result.portfolio.fees == D("0.203") + D("0.525")
    assert result.final_equity == 1000 + (105 - D("101.5")) * 2 - D("0.728")


def test_commission_overrides_both_rates() -> None:
    inst = instrument(maker_fee="0.001", taker_fee="0.0025")
    result = run(DATA, {0: lambda s: s.buy(2, limit=101.5)}, instruments=[inst], commission=0.0004)
    [fill] = fills(result)
    assert fill.fee.amount == D("203.0") * D("0.0004")


def test_unrealized_pnl_is_marked_at_the_last_close() -> None:
    result = run(DATA, {0: lambda s: s.buy(3)}, commission=0.001)
    portfolio = result.portfolio
    assert portfolio.unrealized_pnl() == (104 - 102) * 3
    assert portfolio.cash == 1000 - 306 - D("0.306")
    assert result.final_equity == portfolio.cash + 3 * 104
    # equity at the closes of bars 1..3: cash 693.694 plus 3 x (103, 105, 104)
    assert result.equity.tolist()[1:] == pytest.approx([1002.694, 1008.694, 1005.694], abs=1e-9)
    assert result.equity.iloc[-1] == pytest.approx(float(result.final_equity), abs=1e-9)


def test_equity_at_the_signal_bar_excludes_the_next_open_fill() -> None:
    result = run(DATA, {0: lambda s: s.buy(3)}, commission=0.001)
    assert result.equity.iloc[0] == 1000


def test_orders_keep_decimal_exactness() -> None:
    result = run(DATA, {0: lambda s: s.buy(D("0.3"))}, commission=0.001)
    [fill] = fills(result)
    assert fill.last_qty == D("0.3")
    assert fill.fee.amount == D("0.0306")
    assert result.portfolio.cash == D(1000) - D("30.6") - D("0.0306")
    assert isinstance(result.final_equity, Decimal)


def test_trades_table_with_only_an_open_trade() -> None:
    result = run(DATA, {0: lambda s: s.buy(1)})
    [trade] = result.trades.itertuples()
    assert (trade.entry_price, trade.size, trade.side) == (102, 1, "LONG")
    assert pd.isna(trade.exit_time)
    assert pd.isna(trade.duration)
