"""Helpers for the market-data tests: small constructed frames and files."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

MINUTE = 60_000_000_000
# 2021-01-01 00:00 UTC, a Friday
T0 = 1_609_459_200_000_000_000


def bars(
    opens_min: Sequence[int],
    closes: Sequence[float] | None = None,
    *,
    start: int = T0,
    volume: float = 1.0,
) -> pd.DataFrame:
    """Canonical 1m bars opening ``opens_min`` minutes after ``start``.

    Bar i has open = close[i-1] (or close[0]), high = max + 1, low = min - 1.
    """
    n = len(opens_min)
    close = np.asarray(closes if closes is not None else [100.0 + i for i in range(n)], float)
    open_ = np.r_[close[:1], close[:-1]]
    ts = start + np.asarray(opens_min, dtype=np.int64) * MINUTE
    index = pd.DatetimeIndex(ts.view("datetime64[ns]"), name="ts").tz_localize("UTC")
    return pd.DataFrame(
        {
            "open": open_,
            "high": np.maximum(open_, close) + 1.0,
            "low": np.minimum(open_, close) - 1.0,
            "close": close,
            "volume": np.full(n, volume),
            "synthetic": np.zeros(n, dtype=bool),
            "partial": np.zeros(n, dtype=bool),
        },
        index=index,
    )


def raw_bars(rows: Sequence[tuple[int, float, float, float, float, float]]) -> pd.DataFrame:
    """A raw frame as importers return it: ``ts`` (ns), ``source_row`` and OHLCV."""
    frame = pd.DataFrame(rows, columns=["ts", "open", "high", "low", "close", "volume"])
    frame.insert(1, "source_row", np.arange(1, len(rows) + 1))
    return frame.astype({"ts": "int64"})


def write_text(folder: Path, name: str, text: str) -> Path:
    """Write a small test file."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
