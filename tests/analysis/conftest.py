"""Real bundled bars for the analyses, and the CLI with a temporary home and catalog."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner, Result

from tests.strategies.conftest import bars
from tradeforge.cli.main import app

HERE = Path(__file__).resolve().parent
BIASED = HERE / "biased.py"
"""The file of the biased strategies, for the CLI's ``path.py:Class``."""
Q1 = ("2021-01-01", "2021-04-01")
"""The bars every test analyses: BTC/USDT 1h, 2021 Q1 (2,158 bars)."""
Invoke = Callable[..., Result]


@pytest.fixture(scope="session")
def btc() -> pd.DataFrame:
    """BTC/USDT 1h bars of 2021 Q1 (2,158 bars; the close peaks at bar 1,722)."""
    return bars("BTC/USDT", "1h", *Q1)


@pytest.fixture
def invoke(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Invoke:
    """``invoke("analysis", "lookahead", ...)`` with a temporary home and catalog."""
    for variable in ("TRADEFORGE_CONFIG", "TRADEFORGE_PROFILE"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("TRADEFORGE_HOME", str(tmp_path / "home"))
    runner = CliRunner()

    def run(*args: str) -> Result:
        return runner.invoke(app, ["--catalog", str(tmp_path / "catalog"), *args])

    return run
