"""Walk-forward: windows by hand, each window's search and test run checked against direct runs,
the stitched equity, the efficiency and the stability recomputed; the report and the command."""

from __future__ import annotations

import json
import math
import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from tests.cli.conftest import Invoke, json_of
from tests.optimize.conftest import CASH, COMMISSION
from tradeforge.backtest import Backtest
from tradeforge.backtest.result import BacktestResult
from tradeforge.backtest.stats import YEAR_SECONDS
from tradeforge.optimize import OptimizeError, OptimizeResult
from tradeforge.optimize.walkforward import walk_forward
from tradeforge.optimize.walkforward_result import WalkForwardResult
from tradeforge.optimize.windows import make_windows
from tradeforge.report.walkforward import WALKFORWARD_IDS, walkforward_html
from tradeforge.strategies import SmaCross
from tradeforge.strategy.views import BarView

SPACE = {"fast": [5, 10, 20], "slow": [30, 60]}
HOUR = pd.Timedelta("1h")


def ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def windows_of(frame: pd.DataFrame, **lengths: Any) -> list[tuple[pd.Timestamp, ...]]:
    ts_open = frame.index.as_unit("ns").asi8
    end = int(ts_open[-1] + HOUR.value)
    return [
        tuple(
            pd.Timestamp(t, unit="ns", tz="UTC")
            for t in (w.train_start, w.train_end, w.test_end, w.warmup_start)
        )
        for w in make_windows(ts_open, end, **lengths)
    ]


def backtest(frame: pd.DataFrame, strategy: type = SmaCross) -> Backtest:
    return Backtest(frame, strategy, cash=CASH, commission=COMMISSION, symbol="BTC/USDT")


def gated_at(start: pd.Timestamp) -> type[SmaCross]:
    """SmaCross that ignores every bar opening before ``start`` (named SmaCross, so its order
    ids match)."""

    class Gated(SmaCross):
        def on_bar(self, bar: BarView) -> None:
            if bar.ts_open >= start.value:
                super().on_bar(bar)

    Gated.__name__ = "SmaCross"
    return Gated


@pytest.fixture(scope="module")
def rolling(btc_1h_q1: pd.DataFrame) -> WalkForwardResult:
    """720 train bars, 240 test bars, serial."""
    return walk_forward(backtest(btc_1h_q1), space=SPACE, train=720, test=240, executor="serial")


@dataclass(frozen=True)
class DirectWindow:
    """One window redone by hand: the search of its train bars, its test bars, and the chosen
    point run on the warm-up and test bars with every bar before the test ignored."""

    search: OptimizeResult
    train: pd.DataFrame
    test: pd.DataFrame
    run: BacktestResult


@pytest.fixture(scope="module")
def direct(btc_1h_q1: pd.DataFrame, rolling: WalkForwardResult) -> list[DirectWindow]:
    index, out = btc_1h_q1.index, []
    for k, row in rolling.windows.iterrows():
        train = btc_1h_q1[(index >= row["train_start"]) & (index < row["train_end"])]
        test = btc_1h_q1[(index >= row["test_start"]) & (index < row["test_end"])]
        part = btc_1h_q1[(index >= row["warmup_start"]) & (index < row["test_end"])]
        search = backtest(train).optimize(**SPACE, executor="serial")
        run = backtest(part, gated_at(row["test_start"])).run(**rolling.chosen[k])
        out.append(DirectWindow(search, train, test, run))
    return out


def test_rolling_windows_by_bars(btc_1h_q1: pd.DataFrame) -> None:
    # 2,158 bars: 2021-02-11 04:00 and 2021-03-06 02:00 are missing, so from bar 988 on a bar
    # opens one hour later than its number says, from bar 1537 on two hours; 240k + 960 <= 2158
    # makes windows k = 0 ... 4, bars [240k, 240k + 720) then [.., 240k + 960)
    assert len(btc_1h_q1) == 2158
    assert windows_of(btc_1h_q1, train=720, test=240) == [
        (ts("2021-01-01"), ts("2021-01-31"), ts("2021-02-10"), ts("2021-01-01")),
        (ts("2021-01-11"), ts("2021-02-10"), ts("2021-02-20 01:00"), ts("2021-01-11")),
        (ts("2021-01-21"), ts("2021-02-20 01:00"), ts("2021-03-02 01:00"), ts("2021-01-21")),
        (ts("2021-01-31"), ts("2021-03-02 01:00"), ts("2021-03-12 02:00"), ts("2021-01-31")),
        (ts("2021-02-10"), ts("2021-03-12 02:00"), ts("2021-03-22 02:00"), ts("2021-02-10")),
    ]
    # a step of 480 bars: k = 0, 1, 2 (480k + 960 <= 2158)
    assert [w[1] for w in windows_of(btc_1h_q1, train=720, test=240, step=480)] == [
        ts("2021-01-31"),
        ts("2021-02-20 01:00"),
        ts("2021-03-12 02:00"),
    ]


def test_anchored_windows_by_duration_with_a_warmup(btc_1h_q1: pd.DataFrame) -> None:
    # data from 2021-01-01 to the last close 2021-04-01: 30 + 10(k + 1) <= 90 days, k = 0 ... 5
    windows = windows_of(btc_1h_q1, train="30d", test="10d", anchored=True, warmup=240)
    assert [w[:3] for w in windows] == [
        (
            ts("2021-01-01"),
            ts("2021-01-31") + pd.Timedelta(days=10 * k),
            ts("2021-02-10") + pd.Timedelta(days=10 * k),
        )
        for k in range(6)
    ]
    # 240 bars before each test start: 240 hours, 241 across the missing 2021-02-11 04:00
    # (window 2, from 2021-02-20) or 2021-03-06 02:00 (window 4, from 2021-03-12)
    hours = [240, 240, 241, 240, 241, 240]
    assert [w[3] for w in windows] == [w[1] - h * HOUR for w, h in zip(windows, hours, strict=True)]
    by_time = windows_of(btc_1h_q1, train="30d", test="10d", warmup="2d")
    assert [w[3] for w in by_time] == [w[1] - pd.Timedelta(days=2) for w in by_time]
    assert [w[0] for w in by_time] == [
        ts("2021-01-01") + pd.Timedelta(days=10 * k) for k in range(6)
    ]


@pytest.mark.parametrize(
    ("lengths", "message"),
    [
        ({"train": 720, "test": 240, "step": 120}, "test windows would overlap"),
        ({"train": 720, "test": "10d"}, "all be bar counts or all be durations"),
        ({"train": 2000, "test": 240}, "shorter than one train and test window"),
        ({"train": "soon", "test": 240}, "train must be a bar count or a duration"),
        ({"train": 0, "test": 240}, "train must be at least 1 bar"),
        ({"train": 720, "test": "-2d"}, "test must be a positive duration"),
    ],
)
def test_bad_windows_are_refused(
    btc_1h_q1: pd.DataFrame, lengths: dict[str, Any], message: str
) -> None:
    with pytest.raises(OptimizeError, match=message):
        windows_of(btc_1h_q1, **lengths)


def test_each_window_chooses_what_a_direct_search_of_its_train_bars_chooses(
    rolling: WalkForwardResult, direct: list[DirectWindow]
) -> None:
    for (k, row), expected in zip(rolling.windows.iterrows(), direct, strict=True):
        assert len(expected.train) == row["train_bars"] == 720
        assert rolling.chosen[k] == expected.search.best_params
        assert (row["fast"], row["slow"]) == tuple(expected.search.best_params.values())
        assert row["is_value"] == expected.search.best_value
        assert row["is_return_pct"] == expected.search.best["total_return_pct"]
        in_sample = backtest(expected.train).run(**expected.search.best_params).equity
        pd.testing.assert_series_equal(rolling.in_sample_equity[k], in_sample)
    assert list(rolling.chosen) == [{"fast": 10, "slow": 30}] * 2 + [{"fast": 5, "slow": 60}] * 3


def test_each_test_window_trades_as_a_direct_run_warmed_up_on_the_bars_before(
    rolling: WalkForwardResult, direct: list[DirectWindow]
) -> None:
    for (k, row), expected in zip(rolling.windows.iterrows(), direct, strict=True):
        equity = expected.run.equity
        before = equity[equity.index <= row["test_start"]]
        assert len(before) == 720 and set(before) == {float(CASH)}  # warm-up: no trade
        after = equity[equity.index > row["test_start"]]
        assert len(after) == len(expected.test) == row["test_bars"] == 240
        window_equity = rolling.equity.iloc[240 * k : 240 * (k + 1)]
        level = rolling.levels[k]
        pd.testing.assert_series_equal(window_equity, after / CASH * level, check_names=False)
        trades = rolling.trades[rolling.trades["window"] == k].drop(columns="window")
        pd.testing.assert_frame_equal(trades.reset_index(drop=True), expected.run.trades)
        assert row["oos_trades"] == int(expected.run.trades["exit_time"].notna().sum())
        assert row["oos_return_pct"] == 100.0 * float(expected.run.final_equity / CASH - 1)
    assert rolling.windows["oos_trades"].tolist() == [3, 5, 1, 3, 2]


def test_the_stitched_equity_compounds_the_window_returns(rolling: WalkForwardResult) -> None:
    level = float(CASH)
    for k in range(len(rolling.windows)):
        assert rolling.levels[k] == level
        window = rolling.equity.iloc[240 * k : 240 * (k + 1)]
        level = float(window.iloc[-1])
    assert rolling.equity.iloc[-1] == level
    growth = np.prod(1.0 + rolling.windows["oos_return_pct"].to_numpy() / 100.0)
    assert rolling.equity.iloc[-1] == pytest.approx(CASH * growth, rel=1e-12)
    assert len(rolling.equity) == 5 * 240 and rolling.equity.index.is_monotonic_increasing
    assert rolling.oos_stats.total_return_pct == pytest.approx(100.0 * (growth - 1.0), rel=1e-12)
    assert rolling.oos_stats.trades == rolling.windows["oos_trades"].sum() == 14


def test_walk_forward_efficiency_is_recomputed_from_direct_runs(
    rolling: WalkForwardResult, direct: list[DirectWindow]
) -> None:
    is_ann, oos_ann, is_values, oos_values = [], [], [], []
    for expected in direct:
        best = expected.search.best
        is_ann.append(best["total_return_pct"] * YEAR_SECONDS / best["duration"].total_seconds())
        test = expected.test
        seconds = (test.index[-1] + HOUR - test.index[0]).total_seconds()
        oos_return = 100.0 * float(expected.run.final_equity / CASH - 1)
        oos_ann.append(oos_return * YEAR_SECONDS / seconds)
        is_values.append(best["value"])
        bar_returns = expected.run.bar_returns.iloc[720:].to_numpy()  # the test bars
        oos_values.append(bar_returns.mean() / bar_returns.std(ddof=1) * math.sqrt(8760))
    assert rolling.windows["is_return_ann_pct"].tolist() == is_ann
    assert rolling.windows["oos_return_ann_pct"].tolist() == oos_ann
    assert rolling.windows["oos_value"].to_numpy() == pytest.approx(oos_values, rel=1e-9)
    expected_efficiency = statistics.fmean(oos_ann) / statistics.fmean(is_ann)
    assert rolling.efficiency == pytest.approx(expected_efficiency, rel=1e-12)
    value = statistics.fmean(rolling.windows["oos_value"]) / statistics.fmean(is_values)
    assert rolling.value_efficiency == pytest.approx(value, rel=1e-12)
    assert 0.0 < rolling.efficiency < 1.0 and 0.0 < rolling.value_efficiency < 1.0


def test_parameter_stability(rolling: WalkForwardResult) -> None:
    fast = [10, 10, 5, 5, 5]
    slow = [30, 30, 60, 60, 60]
    table = rolling.stability
    assert table.loc["fast", "mode"] == 5 and table.loc["slow", "mode"] == 60
    assert table["mode_share"].tolist() == [0.6, 0.6]
    assert table["distinct"].tolist() == [2, 2]
    for name, values in (("fast", fast), ("slow", slow)):
        mean, std = statistics.fmean(values), statistics.pstdev(values)
        assert table.loc[name, "mean"] == mean
        assert table.loc[name, "std"] == pytest.approx(std, rel=1e-15)
        assert table.loc[name, "cv"] == pytest.approx(std / mean, rel=1e-15)


def test_a_process_pool_walks_forward_as_the_serial_executor(
    btc_1h_q1: pd.DataFrame, rolling: WalkForwardResult
) -> None:
    pooled = walk_forward(
        btc_1h_q1,
        SmaCross,
        SPACE,
        train=720,
        test=240,
        executor="process",
        workers=2,
        cash=CASH,
        commission=COMMISSION,
        symbol="BTC/USDT",
    )
    pd.testing.assert_frame_equal(pooled.windows, rolling.windows)
    pd.testing.assert_series_equal(pooled.equity, rolling.equity)


def test_a_window_without_an_eligible_point_stays_flat(btc_1h_q1: pd.DataFrame) -> None:
    # no run of 720 bars closes 100 trades: no window has an eligible point
    flat = walk_forward(
        backtest(btc_1h_q1),
        space={"fast": [5, 10], "slow": [30]},
        train=720,
        test=240,
        min_trades=100,
        executor="serial",
    )
    assert flat.windows["error"].tolist() == ["no eligible trial"] * 5
    assert flat.chosen == (None,) * 5
    assert set(flat.equity) == {float(CASH)} and len(flat.equity) == 1200
    assert math.isnan(flat.efficiency) and math.isnan(flat.value_efficiency)
    assert flat.trades.empty and flat.stability["distinct"].tolist() == [0, 0]


def test_a_goal_function_reads_the_test_part_out_of_sample(btc_1h_q1: pd.DataFrame) -> None:
    def total_return(run: Any) -> float:
        return float(run.stats.total_return_pct)

    result = walk_forward(
        backtest(btc_1h_q1),
        space={"fast": [5, 10], "slow": [30]},
        train="30d",
        test="10d",
        maximize=total_return,
        executor="serial",
        anchored=True,
    )
    windows = result.windows
    assert windows["oos_value"].tolist() == windows["oos_return_pct"].tolist()
    assert windows["is_value"].tolist() == windows["is_return_pct"].tolist()
    assert windows["train_bars"].tolist() == [720, 960, 1199, 1439, 1678, 1918]
    assert windows["test_bars"].tolist() == [240, 239, 240, 239, 240, 240]


def test_settings_that_are_refused(btc_1h_q1: pd.DataFrame) -> None:
    bt = backtest(btc_1h_q1)
    with pytest.raises(OptimizeError, match="one goal"):
        walk_forward(bt, space=SPACE, train=720, test=240, maximize=["sharpe", "sortino"])
    with pytest.raises(OptimizeError, match="Backtest settings go to the Backtest"):
        walk_forward(bt, space=SPACE, train=720, test=240, cash=5)
    with pytest.raises(OptimizeError, match="give the strategy"):
        walk_forward(btc_1h_q1, space=SPACE, train=720, test=240)


def test_the_report_and_the_summary(rolling: WalkForwardResult, tmp_path: Path) -> None:
    html = walkforward_html(rolling)
    for div in WALKFORWARD_IDS:
        assert f'id="{div}"' in html
    assert "Walk-forward of SmaCross" in html and "fast: mode 5 in 60%" in html
    path = rolling.report(tmp_path / "wf.html")
    assert path.read_text(encoding="utf-8") == html
    summary = json.loads(json.dumps(rolling.summary()))
    assert summary["efficiency"] == rolling.efficiency
    assert summary["stability"]["slow"]["mode"] == 60
    assert [w["test_start"] for w in summary["windows"]][:2] == [
        "2021-01-31T00:00:00+00:00",
        "2021-02-10T00:00:00+00:00",
    ]
    assert summary["windows"][0]["fast"] == 10 and summary["windows"][0]["error"] == ""


DATA = ("--symbol", "BTC/USDT", "-t", "1h", "--from", "2021-01-01", "--to", "2021-04-01")


def test_the_command_is_the_python_walk_forward(
    invoke: Invoke, tmp_path: Path, rolling: WalkForwardResult
) -> None:
    # the command reads the same bundled bars as btc_1h_q1
    report = tmp_path / "wf.html"
    search = ("-p", "fast=5,10,20", "-p", "slow=30,60", "--executor", "serial")
    windows = ("--train", "720", "--test", "240")
    document = json_of(invoke("walkforward", "sma_cross", *DATA, *search, *windows, "--json",
                              "--no-progress", "--report", str(report)))  # fmt: skip
    rows = document["windows"]
    assert [(r["fast"], r["slow"]) for r in rows] == [(10, 30)] * 2 + [(5, 60)] * 3
    assert [r["oos_value"] for r in rows] == rolling.windows["oos_value"].tolist()
    assert [r["test_end"] for r in rows] == [t.isoformat() for t in rolling.windows["test_end"]]
    assert document["efficiency"] == rolling.efficiency
    assert document["oos_stats"]["final_equity"] == str(rolling.oos_stats.final_equity)
    assert document["report"] == str(report.resolve()) and report.stat().st_size > 1_000_000
    text = invoke(
        "walkforward",
        "sma_cross",
        *DATA,
        "-p",
        "fast=5,10",
        "-p",
        "slow=30",
        "--train",
        "60d",
        "--test",
        "15d",
        "--anchored",
        "--executor",
        "serial",
    )
    assert text.exit_code == 0, text.output
    assert "walk-forward efficiency:" in text.output
    assert "fast: mode 10 in 100% of the windows, 1 values, cv 0" in text.output


def test_the_command_names_a_bad_window(invoke: Invoke) -> None:
    result = invoke(
        "walkforward",
        "sma_cross",
        *DATA,
        "-p",
        "fast=5,10",
        "--train",
        "720",
        "--test",
        "sometime",
        "--executor",
        "serial",
    )
    assert result.exit_code == 1
    assert "error: test must be a bar count or a duration like '180d', got 'sometime'" in (
        result.output.replace("\n", "")
    )
