"""The node's clock: market time from the bars, carried forward by the wall clock.

A venue's market time is what its bars say. On an exchange it is the wall clock; on the
sandbox, which replays a day in minutes, it is not. The node's engines therefore read a
:class:`NodeClock`:

* while a bar is dispatched (the paper exchange matching it, the strategies' ``on_bar``), the
  clock stands at the bar's close, exactly as in a backtest, so orders get the same times
  and ids and a market order sent at a close becomes active at the next bar's open;
* between bars it runs on from the last close at the wall clock's pace (venue events,
  timers, the kill switch get a current time on a real venue). On a real venue a bar arrives
  a moment after its close, so the reading between bars may run up to that delay past the
  close the next dispatch stands at; bar times themselves never run backwards.

Timers (``Strategy.set_timer``) are kept here, as on the backtest's ``TestClock``, and fired
by the node's loop on the kernel's thread (:meth:`NodeClock.due`), never from another thread.
"""

from __future__ import annotations

from datetime import UTC, datetime

from tradeforge.common.clock import (
    NANOS_PER_SECOND,
    Clock,
    LiveClock,
    TestClock,
    TimeEvent,
    TimerCallback,
)


class NodeClock:
    """Market time for the node's engines (a :class:`~tradeforge.common.clock.Clock`).

    Parameters
    ----------
    wall : Clock, optional
        The wall clock (default :class:`~tradeforge.common.clock.LiveClock`).
    start_ns : int
        The market time to start from (the close of the last history bar).
    """

    def __init__(self, wall: Clock | None = None, start_ns: int = 0) -> None:
        self.wall = wall or LiveClock()
        self._timers = TestClock(start_ns)
        self._base = start_ns
        self._wall_mark = self.wall.timestamp_ns()
        self._held = False

    # -- reading ----------------------------------------------------------------------------

    def timestamp_ns(self) -> int:
        """Now: the bar's close while a bar is dispatched, else the last close plus the wall
        time since."""
        if self._held:
            return self._base
        return self._base + max(0, self.wall.timestamp_ns() - self._wall_mark)

    def utc_now(self) -> datetime:
        """Now, as a UTC datetime."""
        return datetime.fromtimestamp(self.timestamp_ns() / NANOS_PER_SECOND, tz=UTC)

    @property
    def market_ns(self) -> int:
        """The time last held: the close of the last bar dispatched."""
        return self._base

    # -- moving -----------------------------------------------------------------------------

    def hold(self, ts_ns: int) -> None:
        """Stand at ``ts_ns`` (a bar's open or close, a timer's time) until :meth:`release`;
        never before the time held last."""
        self._base = max(self._base, ts_ns)
        self._held = True

    def release(self) -> None:
        """Run on from where the clock stands, at the wall clock's pace."""
        self._wall_mark = self.wall.timestamp_ns()
        self._held = False

    def due(self, until_ns: int | None = None) -> list[tuple[TimeEvent, TimerCallback]]:
        """The timer events due up to ``until_ns`` (default now), in time order (the caller
        runs each, holding the clock at its time)."""
        until = self.timestamp_ns() if until_ns is None else until_ns
        if not self._timers.pending or until < self._timers.timestamp_ns():
            return []
        return self._timers.advance_time(until)

    # -- timers -----------------------------------------------------------------------------

    def set_timer(
        self,
        name: str,
        interval_ns: int,
        callback: TimerCallback,
        start_ns: int | None = None,
        stop_ns: int | None = None,
    ) -> None:
        """Fire every ``interval_ns`` from ``start_ns`` (default: the market time now)."""
        start = self.timestamp_ns() if start_ns is None else start_ns
        self._timers.set_timer(name, interval_ns, callback, start, stop_ns)

    def set_time_alert(self, name: str, alert_ns: int, callback: TimerCallback) -> None:
        """Fire once at ``alert_ns``."""
        self._timers.set_time_alert(name, alert_ns, callback)

    def cancel_timer(self, name: str) -> None:
        """Stop a timer or alert; unknown names are ignored."""
        self._timers.cancel_timer(name)

    @property
    def timer_names(self) -> list[str]:
        """Names of the active timers, sorted."""
        return self._timers.timer_names
