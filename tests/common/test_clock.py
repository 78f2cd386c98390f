from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from tradeforge.common.clock import ClockError, LiveClock, TestClock, TimeEvent

SECOND = 1_000_000_000


def fire(due: list[tuple[TimeEvent, object]]) -> list[tuple[str, int]]:
    return [(event.name, event.ts_event // SECOND) for event, _ in due]


def test_test_clock_moves_only_when_told() -> None:
    clock = TestClock(start_ns=1_621_431_432 * SECOND)
    assert clock.timestamp_ns() == 1_621_431_432 * SECOND
    assert clock.utc_now() == datetime(2021, 5, 19, 13, 37, 12, tzinfo=UTC)
    clock.advance_time(1_621_431_500 * SECOND)
    assert clock.utc_now() == datetime(2021, 5, 19, 13, 38, 20, tzinfo=UTC)


def test_timers_fire_in_time_order_up_to_the_new_time() -> None:
    # Events due at the same instant come in timer-name order: deterministic across runs.
    clock = TestClock(start_ns=0)
    noop = lambda event: None  # noqa: E731
    clock.set_timer("every-10s", 10 * SECOND, noop)
    clock.set_timer("every-25s", 25 * SECOND, noop, stop_ns=60 * SECOND)
    clock.set_time_alert("alert-at-33s", 33 * SECOND, noop)
    assert clock.next_event_ns() == 10 * SECOND
    assert fire(clock.advance_time(55 * SECOND)) == [
        ("every-10s", 10), ("every-10s", 20), ("every-25s", 25), ("every-10s", 30),
        ("alert-at-33s", 33), ("every-10s", 40), ("every-10s", 50), ("every-25s", 50),
    ]  # fmt: skip
    assert clock.timestamp_ns() == 55 * SECOND
    assert clock.timer_names == ["every-10s"]  # the 25s timer stops at 60s, the alert is done
    assert fire(clock.advance_time(61 * SECOND)) == [("every-10s", 60)]


def test_cancelled_timers_do_not_fire_and_names_can_be_reused() -> None:
    clock = TestClock()
    seen: list[str] = []
    clock.set_timer("t", 5, lambda e: seen.append("old"))
    clock.cancel_timer("t")
    clock.set_timer("t", 7, lambda e: seen.append("new"))
    for event, callback in clock.advance_time(14):
        callback(event)
    assert seen == ["new", "new"]
    clock.cancel_timer("unknown")


def test_clock_errors() -> None:
    clock = TestClock(start_ns=100)
    with pytest.raises(ClockError, match="time cannot run backwards: now 100, asked 99"):
        clock.advance_time(99)
    with pytest.raises(ClockError, match="interval must be positive"):
        clock.set_timer("x", 0, lambda e: None)
    clock.set_timer("x", 1, lambda e: None)
    with pytest.raises(ClockError, match="timer 'x' already set"):
        clock.set_timer("x", 1, lambda e: None)
    with pytest.raises(ClockError, match="before now"):
        clock.set_time_alert("late", 50, lambda e: None)


def test_live_clock_fires_timers_on_the_loop() -> None:
    async def scenario() -> list[str]:
        clock = LiveClock()
        seen: list[str] = []
        clock.set_timer("tick", 10_000_000, lambda e: seen.append(e.name))  # 10 ms
        clock.set_time_alert(
            "once", clock.timestamp_ns() + 15_000_000, lambda e: seen.append(e.name)
        )
        await asyncio.sleep(0.035)
        clock.cancel_timer("tick")
        assert clock.timer_names == []
        return seen

    seen = asyncio.run(scenario())
    assert seen.count("once") == 1
    assert seen.count("tick") >= 2
    assert abs(LiveClock().timestamp_ns() - int(datetime.now(UTC).timestamp() * SECOND)) < SECOND
