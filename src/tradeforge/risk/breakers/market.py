"""The volatility breaker: entries pause while a traded symbol moves too much.

The measure of each symbol's execution series (its shortest timeframe) is computed for every
bar at once, vectorized (again only when the series has grown), and read at the series'
cursor: never a bar that has not closed. The most volatile symbol counts.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import NDArray

from tradeforge.data.replay import BarSeries
from tradeforge.indicators.volatility import atr
from tradeforge.risk.breaker_limits import VolatilityBreaker as VolatilityLimits
from tradeforge.risk.breakers.base import BreakerLevel, CircuitBreaker
from tradeforge.risk.checks.text import span


def realized_volatility(close: NDArray[np.float64], window: int) -> NDArray[np.float64]:
    """At each bar, the standard deviation (ddof 1) of the last ``window`` log returns of
    ``close`` (NaN before ``window`` returns exist)."""
    out = np.full(len(close), np.nan)
    if len(close) <= window:
        return out
    returns = np.diff(np.log(np.asarray(close, dtype=np.float64)))
    out[window:] = np.std(sliding_window_view(returns, window), axis=1, ddof=1)
    return out


def relative_atr(series: BarSeries, window: int) -> NDArray[np.float64]:
    """At each bar, Wilder's ATR over ``window`` bars divided by the close."""
    close = np.asarray(series.close, dtype=np.float64)
    return np.asarray(atr(series.high, series.low, close, window)) / close


class VolatilityBreaker(CircuitBreaker):
    """Realized volatility or relative ATR over a window, scaled to a horizon.

    Parameters
    ----------
    limits : VolatilityBreaker limits
        The measure, its window and horizon, the levels (fractions: 0.1 is 10 %).
    series : list of BarSeries
        The execution series of the traded symbols.
    """

    name = "volatility"

    def __init__(self, limits: VolatilityLimits, series: list[BarSeries]) -> None:
        super().__init__(limits)
        self._limits = limits
        self._series = series
        self._values: dict[int, tuple[int, NDArray[np.float64]]] = {}
        self._symbol = ""

    def measure(self, now: int) -> float | None:
        """The highest measure among the symbols at their last closed bar."""
        best: float | None = None
        for series in self._series:
            i = series.cursor.i
            if i < 0:
                continue
            value = float(self._measures(series)[i])
            if not math.isnan(value) and (best is None or value > best):
                best, self._symbol = value, str(series.symbol)
        return best

    def _measures(self, series: BarSeries) -> NDArray[np.float64]:
        known = self._values.get(id(series))
        if known is not None and known[0] == len(series):
            return known[1]
        limits = self._limits
        raw = (
            realized_volatility(series.close, limits.window)
            if limits.measure == "realized"
            else relative_atr(series, limits.window)
        )
        values = raw * self._scale(series)
        self._values[id(series)] = (len(series), values)
        return values

    def _scale(self, series: BarSeries) -> float:
        horizon = self._limits.horizon
        if horizon is None:
            return 1.0
        return math.sqrt(horizon.total_seconds() * 1e9 / series.timeframe.nanos)

    def describe(self, value: Any) -> str:
        """``BTC/USDT realized volatility is 11.52% a day over the last 24 bars``."""
        if value is None:
            return "no volatility measured yet"
        limits = self._limits
        kind = "realized volatility" if limits.measure == "realized" else "ATR"
        horizon = limits.horizon
        per = "a bar" if horizon is None else f"per {span(horizon)}"
        per = "a day" if per == "per 1d" else per
        return (
            f"{self._symbol} {kind} is {value * 100:.2f}% {per} over the last {limits.window} bars"
        )

    def threshold_text(self, level: BreakerLevel) -> str:
        """``10%``."""
        return f"{self.threshold(level) * 100:g}%"
