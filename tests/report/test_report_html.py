"""The HTML report of a real run: one self-contained file with every chart and table."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
from plotly.offline import get_plotlyjs

from tests.report.conftest import plot_data
from tradeforge.backtest.result import BacktestResult
from tradeforge.report.charts import CHART_IDS, MAX_CANDLES, monthly_returns
from tradeforge.report.sampling import MAX_POINTS, keep_extremes, merge_candles
from tradeforge.report.tables import trades_view

TITLES = (
    "Equity vs buy and hold",
    "Drawdown (underwater)",
    "1h: trades and indicators",
    "Monthly returns (%)",
    "Return distribution",
    "Rolling Sharpe ratio",
)


def test_report_is_one_self_contained_file(breakout_report: Path) -> None:
    html = breakout_report.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert 'src="http' not in html
    assert not re.search(r"<script[^>]+src=", html)  # plotly.js is inlined, not loaded
    assert not re.search(r"<link[^>]+href=", html)
    assert html.count(get_plotlyjs()) == 1  # once for the page, not once per chart


def test_report_has_every_chart_and_table(breakout_report: Path) -> None:
    html = breakout_report.read_text(encoding="utf-8")
    for div_id in CHART_IDS:
        assert f'id="{div_id}"' in html
    for title in TITLES:
        assert title in html
    assert '<table class="stats">' in html
    assert re.search(r"<table[^>]*class=\"dataframe trades\"", html)
    assert "Trades (112)" in html


def test_large_run_is_downsampled_and_says_so(breakout_report: Path) -> None:
    html = breakout_report.read_text(encoding="utf-8")
    equity = plot_data(html, "chart-equity")
    assert len(equity) == 2  # buy and hold, strategy
    assert "downsampled for drawing: 20,000 of 46,443 bars" in html
    assert "46,443 bars shown as 4,645 candles of 10 bars each" in html
    price = plot_data(html, "chart-price")
    names = [trace.get("name") for trace in price]
    assert names == ["BTC/USDT 1h", "resistance", "entries", "exits"]
    assert price[0]["type"] == "candlestick"


def test_price_chart_marks_every_trade(breakout: BacktestResult, breakout_report: Path) -> None:
    price = {t["name"]: t for t in plot_data(breakout_report.read_text(), "chart-price")}
    assert len(price["entries"]["text"]) == len(breakout.trades) == 112
    assert len(price["exits"]["text"]) == breakout.trades["exit_time"].notna().sum()


def test_keep_extremes_keeps_the_lowest_and_highest_point() -> None:
    rng = np.random.default_rng(7)
    values = np.cumsum(rng.normal(size=100_000))
    keep = keep_extremes(values)
    assert len(keep) <= MAX_POINTS
    assert np.all(np.diff(keep) > 0)
    assert {0, len(values) - 1, int(values.argmin()), int(values.argmax())} <= set(keep.tolist())
    assert len(keep_extremes(values[:500])) == 500


def test_merged_candles_are_exact_ohlc_of_their_bars() -> None:
    n = 12_345
    rng = np.random.default_rng(3)
    close = 100 + np.cumsum(rng.normal(size=n))
    opens, highs, lows = close - 0.1, close + rng.random(n), close - rng.random(n)
    times = np.arange(n).astype("datetime64[h]").astype("datetime64[ns]")
    candles = merge_candles(times, (opens, highs, lows, close), 1_000)
    assert candles.width == 13 and len(candles.time) == 950
    assert candles.high[0] == highs[:13].max() and candles.low[-1] == lows[949 * 13 :].min()
    assert candles.open[1] == opens[13] and candles.close[-1] == close[-1]
    assert MAX_CANDLES <= MAX_POINTS


def test_monthly_returns_chain_to_the_total_return() -> None:
    index = pd.date_range("2023-01-15", "2023-04-10", freq="D", tz="UTC")
    equity = pd.Series(np.linspace(10_000, 13_000, len(index)), index=index)
    table = monthly_returns(equity, 10_000.0)
    assert list(table.index) == [2023] and list(table.columns) == list(range(1, 13))
    growth = np.nanprod(1 + table.to_numpy() / 100)
    assert abs(growth - 1.3) < 1e-12
    assert table[5].isna().all()


def test_trades_table_is_capped_with_a_note(breakout: BacktestResult) -> None:
    view, note = trades_view(breakout.trades, limit=20)
    assert len(view) == 20
    assert list(view.index[:2]) == [1, 2] and list(view.index[-2:]) == [111, 112]
    assert note.startswith("112 trades: the first 10 and the last 10 are listed")
    full, none = trades_view(breakout.trades)
    assert len(full) == 112 and none == ""


def test_zero_trade_run_gives_a_complete_report(no_trades_report: Path) -> None:
    html = no_trades_report.read_text(encoding="utf-8")
    for div_id in CHART_IDS:
        assert f'id="{div_id}"' in html
    assert "No trades: the strategy never entered a position." in html
    assert "no closed trades" in html  # the trade-return histogram says why it is empty
    names = [trace.get("name") for trace in plot_data(html, "chart-price")]
    assert "entries" not in names


def test_the_same_run_writes_the_same_file(
    breakout: BacktestResult, breakout_report: Path, tmp_path: Path
) -> None:
    again = breakout.report(tmp_path / "again.html")
    assert again.read_bytes() == breakout_report.read_bytes()
