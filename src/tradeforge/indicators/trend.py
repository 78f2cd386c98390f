"""Trend strength: Wilder's Average Directional Index (ADX), with TA-Lib's exact arithmetic."""

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
from tradeforge.indicators.volatility import true_range_at

EPSILON = 1e-14
"""TA-Lib's ``TA_IS_ZERO`` threshold for the true-range and DI sums."""


@njit
def _directional(
    high: FloatArray, low: FloatArray, close: FloatArray, i: int
) -> tuple[float, float, float]:
    """(+DM, -DM, TR) of bar ``i`` against bar ``i - 1``, with TA-Lib's tie rules."""
    up = high[i] - high[i - 1]
    down = low[i - 1] - low[i]
    plus = minus = 0.0
    if down > 0 and up < down:
        minus = down
    elif up > 0 and up > down:
        plus = up
    return plus, minus, true_range_at(high, low, close, i)


@njit
def _adx_from(
    high: FloatArray, low: FloatArray, close: FloatArray, period: int, start: int
) -> FloatArray:
    n = len(close)
    out = np.full(n, np.nan)
    first = start + 2 * period - 1
    if first >= n:
        return out
    plus_dm = minus_dm = tr_sum = 0.0
    for i in range(start + 1, start + period):
        plus, minus, tr = _directional(high, low, close, i)
        plus_dm += plus
        minus_dm += minus
        tr_sum += tr
    adx = 0.0
    for i in range(start + period, n):
        plus, minus, tr = _directional(high, low, close, i)
        minus_dm = minus_dm - minus_dm / period + minus
        plus_dm = plus_dm - plus_dm / period + plus
        tr_sum = tr_sum - tr_sum / period + tr
        dx = 0.0
        counted = False
        if not -EPSILON < tr_sum < EPSILON:
            minus_di = 100.0 * (minus_dm / tr_sum)
            plus_di = 100.0 * (plus_dm / tr_sum)
            di_sum = minus_di + plus_di
            if not -EPSILON < di_sum < EPSILON:
                dx = 100.0 * (abs(minus_di - plus_di) / di_sum)
                counted = True
        if i <= first:
            adx += dx
            if i < first:
                continue
            adx /= period
        elif counted:
            adx = (adx * (period - 1) + dx) / period
        out[i] = adx
    return out


def adx(
    high: npt.ArrayLike, low: npt.ArrayLike, close: npt.ArrayLike, period: int = 14
) -> FloatArray:
    """Average Directional Index (Wilder), equal to ``talib.ADX(high, low, close, period)``.

    Per bar: ``+DM = high[t] - high[t-1]`` when that move is positive and larger than the
    down move ``low[t-1] - low[t]`` (else 0), ``-DM`` symmetrically, ``TR`` the true range.
    TA-Lib's seeding: ``+DM``, ``-DM`` and ``TR`` are first summed over bars ``1 .. period-1``,
    then smoothed with ``S[t] = S[t-1] - S[t-1] / period + x[t]`` from bar ``period`` on;
    ``+DI = 100 * +DM_s / TR_s``, ``-DI`` likewise, ``DX = 100 * |+DI - -DI| / (+DI + -DI)``.
    The first ADX is the sum of the DX of bars ``period .. 2*period - 1`` divided by
    ``period``; then ``ADX[t] = (ADX[t-1] * (period - 1) + DX[t]) / period``. A DX is skipped
    (counts as 0 in the seed, leaves the ADX unchanged later) when ``TR_s`` or the DI sum is
    below ``1e-14``.

    Parameters
    ----------
    high, low, close : array-like
        Bar prices, equal lengths.
    period : int, default 14
        ``>= 2`` (TA-Lib's minimum).

    Returns
    -------
    numpy.ndarray
        float64 in ``[0, 100]``, same length as the inputs; first non-NaN value at index
        ``2 * period - 1`` (after the leading rows where any input is NaN). A later NaN high
        or low makes every following value NaN (TA-Lib 0.8 instead freezes the ADX at its last
        value); a NaN close is ignored by the true range, as in TA-Lib.

    Raises
    ------
    ValueError
        When ``period`` is not an int ``>= 2`` or the inputs differ in length or are not 1-D.
    """
    h, lo, c = as_series(high, "high"), as_series(low, "low"), as_series(close, "close")
    check_lengths(high=h, low=lo, close=c)
    p = check_period(period, "period", 2)
    return _adx_from(h, lo, c, p, first_valid(h, lo, c))
