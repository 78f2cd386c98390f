"""The rules an order obeys: which events each status admits, what a valid specification is,
and the errors either raises. :mod:`tradeforge.model.orders` applies them."""

from __future__ import annotations

from decimal import Decimal
from typing import TypeVar

from tradeforge.model.enums import OrderStatus, OrderType, TimeInForce
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
from tradeforge.model.values import NumberError, to_decimal

_S = OrderStatus
ALLOWED_EVENTS: dict[
    type[OrderEvent], frozenset[OrderStatus]
] = {  # the statuses each event may meet
    OrderSubmitted: frozenset({_S.INITIALIZED}),
    OrderAccepted: frozenset({_S.SUBMITTED}),
    OrderRejected: frozenset({_S.INITIALIZED, _S.SUBMITTED}),
    OrderCanceled: frozenset(
        {_S.INITIALIZED, _S.SUBMITTED, _S.ACCEPTED, _S.PARTIALLY_FILLED, _S.PENDING_CANCEL}
    ),
    OrderExpired: frozenset({_S.SUBMITTED, _S.ACCEPTED, _S.PARTIALLY_FILLED, _S.PENDING_CANCEL}),
    OrderPendingCancel: frozenset({_S.ACCEPTED, _S.PARTIALLY_FILLED}),
    OrderCancelRejected: frozenset({_S.PENDING_CANCEL}),
    OrderUpdated: frozenset({_S.ACCEPTED, _S.PARTIALLY_FILLED}),
    OrderFilled: frozenset({_S.SUBMITTED, _S.ACCEPTED, _S.PARTIALLY_FILLED, _S.PENDING_CANCEL}),
}
_T = TypeVar("_T", bound=Decimal)


class OrderError(ValueError):
    """An invalid order specification or event; the message names the order and the field."""


class InvalidOrderTransition(OrderError):  # noqa: N818 - the name the domain uses
    """An event that the order's current status does not allow.

    Attributes
    ----------
    client_order_id : str
    status : OrderStatus
        The order's status, unchanged.
    event : OrderEvent
        The refused event.
    """

    def __init__(self, client_order_id: str, status: OrderStatus, event: OrderEvent) -> None:
        self.client_order_id = client_order_id
        self.status = status
        self.event = event
        allowed = sorted(k.__name__ for k, v in ALLOWED_EVENTS.items() if status in v)
        super().__init__(
            f"order {client_order_id} is {status.name}: cannot apply {type(event).__name__}"
            f" (allowed: {', '.join(allowed) or 'nothing, the status is terminal'})"
        )


class OverfillError(OrderError):
    """A fill larger than the order's leaves quantity."""


class DuplicateFillError(OrderError):
    """A fill whose trade id the order has already applied."""


def order_number(order_id: str, field: str, value: object, kind: type[_T]) -> _T:
    """``value`` as ``kind`` (Quantity, Price...); an :class:`OrderError` naming the order and
    the field when it is not a finite number."""
    if isinstance(value, kind):
        return value
    try:
        return kind(to_decimal(value, field))
    except NumberError as error:
        raise OrderError(f"order {order_id}: {field}: {error}") from None


def optional_order_number(order_id: str, field: str, value: object, kind: type[_T]) -> _T | None:
    """:func:`order_number`, with ``None`` kept."""
    return None if value is None else order_number(order_id, field, value, kind)


def validate_order(init: OrderInitialized) -> None:
    """Raise :class:`OrderError` when the specification is not a valid order (id, time,
    positive quantity, the prices its type needs and no others, time in force, post-only)."""
    oid = init.client_order_id
    if not isinstance(oid, str) or not oid:
        raise OrderError(f"client_order_id must be a non-empty string, got {oid!r}")
    if not isinstance(init.ts, int) or init.ts < 0:
        raise OrderError(f"order {oid}: ts_init must be a non-negative int of ns, got {init.ts!r}")
    if init.quantity <= 0:
        raise OrderError(f"order {oid}: quantity must be positive, got {init.quantity}")
    _validate_prices(init)
    _validate_time_in_force(init)
    if init.post_only and init.order_type is not OrderType.LIMIT:
        raise OrderError(
            f"order {oid}: post_only is only for LIMIT orders, not {init.order_type.name}"
        )


def _validate_prices(init: OrderInitialized) -> None:
    oid, kind = init.client_order_id, init.order_type
    if kind.has_price and init.price is None:
        raise OrderError(f"order {oid}: a {kind.name} order needs a price")
    if not kind.has_price and init.price is not None:
        raise OrderError(f"order {oid}: a {kind.name} order takes no price, got {init.price}")
    if kind.has_stop_price and init.stop_price is None:
        raise OrderError(f"order {oid}: a {kind.name} order needs a stop_price")
    if not (kind.has_stop_price or kind.is_trailing) and init.stop_price is not None:
        raise OrderError(
            f"order {oid}: a {kind.name} order takes no stop_price, got {init.stop_price}"
        )
    if kind.is_trailing:
        if init.trailing_offset is None or init.trailing_offset <= 0:
            raise OrderError(
                f"order {oid}: a TRAILING_STOP_MARKET order needs a positive trailing_offset, "
                f"got {init.trailing_offset}"
            )
    elif init.trailing_offset is not None or init.trailing_offset_type is not None:
        raise OrderError(f"order {oid}: a {kind.name} order takes no trailing_offset")


def _validate_time_in_force(init: OrderInitialized) -> None:
    oid, tif, expire = init.client_order_id, init.time_in_force, init.expire_time_ns
    if tif is TimeInForce.GTD:
        if not isinstance(expire, int) or expire <= init.ts:
            raise OrderError(
                f"order {oid}: a GTD order needs an expire_time_ns after ts_init {init.ts}, "
                f"got {expire!r}"
            )
    elif expire is not None:
        raise OrderError(f"order {oid}: expire_time_ns is only for GTD orders, not {tif.name}")
    if init.order_type is OrderType.MARKET and tif in (TimeInForce.GTD, TimeInForce.DAY):
        raise OrderError(f"order {oid}: a MARKET order cannot have time_in_force {tif.name}")
    if init.post_only and tif in (TimeInForce.IOC, TimeInForce.FOK):
        raise OrderError(f"order {oid}: post_only cannot be combined with time_in_force {tif.name}")
