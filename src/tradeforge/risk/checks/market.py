"""Checks of where and when an entry goes: allowed symbols and venues, trading hours, and the
correlation of its returns with the open positions'.

Orders that add no exposure pass all three: closing a position is always allowed.
"""

from __future__ import annotations

from datetime import time
from decimal import Decimal

import numpy as np
from numpy.typing import NDArray

from tradeforge.common.jit import njit
from tradeforge.model.enums import OrderSide
from tradeforge.model.orders import Order
from tradeforge.model.symbol import Symbol
from tradeforge.risk.checks.account import NANOS_PER_DAY
from tradeforge.risk.context import PriceHistory, RiskContext
from tradeforge.risk.limits import WEEKDAYS, LimitsIndex, RiskConfig, TradingWindow
from tradeforge.risk.projection import exposure

_NANOS_PER_SECOND = 1_000_000_000
_EPOCH_WEEKDAY = 3  # 1970-01-01 was a Thursday (Monday is 0)


class AllowedMarkets:
    """Entries only in ``allowed_symbols`` and on ``allowed_venues`` (the instrument's venue)."""

    rule = "allowed_markets"

    def __init__(self, config: RiskConfig, context: RiskContext) -> None:
        self._limits = LimitsIndex(config)
        self._context = context

    def reason(self, order: Order, price: Decimal | None, notional: Decimal | None) -> str:
        """Why the entry's market is not allowed; empty when it is."""
        limits = self._limits.of(order.strategy_id)
        symbols, venues = limits.symbol_set, limits.allowed_venues
        if symbols is None and venues is None:
            return ""
        if not exposure(self._context, order, price).adds:
            return ""
        if symbols is not None and order.symbol not in symbols:
            return f"symbol not allowed: {order.symbol} is not in allowed_symbols"
        instrument = self._context.instruments.get(order.symbol)
        venue = instrument.venue if instrument is not None else "unknown"
        if venues is not None and venue not in venues:
            return f"venue not allowed: {order.symbol} trades on {venue}, not in allowed_venues"
        return ""


class TradingHours:
    """Entries only inside one of the ``trading_hours`` windows (UTC, by the clock)."""

    rule = "trading_hours"

    def __init__(self, config: RiskConfig, context: RiskContext) -> None:
        self._limits = LimitsIndex(config)
        self._context = context
        self._windows = {
            id(limits): tuple(_Window.of(w) for w in limits.trading_hours)
            for limits in config.every_limits()
            if limits.trading_hours is not None
        }

    def reason(self, order: Order, price: Decimal | None, notional: Decimal | None) -> str:
        """Why now is outside the trading hours; empty when it is inside."""
        windows = self._windows.get(id(self._limits.of(order.strategy_id)))
        if windows is None or not exposure(self._context, order, price).adds:
            return ""
        now = self._context.clock.timestamp_ns()
        day = (now // NANOS_PER_DAY + _EPOCH_WEEKDAY) % 7
        second = (now % NANOS_PER_DAY) // _NANOS_PER_SECOND
        for window in windows:
            if window.contains(day, second):
                return ""
        clock = f"{second // 3600:02d}:{second // 60 % 60:02d}:{second % 60:02d}"
        return f"trading hours: {WEEKDAYS[day].title()} {clock} UTC is outside the trading hours"


class _Window:
    """A :class:`TradingWindow` as seconds of the day and weekday numbers (Monday 0)."""

    __slots__ = ("days", "end", "start")

    def __init__(self, start: int, end: int, days: frozenset[int]) -> None:
        self.start, self.end, self.days = start, end, days

    @classmethod
    def of(cls, window: TradingWindow) -> _Window:
        def seconds(at: time) -> int:
            return at.hour * 3600 + at.minute * 60 + at.second

        days = frozenset(WEEKDAYS.index(day) for day in window.days)
        return cls(seconds(window.start), seconds(window.end), days)

    def contains(self, day: int, second: int) -> bool:
        """Whether ``second`` of weekday ``day`` is inside; a window that wraps past midnight
        belongs to the day it opens, equal ends mean the whole day."""
        start, end = self.start, self.end
        if start < end:
            return day in self.days and start <= second < end
        if start == end or second >= start:
            return day in self.days
        return second < end and (day - 1) % 7 in self.days


class Correlation:
    """Refuses an entry whose returns correlate above ``max_correlation`` with an open
    position's, signed by direction: a long entry against an open long counts the
    correlation, against an open short its opposite (a hedge passes).

    Returns are simple returns between consecutive closes both symbols have (joined on close
    time) over the last ``correlation_lookback`` bars; Pearson's coefficient. Fewer than half
    the lookback of joint returns, or a flat series, passes. Coefficients are cached per pair
    until either symbol gets a new bar.
    """

    rule = "correlation_limit"

    def __init__(self, config: RiskConfig, context: RiskContext) -> None:
        if context.history is None:
            raise ValueError("max_correlation needs the context's price history")
        self._limits = LimitsIndex(config)
        self._context = context
        self._history: PriceHistory = context.history
        self._cache: dict[tuple[Symbol, Symbol], tuple[tuple[int | None, ...], float]] = {}

    def reason(self, order: Order, price: Decimal | None, notional: Decimal | None) -> str:
        """Why the entry would concentrate correlated risk; empty when it would not."""
        limits = self._limits.of(order.strategy_id)
        most = limits.max_correlation
        if most is None:
            return ""
        after = exposure(self._context, order, price)
        if not after.adds:
            return ""
        symbol, lookback, ceiling = order.symbol, limits.correlation_lookback, float(most)
        stamp = self._history.last_close_time(symbol)
        buying = order.side is OrderSide.BUY
        for other, held in after.holdings:
            rho = self._coefficient(symbol, stamp, other, lookback)
            long = held > 0
            if (rho if long == buying else -rho) > ceiling:
                return (
                    f"correlation limit: {order.side.name} {symbol} correlates {rho:.2f} with "
                    f"the open {'long' if long else 'short'} {other} over the last {lookback} "
                    f"bars, above {most}"
                )
        return ""

    def _coefficient(
        self, symbol: Symbol, stamp: int | None, other: Symbol, lookback: int
    ) -> float:
        """The cached coefficient, computed again when either symbol has a new bar."""
        key = (symbol, other)
        seen = (stamp, self._history.last_close_time(other), lookback)
        cached = self._cache.get(key)
        if cached is not None and cached[0] == seen:
            return cached[1]
        ts_a, close_a = self._history.closes(symbol, lookback + 1)
        ts_b, close_b = self._history.closes(other, lookback + 1)
        rho = 0.0
        if len(ts_a) > 1 and len(ts_b) > 1:
            rho = _joint_correlation(ts_a, close_a, ts_b, close_b, max(2, lookback // 2))
        self._cache[key] = (seen, rho)
        return rho


@njit
def _joint_correlation(
    ts_a: NDArray[np.int64],
    a: NDArray[np.float64],
    ts_b: NDArray[np.int64],
    b: NDArray[np.float64],
    least: int,
) -> float:
    """Pearson correlation of the simple returns between the closes both series have at the
    same times; 0.0 with fewer than ``least`` returns or a flat series."""
    xs = np.empty(len(a), dtype=np.float64)
    ys = np.empty(len(a), dtype=np.float64)
    n, i, j = 0, 0, 0
    while i < len(ts_a) and j < len(ts_b):
        if ts_a[i] < ts_b[j]:
            i += 1
        elif ts_a[i] > ts_b[j]:
            j += 1
        else:
            xs[n], ys[n] = a[i], b[j]
            n, i, j = n + 1, i + 1, j + 1
    if n - 1 < least:
        return 0.0
    rx = xs[1:n] / xs[: n - 1] - 1.0
    ry = ys[1:n] / ys[: n - 1] - 1.0
    dx = rx - rx.mean()
    dy = ry - ry.mean()
    sxx, syy = (dx * dx).sum(), (dy * dy).sum()
    if sxx == 0.0 or syy == 0.0:
        return 0.0
    return float((dx * dy).sum() / np.sqrt(sxx * syy))
