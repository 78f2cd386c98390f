from __future__ import annotations

from decimal import ROUND_DOWN, Decimal, Inexact

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tradeforge.model.values import (
    EXACT,
    CurrencyMismatchError,
    Money,
    NumberError,
    Price,
    Quantity,
    round_to_increment,
    to_decimal,
    truncate_to_step,
)


def test_floats_become_the_decimal_a_trader_typed() -> None:
    assert to_decimal(0.1) == Decimal("0.1")
    assert Price(27000.1) == Decimal("27000.1")
    assert Quantity(0.3) - Quantity(0.1) == Decimal("0.2")


@pytest.mark.parametrize(
    ("value", "message"),
    [("nan", "price must be finite"), (float("inf"), "price must be finite"),
     ("abc", "price 'abc' is not a number"), (True, "price must be a number, got bool"),
     (None, "price must be a number, got NoneType")],
)  # fmt: skip
def test_price_refuses_non_numbers(value: object, message: str) -> None:
    with pytest.raises(NumberError, match=message):
        Price(value)


def test_quantity_refuses_negative() -> None:
    with pytest.raises(NumberError, match="quantity must not be negative, got '-0.5'"):
        Quantity("-0.5")
    assert Quantity(0) == 0


def test_negative_prices_are_allowed() -> None:
    assert Price("-37.63") < 0  # WTI, April 2020


@pytest.mark.parametrize(
    ("value", "increment", "expected"),
    [("27000.125", "0.01", "27000.12"), ("27000.135", "0.01", "27000.14"),
     ("101.26", "0.5", "101.5"), ("101.24", "0.5", "101.0"), ("0.000123456", "0.00001", "0.00012")],
)  # fmt: skip
def test_round_prices_half_even(value: str, increment: str, expected: str) -> None:
    result = round_to_increment(Decimal(value), Decimal(increment))
    assert result == Decimal(expected)
    assert str(result) == expected


@pytest.mark.parametrize(
    ("value", "step", "expected"),
    [("0.123999", "0.001", "0.123"), ("5", "0.001", "5.000"), ("17", "5", "15"),
     ("0.0009", "0.001", "0.000")],
)  # fmt: skip
def test_truncate_quantities(value: str, step: str, expected: str) -> None:
    assert str(truncate_to_step(Decimal(value), Decimal(step))) == expected


@given(
    st.decimals(min_value=0, max_value=10**9, places=8, allow_nan=False, allow_infinity=False),
    st.sampled_from(["0.1", "0.001", "0.00000001", "5", "0.25"]),
)
def test_truncation_never_rounds_up(value: Decimal, step: str) -> None:
    result = truncate_to_step(value, Decimal(step))
    assert result <= value < result + Decimal(step)
    assert result == round_to_increment(value, Decimal(step), ROUND_DOWN)


def test_increment_must_be_positive() -> None:
    with pytest.raises(NumberError, match="increment must be positive, got 0"):
        round_to_increment(Decimal(1), Decimal(0))


def test_money_arithmetic_is_exact() -> None:
    fee = Money("0.00075", "BNB")
    assert fee + fee + fee == Money("0.00225", "BNB")
    assert Money("100.10", "USDT") * 3 == Money("300.30", "USDT")
    assert 2 * Money("1.5", "USDT") == Money("3.0", "USDT")
    assert -Money(5, "USDT") == Money(-5, "USDT")
    assert Money("1.5", "USDT") - Money("2", "USDT") == Money("-0.5", "USDT")
    assert abs(Money(-1, "BTC")) == Money(1, "BTC")
    assert Money("1.005", "USDT").round(2) == Money("1.00", "USDT")
    assert str(Money("12.5", "USDT")) == "12.5 USDT"
    assert Money.parse("12.5 USDT") == Money("12.5", "USDT")
    assert Money.from_dict(Money("0.1", "ETH").to_dict()) == Money("0.1", "ETH")
    assert Money.zero("USDT") < Money("0.01", "USDT")


def test_money_refuses_mixing_currencies() -> None:
    with pytest.raises(CurrencyMismatchError, match="cannot add 1 USDT and 1 BTC"):
        _ = Money(1, "USDT") + Money(1, "BTC")
    with pytest.raises(CurrencyMismatchError, match="cannot compare"):
        _ = Money(1, "USDT") < Money(1, "BTC")
    with pytest.raises(TypeError, match="not 1.5"):
        _ = Money(1, "USDT") * 1.5  # type: ignore[operator]
    with pytest.raises(NumberError, match="upper-case code"):
        Money(1, "usdt")
    with pytest.raises(NumberError, match="like '12.5 USDT'"):
        Money.parse("12.5")
    with pytest.raises(AttributeError, match="immutable"):
        Money(1, "USDT").amount = Decimal(2)  # type: ignore[misc]


def test_exact_context_raises_instead_of_rounding() -> None:
    big = Decimal("1234567890123456789012345.123456789")
    with pytest.raises(Inexact):
        EXACT.multiply(big, big)
