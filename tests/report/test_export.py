"""result.export(directory): CSV files with the result's own columns and rows, a JSON summary."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from tradeforge.backtest.result import BacktestResult
from tradeforge.report.export import EQUITY_COLUMNS


def test_export_writes_the_four_files(breakout: BacktestResult, tmp_path: Path) -> None:
    files = breakout.export(tmp_path / "out")
    assert {name: path.name for name, path in files.items()} == {
        "trades": "trades.csv",
        "orders": "orders.csv",
        "equity": "equity.csv",
        "summary": "summary.json",
    }
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(
        p.name for p in files.values()
    )


def test_trades_csv_has_every_trade_and_column(breakout: BacktestResult, tmp_path: Path) -> None:
    trades = pd.read_csv(breakout.export(tmp_path)["trades"])
    assert list(trades.columns) == list(breakout.trades.columns)
    assert len(trades) == len(breakout.trades) == 112
    assert set(trades["side"]) == {"LONG"}  # enum values, not reprs
    assert trades["net_pnl"].sum() == float(breakout.trades["net_pnl"].sum())
    first = breakout.trades.iloc[0]
    assert pd.Timestamp(trades["entry_time"].iloc[0]) == first["entry_time"]
    assert pd.Timestamp(trades["exit_time"].iloc[0]) == first["exit_time"]  # to the nanosecond
    assert trades["duration"].iloc[0] == first["duration"].total_seconds()


def test_orders_csv_has_every_order(breakout: BacktestResult, tmp_path: Path) -> None:
    orders = pd.read_csv(breakout.export(tmp_path)["orders"])
    assert list(orders.columns) == list(breakout.orders.columns)
    assert len(orders) == len(breakout.orders) == 3 * 112  # entry, take profit, stop loss
    assert set(orders["status"]) == {"FILLED", "CANCELED"}
    assert (orders["status"] == "FILLED").sum() == len(breakout.fills)


def test_equity_csv_has_one_row_per_bar(breakout: BacktestResult, tmp_path: Path) -> None:
    equity = pd.read_csv(breakout.export(tmp_path)["equity"])
    assert list(equity.columns) == EQUITY_COLUMNS
    assert len(equity) == len(breakout.equity) == 46_443
    assert equity["equity"].iloc[-1] == float(breakout.final_equity)
    assert equity["drawdown_pct"].min() == breakout.stats["max_drawdown_pct"]
    hold = equity["buy_and_hold"].iloc[-1] / 10_000 - 1
    assert abs(100 * hold - breakout.stats["buy_and_hold_return_pct"]) < 1e-9


def test_summary_json_is_the_summary(breakout: BacktestResult, tmp_path: Path) -> None:
    document = json.loads(breakout.export(tmp_path)["summary"].read_text())
    assert document == json.loads(json.dumps(breakout.summary(), default=str))
    assert document["trades"] == 112


def test_zero_trade_export_keeps_the_headers(no_trades: BacktestResult, tmp_path: Path) -> None:
    files = no_trades.export(tmp_path)
    for name, frame in (("trades", no_trades.trades), ("orders", no_trades.orders)):
        written = pd.read_csv(files[name])
        assert list(written.columns) == list(frame.columns) and len(written) == 0
    assert len(pd.read_csv(files["equity"])) == len(no_trades.equity)
    assert json.loads(files["summary"].read_text())["trades"] == 0
