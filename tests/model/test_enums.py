from __future__ import annotations

import pytest

from tradeforge.model.enums import (
    ContingencyType,
    LiquiditySide,
    OrderSide,
    OrderStatus,
    OrderType,
    PositionSide,
    TimeInForce,
    TrailingOffsetType,
)


def test_side_opposite_and_sign() -> None:
    assert OrderSide.BUY.opposite is OrderSide.SELL
    assert OrderSide.SELL.opposite is OrderSide.BUY
    assert (OrderSide.BUY.sign, OrderSide.SELL.sign) == (1, -1)


def test_members_read_back_from_their_value() -> None:
    for enum in (
        OrderSide, OrderType, TimeInForce, OrderStatus, PositionSide, LiquiditySide,
        TrailingOffsetType, ContingencyType,
    ):  # fmt: skip
        for member in enum:
            assert enum(member.value) is member
            assert member.value == member.name


@pytest.mark.parametrize(
    ("order_type", "has_price", "has_stop_price", "is_trailing"),
    [
        (OrderType.MARKET, False, False, False),
        (OrderType.LIMIT, True, False, False),
        (OrderType.STOP_MARKET, False, True, False),
        (OrderType.STOP_LIMIT, True, True, False),
        (OrderType.TAKE_PROFIT_MARKET, False, True, False),
        (OrderType.TAKE_PROFIT_LIMIT, True, True, False),
        (OrderType.TRAILING_STOP_MARKET, False, False, True),
    ],
)
def test_order_type_needs(
    order_type: OrderType, has_price: bool, has_stop_price: bool, is_trailing: bool
) -> None:
    assert order_type.has_price is has_price
    assert order_type.has_stop_price is has_stop_price
    assert order_type.is_trailing is is_trailing


def test_status_open_closed_in_flight() -> None:
    assert {s for s in OrderStatus if s.is_closed} == {
        OrderStatus.FILLED, OrderStatus.CANCELED, OrderStatus.REJECTED, OrderStatus.EXPIRED
    }  # fmt: skip
    assert {s for s in OrderStatus if s.is_open} == {
        OrderStatus.ACCEPTED, OrderStatus.PARTIALLY_FILLED, OrderStatus.PENDING_CANCEL
    }  # fmt: skip
    assert not OrderStatus.INITIALIZED.is_open and not OrderStatus.INITIALIZED.is_closed
    assert OrderStatus.SUBMITTED.is_in_flight and not OrderStatus.SUBMITTED.is_open


def test_enumerations_are_complete() -> None:
    assert [m.name for m in TimeInForce] == ["GTC", "IOC", "FOK", "GTD", "DAY"]
    assert [m.name for m in PositionSide] == ["LONG", "SHORT", "FLAT"]
    assert [m.name for m in LiquiditySide] == ["MAKER", "TAKER"]
    assert [m.name for m in TrailingOffsetType] == ["PRICE", "BASIS_POINTS"]
    assert [m.name for m in ContingencyType] == ["NONE", "OCO", "OTO", "BRACKET"]
    assert len(OrderType) == 7 and len(OrderStatus) == 9
