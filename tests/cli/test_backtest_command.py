from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pandas as pd

from tests.cli.conftest import Invoke, json_of, run_cli
from tradeforge.backtest import Backtest
from tradeforge.data import ParquetCatalog
from tradeforge.data.replay import BarSeries
from tradeforge.model.symbol import Symbol
from tradeforge.model.timeframe import Timeframe
from tradeforge.samples import SAMPLE_CATALOG
from tradeforge.strategies import SmaCross
from tradeforge.strategies.registry import load_strategy

ARGS = (
    "backtest",
    "--strategy",
    "sma_cross",
    "--symbol",
    "BTC/USDT",
    "--timeframe",
    "5m",
    "--from",
    "2021-03-01",
    "--to",
    "2021-03-15",
    "--param",
    "fast=10",
    "--param",
    "slow=30",
)


def _march_bars() -> pd.DataFrame:
    catalog = ParquetCatalog(SAMPLE_CATALOG)
    return catalog.read_bars("binance", "BTC/USDT", "5m", "2021-03-01", "2021-03-15")


def test_json_summary_matches_the_python_api_on_the_same_bars(invoke: Invoke) -> None:
    document = json_of(invoke(*ARGS, "--json"))
    for key in ("trades", "final_equity", "total_return", "max_drawdown", "sharpe"):
        assert key in document
    bars = _march_bars()
    series = BarSeries.from_frame(Symbol.parse("BTC/USDT"), bars, Timeframe.parse("5m"))
    result = Backtest([series], SmaCross, cash=10_000, commission=0.001).run(fast=10, slow=30)
    assert Decimal(document["final_equity"]) == result.final_equity
    assert document["trades"] == result.stats["trades"]
    assert document["params"] == {"fast": 10, "slow": 30}
    # every golden cross after the warm-up opened a trade, checked with pandas
    close = bars["close"]
    above = close.rolling(10).mean() > close.rolling(30).mean()
    crosses = int((above & ~above.shift(1, fill_value=True)).iloc[30:].sum())
    assert len(result.trades) == crosses
    assert result.accounting_gap() == 0


def test_table_output_names_the_strategy_and_key_stats(invoke: Invoke) -> None:
    result = invoke(*ARGS)
    assert result.exit_code == 0, result.output
    assert "SmaCross(fast=10, slow=30) on binance bundled samples" in result.output
    for label in ("Total return", "Sharpe ratio", "Max drawdown", "Final equity", "Fees paid"):
        assert label in result.output


def test_bad_parameter_is_a_one_line_error(tmp_path: Path) -> None:
    result = run_cli("backtest", "--param", "fast=abc", cwd=tmp_path)
    assert result.returncode == 1
    assert "parameter 'fast'" in result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_strategy_lists_the_built_ins(tmp_path: Path) -> None:
    result = run_cli("backtest", "--strategy", "nope", cwd=tmp_path)
    assert result.returncode == 1
    assert "sma_cross" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_series_says_how_to_get_it(tmp_path: Path) -> None:
    result = run_cli("backtest", "--symbol", "PEPE/USDT", cwd=tmp_path)
    assert result.returncode == 1
    assert "no binance PEPE/USDT 1h bars" in result.stderr


def test_timeframe_detail_trades_the_hourly_bars_along_the_5m_bars(invoke: Invoke) -> None:
    args = ("backtest", "--strategy", "breakout", "--from", "2021-02-01", "--to", "2021-03-01")
    document = json_of(invoke(*args, "--timeframe-detail", "5m", "--json"))
    catalog = ParquetCatalog(SAMPLE_CATALOG)
    symbol = Symbol.parse("BTC/USDT")
    hourly, detail = (
        BarSeries.from_frame(
            symbol,
            catalog.read_bars("binance", "BTC/USDT", tf, "2021-02-01", "2021-03-01"),
            Timeframe.parse(tf),
        )
        for tf in ("1h", "5m")
    )
    strategy = load_strategy("breakout")
    expected = Backtest([hourly], strategy, cash=10_000, commission=0.001, detail=[detail]).run()
    assumed = Backtest([hourly], strategy, cash=10_000, commission=0.001).run()
    assert Decimal(document["final_equity"]) == expected.final_equity
    # the same trades, but the exits trade where the 5m bars reached their levels
    assert document["trades"] == assumed.stats["trades"]
    assert expected.fills["ts"].tolist() != assumed.fills["ts"].tolist()
