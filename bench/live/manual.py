"""The benchmarks' strategy: it trades only when the benchmark calls its ``buy``/``sell``."""

from __future__ import annotations

from tradeforge.strategy import Strategy
from tradeforge.strategy.views import BarView


class Manual(Strategy):
    """Does nothing on a bar; the benchmark places its orders from the kernel's thread."""

    def on_bar(self, bar: BarView) -> None:
        """Nothing: the orders come from the benchmark."""
