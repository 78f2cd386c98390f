"""Walk-forward analysis: optimize on each train window, trade the test window after it.

``walk_forward(data, SmaCross, {"fast": range(5, 50, 5), "slow": range(20, 200, 20)},
train="180d", test="30d")`` cuts the bars into windows (:mod:`~tradeforge.optimize.windows`),
runs a search on every train part (``Backtest.optimize`` on those bars alone, on the chosen
executor), trades the best parameters on the test part after it, warmed up on earlier bars
(:mod:`~tradeforge.optimize.window_run`), and returns a
:class:`~tradeforge.optimize.walkforward_result.WalkForwardResult`: the per-window table, the
stitched out-of-sample equity and trades, the walk-forward efficiency and the stability of the
chosen parameters. See "Walk-forward" in ``docs/optimization.md``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tradeforge.backtest.facade import Backtest, Data
from tradeforge.optimize.errors import OptimizeError
from tradeforge.optimize.executors import Executor, make_executor
from tradeforge.optimize.objective import GoalSpec, Objective
from tradeforge.optimize.run import BacktestSetup, optimize_backtest
from tradeforge.optimize.space import Constraint
from tradeforge.optimize.walkforward_result import WalkForwardResult, WindowOutcome
from tradeforge.optimize.window_run import run_in_sample, run_test_window, sliced
from tradeforge.optimize.windows import Span, Window, make_windows
from tradeforge.strategy.base import Strategy


def walk_forward(
    data: Backtest | Data,
    strategy: type[Strategy] | None = None,
    space: Mapping[str, Any] | None = None,
    *,
    train: Span,
    test: Span,
    step: Span | None = None,
    anchored: bool = False,
    warmup: Span | None = None,
    maximize: GoalSpec | Sequence[GoalSpec] | None = None,
    minimize: GoalSpec | Sequence[GoalSpec] | None = None,
    method: str = "grid",
    trials: int | None = None,
    constraint: Constraint | str | None = None,
    min_trades: int = 0,
    executor: str | Executor = "process",
    workers: int | None = None,
    address: str | None = None,
    seed: int | None = 0,
    progress: bool | None = None,
    **backtest_options: Any,
) -> WalkForwardResult:
    """Optimize on rolling (or anchored) train windows, trade each following test window.

    Parameters
    ----------
    data : Backtest, DataFrame, mapping of symbol to DataFrame, or list of BarSeries
        A ``Backtest`` (its strategy, bars and venue settings), or the bars of a new one
        built with ``strategy`` and ``backtest_options`` (``cash``, ``commission``, ...).
    strategy : type of Strategy, optional
        Needed with bars; must be omitted (or the same) with a ``Backtest``.
    space : mapping
        The searched parameters, as ``Backtest.optimize`` takes them as keywords.
    train, test : int, str or Timedelta
        Lengths of the train and test parts: bar counts (``720``) or durations (``"180d"``),
        both the same kind. Windows are cut on the first series' open times.
    step : int, str or Timedelta, optional
        How far each window moves on; default ``test``. Never shorter than ``test``.
    anchored : bool
        Every train part starts at the first bar (growing); default rolling (fixed length).
    warmup : int, str or Timedelta, optional
        How far before each test part its run starts, so indicators are defined when the
        test part begins; default the train part's start. No order is placed before the test
        part (see :mod:`tradeforge.optimize.window_run`). A longer warm-up changes the
        values of indicators with memory (EMA) at the test start, so it can change results.
    maximize, minimize : str or callable
        One goal (default: maximize ``sharpe``); a callable receives the run of a train
        part's trial, and out of sample the test part's
        :class:`~tradeforge.optimize.window_run.WindowRun`.
    method, trials, constraint, min_trades, seed
        Each train window's search, as in ``Backtest.optimize`` (event mode). A window with
        no eligible trial is not traded (its equity stays flat).
    executor, workers, address
        Where each train window's trials run (``process``, ``serial``, ``ray``); one
        executor, started anew for every window.
    progress : bool, optional
        A progress bar per window's search.
    **backtest_options
        ``Backtest`` settings when ``data`` is bars.

    Returns
    -------
    WalkForwardResult
        ``windows`` (one row per window), ``equity`` and ``trades`` (stitched out of sample),
        ``efficiency``, ``value_efficiency``, ``stability``, ``report(path)``.

    Raises
    ------
    OptimizeError
        For bad window lengths, data too short for one window, several goals, or any bad
        search setting.
    """
    setup = _setup(data, strategy, backtest_options)
    objective = Objective.build(maximize, minimize, min_trades)
    if objective.multi:
        raise OptimizeError("a walk-forward picks one point per window: give one goal")
    primary = setup.series[0]
    windows = make_windows(
        primary.ts_open,
        int(primary.ts_close[-1]),
        train=train,
        test=test,
        step=step,
        anchored=anchored,
        warmup=warmup,
    )
    pool = make_executor(executor, workers=workers, address=address)
    search = {
        "maximize": maximize,
        "minimize": minimize,
        "method": method,
        "trials": trials,
        "constraint": constraint,
        "min_trades": min_trades,
        "executor": pool,
        "seed": seed,
        "progress": progress,
    }
    outcomes = [_walk(setup, w, dict(space or {}), search) for w in windows]
    settings = {
        "train": str(train),
        "test": str(test),
        "step": str(step or test),
        "anchored": anchored,
        "warmup": "train start" if warmup is None else str(warmup),
        "method": method,
        "objective": objective.describe(),
    }
    return WalkForwardResult.build(outcomes, setup, objective, settings)


def _setup(
    data: Backtest | Data, strategy: type[Strategy] | None, options: dict[str, Any]
) -> BacktestSetup:
    if isinstance(data, Backtest):
        if options:
            raise OptimizeError(
                f"Backtest settings go to the Backtest, not here: {', '.join(options)}"
            )
        if strategy is not None and strategy is not data.strategy:
            raise OptimizeError(
                f"the Backtest runs {data.strategy.__name__}, not {strategy.__name__}"
            )
        return BacktestSetup.of(data)
    if strategy is None:
        raise OptimizeError("give the strategy to walk forward with the bars")
    return BacktestSetup.of(Backtest(data, strategy, **options))


def _walk(
    setup: BacktestSetup, window: Window, space: dict[str, Any], search: dict[str, Any]
) -> WindowOutcome:
    """One window: the search on its train part, then its test part with the best point."""
    train = sliced(setup, window.train_start, window.train_end)
    result = optimize_backtest(train, space, **search)
    if not len(result.eligible):
        return WindowOutcome(window, result, None, None, None)
    chosen = result.best_params
    in_sample = run_in_sample(train, chosen)
    tested = run_test_window(setup, chosen, window.warmup_start, window.test_start, window.test_end)
    return WindowOutcome(window, result, chosen, in_sample.equity, tested)
