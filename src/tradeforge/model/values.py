"""Exact numbers for prices, quantities and money.

``Price`` and ``Quantity`` are :class:`decimal.Decimal` subclasses, so they are exact, hash and
compare like decimals, and mix freely with them; their constructors refuse what no market has
(NaN, infinity, a negative quantity). ``Money`` carries its currency and refuses to mix
currencies. Arithmetic that could round (a division, a rounding to a tick) is always explicit.
"""

from __future__ import annotations

from decimal import (
    ROUND_DOWN,
    ROUND_HALF_EVEN,
    Context,
    Decimal,
    DivisionByZero,
    Inexact,
    InvalidOperation,
    Overflow,
)
from typing import Any, Self

# Sums and products of prices and quantities are exact within 40 significant digits; anything
# that would round raises instead of losing money silently.
EXACT = Context(prec=40, traps=[InvalidOperation, DivisionByZero, Overflow, Inexact])
DecimalLike = Decimal | int | str | float


_new_decimal = Decimal.__new__
_CURRENCIES: set[str] = set()  # codes that passed Money's check once
_MAX_KNOWN_CURRENCIES = 10_000
_DECIMAL_TYPES: set[type] = {Decimal}  # exact types taken as they are (Price, Quantity added)


class NumberError(ValueError):
    """A price, quantity or amount that is not a finite number, or is out of range."""


class CurrencyMismatchError(ValueError):
    """Money of two different currencies was combined."""


def to_decimal(value: object, what: str = "value") -> Decimal:
    """Convert to an exact finite ``Decimal``.

    Floats go through their shortest round-trip text (``0.1`` becomes ``Decimal("0.1")``, not
    the binary expansion), which is what a trader typed. Booleans are refused.

    Raises
    ------
    NumberError
        When the value is not a number, or is NaN or infinite; the message names ``what``.
    """
    if type(value) in _DECIMAL_TYPES:  # the hot path: already exact
        if value.is_finite():  # type: ignore[attr-defined]
            return value  # type: ignore[return-value]
        raise NumberError(f"{what} must be finite, got {value!r}")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, bool) or not isinstance(value, int | float | str):
        raise NumberError(f"{what} must be a number, got {type(value).__name__} {value!r}")
    else:
        try:
            result = Decimal(repr(value) if isinstance(value, float) else value)
        except InvalidOperation:
            raise NumberError(f"{what} {value!r} is not a number") from None
    if not result.is_finite():
        raise NumberError(f"{what} must be finite, got {value!r}")
    return result


class Price(Decimal):
    """An exact price (may be negative: spreads and some futures trade below zero).

    Examples
    --------
    >>> Price("27000.10") + Price("0.05")
    Decimal('27000.15')
    """

    __slots__ = ()

    def __new__(cls, value: object = "0") -> Self:
        if isinstance(value, Decimal) and type(value) in _DECIMAL_TYPES and value.is_finite():
            return _new_decimal(cls, value)
        return _new_decimal(cls, to_decimal(value, "price"))

    def __repr__(self) -> str:
        return f"Price('{self}')"


class Quantity(Decimal):
    """An exact, non-negative quantity of an asset or of contracts."""

    __slots__ = ()

    def __new__(cls, value: object = "0") -> Self:
        if (
            isinstance(value, Decimal)
            and type(value) in _DECIMAL_TYPES
            and value.is_finite()
            and value >= 0
        ):
            return _new_decimal(cls, value)
        number = to_decimal(value, "quantity")
        if number < 0:
            raise NumberError(f"quantity must not be negative, got {value!r}")
        return _new_decimal(cls, number)

    def __repr__(self) -> str:
        return f"Quantity('{self}')"


_DECIMAL_TYPES.update((Price, Quantity))


def round_to_increment(
    value: Decimal, increment: Decimal, rounding: str = ROUND_HALF_EVEN
) -> Decimal:
    """Round ``value`` to a multiple of ``increment`` (a tick or a step).

    Parameters
    ----------
    value, increment : Decimal
        ``increment`` must be positive.
    rounding : str
        A :mod:`decimal` rounding mode: ``ROUND_HALF_EVEN`` for prices, ``ROUND_DOWN``
        (truncate, as exchanges do) for quantities.
    """
    if increment <= 0:
        raise NumberError(f"increment must be positive, got {increment}")
    units = (value / increment).quantize(Decimal(1), rounding=rounding)
    return EXACT.multiply(units, increment).quantize(increment)


def truncate_to_step(value: Decimal, step: Decimal) -> Decimal:
    """Truncate a quantity toward zero to a multiple of ``step``, as exchanges do."""
    return round_to_increment(value, step, ROUND_DOWN)


class Money:
    """An exact amount of one currency.

    Adding or comparing amounts of different currencies raises
    :class:`CurrencyMismatchError`; multiplying by a plain number scales the amount.

    Parameters
    ----------
    amount : Decimal, int, str or float
        The amount; floats go through their shortest text.
    currency : str
        An upper-case currency code such as ``USDT``.
    """

    __slots__ = ("amount", "currency")

    amount: Decimal
    currency: str

    def __init__(self, amount: object, currency: str) -> None:
        if currency in _CURRENCIES and type(amount) in _DECIMAL_TYPES and amount.is_finite():  # type: ignore[attr-defined]
            object.__setattr__(self, "amount", amount)  # the hot path: checked before
            object.__setattr__(self, "currency", currency)
            return
        if not isinstance(currency, str) or not currency.isalnum() or not currency.isupper():
            raise NumberError(f"currency must be an upper-case code like 'USDT', got {currency!r}")
        object.__setattr__(self, "amount", to_decimal(amount, f"{currency} amount"))
        object.__setattr__(self, "currency", currency)
        if len(_CURRENCIES) < _MAX_KNOWN_CURRENCIES:
            _CURRENCIES.add(currency)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Money is immutable")

    @classmethod
    def parse(cls, text: str) -> Money:
        """Read ``"12.5 USDT"``."""
        parts = text.split() if isinstance(text, str) else []
        if len(parts) != 2:
            raise NumberError(f"money must read like '12.5 USDT', got {text!r}")
        return cls(parts[0], parts[1])

    @classmethod
    def zero(cls, currency: str) -> Money:
        """Zero of ``currency``."""
        return cls(Decimal(0), currency)

    def _same(self, other: object, operation: str) -> Money:
        if not isinstance(other, Money):
            raise TypeError(f"cannot {operation} Money and {type(other).__name__}")
        if other.currency != self.currency:
            raise CurrencyMismatchError(
                f"cannot {operation} {self} and {other}: different currencies"
            )
        return other

    def __add__(self, other: Money) -> Money:
        return Money(EXACT.add(self.amount, self._same(other, "add").amount), self.currency)

    def __sub__(self, other: Money) -> Money:
        return Money(
            EXACT.subtract(self.amount, self._same(other, "subtract").amount), self.currency
        )

    def __mul__(self, factor: Decimal | int) -> Money:
        if isinstance(factor, Money | float | bool):
            raise TypeError(f"Money can be scaled by an int or Decimal, not {factor!r}")
        return Money(EXACT.multiply(self.amount, Decimal(factor)), self.currency)

    __rmul__ = __mul__

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __abs__(self) -> Money:
        return Money(abs(self.amount), self.currency)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        return self.currency == other.currency and self.amount == other.amount

    def __hash__(self) -> int:
        return hash((self.amount, self.currency))

    def __lt__(self, other: Money) -> bool:
        return self.amount < self._same(other, "compare").amount

    def __le__(self, other: Money) -> bool:
        return self.amount <= self._same(other, "compare").amount

    def __gt__(self, other: Money) -> bool:
        return self.amount > self._same(other, "compare").amount

    def __ge__(self, other: Money) -> bool:
        return self.amount >= self._same(other, "compare").amount

    def __bool__(self) -> bool:
        return bool(self.amount)

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"

    def __repr__(self) -> str:
        return f"Money('{self.amount}', '{self.currency}')"

    def round(self, decimals: int, rounding: str = ROUND_HALF_EVEN) -> Money:
        """Round to ``decimals`` places (an explicit, visible rounding)."""
        return Money(self.amount.quantize(Decimal(1).scaleb(-decimals), rounding), self.currency)

    def to_dict(self) -> dict[str, str]:
        """``{"amount": "12.5", "currency": "USDT"}``: the amount as exact text."""
        return {"amount": str(self.amount), "currency": self.currency}

    @classmethod
    def from_dict(cls, data: dict[str, str]) -> Money:
        """Inverse of :meth:`to_dict`."""
        return cls(data["amount"], data["currency"])
