"""Every indicator against real TA-Lib on real bars: same NaN positions, values within 1e-9.

Series: BTC/USDT 5m (43k bars), ETH/USDT 1h and DOGE/USDT 1h from the bundled sample catalog
(three price levels five orders of magnitude apart). Parameter sets: the defaults, the
smallest periods TA-Lib accepts, and long ones (up to 200).
"""

from __future__ import annotations

import numpy as np
import pytest
import talib

from tests.indicators.compare import Bars, assert_all_match, assert_matches
from tradeforge import indicators as ind

PERIODS = [2, 10, 50, 200]


@pytest.mark.parametrize("period", [1, *PERIODS, 30])
def test_sma(bars: Bars, period: int) -> None:
    assert_matches(ind.sma(bars.close, period), talib.SMA(bars.close, period))


@pytest.mark.parametrize("period", [1, *PERIODS, 30])
def test_ema(bars: Bars, period: int) -> None:
    assert_matches(ind.ema(bars.close, period), talib.EMA(bars.close, period))


@pytest.mark.parametrize("period", [*PERIODS, 14])
def test_rsi(bars: Bars, period: int) -> None:
    assert_matches(ind.rsi(bars.close, period), talib.RSI(bars.close, period))


@pytest.mark.parametrize(
    ("fast", "slow", "signal"),
    [(12, 26, 9), (2, 3, 1), (2, 2, 2), (5, 35, 5), (10, 50, 2), (50, 200, 20), (26, 12, 9)],
)
def test_macd(bars: Bars, fast: int, slow: int, signal: int) -> None:
    # atol: the MACD outputs cross zero, see Bars.price_atol
    assert_all_match(
        ind.macd(bars.close, fast, slow, signal),
        talib.MACD(bars.close, fast, slow, signal),
        atol=bars.price_atol(),
    )


@pytest.mark.parametrize(
    ("period", "up", "down"),
    [(5, 2.0, 2.0), (2, 1.0, 1.0), (10, 1.5, 2.5), (20, 2.0, 2.0), (50, 3.0, 0.0), (200, 2.0, 2.0)],
)
def test_bbands(bars: Bars, period: int, up: float, down: float) -> None:
    assert_all_match(
        ind.bbands(bars.close, period, up, down), talib.BBANDS(bars.close, period, up, down)
    )


@pytest.mark.parametrize("period", [2, 5, 20, 200])
def test_bbands_deviation_is_the_two_pass_population_std(bars: Bars, period: int) -> None:
    upper, middle, lower = ind.bbands(bars.close, period, 1.0, 1.0)
    windows = np.lib.stride_tricks.sliding_window_view(bars.close, period)
    np.testing.assert_allclose(middle[period - 1 :], windows.mean(axis=1), rtol=1e-12)
    # upper - lower carries the rounding of the price level, hence the absolute part
    np.testing.assert_allclose(
        (upper - lower)[period - 1 :] / 2,
        windows.std(axis=1, ddof=0),
        rtol=1e-9,
        atol=bars.price_atol(),
    )


def test_true_range(bars: Bars) -> None:
    assert_matches(
        ind.true_range(bars.high, bars.low, bars.close),
        talib.TRANGE(bars.high, bars.low, bars.close),
    )


@pytest.mark.parametrize("period", [1, *PERIODS, 14])
def test_atr(bars: Bars, period: int) -> None:
    assert_matches(
        ind.atr(bars.high, bars.low, bars.close, period),
        talib.ATR(bars.high, bars.low, bars.close, period),
    )


@pytest.mark.parametrize("period", [*PERIODS, 14])
def test_adx(bars: Bars, period: int) -> None:
    assert_matches(
        ind.adx(bars.high, bars.low, bars.close, period),
        talib.ADX(bars.high, bars.low, bars.close, period),
    )


@pytest.mark.parametrize(
    ("fastk", "slowk", "slowd"),
    [(5, 3, 3), (1, 1, 1), (2, 1, 2), (14, 3, 5), (50, 10, 10), (200, 3, 3)],
)
def test_stoch(bars: Bars, fastk: int, slowk: int, slowd: int) -> None:
    assert_all_match(
        ind.stoch(
            bars.high,
            bars.low,
            bars.close,
            fastk_period=fastk,
            slowk_period=slowk,
            slowd_period=slowd,
        ),
        talib.STOCH(  # slowk_matype and slowd_matype default to 0, the SMA
            bars.high,
            bars.low,
            bars.close,
            fastk_period=fastk,
            slowk_period=slowk,
            slowd_period=slowd,
        ),
    )


def test_obv(bars: Bars) -> None:
    assert_matches(ind.obv(bars.close, bars.volume), talib.OBV(bars.close, bars.volume))


def test_defaults(bars: Bars) -> None:
    h, lo, c, v = bars.high, bars.low, bars.close, bars.volume
    assert_matches(ind.sma(c), talib.SMA(c))
    assert_matches(ind.ema(c), talib.EMA(c))
    assert_matches(ind.rsi(c), talib.RSI(c))
    assert_all_match(ind.macd(c), talib.MACD(c), atol=bars.price_atol())
    # TA-Lib 0.8 moved BBANDS's default period from 5 to 20; ours stays 5
    assert_all_match(ind.bbands(c), talib.BBANDS(c, 5))
    assert_matches(ind.atr(h, lo, c), talib.ATR(h, lo, c))
    assert_matches(ind.adx(h, lo, c), talib.ADX(h, lo, c))
    assert_all_match(ind.stoch(h, lo, c), talib.STOCH(h, lo, c))
    assert_matches(ind.obv(c, v), talib.OBV(c, v))


@pytest.mark.parametrize("period", [2, 14])
def test_warm_up_lengths_are_the_documented_ones(bars: Bars, period: int) -> None:
    h, lo, c = bars.high, bars.low, bars.close

    def first_value(values: np.ndarray) -> int:
        return int(np.argmax(~np.isnan(values)))

    assert first_value(ind.sma(c, period)) == period - 1
    assert first_value(ind.ema(c, period)) == period - 1
    assert first_value(ind.bbands(c, period)[0]) == period - 1
    assert first_value(ind.rsi(c, period)) == period
    assert first_value(ind.atr(h, lo, c, period)) == period
    assert first_value(ind.adx(h, lo, c, period)) == 2 * period - 1
    assert first_value(ind.macd(c, period, 2 * period, period)[0]) == 3 * period - 2
    assert (
        first_value(ind.stoch(h, lo, c, fastk_period=period)[1]) == period + 3
    )  # fastk + 3 + 3 - 3
    assert first_value(ind.true_range(h, lo, c)) == 1
    assert first_value(ind.obv(c, bars.volume)) == 0
