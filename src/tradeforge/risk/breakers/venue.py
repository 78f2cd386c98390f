"""Breakers on the link to the market: the venue's round trip, stale data or a lost
connection, and the rate of rejected orders.

They are fed explicitly: :meth:`LatencyBreaker.record` with each measured round trip,
:meth:`ConnectionBreaker.set_connected` when the venue connection drops or returns,
:meth:`ErrorRateBreaker.record` with each rejection. Stale data is read from the execution
series' cursors whenever the breaker is checked.
"""

from __future__ import annotations

import math
from collections import deque
from datetime import UTC, datetime
from typing import Any

from tradeforge.data.replay import BarSeries
from tradeforge.risk.breaker_limits import ConnectionBreaker as ConnectionLimits
from tradeforge.risk.breaker_limits import ErrorRateBreaker as ErrorRateLimits
from tradeforge.risk.breaker_limits import LatencyBreaker as LatencyLimits
from tradeforge.risk.breakers.base import BreakerLevel, CircuitBreaker, _nanos
from tradeforge.risk.checks.text import span


class LatencyBreaker(CircuitBreaker):
    """The latest venue round trip measured, in milliseconds (levels are durations).

    Parameters
    ----------
    limits : LatencyBreaker limits
    """

    name = "latency"

    def __init__(self, limits: LatencyLimits) -> None:
        super().__init__(limits)
        self.latest_ms: float | None = None

    def record(self, ms: float) -> None:
        """A round trip of ``ms`` milliseconds was measured."""
        self.latest_ms = float(ms)

    def measure(self, now: int) -> float | None:
        """The latest round trip, ms."""
        return self.latest_ms

    def reaches(self, value: Any, threshold: Any) -> bool:
        """Whether ``value`` ms is at least the ``threshold`` duration."""
        return bool(value >= self.as_number(threshold))

    def as_number(self, value: Any) -> float:
        """Durations as milliseconds."""
        if value is None:
            return float("nan")
        return value.total_seconds() * 1000 if hasattr(value, "total_seconds") else float(value)

    def describe(self, value: Any) -> str:
        """``the venue round trip took 2500 ms``."""
        if value is None:
            return "no round trip measured yet"
        return f"the venue round trip took {value:g} ms"

    def threshold_text(self, level: BreakerLevel) -> str:
        """``2000 ms``."""
        return f"{self.as_number(self.threshold(level)):g} ms"


class ConnectionBreaker(CircuitBreaker):
    """Bars missed by the most stale series; a disconnected venue misses them all.

    A series has missed ``(now - last close - 1) // interval`` bars: those that should have
    closed before ``now`` and did not (a bar closing at ``now`` may still be on its way).

    Parameters
    ----------
    limits : ConnectionBreaker limits
    series : list of BarSeries
        The execution series of the traded symbols.
    """

    name = "connection"

    def __init__(self, limits: ConnectionLimits, series: list[BarSeries]) -> None:
        super().__init__(limits)
        self._series = series
        self.connected = True
        self._stale: tuple[BarSeries, int] | None = None

    def set_connected(self, connected: bool) -> None:
        """The venue connection dropped (``False``) or is back (``True``)."""
        self.connected = connected

    def measure(self, now: int) -> float:
        """Missed bars of the most stale series (infinite while disconnected)."""
        if not self.connected:
            return math.inf
        worst, self._stale = 0, None
        for series in self._series:
            i = series.cursor.i
            if i < 0:
                continue
            last = int(series.ts_close[i])
            missed = (now - last - 1) // series.timeframe.nanos
            if missed > worst:
                worst, self._stale = missed, (series, last)
        return worst

    def describe(self, value: Any) -> str:
        """``3 BTC/USDT 1h bars missed since 2024-01-01 05:00 UTC`` or ``the venue is
        disconnected``."""
        if value == math.inf:
            return "the venue is disconnected"
        if self._stale is None:
            return "bars arrive on time"
        series, last = self._stale
        since = datetime.fromtimestamp(last / 1e9, tz=UTC).strftime("%Y-%m-%d %H:%M")
        bars = "bar" if value == 1 else "bars"
        return f"{value} {series.symbol} {series.timeframe} {bars} missed since {since} UTC"

    def threshold_text(self, level: BreakerLevel) -> str:
        """``3 missed bars``."""
        count = self.threshold(level)
        return f"{count} missed bar{'' if count == 1 else 's'}"


class ErrorRateBreaker(CircuitBreaker):
    """Rejected orders within the sliding window ``per`` (``now - per < t <= now``).

    Parameters
    ----------
    limits : ErrorRateBreaker limits
    """

    name = "error_rate"

    def __init__(self, limits: ErrorRateLimits) -> None:
        super().__init__(limits)
        self._per = limits.per
        self._per_ns = _nanos(limits.per)
        self._times: deque[int] = deque()

    def record(self, ts: int) -> None:
        """An order was rejected at ``ts``."""
        self._times.append(ts)

    def measure(self, now: int) -> int:
        """Rejections within the window ending ``now``."""
        times, start = self._times, now - self._per_ns
        while times and times[0] <= start:
            times.popleft()
        return len(times)

    def describe(self, value: Any) -> str:
        """``10 orders rejected in the last 1m``."""
        return f"{value} order{'' if value == 1 else 's'} rejected in the last {span(self._per)}"
