"""Build the bundled sample catalog (``src/tradeforge/samples/catalog``) from ``../shared/data``.

The samples are slices of real Binance candles, taken byte-for-byte from the files listed in
``SOURCES`` through tradeforge's own importers, so the catalog they form is exactly what
``tradeforge data import`` would make of them. Run from the repo root:
``python tools/build_samples.py [--shared ../shared/data]``.
"""

from __future__ import annotations

import argparse
import shutil
from dataclasses import dataclass
from pathlib import Path

from tradeforge.data import ParquetCatalog, load_file
from tradeforge.data.timestamps import to_ns

REPO = Path(__file__).resolve().parents[1]
TARGET = REPO / "src" / "tradeforge" / "samples" / "catalog"


@dataclass(frozen=True)
class Source:
    path: str
    start: str | None = None
    end: str | None = None


NFI = "nostalgiaforinfinity/binance"
SOURCES = (
    Source(f"{NFI}/BTC_USDT-5m.json", "2021-01-01", "2021-06-01"),
    Source(f"{NFI}/ETH_USDT-5m.json", "2021-01-01", "2021-06-01"),
    *(Source(f"{NFI}/{base}_USDT-1h.json") for base in
      ("ETH", "SOL", "XRP", "ADA", "DOGE", "LINK", "LTC", "DOT")),
    Source("nic_tradingstrategyga/binance/BTC_USDT-1h.feather", "2019-01-01"),
)  # fmt: skip


def build(shared: Path) -> None:
    if TARGET.exists():
        shutil.rmtree(TARGET)
    catalog = ParquetCatalog(TARGET)
    for source in SOURCES:
        loaded = load_file(shared / source.path)
        frame = loaded.frame
        if source.start is not None:
            frame = frame[frame["ts"] >= to_ns(source.start)]
        if source.end is not None:
            frame = frame[frame["ts"] < to_ns(source.end)]
        info = loaded.info
        if info.venue is None or info.symbol is None or info.timeframe is None:
            raise SystemExit(f"{source.path}: venue, symbol or timeframe not inferred")
        report = catalog.write_bars(info.venue, info.symbol, info.timeframe, frame)
        print(f"{source.path}: {report.rows_added:,} bars -> {report.series}")
    total = sum(p.stat().st_size for p in TARGET.rglob("*.parquet"))
    print(f"sample catalog: {total / 1e6:.2f} MB in {TARGET}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared" / "data")
    build(parser.parse_args().shared)


if __name__ == "__main__":
    main()
