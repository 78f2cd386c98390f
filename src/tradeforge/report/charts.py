"""The report's figures, one function each; plotly figures built from whole arrays.

Each function takes the :class:`~tradeforge.report.data.ReportData` of a run and returns a
``plotly.graph_objects.Figure``. Traces longer than
:data:`~tradeforge.report.sampling.MAX_POINTS` are downsampled, and the figure's subtitle says
so. Returns are in percent; times are UTC.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from tradeforge.backtest.stats import drawdowns
from tradeforge.report.data import Indicator, ReportData
from tradeforge.report.sampling import (
    MAX_POINTS,
    as_times,
    downsample_note,
    epoch_ms,
    keep_extremes,
    merge_candles,
)

STRATEGY_COLOR = "#1f77b4"
HOLD_COLOR = "#8c8c8c"
GAIN_COLOR = "#2ca02c"
LOSS_COLOR = "#d62728"
INDICATOR_COLORS = ("#ff7f0e", "#9467bd", "#17becf", "#bcbd22", "#e377c2", "#8c564b")
MAX_CANDLES = 5_000
"""Candles drawn at most: each one SVG path in the chart and another in its range slider."""
ROLLING_DAYS = 90
"""Window of the rolling Sharpe ratio, in days."""
YEAR_DAYS = 365

CHART_IDS = (
    "chart-equity",
    "chart-drawdown",
    "chart-price",
    "chart-monthly",
    "chart-distribution",
    "chart-rolling-sharpe",
)
"""The ``div`` id of every chart of a report, in page order."""


def curve_trace(series: pd.Series, name: str, color: str, **style: object) -> go.Scatter:
    """A line of a time-indexed series, downsampled above ``MAX_POINTS`` (extremes kept)."""
    values = series.to_numpy(dtype=np.float64)
    keep = keep_extremes(values)
    times = as_times(series.index)[keep]
    return go.Scatter(
        x=epoch_ms(times), y=values[keep], name=name, mode="lines", line={"color": color}, **style
    )


def titled(fig: go.Figure, title: str, note: str = "", height: int = 420) -> go.Figure:
    """Common layout: title with an optional subtitle note, white template, UTC date axes."""
    text = f"{title}<br><sup>{note}</sup>" if note else title
    fig.update_layout(
        title={"text": text, "x": 0.01},
        template="plotly_white",
        height=height,
        margin={"l": 60, "r": 30, "t": 70 if note else 50, "b": 40},
        legend={"orientation": "h", "y": 1.02, "x": 1, "xanchor": "right", "yanchor": "bottom"},
    )
    return fig


def date_axes(fig: go.Figure) -> go.Figure:
    """Every x axis a UTC date axis (values are epoch milliseconds), hovered to the second."""
    fig.update_xaxes(type="date", hoverformat="%Y-%m-%d %H:%M:%S")
    return fig


def equity_figure(data: ReportData) -> go.Figure:
    """The equity curve and the buy-and-hold benchmark of the same starting cash."""
    fig = go.Figure()
    fig.add_trace(curve_trace(data.benchmark, "buy and hold", HOLD_COLOR, opacity=0.8))
    fig.add_trace(curve_trace(data.equity, "strategy", STRATEGY_COLOR))
    date_axes(fig)
    fig.update_yaxes(title_text="equity", tickformat=",.0f")
    note = downsample_note(min(len(data.equity), MAX_POINTS), len(data.equity), "bars")
    return titled(fig, "Equity vs buy and hold", note)


def drawdown(series: pd.Series) -> pd.Series:
    """Percent below the running peak (0 at a new high, -100 when everything is lost): the
    statistics' :func:`~tradeforge.backtest.stats.drawdowns`, in percent."""
    values = series.to_numpy(dtype=np.float64)
    return pd.Series(100.0 * drawdowns(values), index=series.index, name=series.name)


def drawdown_figure(data: ReportData) -> go.Figure:
    """The underwater chart: the strategy's drawdown, the benchmark's as a dotted line."""
    fig = go.Figure()
    hold = drawdown(data.benchmark)
    fig.add_trace(curve_trace(hold, "buy and hold", HOLD_COLOR))
    fig.add_trace(curve_trace(drawdown(data.equity), "strategy", LOSS_COLOR, fill="tozeroy"))
    fig.update_traces(selector={"name": "buy and hold"}, line={"dash": "dot", "width": 1})
    date_axes(fig)
    fig.update_yaxes(title_text="drawdown %", ticksuffix="%")
    note = downsample_note(min(len(data.equity), MAX_POINTS), len(data.equity), "bars")
    return titled(fig, "Drawdown (underwater)", note, height=320)


def price_figure(data: ReportData) -> go.Figure:
    """Candles of the primary series with indicators, entries and exits, and a range slider.

    Oscillators (indicators far from the price range) get a panel below the price.
    """
    panel = [i for i in data.indicators if not i.overlay]
    fig = make_subplots(
        rows=2 if panel else 1,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.04,
        row_heights=[0.75, 0.25] if panel else [1.0],
    )
    candles, note = _candles(data)
    fig.add_trace(candles, row=1, col=1)
    for k, indicator in enumerate(data.indicators):
        color = INDICATOR_COLORS[k % len(INDICATOR_COLORS)]
        fig.add_trace(_indicator_trace(indicator, color), row=1 if indicator.overlay else 2, col=1)
    for trace in trade_markers(data.trades):
        fig.add_trace(trace, row=1, col=1)
    date_axes(fig).update_xaxes(rangeslider={"visible": False})
    slider = {"visible": True, "thickness": 0.06, "yaxis": {"rangemode": "auto"}}
    fig.update_xaxes(rangeslider=slider, row=2 if panel else 1)
    fig.update_yaxes(title_text=str(data.primary.symbol), row=1, col=1)
    title = f"{data.primary.symbol} {data.primary.timeframe}: trades and indicators"
    return titled(fig, title, note, height=640 if panel else 560)


def _candles(data: ReportData) -> tuple[go.Candlestick, str]:
    series = data.primary
    ohlc = (series.open, series.high, series.low, series.close)
    candles = merge_candles(as_times(series.ts_open), ohlc, MAX_CANDLES)
    trace = go.Candlestick(
        x=epoch_ms(candles.time),
        open=candles.open,
        high=candles.high,
        low=candles.low,
        close=candles.close,
        name=f"{series.symbol} {series.timeframe}",
        increasing={"line": {"width": 1}},
        decreasing={"line": {"width": 1}},
    )
    note = ""
    if candles.merged:
        note = (
            f"downsampled for drawing: {len(series):,} bars shown as {len(candles.time):,} "
            f"candles of {candles.width} bars each"
        )
    return trace, note


def _indicator_trace(indicator: Indicator, color: str) -> go.Scatter:
    keep = keep_extremes(indicator.values)
    return go.Scatter(
        x=epoch_ms(indicator.time[keep]),
        y=indicator.values[keep],
        name=indicator.name,
        mode="lines",
        line={"color": color, "width": 1.2, "shape": "hv" if indicator.step else "linear"},
    )


def trade_markers(trades: pd.DataFrame) -> list[go.Scatter]:
    """Entry triangles (up for long, down for short) and exit crosses (green won, red lost)."""
    if not len(trades):
        return []
    side = trades["side"].astype(str).str.rsplit(".", n=1).str[-1]
    number = np.arange(1, len(trades) + 1)
    columns = (trades["size"], trades["net_pnl"], trades["return_pct"])
    custom = np.column_stack([number, *(c.to_numpy(dtype=np.float64) for c in columns)])
    hover = (
        "trade %{customdata[0]} %{text} %{customdata[1]:.6g}<br>"
        "%{y:,.2f} at %{x}<br>net PnL %{customdata[2]:,.2f} (%{customdata[3]:.2f}%)"
    )
    labels = side.to_numpy(dtype=str)
    entries = go.Scatter(
        x=epoch_ms(as_times(trades["entry_time"])),
        y=trades["entry_price"].to_numpy(dtype=np.float64),
        name="entries",
        mode="markers",
        marker={
            "symbol": np.where(side == "SHORT", "triangle-down", "triangle-up"),
            "size": 10,
            "color": np.where(side == "SHORT", LOSS_COLOR, GAIN_COLOR),
            "line": {"width": 1, "color": "#222"},
        },
        customdata=custom,
        text=labels,
        hovertemplate="entry " + hover + "<extra></extra>",
    )
    closed = trades["exit_time"].notna().to_numpy()
    won = trades["net_pnl"].to_numpy(dtype=np.float64)[closed] > 0
    exits = go.Scatter(
        x=epoch_ms(as_times(trades["exit_time"][closed])),
        y=trades["exit_price"].to_numpy(dtype=np.float64)[closed],
        name="exits",
        mode="markers",
        marker={"symbol": "x", "size": 9, "color": np.where(won, GAIN_COLOR, LOSS_COLOR)},
        customdata=custom[closed],
        text=labels[closed],
        hovertemplate="exit " + hover + "<extra></extra>",
    )
    return [entries, exits]


def closing(series: pd.Series) -> pd.Series:
    """The series with each time moved 1 ns earlier, so that a value at a bar's close counts in
    the period the bar belongs to (the close at midnight ends the previous day or month)."""
    return series.set_axis(pd.DatetimeIndex(series.index) - pd.Timedelta(1, "ns"))


def monthly_returns(equity: pd.Series, initial_cash: float) -> pd.DataFrame:
    """Percent return of each calendar month (UTC): years as rows, months 1 to 12 as columns.

    The first month is measured from the starting cash; months outside the run are NaN.
    """
    month_end = closing(equity).resample("ME").last().dropna()
    if not len(month_end):
        return pd.DataFrame(columns=range(1, 13), dtype=np.float64)
    start = pd.Series([initial_cash], index=[month_end.index[0] - pd.offsets.MonthEnd(1)])
    returns = 100.0 * pd.concat([start, month_end]).pct_change().iloc[1:]
    index = pd.DatetimeIndex(returns.index)
    table = pd.DataFrame({"year": index.year, "month": index.month, "ret": returns.to_numpy()})
    pivot = table.pivot_table(index="year", columns="month", values="ret", aggfunc="first")
    return pivot.reindex(columns=range(1, 13)).astype(np.float64)


def monthly_figure(data: ReportData) -> go.Figure:
    """Heatmap of monthly returns, red to green around zero, each cell labelled."""
    table = monthly_returns(data.equity, data.initial_cash)
    months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun"]
    months += ["Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    finite = np.abs(table.to_numpy()[np.isfinite(table.to_numpy())])
    bound = float(finite.max()) if len(finite) and finite.max() > 0 else 1.0
    heatmap = go.Heatmap(
        z=table.to_numpy(),
        x=months,
        y=[str(y) for y in table.index],
        colorscale="RdYlGn",
        zmin=-bound,
        zmax=bound,
        texttemplate="%{z:.1f}",
        hovertemplate="%{x} %{y}: %{z:.2f}%<extra></extra>",
        colorbar={"ticksuffix": "%"},
        xgap=2,
        ygap=2,
    )
    fig = go.Figure(heatmap)
    fig.update_yaxes(autorange="reversed", type="category")
    return titled(fig, "Monthly returns (%)", height=max(260, 60 + 32 * len(table)))


def daily_returns(series: pd.Series) -> pd.Series:
    """Percent change of the last value of each UTC day."""
    daily = closing(series).resample("D").last().dropna()
    return (100.0 * daily.pct_change()).iloc[1:].replace([np.inf, -np.inf], np.nan).dropna()


def distribution_figure(data: ReportData) -> go.Figure:
    """Histograms of daily returns (strategy against buy and hold) and of trade returns."""
    fig = make_subplots(
        rows=1, cols=2, subplot_titles=("Daily returns (%)", "Net return per trade (%)")
    )
    hold = go.Histogram(
        x=daily_returns(data.benchmark).to_numpy(), name="buy and hold, daily",
        marker_color=HOLD_COLOR, opacity=0.55, nbinsx=80,
    )  # fmt: skip
    own = go.Histogram(
        x=daily_returns(data.equity).to_numpy(), name="strategy, daily",
        marker_color=STRATEGY_COLOR, opacity=0.75, nbinsx=80,
    )  # fmt: skip
    fig.add_trace(hold, row=1, col=1)
    fig.add_trace(own, row=1, col=1)
    closed = data.trades[data.trades["exit_time"].notna()] if len(data.trades) else data.trades
    returns = closed["return_pct"].to_numpy(dtype=np.float64) if len(closed) else np.array([])
    trade_hist = go.Histogram(
        x=returns, name="trades", marker_color=GAIN_COLOR, opacity=0.8, nbinsx=40
    )
    fig.add_trace(trade_hist, row=1, col=2)
    if not len(returns):
        fig.add_annotation(text="no closed trades", showarrow=False, row=1, col=2)
    fig.update_layout(barmode="overlay")
    fig.update_yaxes(title_text="count", row=1, col=1)
    titled(fig, "Return distribution", height=380)
    return fig.update_layout(legend={"y": -0.12, "yanchor": "top", "x": 0.5, "xanchor": "center"})


def rolling_sharpe(series: pd.Series, days: int = ROLLING_DAYS) -> tuple[pd.Series, int]:
    """Annualized Sharpe ratio of daily returns over a rolling window; and the window used.

    The window shrinks to a third of the run (at least 5 days) for runs shorter than twice
    ``days``. NaN where returns do not vary (no trades).
    """
    returns = daily_returns(series) / 100.0
    window = days if len(returns) >= 2 * days else max(5, len(returns) // 3)
    rolling = returns.rolling(window, min_periods=window)
    std = rolling.std()
    ratio = rolling.mean() / std.where(std > 0) * math.sqrt(YEAR_DAYS)
    return ratio.rename("rolling_sharpe"), window


def rolling_sharpe_figure(data: ReportData) -> go.Figure:
    """Rolling annualized Sharpe ratio of the strategy and of buy and hold."""
    own, window = rolling_sharpe(data.equity)
    hold, _ = rolling_sharpe(data.benchmark)
    fig = go.Figure()
    fig.add_trace(curve_trace(hold, "buy and hold", HOLD_COLOR, opacity=0.8))
    fig.add_trace(curve_trace(own, "strategy", STRATEGY_COLOR))
    fig.add_hline(y=0, line={"color": "#444", "width": 1})
    date_axes(fig)
    fig.update_yaxes(title_text="Sharpe (annualized)")
    note = f"{window}-day window of daily returns, 365-day year"
    return titled(fig, "Rolling Sharpe ratio", note, height=320)


def report_figures(data: ReportData) -> dict[str, go.Figure]:
    """Every chart of a report, keyed by its ``div`` id (:data:`CHART_IDS`), in page order."""
    figures = (
        equity_figure(data),
        drawdown_figure(data),
        price_figure(data),
        monthly_figure(data),
        distribution_figure(data),
        rolling_sharpe_figure(data),
    )
    return dict(zip(CHART_IDS, figures, strict=True))
