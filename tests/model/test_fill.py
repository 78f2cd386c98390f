from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tradeforge.model.enums import LiquiditySide, OrderSide
from tradeforge.model.events import OrderFilled
from tradeforge.model.fill import Fill, divide, prorate
from tradeforge.model.symbol import Symbol
from tradeforge.model.values import Money, NumberError, Price, Quantity

BTC = Symbol("BTC", "USDT")


def make_fill(side: OrderSide = OrderSide.SELL, qty: str = "0.4") -> Fill:
    return Fill(
        trade_id="T-1", client_order_id="O-1", venue_order_id="V-1", symbol=BTC, side=side,
        quantity=Quantity(qty), price=Price("100.10"), fee=Money("0.04", "USDT"),
        liquidity_side=LiquiditySide.TAKER, ts=7,
    )  # fmt: skip


def test_fill_values() -> None:
    fill = make_fill()
    assert fill.notional == Decimal("40.040")
    assert fill.signed_qty == Decimal("-0.4")
    assert make_fill(OrderSide.BUY).signed_qty == Decimal("0.4")


def test_fill_refuses_zero_quantity() -> None:
    with pytest.raises(NumberError, match="fill T-1: quantity must be positive, got 0"):
        make_fill(qty="0")


def test_fill_from_event() -> None:
    event = OrderFilled(
        ts=7, client_order_id="O-1", symbol=BTC, trade_id="T-1", venue_order_id="V-1",
        order_side=OrderSide.SELL, last_qty=Quantity("0.4"), last_price=Price("100.10"),
        fee=Money("0.04", "USDT"), liquidity_side=LiquiditySide.TAKER,
    )  # fmt: skip
    assert Fill.from_event(event) == make_fill()


@pytest.mark.parametrize(
    ("numerator", "denominator", "expected"),
    [
        ("100.190", "1.0", "100.19"),
        ("200", "0.5", "400"),
        ("1", "3", "0.333333333333333333"),
        ("2", "3", "0.666666666666666667"),
        ("-2", "3", "-0.666666666666666667"),
        ("2", "-3", "-0.666666666666666667"),
        ("0", "7", "0"),
        ("1", "8", "0.125"),
        ("5E-19", "1", "0"),  # a tie rounds to even
        ("1.5E-18", "1", "2E-18"),
        ("1", "1024", "0.0009765625"),
    ],
)
def test_divide(numerator: str, denominator: str, expected: str) -> None:
    result = divide(Decimal(numerator), Decimal(denominator))
    assert result == Decimal(expected)
    assert str(result) == expected


def test_divide_by_zero_is_refused() -> None:
    with pytest.raises(NumberError, match="cannot divide 1 by zero"):
        divide(Decimal(1), Decimal(0))
    with pytest.raises(NumberError, match="over a whole of zero"):
        prorate(Decimal(1), Decimal(1), Decimal(0))


def test_prorate_and_places() -> None:
    assert prorate(Decimal(302), Decimal(1), Decimal(3)) == Decimal("100.666666666666666667")
    assert divide(Decimal(1), Decimal(3), 4) == Decimal("0.3333")


@given(
    st.integers(-(10**30), 10**30), st.integers(1, 10**12), st.integers(0, 12), st.integers(0, 8)
)
def test_divide_is_within_half_a_unit_of_the_last_place(
    num: int, den: int, num_places: int, den_places: int
) -> None:
    numerator, denominator = Decimal(num).scaleb(-num_places), Decimal(den).scaleb(-den_places)
    result = divide(numerator, denominator)
    error = abs(Fraction(result) - Fraction(numerator) / Fraction(denominator))
    assert error <= Fraction(1, 2 * 10**18)
