from __future__ import annotations

import itertools
from typing import Any

import pytest

from tradeforge.model.enums import ContingencyType, LiquiditySide, OrderSide, OrderStatus
from tradeforge.model.events import (
    OrderAccepted,
    OrderCanceled,
    OrderFilled,
    OrderSubmitted,
)
from tradeforge.model.order_list import OrderList, OrderListError
from tradeforge.model.orders import Order
from tradeforge.model.symbol import Symbol
from tradeforge.model.values import Money, Price, Quantity

BTC = Symbol("BTC", "USDT")
BUY, SELL = OrderSide.BUY, OrderSide.SELL
_trades = itertools.count(1)


def accept(order: Order) -> Order:
    order.apply(OrderSubmitted(ts=1, client_order_id=order.client_order_id, symbol=order.symbol))
    order.apply(
        OrderAccepted(ts=2, client_order_id=order.client_order_id, symbol=order.symbol,
                      venue_order_id=f"V-{order.client_order_id}")
    )  # fmt: skip
    return order


def fill(order: Order, qty: str | None = None) -> Order:
    order.apply(
        OrderFilled(
            ts=3, client_order_id=order.client_order_id, symbol=order.symbol,
            trade_id=f"T-{next(_trades)}", order_side=order.side,
            last_qty=Quantity(qty) if qty else order.leaves_qty,
            last_price=order.price or Price("100"), fee=Money("0", "USDT"),
            liquidity_side=LiquiditySide.TAKER,
        )
    )  # fmt: skip
    return order


def cancel(order: Order) -> Order:
    order.apply(OrderCanceled(ts=4, client_order_id=order.client_order_id, symbol=order.symbol))
    return order


def bracket(side: OrderSide = BUY, **kwargs: Any) -> OrderList:
    levels = {"stop_loss": "95", "take_profit": "110"} if side is BUY else {
        "stop_loss": "105", "take_profit": "90"
    }  # fmt: skip
    arguments: dict[str, Any] = {"entry_price": "100", "ts_init": 1, **levels, **kwargs}
    return OrderList.bracket("B-1", BTC, side, "2", **arguments)


def limit(coid: str, side: OrderSide, qty: str, price: str, **kwargs: Any) -> Order:
    return Order.limit(coid, BTC, side, qty, price, ts_init=1, **kwargs)


def stop(coid: str, side: OrderSide, qty: str, price: str, **kwargs: Any) -> Order:
    return Order.stop_market(coid, BTC, side, qty, price, ts_init=1, **kwargs)


# -- bracket ----------------------------------------------------------------------------------


def test_bracket_factory_builds_linked_orders() -> None:
    orders = bracket()
    entry, sl, tp = orders.entry, orders.stop_loss, orders.take_profit
    assert orders.contingency is ContingencyType.BRACKET and len(orders) == 3
    assert [o.client_order_id for o in orders] == ["B-1-E", "B-1-SL", "B-1-TP"]
    assert (entry.side, entry.price, entry.quantity) == (BUY, 100, 2)
    assert (sl.side, sl.stop_price, sl.quantity, sl.reduce_only) == (SELL, 95, 2, True)
    assert (tp.side, tp.price, tp.quantity, tp.reduce_only) == (SELL, 110, 2, True)
    assert {o.order_list_id for o in orders} == {"B-1"}
    assert sl.parent_order_id == tp.parent_order_id == "B-1-E"
    assert orders.parent is entry and orders.children == (sl, tp)
    assert orders.get("B-1-SL") is sl and orders.get("nope") is None
    assert sl in orders


def test_short_bracket_and_market_entry() -> None:
    short = bracket(SELL)
    assert (short.stop_loss.side, short.take_profit.side) == (BUY, BUY)
    market = OrderList.bracket("B-2", BTC, BUY, "1", stop_loss="95", take_profit="110", ts_init=1)
    assert market.entry.price is None


@pytest.mark.parametrize(
    ("side", "levels", "message"),
    [
        (BUY, {"stop_loss": "100"}, "bracket B-1: stop_loss 100 must be below the entry price "
         "100 for a BUY entry"),
        (BUY, {"stop_loss": "101"}, "stop_loss 101 must be below the entry price 100"),
        (BUY, {"take_profit": "99"}, "take_profit 99 must be above the entry price 100 for a BUY"),
        (SELL, {"stop_loss": "99"}, "stop_loss 99 must be above the entry price 100 for a SELL"),
        (SELL, {"take_profit": "101"}, "take_profit 101 must be below the entry price 100"),
        (BUY, {"entry_price": None, "stop_loss": "111"},
         "stop_loss 111 must be below take_profit 110 for a BUY entry"),
    ],
)  # fmt: skip
def test_bracket_prices_are_validated(
    side: OrderSide, levels: dict[str, Any], message: str
) -> None:
    with pytest.raises(OrderListError, match=message):
        bracket(side, **levels)


def _linked(**kwargs: Any) -> dict[str, Any]:
    return {"order_list_id": "B-1", "parent_order_id": "E", **kwargs}


def _members(**replace: Any) -> tuple[Order, ...]:
    """A valid bracket's members, with some replaced by ``replace[role]()`` (``None``: drop)."""
    makers: dict[str, Any] = {
        "entry": lambda: limit("E", BUY, "1", "100", order_list_id="B-1"),
        "sl": lambda: stop("SL", SELL, "1", "95", **_linked()),
        "tp": lambda: limit("TP", SELL, "1", "110", **_linked()),
    }
    makers.update(replace)
    return tuple(make() for make in makers.values() if make is not None)


@pytest.mark.parametrize(
    ("replace", "message"),
    [
        ({"sl": lambda: stop("SL", BUY, "1", "95", **_linked())},
         "bracket B-1: stop_loss side must be SELL \\(opposite of the BUY entry\\), got BUY"),
        ({"sl": lambda: stop("SL", SELL, "2", "95", **_linked())},
         "bracket B-1: stop_loss quantity 2 must equal the entry quantity 1"),
        ({"tp": lambda: limit("TP", SELL, "0.5", "110", **_linked())},
         "take_profit quantity 0.5 must equal the entry quantity 1"),
        ({"sl": lambda: limit("SL", SELL, "1", "95", **_linked())},
         "stop_loss order_type must be one of STOP_LIMIT, STOP_MARKET, TRAILING_STOP_MARKET, "
         "got LIMIT"),
        ({"tp": lambda: stop("TP", SELL, "1", "110", **_linked())},
         "take_profit order_type must be one of LIMIT, TAKE_PROFIT_LIMIT, TAKE_PROFIT_MARKET"),
        ({"tp": None}, "bracket B-1: needs entry, stop_loss and take_profit, got 2 orders"),
        ({"sl": lambda: stop("SL", SELL, "1", "95", **_linked(parent_order_id="X"))},
         "child SL has parent_order_id 'X', expected 'E'"),
        ({"entry": lambda: limit("E", BUY, "1", "100", order_list_id="B-9")},
         "order list B-1: order E has order_list_id 'B-9'"),
        ({"sl": lambda: stop("E", SELL, "1", "95", **_linked())}, "duplicate client_order_id"),
        ({"entry": lambda: limit("E", BUY, "1", "100", order_list_id="B-1", parent_order_id="Z")},
         "parent E has a parent_order_id 'Z'"),
        ({"sl": lambda: Order.stop_market("SL", "ETH/USDT", SELL, "1", "95", ts_init=1,
                                          **_linked())},
         "order SL is for ETH/USDT, not BTC/USDT"),
    ],
)  # fmt: skip
def test_bracket_members_are_validated(replace: dict[str, Any], message: str) -> None:
    orders = _members(**replace)
    with pytest.raises(OrderListError, match=message):
        OrderList("B-1", ContingencyType.BRACKET, orders)


def test_hand_built_bracket_is_valid() -> None:
    orders = OrderList("B-1", ContingencyType.BRACKET, _members())
    assert orders.stop_loss.client_order_id == "SL"


def test_bracket_children_activate_when_the_entry_fills() -> None:
    orders = bracket()
    entry = accept(orders.entry)
    assert orders.children_to_activate(entry) == ()
    fill(entry, "0.5")
    assert orders.children_to_activate(entry) == ()
    fill(entry)
    assert entry.status is OrderStatus.FILLED
    assert orders.children_to_activate(entry) == (orders.stop_loss, orders.take_profit)
    assert orders.siblings_to_cancel(entry) == ()
    accept(orders.stop_loss)
    assert orders.children_to_activate(entry) == (orders.take_profit,)
    assert orders.children_to_activate(orders.stop_loss) == ()


def test_bracket_entry_canceled_after_a_partial_fill_activates_children() -> None:
    orders = bracket()
    cancel(fill(accept(orders.entry), "0.5"))
    assert orders.children_to_activate(orders.entry) == (orders.stop_loss, orders.take_profit)
    assert orders.siblings_to_cancel(orders.entry) == ()


def test_bracket_entry_canceled_unfilled_cancels_children() -> None:
    orders = bracket()
    cancel(accept(orders.entry))
    assert orders.children_to_activate(orders.entry) == ()
    assert orders.siblings_to_cancel(orders.entry) == (orders.stop_loss, orders.take_profit)


def test_bracket_take_profit_fill_cancels_the_stop_loss() -> None:
    orders = bracket()
    fill(accept(orders.entry))
    sl, tp = accept(orders.stop_loss), accept(orders.take_profit)
    fill(tp, "0.5")
    assert orders.siblings_to_cancel(tp) == ()
    assert orders.siblings_to_reduce(tp) == ((sl, Quantity("1.5")),)
    fill(tp)
    assert orders.siblings_to_cancel(tp) == (sl,)
    assert orders.siblings_to_reduce(tp) == ()
    cancel(sl)
    assert orders.siblings_to_cancel(tp) == ()
    assert orders.is_closed


# -- OCO and OTO ------------------------------------------------------------------------------


def oco() -> OrderList:
    return OrderList.oco(
        "L-1",
        [
            limit("A", SELL, "1", "110", order_list_id="L-1"),
            stop("B", SELL, "1", "95", order_list_id="L-1"),
            limit("C", SELL, "1", "120", order_list_id="L-1"),
        ],
    )


def test_oco_fill_cancels_the_open_siblings() -> None:
    orders = oco()
    a, b, c = (accept(o) for o in orders)
    assert orders.siblings_to_cancel(a) == ()
    cancel(c)
    fill(a, "0.25")
    assert orders.siblings_to_cancel(a) == (b,)
    assert orders.siblings_to_reduce(a) == ()
    assert orders.children_to_activate(a) == ()
    assert orders.parent is None and orders.children == ()


def test_oco_needs_two_orders_and_members() -> None:
    with pytest.raises(OrderListError, match="order list L-1: needs two or more orders, got 1"):
        OrderList.oco("L-1", [limit("A", SELL, "1", "110", order_list_id="L-1")])
    with pytest.raises(OrderListError, match="order Z is not in order list L-1"):
        oco().siblings_to_cancel(limit("Z", SELL, "1", "1"))
    with pytest.raises(OrderListError, match="order list L-1 is OCO, not a BRACKET"):
        _ = oco().entry
    with pytest.raises(OrderListError, match="contingency cannot be NONE"):
        OrderList("L-1", ContingencyType.NONE, oco().orders)
    with pytest.raises(OrderListError, match="order_list_id must be a non-empty string"):
        OrderList("", ContingencyType.OCO, oco().orders)


def test_oto_children_activate_on_fill() -> None:
    parent = limit("P", BUY, "1", "100", order_list_id="L-2")
    child = stop("C", SELL, "1", "90", order_list_id="L-2", parent_order_id="P")
    orders = OrderList.oto("L-2", parent, [child])
    fill(accept(parent))
    assert orders.children_to_activate(parent) == (child,)
    assert orders.siblings_to_cancel(child) == ()
