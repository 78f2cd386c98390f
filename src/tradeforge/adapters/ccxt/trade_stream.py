"""Public trades exactly once and in order: duplicates dropped, lost ones fetched again.

ccxt keeps each stream's trades in a bounded cache (the ``tradesLimit`` option) and hands out
the new ones at every ``watch_trades`` call. A consumer that falls behind by more than the
cache loses the oldest trades without being told; so does one whose socket dropped. On venues
whose trade ids count up by one per market (:attr:`~.venues.VenueProfile.trade_history`
set: Binance), a jump in the ids reveals the loss, and the missing trades are fetched over
REST by id before the stream goes on. On other venues a loss cannot be seen; duplicates (by
id) are still dropped.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Awaitable, Callable

from tradeforge.adapters.ccxt.errors import VenueError
from tradeforge.model.market_data import TradeTick

_log = logging.getLogger("tradeforge.adapters")
_RECENT_TRADES = 10_000
HISTORY_PAGE = 1000
"""Trades per REST page when filling a gap (Binance's maximum)."""
MAX_REFILL_PAGES = 20
"""A gap longer than this many pages is filled up to there; the rest is reported lost."""

FetchTrades = Callable[[int, int], Awaitable[list[TradeTick]]]
"""``await fetch(from_id, limit)``: the trades from id ``from_id`` on, oldest first."""


class TradeSequence:
    """Which trades of one market's stream are new, and which were lost before a trade.

    Parameters
    ----------
    sequential : bool
        The venue's trade ids are integers counting up by one (a jump is a loss).
    """

    def __init__(self, sequential: bool) -> None:
        self.sequential = sequential
        self.last_id: int | None = None
        self._recent: deque[str] = deque(maxlen=_RECENT_TRADES)
        self._seen: set[str] = set()
        self.refilled = 0
        """Trades fetched over REST after a gap."""
        self.lost = 0
        """Trades known to be missing that could not be fetched."""

    def gap_before(self, tick: TradeTick) -> tuple[int, int] | None:
        """``(first missing id, id of tick)`` when trades are missing before ``tick``."""
        trade_id = self._number(tick)
        if trade_id is None or self.last_id is None or trade_id <= self.last_id + 1:
            return None
        return self.last_id + 1, trade_id

    def accept(self, tick: TradeTick) -> bool:
        """Record ``tick``; False when it was already delivered (drop it)."""
        trade_id = self._number(tick)
        if trade_id is not None:
            if self.last_id is not None and trade_id <= self.last_id:
                return False
            self.last_id = trade_id
            return True
        if not tick.trade_id:
            return True
        if tick.trade_id in self._seen:
            return False
        if len(self._recent) == self._recent.maxlen:
            self._seen.discard(self._recent[0])
        self._recent.append(tick.trade_id)
        self._seen.add(tick.trade_id)
        return True

    def _number(self, tick: TradeTick) -> int | None:
        if not self.sequential or not tick.trade_id.isdigit():
            return None
        return int(tick.trade_id)

    async def refill(self, fetch: FetchTrades, first: int, stop: int) -> list[TradeTick]:
        """The trades with ids in ``[first, stop)``, fetched page by page.

        A failure of the venue or a gap longer than :data:`MAX_REFILL_PAGES` pages ends the
        refill; what is still missing is counted in :attr:`lost` and logged.
        """
        out: list[TradeTick] = []
        next_id = first
        for _ in range(MAX_REFILL_PAGES):
            if next_id >= stop:
                break
            try:
                page = await fetch(next_id, min(HISTORY_PAGE, stop - next_id))
            except VenueError as error:
                _log.warning("trades %d..%d could not be fetched: %s", next_id, stop - 1, error)
                break
            wanted = [t for t in page if next_id <= int(t.trade_id) < stop]
            if not wanted:
                break
            out.extend(wanted)
            next_id = int(wanted[-1].trade_id) + 1
        self.refilled += len(out)
        missing = stop - first - len(out)
        if missing > 0:
            self.lost += missing
            _log.warning("%d trades before id %d are lost", missing, stop)
        return out
