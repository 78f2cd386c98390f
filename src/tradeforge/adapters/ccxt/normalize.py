"""Prices and quantities rounded to a market's precision before they are sent.

ccxt knows each market's precision (``amount_to_precision`` truncates a quantity to the lot
step, ``price_to_precision`` rounds a price to the tick, as the venue would); the adapters
send exactly what these return and report back to the kernel when that differs from the
order it holds (see :mod:`tradeforge.adapters.ccxt.order_request`).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

import ccxt  # type: ignore[import-untyped]

from tradeforge.adapters.ccxt.errors import OrderRefusedError, UnknownSymbolError


def amount_to_precision(exchange: Any, symbol: str, amount: Decimal) -> Decimal:
    """``amount`` truncated to the market's lot step.

    Raises
    ------
    OrderRefusedError
        When it truncates to zero (the venue would refuse it).
    UnknownSymbolError
        When the exchange does not list ``symbol``.
    """
    return _to_precision(exchange.amount_to_precision, symbol, amount, "quantity")


def price_to_precision(exchange: Any, symbol: str, price: Decimal) -> Decimal:
    """``price`` rounded to the market's tick.

    Raises
    ------
    OrderRefusedError
        When it rounds to zero or below.
    UnknownSymbolError
        When the exchange does not list ``symbol``.
    """
    return _to_precision(exchange.price_to_precision, symbol, price, "price")


def _to_precision(convert: Any, symbol: str, value: Decimal, what: str) -> Decimal:
    try:
        text = convert(symbol, format(value, "f"))
    except ccxt.BadSymbol as error:
        raise UnknownSymbolError(f"{symbol}: {error}", str(error)) from None
    except ccxt.InvalidOrder as error:
        raise OrderRefusedError(f"{what} {value} of {symbol}: {error}", str(error)) from None
    try:
        result = Decimal(str(text))
    except InvalidOperation:
        raise OrderRefusedError(
            f"{what} {value} of {symbol} has no precise form ({text!r})"
        ) from None
    if result <= 0:
        raise OrderRefusedError(f"{what} {value} of {symbol} rounds to {result} at the venue")
    return result
