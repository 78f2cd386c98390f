"""Reconnecting websocket streams: backoff with jitter, connection reports, bad messages.

ccxt.pro reconnects a lost socket on the next ``watch_*`` call. :class:`StreamGuard` wraps
those calls for one stream: a failure reports the venue disconnected (once), waits a backoff
with full jitter (growing with consecutive failures, reset by the first message) and lets the
caller try again; the first message after a failure reports the venue connected again and
tells the caller it reconnected (so it can backfill what it missed). A permanent error (an
unknown symbol, bad credentials) ends the stream by raising.

An exception that is not ccxt's (ccxt's own parser choking on a hostile message) is logged and
handled as a transient failure: the stream resubscribes.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

from tradeforge.adapters.ccxt.errors import (
    MalformedReplyError,
    PermanentVenueError,
    VenueError,
    VenueUnavailableError,
    map_error,
)
from tradeforge.adapters.ccxt.retry import RetryPolicy, Sleep

T = TypeVar("T")
_log = logging.getLogger("tradeforge.adapters")

STREAM_POLICY = RetryPolicy(max_attempts=1_000_000, base_delay=0.05, max_delay=5.0)
"""Streams never give up; waits grow from 50 ms to 5 s."""


class StreamGuard:
    """The reconnect bookkeeping of one stream.

    Parameters
    ----------
    name : str
        Names the stream in the log (``binance BTC/USDT 5m bars``).
    policy : RetryPolicy
        Backoff between attempts (``max_attempts`` is ignored: streams retry forever).
    sleep : callable
        ``await sleep(seconds)``.
    rng : random.Random
        Jitter source.
    on_connection : callable, optional
        ``on_connection(connected)`` when the stream drops and when it is back.
    """

    def __init__(
        self,
        name: str,
        policy: RetryPolicy,
        sleep: Sleep,
        rng: random.Random,
        on_connection: Callable[[bool], None] | None = None,
    ) -> None:
        self.name = name
        self.policy = policy
        self.sleep = sleep
        self.rng = rng
        self.on_connection = on_connection
        self.connected: bool | None = None
        self.failures = 0
        self.failures_total = 0
        self.reconnects = 0

    async def next(self, watch: Callable[[], Awaitable[T]]) -> tuple[T, bool]:
        """The next message of ``watch()``, retrying through failures; and whether it is the
        first one after a disconnection (the caller backfills then).

        Raises
        ------
        PermanentVenueError
            When the venue refuses the subscription for good.
        """
        while True:
            try:
                message = await watch()
            except Exception as error:  # every failure of a stream is judged here
                await self._failed(error)
                continue
            return message, self._succeeded()

    async def _failed(self, error: Exception) -> None:
        mapped = _stream_error(error)
        if isinstance(mapped, PermanentVenueError) and not isinstance(mapped, MalformedReplyError):
            raise mapped from error
        if self.connected is not False:
            _log.warning("%s: stream lost (%s); reconnecting", self.name, mapped)
            self.connected = False
            if self.on_connection is not None:
                self.on_connection(False)
        wait = self.policy.delay(min(self.failures, 30), self.rng)
        self.failures += 1
        self.failures_total += 1
        await self.sleep(wait)

    def assume_back(self, failures_total: int) -> bool:
        """Take the stream as back when no failure came since ``failures_total`` was read
        (a quiet stream, such as the user stream of an idle account, sends no message to
        prove it); True when that changed the state."""
        if self.connected is not False or self.failures_total != failures_total:
            return False
        self._succeeded()
        return True

    def _succeeded(self) -> bool:
        self.failures = 0
        was_down = self.connected is False
        if self.connected is not True:
            if was_down:
                self.reconnects += 1
                _log.warning("%s: stream back", self.name)
            self.connected = True
            if self.on_connection is not None:
                self.on_connection(True)
        return was_down


def _stream_error(error: Exception) -> VenueError:
    mapped = map_error(error)
    if type(error).__module__.startswith("ccxt") or isinstance(error, VenueError | OSError):
        return mapped
    _log.error("stream message could not be read (%s: %s)", type(error).__name__, error)
    return VenueUnavailableError(f"unreadable stream message: {error}", str(error))
