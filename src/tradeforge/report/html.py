"""One self-contained HTML page: plotly.js inlined once, every chart and table, no links out.

The page opens offline (no CDN, no fonts, no images fetched); charts are interactive (zoom,
pan, hover, a range slider on the price).
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from tradeforge import __version__
from tradeforge.report.charts import report_figures
from tradeforge.report.data import report_data
from tradeforge.report.montecarlo import montecarlo_parts, montecarlo_set
from tradeforge.report.tables import stats_html, trades_html

if TYPE_CHECKING:
    from tradeforge.analysis.montecarlo import MonteCarloSet
    from tradeforge.backtest.result import BacktestResult

PLOT_CONFIG = {"displaylogo": False, "responsive": True, "scrollZoom": False}

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0;
       color: #222; background: #f6f7f9; }
header { background: #1f2937; color: #f9fafb; padding: 16px 28px; }
header h1 { margin: 0 0 4px; font-size: 20px; font-weight: 600; }
header p { margin: 0; color: #cbd5e1; font-size: 13px; }
nav { padding: 8px 28px; background: #e5e7eb; font-size: 13px; }
nav a { margin-right: 14px; color: #1d4ed8; text-decoration: none; }
main { padding: 12px 28px 40px; max-width: 1500px; }
section { background: #fff; border-radius: 6px; margin: 14px 0; padding: 8px 12px;
          box-shadow: 0 1px 2px rgba(0,0,0,.08); }
section h2 { font-size: 16px; margin: 8px 4px; }
.note { color: #6b7280; font-size: 12px; margin: 4px; }
.grid { display: grid; grid-template-columns: minmax(300px, 400px) minmax(0, 1fr); gap: 14px;
        margin: 14px 0; }
.grid > section { margin: 0; }
table { border-collapse: collapse; font-size: 12px; font-variant-numeric: tabular-nums; }
th, td { padding: 3px 8px; border-bottom: 1px solid #eef0f3; text-align: right; }
table.stats tbody th { text-align: left; font-weight: 500; color: #374151; }
table.trades thead th, table.stats thead th { background: #f3f4f6; position: sticky; top: 0; }
.scroll { max-height: 560px; overflow: auto; }
.grid .scroll { max-height: 470px; }
"""

FIT_PRICE_JS = """
(function () {
  // Zooming the price in time (range slider, drag, buttons) refits its y axis to the candles
  // in view: plotly would keep the whole run's range and flatten them.
  var div = document.getElementById("chart-price");
  if (!div || !div.on) { return; }
  var fitting = false;
  function ms(value) {
    return typeof value === "number" ? value : Date.parse(String(value).replace(" ", "T") + "Z");
  }
  div.on("plotly_relayout", function () {
    if (fitting) { return; }
    // _fullData holds the decoded arrays (data keeps the base64 form the page carries)
    var candles = div._fullData[0], range = div.layout.xaxis.range;
    if (!candles || !range || div.layout.xaxis.autorange) {
      fitting = true;
      Plotly.relayout(div, {"yaxis.autorange": true}).then(function () { fitting = false; });
      return;
    }
    var start = ms(range[0]), end = ms(range[1]), low = Infinity, high = -Infinity;
    for (var i = 0; i < candles.x.length; i++) {
      if (candles.x[i] >= start && candles.x[i] <= end) {
        low = Math.min(low, candles.low[i]);
        high = Math.max(high, candles.high[i]);
      }
    }
    if (!(high >= low)) { return; }
    var pad = (high - low) * 0.05 || high * 0.01;
    fitting = true;
    Plotly.relayout(div, {"yaxis.range": [low - pad, high + pad]}).then(function () {
      fitting = false;
    });
  });
})();
"""


def figure_html(fig: go.Figure, div_id: str) -> str:
    """A figure as a ``div`` and its script, without plotly.js (the page loads it once)."""
    html: str = fig.to_html(
        full_html=False, include_plotlyjs=False, div_id=div_id, config=PLOT_CONFIG
    )
    return html


def page(
    title: str, subtitle: str, sections: list[tuple[str, str]], *, side_by_side: bool = False
) -> str:
    """The whole document: header, a link per section, the sections, plotly.js in the head.

    Parameters
    ----------
    title, subtitle : str
        Plain text (escaped here).
    sections : list of (str, str)
        ``(heading, html)`` pairs, in order; each gets a link in the navigation bar.
    side_by_side : bool
        Put the first two sections in one row (a narrow table beside a chart).
    """
    anchors = [f"s{k}" for k in range(len(sections))]
    nav = "".join(
        f'<a href="#{a}">{escape(h)}</a>' for a, (h, _) in zip(anchors, sections, strict=True)
    )
    blocks = [
        f'<section id="{a}"><h2>{escape(h)}</h2>{content}</section>'
        for a, (h, content) in zip(anchors, sections, strict=True)
    ]
    if side_by_side and len(blocks) >= 2:
        blocks[:2] = [f'<div class="grid">{blocks[0]}{blocks[1]}</div>']
    body = "".join(blocks)
    stamp = f"tradeforge {__version__}"  # no wall-clock time: the same run, the same file
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{CSS}</style>"
        f'<script type="text/javascript">{get_plotlyjs()}</script></head><body>'
        f"<header><h1>{escape(title)}</h1><p>{escape(subtitle)}</p>"
        f"<p>made with {escape(stamp)}</p></header>"
        f"<nav>{nav}</nav><main>{body}</main></body></html>\n"
    )


def report_html(
    result: BacktestResult, title: str | None = None, monte_carlo: MonteCarloSet | None = None
) -> str:
    """The report of one run as an HTML document (see :func:`write_report`)."""
    data = report_data(result, title)
    charts = {key: figure_html(fig, key) for key, fig in report_figures(data).items()}
    stats = f'<div class="scroll">{stats_html({"value": data.stats})}</div>'
    trades = f'<div class="scroll">{trades_html(data.trades)}</div>'
    sections = [
        ("Statistics", stats),
        ("Equity", charts["chart-equity"]),
        ("Drawdown", charts["chart-drawdown"]),
        ("Price", charts["chart-price"] + f"<script>{FIT_PRICE_JS}</script>"),
        ("Monthly returns", charts["chart-monthly"]),
        ("Return distribution", charts["chart-distribution"]),
        ("Rolling Sharpe", charts["chart-rolling-sharpe"]),
        (f"Trades ({len(data.trades):,})", trades),
    ]
    if monte_carlo is not None:  # before the trades
        parts = montecarlo_parts(monte_carlo)
        sections[-1:-1] = [(p.heading, figure_html(p.figure, p.div_id) + p.table) for p in parts]
    return page(data.title, data.subtitle, sections, side_by_side=True)


def write_report(
    result: BacktestResult,
    path: str | Path,
    *,
    title: str | None = None,
    monte_carlo: MonteCarloSet | int | None = None,
) -> Path:
    """Write the HTML report of a backtest to one self-contained file.

    Parameters
    ----------
    result : BacktestResult
        A finished event-driven run.
    path : str or Path
        The file to write (parent folders are created).
    title : str, optional
        The page title; default ``Strategy(params) on SYMBOL TIMEFRAME``.
    monte_carlo : MonteCarloSet or int, optional
        Add the Monte Carlo section (:mod:`tradeforge.report.montecarlo`): resamplings made
        with :func:`tradeforge.analysis.monte_carlo`, or a number of paths to make them with
        (seed 0).

    Returns
    -------
    Path
        The file written.

    Notes
    -----
    The page holds the equity curve against buy and hold, the drawdown, the primary series'
    candles with the strategy's indicators and its entries and exits (with a range slider),
    monthly returns, the distributions of daily and trade returns, a rolling Sharpe ratio, the
    statistics and the trades. Traces over 20,000 points are downsampled and the trades table
    lists at most 500 trades; both say so on the page.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    chosen = None if monte_carlo is None else montecarlo_set(result, monte_carlo)
    target.write_text(report_html(result, title, chosen), encoding="utf-8")
    return target
