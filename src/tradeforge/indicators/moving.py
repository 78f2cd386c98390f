"""Moving averages: simple (SMA) and exponential (EMA), with TA-Lib's arithmetic and seeding.

The compiled kernel ``sma_from`` also smooths the Stochastic's intermediate %K.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from tradeforge.common.jit import njit
from tradeforge.indicators._inputs import FloatArray, as_series, check_period, first_valid


@njit
def sma_from(x: FloatArray, period: int, start: int) -> FloatArray:
    """SMA of ``x[start:]`` by TA-Lib's running sum; NaN before ``start + period - 1``."""
    n = len(x)
    out = np.full(n, np.nan)
    first = start + period - 1
    if first >= n:
        return out
    total = 0.0
    for i in range(start, first):
        total += x[i]
    for i in range(first, n):
        total += x[i]
        out[i] = total / period
        total -= x[i - period + 1]
    return out


@njit
def _ema_from(x: FloatArray, period: int, start: int) -> FloatArray:
    """EMA of ``x[start:]``, NaN before its seed.

    The seed is the mean of the first ``period`` values (summed left to right like TA-Lib),
    then ``prev = (x - prev) * k + prev``.
    """
    n = len(x)
    out = np.full(n, np.nan)
    seed_end = start + period - 1
    if seed_end >= n:
        return out
    total = 0.0
    for i in range(start, seed_end + 1):
        total += x[i]
    prev = total / period
    out[seed_end] = prev
    k = 2.0 / (period + 1)
    for i in range(seed_end + 1, n):
        prev = (x[i] - prev) * k + prev
        out[i] = prev
    return out


def sma(close: npt.ArrayLike, period: int = 30) -> FloatArray:
    """Simple moving average, equal to ``talib.SMA(close, timeperiod=period)``.

    ``SMA[t] = (close[t - period + 1] + ... + close[t]) / period``, kept as a running sum
    (add the new value, subtract the oldest) like TA-Lib.

    Parameters
    ----------
    close : array-like
        The series to average (any float64-convertible 1-D array, list or pandas Series).
    period : int, default 30
        Window length, ``>= 1`` (1 returns the input).

    Returns
    -------
    numpy.ndarray
        float64, same length as ``close``. Warm-up: the first non-NaN value is at index
        ``period - 1`` (counted from the first non-NaN input; leading NaN are skipped like
        ``talib`` does). A NaN inside the series poisons the running sum, so every later
        value is NaN too (as in TA-Lib).

    Raises
    ------
    ValueError
        When ``period`` is not an int ``>= 1`` or ``close`` is not a 1-D numeric array.
    """
    x = as_series(close, "close")
    p = check_period(period, "period")
    return sma_from(x, p, first_valid(x))


def ema(close: npt.ArrayLike, period: int = 30) -> FloatArray:
    """Exponential moving average, equal to ``talib.EMA(close, timeperiod=period)``.

    ``k = 2 / (period + 1)``; ``EMA[period - 1] = SMA(close, period)[period - 1]`` (TA-Lib's
    seed), then ``EMA[t] = (close[t] - EMA[t-1]) * k + EMA[t-1]``.

    Parameters
    ----------
    close : array-like
        The series to smooth.
    period : int, default 30
        ``>= 1`` (1 returns the input).

    Returns
    -------
    numpy.ndarray
        float64, same length as ``close``; first non-NaN value at index ``period - 1`` (after
        any leading NaN). A later NaN input makes every following value NaN.

    Raises
    ------
    ValueError
        When ``period`` is not an int ``>= 1`` or ``close`` is not a 1-D numeric array.
    """
    x = as_series(close, "close")
    p = check_period(period, "period")
    start = first_valid(x)
    if p == 1:
        out = x.copy()
        out[:start] = np.nan
        return out
    return _ema_from(x, p, start)
