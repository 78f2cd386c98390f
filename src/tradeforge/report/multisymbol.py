"""The report of a multi-symbol validation: one self-contained HTML page.

* a heatmap of the goal, one row per parameter set and one column per symbol, each cell
  labelled with its value; flagged sets (working on one symbol only) get a ``⚑`` before their
  label and a red outline;
* the aggregates per set (mean, median, min, the share of symbols it works on, the flag).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import plotly.graph_objects as go

from tradeforge.report.charts import LOSS_COLOR, titled
from tradeforge.report.frame_table import frame_html, settings_html
from tradeforge.report.html import figure_html, page

if TYPE_CHECKING:
    from tradeforge.optimize.multisymbol_result import MultiSymbolResult

FLAG = "⚑"
MULTISYMBOL_IDS = ("symbols-heatmap",)
"""The ``div`` ids of the report's charts."""
SHOWN = (
    "mean",
    "median",
    "min",
    "max",
    "passing",
    "pass_share",
    "profitable_share",
    "best_symbol",
    "runner_up",
    "flag",
)


def set_labels(result: MultiSymbolResult) -> list[str]:
    """``fast=5, slow=30`` per set, ``⚑ `` first when the set is flagged."""
    rows = result.aggregate
    labels = []
    for key, row in rows.iterrows():
        text = ", ".join(f"{p}={row[p]}" for p in result.params) or f"set {key}"
        labels.append(f"{FLAG} {text}" if row["flagged"] else text)
    return labels


def heatmap_figure(result: MultiSymbolResult) -> go.Figure:
    """The goal per set and symbol; flagged rows outlined."""
    goal = result.objective.goals[0]
    z = result.values.to_numpy(dtype=np.float64)
    labels = set_labels(result)
    fig = go.Figure(
        go.Heatmap(
            z=np.where(np.isfinite(z), z, np.nan),
            x=result.symbols,
            y=labels,
            colorscale="RdYlGn" if goal.maximize else "RdYlGn_r",
            zmid=result.rule.threshold,
            texttemplate="%{z:.3g}",
            colorbar={"title": {"text": goal.name}},
            hovertemplate=f"%{{y}}<br>%{{x}}<br>{goal.name}=%{{z:.4g}}<extra></extra>",
        )
    )
    for k, flagged in enumerate(result.aggregate["flagged"]):
        if flagged:
            fig.add_shape(
                type="rect",
                x0=-0.5,
                x1=len(result.symbols) - 0.5,
                y0=k - 0.5,
                y1=k + 0.5,
                line={"color": LOSS_COLOR, "width": 2},
            )
    fig.update_xaxes(type="category", title_text="symbol")
    fig.update_yaxes(type="category", autorange="reversed")
    note = (
        f"{FLAG} works on one symbol only ({int(result.aggregate['flagged'].sum())} of "
        f"{len(labels)} sets); blank: the run did not count"
    )
    return titled(
        fig,
        f"{goal.name} by parameter set and symbol",
        note,
        height=max(360, 28 * len(labels) + 160),
    )


def multisymbol_html(result: MultiSymbolResult, title: str | None = None) -> str:
    """The report as an HTML document (see :func:`write_multisymbol_report`)."""
    items: list[tuple[str, Any]] = [
        ("strategy", result.strategy),
        ("objective", result.objective.describe()),
        ("symbols", ", ".join(result.symbols)),
        ("parameter sets", len(result.aggregate)),
        (
            "works when",
            f"value {'>' if result.objective.goals[0].maximize else '<'} {result.rule.threshold:g}",
        ),
        ("dominance", result.rule.dominance),
        ("flagged", int(result.aggregate["flagged"].sum())),
        ("robust (every symbol, not flagged)", len(result.robust)),
    ]
    table = frame_html(result.aggregate, [*result.params, *SHOWN], index="set")
    sections = [
        ("Validation", settings_html(items)),
        ("Heatmap", figure_html(heatmap_figure(result), MULTISYMBOL_IDS[0])),
        ("Parameter sets", f'<div class="scroll">{table}</div>'),
    ]
    heading = title or f"Multi-symbol validation of {result.strategy}"
    subtitle = f"{len(result.symbols)} symbols, {len(result.aggregate)} parameter sets"
    return page(heading, subtitle, sections)


def write_multisymbol_report(
    result: MultiSymbolResult, path: str | Path, *, title: str | None = None
) -> Path:
    """Write the report of a multi-symbol validation to one self-contained HTML file.

    Parameters
    ----------
    result : MultiSymbolResult
    path : str or Path
        The file to write (parent folders are created).
    title : str, optional
        Default ``Multi-symbol validation of <Strategy>``.

    Returns
    -------
    Path
        The file written.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(multisymbol_html(result, title), encoding="utf-8")
    return target
