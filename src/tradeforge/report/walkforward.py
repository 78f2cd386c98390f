"""The report of a walk-forward analysis: one self-contained HTML page.

* the stitched out-of-sample equity against the in-sample equity of each window's chosen
  parameters, each in-sample curve scaled to end where the stitched curve stands when its
  test window begins (a steeper in-sample slope than the out-of-sample one: performance lost
  out of sample);
* per window, the goal in and out of sample, and the annualized returns;
* parameter stability: the value each window chose, per parameter;
* the summary (efficiency, out-of-sample statistics), the stability figures, the windows and
  the out-of-sample trades.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from tradeforge.report.charts import HOLD_COLOR, STRATEGY_COLOR, curve_trace, date_axes, titled
from tradeforge.report.frame_table import frame_html, settings_html
from tradeforge.report.html import figure_html, page
from tradeforge.report.tables import trades_html

if TYPE_CHECKING:
    from tradeforge.optimize.walkforward_result import WalkForwardResult

IN_SAMPLE_COLOR = "#ff7f0e"
WALKFORWARD_IDS = ("walkforward-equity", "walkforward-windows", "walkforward-stability")
"""The ``div`` ids of the report's charts, in page order."""
WINDOW_COLUMNS = ("train_start", "test_start", "test_end", "train_bars", "test_bars")
FIGURE_COLUMNS = (
    "is_value",
    "oos_value",
    "is_return_ann_pct",
    "oos_return_ann_pct",
    "efficiency",
    "oos_trades",
    "oos_max_drawdown_pct",
    "error",
)


def scaled_in_sample(result: WalkForwardResult) -> list[pd.Series]:
    """Each window's in-sample equity scaled to end at the stitched out-of-sample level where
    its test window starts (empty for a window that did not trade)."""
    return [
        curve / float(curve.iloc[-1]) * level if len(curve) else curve
        for curve, level in zip(result.in_sample_equity, result.levels, strict=True)
    ]


def equity_figure(result: WalkForwardResult) -> go.Figure:
    """The stitched out-of-sample equity and the scaled in-sample curves."""
    fig = go.Figure()
    for k, curve in enumerate(scaled_in_sample(result)):
        if len(curve):
            fig.add_trace(
                curve_trace(
                    curve,
                    "in sample",
                    IN_SAMPLE_COLOR,
                    opacity=0.45,
                    legendgroup="is",
                    showlegend=k == 0,
                )
            )
    fig.add_trace(curve_trace(result.equity, "out of sample (stitched)", STRATEGY_COLOR))
    for start in result.windows["test_start"]:
        fig.add_vline(
            x=start.timestamp() * 1000, line={"color": HOLD_COLOR, "width": 1, "dash": "dot"}
        )
    date_axes(fig)
    fig.update_yaxes(title_text="equity", tickformat=",.0f")
    note = "dotted lines: test window starts; in-sample curves scaled to end where each begins"
    return titled(fig, "Out-of-sample equity vs in sample", note, height=480)


def windows_figure(result: WalkForwardResult) -> go.Figure:
    """Per window: the goal in and out of sample; the annualized returns."""
    rows = result.windows
    labels = [
        f"{w} · {t:%Y-%m-%d}" for w, t in zip(rows["window"], rows["test_start"], strict=True)
    ]
    goal = result.objective.goals[0].name
    fig = make_subplots(
        rows=2,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.1,
        subplot_titles=(goal, "annualized return %"),
    )
    pairs = (("is_value", "oos_value", 1), ("is_return_ann_pct", "oos_return_ann_pct", 2))
    for in_col, out_col, row in pairs:
        for column, name, color in (
            (in_col, "in sample", IN_SAMPLE_COLOR),
            (out_col, "out of sample", STRATEGY_COLOR),
        ):
            values = rows[column].astype(float).replace([np.inf, -np.inf], np.nan)
            fig.add_trace(
                go.Bar(
                    x=labels,
                    y=values,
                    name=name,
                    marker={"color": color},
                    legendgroup=name,
                    showlegend=row == 1,
                ),
                row=row,
                col=1,
            )
    fig.update_layout(barmode="group")
    fig.update_xaxes(type="category", title_text="window · test start", row=2, col=1)
    note = (
        f"efficiency {_text(result.efficiency)} (returns), "
        f"{_text(result.value_efficiency)} ({goal})"
    )
    return titled(fig, "In sample vs out of sample, per window", note, height=560)


def stability_figure(result: WalkForwardResult) -> go.Figure:
    """The value each window chose, one panel per searched parameter."""
    names = list(result.params)
    fig = make_subplots(
        rows=len(names),
        cols=1,
        shared_xaxes=True,
        subplot_titles=names,
        vertical_spacing=0.12 if len(names) > 1 else 0.0,
    )
    rows = result.traded
    stability = result.stability
    for k, name in enumerate(names):
        fig.add_trace(
            go.Scatter(
                x=rows["test_start"],
                y=rows[name],
                mode="lines+markers",
                line={"shape": "hv", "color": STRATEGY_COLOR},
                name=name,
                showlegend=False,
            ),
            row=k + 1,
            col=1,
        )
        fig.update_yaxes(title_text=name, row=k + 1, col=1)
    date_axes(fig)
    shares = ", ".join(
        f"{n}: mode {row['mode']} in {row['mode_share']:.0%}"
        for n, row in stability.to_dict("index").items()
    )
    return titled(fig, "Parameter stability", shares, height=max(300, 220 * len(names) + 80))


def summary_table(result: WalkForwardResult) -> str:
    """The settings, the efficiency and the out-of-sample figures."""
    stats, settings = result.oos_stats, result.settings
    items: list[tuple[str, Any]] = [
        ("strategy", result.strategy),
        *((k, settings[k]) for k in ("objective", "method", "train", "test", "step", "warmup")),
        ("windows", "anchored" if settings.get("anchored") else "rolling"),
        ("windows traded", f"{len(result.traded)} of {len(result.windows)}"),
        ("efficiency (returns)", result.efficiency),
        (f"efficiency ({result.objective.goals[0].name})", result.value_efficiency),
        ("out of sample total_return_pct", stats.total_return_pct),
        ("out of sample sharpe", stats.sharpe),
        ("out of sample max_drawdown_pct", stats.max_drawdown_pct),
        ("out of sample trades", stats.trades),
    ]
    return settings_html(items)


def walkforward_html(result: WalkForwardResult, title: str | None = None) -> str:
    """The report as an HTML document (see :func:`write_walkforward_report`)."""
    figures = (equity_figure(result), windows_figure(result), stability_figure(result))
    charts = [figure_html(f, i) for f, i in zip(figures, WALKFORWARD_IDS, strict=True)]
    stability = result.stability
    columns = [*WINDOW_COLUMNS, *result.params, *FIGURE_COLUMNS]
    stability_table = frame_html(stability, list(stability.columns), index="parameter")
    window_table = frame_html(result.windows.set_index("window"), columns, index="window")
    sections = [
        ("Summary", summary_table(result)),
        ("Equity", charts[0]),
        ("Windows", charts[1]),
        ("Parameter stability", charts[2] + stability_table),
        ("Window table", f'<div class="scroll">{window_table}</div>'),
        ("Out-of-sample trades", trades_html(result.trades)),
    ]
    heading = title or f"Walk-forward of {result.strategy}"
    subtitle = (
        f"{len(result.windows)} windows, train {result.settings.get('train')}, "
        f"test {result.settings.get('test')}, {result.objective.describe()}"
    )
    return page(heading, subtitle, sections)


def write_walkforward_report(
    result: WalkForwardResult, path: str | Path, *, title: str | None = None
) -> Path:
    """Write the report of a walk-forward analysis to one self-contained HTML file.

    Parameters
    ----------
    result : WalkForwardResult
    path : str or Path
        The file to write (parent folders are created).
    title : str, optional
        Default ``Walk-forward of <Strategy>``.

    Returns
    -------
    Path
        The file written.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(walkforward_html(result, title), encoding="utf-8")
    return target


def _text(value: float) -> str:
    return "–" if not np.isfinite(value) else f"{value:.2f}"
