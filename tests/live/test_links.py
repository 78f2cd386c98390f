"""After a restart the node holds an entry's exit again (an OTO list the engine emulates on a
venue without native lists), sends it when the entry filled while the node was down, and
cancels it when the entry closed unfilled."""

from __future__ import annotations

import ccxt

from tradeforge.model.enums import OrderStatus
from tradeforge.persistence.store import Store
from tradeforge.sandbox import SandboxServer

from .conftest import BAR_MS, Driver, settings, start_node, strategy


def venue_open(server: SandboxServer) -> list[str]:
    rest = ccxt.binance(server.ccxt_config())
    return sorted(o["clientOrderId"] for o in rest.fetch_open_orders("BTC/USDT"))


def bracket_entered(driver: Driver) -> tuple[str, str, str]:
    """Bars until the ``Bracketed`` strategy's entry filled (its exits then sent); the
    client ids of the entry, the stop loss and the take profit."""
    driver.bars(1)
    orders = driver.node.kernel.execution.orders
    entry = next(c for c in orders if c.endswith("-E"))
    stop, take = sorted(c for c in orders if c != entry)  # ...-SL, ...-TP
    for _ in range(50):
        if orders[entry].status is OrderStatus.FILLED:
            break
        driver.bars(1)
    driver.commands_done()
    driver.settle()
    assert orders[entry].status is OrderStatus.FILLED
    return entry, stop, take


def test_an_entry_filled_while_down_gets_its_stop_loss_on_restart(
    server: SandboxServer, store: Store
) -> None:
    config = settings(
        server, "live", strategies=[strategy("Protected")], shutdown={"orders": "leave"}
    )
    first = start_node(config, store, server)
    first.bars(1)
    execution = first.node.kernel.execution
    entry, stop = sorted(execution.orders)  # <id> and <id>-SL
    assert execution.orders[entry].status is OrderStatus.ACCEPTED
    assert execution.orders[stop].status is OrderStatus.INITIALIZED  # held by the engine
    assert venue_open(server) == [entry]
    first.node.stop()
    down = 0
    while entry in venue_open(server):  # the entry fills while the node is down
        server.advance(BAR_MS)
        down += 1
    second = start_node(config, store, server)
    orders = second.node.kernel.execution.orders
    assert orders[entry].status is OrderStatus.FILLED
    second.commands_done()
    assert venue_open(server) == [stop]  # sent at once
    assert orders[stop].status is OrderStatus.ACCEPTED
    assert orders[stop].reduce_only
    symbol = orders[entry].symbol
    assert second.node.portfolio.position(symbol).signed_qty == orders[entry].quantity
    second.node.stop()


def test_an_exit_waits_again_for_its_entry_and_goes_with_it(
    server: SandboxServer, store: Store
) -> None:
    config = settings(
        server, "live", strategies=[strategy("Protected", offset=0.05)],
        shutdown={"orders": "leave"},
    )  # fmt: skip
    first = start_node(config, store, server)
    first.bars(1)
    first.node.stop()
    second = start_node(config, store, server)
    execution = second.node.kernel.execution
    entry, stop = sorted(execution.orders)
    assert execution.orders[stop].status is OrderStatus.INITIALIZED  # held again
    assert [o.client_order_id for o in execution.open_orders()] == [entry]
    assert execution.cancel(entry)  # the entry goes: so does its exit
    second.settle()
    assert execution.orders[stop].status is OrderStatus.CANCELED
    assert venue_open(server) == []
    second.node.stop()
    third = start_node(config, store, server)  # stored as canceled: nothing held
    assert third.node.kernel.execution.orders[stop].status is OrderStatus.CANCELED
    assert third.node.kernel.execution.open_orders() == []
    third.node.stop()


def test_a_bracket_s_exits_rest_at_the_venue_as_one_oco_list(
    server: SandboxServer, store: Store
) -> None:
    """On a spot venue two resting exits would each lock the coin (the second refused); the
    node places them as Binance's OCO list: both rest, a fill of one expires the other."""
    config = settings(server, "live", strategies=[strategy("Bracketed", offset=0.0)])
    driver = start_node(config, store, server)
    entry, stop, take = bracket_entered(driver)
    orders = driver.node.kernel.execution.orders
    assert venue_open(server) == [stop, take]
    assert [orders[c].status for c in (stop, take)] == [OrderStatus.ACCEPTED] * 2
    for _ in range(400):
        if orders[take].is_closed or orders[stop].is_closed:
            break
        driver.bars(1)
    driver.settle()
    # the take profit filled; the venue expired the stop loss with it (Binance's OCO)
    assert (orders[take].status, orders[stop].status) == (OrderStatus.FILLED, OrderStatus.EXPIRED)
    assert orders[take].avg_px == orders[take].price
    assert venue_open(server) == []
    assert driver.node.portfolio.position(orders[entry].symbol).signed_qty == 0
    driver.node.stop()


def test_an_oco_list_working_at_a_restart_stays_the_venue_s(
    server: SandboxServer, store: Store
) -> None:
    """The bracket's exits rest as one OCO list while the node is down; the restarted node
    restores both legs as working and leaves the list to the venue (no emulated link, no
    cancel of its own): the take profit's fill expires the stop loss at the venue. (The
    restarted strategy places a bracket of its own on its first bar.)"""
    config = settings(
        server, "live", strategies=[strategy("Bracketed", offset=0.0)],
        shutdown={"orders": "leave"},
    )  # fmt: skip
    first = start_node(config, store, server)
    _, stop, take = bracket_entered(first)
    assert venue_open(server) == [stop, take]
    first.node.stop()
    second = start_node(config, store, server)
    execution = second.node.kernel.execution
    orders = execution.orders
    assert [orders[c].status for c in (stop, take)] == [OrderStatus.ACCEPTED] * 2
    assert execution._oco == {}  # the venue holds the list
    assert sorted(o.client_order_id for o in execution.open_orders()) == [stop, take]
    cancels: list[str] = []
    real_cancel = execution.venue.cancel_order

    def cancel_order(cid: str, reason: str = "canceled") -> bool:
        cancels.append(cid)
        return real_cancel(cid, reason)

    execution.venue.cancel_order = cancel_order  # type: ignore[method-assign]
    for _ in range(400):
        if orders[take].is_closed or orders[stop].is_closed:
            break
        second.bars(1)
    second.settle()
    assert (orders[take].status, orders[stop].status) == (OrderStatus.FILLED, OrderStatus.EXPIRED)
    assert cancels == []
    rest = ccxt.binance(server.ccxt_config())
    at_venue = {o["clientOrderId"]: o["status"] for o in rest.fetch_orders("BTC/USDT")}
    assert (at_venue[take], at_venue[stop]) == ("closed", "expired")
    second.node.stop()
