"""``BarSeries.from_frame``: float64 columns are used in place, everything else is converted
and checked as before; ``fresh()`` gives a run its own cursor without copying the bars."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tradeforge.data.replay import BarSeries, ReplayError
from tradeforge.model.symbol import Symbol
from tradeforge.model.timeframe import Timeframe

SYMBOL = Symbol.parse("BTC/USDT")
COLUMNS = ["open", "high", "low", "close", "volume"]


def frame(n: int = 50, freq: str = "1min", tz: str | None = "UTC") -> pd.DataFrame:
    rng = np.random.default_rng(0)
    close = 100.0 + np.cumsum(rng.normal(0.0, 1.0, n))
    values = {
        "open": close - 0.5,
        "high": close + 1.0,
        "low": close - 1.0,
        "close": close,
        "volume": rng.uniform(1.0, 2.0, n),
    }
    index = pd.date_range("2024-03-01", periods=n, freq=freq, tz=tz, name="ts")
    return pd.DataFrame(values, index=index)


def test_float64_columns_are_not_copied() -> None:
    data = frame()
    series = BarSeries.from_frame(SYMBOL, data)
    for name in COLUMNS:
        array = getattr(series, name)
        assert array.dtype == np.float64 and array.flags.c_contiguous
        assert np.shares_memory(array, data[name].to_numpy())
        assert np.array_equal(array, data[name].to_numpy())


def test_strided_float_columns_become_contiguous() -> None:
    data = frame()
    # one 2-D float block in row-major order: each column is a strided view
    rows = np.ascontiguousarray(data[COLUMNS].to_numpy())
    strided = pd.DataFrame(rows, index=data.index, columns=COLUMNS, copy=False)
    assert not strided["close"].to_numpy().flags.c_contiguous
    series = BarSeries.from_frame(SYMBOL, strided)
    for name in COLUMNS:
        array = getattr(series, name)
        assert array.flags.c_contiguous
        assert np.array_equal(array, data[name].to_numpy())


def test_other_dtypes_are_converted_to_float64() -> None:
    data = frame(10)
    data["volume"] = np.arange(10, dtype=np.int64)
    data["open"] = data["open"].astype(np.float32)
    data["close"] = data["close"].astype(str)
    series = BarSeries.from_frame(SYMBOL, data)
    assert series.volume.dtype == series.open.dtype == series.close.dtype == np.float64
    assert series.volume.tolist() == list(range(10))
    assert np.allclose(series.close, data["close"].astype(float))


def test_missing_volume_is_zero_and_column_case_is_ignored() -> None:
    data = frame(10).drop(columns="volume").rename(columns=str.capitalize)
    series = BarSeries.from_frame(SYMBOL, data)
    assert series.volume.tolist() == [0.0] * 10
    assert np.array_equal(series.close, data["Close"].to_numpy())


@pytest.mark.parametrize("bad", [np.nan, np.inf, "x"])
def test_a_non_finite_value_names_its_row(bad: object) -> None:
    data = frame(10)
    data["high"] = data["high"].astype(object)
    data.iloc[7, data.columns.get_loc("high")] = bad
    with pytest.raises(ReplayError, match="column high row 7 is not a finite number"):
        BarSeries.from_frame(SYMBOL, data)
    data = frame(10)
    data.iloc[3, data.columns.get_loc("low")] = np.nan
    with pytest.raises(ReplayError, match="column low row 3 is not a finite number"):
        BarSeries.from_frame(SYMBOL, data)


@pytest.mark.parametrize("tz", [None, "UTC", "Europe/Paris"])
@pytest.mark.parametrize("unit", ["s", "us", "ns"])
def test_open_times_are_ns_utc(tz: str | None, unit: str) -> None:
    data = frame(5, tz=tz)
    data.index = data.index.as_unit(unit)
    series = BarSeries.from_frame(SYMBOL, data)
    index = data.index if tz is not None else data.index.tz_localize("UTC")
    expected = [int(t.value) for t in index.tz_convert("UTC")]
    assert series.ts_open.dtype == np.int64
    assert series.ts_open.tolist() == expected
    assert (series.ts_close - series.ts_open == 60_000_000_000).all()


def test_the_timeframe_is_the_most_common_spacing() -> None:
    assert BarSeries.from_frame(SYMBOL, frame(20, "5min")).timeframe == Timeframe.parse("5m")
    gappy = frame(20, "1h").drop(index=frame(20, "1h").index[[3, 4, 9]])
    assert BarSeries.from_frame(SYMBOL, gappy).timeframe == Timeframe.parse("1h")
    with pytest.raises(ReplayError, match="cannot infer a timeframe"):
        BarSeries.from_frame(SYMBOL, frame(20, "7min"))


def test_bar_times_must_increase() -> None:
    data = frame(10)
    with pytest.raises(ReplayError, match="strictly increasing"):
        BarSeries.from_frame(SYMBOL, data.iloc[::-1], Timeframe.parse("1m"))
    repeated = pd.concat([data.iloc[:5], data.iloc[4:]])
    with pytest.raises(ReplayError, match="strictly increasing"):
        BarSeries.from_frame(SYMBOL, repeated)


def test_fresh_has_its_own_cursor_and_lines_and_shares_the_bars() -> None:
    series = BarSeries.from_frame(SYMBOL, frame(10))
    series.cursor.i = 4
    copy = series.fresh()
    assert copy.cursor is not series.cursor and copy.cursor.i == -1
    assert copy.lines["close"] is not series.lines["close"]
    assert len(copy.lines["close"]) == 0 and len(series.lines["close"]) == 5
    copy.cursor.i = 9
    assert copy.lines["close"][-1] == series.close[9]
    assert series.lines["close"][-1] == series.close[4]
    for name in (*COLUMNS, "ts_open", "ts_close"):
        assert getattr(copy, name) is getattr(series, name)
    assert (copy.symbol, copy.timeframe, len(copy)) == (series.symbol, series.timeframe, 10)
