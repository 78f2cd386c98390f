"""The emulated links a restarted engine finds again in its stored orders."""

from __future__ import annotations

from decimal import Decimal

from tests.persistence.factories import fill
from tradeforge.execution.links import plan_links
from tradeforge.model.enums import OrderSide, OrderType, TrailingOffsetType
from tradeforge.model.events import OrderAccepted, OrderCanceled, OrderSubmitted
from tradeforge.model.order_list import OrderList
from tradeforge.model.orders import Order
from tradeforge.model.values import Price, Quantity

TS = 1_000


def working(order: Order) -> Order:
    order.apply(OrderSubmitted(ts=TS, client_order_id=order.client_order_id, symbol=order.symbol))
    order.apply(OrderAccepted(ts=TS, client_order_id=order.client_order_id, symbol=order.symbol,
                              venue_order_id=f"V-{order.client_order_id}"))  # fmt: skip
    return order


def bracket(list_id: str) -> OrderList:
    return OrderList.bracket(
        list_id, "BTC/USDT", OrderSide.BUY, Quantity("0.5"), stop_loss=Price(40_000),
        take_profit=Price(44_000), entry_price=Price("42000.10"), ts_init=TS,
    )  # fmt: skip


def test_children_wait_for_a_working_entry_go_with_a_filled_one_and_drop_with_a_dead_one() -> None:
    waiting, filled, dead, orphan = (bracket(f"B{i}").orders for i in range(4))
    working(waiting[0])
    fill(working(filled[0]), "0.5", "42000.10", "T-1", TS + 1)
    working(dead[0]).apply(OrderCanceled(ts=TS, client_order_id="B2-E", symbol=dead[0].symbol))
    everything = [*waiting, *filled, *dead, *orphan[1:]]  # B3's entry was never stored
    plan = plan_links(everything)
    assert {k: [c.client_order_id for c in v] for k, v in plan.held.items()} == {
        "B0-E": ["B0-SL", "B0-TP"]
    }
    assert {k: [c.client_order_id for c in v] for k, v in plan.release.items()} == {
        "B1-E": ["B1-SL", "B1-TP"]
    }
    assert sorted(plan.drop) == ["B2-E", "B3-E"]
    assert plan.oco == [] and plan.trailing == []


def test_working_orders_of_one_list_are_siblings_and_trailing_stops_are_followed() -> None:
    a, b, c = (
        working(Order(f"O-{n}", "BTC/USDT", OrderSide.SELL, OrderType.LIMIT, Quantity(1),
                      ts_init=TS, price=Price(50_000 + n), order_list_id=list_id))
        for n, list_id in ((1, "L1"), (2, "L1"), (3, "L2"))
    )  # fmt: skip
    trail = working(Order("T-1", "BTC/USDT", OrderSide.SELL, OrderType.TRAILING_STOP_MARKET,
                          Quantity(1), ts_init=TS, stop_price=Price(39_000),
                          trailing_offset=Decimal(100),
                          trailing_offset_type=TrailingOffsetType.BASIS_POINTS))  # fmt: skip
    plan = plan_links([a, b, c, trail])
    assert plan.oco == [["O-1", "O-2"]]  # L2 has one working order: nothing to cancel
    assert [o.client_order_id for o in plan.trailing] == ["T-1"]
