"""The windows of a walk-forward analysis: where each train, warm-up and test part begins and ends.

Lengths are bar counts (``720``, or ``"720"`` on the command line) or durations
(``"180d"``, ``"12h"``, ``"30m"``, ``"4w"`` with the units of timeframes, or a
``timedelta``); ``train``, ``test`` and ``step`` are all of
one kind. Window ``k`` (from 0) is, on the open times of the primary series (``t0`` the first
bar's open, ``n`` bars):

* by bars: train bars ``[k × step, k × step + train)`` (anchored: ``[0, k × step + train)``),
  test bars ``[k × step + train, k × step + train + test)``, while the test part ends at or
  before bar ``n``;
* by durations: the bars whose open time is in ``[t0 + k × step, t0 + k × step + train)``
  (anchored: from ``t0``), then ``[.., .. + test)``, while the test part ends at or before the
  last bar's close.

A test window that would pass the end of the data is not made: the bars after the last test
window are not traded. ``step`` defaults to ``test`` (test windows one after the other); a
shorter step would make test windows overlap and is refused. The **warm-up** part is the
stretch before the test window its run starts at, so that indicators are defined when the test
window begins: by default the train window's start (the test run sees the history the
parameters were chosen on); else ``warmup`` bars or a duration before the test start (clamped
to the data's start).

Every boundary is a time in nanoseconds (the open time of a part's first bar; an end is
exclusive: the next part's first open, or the last bar's close at the data's end).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from tradeforge.optimize.errors import OptimizeError

Span = int | str | timedelta
_DURATION = re.compile(r"^\s*(-?\d+)\s*([smhdw])\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3_600, "d": 86_400, "w": 604_800}
"""A length: a bar count (an int, or a string of digits) or a duration (``"180d"``)."""


@dataclass(frozen=True, slots=True)
class Window:
    """One train part and the test part after it (times in ns UTC, ends exclusive).

    Attributes
    ----------
    index : int
        The window's number, from 0.
    train_start, train_end : int
        The train part: the bars whose open time is in ``[train_start, train_end)``.
    test_start, test_end : int
        The test part, ``test_start == train_end``.
    warmup_start : int
        Where the test run starts (``<= test_start``); its bars before ``test_start`` only
        warm the indicators up.
    """

    index: int
    train_start: int
    train_end: int
    test_start: int
    test_end: int
    warmup_start: int


def parse_span(value: Span, name: str) -> int | pd.Timedelta:
    """A length as a bar count (int) or a positive duration.

    Raises
    ------
    OptimizeError
        Naming ``name`` when the value is neither, or not positive.
    """
    if isinstance(value, bool):
        raise OptimizeError(f"{name} must be a bar count or a duration like '180d', got {value!r}")
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, int | np.integer):
        if value < 1:
            raise OptimizeError(f"{name} must be at least 1 bar, got {value}")
        return int(value)
    duration = _duration(value)
    if duration is None:
        raise OptimizeError(f"{name} must be a bar count or a duration like '180d', got {value!r}")
    if pd.isna(duration) or duration <= pd.Timedelta(0):
        raise OptimizeError(f"{name} must be a positive duration, got {value!r}")
    return duration


def _duration(value: object) -> pd.Timedelta | None:
    """``"180d"``, ``"12h"``, ``"-2d"`` (units s, m, h, d, w, as timeframes) or a timedelta."""
    if isinstance(value, str):
        match = _DURATION.match(value)
        if match is None:
            return None
        return pd.Timedelta(seconds=int(match[1]) * _UNIT_SECONDS[match[2]])
    if isinstance(value, timedelta):
        return pd.Timedelta(value)
    return None


def make_windows(
    ts_open: NDArray[np.int64],
    data_end: int,
    *,
    train: Span,
    test: Span,
    step: Span | None = None,
    anchored: bool = False,
    warmup: Span | None = None,
) -> list[Window]:
    """The windows over bars opening at ``ts_open`` (see the module docstring).

    Parameters
    ----------
    ts_open : ndarray of int64
        The primary series' open times, increasing.
    data_end : int
        The last bar's close time.
    train, test, step : int, str or Timedelta
        Lengths, all bar counts or all durations; ``step`` defaults to ``test``.
    anchored : bool
        Every train part starts at the first bar (else they roll forward by ``step``).
    warmup : int, str or Timedelta, optional
        Bars (or a duration) before each test part its run starts at; default: the train
        part's start.

    Raises
    ------
    OptimizeError
        For mixed or bad lengths, a step shorter than the test part, a part without bars, or
        data too short for one window.
    """
    by_bars, (train_n, test_n, step_n) = _lengths(train, test, step)
    if step_n < test_n:
        raise OptimizeError(
            f"step {step!r} is shorter than test {test!r}: test windows would overlap"
        )
    cut = _bar_bounds if by_bars else _time_bounds
    bounds = cut(ts_open, data_end, train_n, test_n, step_n, anchored=anchored)
    if not bounds:
        raise OptimizeError(
            f"the data ({len(ts_open):,} bars from {_stamp(int(ts_open[0]))} to "
            f"{_stamp(data_end)}) is shorter than one train and test window ({train} + {test})"
        )
    margin = None if warmup is None else parse_span(warmup, "warmup")
    windows = [
        Window(k, a, b, b, c, _warmup_start(ts_open, a, b, margin))
        for k, (a, b, c) in enumerate(bounds)
    ]
    for window in windows:
        _check_bars(ts_open, window)
    return windows


def bars_between(ts_open: NDArray[np.int64], start: int, end: int) -> slice:
    """The rows of the bars opening in ``[start, end)``."""
    low = int(np.searchsorted(ts_open, start, side="left"))
    high = int(np.searchsorted(ts_open, end, side="left"))
    return slice(low, high)


def _lengths(train: Span, test: Span, step: Span | None) -> tuple[bool, list[int]]:
    """Whether the lengths are bar counts, and the lengths in bars or in nanoseconds."""
    spans = [parse_span(train, "train"), parse_span(test, "test")]
    spans.append(spans[1] if step is None else parse_span(step, "step"))
    counts = [x for x in spans if isinstance(x, int)]
    if 0 < len(counts) < len(spans):
        raise OptimizeError("train, test and step must all be bar counts or all be durations")
    if counts:
        return True, counts
    return False, [int(x.value) for x in spans if isinstance(x, pd.Timedelta)]


def _bar_bounds(
    ts: NDArray[np.int64], data_end: int, train: int, test: int, step: int, *, anchored: bool
) -> list[tuple[int, int, int]]:
    n = len(ts)

    def at(i: int) -> int:
        return int(ts[i]) if i < n else data_end

    bounds = []
    k = 0
    while k * step + train + test <= n:
        first = 0 if anchored else k * step
        split = k * step + train
        bounds.append((at(first), at(split), at(split + test)))
        k += 1
    return bounds


def _time_bounds(
    ts: NDArray[np.int64],
    data_end: int,
    train_ns: int,
    test_ns: int,
    step_ns: int,
    *,
    anchored: bool,
) -> list[tuple[int, int, int]]:
    t0 = int(ts[0])
    bounds = []
    k = 0
    while t0 + k * step_ns + train_ns + test_ns <= data_end:
        split = t0 + k * step_ns + train_ns
        bounds.append((t0 if anchored else t0 + k * step_ns, split, split + test_ns))
        k += 1
    return bounds


def _warmup_start(
    ts: NDArray[np.int64], train_start: int, test_start: int, margin: int | pd.Timedelta | None
) -> int:
    if margin is None:
        return train_start
    if isinstance(margin, pd.Timedelta):
        return max(test_start - int(margin.value), int(ts[0]))
    first_test = int(np.searchsorted(ts, test_start, side="left"))
    return int(ts[max(first_test - margin, 0)])


def _check_bars(ts: NDArray[np.int64], window: Window) -> None:
    for part, start, end in (
        ("train", window.train_start, window.train_end),
        ("test", window.test_start, window.test_end),
    ):
        rows = bars_between(ts, start, end)
        if rows.stop <= rows.start:
            raise OptimizeError(
                f"window {window.index} has no {part} bars between {_stamp(start)} and "
                f"{_stamp(end)}: a gap in the data"
            )


def _stamp(ns: int) -> str:
    return str(pd.Timestamp(ns, unit="ns", tz="UTC"))
