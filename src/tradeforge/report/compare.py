"""Several runs on one page: equity curves grown from 1, drawdowns, statistics side by side."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from tradeforge.report.charts import (
    INDICATOR_COLORS,
    STRATEGY_COLOR,
    curve_trace,
    date_axes,
    drawdown,
    titled,
)
from tradeforge.report.data import run_label
from tradeforge.report.html import figure_html, page
from tradeforge.report.sampling import MAX_POINTS, downsample_note, keep_extremes
from tradeforge.report.tables import stats_html

if TYPE_CHECKING:
    from tradeforge.backtest.result import BacktestResult

COMPARE_IDS = ("compare-equity", "compare-drawdown")
"""The ``div`` ids of the comparison charts."""

COLORS = (STRATEGY_COLOR, *INDICATOR_COLORS, "#2ca02c", "#d62728", "#7f7f7f")


def growth(result: BacktestResult) -> pd.Series:
    """The equity curve divided by the starting cash: 1 at the start, 2 once doubled."""
    cash = float(result.portfolio.initial_cash)
    equity = result.equity.astype(np.float64)
    return equity / (cash if cash > 0 else float(equity.iloc[0]))


def equity_overlay(curves: dict[str, pd.Series]) -> go.Figure:
    """One normalized equity line per run, on a logarithmic axis when any run grew 10x."""
    fig = go.Figure()
    budget = max(2_000, MAX_POINTS // max(1, len(curves)))
    for k, (label, curve) in enumerate(curves.items()):
        keep = keep_extremes(curve.to_numpy(dtype=np.float64), budget)
        fig.add_trace(curve_trace(curve.iloc[keep], label, COLORS[k % len(COLORS)]))
    date_axes(fig)
    highest = max((float(c.max()) for c in curves.values() if len(c)), default=1.0)
    fig.update_yaxes(title_text="growth of 1", type="log" if highest >= 10 else "linear")
    longest = max((len(c) for c in curves.values()), default=0)
    note = downsample_note(min(longest, budget), longest, "bars per run")
    return titled(fig, "Equity, normalized to 1 at the start", note, height=480)


def drawdown_overlay(curves: dict[str, pd.Series]) -> go.Figure:
    """One drawdown line per run."""
    fig = go.Figure()
    budget = max(2_000, MAX_POINTS // max(1, len(curves)))
    for k, (label, curve) in enumerate(curves.items()):
        under = drawdown(curve)
        keep = keep_extremes(under.to_numpy(dtype=np.float64), budget)
        fig.add_trace(curve_trace(under.iloc[keep], label, COLORS[k % len(COLORS)]))
    date_axes(fig)
    fig.update_yaxes(title_text="drawdown %", ticksuffix="%")
    return titled(fig, "Drawdown", height=340)


def compare_html(
    results: Sequence[BacktestResult], labels: Sequence[str] | None = None, title: str = ""
) -> str:
    """The comparison page as an HTML document (see :func:`compare`)."""
    names = unique_labels(results, labels)
    curves = {name: growth(r) for name, r in zip(names, results, strict=True)}
    stats = {name: r.stats for name, r in zip(names, results, strict=True)}
    sections = [
        ("Equity", figure_html(equity_overlay(curves), COMPARE_IDS[0])),
        ("Drawdown", figure_html(drawdown_overlay(curves), COMPARE_IDS[1])),
        ("Statistics", f'<div class="scroll">{stats_html(stats)}</div>'),
    ]
    subtitle = f"{len(results)} runs: " + "; ".join(names)
    return page(title or "Backtest comparison", subtitle, sections)


def unique_labels(
    results: Sequence[BacktestResult], labels: Sequence[str] | None = None
) -> list[str]:
    """The given labels, or each run's ``Strategy(params) on SYMBOL TF``; repeats numbered."""
    if labels is not None and len(labels) != len(results):
        raise ValueError(f"{len(labels)} labels for {len(results)} results")
    names = list(labels) if labels is not None else [run_label(r) for r in results]
    seen: dict[str, int] = {}
    unique = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        unique.append(name if seen[name] == 1 else f"{name} #{seen[name]}")
    return unique


def compare(
    results: Sequence[BacktestResult],
    path: str | Path,
    *,
    labels: Sequence[str] | None = None,
    title: str = "",
) -> Path:
    """Write one self-contained HTML page comparing several runs.

    Parameters
    ----------
    results : sequence of BacktestResult
        The runs, at least one; usually the same data with different strategies or parameters.
    path : str or Path
        The file to write (parent folders are created).
    labels : sequence of str, optional
        One name per run for the legend and the table; default ``Strategy(params) on ...``.
    title : str
        The page title (default "Backtest comparison").

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    ValueError
        Without results, or with a number of labels different from the number of results.

    Examples
    --------
    >>> from tradeforge.report import compare
    >>> compare([fast, slow], "compare.html", labels=["fast", "slow"])  # doctest: +SKIP
    """
    if not results:
        raise ValueError("compare needs at least one result")
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(compare_html(results, labels, title), encoding="utf-8")
    return target
