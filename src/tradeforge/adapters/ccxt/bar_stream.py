"""Closed bars, exactly once each, from a stream of forming candles.

A kline stream repeats the forming candle after every trade. :class:`BarAssembler` keeps the
latest state of the forming candle (``pending``) and closes it when a newer candle starts; a
candle at or before the last closed bar is a duplicate and dropped. Two states of one candle
are merged by volume: a candle only gains volume while it forms, so the state with more volume
is the later one, whichever path (stream or REST backfill) delivered it last.

After a reconnection the pending candle may have missed trades, so it is dropped and the bars
since the last closed one are fetched over REST (:meth:`CcxtDataClient.watch_bars`); a closed
bar that does not follow the last one also triggers a REST backfill of the hole. Bars are thus
neither missed nor duplicated.
"""

from __future__ import annotations

from tradeforge.adapters.ccxt.paging import next_open_ms
from tradeforge.adapters.ccxt.replies import OhlcvRow
from tradeforge.model.timeframe import Timeframe


class BarAssembler:
    """Forming candles in, closed candles out.

    Parameters
    ----------
    timeframe : Timeframe
        The candle length.
    last_closed_ms : int, optional
        Open time of the last bar already delivered (nothing at or before it is delivered).
    """

    def __init__(self, timeframe: Timeframe, last_closed_ms: int | None = None) -> None:
        self.timeframe = timeframe
        self.last_closed = last_closed_ms
        self.pending: OhlcvRow | None = None
        self.duplicates = 0

    def update(self, row: OhlcvRow) -> OhlcvRow | None:
        """Take one candle state; the bar it closes, if any."""
        ts = row[0]
        if self.last_closed is not None and ts <= self.last_closed:
            self.duplicates += 1
            return None
        pending = self.pending
        if pending is None or ts == pending[0]:
            if pending is None or row[5] >= pending[5]:
                self.pending = row
            return None
        if ts < pending[0]:  # an old state of a candle already superseded
            self.duplicates += 1
            return None
        self.pending = row
        return pending

    def follows(self, row: OhlcvRow) -> bool:
        """True when ``row`` opens right after the last closed bar (or nothing closed yet)."""
        if self.last_closed is None:
            return True
        return row[0] == next_open_ms(self.timeframe, self.last_closed)

    def closed(self, row: OhlcvRow) -> None:
        """``row`` was delivered."""
        self.last_closed = row[0]

    def forget_pending(self) -> None:
        """Drop the forming candle (it may have missed trades while disconnected)."""
        self.pending = None
