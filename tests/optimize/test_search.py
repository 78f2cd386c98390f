"""Grid, random, TPE, CMA-ES and NSGA-II searches on real bars, checked against direct runs."""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
import pandas as pd
import pytest

from tests.optimize.conftest import CASH, COMMISSION
from tests.optimize.strategies import FixedSmaCross
from tradeforge.backtest import Backtest
from tradeforge.optimize import OptimizeError, OptimizeResult
from tradeforge.optimize.objective import STAT_NAMES, stats_row
from tradeforge.optimize.result import pareto_mask
from tradeforge.strategies import SmaCross

FAST = range(5, 30, 5)
SLOW = range(20, 80, 10)
COMPARED = [s for s in STAT_NAMES if s not in ("trades", "open_trades")]


def backtest(data: pd.DataFrame, strategy: type = SmaCross) -> Backtest:
    return Backtest(data, strategy, cash=CASH, commission=COMMISSION, symbol="BTC/USDT")


def direct_rows(bt: Backtest, points: list[dict[str, Any]]) -> list[dict[str, float]]:
    """Each point run directly with ``Backtest.run``, its statistics as the optimizer keeps
    them."""
    return [stats_row(bt.run(**p).stats) for p in points]


def row_stats(result: OptimizeResult, k: int) -> dict[str, float]:
    row = result.trials.iloc[k]
    return {s: _number(row[s]) for s in STAT_NAMES}


def _number(value: Any) -> float:
    if isinstance(value, pd.Timedelta):
        return value.total_seconds()
    return float(value)


def test_the_grid_is_every_admissible_point_and_the_best_is_the_best_direct_run(
    btc_1h_q1: pd.DataFrame,
) -> None:
    bt = backtest(btc_1h_q1)
    result = bt.optimize(fast=FAST, slow=SLOW, constraint="fast < slow", maximize="sharpe",
                         executor="serial")  # fmt: skip
    points = [{"fast": f, "slow": s} for f, s in itertools.product(FAST, SLOW) if f < s]
    assert result.trials[["fast", "slow"]].to_dict("records") == points
    assert result.trials["trial"].tolist() == list(range(len(points)))
    direct = direct_rows(bt, points)
    for k, expected in enumerate(direct):
        assert row_stats(result, k) == expected  # every statistic, exactly
    sharpes = [d["sharpe"] for d in direct]
    best = points[int(np.argmax(sharpes))]
    assert result.best_params == best == {"fast": 5, "slow": 70}
    assert result.best_value == max(sharpes) == result.trials["value"].max()
    assert stats_row(bt.run(**result.best_params).stats) == row_stats(result, points.index(best))


def test_function_constraints_and_objectives(btc_1h_q1: pd.DataFrame) -> None:
    bt = backtest(btc_1h_q1)

    def return_over_drawdown(run: Any) -> float:
        return float(run.stats.total_return_pct / -run.stats.max_drawdown_pct)

    result = bt.optimize(fast=FAST, slow=SLOW, constraint=lambda p: p.slow >= 2 * p.fast + 20,
                         maximize=return_over_drawdown, executor="serial")  # fmt: skip
    assert [(r["fast"], r["slow"]) for r in result.trials.to_dict("records")] == [
        (f, s) for f, s in itertools.product(FAST, SLOW) if s >= 2 * f + 20
    ]
    expected = result.trials["total_return_pct"] / -result.trials["max_drawdown_pct"]
    assert result.trials["value"].tolist() == expected.tolist()
    assert result.objective.goals[0].name == "return_over_drawdown"
    assert result.best_params == result.trials.loc[expected.idxmax(), ["fast", "slow"]].to_dict()


def test_minimized_goals_and_min_trades(btc_1h_q1: pd.DataFrame) -> None:
    bt = backtest(btc_1h_q1)
    result = bt.optimize(fast=FAST, slow=SLOW, constraint="fast < slow",
                         minimize="fees", min_trades=20, executor="serial")  # fmt: skip
    frame = result.trials
    assert frame["eligible"].tolist() == (frame["trades"] >= 20).tolist()
    assert 0 < frame["eligible"].sum() < len(frame)
    eligible = frame[frame["trades"] >= 20]
    assert result.best_value == eligible["fees"].min()
    assert result.best["trades"] >= 20
    assert frame["fees"].min() < result.best_value  # a cheaper run had too few trades


def test_parameters_the_strategy_refuses_are_kept_as_invalid_rows(btc_1h_q1: pd.DataFrame) -> None:
    result = backtest(btc_1h_q1).optimize(fast=[10, 30], slow=[20, 40], executor="serial")
    frame = result.trials
    assert frame["error"].tolist() == [
        "",
        "",
        "SmaCross: fast must be below slow, got fast=30, slow=20",
        "",
    ]
    assert frame["eligible"].tolist() == [True, True, False, True]
    assert math.isnan(frame["value"].iloc[2]) and math.isnan(frame["sharpe"].iloc[2])


def test_random_draws_seeded_grid_points_in_grid_order(btc_1h_q1: pd.DataFrame) -> None:
    bt = backtest(btc_1h_q1)
    result = bt.optimize(fast=FAST, slow=SLOW, constraint="fast < slow", method="random",
                         trials=7, seed=3, executor="serial")  # fmt: skip
    grid = [{"fast": f, "slow": s} for f, s in itertools.product(FAST, SLOW) if f < s]
    drawn = np.sort(np.random.default_rng(3).choice(len(grid), size=7, replace=False))
    points = [grid[int(k)] for k in drawn]
    assert result.trials[["fast", "slow"]].to_dict("records") == points
    assert [row_stats(result, k) for k in range(7)] == direct_rows(bt, points)
    everything = bt.optimize(fast=FAST, slow=SLOW, constraint="fast < slow", method="random",
                             trials=1_000, executor="serial")  # fmt: skip
    assert len(everything.trials) == len(grid)


def test_tpe_is_seeded_and_keeps_each_point_once(btc_1h_q1: pd.DataFrame) -> None:
    bt = backtest(btc_1h_q1)
    runs = [bt.optimize(fast=range(2, 41), slow=range(10, 121, 5), constraint="fast < slow",
                        method="tpe", trials=20, seed=7, executor="serial")
            for _ in range(2)]  # fmt: skip
    first, second = (r.trials.drop(columns=["seconds", "worker", "worker_peak_mb"]) for r in runs)
    pd.testing.assert_frame_equal(first, second)
    result = runs[0]
    assert len(result.trials) <= 20
    assert not result.trials.duplicated(["fast", "slow"]).any()
    assert (result.trials["fast"] < result.trials["slow"]).all()
    points = result.trials[["fast", "slow"]].to_dict("records")
    assert [row_stats(result, k) for k in range(len(points))] == direct_rows(bt, points)
    assert result.best_value == result.trials["sharpe"].max()


def test_cmaes_searches_integer_ranges(btc_1h_q1: pd.DataFrame) -> None:
    pytest.importorskip("cmaes", reason="optuna's CMA-ES needs the cmaes package")
    bt = backtest(btc_1h_q1)
    result = bt.optimize(fast=range(2, 41), slow=range(10, 121, 5), constraint="fast < slow",
                         method="cmaes", trials=15, seed=1, executor="serial")  # fmt: skip
    assert 1 < len(result.trials) <= 15
    assert result.trials["slow"].isin(range(10, 121, 5)).all()
    best = result.best_params
    assert result.best_value == stats_row(bt.run(**best).stats)["sharpe"]
    with pytest.raises(OptimizeError, match="method 'cmaes' optimizes one goal"):
        bt.optimize(fast=range(2, 41), method="cmaes", maximize=["sharpe", "sortino"])


def test_nsga2_finds_a_pareto_front_of_return_and_drawdown(btc_1h_q1: pd.DataFrame) -> None:
    bt = backtest(btc_1h_q1)
    result = bt.optimize(fast=range(2, 41), slow=range(10, 121, 5), constraint="fast < slow",
                         maximize=["total_return_pct", "max_drawdown_pct"], method="nsga2",
                         trials=24, seed=0, executor="serial")  # fmt: skip
    assert result.value_columns == ["value_0", "value_1"]
    frame = result.trials
    assert frame["value_0"].tolist() == frame["total_return_pct"].tolist()
    assert frame["value_1"].tolist() == frame["max_drawdown_pct"].tolist()
    scores = frame[["value_0", "value_1"]].to_numpy()
    front = result.pareto
    for _, row in frame.iterrows():
        point = row[["value_0", "value_1"]].to_numpy(dtype=float)
        dominated = ((scores >= point).all(axis=1) & (scores > point).any(axis=1)).any()
        assert dominated == (row["trial"] not in set(front["trial"]))
    assert result.best_params == front.iloc[0][["fast", "slow"]].to_dict()
    assert front.iloc[0]["value_0"] == front["value_0"].max()


def test_a_grid_with_two_goals_has_the_brute_force_front(btc_1h_q1: pd.DataFrame) -> None:
    result = backtest(btc_1h_q1).optimize(
        fast=FAST, slow=SLOW, constraint="fast < slow", executor="serial",
        maximize="total_return_pct", minimize="volatility_ann_pct",
    )  # fmt: skip
    frame = result.trials
    scores = np.column_stack([frame["total_return_pct"], -frame["volatility_ann_pct"]])
    expected = [
        k for k in range(len(scores))
        if not ((scores >= scores[k]).all(axis=1) & (scores > scores[k]).any(axis=1)).any()
    ]  # fmt: skip
    assert sorted(result.pareto["trial"]) == expected
    assert pareto_mask(scores).nonzero()[0].tolist() == expected


def test_vector_mode_matches_the_event_mode_on_the_same_rules(btc_1h_q1: pd.DataFrame) -> None:
    bt = backtest(btc_1h_q1, FixedSmaCross)
    common: dict[str, Any] = {"fast": FAST, "slow": SLOW, "constraint": "fast < slow",
                              "maximize": "total_return_pct", "executor": "serial"}  # fmt: skip
    event = bt.optimize(**common).trials
    vector = bt.optimize(mode="vector", quantity=0.01, **common).trials
    assert vector["trades"].tolist() == event["trades"].tolist()
    assert vector["open_trades"].tolist() == event["open_trades"].tolist()
    for name in COMPARED:
        if name.endswith("duration") or name == "duration":
            assert vector[name].tolist() == event[name].tolist(), name
        else:
            np.testing.assert_allclose(vector[name], event[name], rtol=1e-9, atol=1e-9,
                                       err_msg=name)  # fmt: skip


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"method": "annealing"}, "unknown method 'annealing': use grid, random, tpe"),
        ({"trials": 5}, "a grid search runs every point: give trials to random"),
        ({"method": "tpe", "trials": 0}, "trials must be >= 1, got 0"),
        ({"mode": "vector", "quantity": 1.0}, "SmaCross has no signals(): use mode 'event'"),
        ({"quantity": 1.0}, "quantity and fraction size the vector mode's orders"),
        ({"maximize": "shrp"}, "unknown statistic 'shrp' to optimize: use duration,"),
        ({"maximize": "sharpe", "minimize": "sharpe"}, "a statistic is given twice"),
        ({"executor": "dask"}, "unknown executor 'dask': use serial, process, ray"),
        ({"address": "auto"}, "--address is for the ray executor, not 'process'"),
        ({"constraint": "fast <"}, "constraint 'fast <': invalid syntax"),
        ({"constraint": "fast > 100"}, "the constraint refuses all 5 grid points"),
        ({"min_trades": -1}, "min_trades must be >= 0, got -1"),
    ],
)
def test_bad_settings_name_the_option(
    btc_1h_q1: pd.DataFrame, options: dict[str, Any], message: str
) -> None:
    with pytest.raises(OptimizeError) as error:
        backtest(btc_1h_q1).optimize(fast=FAST, **options)
    assert str(error.value).startswith(message)


def test_vector_mode_needs_exactly_one_size(btc_1h_q1: pd.DataFrame) -> None:
    bt = backtest(btc_1h_q1, FixedSmaCross)
    with pytest.raises(OptimizeError, match="exactly one of quantity > 0 or fraction > 0"):
        bt.optimize(fast=FAST, mode="vector")
