"""Keeping big traces drawable: decimation that keeps extremes, OHLC bucketing, short times.

A browser draws a few tens of thousands of SVG points comfortably; a six-year hourly run has
46,000 bars per trace. Above :data:`MAX_POINTS` a line keeps each bucket's lowest and highest
point (so drawdowns and peaks survive) and candles are merged into candles of ``k`` bars (exact
OHLC of the bucket). Everything here is vectorized.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

MAX_POINTS = 20_000
"""Points per price or equity trace above which the trace is downsampled."""

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
TimeArray = NDArray[np.datetime64]


def keep_extremes(values: FloatArray, max_points: int = MAX_POINTS) -> IntArray:
    """Indices to draw so that at most ``max_points`` points remain, extremes kept.

    Parameters
    ----------
    values : numpy.ndarray of float64
        The trace's values, in time order.
    max_points : int
        The most points to keep (at least 4).

    Returns
    -------
    numpy.ndarray of int64
        Sorted unique indices: every index when the trace is short enough, else the first and
        last point and, for each bucket of consecutive points, its minimum and maximum.
    """
    n = len(values)
    if n <= max_points:
        return np.arange(n, dtype=np.int64)
    width = -(-n // max(2, (max_points - 2) // 2))
    rows = -(-n // width)
    padded = np.pad(np.nan_to_num(values, nan=0.0), (0, rows * width - n), mode="edge")
    grid = padded.reshape(rows, width)
    offsets = np.arange(rows, dtype=np.int64) * width
    lows = offsets + np.argmin(grid, axis=1)
    highs = offsets + np.argmax(grid, axis=1)
    picked = np.concatenate(([0, n - 1], np.minimum(lows, n - 1), np.minimum(highs, n - 1)))
    return np.unique(picked)


@dataclass(frozen=True)
class Candles:
    """OHLC bars to draw, possibly merged: ``width`` source bars per candle."""

    time: TimeArray
    open: FloatArray
    high: FloatArray
    low: FloatArray
    close: FloatArray
    width: int

    @property
    def merged(self) -> bool:
        """True when each candle stands for several bars."""
        return self.width > 1


def merge_candles(
    time: TimeArray,
    ohlc: tuple[FloatArray, FloatArray, FloatArray, FloatArray],
    max_points: int = MAX_POINTS,
) -> Candles:
    """Candles of ``k`` consecutive bars each, ``k`` the smallest that fits ``max_points``.

    Parameters
    ----------
    time : numpy.ndarray of datetime64
        Open times of the bars.
    ohlc : tuple of four numpy.ndarray of float64
        Opens, highs, lows and closes.
    max_points : int
        The most candles to keep.

    Returns
    -------
    Candles
        The first open, highest high, lowest low and last close of each bucket, at the
        bucket's first open time (unchanged bars when they already fit).
    """
    opens, highs, lows, closes = ohlc
    n = len(time)
    width = max(1, -(-n // max_points))
    if width == 1:
        return Candles(time, opens, highs, lows, closes, 1)
    starts = np.arange(0, n, width)
    ends = np.minimum(starts + width, n) - 1
    return Candles(
        time=time[starts],
        open=opens[starts],
        high=np.maximum.reduceat(highs, starts),
        low=np.minimum.reduceat(lows, starts),
        close=closes[ends],
        width=width,
    )


def as_times(values: Any) -> TimeArray:
    """UTC times (DatetimeIndex, Series, ns integers or datetime64) as naive datetime64[ns]."""
    if isinstance(values, np.ndarray) and values.dtype.kind in "iu":
        return values.astype("datetime64[ns]")
    index = pd.DatetimeIndex(values)
    if index.tz is not None:
        index = index.tz_convert("UTC").tz_localize(None)
    return index.as_unit("ns").to_numpy()


def epoch_ms(times: TimeArray) -> FloatArray:
    """Times as float milliseconds since 1970 UTC (NaN for NaT), for plotly date axes.

    plotly.js reads numbers on a ``type="date"`` axis as epoch milliseconds; as a float64
    array they travel base64-encoded, about half the size of date strings.
    """
    ns = times.astype("datetime64[ns]")
    ms = ns.astype(np.int64).astype(np.float64) / 1e6
    return np.where(np.isnat(ns), np.nan, ms)


def downsample_note(kept: int, total: int, what: str = "points") -> str:
    """``""`` when nothing was dropped, else a short note for the chart's subtitle."""
    if kept >= total:
        return ""
    return f"downsampled for drawing: {kept:,} of {total:,} {what} (extremes kept)"
