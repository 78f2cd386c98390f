"""The statistics on columns: the same figures, bit for bit, as the DataFrame route, whatever
shortcut a case takes (one symbol or several, curves that stay above 0 or reach it, with and
without a risk-free rate)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import pytest

from tests.strategies.conftest import ALTS, bars
from tradeforge.backtest import Backtest
from tradeforge.backtest.equity import _step_index
from tradeforge.backtest.result import BacktestResult
from tradeforge.backtest.stats import (
    NAT_NS,
    TradeColumns,
    _return_ratios,
    annualized_volatility,
    compute_stats,
    drawdowns,
    equity_returns,
    sharpe_ratio,
    sortino_ratio,
)
from tradeforge.optimize.objective import stats_row
from tradeforge.strategies import MomentumRotation, RsiReversion, SmaCross

pytestmark = pytest.mark.filterwarnings("error")


def _same(a: Any, b: Any) -> bool:
    """Equal, NaN equal to NaN."""
    return bool(a == b) or (isinstance(a, float) and np.isnan(a) and np.isnan(b))


def _frame_stats(result: BacktestResult) -> dict[str, Any]:
    """The statistics by the DataFrame route (``compute_stats`` on ``equity`` and ``trades``)."""
    run, first = result.run, result.run.series[0]
    stats = compute_stats(
        result.equity,
        result.trades,
        initial_cash=result.portfolio.initial_cash,
        final_equity=result.final_equity,
        fees=result.portfolio.fees,
        funding_paid=result.portfolio.funding,
        buy_and_hold=float(first.close[-1] / first.open[0] - 1.0),
        exposure=result._exposure(),
        bar_seconds=first.timeframe.nanos / 1e9,
        risk_free_rate=run.config.risk_free_rate,
    )
    return dict(stats)


@pytest.fixture(scope="module")
def runs() -> list[BacktestResult]:
    btc = bars("BTC/USDT", "1h", "2021-01-01", "2021-04-01")
    alts = {s: bars(s, "1h", "2021-01-01", "2021-04-01") for s in ALTS}
    config: dict[str, Any] = {"cash": 10_000, "commission": 0.001}
    return [
        Backtest(btc, SmaCross, symbol="BTC/USDT", **config).run(),
        Backtest(btc, RsiReversion, symbol="BTC/USDT", risk_free_rate=0.04, **config).run(),
        Backtest(alts, MomentumRotation, **config).run(top_n=2, lookback=72, rebalance=24),
    ]


def test_the_columns_give_the_frames_figures_exactly(runs: list[BacktestResult]) -> None:
    for result in runs:
        ours, theirs = dict(result.stats), _frame_stats(result)
        assert ours.keys() == theirs.keys()
        for key, value in ours.items():
            assert _same(value, theirs[key]), key
    assert len(runs[2].stats.per_symbol) == len(ALTS)


def test_without_symbols_every_other_figure_is_the_same(runs: list[BacktestResult]) -> None:
    for result in runs:
        lean = result.stats_with(by_symbol=False)
        assert lean.per_symbol == {}
        assert stats_row(lean) == stats_row(result.stats)


def test_columns_of_a_frame() -> None:
    t0 = pd.Timestamp("2024-01-01", tz="UTC")
    frame = pd.DataFrame(
        {
            "symbol": ["A/USD", "B/USD"],
            "entry_time": [t0, t0 + pd.Timedelta(hours=1)],
            "exit_time": [t0 + pd.Timedelta(hours=2), pd.NaT],
            "net_pnl": [1.5, np.nan],
            "return_pct": [3.0, np.nan],
            "fees": [0.1, 0.2],
        }
    )
    columns = TradeColumns.of_frame(frame)
    assert len(columns) == 2
    assert columns.closed.tolist() == [True, False]
    assert columns.exit_ns[1] == NAT_NS
    assert columns.entry_ns[1] - columns.entry_ns[0] == 3_600 * 10**9
    assert columns.symbol.tolist() == ["A/USD", "B/USD"]
    # without exit times every trade is open; without rows there is none
    assert not TradeColumns.of_frame(frame.drop(columns="exit_time")).closed.any()
    assert len(TradeColumns.of_frame(pd.DataFrame())) == 0


def test_open_trades_of_a_frame_without_exit_times() -> None:
    equity = pd.Series([100.0, 101.0], index=pd.date_range("2024-01-01", periods=2, freq="h"))
    trades = pd.DataFrame({"symbol": ["A/USD"], "net_pnl": [1.0]})
    stats = compute_stats(equity, trades, initial_cash=Decimal(100), final_equity=Decimal(101))
    assert (stats.trades, stats.open_trades, stats.per_symbol) == (0, 1, {})


@pytest.mark.parametrize(
    "values",
    [
        [100.0, 110.0, 99.0, 121.0, 110.0, 88.0, 99.0],  # above 0 all along: the shortcut
        [100.0, 50.0, 0.0, -5.0, 0.0, 3.0],  # reaches 0 and below: the floors
        [100.0, np.nan, 90.0],  # a NaN: the general route
        [100.0],
    ],
)
def test_returns_and_drawdowns_take_the_same_values_either_way(values: list[float]) -> None:
    array = np.array(values)
    floored = np.maximum(array, 0.0)
    before = floored[:-1]
    with np.errstate(invalid="ignore"):
        returns = np.divide(floored[1:], before, out=np.ones(len(before)), where=before > 0) - 1
        peak = np.maximum.accumulate(floored)
        depth = np.divide(floored, peak, out=np.ones(len(peak)), where=peak > 0) - 1.0
    np.testing.assert_array_equal(equity_returns(array), returns)
    np.testing.assert_array_equal(drawdowns(array), depth)


@pytest.mark.parametrize("risk_free", [0.0, 1e-6])
def test_the_ratios_share_their_passes_to_the_same_figures(risk_free: float) -> None:
    rng = np.random.default_rng(7)
    for returns in (rng.normal(0.0, 0.01, 5_000), np.zeros(10), np.array([0.01])):
        volatility, sharpe, sortino = _return_ratios(returns, 8_760.0, risk_free)
        assert volatility == annualized_volatility(returns, 8_760.0)
        assert sharpe == sharpe_ratio(returns, 8_760.0, risk_free)
        assert sortino == sortino_ratio(returns, 8_760.0, risk_free)


def test_step_index_counts_the_stamps_at_or_before_each_time() -> None:
    times = np.arange(0, 100, 10, dtype=np.int64)
    for stamps in ([5, 10, 10, 47, 90, 200], [-3], [95, 99], [0, 0, 0]):
        expected = np.searchsorted(np.array(stamps, dtype=np.int64), times, side="right")
        np.testing.assert_array_equal(_step_index(stamps, times), expected)
    out_of_order = [30, 10]
    np.testing.assert_array_equal(
        _step_index(out_of_order, times), np.searchsorted(out_of_order, times, side="right")
    )
    assert _step_index([], times).tolist() == [0] * len(times)
