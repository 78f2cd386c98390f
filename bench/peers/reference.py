"""An independent reference for the peers: pandas rolling means, numpy crossings, plain cash.

It implements the strategy described in ``bench.peers.common`` without any backtesting
framework, so every peer's trade count and final equity can be checked against it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from bench.peers.common import CASH, COMMISSION, FAST, SIZE, SLOW, PeerResult, measure


def crossings(close: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Boolean arrays of the bars where the fast SMA crosses above / below the slow SMA."""
    fast = close.rolling(FAST).mean().to_numpy()
    slow = close.rolling(SLOW).mean().to_numpy()
    above, below = fast > slow, fast < slow  # False where either mean is NaN
    was_at_or_below = np.concatenate(([False], fast[:-1] <= slow[:-1]))
    was_at_or_above = np.concatenate(([False], fast[:-1] >= slow[:-1]))
    return above & was_at_or_below, below & was_at_or_above


def simulate(
    opens: np.ndarray, closes: np.ndarray, up: np.ndarray, down: np.ndarray
) -> tuple[int, int, float]:
    """Fill each signal at the next bar's open; return (closed, open trades, final equity)."""
    cash, units, closed = CASH, 0.0, 0
    last = len(closes) - 1
    for i in np.flatnonzero(up | down):
        if i >= last:
            break  # an order decided on the last bar never fills
        price = float(opens[i + 1])
        if up[i] and units == 0.0:
            cash -= SIZE * price * (1.0 + COMMISSION)
            units = SIZE
        elif down[i] and units > 0.0:
            cash += units * price * (1.0 - COMMISSION)
            units, closed = 0.0, closed + 1
    open_trades = 1 if units > 0.0 else 0
    return closed, open_trades, cash + units * float(closes[-1])


def run(bars: pd.DataFrame) -> PeerResult:
    """Run the reference on ``bars`` (columns open and close are used)."""
    with measure() as timing:
        up, down = crossings(bars["close"])
        closed, open_trades, equity = simulate(
            bars["open"].to_numpy(), bars["close"].to_numpy(), up, down
        )
    return PeerResult(
        name="reference",
        version=f"numpy {np.__version__}",
        bars=len(bars),
        seconds=timing.seconds,
        closed_trades=closed,
        open_trades=open_trades,
        final_equity=equity,
        peak_rss_mb=timing.peak_rss_mb,
        start_rss_mb=timing.start_rss_mb,
        cpu_seconds=timing.cpu_seconds,
    )
