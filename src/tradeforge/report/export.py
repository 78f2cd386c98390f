"""Plain files of a run for other tools: trades, orders and equity as CSV, a JSON summary."""

from __future__ import annotations

import json
import math
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from tradeforge.report.charts import drawdown
from tradeforge.report.data import buy_and_hold

if TYPE_CHECKING:
    from tradeforge.backtest.result import BacktestResult

EQUITY_COLUMNS = ["time", "equity", "drawdown_pct", "buy_and_hold"]
"""Columns of ``equity.csv``."""


def export(result: BacktestResult, directory: str | Path) -> dict[str, Path]:
    """Write ``trades.csv``, ``orders.csv``, ``equity.csv`` and ``summary.json``.

    Parameters
    ----------
    result : BacktestResult
        A finished event-driven run.
    directory : str or Path
        Where to write (created when missing; files of the same names are replaced).

    Returns
    -------
    dict of str to Path
        ``{"trades": ..., "orders": ..., "equity": ..., "summary": ...}``.

    Notes
    -----
    ``trades.csv`` and ``orders.csv`` have the columns of ``result.trades`` and
    ``result.orders``, one row each; times are UTC (``2019-02-18 04:00:00+00:00``, empty for
    a trade still open), enums their values, ``duration`` in seconds. ``equity.csv`` has one
    row per bar close (:data:`EQUITY_COLUMNS`). ``summary.json`` is ``result.summary()``, with
    NaN and infinities written as ``null``.
    """
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {name: folder / f"{name}.csv" for name in ("trades", "orders", "equity")}
    plain(result.trades).to_csv(paths["trades"], index=False)
    plain(result.orders).to_csv(paths["orders"], index=False)
    equity_frame(result).to_csv(paths["equity"], index=False)
    paths["summary"] = folder / "summary.json"
    document = json.dumps(json_safe(result.summary()), indent=2, allow_nan=False)
    paths["summary"].write_text(document + "\n", encoding="utf-8")
    return paths


def equity_frame(result: BacktestResult) -> pd.DataFrame:
    """The equity curve with its drawdown and the buy-and-hold value at each bar close."""
    equity = result.equity.astype(np.float64)
    cash = float(result.portfolio.initial_cash)
    hold = buy_and_hold(result.run.series[0], equity.index, cash)
    frame = pd.DataFrame(
        {
            "time": pd.DatetimeIndex(equity.index),
            "equity": equity.to_numpy(),
            "drawdown_pct": drawdown(equity).to_numpy(),
            "buy_and_hold": hold.to_numpy(),
        },
        columns=EQUITY_COLUMNS,
    )
    return plain(frame)


def plain(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy for CSV: enums as their values, durations in seconds (times stay times)."""
    out = frame.copy()
    for name in out.columns:
        column = out[name]
        if pd.api.types.is_timedelta64_dtype(column):
            out[name] = column.dt.total_seconds()
        elif column.dtype == object:
            out[name] = column.map(_plain_value)
    return out


def _plain_value(value: Any) -> Any:
    return value.value if isinstance(value, Enum) else value


def json_safe(value: Any) -> Any:
    """``value`` with Decimals as strings, NaN and infinities as None, numpy scalars as Python."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, Enum):
        return json_safe(value.value)
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Decimal):
        return str(value)
    if value is None or isinstance(value, str | int | bool):
        return value
    return str(value)
