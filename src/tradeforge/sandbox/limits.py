"""Binance's request-weight limit: so much weight per wall-clock minute, then 429.

Off unless ``rate_limit`` is configured. Weights are Binance's for the heavy endpoints (depth
by its limit, tickers and open orders without a symbol, ``allOrders``, ``myTrades``,
``exchangeInfo``) and 1 otherwise.
"""

from __future__ import annotations

from tradeforge.common.clock import Clock
from tradeforge.sandbox import errors

_MINUTE_MS = 60_000
_NS_PER_MS = 1_000_000


class RequestWeights:
    """A fixed-window counter of request weight per minute.

    Parameters
    ----------
    limit : int or None
        Weight allowed per minute; None counts but never refuses.
    wall : Clock
        The wall clock the minutes are read from.
    """

    def __init__(self, limit: int | None, wall: Clock) -> None:
        self.limit = limit
        self.wall = wall
        self._minute = -1
        self.used = 0

    def take(self, weight: int) -> int:
        """Count ``weight``; the weight used this minute, or -1003 (HTTP 429) when over."""
        now = self.wall.timestamp_ns() // _NS_PER_MS
        minute = now // _MINUTE_MS
        if minute != self._minute:
            self._minute, self.used = minute, 0
        if self.limit is not None and self.used + weight > self.limit:
            retry_after = max(1, -(-((minute + 1) * _MINUTE_MS - now) // 1000))
            raise errors.too_many_requests(self.limit, retry_after)
        self.used += weight
        return self.used


def depth_weight(limit: int) -> int:
    """Binance's weight of ``GET /api/v3/depth`` for ``limit`` levels."""
    if limit <= 100:
        return 5
    if limit <= 500:
        return 25
    if limit <= 1000:
        return 50
    return 250
