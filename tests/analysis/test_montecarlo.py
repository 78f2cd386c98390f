from __future__ import annotations

from itertools import permutations

import numpy as np
import pandas as pd
import pytest

from tests.strategies.conftest import run
from tradeforge.analysis import (
    AnalysisError,
    MonteCarloResult,
    bootstrap_returns,
    monte_carlo,
    shuffle_trades,
)
from tradeforge.analysis import montecarlo as mc_module
from tradeforge.backtest.result import BacktestResult
from tradeforge.strategies import SmaCross

PNL = [100.0, -50.0, 200.0, -150.0, 80.0, -30.0]
CASH = 1000.0
RETURNS = [0.01, -0.02, 0.03, 0.005, -0.01, 0.02, -0.04, 0.015]


def equity_stats(path: list[float]) -> tuple[float, float]:
    """Final return and maximum drawdown of an equity path, one point at a time."""
    peak, worst = path[0], 0.0
    for value in path:
        peak = max(peak, value)
        worst = min(worst, value / peak - 1.0)
    return path[-1] / path[0] - 1.0, worst


def additive(row: np.ndarray) -> list[float]:
    path = [CASH]
    for pnl in row:
        path.append(path[-1] + float(pnl))
    return path


def compounded(row: np.ndarray) -> list[float]:
    path = [1.0]
    for r in row:
        path.append(path[-1] * (1.0 + float(r)))
    return path


@pytest.fixture(scope="module")
def sma_run(btc: pd.DataFrame) -> BacktestResult:
    return run(btc, SmaCross)


def test_shuffled_trades_match_a_loop_over_the_same_permutations() -> None:
    result = shuffle_trades(PNL, CASH, 8, seed=42)
    rows = np.random.default_rng(42).permuted(np.tile(PNL, (8, 1)), axis=1)
    expected = [equity_stats(additive(row)) for row in rows]
    assert list(result.simulations.itertuples(index=False, name=None)) == expected
    # the trades in their own order: 1000, 1100, 1050, 1250, 1100, 1180, 1150
    assert result.observed == {"final_return": 1150 / 1000 - 1, "max_drawdown": 1100 / 1250 - 1}
    assert (result.method, result.seed, result.block) == ("shuffle", 42, 0)


def test_shuffling_keeps_the_final_return_and_moves_the_drawdown() -> None:
    result = shuffle_trades(PNL, CASH, 400, seed=1)
    assert set(result.simulations["final_return"]) == {1150 / 1000 - 1}
    drawdowns = result.simulations["max_drawdown"]
    # 400 paths reach every drawdown the 720 orders of the six trades can give
    every = {equity_stats(additive(np.array(order)))[1] for order in permutations(PNL)}
    assert set(drawdowns) == every
    assert len(every) == 52
    # the worst order: the three losses first, from the starting cash
    assert drawdowns.min() == 770 / 1000 - 1


def test_compounded_shuffle_keeps_the_final_return() -> None:
    result = shuffle_trades(PNL, CASH, 50, seed=3, compound=True)
    before = CASH + np.concatenate(([0.0], np.cumsum(PNL)[:-1]))
    returns = np.asarray(PNL) / before
    rows = np.random.default_rng(3).permuted(np.tile(returns, (50, 1)), axis=1)
    expected = [equity_stats(compounded(row)) for row in rows]
    drawdowns = [dd for _, dd in expected]  # equal up to rounding (the cash is a factor here)
    assert result.simulations["max_drawdown"].tolist() == pytest.approx(drawdowns, rel=1e-12)
    assert result.simulations["final_return"].to_numpy() == pytest.approx(0.15, abs=1e-12)


def test_iid_bootstrap_matches_a_loop_over_the_same_draws() -> None:
    result = bootstrap_returns(RETURNS, 6, seed=7)
    picks = np.random.default_rng(7).integers(0, len(RETURNS), size=(6, len(RETURNS)))
    expected = [equity_stats(compounded(np.asarray(RETURNS)[row])) for row in picks]
    assert list(result.simulations.itertuples(index=False, name=None)) == expected
    assert result.observed == dict(
        zip(
            ("final_return", "max_drawdown"),
            equity_stats(compounded(np.asarray(RETURNS))),
            strict=True,
        )
    )


def test_block_bootstrap_draws_circular_blocks() -> None:
    result = bootstrap_returns(RETURNS, 5, seed=11, block=3)
    starts = np.random.default_rng(11).integers(0, 8, size=(5, 3))  # ceil(8 / 3) blocks
    expected = []
    for row in starts:
        picks = [(start + step) % 8 for start in row for step in range(3)][:8]
        expected.append(equity_stats(compounded(np.asarray(RETURNS)[picks])))
    assert list(result.simulations.itertuples(index=False, name=None)) == expected
    assert result.block == 3


def test_chunking_does_not_change_the_paths(monkeypatch: pytest.MonkeyPatch) -> None:
    whole = bootstrap_returns(RETURNS, 50, seed=5)
    monkeypatch.setattr(mc_module, "MAX_CELLS", 3 * len(RETURNS))  # 3 paths at a time
    chunked = bootstrap_returns(RETURNS, 50, seed=5)
    pd.testing.assert_frame_equal(chunked.simulations, whole.simulations)


def test_summary_percentiles_and_interval() -> None:
    result = bootstrap_returns(RETURNS, 200, seed=2)
    summary = result.summary()
    assert summary.columns.tolist() == ["mean", "std", "p5", "p50", "p95", "observed"]
    finals = result.simulations["final_return"].to_numpy()
    low, median, high = np.percentile(finals, [5, 50, 95])
    assert summary.loc["final_return", ["p5", "p50", "p95"]].tolist() == [low, median, high]
    assert summary.loc["final_return", "std"] == np.std(finals, ddof=1)
    assert result.interval("final_return") == (low, high)
    narrower = MonteCarloResult("bootstrap", result.simulations, result.observed, 0.8, 2, 1)
    assert narrower.levels == (10.0, 50.0, 90.0)
    assert narrower.summary().columns.tolist() == ["mean", "std", "p10", "p50", "p90", "observed"]


def test_monte_carlo_of_a_backtest(sma_run: BacktestResult) -> None:
    found = monte_carlo(sma_run, 300, seed=9, block=24)
    closed = sma_run.trades[sma_run.trades["exit_time"].notna()]
    total = closed["net_pnl"].sum() / 10_000
    assert found.shuffle.simulations["final_return"].to_numpy() == pytest.approx(total, abs=1e-12)
    # the bootstrap's observed path is the run's equity curve
    stats = sma_run.stats
    assert found.bootstrap.observed["final_return"] == pytest.approx(
        stats["total_return_pct"] / 100, abs=1e-12
    )
    assert found.bootstrap.observed["max_drawdown"] == pytest.approx(
        stats["max_drawdown_pct"] / 100, abs=1e-12
    )
    assert (found.shuffle.seed, found.bootstrap.seed, found.bootstrap.block) == (9, 10, 24)
    # compounded by default; the trades in their own order are the same path either way
    assert found.shuffle.compound
    added = monte_carlo(sma_run, 300, seed=9, compound=False).shuffle
    assert not added.compound
    assert added.observed == pytest.approx(found.shuffle.observed, abs=1e-12)
    assert not added.simulations.equals(found.shuffle.simulations)
    assert len(found.bootstrap.simulations) == 300
    again = monte_carlo(sma_run, 300, seed=9, block=24)
    pd.testing.assert_frame_equal(again.bootstrap.simulations, found.bootstrap.simulations)
    other = monte_carlo(sma_run, 300, seed=8, block=24)
    assert not other.bootstrap.simulations.equals(found.bootstrap.simulations)


def test_to_dict() -> None:
    document = shuffle_trades(PNL, CASH, 20, seed=0).to_dict()
    assert (document["method"], document["simulations"], document["confidence"]) == (
        "shuffle",
        20,
        0.9,
    )
    assert document["summary"]["final_return"]["observed"] == 1150 / 1000 - 1


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: shuffle_trades(PNL, CASH, 0), "simulations must be at least 1, got 0"),
        (lambda: shuffle_trades([], CASH), "no closed trades to shuffle"),
        (lambda: shuffle_trades(PNL, 0.0), "initial cash must be positive, got 0.0"),
        (lambda: shuffle_trades(PNL, CASH, confidence=1.0), "confidence must be between 0 and 1"),
        (lambda: bootstrap_returns(RETURNS, block=9), "block must be between 1 and the 8 returns"),
        (lambda: bootstrap_returns([]), "no returns to bootstrap"),
        (lambda: bootstrap_returns([0.1, -1.5]), "returns must be numbers of at least -1"),
    ],
)
def test_bad_inputs_are_refused(call: object, message: str) -> None:
    with pytest.raises(AnalysisError, match=message):
        call()  # type: ignore[operator]
