"""A token bucket that honours endpoint weights, and the limiter the adapters call.

The bucket holds at most ``capacity`` tokens and refills ``capacity / period`` tokens per
second. A request of weight ``w`` takes ``w`` tokens; when fewer are left, it still takes them
(the bucket goes into debt) and is told how long to wait until the debt is paid back, so
concurrent callers are served in arrival order without polling. The arithmetic is exact
(:class:`fractions.Fraction`), so with an injected clock every wait is an exact number.

A venue's ``Retry-After`` holds every request back until that moment (:meth:`hold`).

The weights are data, per venue (see :mod:`tradeforge.adapters.ccxt.venues`): a ccxt method's
weight, with tiers for methods whose weight depends on a limit (Binance's order book).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from tradeforge.adapters.ccxt.retry import Sleep

Now = Callable[[], float]


@dataclass(frozen=True, slots=True)
class RateLimits:
    """A venue's request budget and the weight of each call.

    Parameters
    ----------
    capacity : int
        Weight allowed per ``period`` (Binance spot: 6000 per minute).
    period : float
        Seconds.
    weights : mapping
        ccxt method name → weight; methods not listed weigh ``default_weight``.
    tiers : mapping
        ccxt method name → ``((max_limit, weight), ...)`` ascending: the weight of a call
        whose ``limit`` argument is at most ``max_limit`` (the last tier for anything above,
        and the first when no limit is given).
    default_weight : int
        Weight of an unlisted method.
    """

    capacity: int
    period: float
    weights: Mapping[str, int] = field(default_factory=dict)
    tiers: Mapping[str, tuple[tuple[int, int], ...]] = field(default_factory=dict)
    default_weight: int = 1

    def weight_of(self, method: str, limit: int | None = None) -> int:
        """The weight of one call of ``method`` (with its ``limit``, for tiered methods)."""
        tiers = self.tiers.get(method)
        if tiers:
            if limit is None:
                return tiers[0][1]
            for max_limit, weight in tiers:
                if limit <= max_limit:
                    return weight
            return tiers[-1][1]
        return self.weights.get(method, self.default_weight)


class TokenBucket:
    """Tokens refilled continuously; requests take their weight, waiting when in debt.

    Parameters
    ----------
    capacity : int
        The most tokens the bucket holds (it starts full).
    refill_per_second : Fraction, int or float
        Tokens added per second.
    now : callable
        Monotonic seconds (``time.monotonic``; a fake clock in tests).
    """

    def __init__(self, capacity: int, refill_per_second: Fraction | float, now: Now) -> None:
        if capacity <= 0 or refill_per_second <= 0:
            raise ValueError("capacity and refill rate must be positive")
        self.capacity = Fraction(capacity)
        self.rate = exact(refill_per_second)
        self._now = now
        self._tokens = self.capacity
        self._stamp = exact(now())
        self._held_until = self._stamp

    @property
    def tokens(self) -> Fraction:
        """Tokens available now (negative while in debt)."""
        self._refill()
        return self._tokens

    def _refill(self) -> Fraction:
        now = exact(self._now())
        if now > self._stamp:
            self._tokens = min(self.capacity, self._tokens + (now - self._stamp) * self.rate)
            self._stamp = now
        return now

    def reserve(self, weight: int) -> Fraction:
        """Take ``weight`` tokens; the seconds to wait before sending (0 when covered).

        Raises
        ------
        ValueError
            When ``weight`` exceeds the capacity: such a request could never be sent.
        """
        if weight > self.capacity:
            raise ValueError(f"weight {weight} exceeds the bucket's capacity {self.capacity}")
        now = self._refill()
        self._tokens -= weight
        debt = -self._tokens / self.rate if self._tokens < 0 else Fraction(0)
        return max(debt, self._held_until - now)

    def hold(self, seconds: float) -> None:
        """Send nothing for ``seconds`` from now (a venue's ``Retry-After``); the bucket is
        emptied too, so the requests after the pause do not burst."""
        now = self._refill()
        self._held_until = max(self._held_until, now + exact(seconds))
        self._tokens = min(self._tokens, Fraction(0))


def exact(value: Fraction | float) -> Fraction:
    """``value`` as a fraction; a float through its shortest decimal form (``0.1`` is 1/10),
    so a clock reading decimal seconds gives exact waits."""
    return value if isinstance(value, Fraction) else Fraction(repr(value))


class RateLimiter:
    """Waits before each call until the venue's budget allows it.

    Parameters
    ----------
    limits : RateLimits
        The budget and weights.
    now : callable
        Monotonic seconds.
    sleep : callable
        ``await sleep(seconds)``.
    """

    def __init__(self, limits: RateLimits, now: Now, sleep: Sleep = asyncio.sleep) -> None:
        self.limits = limits
        self.bucket = TokenBucket(
            limits.capacity, Fraction(limits.capacity) / Fraction(limits.period), now
        )
        self._sleep = sleep
        self.waited = 0.0
        """Seconds spent waiting so far (for reports)."""

    async def acquire(self, method: str, args: Mapping[str, Any] | None = None) -> float:
        """Wait until a call of ``method`` may go; the seconds waited."""
        limit = (args or {}).get("limit")
        weight = self.limits.weight_of(method, limit if isinstance(limit, int) else None)
        wait = float(self.bucket.reserve(weight))
        if wait > 0:
            self.waited += wait
            await self._sleep(wait)
        return wait

    def hold(self, seconds: float) -> None:
        """Honour a ``Retry-After`` of ``seconds``."""
        self.bucket.hold(seconds)
