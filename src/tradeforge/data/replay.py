"""Bar series for replay, and the order in which several of them are delivered.

A :class:`BarSeries` holds one symbol's bars of one timeframe as arrays, with the
:class:`~tradeforge.data.lines.Cursor` that reveals them. :func:`merge_schedule` orders the
bars of several series by the time they complete: a bar is delivered at its close time. Bars
closing at the same instant come longer timeframe first (the day that just closed is visible to
the hourly bar closing with it), then in the order the series were given.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from tradeforge.data.lines import Cursor, Line
from tradeforge.model.symbol import Symbol
from tradeforge.model.timeframe import Timeframe

_COLUMNS = ("open", "high", "low", "close", "volume")


class ReplayError(ValueError):
    """Bars that cannot be replayed; the message names the series and the problem."""


@dataclass(eq=False)
class BarSeries:
    """One symbol's bars of one timeframe, revealed through ``cursor``.

    Parameters
    ----------
    symbol : Symbol
    timeframe : Timeframe
    ts_open : numpy.ndarray of int64
        Open times, ns UTC, strictly increasing.
    open, high, low, close, volume : numpy.ndarray of float64
    """

    symbol: Symbol
    timeframe: Timeframe
    ts_open: NDArray[np.int64]
    open: NDArray[np.float64]
    high: NDArray[np.float64]
    low: NDArray[np.float64]
    close: NDArray[np.float64]
    volume: NDArray[np.float64]
    cursor: Cursor = field(default_factory=Cursor)

    def __post_init__(self) -> None:
        n = len(self.ts_open)
        for name in _COLUMNS:
            if len(getattr(self, name)) != n:
                raise ReplayError(
                    f"{self.label}: column {name} has {len(getattr(self, name))} "
                    f"values, ts_open has {n}"
                )
        if n > 1 and not bool(np.all(self.ts_open[1:] > self.ts_open[:-1])):
            raise ReplayError(f"{self.label}: bar times must be strictly increasing")
        self.ts_close = _close_times(self.ts_open, self.timeframe)
        self.lines = {name: Line(getattr(self, name), self.cursor, name) for name in _COLUMNS}

    def fresh(self) -> BarSeries:
        """A copy with its own cursor and lines, so runs never share state.

        The arrays (and the close times) are shared, not copied, and not validated again:
        they were when this series was built, and nothing writes to them.

        Returns
        -------
        BarSeries
            The same bars, with a new cursor before the first bar.
        """
        clone = copy.copy(self)
        clone.cursor = Cursor()
        clone.lines = {name: Line(getattr(self, name), clone.cursor, name) for name in _COLUMNS}
        return clone

    @property
    def label(self) -> str:
        """``BTC/USDT 5m``."""
        return f"{self.symbol} {self.timeframe}"

    def __len__(self) -> int:
        return len(self.ts_open)

    def to_frame(self) -> pd.DataFrame:
        """The bars as a canonical frame (UTC ``ts`` index, not synthetic, not partial)."""
        index = pd.DatetimeIndex(pd.to_datetime(self.ts_open, utc=True), name="ts")
        frame = pd.DataFrame(
            {
                "open": self.open,
                "high": self.high,
                "low": self.low,
                "close": self.close,
                "volume": self.volume,
            },
            index=index,
        )
        frame["synthetic"] = False
        frame["partial"] = False
        return frame

    def row(self, i: int) -> tuple[float, float, float, float, float]:
        """Open, high, low, close and volume of bar ``i``."""
        return (
            float(self.open[i]),
            float(self.high[i]),
            float(self.low[i]),
            float(self.close[i]),
            float(self.volume[i]),
        )

    @classmethod
    def from_frame(
        cls, symbol: Symbol, frame: pd.DataFrame, timeframe: Timeframe | None = None
    ) -> BarSeries:
        """Read a frame with a DatetimeIndex and open/high/low/close(/volume) columns.

        Column names are case-insensitive (backtesting.py's ``Open`` works); a naive index is
        taken as UTC; a missing volume is zero. The timeframe is inferred from the most common
        spacing of the bars when not given.

        Float64 columns are not copied: the series' arrays may be (read-only) views of the
        frame's data, so the frame must not be modified in place while the series is in use.
        Other numeric columns are converted to new float64 arrays.
        """
        columns = {str(c).lower(): c for c in frame.columns}
        missing = [c for c in _COLUMNS[:4] if c not in columns]
        if missing:
            raise ReplayError(f"{symbol}: bars need columns {missing} (have {list(frame.columns)})")
        index = pd.DatetimeIndex(frame.index)
        if index.tz is None:
            index = index.tz_localize("UTC")
        elif str(index.tz) != "UTC":
            index = index.tz_convert("UTC")
        ts = index.as_unit("ns").asi8
        tf = timeframe or _infer_timeframe(ts, symbol)
        volume = (
            _floats(frame, columns, "volume", symbol)
            if "volume" in columns
            else np.zeros(len(frame))
        )
        return cls(
            symbol,
            tf,
            np.asarray(ts, dtype=np.int64),
            _floats(frame, columns, "open", symbol),
            _floats(frame, columns, "high", symbol),
            _floats(frame, columns, "low", symbol),
            _floats(frame, columns, "close", symbol),
            volume,
        )


def _floats(
    frame: pd.DataFrame, columns: Mapping[str, object], name: str, symbol: Symbol
) -> NDArray[np.float64]:
    column = frame[columns[name]]
    if column.dtype == np.float64:  # already float64: a view, copied only if strided
        values = np.ascontiguousarray(column.to_numpy())
    else:
        values = np.ascontiguousarray(
            pd.to_numeric(column, errors="coerce").to_numpy(dtype=np.float64)
        )
    finite = np.isfinite(values)
    if not finite.all():
        row = int(np.argmin(finite))
        raise ReplayError(f"{symbol}: column {name} row {row} is not a finite number")
    return values


def _infer_timeframe(ts: NDArray[np.int64], symbol: Symbol) -> Timeframe:
    if len(ts) < 2:
        raise ReplayError(f"{symbol}: give the timeframe of a series with fewer than two bars")
    spacing = np.diff(ts)
    if bool((spacing == spacing[0]).all()):  # evenly spaced: no need to count
        step = int(spacing[0])
    else:
        values, counts = np.unique(spacing, return_counts=True)
        step = int(values[np.argmax(counts)])
    for text in Timeframe.SUPPORTED:
        tf = Timeframe.parse(text)
        if tf.nanos == step:
            return tf
    raise ReplayError(f"{symbol}: cannot infer a timeframe from a bar spacing of {step} ns")


def _close_times(ts_open: NDArray[np.int64], tf: Timeframe) -> NDArray[np.int64]:
    if not tf.is_calendar:
        return ts_open + tf.nanos
    return np.array([tf.close_time(int(t)) for t in ts_open], dtype=np.int64)


def merge_schedule(series: list[BarSeries]) -> tuple[list[int], list[int]]:
    """The delivery order of every bar of ``series``: parallel lists (series index, row).

    Sorted by close time; ties: the longer timeframe first, then the order given.
    """
    if len(series) == 1:
        n = len(series[0])
        return [0] * n, list(range(n))
    ts = np.concatenate([s.ts_close for s in series])
    which = np.concatenate([np.full(len(s), k, dtype=np.int64) for k, s in enumerate(series)])
    rows = np.concatenate([np.arange(len(s), dtype=np.int64) for s in series])
    span = np.concatenate([np.full(len(s), -_span(s), dtype=np.int64) for s in series])
    order = np.lexsort((which, span, ts))
    return which[order].tolist(), rows[order].tolist()


def _span(series: BarSeries) -> int:
    return series.timeframe.nanos
