"""``tradeforge optimize``: the same search as the Python API, a report, a record, clear errors."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.cli.conftest import Invoke, json_of, run_cli
from tradeforge.backtest import Backtest
from tradeforge.cli.optimize_command import parse_space
from tradeforge.data import ParquetCatalog
from tradeforge.data.replay import BarSeries
from tradeforge.model.symbol import Symbol
from tradeforge.model.timeframe import Timeframe
from tradeforge.optimize import FloatRange, IntRange, OptimizeError
from tradeforge.persistence.models import OptimizationRunRecord
from tradeforge.persistence.store import Store
from tradeforge.samples import SAMPLE_CATALOG
from tradeforge.strategies import SmaCross

DATA = ("--symbol", "BTC/USDT", "-t", "1h", "--from", "2021-01-01", "--to", "2021-04-01")
SEARCH = ("-p", "fast=5:25:5", "-p", "slow=20:70:10", "--constraint", "fast < slow")


def _python_api() -> Backtest:
    frame = ParquetCatalog(SAMPLE_CATALOG).read_bars(
        "binance", "BTC/USDT", "1h", "2021-01-01", "2021-04-01"
    )
    series = BarSeries.from_frame(Symbol.parse("BTC/USDT"), frame, Timeframe.parse("1h"))
    return Backtest([series], SmaCross, cash=10_000, commission=0.001)


def test_json_output_is_the_python_api_search(invoke: Invoke) -> None:
    document = json_of(invoke("optimize", "sma_cross", *DATA, *SEARCH, "--executor", "serial",
                              "--json", "--no-record", "--top", "3"))  # fmt: skip
    expected = _python_api().optimize(fast=range(5, 26, 5), slow=range(20, 71, 10),
                                      constraint="fast < slow", executor="serial")  # fmt: skip
    assert document["trials"] == len(expected.trials) == 28
    assert document["best_params"] == expected.best_params == {"fast": 5, "slow": 70}
    assert document["best_value"] == expected.best_value
    assert document["objective"] == "maximize sharpe"
    assert document["space"] == {
        "fast": {"low": 5, "high": 25, "step": 5, "log": False},
        "slow": {"low": 20, "high": 70, "step": 10, "log": False},
    }
    top = expected.top(3)
    assert [(r["fast"], r["slow"], r["sharpe"]) for r in document["rows"]] == list(
        zip(top["fast"], top["slow"], top["sharpe"], strict=True)
    )


def test_the_search_is_recorded_and_reported(invoke: Invoke, catalog_dir: Path) -> None:
    report = catalog_dir.parent / "search.html"
    result = invoke("optimize", "sma_cross", *DATA, "-p", "fast=5,10", "-p", "slow=40,60",
                    "--executor", "serial", "--maximize", "total_return_pct",
                    "--report", str(report))  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "best: fast=5, slow=60" in result.output
    assert f"HTML report: {report.resolve()}" in result.output.replace("\n", "")
    assert report.stat().st_size > 1_000_000
    url = f"sqlite:///{catalog_dir.parent / 'home' / 'tradeforge.db'}"
    with Store(url) as store, store.session() as session:
        (record,) = session.scalars(select(OptimizationRunRecord)).all()
        assert record.strategy == "SmaCross"
        assert record.objective == "maximize total_return_pct"
        assert record.best_params == {"fast": 5, "slow": 60}
        assert len(record.trials) == 4
        assert record.report_path == str(report.resolve())
        assert (record.start, record.end) == (datetime(2021, 1, 1, tzinfo=UTC),
                                              datetime(2021, 4, 1, tzinfo=UTC))  # fmt: skip
        assert record.symbols == ["BTC/USDT"] and record.timeframe == "1h"


def test_param_syntax() -> None:
    items = ["fast=5:50:5", "slow=20:200", "x=0.1:0.5:0.1", "y=0.5:2", "z=1h,4h", "w=3"]
    assert parse_space(items) == {
        "fast": IntRange(5, 50, 5),
        "slow": IntRange(20, 200),
        "x": FloatRange(0.1, 0.5, 0.1),
        "y": FloatRange(0.5, 2.0),
        "z": ["1h", "4h"],
        "w": "3",
    }


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ("fast", "bad --param 'fast': use name=start:stop:step"),
        ("fast=", "bad --param 'fast=': use name=start:stop:step"),
        ("fast=5:x:5", "bad --param 'fast=5:x:5': 'x' is not a number"),
        ("fast=1:2:3:4", "bad --param 'fast=1:2:3:4': a range is start:stop or start:stop:step"),
        ("fast=9:2", "bad --param 'fast=9:2': low 9 is above high 2"),
        ("fast=1,,2", "bad --param 'fast=1,,2': an empty value in the list"),
        ("fast=nan:1", "bad --param 'fast=nan:1': 'nan' is not a finite number"),
    ],
)
def test_bad_params_name_the_option(item: str, message: str) -> None:
    with pytest.raises(OptimizeError) as error:
        parse_space([item])
    assert str(error.value).startswith(message)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--method", "anneal"), "error: unknown method 'anneal': use grid, random, tpe, cmaes"),
        (("--executor", "dask"), "error: unknown executor 'dask': use serial, process, ray"),
        (("--maximize", "shrp"), "error: unknown statistic 'shrp' to optimize"),
        (("--trials", "5"), "error: a grid search runs every point: give trials to random"),
        (("--workers", "0"), "error: workers must be >= 1, got 0"),
        (("--constraint", "fast < slw"), "error: constraint 'fast < slw': unknown name 'slw'"),
        (("-p", "slow=5:x"), "error: bad --param 'slow=5:x': 'x' is not a number"),
    ],
)
def test_bad_options_give_one_line_errors(
    invoke: Invoke, args: tuple[str, ...], message: str
) -> None:
    result = invoke("optimize", "sma_cross", *DATA, "-p", "fast=5:25:5", "--no-record", *args)
    assert result.exit_code == 1
    assert result.output.strip() == next(
        line for line in result.output.splitlines() if line.startswith("error:")
    )
    assert result.output.startswith(message)


def test_unknown_parameters_fail_through_the_console_entry_point(tmp_path: Path) -> None:
    done = run_cli("optimize", "sma_cross", *DATA, "-p", "fats=5:25:5", "--no-record",
                   cwd=tmp_path, env={"TRADEFORGE_HOME": str(tmp_path)})  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.strip() == "error: SmaCross: unknown parameter 'fats' (declared: fast, slow)"
