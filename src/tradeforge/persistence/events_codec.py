"""Order events to JSON-ready dictionaries of exact text, and back.

An order's state history stores each event's fields this way, so the order can be rebuilt
with :meth:`tradeforge.model.orders.Order.from_events` after a restart. Decimals are written
as text, symbols as ``BTC/USDT``, enums by value, money as ``{"amount", "currency"}``,
timestamps as integer nanoseconds (exact, unlike the microsecond ``ts`` column).
"""

from __future__ import annotations

import dataclasses
import types
import typing
from decimal import Decimal
from enum import Enum
from typing import Any

from tradeforge.model import events as order_events
from tradeforge.model.events import OrderEvent
from tradeforge.model.symbol import Symbol
from tradeforge.model.values import Money
from tradeforge.persistence.errors import StoreError

ORDER_EVENT_TYPES: dict[str, type[OrderEvent]] = {
    cls.__name__: cls
    for cls in vars(order_events).values()
    if isinstance(cls, type) and issubclass(cls, OrderEvent) and cls is not OrderEvent
}


def encode_event(event: OrderEvent) -> dict[str, Any]:
    """The event's fields as JSON-ready exact values."""
    return {f.name: _encode(getattr(event, f.name)) for f in dataclasses.fields(event)}


def decode_event(name: str, data: dict[str, Any]) -> OrderEvent:
    """Rebuild the event ``name`` (``OrderFilled``) from :func:`encode_event`'s output.

    Raises
    ------
    StoreError
        When the event type is unknown or a field cannot be read.
    """
    cls = ORDER_EVENT_TYPES.get(name)
    if cls is None:
        raise StoreError(f"unknown order event type {name!r} in the state history")
    hints = _hints(cls)
    try:
        return cls(**{key: _decode(hints[key], value) for key, value in data.items()})
    except (KeyError, TypeError, ValueError) as error:
        raise StoreError(f"cannot read stored {name} {data!r}: {error}") from None


_HINTS: dict[str, dict[str, Any]] = {}


def _hints(cls: type[OrderEvent]) -> dict[str, Any]:
    found = _HINTS.get(cls.__name__)
    if found is None:
        found = _HINTS[cls.__name__] = typing.get_type_hints(cls)
    return found


def _encode(value: object) -> object:
    if isinstance(value, Decimal | Symbol):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Money):
        return value.to_dict()
    if isinstance(value, tuple):
        return [_encode(v) for v in value]
    return value


def _decode(hint: Any, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        kinds = [k for k in typing.get_args(hint) if k is not type(None)]
        return _decode(kinds[0], value)
    if typing.get_origin(hint) is tuple:
        return tuple(value)
    if hint is Money:
        return Money.from_dict(value)
    if hint is Symbol:
        return Symbol.parse(value)
    if isinstance(hint, type) and issubclass(hint, Decimal | Enum):
        return hint(value)
    return value
