"""Input handling: conversion, validation, short and NaN-holding series."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
import talib

from tests.indicators.compare import Bars, FloatArray, assert_all_match
from tradeforge import indicators as ind

Outputs = FloatArray | tuple[FloatArray, ...]


def on_close(name: str, **params: int) -> Callable[[Bars], Outputs]:
    function = getattr(ind, name)
    return lambda b: function(b.close, **params)


def on_bars(name: str, **params: int) -> Callable[[Bars], Outputs]:
    function = getattr(ind, name)
    return lambda b: function(b.high, b.low, b.close, **params)


# (indicator call on default parameters, warm-up length = index of the first value)
DEFAULT_CALLS: dict[str, tuple[Callable[[Bars], Outputs], int]] = {
    "sma": (on_close("sma"), 29),
    "ema": (on_close("ema"), 29),
    "rsi": (on_close("rsi"), 14),
    "macd": (on_close("macd"), 33),
    "bbands": (on_close("bbands"), 4),
    "true_range": (on_bars("true_range"), 1),
    "atr": (on_bars("atr"), 14),
    "adx": (on_bars("adx"), 27),
    "stoch": (on_bars("stoch"), 8),
    "obv": (lambda b: ind.obv(b.close, b.volume), 0),
}


def as_tuple(outputs: Outputs) -> tuple[FloatArray, ...]:
    return outputs if isinstance(outputs, tuple) else (outputs,)


def head(bars: Bars, count: int) -> Bars:
    return Bars(bars.name, *(getattr(bars, c)[:count].copy() for c in Bars.COLUMNS))


def test_every_public_function_is_covered() -> None:
    assert sorted(ind.__all__) == sorted(DEFAULT_CALLS)


@pytest.mark.parametrize("name", DEFAULT_CALLS)
def test_input_shorter_than_the_warm_up_gives_all_nan(eth: Bars, name: str) -> None:
    call, warm_up = DEFAULT_CALLS[name]
    for count in {0, 1, warm_up}:
        for output in as_tuple(call(head(eth, count))):
            assert output.dtype == np.float64
            assert output.shape == (count,)
            assert np.isnan(output).all() or (name == "obv" and count > 0)
    for output in as_tuple(call(head(eth, warm_up + 1))):
        assert np.isnan(output[:-1]).all()
        assert not np.isnan(output[-1])


@pytest.mark.parametrize("name", DEFAULT_CALLS)
def test_lists_and_series_give_the_array_result(eth: Bars, name: str) -> None:
    call, _ = DEFAULT_CALLS[name]
    small = head(eth, 300)
    expected = as_tuple(call(small))
    # Bars is typed for arrays; here it carries lists and Series on purpose
    as_lists = Bars(small.name, *(getattr(small, c).tolist() for c in Bars.COLUMNS))
    index = pd.date_range("2021-01-01", periods=300, freq="h", tz="UTC")
    series = (pd.Series(getattr(small, c), index) for c in Bars.COLUMNS)
    as_series = Bars(small.name, *series)  # type: ignore[arg-type]
    for converted in (as_lists, as_series):
        got = as_tuple(call(converted))
        for mine, reference in zip(got, expected, strict=True):
            assert type(mine) is np.ndarray
            np.testing.assert_array_equal(mine, reference)


def test_integer_input_is_converted() -> None:
    np.testing.assert_array_equal(ind.sma([1, 2, 3, 4], 2), [np.nan, 1.5, 2.5, 3.5])
    np.testing.assert_array_equal(ind.obv(np.arange(3), np.array([5, 6, 7])), [5.0, 11.0, 18.0])


@pytest.mark.parametrize("name", DEFAULT_CALLS)
def test_inputs_are_not_modified(eth: Bars, name: str) -> None:
    call, _ = DEFAULT_CALLS[name]
    small = head(eth, 200)
    before = [getattr(small, c).copy() for c in Bars.COLUMNS]
    call(small)
    for column, saved in zip(Bars.COLUMNS, before, strict=True):
        np.testing.assert_array_equal(getattr(small, column), saved)


def test_period_one_returns_a_copy() -> None:
    close = np.array([1.0, 2.0, 3.0])
    for output in (ind.sma(close, 1), ind.ema(close, 1)):
        np.testing.assert_array_equal(output, close)
        assert not np.shares_memory(output, close)


BAD_PERIODS = [0, -3, 2.5, 14.0, True, "14", None]
PERIOD_CALLS: list[tuple[str, Callable[[Any], object]]] = [
    ("period", lambda p: ind.sma([1.0] * 50, p)),
    ("period", lambda p: ind.ema([1.0] * 50, p)),
    ("period", lambda p: ind.rsi([1.0] * 50, p)),
    ("fast", lambda p: ind.macd([1.0] * 50, fast=p)),
    ("slow", lambda p: ind.macd([1.0] * 50, slow=p)),
    ("signal", lambda p: ind.macd([1.0] * 50, signal=p)),
    ("period", lambda p: ind.bbands([1.0] * 50, p)),
    ("period", lambda p: ind.atr([2.0] * 50, [1.0] * 50, [1.5] * 50, p)),
    ("period", lambda p: ind.adx([2.0] * 50, [1.0] * 50, [1.5] * 50, p)),
    ("fastk_period", lambda p: ind.stoch([2.0] * 50, [1.0] * 50, [1.5] * 50, fastk_period=p)),
    ("slowk_period", lambda p: ind.stoch([2.0] * 50, [1.0] * 50, [1.5] * 50, slowk_period=p)),
    ("slowd_period", lambda p: ind.stoch([2.0] * 50, [1.0] * 50, [1.5] * 50, slowd_period=p)),
]


@pytest.mark.parametrize(("argument", "call"), PERIOD_CALLS)
@pytest.mark.parametrize("period", BAD_PERIODS)
def test_bad_period_raises_naming_the_argument(
    argument: str, call: Callable[[Any], object], period: object
) -> None:
    with pytest.raises(ValueError, match=rf"^{argument} must be an int >= \d"):
        call(period)


@pytest.mark.parametrize(
    ("argument", "call"),
    [
        ("period", lambda: ind.rsi([1.0] * 50, 1)),
        ("period", lambda: ind.bbands([1.0] * 50, 1)),
        ("period", lambda: ind.adx([2.0] * 50, [1.0] * 50, [1.5] * 50, 1)),
        ("fast", lambda: ind.macd([1.0] * 50, fast=1)),
        ("slow", lambda: ind.macd([1.0] * 50, slow=1)),
    ],
)
def test_period_one_is_refused_where_talib_refuses_it(
    argument: str, call: Callable[[], object]
) -> None:
    with pytest.raises(ValueError, match=rf"^{argument} must be an int >= 2, got 1"):
        call()


def test_numpy_integer_periods_are_accepted() -> None:
    close = np.arange(20.0)
    np.testing.assert_array_equal(ind.sma(close, np.int64(3)), ind.sma(close, 3))  # type: ignore[arg-type]


@pytest.mark.parametrize("argument", ["nbdev_up", "nbdev_dn"])
@pytest.mark.parametrize("value", [float("nan"), float("inf"), "2", None, True])
def test_bad_band_width_raises(argument: str, value: object) -> None:
    with pytest.raises(ValueError, match=f"^{argument} must be a finite number"):
        ind.bbands([1.0] * 20, 5, **{argument: value})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "call",
    [
        lambda: ind.true_range([1.0] * 10, [1.0] * 9, [1.0] * 10),
        lambda: ind.atr([1.0] * 10, [1.0] * 10, [1.0] * 11),
        lambda: ind.adx([1.0] * 9, [1.0] * 10, [1.0] * 10),
        lambda: ind.stoch([1.0] * 10, [1.0] * 10, [1.0] * 3),
        lambda: ind.obv([1.0] * 10, [1.0] * 12),
    ],
)
def test_mismatched_lengths_raise(call: Callable[[], object]) -> None:
    with pytest.raises(ValueError, match=r"^input series must have equal lengths, got .*=\d+"):
        call()


def test_length_message_names_every_series() -> None:
    with pytest.raises(ValueError, match=r"high=10, low=9, close=10"):
        ind.atr([1.0] * 10, [1.0] * 9, [1.0] * 10)


@pytest.mark.parametrize("bad", [np.ones((5, 2)), 3.0, ["a", "b"], [[1.0], [2.0, 3.0]]])
def test_non_series_input_raises_naming_the_argument(bad: object) -> None:
    with pytest.raises(ValueError, match="^close must be"):
        ind.sma(bad, 2)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="^volume must be"):
        ind.obv([1.0, 2.0], bad)  # type: ignore[arg-type]


def test_macd_swaps_fast_and_slow_like_talib(eth: Bars) -> None:
    for mine, swapped in zip(
        ind.macd(eth.close, 26, 12, 9), ind.macd(eth.close, 12, 26, 9), strict=True
    ):
        np.testing.assert_array_equal(mine, swapped)


# -- NaN in the input ------------------------------------------------------------------------


def with_leading_nan(bars: Bars) -> Bars:
    """Rows 0-6 NaN everywhere, row 7 NaN in ``low`` only."""
    columns = [getattr(bars, c)[:600].copy() for c in Bars.COLUMNS]
    for values in columns:
        values[:7] = np.nan
    columns[1][7] = np.nan
    return Bars(bars.name, *columns)


TALIB_CALLS: dict[str, Callable[[Bars], Outputs]] = {
    "sma": lambda b: talib.SMA(b.close),
    "ema": lambda b: talib.EMA(b.close),
    "rsi": lambda b: talib.RSI(b.close),
    "macd": lambda b: talib.MACD(b.close),
    "bbands": lambda b: talib.BBANDS(b.close, 5),
    "true_range": lambda b: talib.TRANGE(b.high, b.low, b.close),
    "atr": lambda b: talib.ATR(b.high, b.low, b.close),
    "adx": lambda b: talib.ADX(b.high, b.low, b.close),
    "stoch": lambda b: talib.STOCH(b.high, b.low, b.close),
    "obv": lambda b: talib.OBV(b.close, b.volume),
}


@pytest.mark.parametrize("name", DEFAULT_CALLS)
def test_leading_nan_rows_are_skipped_like_talib(eth: Bars, name: str) -> None:
    bars = with_leading_nan(eth)
    call, warm_up = DEFAULT_CALLS[name]
    ours, theirs = as_tuple(call(bars)), as_tuple(TALIB_CALLS[name](bars))
    assert_all_match(ours, theirs, atol=bars.price_atol())
    first_complete_row = 8 if name in {"true_range", "atr", "adx", "stoch"} else 7
    assert int(np.argmax(~np.isnan(ours[0]))) == first_complete_row + warm_up


def with_nan_at(bars: Bars, column: str, row: int) -> Bars:
    columns = {c: getattr(bars, c)[:600].copy() for c in Bars.COLUMNS}
    columns[column][row] = np.nan
    return Bars(bars.name, **columns)


@pytest.mark.parametrize(
    ("name", "column"),
    [
        ("sma", "close"),
        ("ema", "close"),
        ("macd", "close"),
        ("bbands", "close"),
        ("true_range", "close"),
        ("true_range", "high"),
        ("atr", "close"),
        ("atr", "low"),
        ("adx", "close"),
        ("stoch", "close"),
        ("stoch", "high"),
        ("stoch", "low"),
        ("obv", "close"),
        ("obv", "volume"),
    ],
)
def test_a_nan_inside_the_data_behaves_like_talib(eth: Bars, name: str, column: str) -> None:
    bars = with_nan_at(eth, column, 300)
    call, _ = DEFAULT_CALLS[name]
    assert_all_match(
        as_tuple(call(bars)), as_tuple(TALIB_CALLS[name](bars)), atol=bars.price_atol()
    )


def test_rsi_and_adx_give_nan_after_a_nan_where_talib_gives_0_or_freezes(eth: Bars) -> None:
    bars = with_nan_at(eth, "close", 300)
    rsi = ind.rsi(bars.close)
    assert not np.isnan(rsi[:300][14:]).any()
    assert np.isnan(rsi[300:]).all()
    assert (talib.RSI(bars.close)[300:] == 0.0).all()  # TA-Lib 0.8: a false "oversold"
    bars = with_nan_at(eth, "high", 300)
    adx = ind.adx(bars.high, bars.low, bars.close)
    assert not np.isnan(adx[:300][27:]).any()
    assert np.isnan(adx[300:]).all()
    frozen = talib.ADX(bars.high, bars.low, bars.close)[299:]
    assert (frozen == frozen[0]).all()  # TA-Lib 0.8: the last value repeated


def test_all_nan_input_gives_all_nan() -> None:
    nan = np.full(50, np.nan)
    for output in (ind.sma(nan, 3), ind.rsi(nan), ind.obv(nan, nan), *ind.macd(nan, 2, 3, 1)):
        assert np.isnan(output).all()
