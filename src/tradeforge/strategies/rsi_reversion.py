"""RSI mean reversion: buy when the RSI leaves the oversold zone, sell when it turns overbought."""

from __future__ import annotations

from typing import Any, ClassVar

from tradeforge.indicators import rsi
from tradeforge.strategies._sizing import affordable_quantity
from tradeforge.strategy import Line, ParameterError, Strategy, crossover
from tradeforge.strategy.views import BarView


class RsiReversion(Strategy):
    """Long-only mean reversion on Wilder's RSI of the close.

    Parameters
    ----------
    period : int, default 14
        RSI period, ``>= 2`` (TA-Lib's minimum).
    lower : float, default 30
        Oversold level; ``0 < lower < upper``.
    upper : float, default 70
        Overbought level; ``lower < upper < 100``.

    Raises
    ------
    ParameterError
        When ``period < 2`` or the levels are not ``0 < lower < upper < 100``.

    Notes
    -----
    Data
        One series of bars (any timeframe); the strategy trades the first symbol only.
    Warm-up
        ``on_bar`` starts at bar ``period``, the first bar with an RSI value (TA-Lib's
        warm-up); the first possible signal is at bar ``period + 1``.
    Entry
        When flat and the RSI crosses up through ``lower`` on the bar that just closed
        (``rsi[-2] < lower`` and ``rsi[-1] > lower``): a market buy, filling at the next
        bar's open.
    Exit
        When long and the RSI crosses up through ``upper`` (``rsi[-2] < upper`` and
        ``rsi[-1] > upper``): the whole position is sold with a reduce-only market order at
        the next bar's open. There is no stop: the position is held until that signal.
    Sizing
        :attr:`default_fraction` (99 %) of the equity, valued at the signal bar's close, taker
        fee included, truncated to the quantity step (see
        :class:`~tradeforge.strategies.SmaCross` for what happens on a gap up).
    """

    period: int = 14
    lower: float = 30.0
    upper: float = 70.0

    default_fraction: ClassVar[float] = 0.99

    def __init__(self, strategy_id: str | None = None, **params: Any) -> None:
        super().__init__(strategy_id, **params)
        if self.period < 2:
            raise ParameterError(f"RsiReversion: period must be >= 2, got {self.period}")
        if not 0 < self.lower < self.upper < 100:
            raise ParameterError(
                "RsiReversion: levels must satisfy 0 < lower < upper < 100, "
                f"got lower={self.lower}, upper={self.upper}"
            )

    def on_start(self) -> None:
        """Compute the RSI over the whole series (revealed bar by bar)."""
        self.rsi: Line = self.indicator(rsi, self.close, self.period, name="rsi")

    def on_bar(self, bar: BarView) -> None:
        """Buy on the way out of oversold when flat; sell into overbought when long."""
        held = self.position().signed_qty
        if not held and crossover(self.rsi, self.lower):
            if not self.open_orders():
                quantity = affordable_quantity(self)
                if quantity > 0:
                    self.buy(quantity)
        elif held > 0 and crossover(self.rsi, self.upper):
            self.close_position()
