"""The bars an analysis works on: series from data, cut at a time, and nudged at one bar.

Every analysis starts from the series a backtest would replay (:func:`analysis_series`: the
data's series plus the longer timeframes the strategy resamples), then builds variants of them:
:func:`ending_at` keeps what had closed by an instant (the data a live run would have had then),
:func:`starting_at` drops the bars before an instant (a shorter history), :func:`nudged` scales
one moment's bars (to see which indicator values depend on it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from tradeforge.backtest.facade import Data, _as_frames, _resampled
from tradeforge.data.replay import BarSeries
from tradeforge.strategy.base import Strategy


def analysis_series(data: Data, strategy: Strategy, symbol: str = "ASSET/USD") -> list[BarSeries]:
    """The series a backtest of ``strategy`` on ``data`` replays, in its order.

    Parameters
    ----------
    data : DataFrame, mapping of symbol to DataFrame, or list of BarSeries
        As :class:`~tradeforge.backtest.Backtest` takes it; the first series is the primary.
    strategy : Strategy
        An instance: its :meth:`~Strategy.extra_timeframes` are resampled from each symbol's
        shortest series when the data lacks them, as a backtest does.
    symbol : str
        The symbol of a single DataFrame.

    Returns
    -------
    list of BarSeries
        Fresh series (their own cursors).
    """
    series = [s.fresh() for s in _as_frames(data, symbol)]
    return series + _resampled(series, strategy.extra_timeframes())


def fresh(series: list[BarSeries]) -> list[BarSeries]:
    """Copies with their own cursors (one strategy instance per copy)."""
    return [s.fresh() for s in series]


def ending_at(series: list[BarSeries], end_ns: int) -> list[BarSeries]:
    """Each series' bars that closed at or before ``end_ns`` (ns UTC)."""
    return [_rows(s, lambda s: s.ts_close <= end_ns) for s in series]


def starting_at(series: list[BarSeries], start_ns: int) -> list[BarSeries]:
    """Each series' bars that opened at or after ``start_ns`` (ns UTC)."""
    return [_rows(s, lambda s: s.ts_open >= start_ns) for s in series]


def bar_at(series: BarSeries, ts_ns: int) -> int:
    """Index of the bar of ``series`` whose span holds ``ts_ns`` (-1 before the first)."""
    return int(np.searchsorted(series.ts_open, ts_ns, side="right")) - 1


def nudged(series: list[BarSeries], ts_ns: int, factor: float) -> list[BarSeries]:
    """Copies where the bar holding ``ts_ns`` in every series has its open, high, low, close
    and volume multiplied by ``factor`` (a consistent bar, just higher or lower)."""
    out = []
    for s in series:
        i = bar_at(s, ts_ns)
        o, h, low, c, v = (
            np.array(getattr(s, name), dtype=np.float64)
            for name in ("open", "high", "low", "close", "volume")
        )
        if 0 <= i < len(s):
            for values in (o, h, low, c, v):
                values[i] *= factor
        out.append(BarSeries(s.symbol, s.timeframe, s.ts_open, o, h, low, c, v))
    return out


def _rows(series: BarSeries, keep: Callable[[BarSeries], Any]) -> BarSeries:
    mask = np.asarray(keep(series), dtype=bool)
    return BarSeries(
        series.symbol,
        series.timeframe,
        series.ts_open[mask],
        series.open[mask],
        series.high[mask],
        series.low[mask],
        series.close[mask],
        series.volume[mask],
    )
