"""tradeforge in the side-by-side benchmark: event-driven and vectorized modes.

Both run :class:`bench.tradeforge_sma.BenchSmaCross` (buy 0.01 on a golden cross, close on a
death cross, market orders at the next open, 0.1 % commission). The event-driven run calls
``on_bar`` on every bar and sends every order through risk, execution, the simulated exchange
and the exact portfolio; the vectorized run uses the compiled signal core.
"""

from __future__ import annotations

import pandas as pd
from bench.peers.common import PeerResult, measure
from bench.tradeforge_sma import run_event_driven, run_vectorized

WARM_UP_BARS = 2_000


def _version() -> str:
    from importlib.metadata import version

    return version("tradeforge")


def run(bars: pd.DataFrame) -> PeerResult:
    """The event-driven mode (indicator kernels compiled on a small slice first)."""
    run_event_driven(bars.iloc[:WARM_UP_BARS])
    with measure() as timing:  # the run, its round trips counted, its final equity
        _, result = run_event_driven(bars)
        trades = result.portfolio.trades
        still_open = sum(t.is_open for t in trades)
        final_equity = float(result.final_equity)
    return PeerResult(
        name="tradeforge (event-driven)", version=_version(), bars=len(bars),
        seconds=timing.seconds, closed_trades=len(trades) - still_open, open_trades=still_open,
        final_equity=final_equity, peak_rss_mb=timing.peak_rss_mb,
        start_rss_mb=timing.start_rss_mb, cpu_seconds=timing.cpu_seconds,
        notes=f"numba warmed up on {WARM_UP_BARS} bars; accounting gap {result.accounting_gap()}",
    )  # fmt: skip


def run_vector(bars: pd.DataFrame) -> PeerResult:
    """The vectorized signal mode."""
    run_vectorized(bars.iloc[:WARM_UP_BARS])
    with measure() as timing:  # the run, its trades frame, its final equity
        _, result = run_vectorized(bars)
        trades = result.trades
        still_open = int((trades["exit_bar"] < 0).sum()) if len(trades) else 0
        final_equity = float(result.final_equity)
    return PeerResult(
        name="tradeforge (vectorized)", version=_version(), bars=len(bars),
        seconds=timing.seconds, closed_trades=len(trades) - still_open, open_trades=still_open,
        final_equity=final_equity, peak_rss_mb=timing.peak_rss_mb,
        start_rss_mb=timing.start_rss_mb, cpu_seconds=timing.cpu_seconds,
        notes=f"numba warmed up on {WARM_UP_BARS} bars",
    )  # fmt: skip
