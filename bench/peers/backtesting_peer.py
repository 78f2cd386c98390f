"""backtesting.py (``backtesting``) running the SMA-cross strategy of ``bench.peers.common``.

backtesting.py trades whole units only (a size in (0, 1) means a fraction of equity), so
the run uses ``backtesting.lib.FractionalBacktest`` with ``fractional_unit=SIZE``: prices
are scaled by 0.01 and the strategy buys one such unit, which is 0.01 of the real asset.
"""

from __future__ import annotations

import os
from typing import Any

import pandas as pd
from bench.peers.common import CASH, COMMISSION, FAST, SIZE, SLOW, PeerResult, measure

NAME = "backtesting.py"


def _sma(values: Any, period: int) -> Any:
    """Simple moving average of an indicator input, as a numpy array (NaN while warming up)."""
    return pd.Series(values).rolling(period).mean().to_numpy()


def _strategy_class() -> type[Any]:
    """Build the Strategy subclass (backtesting is imported lazily: it is optional)."""
    from backtesting import Strategy

    class SmaCross(Strategy):  # type: ignore[misc]
        """Buy one fractional unit on a cross up, close the position on a cross down."""

        def init(self) -> None:
            self.fast = self.I(_sma, self.data.Close, FAST)
            self.slow = self.I(_sma, self.data.Close, SLOW)

        def next(self) -> None:
            fast, slow = self.fast, self.slow
            if fast[-2] <= slow[-2] and fast[-1] > slow[-1]:
                if not self.position:
                    self.buy(size=1)
            elif fast[-2] >= slow[-2] and fast[-1] < slow[-1] and self.position:
                self.position.close()

    return SmaCross


def to_frame(bars: pd.DataFrame) -> pd.DataFrame:
    """The bars with backtesting.py's capitalised OHLCV column names."""
    return bars.rename(columns=str.capitalize)


def run(bars: pd.DataFrame) -> PeerResult:
    """Run the strategy on ``bars`` and report the result."""
    os.environ.setdefault("TQDM_DISABLE", "1")  # no progress bar on the terminal
    import backtesting
    from backtesting.lib import FractionalBacktest

    with measure() as timing:
        backtest = FractionalBacktest(
            to_frame(bars),
            _strategy_class(),
            fractional_unit=SIZE,
            cash=CASH,
            commission=COMMISSION,  # relative to notional, charged on entry and on exit
            trade_on_close=False,  # market orders fill at the next bar's open
            exclusive_orders=False,
            finalize_trades=False,  # leave the last trade open; equity marks it to close
        )
        stats = backtest.run()
    return PeerResult(
        name=NAME,
        version=backtesting.__version__,
        bars=len(bars),
        seconds=timing.seconds,
        closed_trades=int(stats["# Trades"]),
        open_trades=len(stats["_strategy"].trades),
        final_equity=float(stats["Equity Final [$]"]),
        peak_rss_mb=timing.peak_rss_mb,
        start_rss_mb=timing.start_rss_mb,
        cpu_seconds=timing.cpu_seconds,
    )
