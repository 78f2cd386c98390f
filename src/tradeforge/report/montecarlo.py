"""The report's Monte Carlo section: where the run's outcome lies among resampled paths.

For each resampling of :mod:`tradeforge.analysis.montecarlo` (trades shuffled, bar returns
bootstrapped) one figure holds the histograms of the simulated final return and maximum
drawdown, with the central confidence interval's bounds (dashed), the median (dotted) and the
run as it happened (solid) marked; a table gives the figures.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from tradeforge.analysis.montecarlo import MonteCarloResult, MonteCarloSet, monte_carlo
from tradeforge.report.charts import HOLD_COLOR, LOSS_COLOR, STRATEGY_COLOR, titled
from tradeforge.report.tables import stats_html

if TYPE_CHECKING:
    from tradeforge.backtest.result import BacktestResult

OBSERVED_COLOR = "#111827"
_TITLES = {
    "shuffle": "Trades shuffled",
    "bootstrap": "Bar returns bootstrapped",
}


class MonteCarloPart(NamedTuple):
    """One resampling's piece of the report: a heading, a chart and its table."""

    heading: str
    div_id: str
    figure: go.Figure
    table: str


def montecarlo_set(result: BacktestResult, monte_carlo_arg: MonteCarloSet | int) -> MonteCarloSet:
    """The resamplings to show: given, or ``monte_carlo(result, n)`` (seed 0) for a number."""
    if isinstance(monte_carlo_arg, MonteCarloSet):
        return monte_carlo_arg
    return monte_carlo(result, int(monte_carlo_arg))


def montecarlo_parts(results: MonteCarloSet) -> list[MonteCarloPart]:
    """The report's Monte Carlo pieces, shuffle first."""
    return [
        MonteCarloPart(
            f"Monte Carlo: {_TITLES[mc.method].lower()}",
            f"chart-mc-{mc.method}",
            montecarlo_figure(mc),
            montecarlo_table(mc),
        )
        for mc in results
    ]


def montecarlo_figure(mc: MonteCarloResult) -> go.Figure:
    """Histograms of the final return and the maximum drawdown (percent), interval marked."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=("Final return (%)", "Max drawdown (%)"))
    _add_metric(fig, mc, "final_return", STRATEGY_COLOR, col=1)
    _add_metric(fig, mc, "max_drawdown", LOSS_COLOR, col=2)
    fig.update_yaxes(title_text="paths", row=1, col=1)
    return titled(fig, _TITLES[mc.method], _note(mc), height=360)


def _add_metric(fig: go.Figure, mc: MonteCarloResult, metric: str, color: str, col: int) -> None:
    """One histogram with the interval's bounds, the median and the run marked."""
    values = 100.0 * mc.simulations[metric].to_numpy()
    style = {"name": metric.replace("_", " "), "marker_color": color, "opacity": 0.75}
    if _constant(values):  # a shuffle's final return: one bar, not bins of rounding noise
        at, same = float(values.mean()), "the same on every path"
        bar = go.Bar(x=[at], y=[len(values)], width=0.5, hovertext=same, **style)
        fig.add_trace(bar.update(showlegend=False), row=1, col=col)
        fig.update_xaxes(range=[at - 10.0, at + 10.0], row=1, col=col)
    else:
        histogram = go.Histogram(x=values, nbinsx=60, **style)
        fig.add_trace(histogram.update(showlegend=False), row=1, col=col)
    low, median, high = np.percentile(values, mc.levels)
    marks = [(low, "dash", HOLD_COLOR), (median, "dot", HOLD_COLOR), (high, "dash", HOLD_COLOR)]
    marks.append((100.0 * mc.observed[metric], "solid", OBSERVED_COLOR))
    for value, dash, line_color in marks:
        line = {"dash": dash, "color": line_color, "width": 1.5}
        fig.add_vline(x=float(value), line=line, row=1, col=col)


def _constant(values: np.ndarray[tuple[int], np.dtype[np.float64]]) -> bool:
    """Equal up to rounding (the sum of the same trades in another order)."""
    return bool(np.ptp(values) <= 1e-9 * max(1.0, float(np.abs(values).max())))


def montecarlo_table(mc: MonteCarloResult) -> str:
    """The summary (mean, percentiles, observed) of both metrics, in percent, as HTML."""
    summary = 100.0 * mc.summary()
    columns = {
        str(column): {f"{metric}_pct": summary.at[metric, column] for metric in summary.index}
        for column in summary.columns
    }
    return stats_html(columns)


def _note(mc: MonteCarloResult) -> str:
    low, _, high = mc.levels
    how = (
        f"the same trades in random order, {'compounded' if mc.compound else 'PnL added'}"
        if mc.method == "shuffle"
        else ("bars drawn independently" if mc.block == 1 else f"blocks of {mc.block} bars")
    )
    return (
        f"{len(mc.simulations):,} paths ({how}, seed {mc.seed}); dashed: {low:g}th and "
        f"{high:g}th percentiles, dotted: median, solid: the run"
    )
