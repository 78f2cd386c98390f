"""Fill rules of the simulated exchange, order type by order type, on one hand-made bar.

Orders are sent at bar 0's close (``ns(1)``) and matched against bar 1. For buys, bar 1 is
``open 102, high 104, low 101, close 103``: flat, the extreme nearest the open comes first, so
the path is ``102 -> 101 -> 104 -> 103`` (segments 0, 1, 2). Sells use the mirror image around
200: ``open 98, high 99, low 96, close 97``, path ``98 -> 99 -> 96 -> 97``. A fill at path
position ``p`` is stamped ``ns(1 + p / 3)``.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.backtest.helpers import Venue, instrument, ns
from tradeforge.backtest.models import VolumeParticipation
from tradeforge.model.enums import LiquiditySide
from tradeforge.model.events import (
    OrderAccepted,
    OrderCanceled,
    OrderFilled,
    OrderRejected,
    OrderUpdated,
)
from tradeforge.model.orders import OrderError
from tradeforge.model.values import Price, Quantity

BUY_BAR = (102.0, 104.0, 101.0, 103.0)
SELL_BAR = (98.0, 99.0, 96.0, 97.0)
MAKER, TAKER = LiquiditySide.MAKER, LiquiditySide.TAKER

# side, kind, prices, expected fill price, path position of the fill, liquidity
CASES = [
    # market: the open
    ("buy", "market", {}, "102", 0.0, TAKER),
    ("sell", "market", {}, "98", 0.0, TAKER),
    # limit reached inside the bar: the limit, maker
    ("buy", "limit", {"price": "101.5"}, "101.5", 0.5, MAKER),
    ("sell", "limit", {"price": "98.5"}, "98.5", 0.5, MAKER),
    # limit marketable on arrival (the bar opened beyond it): the open, taker
    ("buy", "limit", {"price": "103"}, "102", 0.0, TAKER),
    ("sell", "limit", {"price": "97"}, "98", 0.0, TAKER),
    # stop reached inside the bar: the stop, taker (101 -> 104 passes 103.5 at 2.5/3)
    ("buy", "stop_market", {"stop": "103.5"}, "103.5", 1 + 2.5 / 3, TAKER),
    ("sell", "stop_market", {"stop": "96.5"}, "96.5", 1 + 2.5 / 3, TAKER),
    # stop gapped through (already beyond at the open): the open
    ("buy", "stop_market", {"stop": "101.5"}, "102", 0.0, TAKER),
    ("sell", "stop_market", {"stop": "98.5"}, "98", 0.0, TAKER),
    # stop-limit triggered inside the bar with a marketable limit: the price at the trigger
    ("buy", "stop_limit", {"stop_price": "103", "price": "103.5"}, "103", 1 + 2 / 3, TAKER),
    ("sell", "stop_limit", {"stop_price": "97", "price": "96.5"}, "97", 1 + 2 / 3, TAKER),
    # stop-limit triggered by the gap, its limit reached later: the limit, maker
    ("buy", "stop_limit", {"stop_price": "101", "price": "101.5"}, "101.5", 0.5, MAKER),
    ("sell", "stop_limit", {"stop_price": "99", "price": "98.5"}, "98.5", 0.5, MAKER),
    # take-profit market: waits for a buy's price to fall (a sell's to rise) to its trigger
    ("buy", "take_profit_market", {"stop": "101.5"}, "101.5", 0.5, TAKER),
    ("sell", "take_profit_market", {"stop": "98.5"}, "98.5", 0.5, TAKER),
    ("buy", "take_profit_market", {"stop": "103"}, "102", 0.0, TAKER),
    ("sell", "take_profit_market", {"stop": "97"}, "98", 0.0, TAKER),
    # take-profit limit: triggered at 101.5 (0.5), then the limit 101.2 at 0.8
    ("buy", "take_profit_limit", {"stop_price": "101.5", "price": "101.2"}, "101.2", 0.8, MAKER),
    ("sell", "take_profit_limit", {"stop_price": "98.5", "price": "98.8"}, "98.8", 0.8, MAKER),
]


@pytest.mark.parametrize(
    ("side", "kind", "prices", "price", "pos", "liquidity"),
    CASES,
    ids=[f"{c[0]}-{c[1]}-{'-'.join(c[2].values()) or 'open'}" for c in CASES],
)
def test_fill_price_time_and_liquidity(  # noqa: PLR0917 - one parameter per column
    side: str, kind: str, prices: dict[str, str], price: str, pos: float, liquidity: LiquiditySide
) -> None:
    venue = Venue(instruments=[instrument(maker_fee="0.001", taker_fee="0.002")])
    order = venue.order(side, kind, "2", **prices)
    venue.exchange.submit_order(order)
    assert isinstance(venue.events[-1], OrderAccepted)
    venue.bar(1, *(BUY_BAR if side == "buy" else SELL_BAR))
    [fill] = venue.fills()
    assert fill.client_order_id == order.client_order_id
    assert fill.last_price == Decimal(price)
    assert fill.last_qty == 2
    assert fill.liquidity_side is liquidity
    rate = Decimal("0.001") if liquidity is MAKER else Decimal("0.002")
    assert fill.fee.amount == Decimal(price) * 2 * rate
    assert abs(fill.ts - ns(1 + pos / 3)) <= 1_000  # float positions: to the microsecond
    assert venue.exchange.working_orders() == []


@pytest.mark.parametrize(
    ("side", "kind", "prices"),
    [
        ("buy", "limit", {"price": "100.99"}),  # below the low
        ("sell", "limit", {"price": "99.01"}),  # above the high
        ("buy", "stop_market", {"stop": "104.01"}),
        ("sell", "stop_market", {"stop": "95.99"}),
        ("buy", "stop_limit", {"stop_price": "101", "price": "100.5"}),  # triggers, limit not
        ("sell", "stop_limit", {"stop_price": "99", "price": "99.5"}),
        ("buy", "take_profit_market", {"stop": "100.99"}),
    ],
)
def test_orders_that_are_never_reached_keep_working(
    side: str, kind: str, prices: dict[str, str]
) -> None:
    venue = Venue()
    order = venue.order(side, kind, **prices)
    venue.exchange.submit_order(order)
    venue.bar(1, *(BUY_BAR if side == "buy" else SELL_BAR))
    assert venue.fills() == []
    assert venue.exchange.working_orders() == [order.client_order_id]


def test_a_limit_reached_in_a_later_bar_fills_at_the_limit() -> None:
    venue = Venue()
    order = venue.order("buy", "limit", price="100")
    venue.exchange.submit_order(order)
    venue.bar(1, *BUY_BAR)
    venue.bar(2, 103, 103.5, 99, 100)  # nearest first: 103 -> 103.5 -> 99 (100 at 1 + 3.5/4.5)
    [fill] = venue.fills()
    assert fill.last_price == 100
    assert fill.liquidity_side is MAKER
    assert abs(fill.ts - ns(2 + (1 + 3.5 / 4.5) / 3)) <= 1_000


def test_orders_fill_in_the_order_the_path_reaches_them() -> None:
    venue = Venue()
    stop = venue.order("buy", "stop_market", stop="103.5")  # reached at 1.83
    limit = venue.order("buy", "limit", price="101.5")  # reached at 0.5
    venue.exchange.submit_order(stop)
    venue.exchange.submit_order(limit)
    venue.bar(1, *BUY_BAR)
    assert [f.client_order_id for f in venue.fills()] == [
        limit.client_order_id,
        stop.client_order_id,
    ]


def test_market_fill_close_trades_at_the_last_close_on_submission() -> None:
    venue = Venue(market_fill="close")
    venue.bar(0, 100, 101, 99, 100.5)
    order = venue.order("buy", "market")
    venue.exchange.submit_order(order)
    [fill] = venue.fills()
    assert fill.last_price == Decimal("100.5")
    assert fill.ts == ns(1)


def test_cancel_removes_a_working_order() -> None:
    venue = Venue()
    order = venue.order("buy", "limit", price="101.5")
    venue.exchange.submit_order(order)
    assert venue.exchange.cancel_order(order.client_order_id)
    assert not venue.exchange.cancel_order(order.client_order_id)
    venue.bar(1, *BUY_BAR)
    assert venue.fills() == []
    assert [e.client_order_id for e in venue.of(OrderCanceled)] == [order.client_order_id]


def test_the_venue_rejects_what_breaks_the_instrument_filters() -> None:
    venue = Venue(instruments=[instrument(min_notional="10")])
    order = venue.order("buy", "limit", "0.05", price="101.5")  # notional 5.075
    venue.exchange.submit_order(order)
    [rejected] = venue.of(OrderRejected)
    assert "below the minimum 10" in rejected.reason
    assert venue.exchange.working_orders() == []


def test_a_filled_order_reports_one_event_per_fill() -> None:
    venue = Venue()
    venue.exchange.submit_order(venue.order("sell", "market", "3"))
    venue.bar(1, *SELL_BAR)
    assert [type(e) for e in venue.events] == [OrderAccepted, OrderFilled]


def test_modify_moves_a_working_order() -> None:
    venue = Venue()
    order = venue.order("buy", "limit", price="100")
    venue.exchange.submit_order(order)
    assert venue.exchange.modify_order(order.client_order_id, price=Price("101.5"))
    [update] = venue.of(OrderUpdated)
    assert update.price == Decimal("101.5")
    venue.bar(1, *BUY_BAR)
    [fill] = venue.fills()
    assert fill.last_price == Decimal("101.5")
    assert not venue.exchange.modify_order(order.client_order_id, price=Price("101"))


def test_modify_the_quantity_of_a_partially_filled_order() -> None:
    venue = Venue(participation=VolumeParticipation(0.25))
    order = venue.order("buy", "limit", "5", price="101.5")
    venue.exchange.submit_order(order)
    venue.bar(1, *BUY_BAR, 8)  # a quarter of 8: 2 fill
    assert venue.exchange.modify_order(order.client_order_id, quantity=Quantity("3"))
    venue.bar(2, 101.6, 101.8, 101, 101.5, 8)  # 1 left to fill
    assert [f.last_qty for f in venue.fills()] == [2, 1]
    assert venue.exchange.working_orders() == []
    other = venue.order("buy", "limit", "5", price="101.5")
    venue.exchange.submit_order(other)
    venue.bar(3, 101.6, 101.8, 101, 101.5, 8)  # 2 of 5 fill
    with pytest.raises(OrderError, match="must exceed filled"):
        venue.exchange.modify_order(other.client_order_id, quantity=Quantity("2"))
