"""How rejection reasons write numbers: one format everywhere.

A reason reads ``"<limit>: <what the order would do> <verb> <the limit>"``, e.g.
``"max position notional: 1,200.00 USDT would exceed 1,000 USDT"``. Measured amounts have
two decimals and thousands separators; limits are written as configured; fractions as
percents.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

_HUNDRED = Decimal(100)


def money(amount: Decimal, currency: str) -> str:
    """A measured amount: ``1,200.00 USDT``."""
    return f"{amount:,.2f} {currency}"


def limit(value: Decimal | int) -> str:
    """A configured figure as written: ``1,000``, ``0.5``, ``2``."""
    if isinstance(value, int):
        return f"{value:,}"
    return f"{_plain(value):,f}"


def percent(fraction: Decimal) -> str:
    """A measured fraction as a percent with two decimals: ``12.50%``."""
    return f"{fraction * _HUNDRED:,.2f}%"


def limit_percent(fraction: Decimal) -> str:
    """A configured fraction as a percent, as written: ``0.03`` is ``3%``."""
    return f"{_plain(fraction * _HUNDRED):f}%"


def span(value: timedelta | int) -> str:
    """A duration (or ns) in the largest whole unit: ``60s`` is ``1m``, ``90s`` stays."""
    seconds = value.total_seconds() if isinstance(value, timedelta) else value / 1e9
    for unit, size in (("d", 86_400), ("h", 3_600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds / size:g}{unit}"
    return f"{seconds:g}s"


def _plain(value: Decimal) -> Decimal:
    """``value`` without trailing zeros and without an exponent (``1E+3`` is ``1000``)."""
    normal = value.normalize()
    return normal.quantize(Decimal(1)) if normal == normal.to_integral_value() else normal
