"""Injected clocks: engine code asks a clock for the time, never the operating system.

``TestClock`` is driven by the data (backtests and tests): time moves only when the engine calls
:meth:`TestClock.advance_time`, which returns the timer events that fell due, in time order.
``LiveClock`` reads the system clock and fires timers on the running asyncio loop. Both give
integer nanoseconds since the epoch, UTC.
"""

from __future__ import annotations

import asyncio
import heapq
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

NANOS_PER_SECOND = 1_000_000_000


class ClockError(ValueError):
    """A timer that cannot be set, or time asked to run backwards."""


@dataclass(frozen=True, slots=True)
class TimeEvent:
    """A timer firing: its name, the time it was due, and when it was handled."""

    name: str
    ts_event: int
    ts_init: int


TimerCallback = Callable[[TimeEvent], None]


class Clock(Protocol):
    """What engines need from a clock."""

    def timestamp_ns(self) -> int:
        """Now, in ns since the epoch UTC."""
        ...

    def utc_now(self) -> datetime:
        """Now, as a timezone-aware UTC datetime."""
        ...

    def set_timer(
        self,
        name: str,
        interval_ns: int,
        callback: TimerCallback,
        start_ns: int | None = None,
        stop_ns: int | None = None,
    ) -> None:
        """Fire ``callback`` every ``interval_ns`` from ``start_ns`` (or now) until ``stop_ns``."""
        ...

    def set_time_alert(self, name: str, alert_ns: int, callback: TimerCallback) -> None:
        """Fire ``callback`` once at ``alert_ns``."""
        ...

    def cancel_timer(self, name: str) -> None:
        """Stop a timer or alert; unknown names are ignored."""
        ...

    @property
    def timer_names(self) -> list[str]:
        """Names of the active timers, sorted."""
        ...


@dataclass(order=True)
class _Timer:
    next_ns: int
    name: str = field(compare=True)
    interval_ns: int = field(compare=False)
    stop_ns: int | None = field(compare=False)
    callback: TimerCallback = field(compare=False)


def _check_timer(name: str, interval_ns: int, names: list[str]) -> None:
    if not name:
        raise ClockError("a timer needs a name")
    if name in names:
        raise ClockError(f"timer {name!r} already set; cancel it first")
    if interval_ns <= 0:
        raise ClockError(f"timer {name!r}: interval must be positive, got {interval_ns} ns")


class _HasIndex(Protocol):
    i: int


class _Times(Protocol):
    def __getitem__(self, index: int, /) -> Any: ...


class TestClock:
    """A clock that moves only when told to: the clock of backtests and tests.

    Parameters
    ----------
    start_ns : int
        The initial time, ns since the epoch UTC.
    """

    __test__ = False  # not a pytest test class

    def __init__(self, start_ns: int = 0) -> None:
        self._now = start_ns
        self._follow: tuple[_Times, _HasIndex] | None = None
        self._followed = -1  # the cursor position last read (reading a numpy array is slow)
        self._timers: dict[str, _Timer] = {}
        self._heap: list[_Timer] = []
        self.pending = self._heap
        """Scheduled timers (a live list: an engine loop tests its truth to skip
        :meth:`advance_time` when there is nothing to fire)."""

    def timestamp_ns(self) -> int:
        """The current simulated time (at least the close of the followed bar)."""
        if self._follow is not None:
            times, cursor = self._follow
            i = cursor.i
            if i != self._followed and i >= 0:
                self._followed = i
                close = int(times[i])
                self._now = max(self._now, close)
        return self._now

    def follow(self, times: _Times | None, cursor: _HasIndex | None = None) -> None:
        """Keep time at least at ``times[cursor.i]`` (a replay's bar close times), read only
        when someone asks: a replay loop moves the cursor and never sets the clock per bar.
        ``None`` stops following."""
        self._follow = None if times is None or cursor is None else (times, cursor)
        self._followed = -1

    def utc_now(self) -> datetime:
        """The current simulated time as a UTC datetime (microsecond resolution)."""
        return datetime.fromtimestamp(self._now / NANOS_PER_SECOND, tz=UTC)

    def set_time(self, ts_ns: int) -> None:
        """Jump to ``ts_ns`` without firing timers (set-up only; engines use advance_time)."""
        self._now = ts_ns
        self._followed = -1

    def set_timer(
        self,
        name: str,
        interval_ns: int,
        callback: TimerCallback,
        start_ns: int | None = None,
        stop_ns: int | None = None,
    ) -> None:
        """Fire every ``interval_ns``; the first event is at ``start_ns + interval_ns``."""
        _check_timer(name, interval_ns, self.timer_names)
        first = (self._now if start_ns is None else start_ns) + interval_ns
        self._add(_Timer(first, name, interval_ns, stop_ns, callback))

    def set_time_alert(self, name: str, alert_ns: int, callback: TimerCallback) -> None:
        """Fire once at ``alert_ns`` (which must not be in the past)."""
        _check_timer(name, 1, self.timer_names)
        if alert_ns < self._now:
            raise ClockError(f"time alert {name!r} at {alert_ns} is before now ({self._now})")
        self._add(_Timer(alert_ns, name, 0, alert_ns, callback))

    def _add(self, timer: _Timer) -> None:
        self._timers[timer.name] = timer
        heapq.heappush(self._heap, timer)

    def cancel_timer(self, name: str) -> None:
        """Stop a timer or alert; unknown names are ignored."""
        self._timers.pop(name, None)

    @property
    def timer_names(self) -> list[str]:
        """Names of the active timers, sorted."""
        return sorted(self._timers)

    def next_event_ns(self) -> int | None:
        """When the next timer is due, or ``None`` without timers."""
        self._drop_cancelled()
        return self._heap[0].next_ns if self._heap else None

    def advance_time(self, to_ns: int) -> list[tuple[TimeEvent, TimerCallback]]:
        """Move time to ``to_ns`` and return the timer events due up to it, in time order.

        Events due at the same instant come in timer-name order, so runs are deterministic.

        The caller (the engine) runs the callbacks, each at its own event time, so that timer
        handlers see the clock where the event fell. Time never runs backwards.
        """
        self.timestamp_ns()
        if to_ns < self._now:
            raise ClockError(f"time cannot run backwards: now {self._now}, asked {to_ns}")
        due: list[tuple[TimeEvent, TimerCallback]] = []
        while (next_ns := self.next_event_ns()) is not None and next_ns <= to_ns:
            timer = heapq.heappop(self._heap)
            due.append((TimeEvent(timer.name, timer.next_ns, timer.next_ns), timer.callback))
            self._reschedule(timer)
        self._now = to_ns
        return due

    def _reschedule(self, timer: _Timer) -> None:
        following = timer.next_ns + timer.interval_ns
        if timer.interval_ns and (timer.stop_ns is None or following <= timer.stop_ns):
            timer.next_ns = following
            heapq.heappush(self._heap, timer)
        elif self._timers.get(timer.name) is timer:
            del self._timers[timer.name]

    def _drop_cancelled(self) -> None:
        while self._heap and self._timers.get(self._heap[0].name) is not self._heap[0]:
            heapq.heappop(self._heap)


class LiveClock:
    """The system clock; timers run on the asyncio loop that is running when they are set."""

    def __init__(self) -> None:
        self._handles: dict[str, asyncio.TimerHandle] = {}

    def timestamp_ns(self) -> int:
        """Now, from the operating system, ns since the epoch UTC."""
        return time.time_ns()

    def utc_now(self) -> datetime:
        """Now, as a UTC datetime."""
        return datetime.fromtimestamp(self.timestamp_ns() / NANOS_PER_SECOND, tz=UTC)

    def set_timer(
        self,
        name: str,
        interval_ns: int,
        callback: TimerCallback,
        start_ns: int | None = None,
        stop_ns: int | None = None,
    ) -> None:
        """Fire every ``interval_ns`` from ``start_ns`` (default now) on the running loop."""
        _check_timer(name, interval_ns, self.timer_names)
        first = (self.timestamp_ns() if start_ns is None else start_ns) + interval_ns
        self._schedule(name, first, interval_ns, stop_ns, callback)

    def set_time_alert(self, name: str, alert_ns: int, callback: TimerCallback) -> None:
        """Fire once at ``alert_ns`` on the running loop."""
        _check_timer(name, 1, self.timer_names)
        self._schedule(name, alert_ns, 0, alert_ns, callback)

    def _schedule(
        self, name: str, due_ns: int, interval_ns: int, stop_ns: int | None, callback: TimerCallback
    ) -> None:
        loop = asyncio.get_running_loop()
        delay = max(0.0, (due_ns - self.timestamp_ns()) / NANOS_PER_SECOND)

        def fire() -> None:
            self._handles.pop(name, None)
            following = due_ns + interval_ns
            if interval_ns and (stop_ns is None or following <= stop_ns):
                self._schedule(name, following, interval_ns, stop_ns, callback)
            callback(TimeEvent(name, due_ns, self.timestamp_ns()))

        self._handles[name] = loop.call_later(delay, fire)

    def cancel_timer(self, name: str) -> None:
        """Stop a timer or alert; unknown names are ignored."""
        handle = self._handles.pop(name, None)
        if handle is not None:
            handle.cancel()

    @property
    def timer_names(self) -> list[str]:
        """Names of the active timers, sorted."""
        return sorted(self._handles)
