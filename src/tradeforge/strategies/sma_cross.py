"""Moving-average crossover: long while the fast SMA is above the slow one."""

from __future__ import annotations

from typing import Any, ClassVar

from tradeforge.indicators import sma
from tradeforge.strategies._sizing import affordable_quantity
from tradeforge.strategy import Line, ParameterError, Strategy, crossover
from tradeforge.strategy.views import BarView


class SmaCross(Strategy):
    """Long-only crossover of two simple moving averages of the close.

    Parameters
    ----------
    fast : int, default 10
        Period of the fast SMA, ``>= 1``.
    slow : int, default 30
        Period of the slow SMA, greater than ``fast``.

    Raises
    ------
    ParameterError
        When ``fast < 1`` or ``fast >= slow`` (raised on construction, so by ``Backtest.run``).

    Notes
    -----
    Data
        One series of bars (any timeframe); the strategy trades the first symbol only.
    Warm-up
        ``on_bar`` starts at bar ``slow - 1``, the first bar where the slow SMA is defined; the
        first possible signal is at bar ``slow``, where both SMAs have two values.
    Entry
        When flat and the fast SMA crosses above the slow one on the bar that just closed
        (``fast[-2] < slow[-2]`` and ``fast[-1] > slow[-1]``; equal values never cross): a
        market buy, which fills at the next bar's open.
    Exit
        When long and the fast SMA crosses below the slow one: the whole position is sold with
        a reduce-only market order, filling at the next bar's open.
    Sizing
        :attr:`default_fraction` (99 %) of the equity, valued at the signal bar's close, taker
        fee included, truncated to the quantity step. The remaining 1 % absorbs a next open
        above the signal close; if the open gaps up further, the venue cancels the entry for
        lack of cash and the strategy waits for the next crossover.
    """

    fast: int = 10
    slow: int = 30

    default_fraction: ClassVar[float] = 0.99

    def __init__(self, strategy_id: str | None = None, **params: Any) -> None:
        super().__init__(strategy_id, **params)
        if self.fast < 1:
            raise ParameterError(f"SmaCross: fast must be >= 1, got {self.fast}")
        if self.fast >= self.slow:
            raise ParameterError(
                f"SmaCross: fast must be below slow, got fast={self.fast}, slow={self.slow}"
            )

    def on_start(self) -> None:
        """Compute both SMAs over the whole series (revealed bar by bar)."""
        self.fast_ma: Line = self.indicator(sma, self.close, self.fast, name="sma_fast")
        self.slow_ma: Line = self.indicator(sma, self.close, self.slow, name="sma_slow")

    def on_bar(self, bar: BarView) -> None:
        """Enter on a golden cross when flat, leave on a death cross when long."""
        held = self.position().signed_qty
        if not held and crossover(self.fast_ma, self.slow_ma):
            if not self.open_orders():
                quantity = affordable_quantity(self)
                if quantity > 0:
                    self.buy(quantity)
        elif held > 0 and crossover(self.slow_ma, self.fast_ma):
            self.close_position()
