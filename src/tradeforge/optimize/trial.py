"""One trial: run the backtest with a point of the space and keep its statistics.

A :class:`TrialSpec` is everything a worker needs besides the bars (sent once per worker);
an :class:`Evaluator` is built once per worker process from it and the bars, so the
``Backtest`` (its series, its inferred instruments) is not rebuilt per trial; each
:meth:`Evaluator.evaluate` returns a small :class:`TrialOutcome` (parameters, goal values,
statistics as numbers), never the run itself.
"""

from __future__ import annotations

import gc
import math
import os
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd

from tradeforge.backtest.config import BacktestConfig
from tradeforge.backtest.facade import Backtest
from tradeforge.backtest.result import BacktestResult
from tradeforge.backtest.stats import Stats
from tradeforge.data.replay import BarSeries
from tradeforge.model.instrument import Instrument
from tradeforge.optimize.objective import Objective, stats_row
from tradeforge.optimize.vector_stats import VectorRun, close_index
from tradeforge.strategy.base import Strategy
from tradeforge.strategy.params import ParameterError

Mode = Literal["event", "vector"]


@dataclass(frozen=True)
class TrialSpec:
    """What every trial shares: the strategy, the venue, the goals and the mode.

    Attributes
    ----------
    strategy : type of Strategy
    config : BacktestConfig
    instruments : tuple of Instrument
    objective : Objective
    mode : {"event", "vector"}
        ``Backtest.run`` (every order through the engines) or ``Backtest.run_vectorized``
        (the compiled signal core; the strategy needs ``signals()``).
    quantity, fraction : float
        The vectorized mode's order size (one of them > 0).
    """

    strategy: type[Strategy]
    config: BacktestConfig
    instruments: tuple[Instrument, ...]
    objective: Objective
    mode: Mode = "event"
    quantity: float = 0.0
    fraction: float = 0.0


@dataclass(frozen=True, slots=True)
class TrialOutcome:
    """What a trial sends back.

    Attributes
    ----------
    index : int
        The point's number in the search (grid order, or the model-based trial number).
    params : dict
        Every parameter of the run.
    values : tuple of float
        Each goal's value (NaN when the strategy refused the parameters).
    stats : dict of str to float
        :func:`~tradeforge.optimize.objective.stats_row` (empty when refused).
    error : str
        The strategy's refusal of the parameters (``ParameterError``), else ``""``.
    seconds : float
        Wall time of the trial.
    worker : int
        The process id that ran it.
    peak_rss_mb : float
        That process's peak resident memory so far, MB.
    """

    index: int
    params: dict[str, Any]
    values: tuple[float, ...]
    stats: dict[str, float] = field(default_factory=dict)
    error: str = ""
    seconds: float = 0.0
    worker: int = 0
    peak_rss_mb: float = 0.0

    @property
    def valid(self) -> bool:
        """Whether the run happened (the strategy accepted the parameters)."""
        return not self.error


class Evaluator:
    """Runs trials in one process; built once per process.

    Parameters
    ----------
    spec : TrialSpec
    series : list of BarSeries
        The bars; the first series is the primary one.
    detail : list of BarSeries
        Lower-timeframe bars (may be empty).
    """

    def __init__(self, spec: TrialSpec, series: list[BarSeries], detail: list[BarSeries]) -> None:
        self.spec = spec
        self.backtest = build_backtest(spec, series, detail)
        self._index: pd.DatetimeIndex | None = None

    def evaluate(self, index: int, params: dict[str, Any]) -> TrialOutcome:
        """Run the backtest with ``params``; a ``ParameterError`` makes an invalid outcome,
        any other exception propagates.

        A run leaves reference cycles (strategy, engine, portfolio) that hold arrays as long
        as the bars, and the engine hands what it built to the oldest generation, which the
        collector rarely visits: over a sweep, memory would grow by a run's size per trial.
        So the trial runs with the automatic collector off, then one collection frees the
        run, and :func:`gc.freeze` takes what survives out of later scans, so each collection
        only walks what the last trial created (the caller's objects included, once;
        :func:`release_frozen` gives them back).
        """
        enabled = gc.isenabled()
        gc.disable()
        try:
            return self._evaluate(index, params)
        finally:
            gc.collect()
            gc.freeze()
            if enabled:
                gc.enable()

    def _evaluate(self, index: int, params: dict[str, Any]) -> TrialOutcome:
        start = time.perf_counter()
        goals = len(self.spec.objective.goals)
        try:
            result = self._run(params)
        except ParameterError as error:
            return TrialOutcome(index, params, (math.nan,) * goals, error=str(error),
                                seconds=time.perf_counter() - start, worker=os.getpid(),
                                peak_rss_mb=peak_rss_mb())  # fmt: skip
        row = stats_row(_kept_stats(result))
        values = self.spec.objective.values(result, row)
        return TrialOutcome(index, params, values, row, seconds=time.perf_counter() - start,
                            worker=os.getpid(), peak_rss_mb=peak_rss_mb())  # fmt: skip

    def _run(self, params: dict[str, Any]) -> BacktestResult | VectorRun:
        if self.spec.mode == "event":
            return self.backtest.run(**params)
        result = self.backtest.run_vectorized(
            quantity=self.spec.quantity, fraction=self.spec.fraction, **params
        )
        if self._index is None:
            self._index = close_index(result.series.ts_close)
        return VectorRun(result, self.backtest.config, self._index)


def _kept_stats(result: BacktestResult | VectorRun) -> Stats:
    """The statistics a trial keeps: an event-driven run's without the per-symbol breakdown,
    which no row holds (the same figures as ``result.stats``, without its table)."""
    if isinstance(result, BacktestResult):
        return result.stats_with(by_symbol=False)
    return result.stats


def build_backtest(spec: TrialSpec, series: list[BarSeries], detail: list[BarSeries]) -> Backtest:
    """The ``Backtest`` of a search, rebuilt from its parts (in a worker, on shared bars)."""
    config = spec.config
    settings = {k: getattr(config, k) for k in config.model_fields_set if k != "funding"}
    if config.funding:
        settings["funding"] = config.funding
    return Backtest(
        series,
        spec.strategy,
        instruments=list(spec.instruments),
        detail=detail or None,
        **settings,
    )


def release_frozen() -> None:
    """Return the objects :meth:`Evaluator.evaluate` froze to the collector (after a search in
    the caller's own process)."""
    gc.unfreeze()


def peak_rss_mb() -> float:
    """This process's peak resident memory in MB (0.0 where the OS does not tell)."""
    try:
        import resource  # noqa: PLC0415 - POSIX only
    except ImportError:  # pragma: no cover - Windows
        return 0.0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024
