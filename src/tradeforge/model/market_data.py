"""Market data values: bars, trade ticks and quote ticks.

Bars are research data: their prices and volume are ``float`` (float64), the same numbers the
vectorized indicators and the Parquet catalog hold, so a bar never pays for a Decimal conversion.
Ticks come from a venue's text and feed order books and fill models, so their prices and sizes are
exact :class:`~tradeforge.model.values.Price` and :class:`~tradeforge.model.values.Quantity`.
Timestamps are integer nanoseconds since the Unix epoch, UTC.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from numbers import Integral, Real

from tradeforge.model.symbol import Symbol
from tradeforge.model.timeframe import Timeframe
from tradeforge.model.values import EXACT, Price, Quantity


class MarketDataError(ValueError):
    """A bar or tick that no market could have printed; the message names the field."""


class CrossedQuoteError(MarketDataError):
    """A quote whose bid is above its ask."""


class AggressorSide(StrEnum):
    """The side of the order that took liquidity in a trade.

    ``BUY`` means a buyer lifted the ask, ``SELL`` that a seller hit the bid. Members compare
    equal to their text (``AggressorSide.BUY == "buy"``).
    """

    BUY = "buy"
    SELL = "sell"


@dataclass(frozen=True, slots=True)
class Bar:
    """One OHLCV bar of a symbol and timeframe.

    Parameters
    ----------
    symbol : Symbol
        The market.
    timeframe : Timeframe
        The bar length; ``ts_open`` must be aligned to it (see :meth:`Timeframe.floor`).
    ts_open : int
        Open time in nanoseconds since the epoch, UTC.
    open, high, low, close : float
        Finite, positive prices with ``low <= min(open, close)`` and
        ``high >= max(open, close)``. Floats by design: bars are research series (float64),
        not order prices; round to the instrument's tick before placing an order.
    volume : float
        Traded base quantity, finite and ``>= 0``.

    Raises
    ------
    MarketDataError
        When a field breaks the rules above; the message names the field and its value.
    """

    symbol: Symbol
    timeframe: Timeframe
    ts_open: int
    open: float
    high: float
    low: float
    close: float
    volume: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "ts_open", _checked_ts(self.ts_open, "ts_open"))
        if not self.timeframe.is_aligned(self.ts_open):
            raise MarketDataError(
                f"bar ts_open {self.ts_open} is not aligned to the {self.timeframe} timeframe "
                f"(the bar containing it opens at {self.timeframe.floor(self.ts_open)})"
            )
        for name in ("open", "high", "low", "close"):
            object.__setattr__(self, name, _checked_price(getattr(self, name), name))
        object.__setattr__(self, "volume", _checked_volume(self.volume))
        if self.high < max(self.open, self.close):
            raise MarketDataError(
                f"bar high {self.high} is below max(open {self.open}, close {self.close})"
            )
        if self.low > min(self.open, self.close):
            raise MarketDataError(
                f"bar low {self.low} is above min(open {self.open}, close {self.close})"
            )

    @property
    def ts_close(self) -> int:
        """Close time: the next bar's open time, the instant the bar is complete."""
        return self.timeframe.close_time(self.ts_open)


@dataclass(frozen=True, slots=True)
class TradeTick:
    """One trade printed by a venue.

    Parameters
    ----------
    symbol : Symbol
        The market.
    ts : int
        Trade time in nanoseconds since the epoch, UTC.
    price : Price
        The trade price (text, ``Decimal`` and numbers are converted).
    size : Quantity
        The traded quantity, positive.
    aggressor : AggressorSide or None
        The side that took liquidity; ``None`` when the venue does not say.
    trade_id : str
        The venue's trade id, used to drop duplicates; empty when the venue gives none.
    """

    symbol: Symbol
    ts: int
    price: Price
    size: Quantity
    aggressor: AggressorSide | None = None
    trade_id: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "ts", _checked_ts(self.ts, "ts"))
        object.__setattr__(self, "price", _to_price(self.price, "price"))
        object.__setattr__(self, "size", _to_quantity(self.size, "size"))
        if self.size <= 0:
            raise MarketDataError(f"trade size must be positive, got {self.size}")
        if self.aggressor is not None:
            object.__setattr__(self, "aggressor", _aggressor(self.aggressor))
        if not isinstance(self.trade_id, str):
            raise MarketDataError(f"trade_id must be a string, got {self.trade_id!r}")


@dataclass(frozen=True, slots=True)
class QuoteTick:
    """The best bid and ask of a market at one instant.

    Parameters
    ----------
    symbol : Symbol
        The market.
    ts : int
        Quote time in nanoseconds since the epoch, UTC.
    bid, ask : Price
        Best bid and ask; ``bid <= ask`` (a locked quote, ``bid == ask``, is accepted).
    bid_size, ask_size : Quantity
        Quantities resting at the bid and the ask, ``>= 0``.

    Raises
    ------
    CrossedQuoteError
        When ``bid > ask``.
    MarketDataError
        When a timestamp, price or size is invalid.
    """

    symbol: Symbol
    ts: int
    bid: Price
    bid_size: Quantity
    ask: Price
    ask_size: Quantity

    def __post_init__(self) -> None:
        object.__setattr__(self, "ts", _checked_ts(self.ts, "ts"))
        object.__setattr__(self, "bid", _to_price(self.bid, "bid"))
        object.__setattr__(self, "ask", _to_price(self.ask, "ask"))
        object.__setattr__(self, "bid_size", _to_quantity(self.bid_size, "bid_size"))
        object.__setattr__(self, "ask_size", _to_quantity(self.ask_size, "ask_size"))
        if self.bid > self.ask:
            raise CrossedQuoteError(
                f"crossed quote for {self.symbol}: bid {self.bid} is above ask {self.ask}"
            )

    @property
    def mid(self) -> Price:
        """``(bid + ask) / 2``, exact."""
        return Price(EXACT.divide(EXACT.add(self.bid, self.ask), 2))

    @property
    def spread(self) -> Price:
        """``ask - bid``, exact and ``>= 0``."""
        return Price(EXACT.subtract(self.ask, self.bid))


def _checked_ts(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise MarketDataError(f"{name} must be int nanoseconds since the epoch, got {value!r}")
    return int(value)


def _checked_price(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, Real):
        raise MarketDataError(f"bar {name} must be a float, got {value!r}")
    if not math.isfinite(value) or value <= 0:
        raise MarketDataError(f"bar {name} must be a finite positive price, got {value!r}")
    return float(value)


def _checked_volume(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, Real):
        raise MarketDataError(f"bar volume must be a float, got {value!r}")
    if not math.isfinite(value) or value < 0:
        raise MarketDataError(f"bar volume must be finite and >= 0, got {value!r}")
    return float(value)


def _aggressor(value: AggressorSide | str) -> AggressorSide:
    try:
        return AggressorSide(value)
    except ValueError:
        raise MarketDataError(f"aggressor must be 'buy', 'sell' or None, got {value!r}") from None


def _to_price(value: object, name: str) -> Price:
    try:
        return value if isinstance(value, Price) else Price(value)
    except ValueError as error:
        raise MarketDataError(f"{name}: {error}") from None


def _to_quantity(value: object, name: str) -> Quantity:
    try:
        return value if isinstance(value, Quantity) else Quantity(value)
    except ValueError as error:
        raise MarketDataError(f"{name}: {error}") from None
