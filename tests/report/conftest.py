"""Real backtests on the bundled samples for the report tests, run once per worker."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from tradeforge.backtest import Backtest
from tradeforge.backtest.result import BacktestResult
from tradeforge.cli.main import app
from tradeforge.data import ParquetCatalog
from tradeforge.samples import SAMPLE_CATALOG
from tradeforge.strategies import Breakout

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "tests" / "artifacts"
"""Screenshots the browser tests leave for people to look at (gitignored)."""
Cli = Callable[..., Result]


def breakout_run(start: str | None = None, end: str | None = None, **params: Any) -> BacktestResult:
    """Breakout on the bundled BTC/USDT 1h bars (2019-01 to 2024-04 without bounds)."""
    frame = ParquetCatalog(SAMPLE_CATALOG).read_bars("binance", "BTC/USDT", "1h", start, end)
    bars = frame[["open", "high", "low", "close", "volume"]]
    backtest = Backtest(bars, Breakout, cash=10_000, commission=0.001, symbol="BTC/USDT")
    return backtest.run(**params)


@pytest.fixture(scope="session")
def breakout() -> BacktestResult:
    """The demo's run: 46,443 hourly bars, 112 trades (enough to be downsampled)."""
    return breakout_run()


@pytest.fixture(scope="session")
def no_trades() -> BacktestResult:
    """A run whose resistance never forms in two months of data: no order, no trade."""
    result = breakout_run("2021-01-01", "2021-03-01", lookback_days=200)
    assert len(result.trades) == 0
    return result


@pytest.fixture(scope="session")
def breakout_report(breakout: BacktestResult, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return breakout.report(tmp_path_factory.mktemp("report") / "breakout.html")


@pytest.fixture(scope="session")
def no_trades_report(no_trades: BacktestResult, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return no_trades.report(tmp_path_factory.mktemp("report") / "no-trades.html")


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Cli:
    """``cli("report", "compare", ...)``: the CLI with a temporary home and catalog."""
    for variable in ("TRADEFORGE_CONFIG", "TRADEFORGE_PROFILE"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("TRADEFORGE_HOME", str(tmp_path / "home"))
    runner = CliRunner()

    def run(*args: str) -> Result:
        return runner.invoke(app, ["--catalog", str(tmp_path / "catalog"), *args])

    return run


def plot_data(html: str, div_id: str) -> list[dict[str, Any]]:
    """The trace list a page passes to ``Plotly.newPlot`` for the chart ``div_id``."""
    found = re.search(r'Plotly\.newPlot\(\s*"' + re.escape(div_id) + r'",\s*', html)
    assert found is not None, f"no chart {div_id}"
    traces, _ = json.JSONDecoder().raw_decode(html, found.end())
    assert isinstance(traces, list)
    return traces
