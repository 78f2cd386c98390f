"""The PostgreSQL candle store loads and reads real candles; 1h from 5m equals resample."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import text

from tradeforge.data import ParquetCatalog
from tradeforge.data.resample import resample_bars
from tradeforge.model.symbol import Symbol
from tradeforge.persistence.candles import CandleStore
from tradeforge.persistence.errors import StoreError
from tradeforge.persistence.store import Store
from tradeforge.samples import SAMPLE_CATALOG

pytestmark = pytest.mark.postgres
BTC = Symbol("BTC", "USDT")


@pytest.fixture(scope="module")
def bars() -> pd.DataFrame:
    """Real Binance BTC/USDT 5m candles, January to May 2021 (43,369 bars)."""
    return ParquetCatalog(SAMPLE_CATALOG).read_bars("binance", BTC, "5m")


@pytest.fixture
def candles(make_store: Callable[[str], Store], bars: pd.DataFrame) -> CandleStore:
    store = CandleStore(make_store("postgres"))
    report = store.load("binance", BTC, "5m", bars)
    assert report.rows == 43_369
    return store


def test_real_candles_come_back_identical(candles: CandleStore, bars: pd.DataFrame) -> None:
    assert candles.ensure_schema() == (
        "timescaledb" if candles.timescaledb_available() else "partitioned"
    )
    pd.testing.assert_frame_equal(candles.read("binance", BTC, "5m"), bars)
    window = candles.read("binance", BTC, "5m", start="2021-03-01", end="2021-03-02")
    assert len(window) == 288
    assert window.index[0] == pd.Timestamp("2021-03-01", tz="UTC")
    assert window.index[-1] == pd.Timestamp("2021-03-01 23:55", tz="UTC")
    pd.testing.assert_frame_equal(window, bars.loc["2021-03-01":"2021-03-01 23:55"])
    assert candles.read("binance", BTC, "1h").empty


def test_monthly_partitions_are_created_on_demand(candles: CandleStore) -> None:
    if candles.ensure_schema() != "partitioned":
        pytest.fail("this server has TimescaleDB: the partition test does not apply")
    with candles.store.engine.connect() as connection:
        names = connection.execute(
            text("SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                 "WHERE i.inhparent = to_regclass('candles') ORDER BY 1")
        ).scalars().all()  # fmt: skip
    assert names == [f"candles_p2021_0{m}" for m in range(1, 6)]


def test_reloading_replaces_rows(candles: CandleStore, bars: pd.DataFrame) -> None:
    changed = bars.iloc[:3].copy()
    changed["close"] = [1.5, 2.5, 3.5]
    assert candles.load("binance", BTC, "5m", changed).rows == 3
    back = candles.read("binance", BTC, "5m", end="2021-01-01 00:15")
    assert back["close"].tolist() == [1.5, 2.5, 3.5]
    assert len(candles.read("binance", BTC, "5m")) == 43_369


def test_1h_from_5m_matches_resample(candles: CandleStore, bars: pd.DataFrame) -> None:
    aggregated = candles.aggregate("binance", BTC, "5m", "1h")
    expected = resample_bars(bars, "5m", "1h")
    assert len(aggregated) == len(expected) == 3_617
    assert aggregated.index.equals(expected.index)
    for column in ("open", "high", "low", "close", "synthetic", "partial"):
        np.testing.assert_array_equal(aggregated[column], expected[column], err_msg=column)
    assert int(aggregated["partial"].sum()) == int(expected["partial"].sum())
    # volume: the exact decimal sum of the 5m volumes, rounded once; numpy's pairwise float sum
    # may differ from it in the last bit
    buckets = bars["volume"].groupby(bars.index.floor("1h"))
    exact = buckets.agg(lambda s: float(sum(Decimal(repr(v)) for v in s)))
    np.testing.assert_array_equal(aggregated["volume"].to_numpy(), exact.to_numpy())
    np.testing.assert_array_max_ulp(aggregated["volume"].to_numpy(),
                                    expected["volume"].to_numpy(), maxulp=4)  # fmt: skip


def test_a_bad_aggregation_is_refused(candles: CandleStore) -> None:
    with pytest.raises(StoreError, match="cannot aggregate 5m candles to 3d"):
        candles.aggregate("binance", BTC, "5m", "3d")


def test_sqlite_has_no_candle_store(make_store: Callable[[str], Store]) -> None:
    with pytest.raises(StoreError, match="the candle store needs PostgreSQL"):
        CandleStore(make_store("sqlite"))
