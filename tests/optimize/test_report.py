"""The search's report: heatmaps, pairwise heatmaps, sensitivity, Pareto front, best trials."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.optimize.conftest import CASH, COMMISSION
from tradeforge.backtest import Backtest
from tradeforge.optimize import Objective, OptimizeResult
from tradeforge.optimize.trial import TrialOutcome
from tradeforge.report.optimize import BINS, OPTIMIZE_IDS, grouped, levels, optimize_html
from tradeforge.strategies import SmaCross


def synthetic(
    goals: Objective, values: dict[tuple[int, int, int], tuple[float, ...]]
) -> OptimizeResult:
    """A result over parameters a, b, c with the given goal values and trades = a."""
    outcomes = [
        TrialOutcome(k, {"a": a, "b": b, "c": c}, v, {"trades": a, "sharpe": v[0]})
        for k, ((a, b, c), v) in enumerate(values.items())
    ]
    return OptimizeResult.from_outcomes(outcomes, ["a", "b", "c"], goals, method="grid",
                                        strategy="Synthetic")  # fmt: skip


def _value(a: int, b: int, c: int) -> float:
    return float(a * 10 + b - (c - 2) ** 2)


def test_heatmaps_take_the_best_over_the_other_parameters() -> None:
    points = itertools.product([1, 2, 3], [5, 6], [1, 2, 3])
    result = synthetic(Objective.build("sharpe"), {p: (_value(*p),) for p in points})
    table = result.heatmap("a", "b")
    assert table.index.tolist() == [5, 6] and table.columns.tolist() == [1, 2, 3]
    assert table.to_numpy().tolist() == [[15.0, 25.0, 35.0], [16.0, 26.0, 36.0]]  # c = 2
    points = itertools.product([1, 2, 3], [5, 6], [1, 2, 3])
    low = synthetic(Objective.build(minimize="sharpe"), {p: (_value(*p),) for p in points})
    assert low.heatmap("a", "b").to_numpy().tolist() == [[14.0, 24.0, 34.0], [15.0, 25.0, 35.0]]
    assert grouped(result, ["c"], "mean").tolist() == [24.5, 25.5, 24.5]
    assert grouped(result, ["c"], "best").tolist() == [35.0, 36.0, 35.0]


def test_min_trades_and_nan_values_leave_the_charts() -> None:
    values = {(1, 5, 1): (100.0,), (2, 5, 1): (math.nan,), (3, 5, 1): (7.0,), (3, 6, 1): (9.0,)}
    result = synthetic(Objective.build("sharpe", min_trades=2), values)
    assert result.trials["eligible"].tolist() == [False, False, True, True]
    assert result.best_params == {"a": 3, "b": 6, "c": 1}
    assert result.heatmap("a", "b").to_numpy().tolist() == [[7.0], [9.0]]


def test_continuous_parameters_are_binned() -> None:
    values = pd.Series(np.linspace(0.0, 1.0, 101))
    binned = levels(values)
    assert binned.nunique() == BINS
    assert binned.iloc[0] == pytest.approx(0.025, abs=1e-3)
    assert binned.iloc[-1] == pytest.approx(0.975, abs=1e-3)
    few = pd.Series([5, 10, 5, 15])
    assert levels(few).tolist() == [5, 10, 5, 15]


def test_the_page_has_every_chart_and_the_best_trials() -> None:
    points = itertools.product([1, 2, 3], [5, 6], [1, 2, 3])
    single = optimize_html(synthetic(Objective.build("sharpe"), {p: (_value(*p),) for p in points}))
    for div in OPTIMIZE_IDS[:3]:
        assert f'id="{div}"' in single
    assert f'id="{OPTIMIZE_IDS[3]}"' not in single
    assert "Best 18 trials" in single and "a=3, b=6, c=2" in single
    two = {p: (_value(*p), -float(p[0])) for p in itertools.product([1, 2, 3], [5, 6], [1, 2, 3])}
    multi = optimize_html(synthetic(Objective.build(["sharpe", "trades"]), two))
    assert f'id="{OPTIMIZE_IDS[3]}"' in multi
    nothing = synthetic(Objective.build("sharpe", min_trades=99), {(1, 5, 1): (1.0,)})
    assert "No eligible trial" in optimize_html(nothing)


def test_a_real_search_writes_its_report(btc_1h_q1: pd.DataFrame, tmp_path: Path) -> None:
    bt = Backtest(btc_1h_q1, SmaCross, cash=CASH, commission=COMMISSION, symbol="BTC/USDT")
    result = bt.optimize(fast=[5, 10, 15], slow=[40, 60], executor="serial")
    path = result.report(tmp_path / "out" / "search.html", title="SMA sweep")
    text = path.read_text(encoding="utf-8")
    assert path.stat().st_size > 1_000_000  # plotly.js inlined: the page works offline
    assert "<title>SMA sweep</title>" in text
    assert f'id="{OPTIMIZE_IDS[0]}"' in text and f'id="{OPTIMIZE_IDS[2]}"' in text
    assert "fast=5, slow=60" in text  # the best point, named in the settings table
    assert result.best_params == {"fast": 5, "slow": 60}
