import gzip
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from datahelpers import write_text

from tradeforge.data import DataError, DataFileError, DataKind, load_file, validate_bars
from tradeforge.data.importers import hints_from_path
from tradeforge.data.timestamps import to_ns
from tradeforge.model.symbol import Symbol
from tradeforge.model.timeframe import Timeframe


@pytest.mark.parametrize(
    ("name", "symbol", "timeframe", "kind", "market"),
    [
        ("SOL_USDT-5m.feather", "SOL/USDT", "5m", DataKind.BARS, "spot"),
        ("BTC_USDT_USDT-5m-futures.feather", "BTC/USDT:USDT", "5m", DataKind.BARS, "futures"),
        ("XRP_ETH-trades.feather", "XRP/ETH", None, DataKind.TRADES, "spot"),
        ("XRP_ETH-trades.json.gz", "XRP/ETH", None, DataKind.TRADES, "spot"),
        ("BTC_USDT-1M.json", "BTC/USDT", "1M", DataKind.BARS, "spot"),
        ("ADABTC-1m-2021-11-27.csv", "ADA/BTC", "1m", None, None),
        ("btcusdt-trades.parquet", "BTC/USDT", None, DataKind.TRADES, None),
        ("trades.csv", None, None, DataKind.TRADES, None),
        ("btc-perp-20211231-20220201_1m.csv", None, "1m", None, None),
    ],
)
def test_names_say_symbol_timeframe_kind_and_market(
    name: str, symbol: str | None, timeframe: str | None, kind: DataKind | None, market: str | None
) -> None:
    hints = hints_from_path(Path("/nowhere") / name)
    assert hints.symbol == (Symbol.parse(symbol) if symbol else None)
    assert hints.timeframe == (Timeframe.parse(timeframe) if timeframe else None)
    assert (hints.kind, hints.market) == (kind, market)


def test_venue_from_exchange_folder_skipping_futures() -> None:
    path = Path("/data/binance/futures/BTC_USDT_USDT-5m-futures.feather")
    assert hints_from_path(path).venue == "binance"
    assert hints_from_path(Path("/data/freqtrade/futures/X_USDT-5m.feather")).venue is None


@pytest.mark.parametrize(
    ("name", "what"),
    [
        ("XRP_USDT_USDT-8h-mark.feather", "mark-price candles"),
        ("XRP_USDT_USDT-8h-funding_rate.feather", "funding-rate history"),
    ],
)
def test_mark_and_funding_files_are_not_supported_yet(fixtures: Path, name: str, what: str) -> None:
    with pytest.raises(DataError) as error:
        load_file(fixtures / "freqtrade" / "futures" / name)
    assert str(error.value) == f"{name}: {what} cannot be imported yet"


def test_futures_feather(fixtures: Path) -> None:
    loaded = load_file(fixtures / "freqtrade" / "futures" / "XRP_USDT_USDT-5m-futures.feather")
    info = loaded.info
    assert (info.format, info.kind, info.market) == ("feather", DataKind.BARS, "futures")
    assert info.symbol == Symbol.parse("XRP/USDT:USDT")
    assert len(loaded.frame) == 1999
    report = validate_bars(loaded.frame, "5m")
    assert (report.ok, report.gap_count, report.first) == (True, 0, to_ns("2021-11-15"))


def test_feather_candles_and_their_gaps(fixtures: Path) -> None:
    report = validate_bars(load_file(fixtures / "freqtrade" / "XRP_ETH-1m.feather").frame, "1m")
    assert (report.rows, report.gap_count, report.missing_bars) == (2469, 676, 1091)
    five = validate_bars(load_file(fixtures / "freqtrade" / "XRP_ETH-5m.feather").frame, "5m")
    assert (five.rows, five.gap_count, five.missing_bars) == (706, 6, 6)
    assert five.gaps[0].to_dict() == {
        "start": "2019-10-11T23:55:00+00:00",
        "end": "2019-10-12T00:00:00+00:00",
        "missing_bars": 1,
    }


def test_trades_json_gz_equals_feather(fixtures: Path, shared: Path) -> None:
    from_json = load_file(fixtures / "freqtrade" / "XRP_ETH-trades.json.gz").frame
    from_feather = load_file(shared / "freqtrade" / "XRP_ETH-trades.feather").frame
    assert len(from_json) == 12477
    pd.testing.assert_frame_equal(from_json, from_feather)
    first = from_json.iloc[0]
    assert (int(first["ts"]), first["trade_id"], first["side"], first["size"]) == (
        1_570_752_011_620_000_000, "13519807", "sell", 23.0,
    )  # fmt: skip


def test_columns_orient_json(shared: Path) -> None:
    loaded = load_file(shared / "freqtrade" / "orderflow" / "candles.json", timeframe="5m")
    assert loaded.info.kind is DataKind.BARS
    assert len(loaded.frame) == 10999
    first = loaded.frame.iloc[0]
    assert int(first["ts"]) == 1_672_677_900_000_000_000
    assert first[["open", "high", "low", "close", "volume"]].tolist() == [
        16727.3, 16728.8, 16726.0, 16726.1, 691.508,
    ]  # fmt: skip
    assert validate_bars(loaded.frame, "5m").gap_count == 0


def test_json_list_rows_are_checked(tmp_path: Path) -> None:
    rows = [[1_609_459_200_000, 1, 2, 0.5, 1.5, 10], [1_609_459_260_000, 1, 2, 0.5, 1.5]]
    path = write_text(tmp_path, "ETH_USDT-1m.json", json.dumps(rows))
    with pytest.raises(DataFileError) as error:
        load_file(path)
    assert str(error.value) == (
        "ETH_USDT-1m.json: row 2: expected a list of 6 values, got [1609459260000, 1, 2, 0.5, 1.5]"
    )


def test_json_bad_cell_and_broken_file(tmp_path: Path) -> None:
    rows = [[1_609_459_200_000, 1, 2, 0.5, "x", 10]]
    path = write_text(tmp_path, "ETH_USDT-1m.json", json.dumps(rows))
    with pytest.raises(DataFileError, match=r"row 1, column 'close': 'x' is not a number"):
        load_file(path)
    broken = write_text(tmp_path, "ETH_USDT-5m.json", "[[1, 2")
    with pytest.raises(DataFileError, match=r"^ETH_USDT-5m.json: invalid JSON at line 1"):
        load_file(broken)
    empty = write_text(tmp_path, "ETH_USDT-15m.json", "[]")
    with pytest.raises(DataError, match="empty file"):
        load_file(empty)


def test_gzip_json_candles(tmp_path: Path) -> None:
    rows = [[1_609_459_200_000, 1, 2, 0.5, 1.5, 10]]
    path = tmp_path / "binance" / "ETH_USDT-1m.json.gz"
    path.parent.mkdir()
    with gzip.open(path, "wt") as handle:
        json.dump(rows, handle)
    loaded = load_file(path)
    assert (loaded.info.venue, loaded.info.format, len(loaded.frame)) == ("binance", "json", 1)


def test_venue_from_parent_folder(fixtures: Path, tmp_path: Path) -> None:
    target = tmp_path / "kraken" / "futures" / "XRP_ETH-5m.feather"
    target.parent.mkdir(parents=True)
    shutil.copy(fixtures / "freqtrade" / "XRP_ETH-5m.feather", target)
    assert load_file(target).info.venue == "kraken"
    assert load_file(target, venue="binance").info.venue == "binance"
