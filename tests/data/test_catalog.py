import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from datahelpers import MINUTE, T0, bars, raw_bars, write_text
from hypothesis import given, settings
from hypothesis import strategies as st

from tradeforge.data import DataError, DataFileError, ParquetCatalog, load_file
from tradeforge.data.schema import DataKind
from tradeforge.data.timestamps import to_ns
from tradeforge.model.symbol import Symbol
from tradeforge.model.timeframe import Timeframe

FIVE = 5 * MINUTE
NEW_YEAR = to_ns("2021-01-01")


def five_minute_bars(start: int, count: int) -> pd.DataFrame:
    frame = bars(list(range(count)), [100.0 + i for i in range(count)], start=start)
    frame.index = pd.DatetimeIndex(
        (start + np.arange(count, dtype=np.int64) * FIVE).view("datetime64[ns]"), name="ts"
    ).tz_localize("UTC")
    return frame


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


@pytest.fixture
def catalog(tmp_path: Path) -> ParquetCatalog:
    return ParquetCatalog(tmp_path / "catalog")


def test_write_then_read_across_years(catalog: ParquetCatalog) -> None:
    frame = five_minute_bars(NEW_YEAR - 3 * FIVE, 6)
    report = catalog.write_bars("binance", "BTC/USDT", "5m", frame)
    assert (report.rows_in, report.rows_added, report.rows_replaced) == (6, 6, 0)
    assert report.partitions_written == (
        "bars/venue=binance/symbol=BTC-USDT/timeframe=5m/year=2020.parquet",
        "bars/venue=binance/symbol=BTC-USDT/timeframe=5m/year=2021.parquet",
    )
    read = catalog.read_bars("binance", Symbol.parse("BTC/USDT"), Timeframe.parse("5m"))
    pd.testing.assert_frame_equal(read, frame)
    assert str(read.index.dtype) == "datetime64[ns, UTC]"


@settings(max_examples=25, deadline=None)
@given(st.sets(st.integers(0, 2 * 105_120), min_size=1, max_size=300), st.integers(0, 2**32))
def test_write_then_read_is_identity(steps: set[int], seed: int) -> None:
    rng = np.random.default_rng(seed)
    ts = to_ns("2020-06-01") + np.asarray(sorted(steps), dtype=np.int64) * FIVE
    close = rng.uniform(1, 1000, len(ts))
    frame = pd.DataFrame(
        {"open": close, "high": close * 1.01, "low": close * 0.99, "close": close,
         "volume": rng.uniform(0, 10, len(ts)), "synthetic": rng.random(len(ts)) < 0.5,
         "partial": rng.random(len(ts)) < 0.5},
        index=pd.DatetimeIndex(ts.view("datetime64[ns]"), name="ts").tz_localize("UTC"),
    )  # fmt: skip
    with tempfile.TemporaryDirectory() as folder:
        catalog = ParquetCatalog(folder)
        catalog.write_bars("binance", "ETH/USDT", "5m", frame)
        pd.testing.assert_frame_equal(catalog.read_bars("binance", "ETH/USDT", "5m"), frame)


def test_overlapping_append_replaces_and_counts(catalog: ParquetCatalog) -> None:
    full = five_minute_bars(T0, 13)
    catalog.write_bars("binance", "BTC/USDT", "5m", full.iloc[:10])
    update = full.iloc[8:].copy()
    update.iloc[1, update.columns.get_loc("close")] = 109.5  # re-downloaded last candle
    report = catalog.write_bars("binance", "BTC/USDT", "5m", update)
    assert (report.rows_added, report.rows_replaced, report.rows_unchanged) == (3, 1, 1)
    read = catalog.read_bars("binance", "BTC/USDT", "5m")
    assert len(read) == 13
    assert read["close"].iloc[9] == 109.5
    again = catalog.write_bars("binance", "BTC/USDT", "5m", update)
    assert (again.rows_added, again.rows_replaced, again.rows_unchanged) == (0, 0, 5)
    assert again.partitions_written == ()


def test_unsorted_input_with_exact_duplicates(catalog: ParquetCatalog) -> None:
    raw = raw_bars([
        (T0 + FIVE, 1, 2, 0.5, 1.5, 1),
        (T0, 1, 2, 0.5, 1.5, 1),
        (T0 + FIVE, 1, 2, 0.5, 1.5, 1),
    ])  # fmt: skip
    report = catalog.write_bars("binance", "BTC/USDT", "5m", raw)
    assert (report.rows_in, report.rows_added) == (3, 2)
    assert (report.exact_duplicates_dropped, report.out_of_order_rows) == (1, 1)
    assert catalog.read_bars("binance", "BTC/USDT", "5m").index.asi8.tolist() == [T0, T0 + FIVE]


def conflicting() -> pd.DataFrame:
    return raw_bars([
        (T0, 1, 2, 0.5, 1.5, 1),
        (T0 + FIVE, 1, 2, 0.5, 1.5, 1),
        (T0 + FIVE, 1, 2, 0.5, 1.7, 1),
    ])  # fmt: skip


def test_conflicting_duplicates_raise_unless_told(catalog: ParquetCatalog) -> None:
    with pytest.raises(DataFileError) as error:
        catalog.write_bars("binance", "BTC/USDT", "5m", conflicting())
    assert str(error.value) == (
        "bars binance BTC/USDT 5m: row 3, column 'close': duplicate ts 2021-01-01T00:05:00+00:00 "
        "with different values: close 1.7 here, 1.5 in row 2"
    )
    assert not catalog.root.exists()
    first = catalog.write_bars("binance", "BTC/USDT", "5m", conflicting(), on_conflict="first")
    assert first.conflicts_resolved == 1
    assert catalog.read_bars("binance", "BTC/USDT", "5m")["close"].tolist() == [1.5, 1.5]
    catalog.write_bars("binance", "BTC/USDT", "5m", conflicting(), on_conflict="last")
    assert catalog.read_bars("binance", "BTC/USDT", "5m")["close"].tolist() == [1.5, 1.7]


def test_bad_frame_leaves_stored_files_byte_identical(catalog: ParquetCatalog) -> None:
    catalog.write_bars("binance", "BTC/USDT", "5m", five_minute_bars(NEW_YEAR - 2 * FIVE, 4))
    before = snapshot(catalog.root)
    bad = five_minute_bars(NEW_YEAR - FIVE, 200)  # touches 2020 and 2021
    bad.iloc[150, bad.columns.get_loc("close")] = np.nan
    with pytest.raises(DataFileError) as error:
        catalog.write_bars("binance", "BTC/USDT", "5m", bad)
    assert (error.value.row, error.value.column) == (151, "close")
    assert str(error.value).endswith("row 151, column 'close': missing value (NaN)")
    assert snapshot(catalog.root) == before


def test_misaligned_bars_are_refused_naming_the_ts(catalog: ParquetCatalog) -> None:
    frame = bars([0, 1])
    with pytest.raises(DataFileError) as error:
        catalog.write_bars("binance", "BTC/USDT", "5m", frame)
    assert str(error.value) == (
        "bars binance BTC/USDT 5m: row 2, column 'ts': 2021-01-01T00:01:00+00:00 is not a 5m "
        "bar open time"
    )


def test_invalid_venue_and_kind_arguments(catalog: ParquetCatalog) -> None:
    with pytest.raises(DataError, match="invalid venue 'Binance'"):
        catalog.write_bars("Binance", "BTC/USDT", "5m", five_minute_bars(T0, 1))
    with pytest.raises(DataError, match="unknown data kind 'candles'"):
        catalog.delete("candles", "binance", "BTC/USDT")


def test_range_reads_at_partition_boundaries(catalog: ParquetCatalog) -> None:
    catalog.write_bars("binance", "BTC/USDT", "5m", five_minute_bars(NEW_YEAR - 2 * FIVE, 4))
    read = catalog.read_bars
    assert read("binance", "BTC/USDT", "5m", start="2021-01-01").index.asi8.tolist() == [
        NEW_YEAR, NEW_YEAR + FIVE,
    ]  # fmt: skip
    assert read("binance", "BTC/USDT", "5m", end=NEW_YEAR).index.asi8.tolist() == [
        NEW_YEAR - 2 * FIVE, NEW_YEAR - FIVE,
    ]  # fmt: skip
    start = datetime(2020, 12, 31, 23, 55, tzinfo=UTC)
    end = pd.Timestamp(NEW_YEAR + FIVE, tz="UTC")
    window = read("binance", "BTC/USDT", "5m", start=start, end=end)
    assert window.index.asi8.tolist() == [NEW_YEAR - FIVE, NEW_YEAR]
    assert read("binance", "BTC/USDT", "5m", start="2022-01-01").empty


def test_range_read_opens_only_overlapping_partitions(catalog: ParquetCatalog) -> None:
    catalog.write_bars("binance", "BTC/USDT", "5m", five_minute_bars(NEW_YEAR - 2 * FIVE, 4))
    year_2020 = next(catalog.root.rglob("year=2020.parquet"))
    year_2020.write_bytes(b"corrupt")  # would fail if it were opened
    read = catalog.read_bars("binance", "BTC/USDT", "5m", start="2021-01-01", end="2021-02-01")
    assert len(read) == 2


def test_empty_series_reads_as_empty_canonical_frame(catalog: ParquetCatalog) -> None:
    empty = catalog.read_bars("binance", "BTC/USDT", "5m")
    assert empty.empty
    assert list(empty.columns) == ["open", "high", "low", "close", "volume", "synthetic", "partial"]
    assert str(empty.index.dtype) == "datetime64[ns, UTC]"


def test_list_reads_metadata(catalog: ParquetCatalog, fixtures: Path) -> None:
    catalog.write_bars("binance", "BTC/USDT:USDT", "5m", five_minute_bars(NEW_YEAR - 2 * FIVE, 4))
    catalog.import_file(fixtures / "nautilus_trader" / "binance" / "btcusdt-trades.parquet")
    infos = catalog.list()
    assert [(i.kind, i.venue, str(i.symbol), i.timeframe and str(i.timeframe)) for i in infos] == [
        (DataKind.BARS, "binance", "BTC/USDT:USDT", "5m"),
        (DataKind.TRADES, "binance", "BTC/USDT", None),
    ]
    bar_info = infos[0]
    assert (bar_info.rows, bar_info.partitions) == (4, 2)
    assert bar_info.first == pd.Timestamp("2020-12-31 23:50", tz="UTC")
    assert bar_info.last == pd.Timestamp("2021-01-01 00:05", tz="UTC")
    files = list((catalog.root / "bars").rglob("*.parquet"))
    assert bar_info.bytes == sum(p.stat().st_size for p in files)
    assert infos[1].to_dict() | {"bytes": 0} == {
        "kind": "trades", "venue": "binance", "symbol": "BTC/USDT", "timeframe": None,
        "rows": 2001, "first": "2021-01-08T00:00:00.278000+00:00",
        "last": "2021-01-08T00:00:46.355000+00:00", "bytes": 0, "partitions": 1,
    }  # fmt: skip


def test_delete(catalog: ParquetCatalog) -> None:
    catalog.write_bars("binance", "BTC/USDT", "5m", five_minute_bars(NEW_YEAR - 2 * FIVE, 4))
    catalog.write_bars("binance", "BTC/USDT", "1h", five_minute_bars(T0, 1))
    assert catalog.delete("bars", "binance", "BTC/USDT", "5m") == 2
    assert [str(i.timeframe) for i in catalog.list()] == ["1h"]
    assert catalog.delete("bars", "binance", "BTC/USDT", "1h") == 1
    assert catalog.list() == []
    assert list((catalog.root / "bars").iterdir()) == []
    assert catalog.delete("bars", "binance", "BTC/USDT", "1h") == 0


def test_minute_and_month_folders_do_not_collide(catalog: ParquetCatalog) -> None:
    catalog.write_bars("binance", "BTC/USDT", "1m", bars([0]))
    catalog.write_bars("binance", "BTC/USDT", "1M", bars([0]))
    folders = sorted(
        p.name for p in (catalog.root / "bars/venue=binance/symbol=BTC-USDT").iterdir()
    )
    assert folders == ["timeframe=1m", "timeframe=1month"]
    assert {str(i.timeframe) for i in catalog.list()} == {"1m", "1M"}


def test_progress_callback(catalog: ParquetCatalog) -> None:
    calls: list[tuple[int, int]] = []
    frame = five_minute_bars(NEW_YEAR - 2 * FIVE, 4)
    catalog.write_bars(
        "binance", "BTC/USDT", "5m", frame, on_progress=lambda d, t: calls.append((d, t))
    )
    assert calls == [(1, 2), (2, 2)]


def test_import_real_file(catalog: ParquetCatalog, shared: Path) -> None:
    path = shared / "shin-ltp_freqtrade" / "binance" / "SOL_USDT-5m.feather"
    result = catalog.import_file(path)
    assert (result.file.venue, str(result.file.symbol)) == ("binance", "SOL/USDT")
    assert (result.validation.gap_count, result.validation.missing_bars) == (1, 43)
    assert result.write.rows_added == 163_680
    assert len(result.write.partitions_written) == 3
    again = catalog.import_file(path)
    assert (again.write.rows_unchanged, again.write.partitions_written) == (163_680, ())
    [info] = catalog.list()
    assert (info.rows, info.first) == (163_680, pd.Timestamp("2023-07-01", tz="UTC"))


def test_import_needs_a_venue_and_timeframe(catalog: ParquetCatalog, fixtures: Path) -> None:
    with pytest.raises(DataError, match=r"XRP_ETH-5m.feather: cannot infer the venue; pass venue="):
        catalog.import_file(fixtures / "freqtrade" / "XRP_ETH-5m.feather")
    btcusd = fixtures / "backtesting_py" / "BTCUSD.csv"
    with pytest.raises(DataError, match="cannot infer the timeframe; pass timeframe="):
        catalog.import_file(btcusd, venue="bitstamp")
    with pytest.raises(DataFileError, match=r"BTCUSD.csv: row 1, column 'ts': 2012-01-31"):
        catalog.import_file(btcusd, venue="bitstamp", timeframe="1M")
    result = catalog.import_file(btcusd, venue="bitstamp", timeframe="1M", snap_to_timeframe=True)
    assert result.write.rows_added == 156
    assert len(result.write.partitions_written) == 13


def test_import_bad_rows_name_the_file(catalog: ParquetCatalog, tmp_path: Path) -> None:
    text = ("ts,open,high,low,close,volume\n"
            "1609459200000,1,2,0.5,1.5,1\n1609459500000,1,2,0.5,-1.5,1\n")  # fmt: skip
    path = write_text(tmp_path / "binance", "ETH_USDT-5m.csv", text)
    with pytest.raises(DataFileError) as error:
        catalog.import_file(path)
    assert str(error.value) == "ETH_USDT-5m.csv: row 2, column 'close': price -1.5 is not positive"
    assert error.value.path == path
    assert not catalog.root.exists()


def test_trades_with_ids_replace_by_id(catalog: ParquetCatalog, fixtures: Path) -> None:
    path = fixtures / "nautilus_trader" / "binance" / "btcusdt-trades.parquet"
    first = catalog.import_file(path)
    assert first.write.rows_added == 2001
    frame = load_file(path).frame.iloc[:3].copy()
    frame.loc[0, "price"] = 39000.0
    report = catalog.write_trades("binance", "BTC/USDT", frame)
    assert (report.rows_added, report.rows_replaced, report.rows_unchanged) == (0, 1, 2)
    read = catalog.read_trades("binance", "BTC/USDT", end=1_610_064_000_279_000_000)
    assert read[["trade_id", "price", "side"]].iloc[0].tolist() == ["553287559", 39000.0, "sell"]
    assert len(catalog.read_trades("binance", "BTC/USDT")) == 2001


def test_trades_without_ids_keep_identical_ticks(catalog: ParquetCatalog, fixtures: Path) -> None:
    path = fixtures / "freqtrade" / "kraken" / "trades_csv" / "BCHEUR.csv"
    result = catalog.import_file(path)
    # the file holds two identical trades at 1672533909 (90.0 x 0.05): both are kept
    assert (result.write.rows_added, result.write.exact_duplicates_dropped) == (148, 0)
    again = catalog.import_file(path)
    assert (again.write.rows_unchanged, again.write.partitions_written) == (148, ())
    stored = catalog.read_trades("kraken", "BCH/EUR")
    assert len(stored) == 148
    assert stored["side"].tolist() == [""] * 148


def test_quotes_replace_the_window_they_cover(catalog: ParquetCatalog, fixtures: Path) -> None:
    path = fixtures / "nautilus_trader" / "binance" / "btcusdt-quotes.parquet"
    frame = load_file(path).frame
    catalog.write_quotes("binance", "BTC/USDT", frame)
    window = frame.iloc[100:200].copy()
    window["bid_size"] = 1.0
    report = catalog.write_quotes("binance", "BTC/USDT", window)
    assert (report.rows_replaced, report.rows_added) == (100, 0)
    stored = catalog.read_quotes("binance", "BTC/USDT")
    assert len(stored) == 451
    assert stored["bid_size"].iloc[100:200].tolist() == [1.0] * 100


def test_reading_100k_bars_is_fast(catalog: ParquetCatalog) -> None:
    frame = five_minute_bars(to_ns("2023-01-01"), 100_000)
    catalog.write_bars("binance", "BTC/USDT", "5m", frame)
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        read = catalog.read_bars("binance", "BTC/USDT", "5m")
        timings.append(time.perf_counter() - started)
    assert len(read) == 100_000
    assert min(timings) < 0.1
