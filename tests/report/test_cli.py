"""The report from the command line: backtest --report/--export, report compare, the demo."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.report.conftest import Cli, plot_data
from tradeforge.backtest.result import BacktestResult
from tradeforge.cli.report_commands import parse_run
from tradeforge.data import DataError
from tradeforge.report import compare
from tradeforge.report.compare import COMPARE_IDS
from tradeforge.strategies.registry import StrategyLoadError

WINDOW = ("--symbol", "BTC/USDT", "--timeframe", "1h", "--from", "2021-01-01", "--to", "2021-07-01")
RUNS = ("breakout", "sma_cross:fast=10,slow=30", "sma_cross:fast=20,slow=50")


def test_backtest_writes_the_report_and_the_exports(cli: Cli, tmp_path: Path) -> None:
    report, folder = tmp_path / "r" / "bt.html", tmp_path / "exports"
    args = ("backtest", "-s", "breakout", *WINDOW, "--report", str(report))
    result = cli(*args, "--export", str(folder))
    assert result.exit_code == 0, result.output
    assert f"HTML report: {report.resolve()}" in result.output
    assert f"to {folder.resolve()}" in result.output
    assert report.stat().st_size > 1_000_000  # plotly.js is inside
    assert sorted(p.name for p in folder.iterdir()) == [
        "equity.csv", "orders.csv", "summary.json", "trades.csv",
    ]  # fmt: skip


def test_backtest_json_says_where_the_files_are(cli: Cli, tmp_path: Path) -> None:
    report = tmp_path / "bt.html"
    result = cli("backtest", "-s", "breakout", *WINDOW, "--report", str(report), "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["report"] == str(report.resolve())
    assert "export" not in document and document["trades"] > 0


def test_report_compare_puts_every_run_on_one_page(cli: Cli, tmp_path: Path) -> None:
    output = tmp_path / "compare.html"
    runs = [arg for spec in RUNS for arg in ("--run", spec)]
    result = cli("report", "compare", *runs, *WINDOW, "-o", str(output))
    assert result.exit_code == 0, result.output
    assert f"HTML comparison: {output.resolve()}" in result.output
    html = output.read_text(encoding="utf-8")
    assert 'src="http' not in html
    equity = plot_data(html, COMPARE_IDS[0])
    assert [trace["name"] for trace in equity] == list(RUNS)
    assert len(plot_data(html, COMPARE_IDS[1])) == len(RUNS)
    for spec in RUNS:
        assert f"<th>{spec}</th>" in html  # a stats column per run


def test_report_compare_default_output_is_in_home(cli: Cli, tmp_path: Path) -> None:
    result = cli("report", "compare", "--run", "sma_cross", *WINDOW, "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["report"] == str((tmp_path / "home" / "reports" / "compare.html").resolve())
    assert list(document["runs"]) == ["sma_cross"]


def test_report_compare_refuses_a_bad_run(cli: Cli) -> None:
    result = cli("report", "compare", "--run", "sma_cross:=3", *WINDOW)
    assert isinstance(result.exception, DataError)
    assert "bad --run 'sma_cross:=3'" in str(result.exception)
    result = cli("report", "compare", "--run", "sma_cross:fast", *WINDOW)
    assert isinstance(result.exception, StrategyLoadError)  # no '=': all of it is the name


def test_parse_run() -> None:
    assert parse_run("breakout") == ("breakout", {})
    assert parse_run("sma_cross:fast=10,slow=30") == ("sma_cross", {"fast": "10", "slow": "30"})
    assert parse_run("my/strat.py:Fast") == ("my/strat.py:Fast", {})
    assert parse_run("my/strat.py:Fast:n=3") == ("my/strat.py:Fast", {"n": "3"})
    with pytest.raises(DataError):
        parse_run(":a=1")


def test_compare_from_python_with_labels(
    breakout: BacktestResult, no_trades: BacktestResult, tmp_path: Path
) -> None:
    path = compare([breakout, no_trades], tmp_path / "c.html", labels=["all", "none"])
    equity = plot_data(path.read_text(encoding="utf-8"), COMPARE_IDS[0])
    assert [trace["name"] for trace in equity] == ["all", "none"]
    with pytest.raises(ValueError, match="2 results"):
        compare([breakout, no_trades], tmp_path / "x.html", labels=["one"])
    with pytest.raises(ValueError, match="at least one"):
        compare([], tmp_path / "x.html")


def test_demo_writes_its_report_in_home(cli: Cli, tmp_path: Path) -> None:
    result = cli("demo", "--backtest", "--json")
    assert result.exit_code == 0, result.output
    report = Path(json.loads(result.stdout)["report"])
    assert report == (tmp_path / "home" / "reports" / "demo-breakout.html").resolve()
    html = report.read_text(encoding="utf-8")
    assert "tradeforge demo: Breakout on BTC/USDT 1h" in html
    assert "Trades (112)" in html
