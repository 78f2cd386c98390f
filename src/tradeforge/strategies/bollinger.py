"""Bollinger Bands mean reversion: buy a close below the lower band, sell at the middle band."""

from __future__ import annotations

import math
from typing import Any, ClassVar

from tradeforge.indicators import bbands
from tradeforge.strategies._sizing import affordable_quantity
from tradeforge.strategy import Line, ParameterError, Strategy, crossover, crossunder
from tradeforge.strategy.views import BarView


class BollingerReversion(Strategy):
    """Long-only reversion to the mean inside Bollinger Bands of the close.

    The bands are TA-Lib's ``BBANDS``: the middle band is the ``period`` SMA of the close, the
    lower band the middle minus ``nbdev`` population standard deviations over the same window.

    Parameters
    ----------
    period : int, default 20
        Window of the bands, ``>= 2``.
    nbdev : float, default 2.0
        Width of the lower band in standard deviations, finite and ``> 0``.

    Raises
    ------
    ParameterError
        When ``period < 2`` or ``nbdev`` is not a finite number ``> 0``.

    Notes
    -----
    Data
        One series of bars (any timeframe); the strategy trades the first symbol only.
    Warm-up
        ``on_bar`` starts at bar ``period - 1``, the first bar with band values; the first
        possible signal is at bar ``period``.
    Entry
        When flat and the close crosses below the lower band on the bar that just closed
        (``close[-2] > lower[-2]`` and ``close[-1] < lower[-1]``): a market buy, filling at the
        next bar's open.
    Exit
        When long and the close crosses above the middle band (``close[-2] < middle[-2]`` and
        ``close[-1] > middle[-1]``): the whole position is sold with a reduce-only market
        order at the next bar's open. There is no stop.
    Sizing
        :attr:`default_fraction` (99 %) of the equity, valued at the signal bar's close, taker
        fee included, truncated to the quantity step (see
        :class:`~tradeforge.strategies.SmaCross` for what happens on a gap up).
    """

    period: int = 20
    nbdev: float = 2.0

    default_fraction: ClassVar[float] = 0.99

    def __init__(self, strategy_id: str | None = None, **params: Any) -> None:
        super().__init__(strategy_id, **params)
        if self.period < 2:
            raise ParameterError(f"BollingerReversion: period must be >= 2, got {self.period}")
        if not (math.isfinite(self.nbdev) and self.nbdev > 0):
            raise ParameterError(
                f"BollingerReversion: nbdev must be a finite number > 0, got {self.nbdev}"
            )

    def on_start(self) -> None:
        """Compute the bands over the whole series (revealed bar by bar)."""
        bands: tuple[Line, Line, Line] = self.indicator(
            bbands, self.close, self.period, self.nbdev, self.nbdev, name="bbands"
        )
        self.upper_band, self.middle_band, self.lower_band = bands

    def on_bar(self, bar: BarView) -> None:
        """Buy a break below the lower band when flat; sell the return to the mean when long."""
        held = self.position().signed_qty
        if not held and crossunder(self.close, self.lower_band):
            if not self.open_orders():
                quantity = affordable_quantity(self)
                if quantity > 0:
                    self.buy(quantity)
        elif held > 0 and crossover(self.close, self.middle_band):
            self.close_position()
