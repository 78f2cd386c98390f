"""PostgreSQL candle store: bulk load speed and time-range query latency.

Loads 1,000,000 synthetic 1-minute candles (a seeded random walk, about 1.9 years) through
``CandleStore.load`` (binary COPY into a staging table, upsert into the monthly partitions or
the TimescaleDB hypertable) and prints candles per second; then reads a 100,000-row time range
(``CandleStore.read``: binary COPY out, unpacked by numpy into a DataFrame) several times and
prints the median in milliseconds. Targets: 100,000 candles/s loaded, a 100,000-row query
under 100 ms.

Everything goes to a fresh schema that is dropped at the end.
Run: ``python bench/candle_store.py [postgresql://postgres@127.0.0.1:5432/test] [rows]``.
"""

from __future__ import annotations

import statistics
import sys
import time
import uuid

import numpy as np
import pandas as pd
from sqlalchemy import text

from tradeforge.data.schema import utc_index
from tradeforge.model.symbol import Symbol
from tradeforge.persistence.candles import CandleStore
from tradeforge.persistence.store import Store

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/test"
LOAD_TARGET = 100_000  # candles per second
QUERY_TARGET_MS = 100.0
QUERY_ROWS = 100_000
QUERY_REPEATS = 7
MINUTE_NS = 60_000_000_000


def synthetic_minutes(rows: int, seed: int = 7) -> pd.DataFrame:
    """Canonical 1-minute bars of a seeded random walk from 2022-01-01."""
    rng = np.random.default_rng(seed)
    close = 30_000.0 * np.exp(np.cumsum(rng.normal(0.0, 0.0008, rows)))
    open_ = np.r_[30_000.0, close[:-1]]
    spread = np.abs(rng.normal(0.0, 0.0005, rows)) * close
    start = pd.Timestamp("2022-01-01", tz="UTC").value
    frame = pd.DataFrame(
        {
            "open": open_,
            "high": np.maximum(open_, close) + spread,
            "low": np.minimum(open_, close) - spread,
            "close": close,
            "volume": np.round(rng.gamma(2.0, 5.0, rows), 5),
            "synthetic": np.zeros(rows, dtype=bool),
            "partial": np.zeros(rows, dtype=bool),
        },
        index=utc_index(start + np.arange(rows, dtype=np.int64) * MINUTE_NS),
    )
    return frame


def main(url: str = DEFAULT_URL, rows: int = 1_000_000) -> bool:
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    with Store(url) as admin, admin.engine.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        with Store(url, schema=schema) as store:
            return _run(store, rows)
    finally:
        with Store(url) as admin, admin.engine.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))


def _run(store: Store, rows: int) -> bool:
    candles = CandleStore(store)
    layout = candles.ensure_schema()
    frame = synthetic_minutes(rows)
    symbol = Symbol("BTC", "USDT")
    started = time.perf_counter()
    report = candles.load("binance", symbol, "1m", frame)
    load_seconds = time.perf_counter() - started
    per_second = report.rows / load_seconds
    middle = frame.index[rows // 2]
    end = middle + pd.Timedelta(minutes=QUERY_ROWS)
    timings = []
    for _ in range(QUERY_REPEATS):
        started = time.perf_counter()
        window = candles.read("binance", symbol, "1m", start=middle, end=end)
        timings.append((time.perf_counter() - started) * 1_000)
    assert len(window) == QUERY_ROWS, len(window)
    pd.testing.assert_frame_equal(window, frame.loc[middle : end - pd.Timedelta(minutes=1)])
    median_ms = statistics.median(timings)
    load_ok, query_ok = per_second >= LOAD_TARGET, median_ms < QUERY_TARGET_MS
    print(f"layout: {layout}, {len(report.partitions)} monthly partitions")
    print(f"load: {report.rows:,} candles in {load_seconds:.2f} s = {per_second:,.0f} candles/s "
          f"(target {LOAD_TARGET:,}/s): {'pass' if load_ok else 'FAIL'}")  # fmt: skip
    print(f"query: {QUERY_ROWS:,} rows, median {median_ms:.1f} ms of {QUERY_REPEATS} "
          f"(min {min(timings):.1f}, max {max(timings):.1f}; target < {QUERY_TARGET_MS:.0f} ms): "
          f"{'pass' if query_ok else 'FAIL'}")  # fmt: skip
    return load_ok and query_ok


if __name__ == "__main__":
    arguments = sys.argv[1:]
    passed = main(
        arguments[0] if arguments else DEFAULT_URL,
        int(arguments[1]) if len(arguments) > 1 else 1_000_000,
    )
    sys.exit(0 if passed else 1)
