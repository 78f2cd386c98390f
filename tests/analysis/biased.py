"""Strategies with a deliberate look-ahead bias, one kind each, and clean look-alikes.

Each biased indicator is registered with ``self.indicator`` like any other, so the engine's bar
by bar reveal cannot stop it: the values were computed from the whole series up front.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from tradeforge.indicators import ema, sma
from tradeforge.strategy import Strategy, crossover
from tradeforge.strategy.views import BarView

Floats = NDArray[np.float64]
Bools = NDArray[np.bool_]


def shifted(close: Floats, bars: int) -> Floats:
    """``close`` moved ``bars`` bars back in time: the value at ``i`` is ``close[i + bars]``."""
    return pd.Series(close).shift(-bars).to_numpy(dtype=np.float64)


def centered_mean(close: Floats, window: int) -> Floats:
    """A rolling mean labelled at the middle of its window (half of it is future)."""
    return pd.Series(close).rolling(window, center=True).mean().to_numpy(dtype=np.float64)


def over_max(close: Floats) -> Floats:
    """``close`` divided by the maximum of the whole series."""
    return close / close.max()


def next_close(close: Floats) -> Floats:
    """The next bar's close (NaN at the last bar)."""
    return np.append(close[1:], np.nan)


class NextClose(Strategy):
    """An SMA (clean) and the next bar's close (``shift(-1)``)."""

    def on_start(self) -> None:
        self.ma = self.indicator(sma, self.close, 10, name="sma")
        self.peek = self.indicator(shifted, self.close, 1, name="next_close")


class ThreeAhead(Strategy):
    """The close three bars later (``shift(-3)``)."""

    def on_start(self) -> None:
        self.peek = self.indicator(shifted, self.close, 3, name="close_in_3")


class Centered(Strategy):
    """A centered rolling mean of 5 bars."""

    def on_start(self) -> None:
        self.mean = self.indicator(centered_mean, self.close, 5, name="centered_mean")


class OverMax(Strategy):
    """The close normalized by the whole series' maximum."""

    def on_start(self) -> None:
        self.level = self.indicator(over_max, self.close, name="close_over_max")


class NextCloseSignal(Strategy):
    """Vectorized signals: enter when the next close is higher, exit when it is lower."""

    def on_start(self) -> None:
        self.ma = self.indicator(sma, self.close, 10, name="sma")

    def signals(self) -> tuple[Bools, Bools]:
        close = self.close.full()
        later = next_close(close)
        return later > close, later < close


class CleanSignal(Strategy):
    """Vectorized signals of two EMAs crossing: no look-ahead."""

    def on_start(self) -> None:
        self.fast = self.indicator(ema, self.close, 12, name="ema_fast")
        self.slow = self.indicator(ema, self.close, 26, name="ema_slow")

    def signals(self) -> tuple[Bools, Bools]:
        fast, slow = self.fast.full(), self.slow.full()
        with np.errstate(invalid="ignore"):
            above = fast > slow
        crossed = above & ~np.roll(above, 1)
        fell = ~above & np.roll(above, 1)
        crossed[0] = fell[0] = False
        return crossed, fell


class PeekInOnBar(Strategy):
    """Event-driven: buys when the next bar closes 1 % higher, reading the raw series."""

    def on_bar(self, bar: BarView) -> None:
        series = self.ctx.series[0]
        i = series.cursor.i
        if i + 1 >= len(series):
            return
        rise = series.close[i + 1] / series.close[i] - 1.0
        if not self.position().is_open and rise > 0.01:
            self.buy(0.01)
        elif self.position().is_open and rise < 0:
            self.close_position()


class ShiftedCross(Strategy):
    """Event-driven SMA cross where the fast SMA is of the next bar's close."""

    def on_start(self) -> None:
        self.fast = self.indicator(
            sma, self.indicator(next_close, self.close, name="next"), 5, name="fast"
        )
        self.slow = self.indicator(sma, self.close, 20, name="slow")

    def on_bar(self, bar: BarView) -> None:
        if not self.position().is_open and crossover(self.fast, self.slow):
            self.buy(0.01)
        elif self.position().is_open and crossover(self.slow, self.fast):
            self.close_position()


class Averages(Strategy):
    """An EMA and an SMA, for the recursive analysis."""

    span: int = 20
    window: int = 30

    def on_start(self) -> None:
        self.ema = self.indicator(ema, self.close, self.span, name="ema")
        self.sma = self.indicator(sma, self.close, self.window, name="sma")
