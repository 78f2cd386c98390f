"""Strategies the optimizer tests run (importable, so worker processes and Ray find them)."""

from __future__ import annotations

import os
import time

import numpy as np
from numpy.typing import NDArray

from tradeforge.data.lines import crosses_above
from tradeforge.indicators import sma
from tradeforge.strategies import SmaCross
from tradeforge.strategy import Strategy, crossover
from tradeforge.strategy.views import BarView

COMPUTED_LOG = "TRADEFORGE_TEST_COMPUTED"
"""When set, :class:`CountingSmaCross` appends ``fast,slow`` to this file at every run."""
SLOW_AFTER = "TRADEFORGE_TEST_SLOW_AFTER"
"""When set to N, each run after the N-th logged one first sleeps half a second (a run to be
killed mid-way is still running when the test kills it, however busy the machine)."""
SIZE = 0.01


class CountingSmaCross(SmaCross):
    """The built-in SmaCross, writing a line per run to the file named by ``COMPUTED_LOG``
    (one ``write`` of an ``O_APPEND`` file: lines of several processes never mix)."""

    def on_start(self) -> None:
        """Log the run, then compute the averages."""
        path = os.environ.get(COMPUTED_LOG)
        if path:
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(fd, f"{self.fast},{self.slow}\n".encode())
            finally:
                os.close(fd)
            slow_after = os.environ.get(SLOW_AFTER)
            if slow_after and len(read_computed(path)) > int(slow_after):
                time.sleep(0.5)
        super().on_start()


class FixedSmaCross(Strategy):
    """Buy a fixed 0.01 on a golden cross, close on a death cross; with ``signals()`` for the
    vectorized mode (the rules of ``bench/tradeforge_sma.py``)."""

    fast: int = 10
    slow: int = 30

    def on_start(self) -> None:
        """The two averages."""
        self.fast_ma = self.indicator(sma, self.close, self.fast)
        self.slow_ma = self.indicator(sma, self.close, self.slow)

    def on_bar(self, bar: BarView) -> None:
        """Trade the crossings."""
        if crossover(self.fast_ma, self.slow_ma):
            self.buy(SIZE)
        elif crossover(self.slow_ma, self.fast_ma):
            self.close_position()

    def signals(self) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
        """The same crossings as arrays."""
        return crosses_above(self.fast_ma, self.slow_ma), crosses_above(self.slow_ma, self.fast_ma)


def read_computed(path: str) -> list[tuple[int, int]]:
    """The ``(fast, slow)`` runs logged in ``path`` (none when it does not exist)."""
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as handle:
        return [tuple(int(x) for x in line.split(",")) for line in handle if line.strip()]  # type: ignore[misc]
