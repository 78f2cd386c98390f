"""A consecutive-failure circuit breaker on a venue link, reporting to the risk engine.

* **closed**: calls go through; each outage (:attr:`VenueError.is_outage`) adds one to a
  count that any success resets. ``threshold`` outages in a row open the circuit.
* **open**: calls fail at once with :class:`CircuitOpenError` (nothing is sent) until
  ``cooldown`` seconds have passed.
* **half-open**: one trial call goes through; its success closes the circuit, its failure
  opens it again for another ``cooldown``.

Opening reports the venue as disconnected and closing as connected again, through
``on_change`` (wire it to :meth:`tradeforge.risk.breakers.venue.ConnectionBreaker.set_connected`,
through the node's inbox so the kernel hears it on its own thread).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from enum import Enum
from typing import Protocol

from tradeforge.adapters.ccxt.errors import CircuitOpenError

_log = logging.getLogger("tradeforge.adapters")


class ConnectionSink(Protocol):
    """What hears of the venue link going down and coming back (the risk engine's
    ``ConnectionBreaker``)."""

    def set_connected(self, connected: bool) -> None:
        """The link dropped (``False``) or is back (``True``)."""
        ...


class LatencySink(Protocol):
    """What hears of each measured round trip (the risk engine's ``LatencyBreaker``)."""

    def record(self, ms: float) -> None:
        """A round trip of ``ms`` milliseconds."""
        ...


class BreakerState(Enum):
    """Where the circuit is."""

    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitBreaker:
    """Opens after ``threshold`` consecutive outages; retries after ``cooldown``.

    Parameters
    ----------
    threshold : int
        Consecutive outages that open the circuit.
    cooldown : float
        Seconds the circuit stays open before one trial call.
    now : callable
        Monotonic seconds.
    on_change : callable, optional
        ``on_change(connected)`` when the circuit opens (False) or closes again (True).
    name : str
        Names the link in the log.
    """

    def __init__(
        self,
        threshold: int,
        cooldown: float,
        now: Callable[[], float],
        on_change: Callable[[bool], None] | None = None,
        name: str = "venue",
    ) -> None:
        if threshold < 1 or cooldown < 0:
            raise ValueError("threshold must be at least 1 and cooldown not negative")
        self.threshold = threshold
        self.cooldown = cooldown
        self._now = now
        self.on_change = on_change
        self.name = name
        self.state = BreakerState.CLOSED
        self.failures = 0
        self._opened_at = 0.0
        self._trial = False

    def before_call(self) -> None:
        """Let a call through, or raise :class:`CircuitOpenError` while open."""
        if self.state is BreakerState.CLOSED:
            return
        if self.state is BreakerState.OPEN:
            remaining = self._opened_at + self.cooldown - self._now()
            if remaining > 0:
                raise CircuitOpenError(
                    f"{self.name}: circuit open after {self.failures} outages; "
                    f"next try in {remaining:.1f} s",
                    retry_after=remaining,
                )
            self.state = BreakerState.HALF_OPEN
            self._trial = False
        if self._trial:  # half-open: one trial at a time
            raise CircuitOpenError(f"{self.name}: circuit half-open, a trial call is running")
        self._trial = True

    def record_success(self) -> None:
        """A call succeeded (or failed for a reason that shows the venue is up)."""
        was = self.state
        self.failures, self._trial = 0, False
        self.state = BreakerState.CLOSED
        if was is not BreakerState.CLOSED:
            _log.warning("%s: circuit closed, the venue answers again", self.name)
            self._tell(True)

    def record_failure(self) -> None:
        """A call failed with an outage."""
        self.failures += 1
        self._trial = False
        if self.state is BreakerState.HALF_OPEN or self.failures >= self.threshold:
            was = self.state
            self.state = BreakerState.OPEN
            self._opened_at = self._now()
            if was is BreakerState.CLOSED:
                _log.error("%s: circuit open after %d outages", self.name, self.failures)
                self._tell(False)

    def _tell(self, connected: bool) -> None:
        if self.on_change is not None:
            self.on_change(connected)


class ConnectionMonitor:
    """One verdict from several links (REST, market streams, the user stream): the venue is
    connected only while every link that reported is up.

    Parameters
    ----------
    on_change : callable
        ``on_change(connected)`` when the verdict changes.
    """

    def __init__(self, on_change: Callable[[bool], None]) -> None:
        self.on_change = on_change
        self.links: dict[str, bool] = {}
        self.connected = True

    def reporter(self, link: str) -> Callable[[bool], None]:
        """The callback through which ``link`` reports its state."""

        def report(connected: bool) -> None:
            self.links[link] = connected
            verdict = all(self.links.values())
            if verdict != self.connected:
                self.connected = verdict
                self.on_change(verdict)

        return report
