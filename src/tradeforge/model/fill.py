"""Fills (executed trades) and the one division fill arithmetic needs.

Sums of ``price * quantity`` are exact; only a division (an average price, the cost of part of
a position) can fail to terminate. :func:`divide` and :func:`prorate` keep the quotient exact
when it terminates within :data:`DIVISION_PLACES` (18) decimal places and otherwise round it
half-even there: a visible, deterministic rule. Callers that book the result (a position's
cost basis) subtract it from an exact total, so the rounding never creates or loses money.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, Inexact

from tradeforge.model.enums import LiquiditySide, OrderSide
from tradeforge.model.events import OrderFilled
from tradeforge.model.symbol import Symbol
from tradeforge.model.values import EXACT, Money, NumberError, Price, Quantity

DIVISION_PLACES = 18
_ZERO = Decimal(0)
_ONE = Decimal(1)


def divide(numerator: Decimal, denominator: Decimal, places: int = DIVISION_PLACES) -> Decimal:
    """``numerator / denominator``, exact to ``places`` decimals, rounded half-even beyond.

    Parameters
    ----------
    numerator, denominator : Decimal
        Finite; ``denominator`` not zero.
    places : int
        Decimal places kept; a quotient that terminates within them is exact.

    Returns
    -------
    Decimal
        The correctly rounded quotient, without trailing zeros after the point.

    Raises
    ------
    NumberError
        When ``denominator`` is zero.

    Examples
    --------
    >>> divide(Decimal("100.190"), Decimal("1.0"))
    Decimal('100.19')
    >>> divide(Decimal(2), Decimal(3))
    Decimal('0.666666666666666667')
    """
    if denominator:  # the common case: a quotient exact within 40 digits, no rounding
        try:
            quotient = EXACT.divide(numerator, denominator)
        except Inexact:
            pass
        else:
            return _without_trailing_zeros(quotient, places)
    n_num, n_den = numerator.as_integer_ratio()
    d_num, d_den = denominator.as_integer_ratio()
    if not d_num:
        raise NumberError(f"cannot divide {numerator} by zero")
    return _rational(n_num * d_den, n_den * d_num, places)


def _without_trailing_zeros(quotient: Decimal, places: int) -> Decimal:
    """An exact quotient as :func:`_rational` writes it (no zeros after the point), or
    rounded like it when it has more than ``places`` decimals."""
    if not quotient:
        return _ZERO
    reduced = quotient.normalize(EXACT)
    exponent = int(reduced.as_tuple().exponent)
    if exponent > 0:  # normalize wrote 1E+2 for 100
        return reduced.quantize(_ONE, context=EXACT)
    if exponent < -places:
        n_num, n_den = quotient.as_integer_ratio()
        return _rational(n_num, n_den, places)
    return reduced


def prorate(
    amount: Decimal, part: Decimal, whole: Decimal, places: int = DIVISION_PLACES
) -> Decimal:
    """``amount * part / whole`` (a pro-rata share), rounded like :func:`divide`.

    The product is formed exactly, whatever its number of digits, before the one rounding.
    """
    a_num, a_den = amount.as_integer_ratio()
    p_num, p_den = part.as_integer_ratio()
    w_num, w_den = whole.as_integer_ratio()
    if not w_num:
        raise NumberError(f"cannot prorate {amount} over a whole of zero")
    return _rational(a_num * p_num * w_den, a_den * p_den * w_num, places)


def _rational(num: int, den: int, places: int) -> Decimal:
    """``num / den`` correctly rounded (half-even) to ``places`` decimals."""
    negative = (num < 0) != (den < 0)
    den = abs(den)
    quotient, remainder = divmod(abs(num) * 10**places, den)
    twice = 2 * remainder
    if twice > den or (twice == den and quotient & 1):
        quotient += 1
    exponent = -places
    while exponent < 0 and quotient and not quotient % 10:
        quotient //= 10
        exponent += 1
    if not quotient:
        return Decimal(0)
    return Decimal(f"{'-' if negative else ''}{quotient}E{exponent}")


@dataclass(frozen=True, slots=True)
class Fill:
    """One execution of an order: ``quantity`` traded at ``price``.

    Parameters
    ----------
    trade_id : str
        The venue's trade id.
    client_order_id : str
        The order that traded.
    venue_order_id : str or None
        The venue's id of that order, when known.
    symbol : Symbol
        The market.
    side : OrderSide
        Buy or sell.
    quantity : Quantity
        Positive quantity traded.
    price : Price
        The price it traded at.
    fee : Money
        The fee paid (negative for a rebate), in any currency.
    liquidity_side : LiquiditySide
        Maker or taker.
    ts : int
        When it traded, integer nanoseconds UTC.
    """

    trade_id: str
    client_order_id: str
    venue_order_id: str | None
    symbol: Symbol
    side: OrderSide
    quantity: Quantity
    price: Price
    fee: Money
    liquidity_side: LiquiditySide
    ts: int

    def __post_init__(self) -> None:
        if self.quantity <= 0:
            raise NumberError(
                f"fill {self.trade_id}: quantity must be positive, got {self.quantity}"
            )

    @classmethod
    def from_event(cls, event: OrderFilled) -> Fill:
        """The fill an :class:`~tradeforge.model.events.OrderFilled` event reports."""
        return cls(
            trade_id=event.trade_id,
            client_order_id=event.client_order_id,
            venue_order_id=event.venue_order_id,
            symbol=event.symbol,
            side=event.order_side,
            quantity=event.last_qty,
            price=event.last_price,
            fee=event.fee,
            liquidity_side=event.liquidity_side,
            ts=event.ts,
        )

    @property
    def notional(self) -> Decimal:
        """``quantity * price``, exact."""
        return EXACT.multiply(self.quantity, self.price)

    @property
    def signed_qty(self) -> Decimal:
        """The quantity with the side's sign: what the fill adds to a net position."""
        return self.quantity if self.side is OrderSide.BUY else -self.quantity
