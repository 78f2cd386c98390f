"""Exponential backoff with full jitter, on transient errors only."""

from __future__ import annotations

import random

import pytest

from tradeforge.adapters.ccxt.errors import (
    OrderRefusedError,
    RateLimitedError,
    VenueError,
    VenueTimeoutError,
    VenueUnavailableError,
)
from tradeforge.adapters.ccxt.retry import RetryPolicy, retry

from .conftest import Sleeps, run


class Flaky:
    """Fails with the given errors in turn, then answers ``"ok"``."""

    def __init__(self, *errors: VenueError) -> None:
        self.errors = list(errors)
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "ok"


def test_ceilings_grow_exponentially_up_to_the_cap() -> None:
    policy = RetryPolicy(base_delay=0.5, max_delay=3.0, factor=2.0)
    assert [policy.ceiling(n) for n in range(5)] == [0.5, 1.0, 2.0, 3.0, 3.0]


def test_delays_are_full_jitter_from_the_injected_rng() -> None:
    policy = RetryPolicy(base_delay=1.0, max_delay=8.0)
    reference = random.Random(7)
    expected = [reference.uniform(0.0, c) for c in (1.0, 2.0, 4.0, 8.0)]
    rng = random.Random(7)
    assert [policy.delay(n, rng) for n in range(4)] == expected


def test_retry_after_is_a_floor() -> None:
    policy = RetryPolicy(base_delay=1.0, max_delay=1.0)
    rng = random.Random(1)
    jitter = random.Random(1).uniform(0.0, 1.0)
    assert policy.delay(0, rng, retry_after=7.0) == 7.0
    assert policy.delay(0, random.Random(1), retry_after=0.0) == jitter


def test_transient_errors_are_retried_with_the_policy_delays() -> None:
    sleeps = Sleeps()
    flaky = Flaky(VenueUnavailableError("503"), VenueTimeoutError("timeout"))
    policy = RetryPolicy(max_attempts=3, base_delay=1.0, max_delay=10.0)
    reference = random.Random(3)
    assert run(retry(flaky, policy, sleep=sleeps, rng=random.Random(3))) == "ok"
    assert flaky.calls == 3
    assert sleeps.calls == [reference.uniform(0, 1.0), reference.uniform(0, 2.0)]


def test_the_last_transient_error_is_raised_when_attempts_run_out() -> None:
    sleeps = Sleeps()
    flaky = Flaky(*[VenueUnavailableError(f"503 #{n}") for n in range(3)])
    with pytest.raises(VenueUnavailableError, match="503 #1"):
        run(retry(flaky, RetryPolicy(max_attempts=2), sleep=sleeps, rng=random.Random(0)))
    assert flaky.calls == 2
    assert len(sleeps.calls) == 1


def test_permanent_errors_are_never_retried() -> None:
    sleeps = Sleeps()
    flaky = Flaky(OrderRefusedError("LOT_SIZE"))
    with pytest.raises(OrderRefusedError):
        run(retry(flaky, RetryPolicy(max_attempts=5), sleep=sleeps))
    assert (flaky.calls, sleeps.calls) == (1, [])


def test_a_rate_limit_waits_at_least_its_retry_after() -> None:
    sleeps = Sleeps()
    seen: list[tuple[int, str, float]] = []
    flaky = Flaky(RateLimitedError("429", retry_after=4.0))
    policy = RetryPolicy(base_delay=0.1, max_delay=0.1)
    result = run(
        retry(
            flaky, policy, sleep=sleeps, rng=random.Random(0),
            on_retry=lambda n, error, wait: seen.append((n, str(error), wait)),
        )
    )  # fmt: skip
    assert result == "ok"
    assert sleeps.calls == [4.0]
    assert seen == [(0, "429", 4.0)]


@pytest.mark.parametrize(
    "settings",
    [
        {"max_attempts": 0},
        {"base_delay": 2.0, "max_delay": 1.0},
        {"base_delay": -1.0},
        {"factor": 0.5},
    ],
)
def test_inconsistent_policies_are_refused(settings: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="must"):
        RetryPolicy(**settings)  # type: ignore[arg-type]
