"""Malformed and hostile venue replies: logged with the raw payload, reconciled or rejected by
rule, never applied in a way the kernel's orders (and so the store) cannot take."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from tradeforge.adapters.ccxt.errors import MalformedReplyError
from tradeforge.adapters.ccxt.order_tracker import OrderTracker
from tradeforge.adapters.ccxt.replies import (
    VenueOrder,
    VenueOrderStatus,
    VenueTrade,
    parse_balances,
    parse_ohlcv,
    parse_order,
    parse_trade,
)
from tradeforge.common.clock import TestClock
from tradeforge.model.enums import LiquiditySide, OrderSide, OrderStatus, OrderType
from tradeforge.model.events import OrderEvent, OrderFilled, OrderSubmitted
from tradeforge.model.orders import Order
from tradeforge.model.symbol import Symbol
from tradeforge.model.values import Money, Price, Quantity
from tradeforge.sandbox import SandboxServer

from .harness import Harness

BTC = Symbol.parse("BTC/USDT")
OPEN, CANCELED = VenueOrderStatus.OPEN, VenueOrderStatus.CANCELED
LOG = "tradeforge.adapters"


class Kernel:
    """A tracker whose events are applied to the real Order, as the engine would."""

    def __init__(self) -> None:
        self.events: list[OrderEvent] = []
        self.tracker = OrderTracker(self.apply, TestClock(5))
        self.order = Order(
            "c-1", BTC, OrderSide.BUY, OrderType.LIMIT, Decimal("1"), ts_init=0, price="100"
        )
        self.order.apply(OrderSubmitted(ts=0, client_order_id="c-1", symbol=BTC))
        self.tracked = self.tracker.track(self.order, "c-1")

    def apply(self, event: OrderEvent) -> None:
        self.order.apply(event)  # raises on anything the order cannot take
        self.events.append(event)

    def kinds(self) -> list[str]:
        return [type(e).__name__ for e in self.events]


def report(
    status: VenueOrderStatus, filled: str = "0", cid: str | None = "c-1", vid: str = "9"
) -> VenueOrder:
    return VenueOrder(vid, cid, BTC, status, Quantity("1"), Quantity(filled), 10, raw={"id": vid})


def trade(tid: str, qty: str, vid: str = "9", side: OrderSide = OrderSide.BUY) -> VenueTrade:
    return VenueTrade(
        tid, vid, BTC, side, Quantity(qty), Price("100"), Money("0.1", "USDT"),
        LiquiditySide.MAKER, 20, raw={"t": tid},
    )  # fmt: skip


@pytest.fixture
def kernel() -> Kernel:
    return Kernel()


def test_a_report_of_an_order_the_node_does_not_know_is_ignored(
    kernel: Kernel, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger=LOG):
        kernel.tracker.on_order(report(OPEN, cid="someone-else", vid="77"))
    assert kernel.events == []
    assert kernel.tracker.ignored == 1
    assert "raw={'id': '77'}" in caplog.text


def test_duplicate_fills_are_applied_once(kernel: Kernel) -> None:
    kernel.tracker.on_order(report(OPEN))
    for _ in range(3):
        kernel.tracker.on_trade(trade("t1", "0.4"))
    assert kernel.kinds() == ["OrderAccepted", "OrderFilled"]
    assert kernel.order.filled_qty == Quantity("0.4")


def test_a_fill_for_a_canceled_order_is_an_anomaly_not_applied(
    kernel: Kernel, caplog: pytest.LogCaptureFixture
) -> None:
    kernel.tracker.on_order(report(OPEN))
    kernel.tracker.on_order(report(CANCELED))
    with caplog.at_level(logging.ERROR, logger=LOG):
        kernel.tracker.on_trade(trade("t9", "0.5"))
    assert kernel.kinds() == ["OrderAccepted", "OrderCanceled"]
    assert kernel.order.status is OrderStatus.CANCELED
    assert kernel.tracker.anomalies == ["order c-1: fill t9 for an order already closed"]
    assert "raw={'t': 't9'}" in caplog.text


@pytest.mark.parametrize(
    ("bad", "problem"),
    [
        (trade("t2", "1.5"), "fill t2 of 1.5 exceeds the 1 left"),
        (trade("t3", "0.5", side=OrderSide.SELL), "fill t3 is a SELL, the order a BUY"),
    ],
)
def test_overfills_and_wrong_sides_are_anomalies(
    kernel: Kernel, bad: VenueTrade, problem: str
) -> None:
    kernel.tracker.on_order(report(OPEN))
    kernel.tracker.on_trade(bad)
    assert kernel.kinds() == ["OrderAccepted"]
    assert kernel.tracker.anomalies == [f"order c-1: {problem}"]


def test_a_cancel_waits_for_the_fills_it_implies(kernel: Kernel) -> None:
    kernel.tracker.on_order(report(OPEN))
    waiting = kernel.tracker.on_order(report(CANCELED, filled="0.3"))
    assert waiting is kernel.tracked  # the caller must fetch the fills
    assert kernel.kinds() == ["OrderAccepted"]
    kernel.tracker.on_trade(trade("t1", "0.3"))
    assert kernel.kinds() == ["OrderAccepted", "OrderFilled", "OrderCanceled"]
    assert (kernel.order.status, kernel.order.filled_qty) == (OrderStatus.CANCELED, Quantity("0.3"))


def test_missing_fills_that_never_come_are_an_anomaly(kernel: Kernel) -> None:
    kernel.tracker.on_order(report(OPEN))
    kernel.tracker.on_order(report(CANCELED, filled="0.3"))
    kernel.tracker.give_up_waiting(kernel.tracked)
    assert kernel.kinds() == ["OrderAccepted", "OrderCanceled"]
    assert kernel.tracker.anomalies == [
        "order c-1: venue reports 0.3 filled but its fills add up to 0"
    ]


def test_a_fill_before_its_order_is_known_waits_then_follows_the_acceptance(
    kernel: Kernel,
) -> None:
    assert kernel.tracker.on_trade(trade("t1", "1")) is True  # an orphan for now
    assert kernel.events == []
    kernel.tracker.on_order(report(OPEN))
    assert kernel.kinds() == ["OrderAccepted", "OrderFilled"]
    assert kernel.order.status is OrderStatus.FILLED
    assert kernel.tracker.on_trade(trade("t5", "1", vid="404")) is True
    assert kernel.tracker.expire_orphans("404") == 1
    assert kernel.tracker.ignored == 1


ORDER = {"id": "1", "symbol": "BTC/USDT", "status": "open"}


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        ({**ORDER, "status": None, "info": {"x": 1}}, "status=None is not an order status"),
        ({**ORDER, "filled": "lots"}, "filled='lots' is not a number"),
        ({**ORDER, "filled": 2.0, "amount": 1.0}, "filled 2.0 does not fit amount 1.0"),
        ({**ORDER, "id": ["1"]}, "id is a list, not text"),
        ({**ORDER, "filled": float("nan")}, "filled=nan is not finite"),
        ("<html>502</html>", "order is a str, not an object"),
    ],
)
def test_malformed_orders_are_refused_with_their_payload(reply: Any, message: str) -> None:
    with pytest.raises(MalformedReplyError, match=message) as caught:
        parse_order(reply)
    expected_raw = reply.get("info", reply) if isinstance(reply, dict) else reply
    assert caught.value.raw == expected_raw


def test_malformed_trades_balances_and_candles_are_refused() -> None:
    good = {
        "id": "5",
        "order": "9",
        "symbol": "BTC/USDT",
        "side": "buy",
        "amount": 0.1,
        "price": 100.0,
    }
    assert parse_trade(good).quantity == Quantity("0.1")
    for bad, message in [
        ({**good, "amount": -1}, "amount=-1 is not positive"),
        ({**good, "side": "up"}, "side='up' is neither buy nor sell"),
        ({**good, "fee": {"cost": 1}}, "needs a cost and a currency"),
        ({**good, "takerOrMaker": "both"}, "takerOrMaker='both'"),
    ]:
        with pytest.raises(MalformedReplyError, match=message):
            parse_trade(bad)
    with pytest.raises(MalformedReplyError, match="free='x' is not a number"):
        parse_balances({"free": {"BTC": "x"}, "used": {}})
    assert parse_balances({"free": {"BTC": 1.5}, "used": {"BTC": 0.5}})["BTC"].total == Money(
        "2.0", "BTC"
    )
    assert parse_ohlcv([0, "1", 2, 0.5, 1.5]) == (0, 1.0, 2.0, 0.5, 1.5, 0.0)
    for bad in (
        [1, 2],
        [1.5, 1, 1, 1, 1, 1],
        [0, True, 1, 1, 1, 1],
        [0, 1, 1, 1, 1, -1],
        [0, "inf", 1, 1, 1, 1],
    ):
        with pytest.raises(MalformedReplyError):
            parse_ohlcv(bad)


@pytest.fixture
def venue(paused: SandboxServer) -> Iterator[Harness]:
    harness = Harness(paused)
    yield harness
    harness.close()


def test_a_malformed_order_reply_is_logged_and_the_order_looked_up(
    venue: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    exchange = venue.session.exchange
    real_fetch = exchange.fetch

    async def corrupting(url: str, method: str = "GET", *args: Any) -> Any:
        body = await real_fetch(url, method, *args)
        if method == "POST" and url.endswith("/order"):
            return {**body, "status": 17, "orderId": None}  # wrong type, missing id
        return body

    exchange.fetch = corrupting
    with caplog.at_level(logging.WARNING, logger=LOG):
        order = venue.submit(venue.order("h-1", OrderSide.BUY, OrderType.MARKET, "0.01"))
    assert len(venue.sends) == 1  # found by its client id: not resent
    assert venue.kinds("h-1") == ["OrderSubmitted", "OrderAccepted", "OrderFilled"]
    assert order.status is OrderStatus.FILLED
    assert (
        "outcome unknown (malformed venue reply: status='17' is not an order status)" in caplog.text
    )
    assert "'status': 17, 'timeInForce': 'GTC'" in caplog.text  # the raw payload is logged
    assert len(venue.venue_orders("h-1")) == 1


def test_hostile_stream_messages_never_reach_the_kernel(
    venue: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    limit = venue.order("h-2", OrderSide.BUY, OrderType.LIMIT, "0.01", price="20000")
    order = venue.submit(limit)
    venue.engine.cancel("h-2")
    venue.settle()
    core = venue.client.core
    fake_fill = {
        "id": "666", "order": order.venue_order_id, "symbol": "BTC/USDT", "side": "buy",
        "amount": 0.01, "price": 20000.0, "timestamp": 1,
        "info": {"e": "executionReport", "t": 666},
    }  # fmt: skip
    with caplog.at_level(logging.WARNING, logger=LOG):
        venue.client.loop.run(_feed(core, fake_fill))
        venue.settle()
    assert venue.kinds("h-2") == ["OrderSubmitted", "OrderAccepted", "OrderCanceled"]
    assert order.status is OrderStatus.CANCELED
    assert venue.client.anomalies == ["order h-2: fill 666 for an order already closed"]
    assert "raw={'e': 'executionReport', 't': 666}" in caplog.text
    assert "order dropped: malformed venue reply: status='NEW?'" in caplog.text
    assert not any(isinstance(e, OrderFilled) for e in venue.events)


async def _feed(core: Any, fake_fill: dict[str, Any]) -> None:
    core._on_trades([fake_fill])
    core._on_orders(
        [{"id": "1", "symbol": "BTC/USDT", "status": "NEW?", "info": {"X": "NEW?"}}, None]
    )
