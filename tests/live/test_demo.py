"""``tradeforge demo``: the sandbox and a paper node, offline, printing what the node does."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

from typer.testing import CliRunner

from tradeforge.cli.main import app


def test_the_demo_trades_on_the_sandbox_and_stops_by_itself(tmp_path: Path) -> None:
    env = {**os.environ, "TRADEFORGE_HOME": str(tmp_path / "home")}
    result = subprocess.run(
        [sys.executable, "-m", "tradeforge", "demo", "--seconds", "4"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "a paper node runs sma_cross (fast=5, slow=20) on them" in " ".join(out.split())
    assert "warm-up   BTC/USDT 5m: 300 bars (2021-01-08 23:00 to 2021-01-09 23:55)" in out
    assert (
        "2021-01-10 00:10  submitted O-210110001000-smacross-1  BUY 0.24438 BTC/USDT market" in out
    )
    assert (
        "2021-01-10 00:10  filled    O-210110001000-smacross-1  BUY 0.24438 BTC/USDT at 40,469.48"
        in out
    )
    assert "node stopped (duration)" in out
    assert result.stderr == ""


def test_the_demo_summary_adds_up(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(
        app, ["demo", "--seconds", "3", "--json"], env={"TRADEFORGE_HOME": str(tmp_path)}
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert (summary["stopped"], summary["trading_state"], summary["open_orders"]) == (
        "duration", "ACTIVE", 0,
    )  # fmt: skip
    assert summary["bars"] >= 1 and summary["strategy_errors"] == 0
    equity, start = Decimal(summary["equity"]), Decimal(summary["start_equity"])
    assert start == Decimal(10_000)
    assert equity - start == Decimal(summary["pnl"]) == (
        Decimal(summary["realized_pnl"]) + Decimal(summary["unrealized_pnl"])
        - Decimal(summary["fees"])
    )  # fmt: skip
