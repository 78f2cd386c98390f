"""Backtests and optimizations are recorded; `tradeforge runs list | show | compare`."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.persistence.conftest import cli_url
from tests.persistence.factories import moment
from tradeforge.cli.main import app
from tradeforge.model.symbol import Symbol
from tradeforge.persistence import audit, runs
from tradeforge.persistence.errors import StoreError
from tradeforge.persistence.store import Store

SPAN = runs.DataSpan("binance", [Symbol("BTC", "USDT")], "1h", moment(0), moment(3600))


def _record(store: Store, fast: int, sharpe: float, seconds: int) -> int:
    with store.session() as session:
        return runs.record_backtest(
            session, strategy="SmaCross", span=SPAN, parameters={"fast": fast, "slow": 30},
            stats={"sharpe": sharpe, "trades": fast, "total_return_pct": 1.5 * fast},
            initial_cash=Decimal("10000"), final_equity=Decimal(f"{10000 + fast}.125"),
            recorded_at=moment(seconds), code_hash=runs.code_hash(runs),
        ).id  # fmt: skip


def test_recorded_runs_list_show_and_compare(store: Store) -> None:
    first, second = _record(store, 10, 0.5, 1), _record(store, 20, 1.25, 2)
    with store.session() as session:
        listed = runs.list_runs(session)
        assert [r.id for r in listed] == [second, first]
        shown = runs.get_run(session, first)
        assert (shown.final_equity, shown.trades, shown.start) == (
            Decimal("10010.125"), 10, moment(0),
        )  # fmt: skip
        assert shown.code_hash == runs.code_hash(runs)
        table = dict(runs.comparison_table(runs.compare_runs(session, [second, first])))
        assert table["parameters"] == ["fast=20, slow=30", "fast=10, slow=30"]
        assert table["sharpe"] == [1.25, 0.5]
        assert table["final_equity"] == [Decimal("10020.125"), Decimal("10010.125")]
        assert "cagr_pct" not in table
        with pytest.raises(StoreError, match="no backtest run 99, 98"):
            runs.compare_runs(session, [first, 99, 98])
        assert audit.verify(session).entries == 2


def test_an_optimization_keeps_every_trial_and_the_best(store: Store) -> None:
    trials = [{"params": {"fast": 5}, "value": 0.7}, {"params": {"fast": 10}, "value": 1.9},
              {"params": {"fast": 15}, "value": None}]  # fmt: skip
    with store.session() as session:
        run = runs.record_optimization(session, strategy="SmaCross", span=SPAN,
                                       space={"fast": [5, 10, 15]}, objective="sharpe",
                                       trials=trials, recorded_at=moment(5))  # fmt: skip
        lowest = runs.record_optimization(session, strategy="SmaCross", span=SPAN,
                                          space={"fast": [5, 10, 15]}, objective="drawdown",
                                          trials=trials, recorded_at=moment(6),
                                          maximize=False)  # fmt: skip
        ids = (run.id, lowest.id)
    with store.session() as session:
        from tradeforge.persistence.models import OptimizationRunRecord

        best, low = (session.get(OptimizationRunRecord, i) for i in ids)
        assert best is not None and low is not None
        assert (best.best_params, best.best_value, best.trials) == ({"fast": 10}, 1.9, trials)
        assert (low.best_params, low.best_value) == ({"fast": 5}, 0.7)


def test_the_runs_commands(store: Store) -> None:
    first, second = _record(store, 10, 0.5, 1), _record(store, 20, 1.25, 2)
    runner, db = CliRunner(), cli_url(store)
    listed = runner.invoke(app, ["runs", "list", "--db", db, "--json"])
    assert listed.exit_code == 0, listed.output
    assert [r["id"] for r in json.loads(listed.stdout)] == [second, first]
    shown = runner.invoke(app, ["runs", "show", str(first), "--db", db, "--json"])
    document = json.loads(shown.stdout)
    assert (document["final_equity"], document["parameters"]) == (
        "10010.125", {"fast": 10, "slow": 30},
    )  # fmt: skip
    compared = runner.invoke(
        app, ["runs", "compare", str(first), str(second), "--db", db, "--json"]
    )
    assert json.loads(compared.stdout)["sharpe"] == [0.5, 1.25]
    table = runner.invoke(app, ["runs", "compare", str(first), str(second), "--db", db])
    assert "fast=10, slow=30" in table.stdout and "1.25" in table.stdout
    text = runner.invoke(app, ["runs", "list", "--db", db])
    assert "SmaCross" in text.stdout and "binance BTC/USDT 1h" in text.stdout


def test_a_cli_backtest_is_recorded(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRADEFORGE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TRADEFORGE_DB_URL", cli_url(store))
    args = ["backtest", "-s", "sma_cross", "-t", "5m", "--from", "2021-03-01", "--to",
            "2021-03-08", "-p", "fast=10", "-p", "slow=30", "--json"]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    skipped = CliRunner().invoke(app, [*args, "--no-record"])
    assert "run_id" not in json.loads(skipped.stdout)
    with store.session() as session:
        (run,) = runs.list_runs(session)
        assert run.id == summary["run_id"]
        assert (run.strategy, run.parameters, run.symbols, run.timeframe) == (
            "SmaCross", {"fast": 10, "slow": 30}, ["BTC/USDT"], "5m",
        )  # fmt: skip
        assert str(run.final_equity) == summary["final_equity"]
        assert run.trades == summary["trades"]
        assert run.stats["sharpe"] == summary["sharpe"]
        assert run.start == moment(0).replace(year=2021, month=3, day=1, hour=0, minute=0,
                                              second=0, microsecond=0)  # fmt: skip
        assert audit.verify(session).entries == 1


def test_report_compare_records_each_run(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRADEFORGE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TRADEFORGE_DB_URL", cli_url(store))
    args = ["report", "compare", "--run", "sma_cross:fast=10,slow=30", "--run", "rsi",
            "-t", "5m", "--from", "2021-03-01", "--to", "2021-03-08", "--json"]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    skipped = CliRunner().invoke(app, [*args, "--no-record"])
    assert "run_ids" not in json.loads(skipped.stdout)
    with store.session() as session:
        listed = sorted(runs.list_runs(session), key=lambda r: r.id)
        assert [r.id for r in listed] == document["run_ids"]
        assert [r.strategy for r in listed] == ["SmaCross", "RsiReversion"]
        summaries = list(document["runs"].values())
        assert [str(r.final_equity) for r in listed] == [s["final_equity"] for s in summaries]
        assert all(r.report_path == document["report"] for r in listed)
