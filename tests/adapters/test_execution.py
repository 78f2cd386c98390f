"""The ccxt execution client as the kernel's venue: submit, fill, cancel, modify and query
orders on the sandbox, through the real ExecutionEngine."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest

from tradeforge.adapters.ccxt.execution_core import ExecutionSettings
from tradeforge.model.enums import LiquiditySide, OrderSide, OrderStatus, OrderType, TimeInForce
from tradeforge.model.events import OrderFilled, OrderRejected, OrderUpdated
from tradeforge.model.values import Money, Price, Quantity
from tradeforge.sandbox import SandboxServer

from .harness import Harness

BUY, SELL = OrderSide.BUY, OrderSide.SELL
LAST = Decimal("29331.70")


@pytest.fixture
def venue(paused: SandboxServer) -> Iterator[Harness]:
    harness = Harness(paused)
    yield harness
    harness.close()


def test_a_market_buy_fills_at_the_last_price(venue: Harness) -> None:
    order = venue.submit(venue.order("m-1", BUY, OrderType.MARKET, "0.01"))
    assert venue.kinds("m-1") == ["OrderSubmitted", "OrderAccepted", "OrderFilled"]
    fill = venue.events[-1]
    assert isinstance(fill, OrderFilled)
    assert (fill.last_qty, fill.last_price, fill.liquidity_side) == (
        Quantity("0.01"), Price(LAST), LiquiditySide.TAKER,
    )  # fmt: skip
    assert fill.fee == Money("0.293317", "USDT")
    assert (order.status, order.venue_order_id) == (OrderStatus.FILLED, "1")
    assert venue.portfolio.position(order.symbol).quantity == Quantity("0.01")
    assert [o["status"] for o in venue.venue_orders("m-1")] == ["closed"]
    assert venue.client.balances()["BTC"].free == Money("1.01", "BTC")
    assert venue.latencies  # every answered call was timed for the latency breaker
    assert venue.client.anomalies == []


def test_quantities_are_sent_at_the_venue_precision(venue: Harness) -> None:
    order = venue.submit(venue.order("m-2", BUY, OrderType.MARKET, "0.0012345"))
    assert venue.kinds("m-2") == ["OrderSubmitted", "OrderAccepted", "OrderUpdated", "OrderFilled"]
    update = venue.events[2]
    assert isinstance(update, OrderUpdated)
    assert update.quantity == Quantity("0.00123")
    assert (order.status, order.quantity, order.filled_qty) == (
        OrderStatus.FILLED, Quantity("0.00123"), Quantity("0.00123"),
    )  # fmt: skip
    assert venue.sends[0][4] == 0.00123


def test_a_resting_limit_fills_through_the_user_stream(venue: Harness) -> None:
    venue.wait_user_stream()
    order = venue.submit(venue.order("l-1", BUY, OrderType.LIMIT, "0.01", price="29250"))
    assert venue.kinds("l-1") == ["OrderSubmitted", "OrderAccepted"]
    venue.server.advance(300_000)  # the first bar of the day trades down to 29199.22
    venue.wait_for(lambda: order.status is OrderStatus.FILLED)
    venue.wait_for(lambda: "BTC" in venue.client.venue_balances)
    venue.settle()
    assert venue.kinds("l-1")[-1] == "OrderFilled"
    fill = venue.events[-1]
    assert isinstance(fill, OrderFilled)
    assert (fill.last_price, fill.liquidity_side) == (Price("29250"), LiquiditySide.MAKER)
    assert order.status is OrderStatus.FILLED
    assert venue.client.venue_balances["BTC"].free == Money("1.01", "BTC")


def test_cancel_closes_the_order_at_the_venue(venue: Harness) -> None:
    order = venue.submit(venue.order("l-2", BUY, OrderType.LIMIT, "0.01", price="20000"))
    assert venue.engine.cancel("l-2") is True
    venue.settle()
    assert venue.kinds("l-2") == ["OrderSubmitted", "OrderAccepted", "OrderCanceled"]
    assert order.status is OrderStatus.CANCELED
    assert [o["status"] for o in venue.venue_orders("l-2")] == ["canceled"]
    assert venue.client.cancel_order("l-2") is False  # closed
    assert venue.client.cancel_order("never-sent") is False


def test_modify_replaces_the_order_at_the_venue_and_updates_the_kernel(venue: Harness) -> None:
    order = venue.submit(venue.order("l-3", BUY, OrderType.LIMIT, "0.01", price="20000"))
    assert venue.engine.modify("l-3", quantity=Quantity("0.02"), price=Price("21000.004"))
    venue.settle()
    assert venue.kinds("l-3") == ["OrderSubmitted", "OrderAccepted", "OrderUpdated"]
    assert (order.quantity, order.price, order.status) == (
        Quantity("0.02"), Price("21000.00"), OrderStatus.ACCEPTED,
    )  # fmt: skip
    legs = venue.client.open_orders("BTC/USDT")
    assert [(o.client_order_id, o.amount) for o in legs] == [("l-3.1", Quantity("0.02"))]
    assert [o["status"] for o in venue.venue_orders("l-3")] == ["canceled"]
    assert venue.engine.cancel("l-3")
    venue.settle()
    assert venue.kinds("l-3")[-1] == "OrderCanceled"
    assert venue.client.open_orders("BTC/USDT") == []


def test_stops_and_take_profits_go_out_with_their_trigger(venue: Harness) -> None:
    venue.submit(venue.order("s-1", SELL, OrderType.STOP_MARKET, "0.01", stop_price="29000"))
    venue.submit(
        venue.order(
            "t-1", SELL, OrderType.TAKE_PROFIT_LIMIT, "0.01", price="35000", stop_price="34000"
        )
    )
    venue.settle()
    assert venue.kinds("s-1") == venue.kinds("t-1") == ["OrderSubmitted", "OrderAccepted"]
    raw = {o.client_order_id: o.raw for o in venue.client.open_orders("BTC/USDT")}
    assert (raw["s-1"]["type"], raw["s-1"]["stopPrice"]) == ("STOP_LOSS", "29000.00000000")
    assert (raw["t-1"]["type"], raw["t-1"]["price"]) == ("TAKE_PROFIT_LIMIT", "35000.00000000")


def test_a_quote_quantity_buy_learns_its_quantity_from_the_venue(venue: Harness) -> None:
    order = venue.order("q-1", BUY, OrderType.MARKET, "0.002")
    venue.submit(order, quote=Decimal(50))
    assert venue.kinds("q-1") == ["OrderSubmitted", "OrderAccepted", "OrderUpdated", "OrderFilled"]
    assert (order.status, order.filled_qty) == (OrderStatus.FILLED, Quantity("0.0017"))
    assert venue.sends[0][:3] == ("create_market_buy_order_with_cost", "BTC/USDT", 50.0)


def test_refusals_become_rejections(venue: Harness) -> None:
    venue.submit(venue.order("r-1", BUY, OrderType.LIMIT, "10", price="20000"))
    venue.submit(
        venue.order(
            "r-2", BUY, OrderType.LIMIT, "0.01", price="20000", time_in_force=TimeInForce.DAY
        )
    )
    venue.submit(venue.order("r-3", BUY, OrderType.LIMIT, "0.01", price="40000", post_only=True))
    reasons = {e.client_order_id: e.reason for e in venue.events if isinstance(e, OrderRejected)}
    assert reasons["r-1"].startswith("InsufficientFunds: binance")
    assert reasons["r-2"] == "order r-2: binance takes no DAY orders"
    assert reasons["r-3"].startswith("OrderImmediatelyFillable: binance")
    assert [s[1:3] for s in venue.sends] == [("BTC/USDT", "limit"), ("BTC/USDT", "limit")]


def test_queries(venue: Harness) -> None:
    venue.submit(venue.order("m-3", BUY, OrderType.MARKET, "0.02"))
    venue.submit(venue.order("l-4", SELL, OrderType.LIMIT, "0.01", price="35000"))
    found = venue.client.fetch_order("m-3", "BTC/USDT")
    assert found is not None
    assert (found.status.value, found.filled, found.venue_order_id) == (
        "closed",
        Quantity("0.02"),
        "1",
    )
    assert venue.client.fetch_order("nope", "BTC/USDT") is None
    assert [o.client_order_id for o in venue.client.open_orders()] == ["l-4"]
    trades = venue.client.my_trades("BTC/USDT")
    assert [(t.trade_id, t.venue_order_id, t.quantity, t.price) for t in trades] == [
        ("1", "1", Quantity("0.02"), Price(LAST))
    ]
    balances = venue.client.balances()
    assert balances["BTC"].free == Money("1.01", "BTC")
    assert balances["BTC"].locked == Money("0.01", "BTC")
    assert balances["USDT"].free == Money("9412.779366", "USDT")  # 10000 - 586.634 - 0.586634


def test_the_user_stream_reconnects_and_reconciles_what_it_missed(paused: SandboxServer) -> None:
    settings = ExecutionSettings(lookup_delay=0.0, resubscribe_grace=0.2, reconcile_every=None)
    harness = Harness(paused, settings)
    try:
        harness.wait_user_stream()
        order = harness.submit(harness.order("l-5", BUY, OrderType.LIMIT, "0.01", price="29250"))
        assert paused.disconnect("user", "drop") == 1
        paused.advance(300_000)  # fills while the user stream is down
        harness.wait_for(lambda: order.status is OrderStatus.FILLED)
        harness.settle()
        assert harness.kinds("l-5") == ["OrderSubmitted", "OrderAccepted", "OrderFilled"]
        assert harness.connection == [False, True]
    finally:
        harness.close()
