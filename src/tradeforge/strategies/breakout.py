"""Daily-resistance breakout, traded on hourly closes with a take-profit / stop-loss bracket."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt
import pandas as pd

from tradeforge.data.replay import BarSeries
from tradeforge.data.resample import resample_bars
from tradeforge.model.symbol import Symbol
from tradeforge.model.timeframe import Timeframe, TimeframeError
from tradeforge.strategies._sizing import affordable_quantity
from tradeforge.strategy import Line, ParameterError, Strategy
from tradeforge.strategy.views import BarView, SeriesView

_ONE = Decimal(1)


def rolling_max(values: npt.ArrayLike, window: int) -> npt.NDArray[np.float64]:
    """Maximum of the last ``window`` values at each index (NaN before ``window`` values).

    ``out[i] = max(values[i - window + 1 : i + 1])`` for ``i >= window - 1``.
    """
    x = np.asarray(values, dtype=np.float64)
    out = np.full(len(x), np.nan)
    if window >= 1 and len(x) >= window:
        out[window - 1 :] = np.lib.stride_tricks.sliding_window_view(x, window).max(axis=1)
    return out


class Breakout(Strategy):
    """Buy an hourly close above the highest daily high of the last ``lookback_days`` days.

    Parameters
    ----------
    lookback_days : int, default 20
        How many completed daily bars the resistance spans, ``>= 1``.
    take_profit : float, default 0.07
        Take-profit distance above the entry reference, as a fraction (0.07 is +7 %), ``> 0``.
    stop_loss : float, default 0.16
        Stop-loss distance below the entry reference, as a fraction (0.16 is -16 %),
        ``0 < stop_loss < 1``.
    entry_timeframe : str, default "1h"
        Timeframe of the bars whose closes trigger entries.
    resistance_timeframe : str, default "1d"
        Timeframe of the bars the resistance is measured on; longer than ``entry_timeframe``.

    Raises
    ------
    ParameterError
        For a bad number, an unsupported timeframe, or a resistance timeframe that is not
        longer than the entry timeframe.

    Notes
    -----
    Data
        Two series of the same symbol: ``entry_timeframe`` bars (give them first: they are the
        primary series, the equity curve's clock, and as the shortest timeframe the one orders
        are matched against) and ``resistance_timeframe`` bars. :func:`breakout_data` builds
        both from hourly bars::

            Backtest(breakout_data(frame_1h, "BTC/USDT"), Breakout, cash=10_000)

        The strategy trades the first symbol; bars of other series are ignored.
    Resistance
        At an hourly close, the maximum high of the last ``lookback_days`` *completed* daily
        bars, i.e. of the days whose close time is at or before that hourly close (a day
        closing at the same instant as the hour is already complete). The current day is
        never included.
    Warm-up
        No entry before ``lookback_days`` daily bars have completed: the resistance is
        undefined before. (With the entry series first, ``on_bar`` runs from the first bar;
        given first, the daily series would hold ``on_bar`` back until then, same trades.)
    Entry
        At an hourly close ``c`` strictly above the resistance, when flat and without working
        orders: a bracket buy (``self.buy(sl=..., tp=...)``) whose entry is a market order
        filling at the next hourly open, with a reduce-only limit take profit at
        ``c * (1 + take_profit)`` and a reduce-only stop-market stop loss at
        ``c * (1 - stop_loss)``, both from the signal close (not the fill price) and rounded
        to the tick away from the market (up, as for any sell).
    Exit
        Only through the bracket: whichever of the take profit and the stop loss the price
        reaches first (one cancels the other). They work from the entry's fill, including
        inside the entry bar; a level already passed where an exit becomes active (a gap) fills
        at the current price, the bar's open. When both levels are inside one bar, the engine's
        ``intrabar`` assumption decides (default ``"adverse"``: the stop first). There is no
        time exit; a re-entry may follow on the close of the bar the exit filled in.
    Sizing
        :attr:`default_fraction` (99 %) of the equity at the signal close, taker fee
        included, truncated to the quantity step.
    """

    lookback_days: int = 20
    take_profit: float = 0.07
    stop_loss: float = 0.16
    entry_timeframe: str = "1h"
    resistance_timeframe: str = "1d"

    default_fraction: ClassVar[float] = 0.99

    def __init__(self, strategy_id: str | None = None, **params: Any) -> None:
        super().__init__(strategy_id, **params)
        name = type(self).__name__
        if self.lookback_days < 1:
            raise ParameterError(f"{name}: lookback_days must be >= 1, got {self.lookback_days}")
        if not (math.isfinite(self.take_profit) and self.take_profit > 0):
            raise ParameterError(f"{name}: take_profit must be > 0, got {self.take_profit}")
        if not (math.isfinite(self.stop_loss) and 0 < self.stop_loss < 1):
            raise ParameterError(f"{name}: stop_loss must be in (0, 1), got {self.stop_loss}")
        try:
            self._entry_tf = Timeframe.parse(self.entry_timeframe)
            self._resistance_tf = Timeframe.parse(self.resistance_timeframe)
        except TimeframeError as exc:
            raise ParameterError(f"{name}: {exc}") from None
        if self._resistance_tf.nanos <= self._entry_tf.nanos:
            raise ParameterError(
                f"{name}: resistance_timeframe {self._resistance_tf} must be longer than "
                f"entry_timeframe {self._entry_tf}"
            )

    def extra_timeframes(self) -> tuple[str, ...]:
        """The resistance timeframe, resampled from the entry bars when not given."""
        return (str(self.resistance_timeframe),)

    def on_start(self) -> None:
        """Find both series and compute the resistance over the whole daily series."""
        symbol = self.symbol
        try:
            self.entry_bars: SeriesView = self.data(symbol, str(self._entry_tf))
            self.resistance_bars: SeriesView = self.data(symbol, str(self._resistance_tf))
        except KeyError as exc:
            raise ValueError(
                f"{type(self).__name__} needs {symbol} bars of {self._entry_tf} and of "
                f"{self._resistance_tf} (breakout_data builds both): {exc.args[0]}"
            ) from None
        self.resistance: Line = self.indicator(
            rolling_max, self.resistance_bars.high, self.lookback_days, name="resistance"
        )

    def on_bar(self, bar: BarView) -> None:
        """On each entry-timeframe close: enter when it breaks the resistance while flat."""
        if bar.timeframe != self._entry_tf or bar.symbol != self.symbol:
            return
        if not len(self.resistance):
            return
        level = self.resistance[-1]
        close = bar.close
        if math.isnan(level) or not close > level:
            return
        if self.position().signed_qty or self.open_orders():
            return
        quantity = affordable_quantity(self)
        if quantity <= 0:
            return
        reference = Decimal(repr(close))
        self.buy(
            quantity,
            tp=reference * (_ONE + Decimal(repr(self.take_profit))),
            sl=reference * (_ONE - Decimal(repr(self.stop_loss))),
        )


def breakout_data(
    frame_1h: pd.DataFrame,
    symbol: Symbol | str = "ASSET/USD",
    *,
    entry_timeframe: str = "1h",
    resistance_timeframe: str = "1d",
) -> list[BarSeries]:
    """The two series :class:`Breakout` needs, from one frame of hourly bars.

    Parameters
    ----------
    frame_1h : pandas.DataFrame
        Canonical bars of ``entry_timeframe`` (``DatetimeIndex`` of open times, UTC; open,
        high, low, close, volume columns), e.g. from
        :meth:`ParquetCatalog.read_bars <tradeforge.data.ParquetCatalog.read_bars>`.
    symbol : Symbol or str
        The symbol both series carry.
    entry_timeframe, resistance_timeframe : str
        The frame's timeframe and the one it is resampled to, with
        :func:`~tradeforge.data.resample_bars` (buckets aligned on UTC midnight for ``1d``;
        a day with missing hours, or the last unfinished day, is kept as it is).

    Returns
    -------
    list of BarSeries
        ``[entry series, resistance series]``, the entry series first (the primary series).
    """
    sym = Symbol.parse(symbol) if isinstance(symbol, str) else symbol
    entry_tf = Timeframe.parse(entry_timeframe)
    resistance_tf = Timeframe.parse(resistance_timeframe)
    bars = frame_1h[["open", "high", "low", "close", "volume"]]
    daily = resample_bars(bars, entry_tf, resistance_tf)
    return [
        BarSeries.from_frame(sym, bars, entry_tf),
        BarSeries.from_frame(sym, daily, resistance_tf),
    ]
