"""One ccxt exchange behind a rate limiter, a circuit breaker, error mapping and retries.

Every REST call of the adapters goes through :meth:`VenueSession.call` (retried on transient
errors: reads, cancels, queries) or :meth:`VenueSession.once` (a single attempt: order
placement, whose retries need the idempotency rule of the execution client). Each attempt:

1. waits for the rate limiter (the method's weight);
2. asks the circuit breaker (fails fast while it is open);
3. calls ccxt, timing the round trip (reported to ``on_latency``);
4. maps a failure to a tradeforge error (:func:`~tradeforge.adapters.ccxt.errors.map_error`),
   honours a ``Retry-After``, and tells the breaker whether the venue answered.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tradeforge.adapters.ccxt.breaker import CircuitBreaker
from tradeforge.adapters.ccxt.errors import (
    CircuitOpenError,
    TransientVenueError,
    VenueError,
    map_error,
)
from tradeforge.adapters.ccxt.rate_limit import RateLimiter
from tradeforge.adapters.ccxt.retry import RetryPolicy, Sleep, retry
from tradeforge.adapters.ccxt.venues import VenueProfile

_log = logging.getLogger("tradeforge.adapters")


@dataclass(frozen=True, slots=True)
class SessionSettings:
    """How patient a session is.

    Parameters
    ----------
    retry : RetryPolicy
        Backoff of transient errors.
    breaker_threshold : int
        Consecutive outages that open the circuit.
    breaker_cooldown : float
        Seconds the circuit stays open.
    """

    retry: RetryPolicy = field(default_factory=RetryPolicy)
    breaker_threshold: int = 5
    breaker_cooldown: float = 30.0


class VenueSession:
    """Calls one ccxt (async) exchange with limits, a breaker and retries.

    Parameters
    ----------
    exchange : ccxt.async_support.Exchange or ccxt.pro.Exchange
        The exchange, built with ``enableRateLimit=False`` (this session limits).
    profile : VenueProfile
        The venue's weights and quirks.
    settings : SessionSettings
        Retries and breaker.
    now : callable
        Monotonic seconds (limiter, breaker, latency).
    sleep : callable
        ``await sleep(seconds)``.
    rng : random.Random, optional
        Jitter source.
    on_connection : callable, optional
        ``on_connection(connected)`` when the circuit opens or closes.
    on_latency : callable, optional
        ``on_latency(ms)`` after every answered call.
    """

    def __init__(
        self,
        exchange: Any,
        profile: VenueProfile,
        settings: SessionSettings | None = None,
        *,
        now: Callable[[], float] = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
        on_connection: Callable[[bool], None] | None = None,
        on_latency: Callable[[float], None] | None = None,
    ) -> None:
        self.exchange = exchange
        self.profile = profile
        self.settings = settings or SessionSettings()
        self.now = now
        self.sleep = sleep
        self.rng = rng or random.Random()
        self.limiter = RateLimiter(profile.rate_limits, now, sleep)
        self.breaker = CircuitBreaker(
            self.settings.breaker_threshold, self.settings.breaker_cooldown, now,
            on_connection, name=profile.exchange_id,
        )  # fmt: skip
        self.on_latency = on_latency
        self._slots: asyncio.Semaphore | None = None
        self.retries = 0
        """Retries made so far (for reports)."""

    @property
    def venue(self) -> str:
        """The ccxt exchange id."""
        return str(self.exchange.id)

    async def once(self, method: str, *args: Any, **kwargs: Any) -> Any:
        """One attempt of ``exchange.<method>(*args, **kwargs)``.

        Raises
        ------
        VenueError
            The mapped failure (:class:`CircuitOpenError` without sending while open).
        """
        await self.limiter.acquire(method, kwargs)
        async with self._in_flight():  # a burst waits here, not inside ccxt's timeout
            self.breaker.before_call()
            started = self.now()
            try:
                result = await getattr(self.exchange, method)(*args, **kwargs)
            except Exception as error:  # every ccxt and network failure is mapped
                mapped = self._failed(method, error)
                raise mapped from error
        self.breaker.record_success()
        self._measured(started)
        return result

    def _in_flight(self) -> asyncio.Semaphore:
        """The requests allowed on the wire at once (:attr:`VenueProfile.max_in_flight`),
        made on first use so it belongs to the loop that runs the session."""
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.profile.max_in_flight)
        return self._slots

    async def call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        """``exchange.<method>(...)`` retried on transient errors (see :func:`retry`)."""

        def counted(attempt: int, error: TransientVenueError, delay: float) -> None:
            self.retries += 1

        return await retry(
            lambda: self.once(method, *args, **kwargs),
            self.settings.retry,
            sleep=self.sleep,
            rng=self.rng,
            on_retry=counted,
            what=f"{self.venue}.{method}",
        )

    def _failed(self, method: str, error: Exception) -> VenueError:
        headers = getattr(self.exchange, "last_response_headers", None)
        mapped = map_error(error, headers if isinstance(headers, dict) else None)
        if isinstance(mapped, CircuitOpenError):
            return mapped
        if mapped.is_outage:
            self.breaker.record_failure()
        else:
            self.breaker.record_success()  # the venue answered (a refusal, a 429)
        retry_after = getattr(mapped, "retry_after", None)
        if retry_after:
            self.limiter.hold(retry_after)
        _log.info("%s.%s: %s", self.venue, method, mapped)
        return mapped

    def _measured(self, started: float) -> None:
        if self.on_latency is not None:
            self.on_latency((self.now() - started) * 1000.0)
