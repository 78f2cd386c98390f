from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from tests.analysis.biased import Centered
from tests.analysis.conftest import BIASED, Q1, Invoke
from tests.cli.conftest import json_of, run_cli
from tests.strategies.conftest import run
from tradeforge.analysis import lookahead_analysis, monte_carlo, recursive_analysis
from tradeforge.strategies import RsiReversion, SmaCross, StrategyLoadError

DATA = ("--symbol", "BTC/USDT", "--timeframe", "1h", "--from", Q1[0], "--to", Q1[1])


def test_lookahead_json_is_the_python_report(invoke: Invoke, btc: pd.DataFrame) -> None:
    document = json_of(invoke("analysis", "lookahead", "sma_cross", *DATA, "--json"))
    expected = lookahead_analysis(
        SmaCross, btc, symbol="BTC/USDT", backtest_options={"cash": 10_000, "commission": 0.001}
    )
    assert document == json.loads(json.dumps(expected.to_dict(), default=str))
    assert document["biased"] is False
    assert document["checked"] == ["indicator:sma_fast", "indicator:sma_slow", "entry:orders"]


def test_lookahead_table_of_a_clean_strategy(invoke: Invoke) -> None:
    result = invoke("analysis", "lookahead", "rsi", *DATA, "--cuts", "5")
    assert result.exit_code == 0, result.output
    assert "no look-ahead bias in RsiReversion on binance BTC/USDT 1h" in result.output
    assert "2 outputs at" in result.output


def test_lookahead_of_a_biased_file_strategy(invoke: Invoke, btc: pd.DataFrame) -> None:
    spec = f"{BIASED}:Centered"
    args = ("analysis", "lookahead", spec, *DATA, "--cuts", "3", "--signal-cuts", "0")
    document = json.loads(invoke(*args, "--json").stdout)
    (finding,) = document["findings"]
    expected = lookahead_analysis(Centered, btc, cuts=3, signal_cuts=0).findings[0]
    assert (finding["name"], finding["first_bar"], finding["cause"]) == (
        "centered_mean",
        expected.first_bar,
        "centered",
    )
    # the first cut is at the warm-up bar, 2, whose value the 3 bars kept cannot give
    assert (expected.first_bar, expected.cut_bar) == (2, 2)
    table = invoke(*args)
    assert table.exit_code == 0
    assert "Look-ahead bias in Centered" in table.output
    # the outputs are the indicator and the orders
    assert "1 biased of 2 outputs at 3 cuts" in table.output
    assert invoke(*args, "--strict").exit_code == 3
    # hints are printed as written, brackets included (not read as rich markup)
    shifted = invoke("analysis", "lookahead", f"{BIASED}:NextClose", *DATA, "--cuts", "2")
    assert "x[i" in shifted.output
    assert invoke("analysis", "lookahead", "sma_cross", *DATA, "--strict").exit_code == 0


def test_recursive_json_is_the_python_report(invoke: Invoke, btc: pd.DataFrame) -> None:
    args = ("analysis", "recursive", "rsi", *DATA, "--history", "50", "--history", "200")
    document = json_of(invoke(*args, "--json"))
    expected = recursive_analysis(RsiReversion, btc, histories=(50, 200))
    assert document == json.loads(json.dumps(expected.to_dict()))
    assert document["indicators"][0]["settle_bars"] == 124
    table = invoke(*args)
    assert table.exit_code == 0, table.output
    assert "124 bars" in table.output


def test_montecarlo_json_and_report(invoke: Invoke, btc: pd.DataFrame, tmp_path: Path) -> None:
    target = tmp_path / "mc.html"
    args = ("analysis", "montecarlo", "sma_cross", *DATA, "-n", "120", "--seed", "3")
    document = json_of(invoke(*args, "--block", "6", "--report", str(target), "--json"))
    expected = monte_carlo(run(btc, SmaCross), 120, seed=3, block=6)
    assert document["shuffle"] == json.loads(json.dumps(expected.shuffle.to_dict()))
    assert document["bootstrap"] == json.loads(json.dumps(expected.bootstrap.to_dict()))
    assert document["report"] == str(target.resolve())
    assert 'id="chart-mc-bootstrap"' in target.read_text()
    table = invoke(*args)
    assert table.exit_code == 0, table.output
    assert "trades shuffled (compounded): 120 paths, seed 3" in table.output
    assert "bar returns bootstrapped (iid): 120 paths, seed 4" in table.output
    added = json_of(invoke(*args, "--additive", "--json"))["shuffle"]
    expected_added = monte_carlo(run(btc, SmaCross), 120, seed=3, compound=False).shuffle
    assert added == json.loads(json.dumps(expected_added.to_dict()))
    assert added["compound"] is False


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("lookahead", "sma_cross", "--cuts", "0"), "error: cuts must be at least 1, got 0"),
        (("recursive", "rsi", "--window", "0"), "error: window must be at least 1 bar"),
        (("montecarlo", "rsi", "--block", "0"), "error: block must be between 1 and the"),
        (("montecarlo", "rsi", "--confidence", "2"), "error: confidence must be between 0 and 1"),
    ],
)
def test_bad_options_are_one_line_errors(
    invoke: Invoke, args: tuple[str, ...], message: str
) -> None:
    result = invoke("analysis", *args, *DATA)
    assert result.exit_code == 1
    assert result.stderr.startswith(message)
    assert result.stderr.count("\n") == 1


def test_the_console_script_reports_errors_in_one_line(tmp_path: Path) -> None:
    bad = run_cli("analysis", "lookahead", "sma_cross", *DATA, "--signal-cuts", "-2", cwd=tmp_path)
    assert bad.returncode == 1
    assert bad.stderr == "error: signal_cuts must be 0 or more, got -2\n"


def test_an_unknown_strategy_is_the_usual_user_error(invoke: Invoke) -> None:
    result = invoke("analysis", "recursive", "nope")
    assert isinstance(result.exception, StrategyLoadError)  # main() prints it in one line
    assert "unknown strategy 'nope'" in str(result.exception)
