"""Portfolio risk: VaR and CVaR, concentration, exposure and rolling Sharpe.

Small series are worked out by hand (returns in 64ths, so the sorted tail is exact in binary);
real series are checked against independent computations: empyrical's VaR and CVaR, SciPy's
normal distribution, the Sharpe ratio of :mod:`tradeforge.backtest.stats` window by window, and
positions valued from the fills and the closes of real backtests on Binance 1h bars.
"""

from __future__ import annotations

import json
import math
import re
import statistics
from decimal import Decimal
from typing import Any

import empyrical
import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from tradeforge.backtest import Backtest, BacktestResult
from tradeforge.backtest.stats import sharpe_ratio
from tradeforge.data import ParquetCatalog
from tradeforge.model.symbol import Symbol
from tradeforge.risk import (
    ReturnRisk,
    concentration,
    exposure_by_asset,
    exposure_by_quote,
    historical_cvar,
    historical_var,
    holdings_returns,
    parametric_cvar,
    parametric_var,
    portfolio_risk,
    rolling_sharpe,
)
from tradeforge.risk.portfolio_risk import RiskInputError
from tradeforge.samples import SAMPLE_CATALOG
from tradeforge.strategies.sma_cross import SmaCross
from tradeforge.strategy import Strategy
from tradeforge.strategy.views import BarView

D = Decimal
HOURLY = 8_760.0
BTC, ETH = Symbol.parse("BTC/USDT"), Symbol.parse("ETH/USDT")


def sample(symbol: str, end: str = "2021-04-01") -> pd.DataFrame:
    """Binance 1h bars of ``symbol`` from 2021-01-01 (2,158 bars to the end of March)."""
    catalog = ParquetCatalog(SAMPLE_CATALOG)
    frame = catalog.read_bars("binance", symbol, "1h", "2021-01-01", end)
    return frame[["open", "high", "low", "close", "volume"]]


@pytest.fixture(scope="module")
def btc() -> pd.DataFrame:
    return sample("BTC/USDT")


@pytest.fixture(scope="module")
def eth() -> pd.DataFrame:
    return sample("ETH/USDT")


@pytest.fixture(scope="module")
def btc_returns(btc: pd.DataFrame) -> np.ndarray[Any, np.dtype[np.float64]]:
    closes = btc["close"].to_numpy()
    return closes[1:] / closes[:-1] - 1.0


# -- historical VaR and CVaR by hand ------------------------------------------------------------

# 21 returns: the tail sorted is -8/64, -4/64, -2/64, then 0 and 1/64 .. 17/64, given shuffled
TAIL = [-8 / 64, -4 / 64, -2 / 64]
SMALL = [5 / 64, -4 / 64, 0.0, 17 / 64, -8 / 64, *(k / 64 for k in range(1, 17) if k != 5)]
SMALL.insert(9, -2 / 64)


def test_the_small_series_is_what_the_hand_computation_assumes() -> None:
    assert len(SMALL) == 21
    assert sorted(SMALL)[:4] == [*TAIL, 0.0]


def test_historical_var_is_the_interpolated_quantile_as_a_loss() -> None:
    # 95 %: the quantile sits at (21 - 1) * 0.05 = 1, the second lowest return
    assert historical_var(SMALL, 0.95) == 4 / 64
    # 99 %: at 20 * 0.01 = 0.2, a fifth of the way from the lowest to the second lowest
    assert historical_var(SMALL) == historical_var(SMALL, 0.95)
    assert historical_var(SMALL, 0.99) == pytest.approx(8 / 64 - 0.2 * 4 / 64, abs=1e-17)


def test_historical_cvar_is_the_mean_loss_at_or_beyond_the_quantile() -> None:
    # floor(20 * 0.05) + 1 = 2 lowest returns; floor(20 * 0.01) + 1 = 1
    assert historical_cvar(SMALL, 0.95) == (8 / 64 + 4 / 64) / 2 == 0.09375
    assert historical_cvar(SMALL, 0.99) == 8 / 64


def test_a_tail_of_gains_gives_a_negative_var_without_minus_zero() -> None:
    assert historical_var([0.01, 0.02, 0.03], 0.95) == pytest.approx(-0.011, abs=1e-17)
    zero = historical_var([0.0, 0.0, 0.01], 0.95)
    assert zero == 0.0 and math.copysign(1.0, zero) == 1.0


# -- parametric VaR and CVaR --------------------------------------------------------------------


def test_parametric_figures_by_hand() -> None:
    returns = [0.02, -0.01, 0.03, -0.04]
    mean, std = statistics.mean(returns), statistics.stdev(returns)
    assert std == pytest.approx(math.sqrt(0.001), rel=1e-15)  # (4 + 1 + 9 + 16) e-4 / 3
    z95, z99 = 1.6448536269514722, 2.3263478740408408
    assert parametric_var(returns, 0.95) == pytest.approx(z95 * std - mean, rel=1e-14)
    assert parametric_var(returns, 0.99) == pytest.approx(z99 * std - mean, rel=1e-14)
    density = math.exp(-(z95**2) / 2) / math.sqrt(2 * math.pi)
    assert parametric_cvar(returns, 0.95) == pytest.approx(std * density / 0.05 - mean, rel=1e-12)


def test_without_dispersion_both_are_minus_the_mean() -> None:
    assert parametric_var([0.01], 0.99) == -0.01
    assert parametric_cvar([0.002, 0.002, 0.002], 0.95) == -0.002


def test_parametric_figures_agree_with_scipy_on_real_returns(btc_returns: np.ndarray) -> None:
    mean, std = float(np.mean(btc_returns)), float(np.std(btc_returns, ddof=1))
    for level in (0.95, 0.99):
        var = -norm.ppf(1 - level, loc=mean, scale=std)
        assert parametric_var(btc_returns, level) == pytest.approx(var, rel=1e-12)
        # the mean of the normal's tail below the VaR quantile, integrated numerically
        shortfall = norm.expect(
            lambda x: x, loc=mean, scale=std, ub=norm.ppf(1 - level, mean, std), conditional=True
        )
        assert parametric_cvar(btc_returns, level) == pytest.approx(-shortfall, rel=1e-9)


def test_historical_figures_agree_with_empyrical_on_real_returns(btc_returns: np.ndarray) -> None:
    for level in (0.95, 0.99):
        cutoff = round(1 - level, 2)
        assert historical_var(btc_returns, level) == -empyrical.value_at_risk(btc_returns, cutoff)
        assert historical_cvar(btc_returns, level) == pytest.approx(
            -empyrical.conditional_value_at_risk(btc_returns, cutoff), rel=1e-14
        )
    risk = ReturnRisk.of(btc_returns)
    assert risk.observations == 2_157
    assert 0 < risk.var_95 < risk.cvar_95 < risk.cvar_99 and risk.var_95 < risk.var_99
    # fat tails: the historical 99 % shortfall is beyond the normal's
    assert risk.cvar_99 > risk.parametric_cvar_99


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: historical_var([]), "returns must be a non-empty 1-D series, got shape (0,)"),
        (lambda: historical_cvar([0.1, math.nan]), "returns must be finite numbers"),
        (lambda: parametric_var([0.1], 1.0), "level must be between 0 and 1, got 1.0"),
        (lambda: parametric_cvar([[0.1]]), "returns must be a non-empty 1-D series"),
        (lambda: rolling_sharpe(np.zeros(3), 1, HOURLY), "window must be an int >= 2, got 1"),
        (lambda: rolling_sharpe(np.zeros(3), 2, 0.0), "periods_per_year must be positive"),
    ],
)
def test_wrong_inputs_are_refused_by_name(call: Any, message: str) -> None:
    with pytest.raises(RiskInputError, match=re.escape(message)):
        call()


# -- rolling Sharpe -----------------------------------------------------------------------------


def test_rolling_sharpe_by_hand() -> None:
    index = pd.date_range("2021-01-01", periods=6, freq="h", tz="UTC")
    returns = pd.Series([0.01, 0.02, 0.03, 0.03, 0.03, 0.03], index=index)
    ratio = rolling_sharpe(returns, 3, HOURLY)
    assert ratio.index.equals(index) and ratio.name == "rolling_sharpe"
    assert ratio.iloc[:2].isna().all()
    assert ratio.iloc[2] == pytest.approx(0.02 / 0.01 * math.sqrt(HOURLY), rel=1e-12)
    second = [0.02, 0.03, 0.03]
    expected = statistics.mean(second) / statistics.stdev(second) * math.sqrt(HOURLY)
    assert ratio.iloc[3] == pytest.approx(expected, rel=1e-12)
    assert ratio.iloc[4:].tolist() == [0.0, 0.0]  # no dispersion: 0, as stats.sharpe


def test_rolling_sharpe_is_the_stats_sharpe_of_every_window(btc_returns: np.ndarray) -> None:
    risk_free = 2e-6
    ratio = rolling_sharpe(btc_returns, 168, HOURLY, risk_free)
    assert isinstance(ratio, np.ndarray) and np.isnan(ratio[:167]).all()
    expected = [
        sharpe_ratio(btc_returns[end - 168 : end], HOURLY, risk_free)
        for end in range(168, len(btc_returns) + 1)
    ]
    np.testing.assert_allclose(ratio[167:], expected, rtol=1e-9)


# -- concentration and exposure from real runs ---------------------------------------------------


class LongShort(Strategy):
    """Long 0.1 BTC and short 2 ETH at bar 100; at bar 400 reads its portfolio's risk over the
    last 200 bars of both symbols. It acts on ETH's bars, which close after BTC's bar of the
    same time: both symbols have then reached the bar."""

    def on_bar(self, bar: BarView) -> None:
        if bar.symbol != ETH:
            return
        if bar.index == 100:
            self.buy(D("0.1"), symbol=BTC)
            self.sell(D("2"), symbol=ETH)
        if bar.index == 400:
            closes = {s: self.data(s).close.values for s in self.symbols}
            self.scenarios = holdings_returns(self.portfolio, closes, 200)
            self.read = portfolio_risk(self.portfolio, self.scenarios)


@pytest.fixture(scope="module")
def long_short(btc: pd.DataFrame, eth: pd.DataFrame) -> BacktestResult:
    data = {"BTC/USDT": btc, "ETH/USDT": eth}
    result = Backtest(data, LongShort, cash=10_000, commission=0.001, account="margin").run()
    assert result.accounting_gap() == 0
    return result


def _last_close(frame: pd.DataFrame, i: int = -1) -> Decimal:
    return D(repr(float(frame["close"].iloc[i])))


def test_concentration_and_exposure_of_a_long_and_a_short(
    long_short: BacktestResult, btc: pd.DataFrame, eth: pd.DataFrame
) -> None:
    portfolio = long_short.portfolio  # marked at the last closes
    btc_value = D("0.1") * _last_close(btc)
    eth_value = -2 * _last_close(eth)
    assert (btc_value, eth_value) == (D("5874.055"), D("-3838.74"))
    gross = btc_value - eth_value
    shares = {BTC: btc_value / gross, ETH: -eth_value / gross}
    found = concentration(portfolio)
    assert found.shares == shares
    # 5,874.055 / 9,712.795
    assert found.largest_share == shares[BTC] == D("0.6047749386247727868239780619")
    assert found.hhi == shares[BTC] * shares[BTC] + shares[ETH] * shares[ETH]
    assert exposure_by_asset(portfolio) == {"BTC": btc_value, "ETH": eth_value}
    assert exposure_by_quote(portfolio) == {"USDT": btc_value + eth_value}
    risk = portfolio_risk(portfolio, [0.01, -0.01])
    assert (risk.gross_exposure, risk.net_exposure) == (gross, btc_value + eth_value)
    assert risk.equity == long_short.final_equity
    assert risk.leverage == gross / long_short.final_equity


def test_a_strategy_reads_the_risk_of_what_it_holds(
    long_short: BacktestResult, btc: pd.DataFrame, eth: pd.DataFrame
) -> None:
    strategy = long_short.run.strategies[0]
    # at bar 400 both positions are valued at that bar's closes; equity is the cash (margin:
    # the settled fees) plus the unrealized PnL of both
    fills = long_short.fills
    btc_entry, eth_entry = (D(repr(float(p))) for p in fills["price"].iloc[:2])
    btc_400, eth_400 = _last_close(btc, 400), _last_close(eth, 400)
    fees = sum(D(repr(float(f))) for f in fills["fee"].iloc[:2])
    equity = 10_000 - fees + D("0.1") * (btc_400 - btc_entry) - 2 * (eth_400 - eth_entry)
    assert strategy.read.equity == equity
    closes_b, closes_e = (f["close"].to_numpy()[200:401] for f in (btc, eth))
    scenarios = (
        float(D("0.1") * btc_400) * (closes_b[1:] / closes_b[:-1] - 1)
        + float(-2 * eth_400) * (closes_e[1:] / closes_e[:-1] - 1)
    ) / float(equity)
    np.testing.assert_allclose(strategy.scenarios, scenarios, rtol=1e-12)
    read = strategy.read.returns
    assert read.var_95 == -np.quantile(scenarios, 0.05)
    assert read.cvar_99 == -np.sort(scenarios)[:2].mean()  # floor(199 * 0.01) + 1 = 2
    assert read.observations == 200
    assert strategy.read.exposure_by_asset == {"BTC": D("0.1") * btc_400, "ETH": -2 * eth_400}


def test_nothing_held_has_no_concentration_and_no_scenario_risk(btc: pd.DataFrame) -> None:
    class Idle(Strategy):
        pass

    result = Backtest(btc.iloc[:50], Idle, cash=1_000, symbol="BTC/USDT").run()
    found = concentration(result.portfolio)
    assert (found.shares, found.largest_share, found.hhi) == ({}, 0, 0)
    assert exposure_by_asset(result.portfolio) == exposure_by_quote(result.portfolio) == {}
    scenarios = holdings_returns(result.portfolio, {}, 10)
    assert scenarios.tolist() == [0.0] * 10
    assert portfolio_risk(result.portfolio, scenarios).returns.var_99 == 0.0


def test_scenario_returns_need_the_closes_of_every_holding(long_short: BacktestResult) -> None:
    with pytest.raises(RiskInputError, match="no closes for ETH/USDT, which the portfolio holds"):
        holdings_returns(long_short.portfolio, {BTC: np.ones(20)}, 10)
    with pytest.raises(RiskInputError, match="10 returns of BTC/USDT need 11 closes, got 5"):
        holdings_returns(long_short.portfolio, {BTC: np.ones(5), ETH: np.ones(5)}, 10)


# -- in the results -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sma_run() -> BacktestResult:
    """SMA cross on exactly 730 hourly BTC bars: one rolling window spans the whole run."""
    frame = sample("BTC/USDT").iloc[:730]
    return Backtest(frame, SmaCross, cash=10_000, commission=0.001, symbol="BTC/USDT").run()


def test_the_results_carry_the_var_of_the_bar_returns(sma_run: BacktestResult) -> None:
    values = np.concatenate(([10_000.0], sma_run.equity.to_numpy()))
    returns = values[1:] / values[:-1] - 1.0
    assert sma_run.stats.trades > 5 and (sma_run.bar_returns.to_numpy() == returns).all()
    risk = sma_run.risk
    assert risk.observations == 730
    assert risk.var_95 == -empyrical.value_at_risk(returns, 0.05)
    assert risk.var_99 == -empyrical.value_at_risk(returns, 0.01)
    assert risk.cvar_95 == pytest.approx(-empyrical.conditional_value_at_risk(returns, 0.05))
    assert risk.cvar_99 == pytest.approx(-empyrical.conditional_value_at_risk(returns, 0.01))
    mean, std = float(np.mean(returns)), float(np.std(returns, ddof=1))
    assert risk.parametric_var_99 == pytest.approx(-norm.ppf(0.01, mean, std), rel=1e-12)
    assert risk.parametric_cvar_95 == pytest.approx(
        std * norm.pdf(norm.ppf(0.95)) / 0.05 - mean, rel=1e-12
    )
    document = json.loads(json.dumps(sma_run.summary(), allow_nan=False))
    assert document["risk"] == risk.to_json()
    assert set(document["risk"]) == {
        "var_95", "cvar_95", "var_99", "cvar_99", "parametric_var_95", "parametric_cvar_95",
        "parametric_var_99", "parametric_cvar_99", "observations",
    }  # fmt: skip


def test_the_results_carry_a_rolling_sharpe_of_a_month(sma_run: BacktestResult) -> None:
    ratio = sma_run.rolling_sharpe
    assert ratio.index.equals(sma_run.equity.index)
    # 8,760 / 12 = 730 bars: NaN until the last bar, whose window is the whole run
    assert ratio.iloc[:-1].isna().all()
    assert ratio.iloc[-1] == pytest.approx(sma_run.stats.sharpe, rel=1e-9)
    assert sma_run.stats.sharpe != 0


def test_the_rolling_sharpe_of_the_results_is_net_of_the_risk_free_rate() -> None:
    frame = sample("BTC/USDT").iloc[:800]
    result = Backtest(frame, SmaCross, cash=10_000, symbol="BTC/USDT", risk_free_rate=0.05).run()
    rate = (1.05) ** (1 / HOURLY) - 1
    returns = result.bar_returns.to_numpy()
    expected = [sharpe_ratio(returns[end - 730 : end], HOURLY, rate) for end in range(730, 801)]
    np.testing.assert_allclose(result.rolling_sharpe.to_numpy()[729:], expected, rtol=1e-9)
    gross = rolling_sharpe(result.bar_returns, 730, HOURLY)
    assert result.rolling_sharpe.iloc[-1] < gross.iloc[-1]  # the rate is subtracted
