from pathlib import Path

import pandas as pd
import pytest

from tradeforge.data import DataError, DataKind, ParquetCatalog, load_file
from tradeforge.data.importers import file_format
from tradeforge.model.symbol import Symbol
from tradeforge.model.timeframe import Timeframe


def test_binance_trades_parquet_buyer_maker_becomes_side(fixtures: Path) -> None:
    loaded = load_file(fixtures / "nautilus_trader" / "binance" / "btcusdt-trades.parquet")
    info = loaded.info
    assert (info.kind, info.venue, info.symbol) == (
        DataKind.TRADES, "binance", Symbol.parse("BTC/USDT"),
    )  # fmt: skip
    frame = loaded.frame
    assert len(frame) == 2001
    first = frame.iloc[0]
    # buyer_maker True: the buyer rested, the seller hit the bid
    assert (int(first["ts"]), first["trade_id"], first["price"], first["size"], first["side"]) == (
        1_610_064_000_278_000_000, "553287559", 39432.48, 0.000263, "sell",
    )  # fmt: skip
    assert frame["side"].value_counts().to_dict() == {"buy": 1087, "sell": 914}


def test_binance_quotes_parquet(fixtures: Path) -> None:
    loaded = load_file(fixtures / "nautilus_trader" / "binance" / "btcusdt-quotes.parquet")
    assert loaded.info.kind is DataKind.QUOTES
    assert len(loaded.frame) == 451
    assert loaded.frame.iloc[0][["bid", "bid_size", "ask", "ask_size"]].tolist() == [
        39432.99, 0.0031, 39433.62, 0.066851,
    ]  # fmt: skip


def test_explicit_mapping_for_generic_parquet(tmp_path: Path) -> None:
    frame = pd.DataFrame({"T": [1_609_459_200_000], "p": [10.0], "q": [2.0], "m": [False]})
    path = tmp_path / "x.parquet"
    frame.to_parquet(path)
    loaded = load_file(
        path, kind="trades", columns={"ts": "T", "price": "p", "size": "q", "buyer_maker": "m"}
    )
    assert loaded.frame[["ts", "price", "size", "side"]].iloc[0].tolist() == [
        1_609_459_200_000_000_000, 10.0, 2.0, "buy",
    ]  # fmt: skip


def test_catalog_partitions_reimport_with_their_hive_names(fixtures: Path, tmp_path: Path) -> None:
    catalog = ParquetCatalog(tmp_path / "catalog")
    catalog.import_file(fixtures / "freqtrade" / "XRP_ETH-5m.feather", venue="binance")
    [partition] = (tmp_path / "catalog").rglob("*.parquet")
    loaded = load_file(partition)
    info = loaded.info
    assert (info.kind, info.venue, info.symbol, info.timeframe) == (
        DataKind.BARS, "binance", Symbol.parse("XRP/ETH"), Timeframe.parse("5m"),
    )  # fmt: skip
    assert len(loaded.frame) == 706
    other = ParquetCatalog(tmp_path / "other")
    other.import_file(partition)
    pd.testing.assert_frame_equal(
        other.read_bars("binance", "XRP/ETH", "5m"), catalog.read_bars("binance", "XRP/ETH", "5m")
    )


def test_canonical_frame_written_by_pandas_reimports(tmp_path: Path) -> None:
    index = pd.DatetimeIndex(["2021-01-01"], name="ts").tz_localize("UTC")
    frame = pd.DataFrame({"bid": [1.0], "bid_size": [2.0], "ask": [1.5], "ask_size": [3.0]}, index)
    path = tmp_path / "eurusd-quotes.parquet"
    frame.to_parquet(path)
    loaded = load_file(path)
    assert loaded.info.kind is DataKind.QUOTES
    assert loaded.frame["ts"].tolist() == [1_609_459_200_000_000_000]


def test_unreadable_parquet(tmp_path: Path) -> None:
    path = tmp_path / "junk.parquet"
    path.write_bytes(b"not parquet")
    with pytest.raises(DataError, match=r"^junk.parquet: not a readable Parquet file"):
        load_file(path, kind="bars")


@pytest.mark.parametrize(
    ("name", "fmt"),
    [("a.CSV", "csv"), ("a.csv.gz", "csv"), ("a.json.gz", "json"), ("a.feather", "feather")],
)
def test_file_format(name: str, fmt: str) -> None:
    assert file_format(Path(name)) == fmt
