"""A live node: orders on the sandbox through the ccxt client, each one in the store before
the sandbox hears of it; after a restart it continues where it stopped."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import ccxt

from tradeforge.model.enums import OrderStatus
from tradeforge.persistence.repositories import OrderRepository
from tradeforge.persistence.store import Store
from tradeforge.sandbox import SandboxServer

from .conftest import settings, start_node


def watch_placements(server: SandboxServer, store: Store) -> list[tuple[str, str | None]]:
    """Every order the sandbox receives, with its status in the store at that moment."""
    seen: list[tuple[str, str | None]] = []
    venue = server.sandbox.venue
    place = venue.place
    reader = Store(store.url)

    def placing(request: Any) -> Any:
        cid = request.client_order_id
        with reader.session() as session:
            row = OrderRepository(session).get(cid)
            seen.append((cid, None if row is None else row.status.value))
        return place(request)

    venue.place = placing  # type: ignore[method-assign]
    return seen


def test_orders_are_stored_before_the_venue_receives_them(
    server: SandboxServer, store: Store
) -> None:
    placements = watch_placements(server, store)
    driver = start_node(settings(server, "live"), store, server)
    driver.bars(20)
    driver.settle()
    node = driver.node
    orders = node.kernel.execution.orders
    assert [cid for cid, _ in placements] == list(orders)
    assert len(placements) == 3
    assert all(status == "SUBMITTED" for _, status in placements)
    node.stop()
    assert all(o.status is OrderStatus.FILLED for o in orders.values())
    venue = {a: free + locked for a, (free, locked) in server.balances().items()}
    position = node.portfolio.position(next(iter(node.link.instruments)))
    assert venue["BTC"] == position.signed_qty == Decimal("0.24067")
    # the venue books exact fees and reports them to 8 decimals: the node books what it hears
    assert (venue["USDT"], node.portfolio.cash) == (
        Decimal("99.2108349809"), Decimal("99.21083499"),
    )  # fmt: skip


def test_a_restarted_node_continues_its_ids_and_sends_nothing_twice(
    server: SandboxServer, store: Store
) -> None:
    placements = watch_placements(server, store)
    first = start_node(settings(server, "live"), store, server)
    first.bars(20)
    first.settle()
    first.node.stop()
    before = list(first.node.kernel.execution.orders)
    second = start_node(settings(server, "live"), store, server)
    assert second.node.differences == []
    second.bars(20)
    second.settle()
    second.node.stop()
    after = [cid for cid in second.node.kernel.execution.orders if cid not in before]
    sent = [cid for cid, _ in placements]
    assert sent == before + after
    assert len(set(sent)) == len(sent) == 8
    assert [cid.rsplit("-", 1)[1] for cid in after] == ["4", "5", "6", "7", "8"]
    rest = ccxt.binance(server.ccxt_config())
    assert len(rest.fetch_my_trades("BTC/USDT")) == 8
