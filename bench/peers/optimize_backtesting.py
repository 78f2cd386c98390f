"""backtesting.py's ``optimize`` over the SMA grid of ``bench.optimize_peers``.

The strategy class lives at module level: backtesting.py pickles it to its worker processes.
Set ``TQDM_DISABLE=1`` before importing this module, or backtesting.py draws progress bars.
"""

from __future__ import annotations

import time
from typing import Any

import pandas as pd
from backtesting import Strategy
from bench.peers.common import CASH, COMMISSION, SIZE


def _sma(values: Any, period: int) -> Any:
    return pd.Series(values).rolling(period).mean().to_numpy()


class OptSmaCross(Strategy):  # type: ignore[misc]
    """Buy one fractional unit (0.01) on a cross up, close the position on a cross down."""

    fast = 10
    slow = 30

    def init(self) -> None:
        """The two averages."""
        self.f = self.I(_sma, self.data.Close, self.fast)
        self.s = self.I(_sma, self.data.Close, self.slow)

    def next(self) -> None:
        """Trade the crossings (``<=`` on the bar before, as every peer)."""
        f, s = self.f, self.s
        if f[-2] <= s[-2] and f[-1] > s[-1]:
            if not self.position:
                self.buy(size=1)
        elif f[-2] >= s[-2] and f[-1] < s[-1] and self.position:
            self.position.close()


def sweep(bars: pd.DataFrame, fast: range, slow: range) -> tuple[list[int], float, int, int]:
    """Best (fast, slow), its final equity, the combinations run and those that traded."""
    from backtesting.lib import FractionalBacktest

    bt = FractionalBacktest(bars.rename(columns=str.capitalize), OptSmaCross,
                            fractional_unit=SIZE, cash=CASH, commission=COMMISSION,
                            trade_on_close=False, exclusive_orders=False,
                            finalize_trades=False)  # fmt: skip
    stats, heatmap = bt.optimize(fast=list(fast), slow=list(slow),
                                 maximize="Equity Final [$]", return_heatmap=True)  # fmt: skip
    best = [int(stats._strategy.fast), int(stats._strategy.slow)]
    return best, float(stats["Equity Final [$]"]), len(heatmap), int(heatmap.notna().sum())


def timed_sweep(bars: pd.DataFrame, fast: range, slow: range) -> dict[str, Any]:
    """:func:`sweep` with its wall and CPU time."""
    import backtesting
    from bench.optimize_peers import cpu_now

    start, cpu_start = time.time(), cpu_now()
    best, equity, combos, traded = sweep(bars, fast, slow)
    end, cpu_end = time.time(), cpu_now()
    return {"name": "backtesting.py optimize", "version": backtesting.__version__,
            "combos": combos, "start": start, "end": end, "cpu_start": cpu_start,
            "cpu_end": cpu_end, "best": best, "best_equity": equity,
            "notes": f"{traded} runs with trades"}  # fmt: skip
