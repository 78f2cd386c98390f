"""The statistics table printed after a backtest: labels, formats and colours."""

from __future__ import annotations

import dataclasses
import math
from decimal import Decimal

import pandas as pd
from rich.console import Console
from rich.table import Table
from rich.text import Text

from tradeforge.backtest.stats import Stats, SymbolStats, compute_stats
from tradeforge.cli.render import stats_table

T0 = pd.Timestamp("2024-01-01", tz="UTC")


def losing_stats(**changes: object) -> Stats:
    equity = pd.Series([110.0, 90.0, 95.0], index=pd.date_range(T0, periods=3, freq="h"))
    stats = compute_stats(equity, pd.DataFrame(), initial_cash=Decimal(100),
                          final_equity=Decimal(95))  # fmt: skip
    return dataclasses.replace(stats, **changes)  # type: ignore[arg-type]


def cells(table: Table) -> dict[str, Text]:
    labels = [str(c) for c in table.columns[0].cells]
    values = [c if isinstance(c, Text) else Text(str(c)) for c in table.columns[1].cells]
    return dict(zip(labels, values, strict=True))


def test_losses_are_red_gains_green_and_ratios_neutral() -> None:
    rows = cells(stats_table("run", losing_stats(best_trade_pct=4.0, expectancy=-3.5)))
    assert (str(rows["Total return"]), rows["Total return"].style) == ("-5.00 %", "red")
    assert (str(rows["Best trade"]), rows["Best trade"].style) == ("+4.00 %", "green")
    assert (str(rows["Expectancy"]), rows["Expectancy"].style) == ("-3.50", "red")
    assert rows["Max drawdown"].style == "red"
    assert rows["Sharpe ratio"].style == rows["Final equity"].style == ""
    assert str(rows["Final equity"]) == "95.00"
    assert str(rows["Start"]) == "2023-12-31 23:00"  # the first bar's open
    assert str(rows["Max drawdown duration"]) == "0 days 02:00:00"


def test_funding_shows_only_when_paid_and_infinities_as_symbols() -> None:
    assert "Funding paid" not in cells(stats_table("run", losing_stats()))
    paid = losing_stats(funding_paid=Decimal("12.5"), profit_factor=math.inf, kelly=-math.inf)
    rows = cells(stats_table("run", paid))
    assert str(rows["Funding paid"]) == "12.50"
    assert (str(rows["Profit factor"]), str(rows["Kelly criterion"])) == ("∞", "-∞")


def test_several_symbols_get_a_line_each() -> None:
    per_symbol = {
        "BTC/USDT": SymbolStats(trades=3, win_rate_pct=66.7, pnl=120.0, fees=4.0),
        "ETH/USDT": SymbolStats(trades=2, win_rate_pct=0.0, pnl=-30.0, fees=2.5),
    }
    table = stats_table("run", losing_stats(per_symbol=per_symbol))
    rows = cells(table)
    assert str(rows["  ETH/USDT"]) == "2 trades, 0.0 % won, PnL -30.00, fees 2.50"
    console = Console(width=100, record=True)
    console.print(table)
    text = console.export_text()
    for label in ("Total return", "Sharpe ratio", "Max drawdown", "Final equity", "Fees paid"):
        assert label in text
    one = cells(stats_table("run", losing_stats(per_symbol={"BTC/USDT": per_symbol["BTC/USDT"]})))
    assert "  BTC/USDT" not in one
