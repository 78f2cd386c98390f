"""The report of a parameter search: one self-contained HTML page.

* a heatmap of the goal over the first two searched parameters (each cell the best value over
  the other parameters);
* pairwise heatmaps, one per pair of searched parameters (three or more parameters);
* parameter sensitivity: for each parameter, the best and the mean goal value at each of its
  values, over everything else (a flat line: the goal does not care; a spike: a lucky point);
* with several goals, the trials on the first two goals with the Pareto front drawn;
* the best trials and the search's settings.

Parameters with more than :data:`MAX_LEVELS` distinct values (a continuous range searched by
TPE) are put in :data:`BINS` equal-width bins, labelled by their midpoints. Only eligible
trials count (enough trades, parameters accepted, no NaN).
"""

from __future__ import annotations

import itertools
import math
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from tradeforge.report.charts import GAIN_COLOR, HOLD_COLOR, STRATEGY_COLOR, titled
from tradeforge.report.html import figure_html, page
from tradeforge.report.tables import format_value

if TYPE_CHECKING:
    from tradeforge.optimize.result import OptimizeResult

MAX_LEVELS = 30
"""A parameter with more distinct values than this is binned."""
BINS = 20
MAX_PAIRS = 15
"""Pairwise heatmaps drawn at most (the first six parameters)."""
TOP_ROWS = 20
TABLE_STATS = ("total_return_pct", "sharpe", "max_drawdown_pct", "trades", "win_rate_pct")
OPTIMIZE_IDS = ("optimize-heatmap", "optimize-pairs", "optimize-sensitivity", "optimize-pareto")
"""The ``div`` ids of the report's charts, in page order (those drawn)."""


def levels(values: pd.Series) -> pd.Series:
    """The values to group a parameter by: themselves, or bin midpoints when there are more
    than :data:`MAX_LEVELS` distinct numbers."""
    if values.nunique() <= MAX_LEVELS or not pd.api.types.is_numeric_dtype(values):
        return values
    bins = pd.cut(values.astype(float), BINS)
    mids = bins.map(lambda b: float(f"{b.mid:.6g}"))
    return pd.Series(np.asarray(mids, dtype=np.float64), index=values.index, name=values.name)


def grouped(result: OptimizeResult, keys: list[str], how: str) -> pd.Series:
    """The first goal's value grouped by parameter levels: ``best`` (max, or min for a
    minimized goal) or ``mean``."""
    rows = result.eligible
    value = result.value_columns[0]
    frame = pd.DataFrame({k: levels(rows[k]) for k in keys})
    frame[value] = rows[value].astype(float).replace([np.inf, -np.inf], np.nan)
    groups = frame.groupby(keys, sort=True)[value]
    if how == "mean":
        return groups.mean()
    return groups.max() if result.objective.goals[0].maximize else groups.min()


def heatmap_trace(result: OptimizeResult, x: str, y: str, *, scale: bool = True) -> go.Heatmap:
    """A heatmap of the best value of the first goal over ``x`` and ``y``."""
    table = grouped(result, [y, x], "best").unstack(x)
    goal = result.objective.goals[0]
    return go.Heatmap(
        z=table.to_numpy(dtype=np.float64),
        x=[str(v) for v in table.columns],
        y=[str(v) for v in table.index],
        colorscale="RdYlGn" if goal.maximize else "RdYlGn_r",
        showscale=scale,
        colorbar={"title": {"text": goal.name}},
        hovertemplate=f"{x}=%{{x}}<br>{y}=%{{y}}<br>{goal.name}=%{{z:.4g}}<extra></extra>",
    )


def heatmap_figure(result: OptimizeResult, x: str, y: str) -> go.Figure:
    """The main heatmap."""
    fig = go.Figure(heatmap_trace(result, x, y))
    fig.update_xaxes(title_text=x, type="category")
    fig.update_yaxes(title_text=y, type="category")
    note = f"best {result.objective.goals[0].name} over the other parameters"
    return titled(fig, f"{result.objective.goals[0].name} by {x} and {y}", note, height=520)


def pairwise_figure(result: OptimizeResult) -> go.Figure:
    """A heatmap per pair of searched parameters (the first six)."""
    pairs = list(itertools.combinations(result.params, 2))[:MAX_PAIRS]
    cols = min(3, len(pairs))
    rows = math.ceil(len(pairs) / cols)
    titles = [f"{y} × {x}" for x, y in pairs]
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=titles,
                        horizontal_spacing=0.08, vertical_spacing=0.12)  # fmt: skip
    for k, (x, y) in enumerate(pairs):
        fig.add_trace(heatmap_trace(result, x, y, scale=k == 0), row=k // cols + 1,
                      col=k % cols + 1)  # fmt: skip
        fig.update_xaxes(title_text=x, type="category", row=k // cols + 1, col=k % cols + 1)
        fig.update_yaxes(title_text=y, type="category", row=k // cols + 1, col=k % cols + 1)
    return titled(fig, "Pairwise heatmaps", "best value over the other parameters",
                  height=340 * rows + 80)  # fmt: skip


def sensitivity_figure(result: OptimizeResult) -> go.Figure:
    """Per parameter, the best and the mean value of the first goal at each of its values."""
    names = list(result.params)
    fig = make_subplots(rows=1, cols=len(names), subplot_titles=names, shared_yaxes=True)
    for k, name in enumerate(names):
        best, mean = grouped(result, [name], "best"), grouped(result, [name], "mean")
        x = [str(v) for v in best.index]
        fig.add_trace(go.Scatter(x=x, y=best.to_numpy(), name="best", mode="lines+markers",
                                 line={"color": STRATEGY_COLOR}, showlegend=k == 0),
                      row=1, col=k + 1)  # fmt: skip
        fig.add_trace(go.Scatter(x=x, y=mean.to_numpy(), name="mean", mode="lines+markers",
                                 line={"color": HOLD_COLOR, "dash": "dot"}, showlegend=k == 0),
                      row=1, col=k + 1)  # fmt: skip
        fig.update_xaxes(title_text=name, type="category", row=1, col=k + 1)
    fig.update_yaxes(title_text=result.objective.goals[0].name, row=1, col=1)
    note = "best and mean over the other parameters, at each value"
    return titled(fig, "Parameter sensitivity", note, height=420)


def pareto_figure(result: OptimizeResult) -> go.Figure:
    """The trials on the first two goals, the Pareto front highlighted."""
    first, second = result.objective.goals[:2]
    cols = result.value_columns
    rows, front = result.eligible, result.pareto.sort_values(cols[0])
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=rows[cols[0]], y=rows[cols[1]], mode="markers", name="trials",
                             marker={"color": HOLD_COLOR, "size": 6}))  # fmt: skip
    marker = {"color": GAIN_COLOR, "size": 9}
    fig.add_trace(go.Scatter(x=front[cols[0]], y=front[cols[1]], mode="lines+markers",
                             name="Pareto front", marker=marker))  # fmt: skip
    fig.update_xaxes(title_text=f"{first.name} ({first.direction})")
    fig.update_yaxes(title_text=f"{second.name} ({second.direction})")
    return titled(fig, "Pareto front", f"{len(front)} of {len(rows)} eligible trials", height=480)


def trials_table(result: OptimizeResult, rows: pd.DataFrame) -> str:
    """An HTML table of ``rows``: parameters, goal values and a few statistics."""
    goals = {g.name for g in result.objective.goals}
    columns = [*result.params, *result.value_columns,
               *(s for s in TABLE_STATS if s not in goals)]  # fmt: skip
    head = "".join(f"<th>{escape(c)}</th>" for c in ["trial", *columns])
    names = ["trial", *columns]
    body = "".join(_row_html(r, names) for _, r in rows.iterrows())
    return f'<table class="stats"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _row_html(row: pd.Series, names: list[str]) -> str:
    cells = "".join(f"<td>{escape(format_value(c, _plain(row[c])))}</td>" for c in names)
    return f"<tr>{cells}</tr>"


def settings_table(result: OptimizeResult) -> str:
    """The search's settings and counts as a two-column table."""
    items: list[tuple[str, Any]] = [
        ("strategy", result.strategy),
        ("method", result.method),
        ("objective", result.objective.describe()),
        ("min trades", result.objective.min_trades),
        ("trials", len(result.trials)),
        ("eligible", int(result.trials["eligible"].sum())),
        ("study", result.study or "not stored"),
    ]
    if len(result.eligible):
        items.append(("best", ", ".join(f"{k}={v}" for k, v in result.best_params.items())))
    body = "".join(
        f"<tr><th>{escape(k)}</th><td>{escape(format_value(k, v))}</td></tr>" for k, v in items
    )
    return f'<table class="stats"><tbody>{body}</tbody></table>'


def optimize_html(result: OptimizeResult, title: str | None = None) -> str:
    """The report as an HTML document (see :func:`write_optimize_report`)."""
    sections = [("Search", settings_table(result))]
    if len(result.eligible):
        sections += _chart_sections(result)
        best = f'<div class="scroll">{trials_table(result, result.top(TOP_ROWS))}</div>'
        sections.append((f"Best {min(TOP_ROWS, len(result.eligible))} trials", best))
    else:
        sections.append(("No eligible trial", '<p class="note">nothing to chart</p>'))
    heading = title or f"Optimization of {result.strategy}"
    subtitle = (
        f"{result.method} search, {result.objective.describe()}, {len(result.trials):,} trials"
    )
    return page(heading, subtitle, sections)


def _chart_sections(result: OptimizeResult) -> list[tuple[str, str]]:
    names = list(result.params)
    sections = []
    if len(names) >= 2:
        fig = heatmap_figure(result, names[0], names[1])
        sections.append(("Heatmap", figure_html(fig, OPTIMIZE_IDS[0])))
    if len(names) >= 3:
        sections.append(
            ("Pairwise heatmaps", figure_html(pairwise_figure(result), OPTIMIZE_IDS[1]))
        )
    sections.append(("Sensitivity", figure_html(sensitivity_figure(result), OPTIMIZE_IDS[2])))
    if result.objective.multi:
        sections.append(("Pareto front", figure_html(pareto_figure(result), OPTIMIZE_IDS[3])))
    return sections


def write_optimize_report(
    result: OptimizeResult, path: str | Path, *, title: str | None = None
) -> Path:
    """Write the report of a search to one self-contained HTML file.

    Parameters
    ----------
    result : OptimizeResult
    path : str or Path
        The file to write (parent folders are created).
    title : str, optional
        Default ``Optimization of <Strategy>``.

    Returns
    -------
    Path
        The file written.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(optimize_html(result, title), encoding="utf-8")
    return target


def _plain(value: Any) -> Any:
    if value is pd.NA:
        return None
    return value.item() if isinstance(value, np.generic) else value
