"""tradeforge's entry in the side-by-side benchmark: the SMA cross 10/30 on GBM bars.

``run_event_driven`` runs the strategy through the full engine (``on_bar`` on every bar, every
order through risk, execution, the simulated exchange and the exact portfolio);
``run_vectorized`` runs the same rules through the compiled signal core.
"""

from __future__ import annotations

import time
from decimal import Decimal

import numpy as np
import pandas as pd

from tradeforge.backtest import Backtest
from tradeforge.backtest.result import BacktestResult, VectorizedResult
from tradeforge.data.lines import crosses_above
from tradeforge.indicators import sma
from tradeforge.strategy import Strategy, crossover

SIZE = 0.01
CASH = 10_000
COMMISSION = 0.001


class BenchSmaCross(Strategy):
    """Buy a fixed 0.01 on a golden cross, close on a death cross."""

    fast: int = 10
    slow: int = 30

    def on_start(self) -> None:
        """The two averages, computed once."""
        self.fast_ma = self.indicator(sma, self.close, self.fast)
        self.slow_ma = self.indicator(sma, self.close, self.slow)

    def on_bar(self, bar: object) -> None:
        """Trade the crossings."""
        if crossover(self.fast_ma, self.slow_ma):
            self.buy(SIZE)
        elif crossover(self.slow_ma, self.fast_ma):
            self.close_position()

    def signals(self) -> tuple[np.ndarray, np.ndarray]:
        """The same crossings as arrays."""
        return crosses_above(self.fast_ma, self.slow_ma), crosses_above(self.slow_ma, self.fast_ma)


def _backtest(bars: pd.DataFrame) -> Backtest:
    return Backtest(bars, BenchSmaCross, cash=CASH, commission=COMMISSION, symbol="GBM/USD",
                    quantity_step=Decimal("0.01"))  # fmt: skip


def run_event_driven(bars: pd.DataFrame) -> tuple[float, BacktestResult]:
    """Seconds and result of the event-driven run (data conversion included)."""
    start = time.perf_counter()
    result = _backtest(bars).run()
    return time.perf_counter() - start, result


def run_vectorized(bars: pd.DataFrame) -> tuple[float, VectorizedResult]:
    """Seconds and result of the vectorized run (data conversion included)."""
    start = time.perf_counter()
    result = _backtest(bars).run_vectorized(quantity=SIZE)
    return time.perf_counter() - start, result
