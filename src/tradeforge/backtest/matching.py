"""The bar-matching core: where and at what price an order trades inside a bar.

A bar only tells its open, high, low and close, so the engine assumes a *path*: the price
moves in straight lines from the open to one extreme, to the other, then to the close. Which
extreme comes first is the intrabar assumption (:class:`IntrabarPath`); when lower-timeframe
bars are available, their own paths, concatenated, replace the guess.

Every resting order waits for the price to reach a *level* in one *direction*:

=================  ==========================  ====================================
order              level                       waits for the price to
=================  ==========================  ====================================
buy limit          limit price                 fall to it   (direction -1)
sell limit         limit price                 rise to it   (direction +1)
buy stop           stop price                  rise to it   (direction +1)
sell stop          stop price                  fall to it   (direction -1)
buy take-profit    stop price                  fall to it   (direction -1)
sell take-profit   stop price                  rise to it   (direction +1)
=================  ==========================  ====================================

and trades at the level, or at the current price when the price is already beyond it where
the order becomes active (a gap, or a limit that is marketable on arrival). A market order
trades at the current price where it becomes active: the open for an order submitted before the
bar. Positions along the path are floats: segment index plus the fraction of the segment.

These functions are compiled with numba and are the only implementation of the rules: the
event-driven :class:`~tradeforge.backtest.exchange.SimulatedExchange` and the vectorized signal
mode both call them.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from tradeforge.common.jit import njit

NEVER = -1.0


@njit
def detail_path(
    o: NDArray[np.float64],
    h: NDArray[np.float64],
    low: NDArray[np.float64],
    c: NDArray[np.float64],
    high_first: NDArray[np.bool_],
) -> NDArray[np.float64]:
    """The lower-timeframe bars inside one bar, their four-point paths joined in time order."""
    n = len(o)
    path = np.empty(4 * n)
    for k in range(n):
        path[4 * k] = o[k]
        path[4 * k + 1] = h[k] if high_first[k] else low[k]
        path[4 * k + 2] = low[k] if high_first[k] else h[k]
        path[4 * k + 3] = c[k]
    return path


@njit
def bar_path(o: float, h: float, low: float, c: float, high_first: bool) -> NDArray[np.float64]:
    """The four points of a bar's assumed path: open, first extreme, second extreme, close."""
    path = np.empty(4)
    path[0] = o
    path[1] = h if high_first else low
    path[2] = low if high_first else h
    path[3] = c
    return path


@njit
def price_at(path: NDArray[np.float64], pos: float) -> float:
    """The price at position ``pos`` along ``path`` (linear inside a segment)."""
    last = len(path) - 1
    if pos >= last:
        return float(path[last])
    k = int(pos)
    frac = pos - k
    return float(path[k] + (path[k + 1] - path[k]) * frac)


@njit
def first_touch(path: NDArray[np.float64], start: float, level: float, direction: int) -> float:
    """First position at or after ``start`` where the price is at ``level`` or beyond it.

    ``direction`` +1 waits for the price to be >= ``level``, -1 for <= ``level``. Returns
    :data:`NEVER` (-1.0) when the path never gets there.
    """
    now = price_at(path, start)
    if (direction > 0 and now >= level) or (direction < 0 and now <= level):
        return start
    k = int(start)
    for seg in range(k, len(path) - 1):
        a = path[seg] if seg > k else now
        b = path[seg + 1]
        reached = b >= level if direction > 0 else b <= level
        if reached:
            seg_start = float(seg) if seg > k else start
            span = b - a
            frac = (level - a) / span if span != 0.0 else 0.0
            return seg_start + (seg + 1 - seg_start) * frac
    return NEVER


@njit
def touch_price(path: NDArray[np.float64], start: float, pos: float, level: float) -> float:
    """The fill price of an order touched at ``pos``: the current price if the order was
    already beyond its level where it became active (``pos == start``), else the level."""
    if pos == start:
        return price_at(path, start)
    return level
