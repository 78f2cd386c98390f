"""Reconciliation: what happened at the venue while the node was down is adopted or booked
on restart, each difference logged; while running, fills of unknown orders are booked."""

from __future__ import annotations

import logging
from decimal import Decimal

import ccxt
import pytest

from tradeforge.model.enums import OrderSide, OrderStatus, OrderType
from tradeforge.model.events import OrderSubmitted
from tradeforge.model.orders import Order
from tradeforge.model.values import Quantity
from tradeforge.persistence.migrations import ensure_schema
from tradeforge.persistence.repositories import OrderRepository
from tradeforge.persistence.store import Store
from tradeforge.sandbox import SandboxServer

from .conftest import START_NS, StartServer, settings, start_node, strategy


def venue_totals(server: SandboxServer) -> dict[str, Decimal]:
    return {a: free + locked for a, (free, locked) in server.balances().items()}


def test_what_happened_while_the_node_was_down_is_adopted_on_restart(
    server: SandboxServer, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    config = settings(
        server, "live", strategies=[strategy("Resting")], shutdown={"orders": "leave"}
    )
    first = start_node(config, store, server)
    first.bars(1)
    first.node.stop()
    (resting,) = first.node.kernel.execution.orders.values()
    assert resting.status is OrderStatus.ACCEPTED
    rest = ccxt.binance(server.ccxt_config())
    rest.cancel_order(resting.venue_order_id, "BTC/USDT")  # closed at the venue meanwhile
    bought = rest.create_order("BTC/USDT", "market", "buy", 0.01)  # a fill nobody stored
    asked = rest.create_order(
        "BTC/USDT", "limit", "sell", 0.005, 60_000, {"clientOrderId": "manual-1"}
    )  # open at the venue, unknown to the store
    server.advance(600_000)
    with caplog.at_level(logging.WARNING, logger="tradeforge.live.reconcile"):
        second = start_node(config, store, server)
    trade = rest.fetch_my_trades("BTC/USDT")[0]
    assert [str(d) for d in second.node.differences] == [
        f"order {resting.client_order_id}: closed at the venue; closed in the store",
        "open order manual-1: sell 0.005 BTC/USDT at 60000.0 working at the venue, unknown "
        "to the store; adopted as an external order",
        f"fill ext-BTCUSDT-{trade['id']}: buy 0.01 BTC/USDT filled at 40337.07 (trade "
        f"{trade['id']}) by an order the node does not know; booked as an external order",
    ]
    assert [r.getMessage() for r in caplog.records] == [
        f"reconciliation: {d}" for d in second.node.differences
    ]
    node = second.node
    orders = node.kernel.execution.orders
    assert orders[resting.client_order_id].status is OrderStatus.CANCELED
    assert orders["manual-1"].status is OrderStatus.ACCEPTED
    assert orders["manual-1"].tags == ("external",)
    assert orders["manual-1"].venue_order_id == asked["id"]
    external = orders[f"ext-BTCUSDT-{trade['id']}"]
    assert (external.status, external.venue_order_id) == (OrderStatus.FILLED, bought["id"])
    venue = venue_totals(server)
    assert node.portfolio.position(external.symbol).signed_qty == venue["BTC"] == Decimal("0.01")
    assert node.portfolio.cash == Decimal(str(rest.fetch_balance()["total"]["USDT"]))
    second.bars(1)  # the adopted order is followed: it is canceled on shutdown by policy
    node.stop()
    with store.session() as session:
        stored = OrderRepository(session).load("manual-1")
    assert stored is not None and stored.status is OrderStatus.ACCEPTED  # policy: leave


def stored_in_flight(store: Store, cid: str) -> Order:
    """An order written as sent by a node that died before the venue heard of it."""
    ensure_schema(store)
    order = Order(cid, "BTC/USDT", OrderSide.BUY, OrderType.MARKET, Quantity("0.01"),
                  ts_init=START_NS - 1, strategy_id="sma_cross")  # fmt: skip
    order.apply(OrderSubmitted(ts=START_NS - 1, client_order_id=cid, symbol=order.symbol))
    with store.session() as session:
        OrderRepository(session).save(order, venue="binance")
    return order


def test_an_order_stored_as_sent_but_unknown_to_the_venue_is_rejected(
    server: SandboxServer, store: Store
) -> None:
    stored_in_flight(store, "O-210109235500-smacross-1")
    driver = start_node(settings(server, "live"), store, server)
    assert [str(d) for d in driver.node.differences] == [
        "order O-210109235500-smacross-1: unknown to the venue (never reached the venue); rejected"
    ]
    order = driver.node.kernel.execution.orders["O-210109235500-smacross-1"]
    assert order.status is OrderStatus.REJECTED
    driver.bars(3)
    driver.node.stop()
    new = [cid for cid in driver.node.kernel.execution.orders if cid.endswith("-2")]
    assert new == ["O-210110001000-smacross-2"]  # the counter went on past the stored id


def test_an_order_sent_just_before_the_stop_is_adopted_not_sent_again(
    server: SandboxServer, store: Store
) -> None:
    stored_in_flight(store, "O-210109235500-smacross-1")
    rest = ccxt.binance(server.ccxt_config())
    rest.create_order("BTC/USDT", "market", "buy", 0.01, None,
                      {"clientOrderId": "O-210109235500-smacross-1"})  # fmt: skip
    driver = start_node(settings(server, "live"), store, server)
    assert [str(d) for d in driver.node.differences] == [
        "order O-210109235500-smacross-1: working at the venue; marked accepted",
        "fill O-210109235500-smacross-1: filled 0.01 at 40088.22 (trade 1); booked (the venue "
        "wins)",
    ]
    driver.node.stop()
    assert len(rest.fetch_orders("BTC/USDT")) == 1
    assert driver.node.portfolio.position(driver.node.kernel.execution.orders[
        "O-210109235500-smacross-1"].symbol).signed_qty == Decimal("0.01")  # fmt: skip


def test_holdings_no_fill_explains_are_adopted_as_an_external_position(
    make_server: StartServer, store: Store
) -> None:
    server = make_server(balances={"USDT": Decimal(10_000), "BTC": Decimal("0.5")})
    driver = start_node(settings(server, "live"), store, server)
    node = driver.node
    (difference,) = node.differences
    assert str(difference) == (
        "balance BTC: the venue holds 0.5, the stored fills explain 0; adopted 0.5 as an "
        "external position at 40088.22"
    )
    symbol = next(iter(node.link.instruments))
    assert node.portfolio.position(symbol).signed_qty == Decimal("0.5")
    assert node.portfolio.cash == Decimal(10_000)
    node.stop()
    again = start_node(settings(server, "live"), store, server)
    assert again.node.differences == []  # explained by the stored adoption from now on
    again.node.stop()


def test_fills_of_unknown_orders_are_booked_while_running(
    server: SandboxServer, store: Store
) -> None:
    driver = start_node(settings(server, "live", strategies=[strategy("Resting")]), store, server)
    driver.bars(1)
    rest = ccxt.binance(server.ccxt_config())
    rest.create_order("BTC/USDT", "market", "buy", 0.002)
    driver.node.reconcile_now()
    node = driver.node
    trade = rest.fetch_my_trades("BTC/USDT")[-1]
    assert [d.kind for d in node.differences] == ["fill"]
    assert node.differences[0].subject == f"ext-BTCUSDT-{trade['id']}"
    symbol = next(iter(node.link.instruments))
    assert node.portfolio.position(symbol).signed_qty == Decimal("0.002")
    node.reconcile_now()
    assert len(node.differences) == 1  # booked once
    node.stop()
