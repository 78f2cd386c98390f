"""The token bucket's arithmetic is exact; weights are data; a 429's Retry-After is honoured."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from fractions import Fraction

import pytest

from tradeforge.adapters.ccxt.errors import RateLimitedError
from tradeforge.adapters.ccxt.factory import build_session
from tradeforge.adapters.ccxt.rate_limit import RateLimiter, RateLimits, TokenBucket
from tradeforge.adapters.ccxt.retry import RetryPolicy
from tradeforge.adapters.ccxt.session import SessionSettings, VenueSession
from tradeforge.adapters.ccxt.venues import BINANCE_LIMITS, profile_of
from tradeforge.sandbox import SandboxServer

from .conftest import FakeClock, Sleeps, closing, run, session_for


def test_a_full_bucket_lets_its_capacity_through_then_charges_the_debt() -> None:
    clock = FakeClock(100.0)
    bucket = TokenBucket(10, Fraction(2), clock)  # 10 tokens, 2 per second
    assert [bucket.reserve(4), bucket.reserve(4), bucket.reserve(2)] == [0, 0, 0]
    assert bucket.tokens == 0
    assert bucket.reserve(3) == Fraction(3, 2)  # 3 tokens at 2/s
    assert bucket.reserve(1) == 2  # queued behind the first debt
    clock.advance(2)
    assert bucket.tokens == 0
    clock.advance(10)
    assert bucket.tokens == 10  # never above capacity


def test_refill_is_exact_for_any_rate() -> None:
    clock = FakeClock()
    bucket = TokenBucket(6000, Fraction(6000, 60), clock)
    assert bucket.reserve(6000) == 0
    clock.advance(0.1)  # 10 tokens back
    assert bucket.reserve(20) == Fraction(1, 10)
    clock.advance(0.1)
    assert bucket.tokens == 0


def test_hold_blocks_until_retry_after_and_empties_the_bucket() -> None:
    clock = FakeClock()
    bucket = TokenBucket(10, Fraction(1), clock)
    bucket.hold(7)
    assert bucket.tokens == 0
    assert bucket.reserve(1) == 7  # the hold, not the debt of 1 s, decides
    clock.advance(7)
    assert bucket.reserve(1) == 0  # the debt of 1 was paid back during the hold
    assert bucket.tokens == 5
    with pytest.raises(ValueError, match="exceeds the bucket's capacity"):
        bucket.reserve(11)


def test_weights_come_from_the_venue_table() -> None:
    limits = BINANCE_LIMITS
    assert limits.weight_of("fetch_ohlcv") == 2
    assert limits.weight_of("fetch_balance") == 20
    assert limits.weight_of("create_order") == 1
    assert limits.weight_of("some_unlisted_method") == 1
    limits_asked = (None, 5, 100, 101, 1000, 5000, 9999)
    weights = [limits.weight_of("fetch_order_book", n) for n in limits_asked]
    assert weights == [5, 5, 5, 25, 50, 250, 250]
    assert profile_of("kraken").rate_limits.weight_of("fetch_ohlcv") == 1


def test_the_limiter_sleeps_exactly_what_the_bucket_says() -> None:
    clock = FakeClock()
    sleeps = Sleeps(clock)
    limiter = RateLimiter(
        RateLimits(capacity=10, period=10, weights={"fetch_balance": 6}), clock, sleeps
    )

    async def calls() -> list[float]:
        return [await limiter.acquire("fetch_balance") for _ in range(3)]

    assert run(calls()) == [0.0, 2.0, 6.0]
    assert sleeps.calls == [2.0, 6.0]
    assert limiter.waited == 8.0


def test_a_429_with_retry_after_is_waited_out_then_retried(paused: SandboxServer) -> None:
    sleeps = Sleeps()
    settings = SessionSettings(retry=RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.01))
    session = session_for(paused, settings, sleep=sleeps)

    async def scenario() -> float:
        await session.call("load_markets")
        paused.error_burst(1, status=429, retry_after=7)
        ticker = await session.call("fetch_ticker", "BTC/USDT")
        return float(ticker["last"])

    assert run(closing(session, scenario())) == 29331.70
    assert sleeps.calls[0] == 7.0  # the retry waited the Retry-After
    assert session.retries == 1
    assert session.breaker.failures == 0  # a 429 is no outage


def test_a_429_holds_every_later_request(paused: SandboxServer) -> None:
    clock = FakeClock()
    sleeps = Sleeps(clock)
    session = session_for(
        paused, SessionSettings(retry=RetryPolicy(max_attempts=1)), now=clock, sleep=sleeps
    )

    async def scenario() -> None:
        await session.call("load_markets")
        paused.error_burst(1, status=429, retry_after=3)
        with pytest.raises(RateLimitedError) as caught:
            await session.call("fetch_time")
        assert caught.value.retry_after == 3.0
        await session.call("fetch_time")

    run(closing(session, scenario()))
    assert sleeps.calls == [3.0]  # the next request waited for the hold


def test_a_session_can_keep_to_another_budget_with_the_venue_weights() -> None:
    """An account on a higher tier (or a sandbox): the budget changes, the weights do not."""
    session = build_session("binance", url="http://127.0.0.1:9", weight_per_minute=60_000)
    assert session.limiter.limits.capacity == 60_000
    assert session.limiter.limits.period == 60
    assert session.limiter.limits.weight_of("fetch_balance") == 20
    assert build_session("binance").limiter.limits.capacity == 6000


def test_a_burst_waits_for_a_free_slot_before_it_is_sent() -> None:
    """At most ``max_in_flight`` requests are on the wire; the others wait unsent, in order."""

    class Venue:
        id = "binance"

        def __init__(self) -> None:
            self.on_wire, self.most, self.order = 0, 0, []

        async def create_order(self, n: int) -> int:
            self.on_wire += 1
            self.most = max(self.most, self.on_wire)
            self.order.append(n)
            await asyncio.sleep(0.01)
            self.on_wire -= 1
            return n

    venue = Venue()
    profile = replace(profile_of("binance"), max_in_flight=3)
    session = VenueSession(venue, profile)

    async def burst() -> list[int]:
        return list(await asyncio.gather(*(session.once("create_order", n) for n in range(20))))

    assert run(burst()) == list(range(20))
    assert (venue.most, venue.order) == (3, list(range(20)))
