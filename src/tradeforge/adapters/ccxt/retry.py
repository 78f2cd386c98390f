"""Exponential backoff with full jitter, for transient venue errors only.

Attempt ``n`` (0 for the first retry) waits a uniformly random time in
``[0, min(max_delay, base_delay × factor**n)]`` ("full jitter": many clients that failed
together do not retry together), and at least what the venue asked for in ``Retry-After``.
Permanent errors are raised at once: retrying a refused order or a bad key cannot help.

Sleep and randomness are injected, so tests run the policy without waiting and with exact
delays.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from tradeforge.adapters.ccxt.errors import TransientVenueError

T = TypeVar("T")
Sleep = Callable[[float], Awaitable[None]]
OnRetry = Callable[[int, TransientVenueError, float], None]

_log = logging.getLogger("tradeforge.adapters")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how patiently to retry.

    Parameters
    ----------
    max_attempts : int
        Calls in all, the first included (1: never retry).
    base_delay : float
        Seconds: the ceiling of the first retry's wait.
    max_delay : float
        Seconds: no wait's ceiling exceeds it.
    factor : float
        Growth of the ceiling per attempt.
    """

    max_attempts: int = 5
    base_delay: float = 0.25
    max_delay: float = 10.0
    factor: float = 2.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {self.max_attempts}")
        if not 0 <= self.base_delay <= self.max_delay:
            raise ValueError(
                f"delays must satisfy 0 <= base_delay ({self.base_delay}) "
                f"<= max_delay ({self.max_delay})"
            )
        if self.factor < 1:
            raise ValueError(f"factor must be at least 1, got {self.factor}")

    def ceiling(self, attempt: int) -> float:
        """The longest wait before retry ``attempt`` (0-based)."""
        return float(min(self.max_delay, self.base_delay * self.factor**attempt))

    def delay(self, attempt: int, rng: random.Random, retry_after: float | None = None) -> float:
        """The wait before retry ``attempt``: full jitter, at least ``retry_after``."""
        jitter = rng.uniform(0.0, self.ceiling(attempt))
        return max(jitter, retry_after or 0.0)


async def retry(
    call: Callable[[], Awaitable[T]],
    policy: RetryPolicy,
    *,
    sleep: Sleep = asyncio.sleep,
    rng: random.Random | None = None,
    on_retry: OnRetry | None = None,
    what: str = "venue call",
) -> T:
    """``await call()``, retried on :class:`TransientVenueError` with backoff.

    Parameters
    ----------
    call : callable
        Makes a fresh attempt each time it is called; must raise tradeforge venue errors
        (see :func:`~tradeforge.adapters.ccxt.errors.map_error`).
    policy : RetryPolicy
        Attempts and delays.
    sleep : callable
        ``await sleep(seconds)``; injected by tests.
    rng : random.Random, optional
        The jitter's source (a fresh, unseeded one by default).
    on_retry : callable, optional
        ``on_retry(attempt, error, delay)`` before each wait.
    what : str
        Names the call in the log.

    Raises
    ------
    TransientVenueError
        The last error when every attempt failed.
    PermanentVenueError
        At once, on the first permanent error.
    """
    source = rng or random.Random()
    attempt = 0
    while True:
        try:
            return await call()
        except TransientVenueError as error:
            if attempt + 1 >= policy.max_attempts:
                raise
            wait = policy.delay(attempt, source, error.retry_after)
            _log.info("%s failed (%s); retry %d in %.3f s", what, error, attempt + 1, wait)
            if on_retry is not None:
                on_retry(attempt, error, wait)
            await sleep(wait)
            attempt += 1
