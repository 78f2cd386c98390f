"""Recursive analysis: how much history an indicator needs before its values stop moving.

An indicator computed over a backtest starts from the first bar loaded. A moving average of
``w`` bars is exact once ``w - 1`` bars precede the bar it is for; an EMA, an RSI or anything
else recursive carries its seed forever, shrinking geometrically, so its value at a bar depends
on how much history was loaded. Live, a strategy starts with whatever history it fetches: an
indicator that has not settled by then trades differently from its backtest.

:func:`recursive_analysis` computes the strategy's indicators on the last ``window`` bars of
the data with several lengths of history before them, and compares each with the run on all
the history the data has (the *reference*). For each indicator it reports the relative
difference at the window's bars for every history length tried, and the shortest history from
which it stays within ``tolerance`` of the reference (*settle*), refined to the bar: from the
shortest tried length from which every longer tried length is within tolerance, every shorter
length is checked one bar at a time, down to the first that is not (or to the tried length
below). Near the tolerance a recursive indicator's difference wobbles with the data its seed
comes from, so a history can fail while a shorter one passes; the scan finds the shortest
history from which *every* longer one checked passes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from tradeforge.analysis.bars import analysis_series, starting_at
from tradeforge.analysis.errors import AnalysisError
from tradeforge.analysis.outputs import FloatArray, Output, strategy_outputs
from tradeforge.backtest.facade import Data
from tradeforge.data.replay import BarSeries
from tradeforge.strategy.base import Strategy

HISTORIES = (25, 50, 100, 200, 500, 1000, 2000, 5000)
"""History lengths tried by default (bars before the evaluation window)."""
TOLERANCE = 1e-4
"""Default largest relative difference of a settled indicator (0.01 %)."""


@dataclass(frozen=True)
class RecursiveLine:
    """How one indicator depends on the history loaded.

    Attributes
    ----------
    name : str
        The indicator's name.
    differences : dict of int to float
        For each history length tried (bars before the window), the largest absolute
        difference from the reference over the window's bars, relative to the mean absolute
        reference value there; ``inf`` where one run has a value and the other has not.
    settle_bars : int or None
        The shortest history (in primary bars) from which the difference stays within the
        tolerance at every longer length tried; None when even the longest length tried
        differs (load more history, or give more data to test with).
    """

    name: str
    differences: dict[int, float]
    settle_bars: int | None


@dataclass(frozen=True)
class RecursiveReport:
    """What :func:`recursive_analysis` found.

    Attributes
    ----------
    strategy : str
    params : dict
    window : int
        Bars evaluated (the last ones of the primary series).
    tolerance : float
    reference : int
        History bars of the reference run (all bars before the window).
    histories : tuple of int
        History lengths tried (those shorter than the reference).
    lines : tuple of RecursiveLine
        One per indicator, in the strategy's order.
    """

    strategy: str
    params: dict[str, Any]
    window: int
    tolerance: float
    reference: int
    histories: tuple[int, ...]
    lines: tuple[RecursiveLine, ...]

    def frame(self) -> pd.DataFrame:
        """One row per indicator: the relative difference at each history, and ``settle_bars``."""
        rows = {
            line.name: {**line.differences, "settle_bars": line.settle_bars} for line in self.lines
        }
        return pd.DataFrame.from_dict(
            rows, orient="index", columns=[*self.histories, "settle_bars"]
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain values for JSON (``inf`` as ``None``)."""
        return {
            "strategy": self.strategy,
            "params": self.params,
            "window": self.window,
            "tolerance": self.tolerance,
            "reference": self.reference,
            "histories": list(self.histories),
            "indicators": [
                {
                    "name": line.name,
                    "differences": {str(h): _finite(d) for h, d in line.differences.items()},
                    "settle_bars": line.settle_bars,
                }
                for line in self.lines
            ],
        }


def recursive_analysis(
    strategy: type[Strategy],
    data: Data,
    params: Mapping[str, Any] | None = None,
    *,
    histories: Sequence[int] = HISTORIES,
    window: int = 100,
    tolerance: float = TOLERANCE,
    symbol: str = "ASSET/USD",
) -> RecursiveReport:
    """Find how much history each indicator of ``strategy`` needs to settle.

    Parameters
    ----------
    strategy : type of Strategy
    data : DataFrame, mapping of symbol to DataFrame, or list of BarSeries
        As :class:`~tradeforge.backtest.Backtest` takes it; the more bars before the window,
        the better the reference (it is only as settled as the data is long).
    params : mapping, optional
        Strategy parameters.
    histories : sequence of int
        History lengths to try, in primary bars before the window; those not shorter than
        the data's are dropped.
    window : int
        How many of the last primary bars are compared.
    tolerance : float
        Largest relative difference counted as settled.
    symbol : str
        The symbol of a single DataFrame.

    Returns
    -------
    RecursiveReport

    Raises
    ------
    AnalysisError
        For a window not shorter than the data, no history length to try, or a tolerance
        that is not positive.

    Notes
    -----
    Each history length checked costs one computation of the strategy's indicators; the scan
    below the settled tried length checks every bar down to the settle (or the tried length
    below). Lengths between tried lengths above that one are not checked.
    """
    chosen = dict(params or {})
    series = analysis_series(data, strategy(**chosen), symbol)
    reference = len(series[0]) - window
    lengths = _lengths(histories, window, reference, tolerance)
    runs = _Differences(strategy, chosen, series, reference)
    lines = tuple(
        RecursiveLine(
            name, {h: runs.at(h)[k] for h in lengths}, _settle(runs, k, lengths, tolerance)
        )
        for k, name in enumerate(runs.names)
    )
    return RecursiveReport(strategy.__name__, chosen, window, tolerance, reference, lengths, lines)


class _Differences:
    """Every output's relative difference from the reference per history length, computed once
    per length (the outputs themselves are not kept)."""

    def __init__(
        self,
        strategy: type[Strategy],
        params: dict[str, Any],
        series: list[BarSeries],
        window_start: int,
    ) -> None:
        self._strategy, self._params, self._series = strategy, params, series
        self._start = window_start
        full = self._outputs(window_start)
        since = int(series[0].ts_open[window_start])
        self._sizes = [_window_bars(series[o.series], since) for o in full]
        self.names = [o.name for o in full]
        self._reference = [_tail(o.values, n) for o, n in zip(full, self._sizes, strict=True)]
        self._done: dict[int, tuple[float, ...]] = {}

    def at(self, history: int) -> tuple[float, ...]:
        """Each output's difference with ``history`` primary bars before the window."""
        if history not in self._done:
            outputs = self._outputs(history)
            self._done[history] = tuple(
                relative_difference(_tail(o.values, n), reference)
                for o, n, reference in zip(outputs, self._sizes, self._reference, strict=True)
            )
        return self._done[history]

    def _outputs(self, history: int) -> tuple[Output, ...]:
        since = int(self._series[0].ts_open[self._start - history])
        trimmed = starting_at(self._series, since)
        return strategy_outputs(self._strategy, self._params, trimmed)


def _settle(runs: _Differences, k: int, lengths: tuple[int, ...], tolerance: float) -> int | None:
    """Output ``k``'s shortest settled history (see the module docstring), or None."""
    first = len(lengths)
    while first > 0 and runs.at(lengths[first - 1])[k] <= tolerance:
        first -= 1
    if first == len(lengths):
        return None
    floor = lengths[first - 1] if first else -1
    settled = lengths[first]
    while settled - 1 > floor and runs.at(settled - 1)[k] <= tolerance:
        settled -= 1
    return settled


def _tail(values: FloatArray, size: int) -> FloatArray:
    return values[len(values) - size :]


def relative_difference(values: FloatArray, reference: FloatArray) -> float:
    """Largest ``|values - reference|`` over the mean ``|reference|`` (``inf`` where only one
    has a value; 0 where neither has)."""
    missing = np.isnan(values) != np.isnan(reference)
    if missing.any():
        return float("inf")
    both = ~np.isnan(reference)
    if not both.any():
        return 0.0
    gap = float(np.max(np.abs(values[both] - reference[both])))
    scale = float(np.mean(np.abs(reference[both])))
    if scale == 0.0:
        return 0.0 if gap == 0.0 else float("inf")
    return gap / scale


def _lengths(
    histories: Sequence[int], window: int, reference: int, tolerance: float
) -> tuple[int, ...]:
    if window < 1 or reference < 1:
        raise AnalysisError(
            f"window must be at least 1 bar and leave history before it, got {window} of "
            f"{window + reference} bars"
        )
    if not tolerance > 0:
        raise AnalysisError(f"tolerance must be positive, got {tolerance}")
    if any(h < 0 for h in histories):
        raise AnalysisError(f"history lengths must be 0 or more, got {sorted(histories)}")
    lengths = tuple(sorted({int(h) for h in histories if h < reference}))
    if not lengths:
        raise AnalysisError(
            f"no history length below the {reference} bars before the window: give more data "
            "or shorter --history lengths"
        )
    return lengths


def _window_bars(series: BarSeries, since_ns: int) -> int:
    """Bars of ``series`` opening at or after ``since_ns`` (the evaluation window's)."""
    return int(np.count_nonzero(series.ts_open >= since_ns))


def _finite(value: float) -> float | None:
    return value if np.isfinite(value) else None
