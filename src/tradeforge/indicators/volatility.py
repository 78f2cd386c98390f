"""Volatility: true range, ATR (Wilder) and Bollinger Bands, matching TA-Lib."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from tradeforge.common.jit import njit
from tradeforge.indicators._inputs import (
    FloatArray,
    as_series,
    check_factor,
    check_lengths,
    check_period,
    first_valid,
)


@njit
def true_range_at(high: FloatArray, low: FloatArray, close: FloatArray, i: int) -> float:
    """True range of bar ``i`` (``i >= 1``), with TA-Lib's comparison order (NaN-safe alike)."""
    greatest: float = high[i] - low[i]
    gap = abs(close[i - 1] - high[i])
    greatest = gap if gap > greatest else greatest
    gap = abs(close[i - 1] - low[i])
    return gap if gap > greatest else greatest


@njit
def _true_range_from(
    high: FloatArray, low: FloatArray, close: FloatArray, start: int
) -> FloatArray:
    n = len(close)
    out = np.full(n, np.nan)
    # aligned views instead of close[i - 1]: no negative index, so the loop vectorizes
    prev_close, today_high, today_low = close[start : n - 1], high[start + 1 :], low[start + 1 :]
    today = out[start + 1 :]
    for j in range(len(today)):
        greatest = today_high[j] - today_low[j]
        gap = abs(prev_close[j] - today_high[j])
        greatest = gap if gap > greatest else greatest
        gap = abs(prev_close[j] - today_low[j])
        today[j] = gap if gap > greatest else greatest
    return out


def _bars(
    high: npt.ArrayLike, low: npt.ArrayLike, close: npt.ArrayLike
) -> tuple[FloatArray, FloatArray, FloatArray]:
    h, lo, c = as_series(high, "high"), as_series(low, "low"), as_series(close, "close")
    check_lengths(high=h, low=lo, close=c)
    return h, lo, c


def true_range(high: npt.ArrayLike, low: npt.ArrayLike, close: npt.ArrayLike) -> FloatArray:
    """True range, equal to ``talib.TRANGE(high, low, close)``.

    ``TR[t] = max(high[t] - low[t], |high[t] - close[t-1]|, |low[t] - close[t-1]|)``.

    Parameters
    ----------
    high, low, close : array-like
        Bar prices, equal lengths.

    Returns
    -------
    numpy.ndarray
        float64, same length as the inputs; first non-NaN value at index 1 (after the leading
        rows where any input is NaN). Later, a NaN high or low gives NaN on its bar; a NaN close
        drops out of the comparisons (TA-Lib's order), so the range falls back to
        ``high - low``.

    Raises
    ------
    ValueError
        When the inputs differ in length or are not 1-D numeric arrays.
    """
    h, lo, c = _bars(high, low, close)
    return _true_range_from(h, lo, c, first_valid(h, lo, c))


@njit
def _wilder_from(values: FloatArray, period: int, first: int) -> FloatArray:
    """Wilder's average of ``values[first:]``: a mean seed, then ``(prev * (p-1) + v) / p``."""
    n = len(values)
    out = np.full(n, np.nan)
    seed_end = first + period - 1
    if seed_end >= n:
        return out
    total = 0.0
    for i in range(first, seed_end + 1):
        total += values[i]
    prev = total / period
    out[seed_end] = prev
    # multiplications instead of TA-Lib's division per bar (a few ulp apart, 4x faster)
    keep, weight = (period - 1) / period, 1.0 / period
    rest, smoothed = values[seed_end + 1 :], out[seed_end + 1 :]
    for j in range(len(rest)):
        prev = prev * keep + rest[j] * weight
        smoothed[j] = prev
    return out


def atr(
    high: npt.ArrayLike, low: npt.ArrayLike, close: npt.ArrayLike, period: int = 14
) -> FloatArray:
    """Average true range (Wilder), equal to ``talib.ATR(high, low, close, timeperiod=period)``.

    The first ATR is the mean of the first ``period`` true ranges (``TR[1..period]``); then
    ``ATR[t] = (ATR[t-1] * (period - 1) + TR[t]) / period``. ``period == 1`` is the true range.

    Parameters
    ----------
    high, low, close : array-like
        Bar prices, equal lengths.
    period : int, default 14
        ``>= 1``.

    Returns
    -------
    numpy.ndarray
        float64, same length as the inputs; first non-NaN value at index ``period`` (after the
        leading rows where any input is NaN). A later NaN high or low makes every following
        value NaN; a NaN close is ignored by the true range (TA-Lib's comparison order).

    Raises
    ------
    ValueError
        When ``period`` is not an int ``>= 1`` or the inputs differ in length or are not 1-D.
    """
    h, lo, c = _bars(high, low, close)
    p = check_period(period, "period")
    start = first_valid(h, lo, c)
    tr = _true_range_from(h, lo, c, start)
    return tr if p == 1 else _wilder_from(tr, p, start + 1)


@njit
def _centred_sums(x: FloatArray, end: int, period: int, ref: float) -> tuple[float, float]:
    """Sums of ``d`` and ``d**2`` with ``d = x - ref`` over the window ending at ``end``."""
    s1 = s2 = 0.0
    for j in range(end - period + 1, end + 1):
        d = x[j] - ref
        s1 += d
        s2 += d * d
    return s1, s2


@njit
def _bands_from(
    x: FloatArray, period: int, up: float, down: float, start: int
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """SMA by TA-Lib's running sum; deviation from sums of ``x - ref``, re-centred each period.

    With ``ref`` a value of the current stretch, ``mean(d**2) - mean(d)**2`` cancels no
    digits of the price level; a window of equal values gives exactly 0.
    """
    n = len(x)
    upper, middle, lower = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
    first = start + period - 1
    if first >= n:
        return upper, middle, lower
    total, equal_run = 0.0, 0
    for i in range(start, first):
        total += x[i]
        equal_run = equal_run + 1 if i > start and x[i] == x[i - 1] else 0
    s1 = s2 = ref = 0.0
    countdown = 0
    for i in range(first, n):
        total += x[i]
        mean = total / period
        total -= x[i - period + 1]
        equal_run = equal_run + 1 if x[i] == x[i - 1] else 0
        if countdown == 0:
            ref, countdown = x[i], period
            s1, s2 = _centred_sums(x, i, period, ref)
        else:
            new, old = x[i] - ref, x[i - period] - ref
            s1 += new - old
            s2 += new * new - old * old
        countdown -= 1
        variance = s2 / period - (s1 / period) ** 2
        flat = equal_run >= period - 1 or variance <= 0.0
        deviation = 0.0 if flat else math.sqrt(variance)
        upper[i], middle[i], lower[i] = mean + deviation * up, mean, mean - deviation * down
    return upper, middle, lower


def bbands(
    close: npt.ArrayLike,
    period: int = 5,
    nbdev_up: float = 2.0,
    nbdev_dn: float = 2.0,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Bollinger Bands around an SMA, equal to ``talib.BBANDS`` with its default matype 0.

    ``middle = SMA(close, period)``; ``sd`` is the population standard deviation (ddof=0) over
    the same window, ``sqrt(mean((close - middle)**2))``; ``upper = middle + nbdev_up * sd``,
    ``lower = middle - nbdev_dn * sd``. Like TA-Lib 0.8 (and unlike TA-Lib 0.4's
    ``E[x**2] - mean**2``, which cancels digits when the deviation is tiny next to the price
    level), the deviation is computed without cancellation: it agrees with a two-pass
    ``numpy.std`` to ~1e-13 relative, and is exactly 0 over a window of equal values.

    Parameters
    ----------
    close : array-like
        Prices.
    period : int, default 5
        ``>= 2`` (TA-Lib's minimum). TA-Lib 0.8 changed its own default to 20; pass the
        period explicitly when porting code.
    nbdev_up, nbdev_dn : float, default 2.0
        Band widths in standard deviations (finite; may be negative or 0).

    Returns
    -------
    tuple of numpy.ndarray
        ``(upper, middle, lower)``, float64, same length as ``close``; first non-NaN value at
        index ``period - 1`` (after any leading NaN). A later NaN makes every following
        value NaN.

    Raises
    ------
    ValueError
        When ``period`` is not an int ``>= 2``, a width is not a finite number, or ``close``
        is not a 1-D numeric array.
    """
    x = as_series(close, "close")
    p = check_period(period, "period", 2)
    up = check_factor(nbdev_up, "nbdev_up")
    dn = check_factor(nbdev_dn, "nbdev_dn")
    return _bands_from(x, p, up, dn, first_valid(x))
