"""Identifier generators: client order ids that stay unique across restarts, and sequences.

Client order ids are what makes resending an order idempotent, so they must never repeat for a
venue account, not even after a restart. An id joins a short prefix, the strategy tag, the
clock's time to the second (UTC, ``YYMMDDHHMMSS``) and a counter, and fits Binance's limit of 36
characters from ``[.A-Z:/a-z0-9_-]``: ``O-210519133712-sma-7``. With the longest tag (12) the
counter has room for 8 digits.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from tradeforge.common.clock import NANOS_PER_SECOND, Clock

MAX_CLIENT_ORDER_ID = 36
LIQUIDATION_ID_PREFIX = "autoclose-"
"""Client order ids of a venue's own liquidation orders start with it (as on Binance)."""
_SECONDS_PER_DAY = 86_400
_ALLOWED = re.compile(r"^[.A-Za-z0-9:/_-]+$")
_HHMM = [f"{h:02d}{m:02d}" for h in range(24) for m in range(60)]  # by minute of the day
_SS = [f"{s:02d}" for s in range(60)]


class IdError(ValueError):
    """An id that would be invalid at the venue."""


class ClientOrderIdGenerator:
    """Client order ids for one strategy.

    Parameters
    ----------
    strategy_tag : str
        A short tag naming the strategy instance (letters, digits, ``-``; at most 12 chars).
    clock : Clock
        The injected clock: ids carry its time, so backtests produce the same ids every run.
    start_count : int
        The counter to continue from (the live node restores it from the store).
    """

    def __init__(self, strategy_tag: str, clock: Clock, start_count: int = 0) -> None:
        if not strategy_tag or len(strategy_tag) > 12 or not _ALLOWED.match(strategy_tag):
            raise IdError(f"strategy tag {strategy_tag!r} must be 1-12 chars of [A-Za-z0-9._:/-]")
        self.strategy_tag = strategy_tag
        self._clock = clock
        self.count = start_count
        self._second = -1
        self._prefix = ""
        self._day = -1
        self._day_prefix = ""

    def generate(self) -> str:
        """The next id, e.g. ``O-210519133712-sma-8``."""
        self.count += 1
        second = self._clock.timestamp_ns() // NANOS_PER_SECOND
        if second != self._second:  # one formatting per second, one date per day
            day, within = divmod(second, _SECONDS_PER_DAY)
            if day != self._day:
                self._day, self._day_prefix = (
                    day,
                    f"O-{datetime.fromtimestamp(second, tz=UTC):%y%m%d}",
                )
            minute, secs = divmod(within, 60)
            self._second = second
            self._prefix = f"{self._day_prefix}{_HHMM[minute]}{_SS[secs]}-{self.strategy_tag}-"
        client_order_id = f"{self._prefix}{self.count}"
        if len(client_order_id) > MAX_CLIENT_ORDER_ID:
            raise IdError(f"client order id {client_order_id!r} exceeds 36 characters")
        return client_order_id


class SequenceIdGenerator:
    """``PREFIX-1``, ``PREFIX-2``...: ids for positions, order lists and trades in one run."""

    def __init__(self, prefix: str, start_count: int = 0) -> None:
        if not prefix or not _ALLOWED.match(prefix):
            raise IdError(f"id prefix {prefix!r} must be made of [A-Za-z0-9._:/-]")
        self.prefix = prefix
        self.count = start_count

    def generate(self) -> str:
        """The next id."""
        self.count += 1
        return f"{self.prefix}-{self.count}"
