"""Our return statistics against empyrical (empyrical-reloaded) on the same equity curves.

Conventions aligned, so the numbers agree to 1e-9 relative:

* Returns: both sides get the per-bar simple returns of the *anchored* curve (the initial cash
  at the first bar's open, then every close), computed here with pandas' ``pct_change``.
* Periods per year: empyrical takes ``annualization=`` (ours: 365 × 24 = 8,760 for hourly
  crypto bars; 252 for daily bars under the ``"equity"`` calendar, empyrical's own default).
* ddof: both use the sample standard deviation (ddof=1) for volatility and Sharpe; Sortino's
  downside deviation is ``sqrt(mean(min(r - rf, 0) ** 2))`` over every bar on both sides.
* Risk-free rate: ours is annual, compounded to ``(1 + rf) ** (1 / periods) - 1`` per bar;
  empyrical gets that per-bar rate (``risk_free=`` for Sharpe, ``required_return=`` for
  Sortino).
* CAGR day count: ours counts calendar years of 365 days from the first bar's open to the last
  close (gaps in the data count as time); empyrical counts ``len(returns) / annualization``
  years, so its CAGR and Calmar get ``annualization = len(returns) / our years``. The sample
  data has gaps, so without this the two would differ.
* Max drawdown: empyrical anchors its running peak at the starting value, as our anchored
  curve does.
"""

from __future__ import annotations

from decimal import Decimal

import empyrical
import numpy as np
import pandas as pd
import pytest

from tradeforge.backtest import Backtest, BacktestResult
from tradeforge.backtest.stats import CRYPTO, EQUITY, Stats, compute_stats
from tradeforge.data import ParquetCatalog
from tradeforge.data.replay import BarSeries
from tradeforge.model.symbol import Symbol
from tradeforge.model.timeframe import Timeframe
from tradeforge.samples import SAMPLE_CATALOG
from tradeforge.strategies import Breakout

REL = 1e-9
YEAR = pd.Timedelta(days=365)


@pytest.fixture(scope="module")
def breakout() -> BacktestResult:
    """The built-in breakout on the bundled BTC/USDT hourly bars, 2019 to 2024 (with gaps)."""
    frame = ParquetCatalog(SAMPLE_CATALOG).read_bars("binance", "BTC/USDT", "1h")
    series = BarSeries.from_frame(Symbol.parse("BTC/USDT"), frame, Timeframe.parse("1h"))
    return Backtest([series], Breakout, cash=10_000, commission=0.001).run()


def anchored(equity: pd.Series, initial: float, bar: pd.Timedelta) -> pd.Series:
    """The initial cash at the first bar's open, then the equity at every close."""
    start = pd.Series([initial], index=[equity.index[0] - bar])
    return pd.concat([start, equity])


def reference(curve: pd.Series, periods: float, risk_free: float = 0.0) -> dict[str, float]:
    """empyrical's figures for ``curve`` (see the module docstring for the alignment)."""
    returns = curve.pct_change().iloc[1:]
    years = (curve.index[-1] - curve.index[0]) / YEAR
    per_bar = (1 + risk_free) ** (1 / periods) - 1
    calendar_years = len(returns) / years  # empyrical's year count made ours
    return {
        "sharpe": empyrical.sharpe_ratio(returns, risk_free=per_bar, annualization=periods),
        "sortino": empyrical.sortino_ratio(returns, required_return=per_bar,
                                           annualization=periods),
        "max_drawdown": empyrical.max_drawdown(returns),
        "cagr": empyrical.cagr(returns, annualization=calendar_years),
        "volatility": empyrical.annual_volatility(returns, annualization=periods),
        "calmar": empyrical.calmar_ratio(returns, annualization=calendar_years),
    }  # fmt: skip


def ours(stats: Stats) -> dict[str, float]:
    return {
        "sharpe": stats.sharpe,
        "sortino": stats.sortino,
        "max_drawdown": stats.max_drawdown_pct / 100,
        "cagr": stats.cagr_pct / 100,
        "volatility": stats.volatility_ann_pct / 100,
        "calmar": stats.calmar,
    }


@pytest.mark.parametrize("risk_free", [0.0, 0.04])
def test_breakout_on_btc_matches_empyrical(breakout: BacktestResult, risk_free: float) -> None:
    stats = breakout.stats_with(risk_free_rate=risk_free)
    assert stats.periods_per_year == 365 * 24
    assert stats.trades > 100  # a real run: every statistic is exercised
    curve = anchored(breakout.equity, 10_000.0, pd.Timedelta(hours=1))
    expected = reference(curve, 8_760, risk_free)
    assert ours(stats) == pytest.approx(expected, rel=REL)


def test_breakout_default_stats_are_the_risk_free_zero_ones(breakout: BacktestResult) -> None:
    assert breakout.stats == breakout.stats_with(risk_free_rate=0.0, calendar="crypto")
    assert breakout.stats.sharpe == pytest.approx(1.1201863596, rel=1e-9)


def synthetic(index: pd.DatetimeIndex, seed: int, initial: float) -> pd.Series:
    """A geometric random walk with fat-ish tails and a deep drawdown in the middle."""
    rng = np.random.default_rng(seed)
    returns = rng.standard_t(4, len(index)) * 0.01 + 0.0004
    returns[len(index) // 3 : len(index) // 2] -= 0.006
    return pd.Series(initial * np.cumprod(1 + returns), index=index)


@pytest.mark.parametrize("risk_free", [0.0, 0.03])
def test_synthetic_daily_stock_curve_under_the_equity_calendar(risk_free: float) -> None:
    # business days: 252 periods a year, empyrical's default for daily returns
    closes = pd.bdate_range("2020-01-02 21:00", periods=800, freq="B", tz="UTC")
    equity = synthetic(closes, seed=7, initial=50_000.0)
    stats = compute_stats(
        equity, pd.DataFrame(), initial_cash=Decimal(50_000),
        final_equity=Decimal(repr(float(equity.iloc[-1]))), bar_seconds=86_400,
        calendar=EQUITY, risk_free_rate=risk_free,
    )  # fmt: skip
    assert stats.periods_per_year == 252
    curve = anchored(equity, 50_000.0, pd.Timedelta(days=1))
    assert ours(stats) == pytest.approx(reference(curve, 252, risk_free), rel=REL)
    assert stats.max_drawdown_pct < -10


def test_synthetic_five_minute_crypto_curve() -> None:
    closes = pd.date_range("2023-03-01 00:05", periods=20_000, freq="5min", tz="UTC")
    equity = synthetic(closes, seed=11, initial=1_000.0)
    stats = compute_stats(
        equity, pd.DataFrame(), initial_cash=Decimal(1_000),
        final_equity=Decimal(repr(float(equity.iloc[-1]))), calendar=CRYPTO,
    )  # fmt: skip
    assert stats.periods_per_year == 365 * 24 * 12  # spacing read off the index
    curve = anchored(equity, 1_000.0, pd.Timedelta(minutes=5))
    assert ours(stats) == pytest.approx(reference(curve, 105_120), rel=REL)
