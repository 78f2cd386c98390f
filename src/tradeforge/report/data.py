"""What the report reads from a backtest: curves, the primary bars, indicators, trades, stats.

Everything is taken from a finished :class:`~tradeforge.backtest.result.BacktestResult` as it
is: the equity curve, ``result.trades``, ``result.stats`` and the engine run it carries
(``result.run``: the series replayed and the strategies with their indicator lines).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from tradeforge.data.lines import Line
from tradeforge.data.replay import BarSeries
from tradeforge.report.sampling import FloatArray, TimeArray, as_times

if TYPE_CHECKING:
    from tradeforge.backtest.result import BacktestResult


@dataclass(frozen=True)
class Indicator:
    """One indicator line to draw over (or under) the price.

    Attributes
    ----------
    name : str
        The line's name (``sma_fast``, ``resistance``, ``bbands[0]``).
    time : numpy.ndarray of datetime64
        Where each value is drawn: the bar's open time on the primary series (as its candle),
        the bar's close time on a longer timeframe (when the value became known).
    values : numpy.ndarray of float64
    step : bool
        Drawn as a step (a longer timeframe's level holds until its next close).
    overlay : bool
        On the price axis; otherwise in a panel below (oscillators such as RSI).
    """

    name: str
    time: TimeArray
    values: FloatArray
    step: bool
    overlay: bool


@dataclass(frozen=True)
class ReportData:
    """Everything one report draws, extracted once from a result."""

    title: str
    subtitle: str
    primary: BarSeries
    equity: pd.Series
    benchmark: pd.Series
    initial_cash: float
    trades: pd.DataFrame
    stats: dict[str, Any]
    indicators: list[Indicator]


def report_data(result: BacktestResult, title: str | None = None) -> ReportData:
    """Collect what a report of ``result`` draws.

    Parameters
    ----------
    result : BacktestResult
        A finished event-driven run.
    title : str, optional
        The page title; default ``Strategy(params) on SYMBOL TIMEFRAME``.

    Returns
    -------
    ReportData
    """
    primary = result.run.series[0]
    cash = float(result.portfolio.initial_cash)
    equity = result.equity.astype(np.float64)
    return ReportData(
        title=title or run_label(result),
        subtitle=_period(primary),
        primary=primary,
        equity=equity,
        benchmark=buy_and_hold(primary, equity.index, cash),
        initial_cash=cash,
        trades=result.trades,
        stats=dict(result.stats),
        indicators=indicators_of(result),
    )


def run_label(result: BacktestResult) -> str:
    """``Breakout(lookback_days=20, ...) on BTC/USDT 1h``."""
    names = ", ".join(s.strategy_id for s in result.run.strategies) or "no strategy"
    params = ", ".join(f"{k}={v}" for k, v in result.params.items())
    primary = result.run.series[0]
    return f"{names}({params}) on {primary.symbol} {primary.timeframe}"


def buy_and_hold(primary: BarSeries, index: pd.Index, cash: float) -> pd.Series:
    """The starting cash put into the primary symbol at the first open, valued at each close.

    The same benchmark as the ``buy_and_hold`` statistic (last close over first open), without
    fees, aligned on the equity curve's times.
    """
    if not len(primary):
        return pd.Series(cash, index=index, name="buy_and_hold", dtype=np.float64)
    closes = pd.Series(primary.close, index=pd.to_datetime(primary.ts_close, utc=True))
    value = cash * closes / float(primary.open[0])
    aligned = value.reindex(pd.DatetimeIndex(index), method="ffill").fillna(cash)
    return aligned.rename("buy_and_hold").astype(np.float64)


def indicators_of(result: BacktestResult) -> list[Indicator]:
    """Every strategy's indicator lines on the primary symbol, placed in time.

    Lines on another symbol are left out (they would not share the price axis). A line whose
    median is far from the price range (an oscillator) goes to the panel below.
    """
    primary = result.run.series[0]
    by_cursor = {id(s.cursor): s for s in result.run.series if s.symbol == primary.symbol}
    low, high = _price_range(primary)
    found: list[Indicator] = []
    for strategy in result.run.strategies:
        for line in strategy.indicators:
            series = by_cursor.get(id(line.cursor))
            if series is not None:
                found.append(_place(line, series, series is primary, (low, high)))
    return found


def _place(
    line: Line, series: BarSeries, on_primary: bool, price: tuple[float, float]
) -> Indicator:
    values = np.asarray(line.full(), dtype=np.float64)
    times = series.ts_open if on_primary else series.ts_close
    finite = values[np.isfinite(values)]
    typical = float(np.median(finite)) if len(finite) else math.nan
    # an indicator not yet defined anywhere (all warm-up) stays on the price axis: nothing shows
    overlay = not math.isfinite(typical) or price[0] * 0.5 <= typical <= price[1] * 2.0
    return Indicator(line.name or "indicator", as_times(times), values, not on_primary, overlay)


def _price_range(series: BarSeries) -> tuple[float, float]:
    if not len(series):
        return (math.nan, math.nan)
    return (float(np.nanmin(series.low)), float(np.nanmax(series.high)))


def _period(series: BarSeries) -> str:
    if not len(series):
        return "no bars"
    first = pd.Timestamp(int(series.ts_open[0]), unit="ns", tz="UTC")
    last = pd.Timestamp(int(series.ts_close[-1]), unit="ns", tz="UTC")
    span = f"{first:%Y-%m-%d %H:%M} to {last:%Y-%m-%d %H:%M} UTC"
    return f"{len(series):,} bars of {series.timeframe}, {span}"
