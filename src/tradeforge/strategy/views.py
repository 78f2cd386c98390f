"""Read-only views a strategy gets: the current bar and a series with its history."""

from __future__ import annotations

from tradeforge.data.lines import Line
from tradeforge.data.replay import BarSeries
from tradeforge.model.symbol import Symbol
from tradeforge.model.timeframe import Timeframe


class BarView:
    """The bar that just closed in one series (valid during the callback; read it, do not
    keep it: it shows the series' current bar). Same attributes as :class:`~tradeforge.model.Bar`.
    """

    __slots__ = ("_cursor", "_lines", "_series", "symbol", "timeframe")

    def __init__(self, series: BarSeries) -> None:
        self._series = series
        self._cursor = series.cursor
        self._lines = series.lines
        self.symbol: Symbol = series.symbol
        self.timeframe: Timeframe = series.timeframe

    @property
    def open(self) -> float:
        """Open price."""
        return self._lines["open"]._list[self._cursor.i]

    @property
    def high(self) -> float:
        """High price."""
        return self._lines["high"]._list[self._cursor.i]

    @property
    def low(self) -> float:
        """Low price."""
        return self._lines["low"]._list[self._cursor.i]

    @property
    def close(self) -> float:
        """Close price."""
        return self._lines["close"]._list[self._cursor.i]

    @property
    def volume(self) -> float:
        """Volume in base units."""
        return self._lines["volume"]._list[self._cursor.i]

    @property
    def ts_open(self) -> int:
        """Open time, ns UTC."""
        return int(self._series.ts_open[self._cursor.i])

    @property
    def ts_close(self) -> int:
        """Close time (when it was delivered), ns UTC."""
        return int(self._series.ts_close[self._cursor.i])

    @property
    def index(self) -> int:
        """Position of this bar in its series."""
        return self._cursor.i

    def __repr__(self) -> str:
        return (
            f"Bar({self.symbol} {self.timeframe} #{self.index} o={self.open} h={self.high} "
            f"l={self.low} c={self.close} v={self.volume})"
        )


class SeriesView:
    """One series of bars revealed up to now: ``open``, ``high``, ``low``, ``close``,
    ``volume`` lines and ``len()`` bars; ``data.close[-1]`` is the last close."""

    __slots__ = ("close", "high", "low", "open", "series", "symbol", "timeframe", "volume")

    def __init__(self, series: BarSeries) -> None:
        self.series = series
        self.symbol = series.symbol
        self.timeframe = series.timeframe
        self.open: Line = series.lines["open"]
        self.high: Line = series.lines["high"]
        self.low: Line = series.lines["low"]
        self.close: Line = series.lines["close"]
        self.volume: Line = series.lines["volume"]

    def __len__(self) -> int:
        return self.series.cursor.i + 1

    @property
    def ts_open(self) -> list[int]:
        """Open times of the revealed bars."""
        times: list[int] = self.series.ts_open[: self.series.cursor.i + 1].tolist()
        return times

    def __repr__(self) -> str:
        return f"SeriesView({self.symbol} {self.timeframe}, {len(self)} bars)"
