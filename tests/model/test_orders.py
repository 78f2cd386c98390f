from __future__ import annotations

import itertools
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from tradeforge.model.enums import (
    LiquiditySide,
    OrderSide,
    OrderStatus,
    OrderType,
    TimeInForce,
    TrailingOffsetType,
)
from tradeforge.model.events import (
    OrderAccepted,
    OrderCanceled,
    OrderCancelRejected,
    OrderEvent,
    OrderExpired,
    OrderFilled,
    OrderInitialized,
    OrderPendingCancel,
    OrderRejected,
    OrderSubmitted,
    OrderUpdated,
)
from tradeforge.model.orders import (
    DuplicateFillError,
    InvalidOrderTransition,
    Order,
    OrderError,
    OverfillError,
)
from tradeforge.model.symbol import Symbol
from tradeforge.model.values import Money, Price, Quantity

BTC = Symbol("BTC", "USDT")
_trade_ids = itertools.count(1)


def limit_order(quantity: str = "1", price: str = "100", **kwargs: Any) -> Order:
    return Order.limit("O-1", BTC, OrderSide.BUY, quantity, price, ts_init=1, **kwargs)


def filled(
    order: Order, qty: str | Decimal, price: str = "100", fee: str | Money = "0", **kwargs: Any
) -> OrderFilled:
    fields: dict[str, Any] = {
        "ts": 10,
        "client_order_id": order.client_order_id,
        "symbol": order.symbol,
        "trade_id": f"T-{next(_trade_ids)}",
        "venue_order_id": "V-1",
        "order_side": order.side,
        "last_qty": Quantity(qty),
        "last_price": Price(price),
        "fee": fee if isinstance(fee, Money) else Money(fee, "USDT"),
        "liquidity_side": LiquiditySide.MAKER,
    }
    fields.update(kwargs)
    return OrderFilled(**fields)


def ids(order: Order, ts: int = 5) -> dict[str, Any]:
    return {"ts": ts, "client_order_id": order.client_order_id, "symbol": order.symbol}


EventMaker = Callable[[Order], OrderEvent]
EVENTS: dict[str, EventMaker] = {
    "submit": lambda o: OrderSubmitted(**ids(o)),
    "accept": lambda o: OrderAccepted(**ids(o), venue_order_id="V-1"),
    "reject": lambda o: OrderRejected(**ids(o), reason="insufficient margin"),
    "pending_cancel": lambda o: OrderPendingCancel(**ids(o)),
    "cancel_reject": lambda o: OrderCancelRejected(**ids(o), reason="too late"),
    "cancel": lambda o: OrderCanceled(**ids(o)),
    "expire": lambda o: OrderExpired(**ids(o)),
    "update": lambda o: OrderUpdated(**ids(o), price=Price("99")),
    "partial": lambda o: filled(o, "0.25"),
    "fill": lambda o: filled(o, o.leaves_qty),
    "initialize": lambda o: o.events[0],
}
PATHS: dict[OrderStatus, tuple[str, ...]] = {
    OrderStatus.INITIALIZED: (),
    OrderStatus.SUBMITTED: ("submit",),
    OrderStatus.ACCEPTED: ("submit", "accept"),
    OrderStatus.PARTIALLY_FILLED: ("submit", "accept", "partial"),
    OrderStatus.PENDING_CANCEL: ("submit", "accept", "pending_cancel"),
    OrderStatus.FILLED: ("submit", "accept", "fill"),
    OrderStatus.CANCELED: ("submit", "accept", "cancel"),
    OrderStatus.REJECTED: ("submit", "reject"),
    OrderStatus.EXPIRED: ("submit", "accept", "expire"),
}
S = OrderStatus
LEGAL: dict[tuple[OrderStatus, str], OrderStatus] = {
    (S.INITIALIZED, "submit"): S.SUBMITTED,
    (S.INITIALIZED, "reject"): S.REJECTED,
    (S.INITIALIZED, "cancel"): S.CANCELED,
    (S.SUBMITTED, "accept"): S.ACCEPTED,
    (S.SUBMITTED, "reject"): S.REJECTED,
    (S.SUBMITTED, "cancel"): S.CANCELED,
    (S.SUBMITTED, "partial"): S.PARTIALLY_FILLED,
    (S.SUBMITTED, "fill"): S.FILLED,
    (S.SUBMITTED, "expire"): S.EXPIRED,
    (S.ACCEPTED, "partial"): S.PARTIALLY_FILLED,
    (S.ACCEPTED, "fill"): S.FILLED,
    (S.ACCEPTED, "pending_cancel"): S.PENDING_CANCEL,
    (S.ACCEPTED, "cancel"): S.CANCELED,
    (S.ACCEPTED, "expire"): S.EXPIRED,
    (S.ACCEPTED, "update"): S.ACCEPTED,
    (S.PARTIALLY_FILLED, "partial"): S.PARTIALLY_FILLED,
    (S.PARTIALLY_FILLED, "fill"): S.FILLED,
    (S.PARTIALLY_FILLED, "pending_cancel"): S.PENDING_CANCEL,
    (S.PARTIALLY_FILLED, "cancel"): S.CANCELED,
    (S.PARTIALLY_FILLED, "expire"): S.EXPIRED,
    (S.PARTIALLY_FILLED, "update"): S.PARTIALLY_FILLED,
    (S.PENDING_CANCEL, "cancel"): S.CANCELED,
    (S.PENDING_CANCEL, "partial"): S.PARTIALLY_FILLED,
    (S.PENDING_CANCEL, "fill"): S.FILLED,
    (S.PENDING_CANCEL, "cancel_reject"): S.ACCEPTED,
    (S.PENDING_CANCEL, "expire"): S.EXPIRED,
}
ILLEGAL = [
    (status, name) for status in OrderStatus for name in EVENTS if (status, name) not in LEGAL
]


def order_in(status: OrderStatus) -> Order:
    order = limit_order()
    for name in PATHS[status]:
        order.apply(EVENTS[name](order))
    assert order.status is status
    return order


@pytest.mark.parametrize(("start", "event", "expected"), [(*k, v) for k, v in LEGAL.items()])
def test_every_legal_transition(start: OrderStatus, event: str, expected: OrderStatus) -> None:
    order = order_in(start)
    applied = EVENTS[event](order)
    order.apply(applied)
    assert order.status is expected
    assert order.last_event is applied
    assert order.events[-1] is applied


@pytest.mark.parametrize(("start", "event"), ILLEGAL)
def test_every_illegal_transition_raises_and_leaves_the_order_unchanged(
    start: OrderStatus, event: str
) -> None:
    order = order_in(start)
    before = (order.status, order.events, order.filled_qty, order.price, order.venue_order_id)
    refused = EVENTS[event](order)
    with pytest.raises(InvalidOrderTransition) as caught:
        order.apply(refused)
    assert (order.status, order.events, order.filled_qty, order.price, order.venue_order_id) == (
        before
    )
    assert caught.value.status is start
    assert caught.value.event is refused
    assert caught.value.client_order_id == "O-1"


def test_illegal_transitions_cover_the_table() -> None:
    assert len(LEGAL) == 26
    assert len(ILLEGAL) == len(OrderStatus) * len(EVENTS) - 26
    terminal = [s for s in OrderStatus if s.is_closed]
    assert all((s, e) in ILLEGAL for s in terminal for e in EVENTS)


@pytest.mark.parametrize(
    ("start", "event", "message"),
    [
        (S.FILLED, "cancel", r"order O-1 is FILLED: cannot apply OrderCanceled \(allowed: "
         r"nothing, the status is terminal\)"),
        (S.INITIALIZED, "accept", r"order O-1 is INITIALIZED: cannot apply OrderAccepted "
         r"\(allowed: OrderCanceled, OrderRejected, OrderSubmitted\)"),
        (S.ACCEPTED, "submit", "order O-1 is ACCEPTED: cannot apply OrderSubmitted"),
        (S.PENDING_CANCEL, "update", "order O-1 is PENDING_CANCEL: cannot apply OrderUpdated"),
        (S.SUBMITTED, "initialize", "order O-1 is SUBMITTED: cannot apply OrderInitialized"),
    ],
)  # fmt: skip
def test_invalid_transition_message_names_order_status_and_event(
    start: OrderStatus, event: str, message: str
) -> None:
    order = order_in(start)
    with pytest.raises(InvalidOrderTransition, match=message):
        order.apply(EVENTS[event](order))


def test_cancel_rejected_returns_to_partially_filled() -> None:
    order = order_in(S.PARTIALLY_FILLED)
    order.apply(EVENTS["pending_cancel"](order))
    order.apply(EVENTS["cancel_reject"](order))
    assert order.status is S.PARTIALLY_FILLED


def test_status_flags() -> None:
    assert [s.name for s in OrderStatus if s.is_open] == [
        "ACCEPTED", "PARTIALLY_FILLED", "PENDING_CANCEL"
    ]  # fmt: skip
    assert [s.name for s in OrderStatus if s.is_closed] == [
        "FILLED", "CANCELED", "REJECTED", "EXPIRED"
    ]  # fmt: skip
    assert [s.name for s in OrderStatus if s.is_in_flight] == ["SUBMITTED", "PENDING_CANCEL"]
    assert order_in(S.ACCEPTED).is_open
    assert order_in(S.EXPIRED).is_closed


# -- fills ------------------------------------------------------------------------------------


def test_partial_fills_average_price_exactly() -> None:
    order = order_in(S.ACCEPTED)
    order.apply(filled(order, "0.4", "100.10", fee="0.04"))
    assert order.status is S.PARTIALLY_FILLED
    assert order.filled_qty == Decimal("0.4")
    assert order.leaves_qty == Decimal("0.6")
    assert order.avg_px == Decimal("100.10")
    order.apply(filled(order, "0.6", "100.25", fee="0.06015"))
    assert order.status is S.FILLED
    assert order.filled_qty == Decimal("1.0")
    assert order.leaves_qty == 0
    assert order.filled_notional == Decimal("100.190")
    assert order.avg_px == Price("100.19")
    assert str(order.avg_px) == "100.19"
    assert isinstance(order.avg_px, Price)
    assert order.fees == {"USDT": Money("0.10015", "USDT")}


def test_average_price_that_does_not_terminate_rounds_to_18_places() -> None:
    order = Order.limit("O-2", BTC, OrderSide.SELL, "3", "100", ts_init=1)
    order.apply(OrderSubmitted(**ids(order)))
    order.apply(filled(order, "1", "100"))
    order.apply(filled(order, "2", "101"))
    assert order.filled_notional == Decimal(302)
    assert order.avg_px == Decimal("100.666666666666666667")


def test_no_average_price_before_a_fill() -> None:
    order = order_in(S.ACCEPTED)
    assert order.avg_px is None
    assert order.fees == {}
    assert order.filled_qty == 0


def test_fees_are_totalled_per_currency() -> None:
    order = order_in(S.ACCEPTED)
    order.apply(filled(order, "0.5", fee="0.05"))
    order.apply(filled(order, "0.25", fee=Money("0.001", "BNB")))
    order.apply(filled(order, "0.25", fee="-0.01"))
    assert order.fees == {"USDT": Money("0.04", "USDT"), "BNB": Money("0.001", "BNB")}


def test_overfill_is_refused_and_leaves_the_order_unchanged() -> None:
    order = order_in(S.ACCEPTED)
    order.apply(filled(order, "0.6", trade_id="T-a"))
    with pytest.raises(
        OverfillError,
        match=r"order O-1: fill T-b of 0.5 exceeds leaves_qty 0.4 \(quantity 1, filled 0.6\)",
    ):
        order.apply(filled(order, "0.5", trade_id="T-b"))
    assert order.status is S.PARTIALLY_FILLED
    assert order.filled_qty == Decimal("0.6")
    assert len(order.events) == 4
    order.apply(filled(order, "0.4", trade_id="T-b"))  # the trade id was not recorded
    assert order.status is S.FILLED


def test_duplicate_trade_id_is_refused() -> None:
    order = order_in(S.ACCEPTED)
    order.apply(filled(order, "0.1", trade_id="T-x"))
    with pytest.raises(DuplicateFillError, match="order O-1: trade_id T-x already applied"):
        order.apply(filled(order, "0.1", trade_id="T-x"))
    assert order.filled_qty == Decimal("0.1")


def test_zero_fill_and_wrong_side_are_refused() -> None:
    order = order_in(S.ACCEPTED)
    with pytest.raises(OrderError, match="last_qty must be positive, got 0"):
        order.apply(filled(order, "0"))
    with pytest.raises(OrderError, match="order O-1 is a BUY: fill T-s has order_side SELL"):
        order.apply(filled(order, "0.1", trade_id="T-s", order_side=OrderSide.SELL))
    assert order.status is S.ACCEPTED


def test_event_for_another_order_is_refused() -> None:
    order = limit_order()
    with pytest.raises(OrderError, match="order O-1: event OrderSubmitted is for order O-9"):
        order.apply(OrderSubmitted(ts=1, client_order_id="O-9", symbol=BTC))
    assert order.status is S.INITIALIZED


def test_fill_before_acceptance_records_the_venue_order_id() -> None:
    order = order_in(S.SUBMITTED)
    order.apply(filled(order, "1", venue_order_id="V-7"))
    assert order.venue_order_id == "V-7"
    assert order.status is S.FILLED


def test_accepted_sets_venue_order_id_and_ts_last() -> None:
    order = order_in(S.SUBMITTED)
    order.apply(OrderAccepted(ts=42, client_order_id="O-1", symbol=BTC, venue_order_id="V-9"))
    assert order.venue_order_id == "V-9"
    assert order.ts_last == 42


# -- updates ----------------------------------------------------------------------------------


def test_update_changes_quantity_price_and_keeps_the_rest() -> None:
    order = order_in(S.ACCEPTED)
    order.apply(OrderUpdated(**ids(order), quantity=Quantity("2"), price=Price("98.5")))
    assert (order.quantity, order.price, order.status) == (2, Decimal("98.5"), S.ACCEPTED)
    assert order.leaves_qty == 2


def test_update_quantity_must_exceed_filled() -> None:
    order = order_in(S.ACCEPTED)
    order.apply(filled(order, "0.5"))
    with pytest.raises(OrderError, match="updated quantity 0.5 must exceed filled_qty 0.5"):
        order.apply(OrderUpdated(**ids(order), quantity=Quantity("0.5")))
    assert order.quantity == 1


def test_update_refuses_fields_the_type_lacks() -> None:
    order = Order.market("O-1", BTC, OrderSide.BUY, "1", ts_init=1)
    for name in PATHS[S.ACCEPTED]:
        order.apply(EVENTS[name](order))
    with pytest.raises(OrderError, match="a MARKET order has no price to update"):
        order.apply(OrderUpdated(**ids(order), price=Price("1")))
    with pytest.raises(OrderError, match="a MARKET order has no stop_price to update"):
        order.apply(OrderUpdated(**ids(order), stop_price=Price("1")))
    assert len(order.events) == 3


def test_trailing_stop_trigger_can_be_moved() -> None:
    order = Order.trailing_stop_market("O-1", BTC, OrderSide.SELL, "1", "50", ts_init=1)
    order.apply(OrderSubmitted(**ids(order)))
    order.apply(OrderAccepted(**ids(order), venue_order_id="V"))
    order.apply(OrderUpdated(**ids(order), stop_price=Price("27950")))
    assert order.stop_price == Decimal("27950")


# -- construction -----------------------------------------------------------------------------

BASE: dict[str, Any] = {"client_order_id": "O-1", "symbol": BTC, "side": OrderSide.BUY}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"order_type": OrderType.LIMIT}, "order O-1: a LIMIT order needs a price"),
        ({"order_type": OrderType.MARKET, "price": "1"},
         "order O-1: a MARKET order takes no price, got 1"),
        ({"order_type": OrderType.STOP_MARKET}, "a STOP_MARKET order needs a stop_price"),
        ({"order_type": OrderType.STOP_MARKET, "stop_price": "9", "price": "10"},
         "a STOP_MARKET order takes no price, got 10"),
        ({"order_type": OrderType.STOP_LIMIT, "stop_price": "9"},
         "a STOP_LIMIT order needs a price"),
        ({"order_type": OrderType.TAKE_PROFIT_LIMIT, "price": "9"},
         "a TAKE_PROFIT_LIMIT order needs a stop_price"),
        ({"order_type": OrderType.TAKE_PROFIT_MARKET}, "needs a stop_price"),
        ({"order_type": OrderType.LIMIT, "price": "9", "stop_price": "8"},
         "a LIMIT order takes no stop_price, got 8"),
        ({"order_type": OrderType.MARKET, "stop_price": "8"}, "takes no stop_price"),
        ({"order_type": OrderType.TRAILING_STOP_MARKET},
         "needs a positive trailing_offset, got None"),
        ({"order_type": OrderType.TRAILING_STOP_MARKET, "trailing_offset": "0"},
         "needs a positive trailing_offset, got 0"),
        ({"order_type": OrderType.TRAILING_STOP_MARKET, "trailing_offset": "5", "price": "1"},
         "a TRAILING_STOP_MARKET order takes no price"),
        ({"order_type": OrderType.LIMIT, "price": "9", "trailing_offset": "5"},
         "a LIMIT order takes no trailing_offset"),
        ({"order_type": OrderType.MARKET, "quantity": "0"}, "quantity must be positive, got 0"),
        ({"order_type": OrderType.MARKET, "quantity": "-1"},
         "order O-1: quantity: quantity must not be negative"),
        ({"order_type": OrderType.LIMIT, "price": "abc"}, "order O-1: price: price 'abc'"),
        ({"order_type": OrderType.LIMIT, "price": "9", "time_in_force": TimeInForce.GTD},
         "a GTD order needs an expire_time_ns after ts_init 1, got None"),
        ({"order_type": OrderType.LIMIT, "price": "9", "time_in_force": TimeInForce.GTD,
          "expire_time_ns": 1}, "needs an expire_time_ns after ts_init 1, got 1"),
        ({"order_type": OrderType.LIMIT, "price": "9", "expire_time_ns": 5},
         "expire_time_ns is only for GTD orders, not GTC"),
        ({"order_type": OrderType.MARKET, "time_in_force": TimeInForce.GTD,
          "expire_time_ns": 5}, "a MARKET order cannot have time_in_force GTD"),
        ({"order_type": OrderType.MARKET, "time_in_force": TimeInForce.DAY},
         "a MARKET order cannot have time_in_force DAY"),
        ({"order_type": OrderType.MARKET, "post_only": True},
         "post_only is only for LIMIT orders, not MARKET"),
        ({"order_type": OrderType.STOP_LIMIT, "price": "9", "stop_price": "9",
          "post_only": True}, "post_only is only for LIMIT orders, not STOP_LIMIT"),
        ({"order_type": OrderType.LIMIT, "price": "9", "post_only": True,
          "time_in_force": TimeInForce.IOC},
         "post_only cannot be combined with time_in_force IOC"),
        ({"order_type": OrderType.LIMIT, "price": "9", "post_only": True,
          "time_in_force": TimeInForce.FOK},
         "post_only cannot be combined with time_in_force FOK"),
        ({"order_type": OrderType.MARKET, "client_order_id": ""},
         "client_order_id must be a non-empty string"),
        ({"order_type": OrderType.MARKET, "ts_init": -1}, "ts_init must be a non-negative int"),
    ],
)  # fmt: skip
def test_invalid_combinations_are_refused_naming_the_field(
    kwargs: dict[str, Any], message: str
) -> None:
    arguments = {**BASE, "quantity": "1", "ts_init": 1, **kwargs}
    with pytest.raises(OrderError, match=message):
        Order(**arguments)


def test_factories_build_each_type() -> None:
    common: dict[str, Any] = {"ts_init": 7, "strategy_id": "S-1", "tags": ["a"]}
    market = Order.market("M", "BTC/USDT", OrderSide.BUY, "1", **common)
    limit = Order.limit("L", BTC, OrderSide.SELL, "2", "101.5", post_only=True, **common)
    stop = Order.stop_market("S", BTC, OrderSide.SELL, "1", "95", reduce_only=True, **common)
    stop_limit = Order.stop_limit(
        "SL", BTC, OrderSide.SELL, "1", price="94", stop_price="95", **common
    )
    tp = Order.take_profit_market("TP", BTC, OrderSide.SELL, "1", "110", **common)
    tp_limit = Order.take_profit_limit(
        "TPL", BTC, OrderSide.SELL, "1", price="110", stop_price="109", **common
    )
    trailing = Order.trailing_stop_market(
        "TR", BTC, OrderSide.SELL, "1", "25",
        trailing_offset_type=TrailingOffsetType.BASIS_POINTS, **common,
    )  # fmt: skip
    gtd = Order.limit(
        "G", BTC, OrderSide.BUY, "1", "1", time_in_force=TimeInForce.GTD, expire_time_ns=99,
        **common,
    )  # fmt: skip
    assert market.order_type is OrderType.MARKET and market.symbol == BTC
    assert market.price is None and market.time_in_force is TimeInForce.GTC
    assert (limit.price, limit.post_only, limit.quantity) == (Decimal("101.5"), True, 2)
    assert isinstance(limit.price, Price) and isinstance(limit.quantity, Quantity)
    assert (stop.order_type, stop.stop_price, stop.reduce_only) == (
        OrderType.STOP_MARKET, 95, True
    )  # fmt: skip
    assert (stop_limit.price, stop_limit.stop_price) == (94, 95)
    assert (tp.order_type, tp.stop_price) == (OrderType.TAKE_PROFIT_MARKET, 110)
    assert (tp_limit.price, tp_limit.stop_price) == (110, 109)
    assert trailing.trailing_offset == 25
    assert trailing.trailing_offset_type is TrailingOffsetType.BASIS_POINTS
    assert trailing.stop_price is None
    assert gtd.expire_time_ns == 99
    for order in (market, limit, stop, stop_limit, tp, tp_limit, trailing, gtd):
        assert (order.ts_init, order.strategy_id, order.tags) == (7, "S-1", ("a",))
        assert order.status is S.INITIALIZED
        assert isinstance(order.events[0], OrderInitialized)
        assert order.order_list_id is None and order.parent_order_id is None


def test_trailing_offset_type_defaults_to_price() -> None:
    order = Order(
        "T", BTC, OrderSide.SELL, OrderType.TRAILING_STOP_MARKET, "1", ts_init=0,
        trailing_offset=Decimal("12.5"),
    )  # fmt: skip
    assert order.trailing_offset_type is TrailingOffsetType.PRICE


def test_initialized_event_carries_the_specification() -> None:
    order = Order.stop_limit(
        "O-1", BTC, OrderSide.SELL, "0.5", price="94", stop_price="95", ts_init=3,
        order_list_id="L-1", parent_order_id="E-1", reduce_only=True,
    )  # fmt: skip
    init = order.events[0]
    assert isinstance(init, OrderInitialized)
    assert init == OrderInitialized(
        ts=3, client_order_id="O-1", symbol=BTC, side=OrderSide.SELL,
        order_type=OrderType.STOP_LIMIT, quantity=Quantity("0.5"), price=Price("94"),
        stop_price=Price("95"), reduce_only=True, order_list_id="L-1", parent_order_id="E-1",
    )  # fmt: skip


def test_rebuilt_from_events_equals_the_live_order() -> None:
    order = order_in(S.ACCEPTED)
    order.apply(filled(order, "0.4", "100.10", fee="0.01"))
    order.apply(OrderUpdated(**ids(order), price=Price("100.5")))
    rebuilt = Order.from_events(order.events)
    assert rebuilt.events == order.events
    assert (rebuilt.status, rebuilt.filled_qty, rebuilt.avg_px, rebuilt.price) == (
        order.status, order.filled_qty, order.avg_px, order.price
    )  # fmt: skip
    assert rebuilt.fees == order.fees
    assert rebuilt.venue_order_id == "V-1"


def test_from_events_needs_initialized_first() -> None:
    with pytest.raises(OrderError, match="first event must be OrderInitialized"):
        Order.from_events([OrderSubmitted(ts=1, client_order_id="O-1", symbol=BTC)])
    with pytest.raises(OrderError, match="got None"):
        Order.from_events([])


def test_identity_and_repr() -> None:
    a, b = limit_order(), limit_order(quantity="2")
    assert a == b and hash(a) == hash(b)
    assert a != Order.limit("O-2", BTC, OrderSide.BUY, "1", "1", ts_init=1)
    assert repr(a) == "Order(O-1: BUY 1 BTC/USDT LIMIT @ 100 GTC, INITIALIZED, filled 0)"
