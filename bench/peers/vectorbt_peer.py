"""vectorbt running the SMA-cross strategy of ``bench.peers.common``, fully vectorized.

Signals are computed on bar ``i``'s close and shifted one bar forward, and
``Portfolio.from_signals`` fills them at ``price=open``: an order decided on bar ``i``
fills at bar ``i+1``'s open, and a signal on the last bar falls off the end. The size is
``SIZE`` units (``size_type='amount'``), ``fees=COMMISSION`` is relative to notional, long
only, no accumulation. vectorbt compiles its numba kernels on first use, so ``run`` warms
up on a small slice before the timer starts. The index is made tz-naive (UTC) first:
vectorbt turns a tz-aware index into an object array of Timestamps on every wrap, which
costs seconds per million bars and has nothing to do with the simulation.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from bench.peers.common import CASH, COMMISSION, FAST, SIZE, SLOW, PeerResult, measure

NAME = "vectorbt"
WARM_UP_BARS = 1_000


def signals(close: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Entries and exits, already shifted to the bar whose open fills them."""
    import vectorbt as vbt

    fast = vbt.MA.run(close, FAST).ma.to_numpy()
    slow = vbt.MA.run(close, SLOW).ma.to_numpy()
    prev_fast, prev_slow = np.roll(fast, 1), np.roll(slow, 1)
    up = (fast > slow) & (prev_fast <= prev_slow)
    down = (fast < slow) & (prev_fast >= prev_slow)
    up[0] = down[0] = False  # np.roll wrapped the last bar round to the first
    entries = pd.Series(np.roll(up, 1), index=close.index)
    exits = pd.Series(np.roll(down, 1), index=close.index)
    entries.iloc[0] = exits.iloc[0] = False  # the last bar's signal never fills
    return entries, exits


def portfolio(bars: pd.DataFrame) -> Any:
    """Simulate the strategy on ``bars`` and return the vectorbt Portfolio."""
    import vectorbt as vbt

    naive = bars.tz_convert(None)  # UTC wall times; see the module docstring
    entries, exits = signals(naive["close"])
    return vbt.Portfolio.from_signals(
        naive["close"],
        entries,
        exits,
        price=naive["open"],
        size=SIZE,
        size_type="amount",
        fees=COMMISSION,
        init_cash=CASH,
        direction="longonly",
        accumulate=False,
        freq="1min",
    )


def summary(bars: pd.DataFrame) -> tuple[int, int, float]:
    """Simulate ``bars``; return (closed trades, open trades, final equity)."""
    pf = portfolio(bars)
    return int(pf.trades.closed.count()), int(pf.trades.open.count()), float(pf.final_value())


def run(bars: pd.DataFrame) -> PeerResult:
    """Warm up the numba kernels, then run the strategy on ``bars`` and report the result."""
    import vectorbt as vbt

    summary(bars.iloc[:WARM_UP_BARS])  # compiles every kernel the timed call uses
    with measure() as timing:
        closed, still_open, final_equity = summary(bars)
    return PeerResult(
        name=NAME,
        version=vbt.__version__,
        bars=len(bars),
        seconds=timing.seconds,
        closed_trades=closed,
        open_trades=still_open,
        final_equity=final_equity,
        peak_rss_mb=timing.peak_rss_mb,
        start_rss_mb=timing.start_rss_mb,
        cpu_seconds=timing.cpu_seconds,
        notes=f"numba warmed up on {WARM_UP_BARS} bars",
    )
