"""One test window traded with chosen parameters: warmed up on earlier bars, counted from its start.

The run covers the bars opening in ``[warmup_start, test_end)``. Its strategy is the chosen
strategy with :attr:`~tradeforge.strategy.base.Strategy.warmup` raised to the first bar of the
test window after ``on_start`` (:func:`gated`): the indicators are computed over every bar of
the run, but ``on_bar`` is first called at the test window's first bar, so no order exists
before it (timers the strategy sets in ``on_start`` still fire). The equity before the test
window is therefore the starting cash, and the run's trades, fees and funding all belong to
the test window.

:class:`WindowRun` keeps the test part: the equity at the test bars' closes, the trades, and
statistics computed by :func:`~tradeforge.backtest.stats.compute_stats` on that part alone
(the initial cash anchored at the first test bar's open, exposure over the test bars, buy and
hold from the first test open to the last close), with the run's calendar and risk-free rate.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, cast

import pandas as pd

from tradeforge.backtest.facade import Backtest
from tradeforge.backtest.result import BacktestResult
from tradeforge.backtest.stats import CALENDARS, Stats, compute_stats
from tradeforge.data.replay import BarSeries
from tradeforge.optimize.objective import Objective, stats_row
from tradeforge.optimize.run import BacktestSetup
from tradeforge.optimize.trial import TrialSpec, build_backtest
from tradeforge.optimize.windows import bars_between
from tradeforge.strategy.base import Strategy


@dataclass(frozen=True)
class WindowRun:
    """The test part of a window's run; what a goal function receives out of sample.

    Attributes
    ----------
    params : dict
        The parameters traded.
    stats : Stats
        Statistics of the test part only.
    equity : Series
        Equity at every test bar's close (the run starts from the setup's cash).
    trades : DataFrame
        The run's trades (every one opened inside the test part), as ``BacktestResult.trades``.
    held_bars : int
        Test bars with an open position.
    hold_return : float
        Buy and hold of the first symbol over the test part, a fraction.
    result : BacktestResult
        The whole run, warm-up bars included.
    """

    params: dict[str, Any]
    stats: Stats
    equity: pd.Series
    trades: pd.DataFrame
    held_bars: int
    hold_return: float
    result: BacktestResult


def sliced(setup: BacktestSetup, start: int, end: int) -> BacktestSetup:
    """The setup on the bars opening in ``[start, end)`` of every series (detail included);
    same strategy, instruments and venue settings."""
    return replace(
        setup,
        series=[_slice(s, start, end) for s in setup.series],
        detail=[_slice(s, start, end) for s in setup.detail],
    )


def gated(strategy: type[Strategy], first_bar: int) -> type[Strategy]:
    """A subclass of ``strategy`` (same name) whose ``on_bar`` starts at bar ``first_bar`` of
    its primary series or later: its ``warmup`` is raised to it after ``on_start``."""

    def on_start(self: Strategy) -> None:
        strategy.on_start(self)
        self.warmup = max(self.warmup, first_bar)

    namespace = {
        "on_start": on_start,
        "__module__": strategy.__module__,
        "__qualname__": strategy.__qualname__,
        "__doc__": strategy.__doc__,
    }
    return cast(type[Strategy], type(strategy.__name__, (strategy,), namespace))


def run_in_sample(setup: BacktestSetup, params: dict[str, Any]) -> BacktestResult:
    """The strategy with ``params`` on every bar of ``setup`` (a train part), as
    ``Backtest.run`` does."""
    return _backtest(setup, setup.strategy).run(**params)


def run_test_window(
    setup: BacktestSetup, params: dict[str, Any], warmup_start: int, test_start: int, end: int
) -> WindowRun:
    """Trade ``params`` on ``[warmup_start, end)`` with no order before ``test_start``; keep
    the test part (see the module docstring)."""
    part = sliced(setup, warmup_start, end)
    first_bar = bars_between(part.series[0].ts_open, warmup_start, test_start).stop
    result = _backtest(part, gated(setup.strategy, first_bar)).run(**params)
    return keep_test_part(result, first_bar)


def keep_test_part(result: BacktestResult, first_bar: int) -> WindowRun:
    """The bars from ``first_bar`` on of a run that had no position before them."""
    equity, trades = result.equity.iloc[first_bar:], result.trades
    # no position before first_bar: every held bar of the run is a test bar
    held = round(result.stats.exposure_pct / 100.0 * len(result.equity))
    primary = result.run.series[0]
    hold = float(primary.close[-1] / primary.open[first_bar] - 1.0)
    config, portfolio = result.run.config, result.portfolio
    stats = compute_stats(
        equity,
        trades,
        initial_cash=portfolio.initial_cash,
        final_equity=result.final_equity,
        fees=portfolio.fees,
        funding_paid=portfolio.funding,
        buy_and_hold=hold,
        exposure=held / len(equity),
        bar_seconds=primary.timeframe.nanos / 1e9,
        calendar=CALENDARS[config.calendar],
        risk_free_rate=config.risk_free_rate,
        periods_per_year=12.0 if primary.timeframe.is_calendar else None,
    )
    return WindowRun(dict(result.params), stats, equity, trades, held, hold, result)


def window_value(objective: Objective, run: WindowRun) -> float:
    """The first goal's value of a test part (a goal function receives the :class:`WindowRun`)."""
    return objective.goals[0].evaluate(run, stats_row(run.stats))


def _backtest(setup: BacktestSetup, strategy: type[Strategy]) -> Backtest:
    spec = TrialSpec(strategy, setup.config, tuple(setup.instruments), Objective.build())
    return build_backtest(spec, setup.series, setup.detail)


def _slice(series: BarSeries, start: int, end: int) -> BarSeries:
    rows = bars_between(series.ts_open, start, end)
    return BarSeries(
        series.symbol,
        series.timeframe,
        series.ts_open[rows],
        series.open[rows],
        series.high[rows],
        series.low[rows],
        series.close[rows],
        series.volume[rows],
    )
