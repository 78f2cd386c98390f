from pathlib import Path

import numpy as np
import pytest
from datahelpers import write_text

from tradeforge.data import DataError, DataFileError, DataKind, load_file, validate_bars
from tradeforge.data.timestamps import iso, to_ns
from tradeforge.model.symbol import Symbol
from tradeforge.model.timeframe import Timeframe


def test_binance_kline_dump_without_header(fixtures: Path) -> None:
    loaded = load_file(fixtures / "nautilus_trader" / "ADABTC-1m-2021-11-27.csv")
    frame = loaded.frame
    assert loaded.info.kind is DataKind.BARS
    assert loaded.info.symbol == Symbol.parse("ADA/BTC")
    assert loaded.info.timeframe == Timeframe.parse("1m")
    assert loaded.info.venue is None
    assert len(frame) == 1440
    first = frame.iloc[0]
    assert int(first["ts"]) == 1_637_971_200_000 * 1_000_000
    assert (first["open"], first["high"], first["low"], first["close"], first["volume"]) == (
        0.00002853, 0.00002854, 0.00002851, 0.00002854, 36304.2,
    )  # fmt: skip
    assert frame["source_row"].tolist()[:3] == [1, 2, 3]
    report = validate_bars(frame, "1m")
    assert (report.ok, report.gap_count, report.zero_volume_bars) == (True, 0, 1)


def test_month_end_dated_bars_are_refused_unless_snapped(fixtures: Path) -> None:
    path = fixtures / "backtesting_py" / "BTCUSD.csv"
    loaded = load_file(path, timeframe="1M")
    assert loaded.info.symbol == Symbol.parse("BTC/USD")
    assert len(loaded.frame) == 156
    assert iso(int(loaded.frame["ts"].iloc[0])) == "2012-01-31T00:00:00+00:00"
    report = validate_bars(loaded.frame, "1M")
    assert report.misaligned.count == 156
    assert report.misaligned.examples[0].detail == (
        "2012-01-31T00:00:00+00:00 is not a 1M bar open time"
    )
    snapped = load_file(path, timeframe="1M", snap_to_timeframe=True).frame
    assert iso(int(snapped["ts"].iloc[0])) == "2012-01-01T00:00:00+00:00"
    assert iso(int(snapped["ts"].iloc[-1])) == "2024-12-01T00:00:00+00:00"
    snapped_report = validate_bars(snapped, "1M")
    assert (snapped_report.ok, snapped_report.gap_count, snapped_report.bars) == (True, 0, 156)


def test_kraken_trades_in_seconds_without_header(fixtures: Path) -> None:
    loaded = load_file(fixtures / "freqtrade" / "kraken" / "trades_csv" / "BCHEUR.csv")
    assert loaded.info.kind is DataKind.TRADES
    assert loaded.info.venue == "kraken"
    assert loaded.info.symbol == Symbol.parse("BCH/EUR")
    frame = loaded.frame
    assert len(frame) == 148
    assert frame.iloc[0][["ts", "price", "size"]].tolist() == [
        1_672_531_436_000_000_000, 90.54, 1.1044842,
    ]  # fmt: skip
    assert "side" not in frame.columns


def test_tardis_trades_in_microseconds(shared: Path) -> None:
    loaded = load_file(shared / "nautilus_trader" / "tardis" / "trades.csv")
    info = loaded.info
    assert (info.kind, info.venue, info.market) == (DataKind.TRADES, "binance", "futures")
    assert info.symbol == Symbol.parse("BTC/USDT:USDT")
    first = loaded.frame.iloc[0]
    assert len(loaded.frame) == 9999
    assert int(first["ts"]) == 1_582_329_602_111_000_000
    assert (first["trade_id"], first["price"], first["size"], first["side"]) == (
        "42377944", 9682.0, 0.132, "buy",
    )  # fmt: skip


def test_tardis_quotes(shared: Path) -> None:
    loaded = load_file(shared / "nautilus_trader" / "tardis" / "quotes.csv")
    assert loaded.info.kind is DataKind.QUOTES
    first = loaded.frame.iloc[0]
    assert int(first["ts"]) == 1_582_329_601_096_000_000
    assert first[["bid", "bid_size", "ask", "ask_size"]].tolist() == [9681.92, 0.67, 9682.0, 0.84]


def test_naive_iso_timestamps_are_utc(shared: Path) -> None:
    loaded = load_file(shared / "nautilus_trader" / "btc-perp-20211231-20220201_1m.csv")
    assert loaded.info.timeframe == Timeframe.parse("1m")
    assert loaded.info.symbol is None
    assert len(loaded.frame) == 45031
    assert int(loaded.frame["ts"].iloc[0]) == to_ns("2021-12-31T23:01:00Z")
    assert validate_bars(loaded.frame, "1m").gap_count == 0


@pytest.mark.parametrize(
    ("stamp", "unit"),
    [
        ("1609459200", "auto"),
        ("1609459200000", "auto"),
        ("1609459200000000", "auto"),
        ("1609459200000000000", "auto"),
        ("1609459200.0", "s"),
        ("2021-01-01T00:00:00", "auto"),
        ("2021-01-01T02:00:00+02:00", "auto"),
        ("2021-01-01 00:00:00Z", "iso"),
    ],
)
def test_timestamp_units_and_iso(tmp_path: Path, stamp: str, unit: str) -> None:
    path = write_text(tmp_path, "t.csv", f"time,price,amount\n{stamp},1.5,2\n")
    loaded = load_file(path, ts_unit=unit)  # type: ignore[arg-type]
    assert int(loaded.frame["ts"].iloc[0]) == 1_609_459_200_000_000_000


def test_fractional_seconds_keep_microseconds(tmp_path: Path) -> None:
    path = write_text(tmp_path, "t.csv", "1672531436.123456,90.5,1\n")
    assert int(load_file(path).frame["ts"].iloc[0]) == 1_672_531_436_123_456_000


def test_column_mapping_by_name_and_index_and_delimiter(tmp_path: Path) -> None:
    text = "when;px;qty;who\n1609459200000;10.5;3;S\n"
    path = write_text(tmp_path, "x.csv", text)
    loaded = load_file(path, kind="trades", columns={"ts": "when", "price": 1, "size": "qty",
                                                     "side": "who"})  # fmt: skip
    assert loaded.frame[["ts", "price", "size", "side"]].iloc[0].tolist() == [
        1_609_459_200_000_000_000, 10.5, 3.0, "sell",
    ]  # fmt: skip


def test_custom_time_format(tmp_path: Path) -> None:
    path = write_text(tmp_path, "f.csv", "Time,Open,High,Low,Close,Volume\n"
                      "01.01.2021 00:00:00.000,1,2,0.5,1.5,10\n")  # fmt: skip
    loaded = load_file(path, ts_format="%d.%m.%Y %H:%M:%S.%f")
    assert int(loaded.frame["ts"].iloc[0]) == 1_609_459_200_000_000_000


def test_bad_number_names_file_row_and_column(tmp_path: Path) -> None:
    text = "ts,open,high,low,close,volume\n1609459200,1,2,0.5,1.5,10\n1609459260,1,2,0.5,abc,1\n"
    path = write_text(tmp_path, "SOL_USDT-1m.csv", text)
    with pytest.raises(DataFileError) as error:
        load_file(path)
    assert str(error.value) == "SOL_USDT-1m.csv: row 2, column 'close': 'abc' is not a number"
    assert (error.value.path, error.value.row, error.value.column) == (path, 2, "close")


def test_unreadable_timestamp_names_row(tmp_path: Path) -> None:
    text = "date,price,size\n2021-01-01,1,1\n2021-01-02,1,1\n2021-13-45,1,1\n"
    path = write_text(tmp_path, "t.csv", text)
    with pytest.raises(DataFileError) as error:
        load_file(path)
    assert str(error.value) == (
        "t.csv: row 3, column 'date': cannot read timestamp '2021-13-45' "
        "(expected ISO-8601 or epoch numbers)"
    )


def test_numeric_timestamps_with_a_word_in_them(tmp_path: Path) -> None:
    path = write_text(tmp_path, "t.csv", "1609459200,1,1\nsoon,1,1\n")
    with pytest.raises(DataFileError, match=r"row 2, column '0': cannot read timestamp 'soon'"):
        load_file(path)


def test_missing_column_lists_what_the_file_has(tmp_path: Path) -> None:
    path = write_text(tmp_path, "b.csv", "ts,open,high,low,volume\n1609459200,1,2,0.5,1\n")
    with pytest.raises(DataFileError) as error:
        load_file(path, kind="bars")
    assert error.value.column == "close"
    assert str(error.value).startswith("b.csv: column 'close': missing column (looked for 'close'")
    assert "columns: 'ts', 'open', 'high', 'low', 'volume'" in str(error.value)


def test_empty_and_header_only_files(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"^e.csv: empty file$"):
        load_file(write_text(tmp_path, "e.csv", "\n\n"))
    with pytest.raises(DataFileError, match=r"^h.csv: no data rows$"):
        load_file(write_text(tmp_path, "h.csv", "ts,price,size\n"))


def test_missing_cells_load_as_nan_for_validation(tmp_path: Path) -> None:
    path = write_text(tmp_path, "n.csv", "ts,open,high,low,close,volume\n60,1,2,0.5,,1\n")
    frame = load_file(path, ts_unit="s").frame
    assert np.isnan(frame["close"].iloc[0])


def test_unknown_format_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataError) as error:
        load_file(tmp_path / "BTC_USDT-5m.h5")
    assert str(error.value) == (
        "BTC_USDT-5m.h5: unknown file format .h5; supported: .csv, .csv.gz, .feather, .json, "
        ".json.gz, .parquet"
    )
    with pytest.raises(DataError, match="no such file"):
        load_file(tmp_path / "absent.csv")


def test_cannot_tell_kind(tmp_path: Path) -> None:
    path = write_text(tmp_path, "x.csv", "ts,foo,bar\n1,2,3\n")
    with pytest.raises(DataError, match="x.csv: cannot tell bars, trades or quotes apart"):
        load_file(path)


def test_bad_side(tmp_path: Path) -> None:
    path = write_text(tmp_path, "x.csv", "ts,price,size,side\n1609459200,1,1,long\n")
    message = r"row 1, column 'side': side 'long' is not buy or sell"
    with pytest.raises(DataFileError, match=message):
        load_file(path)
