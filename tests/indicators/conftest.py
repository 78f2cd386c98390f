"""Real bars from the bundled sample catalog, one fixture per series, loaded once per worker."""

from __future__ import annotations

import numpy as np
import pytest

from tests.indicators.compare import Bars
from tradeforge.data import ParquetCatalog
from tradeforge.samples import SAMPLE_CATALOG

SERIES = [("BTC/USDT", "5m"), ("ETH/USDT", "1h"), ("DOGE/USDT", "1h")]
"""BTC 5m (43k bars, ~30k-64k USDT), ETH 1h (~600-4,300) and DOGE 1h (~0.003-0.7 USDT)."""


def load(symbol: str, timeframe: str) -> Bars:
    frame = ParquetCatalog(SAMPLE_CATALOG).read_bars("binance", symbol, timeframe)
    columns = {name: frame[name].to_numpy(dtype=np.float64) for name in Bars.COLUMNS}
    assert not any(np.isnan(values).any() for values in columns.values())
    return Bars(f"{symbol} {timeframe}", **columns)


@pytest.fixture(scope="session", params=SERIES, ids=[f"{s}-{t}" for s, t in SERIES])
def bars(request: pytest.FixtureRequest) -> Bars:
    """Each sample series in turn."""
    symbol, timeframe = request.param
    return load(symbol, timeframe)


@pytest.fixture(scope="session")
def eth() -> Bars:
    """ETH/USDT 1h, for the tests that need one real series only."""
    return load("ETH/USDT", "1h")
