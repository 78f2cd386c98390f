"""Bar series that grow: history first, then each live bar as it closes.

A backtest builds its :class:`~tradeforge.data.replay.BarSeries` once. A node builds them from
the warm-up history and appends every live bar; the series object, its cursor and its lines
stay the same objects (strategies, views, the risk context and the breakers keep references
to them), only their arrays grow. :func:`refill` is the one place where a line's values are
replaced: its cached list and its cached crossings are dropped with them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from tradeforge.data.lines import Line
from tradeforge.data.replay import BarSeries
from tradeforge.model.market_data import Bar
from tradeforge.model.symbol import Symbol
from tradeforge.model.timeframe import Timeframe

_COLUMNS = ("open", "high", "low", "close", "volume")


def series_of(symbol: Symbol, timeframe: Timeframe, bars: Sequence[Bar]) -> BarSeries:
    """A series of ``bars`` (oldest first, strictly increasing), every bar revealed."""
    ts, o, h, low, c, v = _arrays(bars)
    series = BarSeries(symbol, timeframe, ts, o, h, low, c, v)
    series.cursor.i = len(series) - 1
    return series


def replace_bars(series: BarSeries, bars: Sequence[Bar]) -> None:
    """Give ``series`` these bars instead of its own (a longer warm-up), every bar revealed."""
    _set(series, *_arrays(bars))
    series.cursor.i = len(series) - 1


def append_bar(series: BarSeries, bar: Bar) -> bool:
    """Add ``bar`` after the last one, not revealed yet (the caller moves the cursor when the
    bar is dispatched); False (nothing done) when it does not open after the last bar (a bar
    seen already)."""
    if len(series) and bar.ts_open <= int(series.ts_open[-1]):
        return False
    ts = np.append(series.ts_open, np.int64(bar.ts_open))
    columns = [np.append(getattr(series, name), float(getattr(bar, name))) for name in _COLUMNS]
    _set(series, ts, *columns)
    return True


def refill(line: Line, values: NDArray[np.float64]) -> None:
    """Replace ``line``'s values (a series that grew, an indicator computed again): the cached
    list and crossings computed from the old values are dropped."""
    line._values = values
    line._cached_list = None
    line._crosses = {}


def _set(
    series: BarSeries,
    ts_open: NDArray[np.int64],
    *columns: NDArray[np.float64],
) -> None:
    series.ts_open = ts_open
    series.ts_close = _close_times(ts_open, series.timeframe)
    for name, values in zip(_COLUMNS, columns, strict=True):
        setattr(series, name, values)
        refill(series.lines[name], values)


_Arrays = tuple[
    NDArray[np.int64],
    NDArray[np.float64],
    NDArray[np.float64],
    NDArray[np.float64],
    NDArray[np.float64],
    NDArray[np.float64],
]


def _arrays(bars: Sequence[Bar]) -> _Arrays:
    n = len(bars)
    ts = np.fromiter((b.ts_open for b in bars), dtype=np.int64, count=n)

    def column(name: str) -> NDArray[np.float64]:
        return np.fromiter((float(getattr(b, name)) for b in bars), dtype=np.float64, count=n)

    return (ts, column("open"), column("high"), column("low"), column("close"), column("volume"))


def _close_times(ts_open: NDArray[np.int64], tf: Timeframe) -> NDArray[np.int64]:
    if not tf.is_calendar:
        return ts_open + tf.nanos
    return np.array([tf.close_time(int(t)) for t in ts_open], dtype=np.int64)


def bar_at(series: BarSeries, i: int) -> Bar:
    """Bar ``i`` of ``series`` as a :class:`~tradeforge.model.market_data.Bar`."""
    o, h, low, c, v = series.row(i)
    return Bar(series.symbol, series.timeframe, int(series.ts_open[i]), o, h, low, c, v)
