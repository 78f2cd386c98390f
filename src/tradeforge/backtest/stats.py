"""Summary statistics of a backtest (the full, cross-checked set comes with the results issue).

Returns are simple per-bar returns of the equity curve; annualization uses the bar spacing and
a 365-day year (crypto trades every day). Every value is defined for runs without trades and for
runs that lose everything: ratios without a defined denominator are 0, not NaN.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

YEAR_SECONDS = 365 * 86_400


def compute_stats(
    equity: pd.Series,
    trades: pd.DataFrame,
    *,
    initial_cash: float,
    final_equity: float,
    fees: float,
    buy_and_hold: float,
    exposure: float,
    funding_paid: float = 0.0,
) -> dict[str, Any]:
    """The summary of one run (see the module docstring for the conventions)."""
    values = equity.to_numpy(dtype=np.float64)
    index = pd.DatetimeIndex(equity.index)
    start, end = index[0], index[-1]
    step = float(np.median(np.diff(index.asi8))) / 1e9 if len(equity) > 1 else 86_400.0
    periods = YEAR_SECONDS / step if step > 0 else 0.0
    returns = np.diff(values) / np.where(values[:-1] == 0, np.nan, values[:-1])
    returns = np.nan_to_num(returns, nan=0.0, posinf=0.0, neginf=0.0)
    peak = np.maximum.accumulate(values)
    drawdown = np.where(peak > 0, values / peak - 1.0, 0.0)
    total_return = final_equity / initial_cash - 1.0
    years = (end - start).total_seconds() / YEAR_SECONDS
    stats: dict[str, Any] = {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "duration": str(end - start),
        "exposure_pct": 100.0 * exposure,
        "final_equity": final_equity,
        "peak_equity": float(peak.max()) if len(peak) else initial_cash,
        "total_return_pct": 100.0 * total_return,
        "buy_and_hold_return_pct": 100.0 * buy_and_hold,
        "cagr_pct": 100.0 * _cagr(total_return, years),
        "volatility_ann_pct": 100.0 * float(np.std(returns) * math.sqrt(periods)),
        "sharpe": _ratio(float(np.mean(returns)), float(np.std(returns)), periods),
        "sortino": _ratio(float(np.mean(returns)), _downside(returns), periods),
        "max_drawdown_pct": 100.0 * float(drawdown.min()) if len(drawdown) else 0.0,
        "max_drawdown_duration": str(_longest_underwater(index, drawdown)),
        "fees": fees,
        "funding_paid": funding_paid,  # perpetuals: funding paid, negative when received
    }
    stats.update(_trade_stats(trades))
    return stats


def _cagr(total_return: float, years: float) -> float:
    if years <= 0 or total_return <= -1:
        return -1.0 if total_return <= -1 else 0.0
    return float((1 + total_return) ** (1 / years) - 1)


def _ratio(mean: float, dispersion: float, periods: float) -> float:
    if dispersion <= 0 or not math.isfinite(dispersion):
        return 0.0
    return mean / dispersion * math.sqrt(periods)


def _downside(returns: np.ndarray[Any, Any]) -> float:
    if not len(returns):
        return 0.0
    return float(np.sqrt(np.mean(np.minimum(returns, 0.0) ** 2)))


def _longest_underwater(index: pd.DatetimeIndex, drawdown: np.ndarray[Any, Any]) -> pd.Timedelta:
    under = drawdown < 0
    if not under.any():
        return pd.Timedelta(0)
    times = index.asi8
    edges = np.diff(np.concatenate(([False], under, [False])).astype(np.int8))
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1)  # the first bar back at the peak, or one past the end
    back = times[np.minimum(ends, len(times) - 1)]
    return pd.Timedelta(int((back - times[starts]).max()), unit="ns")


def _trade_stats(trades: pd.DataFrame) -> dict[str, Any]:
    closed = trades[trades["exit_time"].notna()] if len(trades) else trades
    count = len(closed)
    if not count:
        return {
            "trades": 0,
            "open_trades": len(trades),
            "win_rate_pct": 0.0,
            "best_trade_pct": 0.0,
            "worst_trade_pct": 0.0,
            "avg_trade_pct": 0.0,
            "profit_factor": 0.0,
            "expectancy": 0.0,
        }
    net = closed["net_pnl"].astype(float)
    pct = closed["return_pct"].astype(float)
    gains, losses = net[net > 0].sum(), -net[net < 0].sum()
    return {
        "trades": count,
        "open_trades": len(trades) - count,
        "win_rate_pct": 100.0 * float((net > 0).mean()),
        "best_trade_pct": float(pct.max()),
        "worst_trade_pct": float(pct.min()),
        "avg_trade_pct": float(pct.mean()),
        "profit_factor": float(gains / losses) if losses > 0 else 0.0,
        "expectancy": float(net.mean()),
    }
