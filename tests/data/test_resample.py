from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from datahelpers import MINUTE, T0, bars, raw_bars
from hypothesis import given, settings
from hypothesis import strategies as st

from tradeforge.data import (
    DataError,
    bars_from_trades,
    fill_gaps,
    load_file,
    normalize_bars,
    normalize_trades,
    resample_bars,
    validate_bars,
)
from tradeforge.data.timestamps import iso, to_ns


def rows(frame: pd.DataFrame) -> list[tuple[object, ...]]:
    return [
        (iso(int(t)), *r)
        for t, r in zip(frame.index.asi8, frame.itertuples(index=False), strict=True)
    ]


def test_one_minute_to_five_minutes_exact_values() -> None:
    frame = bars([0, 1, 2, 3, 4, 5, 6], [10.0, 12.0, 9.0, 11.0, 10.5, 20.0, 21.0])
    frame["volume"] = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]
    out = resample_bars(frame, "1m", "5m")
    assert rows(out) == [
        ("2021-01-01T00:00:00+00:00", 10.0, 13.0, 8.0, 10.5, 15.0, False, False),
        ("2021-01-01T00:05:00+00:00", 10.5, 22.0, 9.5, 21.0, 13.0, False, True),
    ]


def test_bucket_with_a_gap_is_partial_not_dropped() -> None:
    out = resample_bars(bars([0, 1, 3, 4, 5, 6, 7, 8, 9]), "1m", "5m")
    assert out["partial"].tolist() == [True, False]
    assert len(out) == 2


def test_refuses_non_multiples_and_unsorted_bars() -> None:
    with pytest.raises(DataError, match="cannot resample 3m bars to 5m: not a whole multiple"):
        resample_bars(bars([0, 3]), "3m", "5m")
    with pytest.raises(DataError, match="cannot resample 1w bars to 1M"):
        resample_bars(bars([0]), "1w", "1M")
    with pytest.raises(DataError, match="sorted"):
        resample_bars(bars([1, 0]), "1m", "5m")
    with pytest.raises(DataError, match="not a 5m bar open time"):
        resample_bars(bars([0, 1]), "5m", "1h")


def daily(days: list[str]) -> pd.DataFrame:
    return normalize_bars(raw_bars([(to_ns(d), 1, 2, 0.5, 1.5, 1) for d in days]), "1d")


def test_weekly_buckets_open_on_monday() -> None:
    # 2021-01-01 is a Friday: its week opens Monday 2020-12-28
    out = resample_bars(daily(["2021-01-01", "2021-01-02", "2021-01-03", "2021-01-04"]), "1d", "1w")
    assert [iso(int(t)) for t in out.index.asi8] == [
        "2020-12-28T00:00:00+00:00", "2021-01-04T00:00:00+00:00",
    ]  # fmt: skip
    assert out["volume"].tolist() == [3.0, 1.0]
    assert out["partial"].tolist() == [True, True]


def test_monthly_buckets_are_calendar_months() -> None:
    days = [f"2021-02-{d:02d}" for d in range(1, 29)] + ["2021-03-01"]
    out = resample_bars(daily(days), "1d", "1M")
    assert [iso(int(t))[:10] for t in out.index.asi8] == ["2021-02-01", "2021-03-01"]
    assert out["volume"].tolist() == [28.0, 1.0]
    assert out["partial"].tolist() == [False, True]


def test_three_day_buckets_align_on_epoch_like_binance() -> None:
    out = resample_bars(daily(["2021-01-01", "2021-01-02", "2021-01-03"]), "1d", "3d")
    # 18628 days after the epoch is 2020-12-31, a multiple of 3
    assert [iso(int(t))[:10] for t in out.index.asi8] == ["2020-12-31", "2021-01-03"]


def test_synthetic_propagates_only_when_every_source_bar_is() -> None:
    frame = bars(list(range(10)))
    frame["synthetic"] = [True] * 5 + [True, False, True, True, True]
    out = resample_bars(frame, "1m", "5m")
    assert out["synthetic"].tolist() == [True, False]


def test_partial_source_bars_make_partial_buckets() -> None:
    frame = bars(list(range(5)))
    frame.loc[frame.index[2], "partial"] = True
    assert resample_bars(frame, "1m", "5m")["partial"].tolist() == [True]


minute_sets = st.sets(st.integers(0, 60 * 30), min_size=1, max_size=200)


@settings(max_examples=60, deadline=None)
@given(minute_sets, st.integers(0, 10**6))
def test_resample_of_resample_equals_direct(minutes: set[int], seed: int) -> None:
    opens = sorted(minutes)
    rng = np.random.default_rng(seed)
    closes = rng.integers(50, 150, len(opens)).astype(float)
    frame = bars(opens, closes)
    frame["volume"] = rng.integers(0, 100, len(opens)).astype(float)
    frame["synthetic"] = rng.random(len(opens)) < 0.3
    via_five = resample_bars(resample_bars(frame, "1m", "5m"), "5m", "1h")
    direct = resample_bars(frame, "1m", "1h")
    pd.testing.assert_frame_equal(via_five, direct)
    via_quarter = resample_bars(resample_bars(frame, "1m", "15m"), "15m", "1d")
    pd.testing.assert_frame_equal(via_quarter, resample_bars(frame, "1m", "1d"))


def test_fill_gaps_flat_inserts_synthetic_bars_at_previous_close() -> None:
    frame = bars([0, 1, 4], [10.0, 11.0, 12.0])
    filled = fill_gaps(frame, "1m", policy="flat")
    assert rows(filled) == [
        ("2021-01-01T00:00:00+00:00", 10.0, 11.0, 9.0, 10.0, 1.0, False, False),
        ("2021-01-01T00:01:00+00:00", 10.0, 12.0, 9.0, 11.0, 1.0, False, False),
        ("2021-01-01T00:02:00+00:00", 11.0, 11.0, 11.0, 11.0, 0.0, True, False),
        ("2021-01-01T00:03:00+00:00", 11.0, 11.0, 11.0, 11.0, 0.0, True, False),
        ("2021-01-01T00:04:00+00:00", 11.0, 13.0, 10.0, 12.0, 1.0, False, False),
    ]
    assert validate_bars(filled, "1m").gap_count == 0
    assert filled.dtypes.astype(str).tolist() == ["float64"] * 5 + ["bool"] * 2


def test_fill_gaps_leave_changes_nothing_and_policy_is_explicit() -> None:
    frame = bars([0, 3])
    pd.testing.assert_frame_equal(fill_gaps(frame, "1m"), frame)
    with pytest.raises(DataError, match="unknown gap policy 'zero'"):
        fill_gaps(frame, "1m", policy="zero")  # type: ignore[arg-type]


def test_fill_gaps_then_resample_is_full_but_marked() -> None:
    filled = fill_gaps(bars([0, 4]), "1m", policy="flat")
    out = resample_bars(filled, "1m", "5m")
    assert out[["synthetic", "partial"]].iloc[0].tolist() == [False, False]


def test_bars_from_trades_exact_values() -> None:
    trades = pd.DataFrame({
        "ts": [T0 + 5, T0 + 1, T0 + MINUTE * 2 + 7, T0 + 30_000_000_000],
        "price": [10.0, 11.0, 9.0, 12.0],
        "size": [1.0, 2.0, 3.0, 4.0],
    })  # fmt: skip
    out = bars_from_trades(normalize_trades(trades), "1m")
    assert rows(out) == [
        ("2021-01-01T00:00:00+00:00", 11.0, 12.0, 10.0, 12.0, 7.0, False, False),
        ("2021-01-01T00:02:00+00:00", 9.0, 9.0, 9.0, 9.0, 3.0, False, False),
    ]
    assert validate_bars(out, "1m").missing_bars == 1


def test_bars_from_real_trades_match_freqtrade_candles(fixtures: Path) -> None:
    trades = normalize_trades(load_file(fixtures / "freqtrade" / "XRP_ETH-trades.json.gz").frame)
    built = bars_from_trades(trades, "1m")
    candles = normalize_bars(load_file(fixtures / "freqtrade" / "XRP_ETH-1m.feather").frame, "1m")
    assert len(built) == len(candles) == 2469
    pd.testing.assert_index_equal(built.index, candles.index)
    for column in ("open", "high", "low", "close"):
        assert (built[column] == candles[column]).all()
    np.testing.assert_allclose(built["volume"], candles["volume"], rtol=1e-9)
    report = validate_bars(built, "1m")
    assert (report.gap_count, report.missing_bars) == (676, 1091)


def test_real_one_minute_resampled_equals_the_five_minute_file(fixtures: Path) -> None:
    folder = fixtures / "freqtrade"
    one = normalize_bars(load_file(folder / "XRP_ETH-1m.feather").frame, "1m")
    five = normalize_bars(load_file(folder / "XRP_ETH-5m.feather").frame, "5m")
    out = resample_bars(one, "1m", "5m")
    pd.testing.assert_frame_equal(out.drop(columns="partial"), five.drop(columns="partial"))
    assert int(out["partial"].sum()) == 555  # thin market: most buckets lack a minute
