"""The equity curve, computed after the run from the portfolio's ledger and the bars.

Between two fills nothing but prices changes, so equity at each bar close is
``cash + sum(position value at that close)`` with cash and quantities read from the last ledger
entry at or before the close: a few vectorized lookups instead of marking the portfolio on
every bar.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from tradeforge.data.replay import BarSeries
from tradeforge.portfolio.portfolio import LedgerEntry, Portfolio


def equity_curve(portfolio: Portfolio, timeline: BarSeries, marks: list[BarSeries]) -> pd.Series:
    """Equity at every close of ``timeline``, positions valued at the closes of ``marks``."""
    times = timeline.ts_close
    ledger = portfolio.ledger
    cash = _step_values(
        [_counts_from(e) for e in ledger],
        [float(e.cash) for e in ledger],
        times,
        float(portfolio.initial_cash),
    )
    equity = cash.copy()
    margin = portfolio.account == "margin"
    for series in marks:
        entries = [e for e in ledger if e.symbol == series.symbol]
        if not entries:
            continue
        stamps = [_counts_from(e) for e in entries]
        qty = _step_values(stamps, [float(e.position_qty) for e in entries], times, 0.0)
        price = _asof(series.ts_close, series.close, times)
        value = qty * price
        if margin:
            value -= _step_values(stamps, [float(e.position_cost) for e in entries], times, 0.0)
        equity += np.nan_to_num(value)
    index = pd.to_datetime(times, utc=True)
    return pd.Series(equity, index=index, name="equity")


def _counts_from(entry: LedgerEntry) -> int:
    """The close from which an entry counts: a fill at a bar's open carries the previous
    bar's close time, yet belongs to its own bar."""
    return entry.ts if entry.counts_from is None else entry.counts_from


def _step_values(
    stamps: list[int], values: list[float], times: NDArray[np.int64], before: float
) -> NDArray[np.float64]:
    if not stamps:
        return np.full(len(times), before)
    at = np.searchsorted(np.asarray(stamps, dtype=np.int64), times, side="right") - 1
    table = np.asarray([before, *values], dtype=np.float64)
    return table[at + 1]


def _asof(
    ts: NDArray[np.int64], values: NDArray[np.float64], times: NDArray[np.int64]
) -> NDArray[np.float64]:
    at = np.searchsorted(ts, times, side="right") - 1
    out = np.where(at >= 0, values[np.clip(at, 0, None)], np.nan)
    return out.astype(np.float64)
