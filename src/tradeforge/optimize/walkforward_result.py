"""What a walk-forward returns: the windows, the stitched out-of-sample record, efficiency and
stability.

**Stitching.** Every test window's run starts from the same cash ``C``. The stitched equity
compounds them: with ``L`` the stitched level at the end of the previous window (``C`` before
the first), window ``k``'s equity ``e_k(t)`` becomes ``e_k(t) / C × L``, so the final level is
``C × Π (1 + R_k)``, ``R_k`` each window's return. The stitched trades are every window's
trades with a ``window`` column; their money columns (``size``, ``pnl``, ``fees``,
``net_pnl``) are those of the window's own run (from ``C``), ``return_pct`` is comparable.
A window with no eligible trial is not traded: flat at ``L``.

**Walk-forward efficiency** (Pardo's ratio of out-of-sample to in-sample performance), over
the windows that traded:

* ``efficiency``: the mean annualized out-of-sample return over the mean annualized in-sample
  return, each window's return annualized linearly, ``total_return_pct × 365 days /
  duration`` (in sample: the chosen point on its train part, as the search measured it; out
  of sample: the test part). 1.0 keeps the in-sample pace, 0.5 half of it.
* ``value_efficiency``: the mean out-of-sample goal value over the mean in-sample one (the
  best value of each search). For a minimized goal, above 1 is worse.

Both are NaN when the in-sample mean is not a positive finite number (the ratio would not
say how much of the in-sample performance was kept). Each row of ``windows`` also has its own
``efficiency``.

**Parameter stability** (:attr:`WalkForwardResult.stability`), per searched parameter over
the windows that traded: the modal value (the most chosen; on a tie, the one chosen first),
the share of windows that chose it, the number of distinct values, and for numbers
the mean, the population standard deviation and the coefficient of variation ``std /
|mean|`` (NaN for a mean of 0).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from tradeforge.backtest.stats import CALENDARS, YEAR_SECONDS, Stats, compute_stats
from tradeforge.optimize.objective import Objective
from tradeforge.optimize.result import OptimizeResult
from tradeforge.optimize.run import BacktestSetup
from tradeforge.optimize.window_run import WindowRun, window_value
from tradeforge.optimize.windows import Window, bars_between

NO_CHOICE = "no eligible trial"


@dataclass(frozen=True)
class WindowOutcome:
    """One window's search and, when it found an eligible point, the runs with it."""

    window: Window
    search: OptimizeResult
    chosen: dict[str, Any] | None
    in_sample_equity: pd.Series | None
    test: WindowRun | None


@dataclass(frozen=True)
class WalkForwardResult:
    """The outcome of a walk-forward analysis (see the module docstring for the definitions).

    Attributes
    ----------
    windows : DataFrame
        One row per window: ``window``; ``train_start``, ``train_end``, ``test_start``,
        ``test_end``, ``warmup_start`` (UTC times, ends exclusive); ``train_bars``,
        ``test_bars``; the chosen parameters; ``is_value``, ``oos_value`` (the goal in and out
        of sample); ``is_return_pct``, ``oos_return_pct``, their annualized
        ``*_return_ann_pct`` and ``efficiency``; ``is_trades``, ``oos_trades``,
        ``oos_sharpe``, ``oos_max_drawdown_pct``; ``error`` (``"no eligible trial"`` or ``""``).
    equity : Series
        The stitched out-of-sample equity at every test bar's close.
    trades : DataFrame
        Every test window's trades, with a ``window`` column first.
    chosen : tuple of (dict or None)
        Each window's chosen parameters (every parameter of its best trial).
    in_sample_equity : tuple of Series
        Each window's equity with the chosen parameters on its train part (empty when none).
    searches : tuple of OptimizeResult
        Each train window's search.
    levels : tuple of float
        The stitched equity each test window starts from (the cash for the first).
    oos_stats : Stats
        Statistics of the stitched equity and trades (fees and funding scaled like the
        equity; the trades' money figures are each window's own).
    params : tuple of str
        The searched parameters.
    objective : Objective
    strategy : str
    settings : dict
        ``train``, ``test``, ``step``, ``anchored``, ``warmup``, ``method``, ``objective``.
    """

    windows: pd.DataFrame
    equity: pd.Series
    trades: pd.DataFrame
    chosen: tuple[dict[str, Any] | None, ...]
    in_sample_equity: tuple[pd.Series, ...]
    searches: tuple[OptimizeResult, ...]
    levels: tuple[float, ...]
    oos_stats: Stats
    params: tuple[str, ...]
    objective: Objective
    strategy: str
    settings: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        outcomes: Sequence[WindowOutcome],
        setup: BacktestSetup,
        objective: Objective,
        settings: dict[str, Any],
    ) -> WalkForwardResult:
        """Put the windows' outcomes together."""
        cash = float(setup.config.cash)
        segments = [_test_equity(setup, o, cash) for o in outcomes]
        equity, levels = stitch(segments, cash)
        trades = _stitched_trades(outcomes)
        params = outcomes[0].search.params
        table = pd.DataFrame([_row(o, setup, params, objective) for o in outcomes])
        stats = _oos_stats(equity, trades, outcomes, levels, setup)
        return cls(
            table,
            equity,
            trades,
            tuple(o.chosen for o in outcomes),
            tuple(_series(o.in_sample_equity) for o in outcomes),
            tuple(o.search for o in outcomes),
            tuple(levels),
            stats,
            params,
            objective,
            setup.strategy.__name__,
            settings,
        )

    @property
    def traded(self) -> pd.DataFrame:
        """The rows of the windows that found an eligible point."""
        return self.windows[self.windows["error"] == ""]

    @property
    def efficiency(self) -> float:
        """Mean annualized out-of-sample return / mean annualized in-sample return."""
        rows = self.traded
        return ratio(rows["oos_return_ann_pct"].mean(), rows["is_return_ann_pct"].mean())

    @property
    def value_efficiency(self) -> float:
        """Mean out-of-sample goal value / mean in-sample (best) goal value."""
        rows = self.traded
        return ratio(rows["oos_value"].mean(), rows["is_value"].mean())

    @property
    def stability(self) -> pd.DataFrame:
        """Per searched parameter: ``mode``, ``mode_share``, ``distinct``, ``mean``, ``std``,
        ``cv`` over the windows that traded."""
        chosen = [c for c in self.chosen if c is not None]
        rows = {name: _stability([c[name] for c in chosen]) for name in self.params}
        columns = ["mode", "mode_share", "distinct", "mean", "std", "cv"]
        return pd.DataFrame.from_dict(rows, orient="index", columns=columns)

    def summary(self) -> dict[str, Any]:
        """JSON-ready: settings, efficiency, the stitched figures, stability, every window."""
        stability = self.stability.astype(object).where(self.stability.notna(), None)
        return {
            "strategy": self.strategy,
            "objective": self.objective.describe(),
            "params": list(self.params),
            "settings": self.settings,
            "efficiency": _finite(self.efficiency),
            "value_efficiency": _finite(self.value_efficiency),
            "oos_stats": self.oos_stats.to_json(),
            "stability": {
                k: {c: _plain(v) for c, v in row.items()}
                for k, row in stability.to_dict("index").items()
            },
            "windows": [_json_row(r) for r in self.windows.to_dict("records")],
        }

    def report(self, path: str | Path = "walkforward.html", *, title: str | None = None) -> Path:
        """Write the HTML report (stitched equity against the in-sample curves, in- and
        out-of-sample goal per window, parameter stability, the tables).

        Returns
        -------
        Path
            The file written (see :func:`tradeforge.report.walkforward.write_walkforward_report`).
        """
        from tradeforge.report.walkforward import write_walkforward_report  # noqa: PLC0415

        return write_walkforward_report(self, path, title=title)


def stitch(segments: Sequence[pd.Series], cash: float) -> tuple[pd.Series, list[float]]:
    """Compound the windows' equity curves (each from ``cash``) into one; and the level each
    window starts from."""
    level, levels, parts = cash, [], []
    for segment in segments:
        levels.append(level)
        part = segment / cash * level
        parts.append(part)
        level = float(part.iloc[-1])
    return pd.concat(parts).rename("equity"), levels


def ratio(numerator: float, denominator: float) -> float:
    """``numerator / denominator``; NaN unless the denominator is a positive finite number."""
    if not (math.isfinite(denominator) and denominator > 0):
        return math.nan
    return float(numerator / denominator)


def annualized(return_pct: float, duration: pd.Timedelta) -> float:
    """A return per year of ``duration``, linearly: ``return_pct × 365 days / duration``."""
    seconds = duration.total_seconds()
    return return_pct * YEAR_SECONDS / seconds if seconds > 0 else math.nan


def _test_equity(setup: BacktestSetup, outcome: WindowOutcome, cash: float) -> pd.Series:
    if outcome.test is not None:
        return outcome.test.equity
    primary = setup.series[0]
    rows = bars_between(primary.ts_open, outcome.window.test_start, outcome.window.test_end)
    closes = pd.DatetimeIndex(primary.ts_close[rows].view("datetime64[ns]"), tz="UTC")
    return pd.Series(cash, index=closes, dtype=np.float64, name="equity")


def _stitched_trades(outcomes: Sequence[WindowOutcome]) -> pd.DataFrame:
    frames = []
    for outcome in outcomes:
        if outcome.test is not None:
            frame = outcome.test.trades.copy()
            frame.insert(0, "window", outcome.window.index)
            frames.append(frame)
    if not frames:
        return pd.DataFrame(columns=["window"])
    return pd.concat(frames, ignore_index=True)


def _row(
    outcome: WindowOutcome, setup: BacktestSetup, params: Sequence[str], objective: Objective
) -> dict[str, Any]:
    w, ts = outcome.window, setup.series[0].ts_open
    row: dict[str, Any] = {
        "window": w.index,
        **{k: _time(getattr(w, k)) for k in _BOUNDS},
        "train_bars": _count(ts, w.train_start, w.train_end),
        "test_bars": _count(ts, w.test_start, w.test_end),
        **{p: (outcome.chosen or {}).get(p) for p in params},
    }
    return {**row, **_figures(outcome, objective)}


def _figures(outcome: WindowOutcome, objective: Objective) -> dict[str, Any]:
    """The in- and out-of-sample figures of one window's row."""
    test, search = outcome.test, outcome.search
    if test is None:
        return {
            **dict.fromkeys(_FIGURES, math.nan),
            "is_trades": 0,
            "oos_trades": 0,
            "error": NO_CHOICE,
        }
    best = search.best
    is_ann = annualized(float(best["total_return_pct"]), best["duration"])
    oos_ann = annualized(test.stats.total_return_pct, test.stats.duration)
    figures = (
        float(best[objective.value_columns[0]]),
        window_value(objective, test),
        float(best["total_return_pct"]),
        test.stats.total_return_pct,
        is_ann,
        oos_ann,
        ratio(oos_ann, is_ann),
        test.stats.sharpe,
        test.stats.max_drawdown_pct,
    )
    return {
        **dict(zip(_FIGURES, figures, strict=True)),
        "is_trades": int(best["trades"]),
        "oos_trades": test.stats.trades,
        "error": "",
    }


_BOUNDS = ("train_start", "train_end", "test_start", "test_end", "warmup_start")
_FIGURES = (
    "is_value",
    "oos_value",
    "is_return_pct",
    "oos_return_pct",
    "is_return_ann_pct",
    "oos_return_ann_pct",
    "efficiency",
    "oos_sharpe",
    "oos_max_drawdown_pct",
)


def _oos_stats(
    equity: pd.Series,
    trades: pd.DataFrame,
    outcomes: Sequence[WindowOutcome],
    levels: list[float],
    setup: BacktestSetup,
) -> Stats:
    config, primary = setup.config, setup.series[0]
    cash = float(config.cash)
    tested = [(o.test, lv / cash) for o, lv in zip(outcomes, levels, strict=True) if o.test]
    fees = sum(float(t.stats.fees) * scale for t, scale in tested)
    funding = sum(float(t.stats.funding_paid) * scale for t, scale in tested)
    hold = float(np.prod([1.0 + t.hold_return for t, _ in tested])) - 1.0
    held = sum(t.held_bars for t, _ in tested)
    final = Decimal(repr(float(equity.iloc[-1])))
    return compute_stats(
        equity,
        trades,
        initial_cash=config.cash,
        final_equity=final,
        fees=Decimal(repr(fees)),
        funding_paid=Decimal(repr(funding)),
        buy_and_hold=hold,
        exposure=held / len(equity),
        bar_seconds=primary.timeframe.nanos / 1e9,
        calendar=CALENDARS[config.calendar],
        risk_free_rate=config.risk_free_rate,
        periods_per_year=12.0 if primary.timeframe.is_calendar else None,
    )


def _stability(values: list[Any]) -> dict[str, Any]:
    counts: dict[Any, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    if not counts:
        return {
            "mode": None,
            "mode_share": math.nan,
            "distinct": 0,
            "mean": math.nan,
            "std": math.nan,
            "cv": math.nan,
        }
    mode = max(counts, key=lambda v: counts[v])  # on a tie, the first chosen
    row: dict[str, Any] = {
        "mode": mode,
        "mode_share": counts[mode] / len(values),
        "distinct": len(counts),
        "mean": math.nan,
        "std": math.nan,
        "cv": math.nan,
    }
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        numbers = np.asarray(values, dtype=np.float64)
        mean, std = float(numbers.mean()), float(numbers.std())
        row.update(mean=mean, std=std, cv=std / abs(mean) if mean else math.nan)
    return row


def _count(ts: NDArray[np.int64], start: int, end: int) -> int:
    rows = bars_between(ts, start, end)
    return int(rows.stop - rows.start)


def _time(ns: int) -> pd.Timestamp:
    return pd.Timestamp(ns, unit="ns", tz="UTC")


def _series(values: pd.Series | None) -> pd.Series:
    return values if values is not None else pd.Series(dtype=np.float64, name="equity")


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _json_row(row: dict[Any, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in row.items():
        if isinstance(value, pd.Timestamp):
            out[str(key)] = value.isoformat()
        elif value is None or (isinstance(value, float) and math.isnan(value)):
            out[str(key)] = None
        else:
            out[str(key)] = _plain(value)
    return out
