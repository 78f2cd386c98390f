"""Candle history over REST, page after page, de-duplicated and gap-checked.

:class:`BarPager` asks ``fetch_ohlcv`` for ``limit`` candles from a cursor, moves the cursor
past the newest candle received and asks again, until the series ends or passes ``until``.
Rows are read with :func:`~tradeforge.adapters.ccxt.replies.parse_ohlcv`: a malformed row is
logged with its payload and skipped, a row at or before the newest one kept is a duplicate
(dropped and counted), a row off the timeframe's grid is malformed. Holes between consecutive
candles are recorded as gaps (venues print no candle for a market that did not trade).

The newest candle of a series may still be forming: it is held back (:attr:`BarPager.forming`)
until a newer candle proves it closed, so a download never stores a bar that is still moving.
With ``until``, the bars before it are delivered once the venue shows one at or after it.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from tradeforge.adapters.ccxt.errors import MalformedReplyError
from tradeforge.adapters.ccxt.replies import NS_PER_MS, OhlcvRow, parse_ohlcv
from tradeforge.adapters.ccxt.session import VenueSession
from tradeforge.model.timeframe import Timeframe

_log = logging.getLogger("tradeforge.adapters")


@dataclass(slots=True)
class PageStats:
    """What paging saw: pages, rows received and kept, duplicates, malformed rows, gaps
    (``(first missing open, next open)`` in ms)."""

    pages: int = 0
    received: int = 0
    kept: int = 0
    duplicates: int = 0
    malformed: int = 0
    gaps: list[tuple[int, int]] = field(default_factory=list)


def next_open_ms(timeframe: Timeframe, open_ms: int) -> int:
    """The open (ms) of the bar after the one opening at ``open_ms``."""
    return timeframe.next_open(open_ms * NS_PER_MS) // NS_PER_MS


def first_open_ms(timeframe: Timeframe, since_ms: int) -> int:
    """The first bar open at or after ``since_ms``."""
    floor = timeframe.floor(since_ms * NS_PER_MS) // NS_PER_MS
    return floor if floor == since_ms else next_open_ms(timeframe, floor)


class BarPager:
    """Pages of closed candles of one market.

    Parameters
    ----------
    session : VenueSession
        The venue (``fetch_ohlcv`` is retried on transient errors).
    symbol : str
        ccxt's symbol, ``BTC/USDT``.
    timeframe : Timeframe
        The candle length.
    since_ms : int
        Bars opening at or after it.
    until_ms : int, optional
        Bars opening before it; None: up to the newest closed bar.
    limit : int
        Candles per request.
    """

    def __init__(
        self,
        session: VenueSession,
        symbol: str,
        timeframe: Timeframe,
        *,
        since_ms: int,
        until_ms: int | None,
        limit: int,
    ) -> None:
        self.session = session
        self.symbol = symbol
        self.timeframe = timeframe
        self.cursor = first_open_ms(timeframe, since_ms)
        self.until_ms = until_ms
        self.limit = limit
        self.stats = PageStats()
        self.forming: OhlcvRow | None = None
        """The newest candle when the series ended: possibly still forming, not yielded."""
        self._last: int | None = None

    async def pages(self) -> AsyncIterator[list[OhlcvRow]]:
        """Closed candles, oldest first, each page non-empty."""
        carry: OhlcvRow | None = None
        while True:  # each page moves the cursor on, or ends the series
            raw = await self.session.call(
                "fetch_ohlcv", self.symbol, str(self.timeframe), since=self.cursor,
                limit=self.limit,
            )  # fmt: skip
            fresh, past_until = self._accept(raw)
            if not fresh and not past_until:
                break
            out = ([carry] if carry else []) + fresh
            carry = None if past_until else out.pop()
            if out:
                yield out
            if past_until:
                break
            self.cursor = next_open_ms(self.timeframe, fresh[-1][0])
        self.forming = carry

    def _accept(self, raw: object) -> tuple[list[OhlcvRow], bool]:
        """The new rows of one page (sorted, checked), and whether it reached ``until``."""
        self.stats.pages += 1
        rows = raw if isinstance(raw, list) else []
        if not isinstance(raw, list):
            _log.warning("%s: klines reply is not a list; raw=%r", self.symbol, raw)
            self.stats.malformed += 1
        self.stats.received += len(rows)
        parsed = sorted((r for r in map(self._parse, rows) if r is not None), key=lambda r: r[0])
        fresh: list[OhlcvRow] = []
        past_until = False
        for row in parsed:
            if self.until_ms is not None and row[0] >= self.until_ms:
                past_until = True
                break
            if row[0] < self.cursor or (self._last is not None and row[0] <= self._last):
                self.stats.duplicates += 1
                continue
            self._gap_check(row[0])
            fresh.append(row)
            self._last = row[0]
        self.stats.kept += len(fresh)
        return fresh, past_until

    def _parse(self, row: object) -> OhlcvRow | None:
        try:
            parsed = parse_ohlcv(row)
        except MalformedReplyError as error:
            _log.warning("%s: %s; raw=%r", self.symbol, error, error.raw)
            self.stats.malformed += 1
            return None
        if not self.timeframe.is_aligned(parsed[0] * NS_PER_MS):
            _log.warning("%s: candle off the %s grid; raw=%r", self.symbol, self.timeframe, row)
            self.stats.malformed += 1
            return None
        return parsed

    def _gap_check(self, open_ms: int) -> None:
        if self._last is None:
            return
        expected = next_open_ms(self.timeframe, self._last)
        if open_ms > expected:
            self.stats.gaps.append((expected, open_ms))
