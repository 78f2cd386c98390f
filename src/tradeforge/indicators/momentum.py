"""Momentum oscillators: RSI, MACD and the slow Stochastic, matching TA-Lib."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from tradeforge.common.jit import njit
from tradeforge.indicators._inputs import (
    FloatArray,
    as_series,
    check_lengths,
    check_period,
    first_valid,
)
from tradeforge.indicators.moving import sma_from

EPSILON = 1e-14
"""TA-Lib's ``TA_IS_ZERO`` threshold: a gain + loss below it gives an RSI of 0."""


@njit
def _rsi_value(gain: float, loss: float) -> float:
    total = gain + loss
    return 0.0 if -EPSILON < total < EPSILON else 100.0 * (gain / total)


@njit
def _rsi_from(x: FloatArray, period: int, start: int) -> FloatArray:
    n = len(x)
    out = np.full(n, np.nan)
    first = start + period
    if first >= n:
        return out
    gain = loss = 0.0
    for i in range(start + 1, first + 1):
        change = x[i] - x[i - 1]
        if change < 0.0:
            loss -= change
        else:
            gain += change
    gain /= period
    loss /= period
    out[first] = _rsi_value(gain, loss)
    # Wilder smoothing by multiplications (TA-Lib divides: a few ulp apart, 3x faster);
    # aligned views instead of x[i - 1], selects instead of branches
    keep, weight = (period - 1) / period, 1.0 / period
    before, after, rest = x[first : n - 1], x[first + 1 :], out[first + 1 :]
    for j in range(len(rest)):
        change = after[j] - before[j]
        falling = change < 0.0  # a NaN change goes to the gain, as in TA-Lib
        gain = gain * keep + (0.0 if falling else change) * weight
        loss = loss * keep + (-change if falling else 0.0) * weight
        rest[j] = _rsi_value(gain, loss)
    return out


def rsi(close: npt.ArrayLike, period: int = 14) -> FloatArray:
    """Relative Strength Index (Wilder), equal to ``talib.RSI(close, timeperiod=period)``.

    With ``d[t] = close[t] - close[t-1]``: the first average gain / loss is the plain mean of
    the positive parts / negated negative parts of ``d[1..period]``; then Wilder smoothing
    ``avg[t] = (avg[t-1] * (period - 1) + part[t]) / period``.
    ``RSI = 100 * avg_gain / (avg_gain + avg_loss)``, or 0 when the sum is below ``1e-14``.

    Parameters
    ----------
    close : array-like
        Prices.
    period : int, default 14
        ``>= 2`` (TA-Lib's minimum).

    Returns
    -------
    numpy.ndarray
        float64 in ``[0, 100]``, same length as ``close``; first non-NaN value at index
        ``period`` (after any leading NaN). A later NaN input makes every following value NaN
        (TA-Lib 0.8 outputs 0.0 from there on instead, a false "oversold").

    Raises
    ------
    ValueError
        When ``period`` is not an int ``>= 2`` or ``close`` is not a 1-D numeric array.
    """
    x = as_series(close, "close")
    p = check_period(period, "period", 2)
    return _rsi_from(x, p, first_valid(x))


@njit
def _mean(x: FloatArray, end: int, count: int) -> float:
    """Mean of the ``count`` values ending at ``end``, summed left to right like TA-Lib."""
    total = 0.0
    for i in range(end - count + 1, end + 1):
        total += x[i]
    return total / count


@njit
def _macd_from(
    x: FloatArray, fast: int, slow: int, signal: int, start: int
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """The three EMAs in one loop (independent chains overlap, one pass over the data)."""
    n = len(x)
    line, signal_line, hist = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
    seed_end = start + slow - 1  # both price EMAs are seeded here
    first = seed_end + signal - 1  # the signal EMA is seeded here
    if first >= n:
        return line, signal_line, hist
    slow_ema, fast_ema = _mean(x, seed_end, slow), _mean(x, seed_end, fast)
    k_slow, k_fast, k_signal = 2.0 / (slow + 1), 2.0 / (fast + 1), 2.0 / (signal + 1)
    sig = 0.0
    for i in range(seed_end, n):
        if i > seed_end:
            slow_ema = (x[i] - slow_ema) * k_slow + slow_ema
            fast_ema = (x[i] - fast_ema) * k_fast + fast_ema
        value = fast_ema - slow_ema
        if i < first:
            sig += value
            continue
        if signal == 1:
            sig = value
        elif i == first:
            sig = (sig + value) / signal
        else:
            sig = (value - sig) * k_signal + sig
        line[i], signal_line[i], hist[i] = value, sig, value - sig
    return line, signal_line, hist


def macd(
    close: npt.ArrayLike, fast: int = 12, slow: int = 26, signal: int = 9
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """MACD, equal to ``talib.MACD(close, fast, slow, signal)``.

    ``macd = EMA_fast - EMA_slow``, ``signal = EMA(macd, signal)``, ``hist = macd - signal``,
    every EMA with ``k = 2 / (period + 1)`` and seeded by an SMA. TA-Lib's quirk, kept here:
    both EMAs start at the slow EMA's first index ``slow - 1``, so the fast EMA is seeded
    with the mean of the ``fast`` values ending there (not at ``fast - 1``), and the signal
    EMA is seeded with the mean of the first ``signal`` MACD values. Like TA-Lib, ``fast``
    and ``slow`` are swapped when ``fast > slow``.

    Parameters
    ----------
    close : array-like
        Prices.
    fast, slow : int, default 12, 26
        EMA periods, each ``>= 2``.
    signal : int, default 9
        Signal EMA period, ``>= 1`` (1: the signal equals the MACD line).

    Returns
    -------
    tuple of numpy.ndarray
        ``(macd, signal, hist)``, float64, same length as ``close``; all three have their
        first non-NaN value at index ``max(fast, slow) + signal - 2`` (after any leading NaN).
        A later NaN input makes every following value NaN.

    Raises
    ------
    ValueError
        When a period is not an int within its bound or ``close`` is not a 1-D numeric array.
    """
    x = as_series(close, "close")
    f = check_period(fast, "fast", 2)
    s = check_period(slow, "slow", 2)
    g = check_period(signal, "signal", 1)
    f, s = min(f, s), max(f, s)
    return _macd_from(x, f, s, g, first_valid(x))


@njit
def _fast_k(
    high: FloatArray, low: FloatArray, close: FloatArray, period: int, start: int
) -> FloatArray:
    n = len(close)
    out = np.full(n, np.nan)
    lowest = highest = 0.0
    lowest_at = highest_at = -1
    for today in range(start + period - 1, n):
        trailing = today - period + 1
        if lowest_at < trailing:
            lowest_at, lowest = trailing, low[trailing]
            for i in range(trailing + 1, today + 1):
                if low[i] < lowest:
                    lowest_at, lowest = i, low[i]
        elif low[today] <= lowest:
            lowest_at, lowest = today, low[today]
        if highest_at < trailing:
            highest_at, highest = trailing, high[trailing]
            for i in range(trailing + 1, today + 1):
                if high[i] > highest:
                    highest_at, highest = i, high[i]
        elif high[today] >= highest:
            highest_at, highest = today, high[today]
        spread = highest - lowest
        out[today] = (close[today] - lowest) / spread * 100.0 if spread != 0.0 else 0.0
    return out


def stoch(
    high: npt.ArrayLike,
    low: npt.ArrayLike,
    close: npt.ArrayLike,
    *,
    fastk_period: int = 5,
    slowk_period: int = 3,
    slowd_period: int = 3,
) -> tuple[FloatArray, FloatArray]:
    """Slow Stochastic, equal to ``talib.STOCH`` with its default SMA smoothing (matype 0).

    ``fastk = 100 * (close - LL) / (HH - LL)`` (0 when ``HH == LL``), with ``HH`` / ``LL`` the
    highest high / lowest low of the last ``fastk_period`` bars; ``slowk = SMA(fastk,
    slowk_period)``; ``slowd = SMA(slowk, slowd_period)``.

    Parameters
    ----------
    high, low, close : array-like
        Bar prices, equal lengths.
    fastk_period, slowk_period, slowd_period : int, default 5, 3, 3
        Keyword-only, each ``>= 1``.

    Returns
    -------
    tuple of numpy.ndarray
        ``(slowk, slowd)``, float64, same length as the inputs; both have their first non-NaN
        value at index ``fastk_period + slowk_period + slowd_period - 3`` (after the leading
        rows where any input is NaN). A later NaN close makes every following value NaN; a
        NaN high or low is skipped by the window's extreme search unless the window is
        rescanned from it, then every following value is NaN. All as TA-Lib.

    Raises
    ------
    ValueError
        When a period is not an int ``>= 1``, the inputs differ in length or are not 1-D.
    """
    h, lo, c = as_series(high, "high"), as_series(low, "low"), as_series(close, "close")
    check_lengths(high=h, low=lo, close=c)
    k = check_period(fastk_period, "fastk_period")
    sk = check_period(slowk_period, "slowk_period")
    sd = check_period(slowd_period, "slowd_period")
    start = first_valid(h, lo, c)
    fast_k = _fast_k(h, lo, c, k, start)
    slow_k = sma_from(fast_k, sk, start + k - 1)
    slow_d = sma_from(slow_k, sd, start + k + sk - 2)
    slow_k[: start + k + sk + sd - 3] = np.nan
    return slow_k, slow_d
