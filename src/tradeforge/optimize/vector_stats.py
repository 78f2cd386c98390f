"""Statistics of a vectorized run, by the same conventions as an event-driven run's.

:class:`VectorRun` wraps a :class:`~tradeforge.backtest.result.VectorizedResult` and gives it
what a search reads: ``stats`` (a :class:`~tradeforge.backtest.stats.Stats` from
:func:`~tradeforge.backtest.stats.compute_stats`, the one implementation of the formulas),
``trades`` with net PnL and returns, and ``equity``. The vectorized core computes in float64,
so money figures are the floats' shortest decimals rather than the event-driven mode's exact
ledger; on the same trades they agree to float precision.
"""

from __future__ import annotations

from decimal import Decimal
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from tradeforge.backtest.config import BacktestConfig
from tradeforge.backtest.result import VectorizedResult
from tradeforge.backtest.stats import CALENDARS, Stats, compute_stats


def close_index(ts_close: NDArray[np.int64]) -> pd.DatetimeIndex:
    """UTC close times as an index, built once per series (it is the same for every run)."""
    return pd.DatetimeIndex(np.asarray(ts_close, dtype=np.int64).view("datetime64[ns]"), tz="UTC")


class VectorRun:
    """A vectorized run as a search sees it.

    Parameters
    ----------
    result : VectorizedResult
        The run.
    config : BacktestConfig
        The backtest's configuration (starting cash, calendar, risk-free rate).
    index : DatetimeIndex, optional
        The close times of the primary series (:func:`close_index`), shared between runs.
    """

    def __init__(
        self,
        result: VectorizedResult,
        config: BacktestConfig,
        index: pd.DatetimeIndex | None = None,
    ) -> None:
        self.result = result
        self.config = config
        self.params: dict[str, Any] = result.params
        self.final_equity = result.final_equity
        self._index = index if index is not None else close_index(result.series.ts_close)

    @cached_property
    def equity(self) -> pd.Series:
        """Equity at every close of the primary series."""
        return pd.Series(self.result.run.equity, index=self._index, name="equity")

    @cached_property
    def trades(self) -> pd.DataFrame:
        """The round trips with ``symbol``, ``net_pnl`` (after both fees; NaN while open)
        and ``return_pct`` (net PnL over the entry notional, percent)."""
        frame = self.result.trades.copy()
        frame["symbol"] = str(self.result.series.symbol)
        frame["net_pnl"] = frame["pnl"] - frame["fees"]
        cost = frame["entry_price"] * frame["size"]
        frame["return_pct"] = np.where(cost > 0, 100.0 * frame["net_pnl"] / cost, 0.0)
        return frame

    @cached_property
    def stats(self) -> Stats:
        """The statistics, with the conventions of ``BacktestResult.stats``."""
        series, config = self.result.series, self.config
        hold = float(series.close[-1] / series.open[0] - 1.0) if len(series) else 0.0
        fees = float(np.sum(self.result.run.fill_fee))
        return compute_stats(
            self.equity,
            self.trades,
            initial_cash=config.cash,
            final_equity=Decimal(repr(float(self.final_equity))),
            fees=Decimal(repr(fees)),
            buy_and_hold=hold,
            exposure=self._exposure(),
            bar_seconds=series.timeframe.nanos / 1e9,
            calendar=CALENDARS[config.calendar],
            risk_free_rate=config.risk_free_rate,
            periods_per_year=12.0 if series.timeframe.is_calendar else None,
        )

    def _exposure(self) -> float:
        """Share of closes with a position open (entry < close <= exit), as
        ``BacktestResult`` counts it."""
        trades = self.result.trades
        if not len(trades):
            return 0.0
        times = self._index.asi8
        entries = _nanos(trades["entry_time"])
        exits = _nanos(trades["exit_time"])
        exits[exits == np.iinfo(np.int64).min] = np.iinfo(np.int64).max  # still open: NaT
        size = len(times) + 1
        opened = np.bincount(np.searchsorted(times, entries, side="right"), minlength=size)
        closed = np.bincount(np.searchsorted(times, exits, side="right"), minlength=size)
        return float((np.cumsum((opened - closed)[:-1]) > 0).mean())


def _nanos(column: pd.Series) -> NDArray[np.int64]:
    """UTC times as int64 nanoseconds (NaT: the smallest int64)."""
    values: NDArray[np.int64] = column.to_numpy(dtype="datetime64[ns]").view(np.int64)
    return values.copy()
