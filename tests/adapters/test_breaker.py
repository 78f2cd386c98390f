"""The circuit breaker opens after N consecutive outages, fails fast, retries after a cooldown,
and tells the risk engine's connection breaker."""

from __future__ import annotations

import math
from datetime import timedelta

import pytest

from tradeforge.adapters.ccxt.breaker import BreakerState, CircuitBreaker, ConnectionMonitor
from tradeforge.adapters.ccxt.errors import CircuitOpenError, VenueUnavailableError
from tradeforge.adapters.ccxt.loop import Inbox
from tradeforge.adapters.ccxt.retry import RetryPolicy
from tradeforge.adapters.ccxt.session import SessionSettings
from tradeforge.risk.breaker_limits import ConnectionBreaker as ConnectionLimits
from tradeforge.risk.breakers.venue import ConnectionBreaker
from tradeforge.sandbox import SandboxServer

from .conftest import FakeClock, closing, run, session_for


def test_opens_after_threshold_then_half_opens_after_cooldown() -> None:
    clock = FakeClock()
    changes: list[bool] = []
    breaker = CircuitBreaker(3, 10.0, clock, changes.append)
    for _ in range(2):
        breaker.before_call()
        breaker.record_failure()
    breaker.before_call()
    breaker.record_success()  # a success resets the count
    assert (breaker.state, breaker.failures) == (BreakerState.CLOSED, 0)
    for _ in range(3):
        breaker.before_call()
        breaker.record_failure()
    assert breaker.state is BreakerState.OPEN
    assert changes == [False]
    clock.advance(9.5)
    with pytest.raises(CircuitOpenError, match="next try in 0.5 s") as caught:
        breaker.before_call()
    assert caught.value.retry_after == 0.5
    clock.advance(0.5)
    breaker.before_call()  # the trial call
    assert breaker.state is BreakerState.HALF_OPEN
    with pytest.raises(CircuitOpenError, match="trial"):
        breaker.before_call()  # one trial at a time
    breaker.record_failure()  # the trial failed: open for another cooldown
    assert breaker.state is BreakerState.OPEN
    clock.advance(10)
    breaker.before_call()
    breaker.record_success()
    assert breaker.state is BreakerState.CLOSED
    assert changes == [False, True]


def test_the_monitor_reports_connected_only_when_every_link_is_up() -> None:
    verdicts: list[bool] = []
    monitor = ConnectionMonitor(verdicts.append)
    rest, stream = monitor.reporter("rest"), monitor.reporter("stream")
    stream(True)
    rest(False)
    stream(False)
    rest(True)
    stream(True)
    assert verdicts == [False, True]


def test_sandbox_outages_open_the_circuit_and_trip_the_connection_breaker(
    paused: SandboxServer,
) -> None:
    clock = FakeClock()
    inbox = Inbox()
    risk = ConnectionBreaker(ConnectionLimits(cooldown=timedelta(minutes=5)), [])
    monitor = ConnectionMonitor(lambda up: inbox.call(lambda: risk.set_connected(up)))
    settings = SessionSettings(
        retry=RetryPolicy(max_attempts=1), breaker_threshold=3, breaker_cooldown=30
    )
    session = session_for(paused, settings, now=clock, on_connection=monitor.reporter("rest"))

    async def scenario() -> list[str]:
        await session.call("load_markets")
        paused.error_burst(5, status=503)
        seen = []
        for _ in range(4):
            with pytest.raises((VenueUnavailableError, CircuitOpenError)) as caught:
                await session.call("fetch_time")
            seen.append(type(caught.value).__name__)
        clock.advance(30)
        paused.call(lambda s: s.faults.clear())
        await session.call("fetch_time")  # the trial call succeeds
        return seen

    seen = run(closing(session, scenario()))
    assert seen == ["VenueUnavailableError"] * 3 + ["CircuitOpenError"]
    assert inbox.drain(lambda m: None) == 2  # disconnected, then connected again
    assert risk.connected is True
    assert session.breaker.state is BreakerState.CLOSED


def test_the_connection_breaker_measures_a_disconnected_venue_as_infinite(
    paused: SandboxServer,
) -> None:
    risk = ConnectionBreaker(ConnectionLimits(), [])
    inbox = Inbox()
    settings = SessionSettings(retry=RetryPolicy(max_attempts=1), breaker_threshold=2)
    session = session_for(
        paused, settings, on_connection=lambda up: inbox.call(lambda: risk.set_connected(up))
    )

    async def scenario() -> None:
        await session.call("load_markets")
        paused.error_burst(2, status=502)
        for _ in range(2):
            with pytest.raises(VenueUnavailableError):
                await session.call("fetch_time")

    run(closing(session, scenario()))
    inbox.drain(lambda m: None)
    assert risk.measure(0) == math.inf
    assert risk.describe(risk.measure(0)) == "the venue is disconnected"
