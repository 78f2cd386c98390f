from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import get_args

import pytest

from tradeforge.model.enums import LiquiditySide, OrderSide, OrderType, PositionSide
from tradeforge.model.events import (
    AnyEvent,
    AnyOrderEvent,
    AnyPositionEvent,
    Event,
    OrderAccepted,
    OrderEvent,
    OrderFilled,
    OrderInitialized,
    PositionClosed,
    PositionEvent,
)
from tradeforge.model.symbol import Symbol
from tradeforge.model.values import Money, Price, Quantity

BTC = Symbol("BTC", "USDT")


def test_events_are_frozen_and_slotted() -> None:
    event = OrderAccepted(ts=1, client_order_id="O-1", symbol=BTC, venue_order_id="V-1")
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.ts = 2  # type: ignore[misc]
    assert not hasattr(event, "__dict__")
    assert event == OrderAccepted(ts=1, client_order_id="O-1", symbol=BTC, venue_order_id="V-1")
    assert hash(event) == hash(
        OrderAccepted(ts=1, client_order_id="O-1", symbol=BTC, venue_order_id="V-1")
    )


def test_fields_are_keyword_only() -> None:
    with pytest.raises(TypeError):
        OrderAccepted(1, "O-1", BTC, "V-1")  # type: ignore[call-arg]


def test_unions_and_bases_cover_every_event() -> None:
    order_events = get_args(AnyOrderEvent)
    position_events = get_args(AnyPositionEvent)
    assert len(order_events) == 10 and len(position_events) == 3
    assert set(get_args(AnyEvent)) == set(order_events) | set(position_events)
    assert all(issubclass(kind, OrderEvent) for kind in order_events)
    assert all(issubclass(kind, PositionEvent) for kind in position_events)
    assert all(issubclass(kind, Event) for kind in get_args(AnyEvent))
    assert all("ts" in {f.name for f in dataclasses.fields(kind)} for kind in get_args(AnyEvent))


def test_order_filled_carries_the_trade() -> None:
    event = OrderFilled(
        ts=5, client_order_id="O-1", symbol=BTC, trade_id="T-1", order_side=OrderSide.BUY,
        last_qty=Quantity("0.4"), last_price=Price("100.10"), fee=Money("0.04", "USDT"),
        liquidity_side=LiquiditySide.MAKER,
    )  # fmt: skip
    assert event.venue_order_id is None
    assert event.last_qty * event.last_price == Decimal("40.040")


def test_initialized_defaults() -> None:
    event = OrderInitialized(
        ts=0, client_order_id="O-1", symbol=BTC, side=OrderSide.SELL,
        order_type=OrderType.MARKET, quantity=Quantity(1),
    )  # fmt: skip
    assert (event.price, event.tags, event.post_only, event.reduce_only) == (None, (), False, False)


def test_position_closed_duration() -> None:
    zero = Money("0", "USDT")
    event = PositionClosed(
        ts=50, position_id="P", symbol=BTC, client_order_id="O", trade_id="T",
        side=PositionSide.FLAT, signed_qty=Decimal(0), quantity=Quantity(0),
        peak_qty=Quantity(1), avg_px_open=Price(1), avg_px_close=Price(2),
        last_side=OrderSide.SELL, last_qty=Quantity(1), last_price=Price(2),
        last_realized_pnl=zero, realized_pnl=zero, ts_opened=20,
    )  # fmt: skip
    assert event.duration_ns == 30
