"""The breaker board: owns the breakers, checks them when the kernel feeds it, and drives the
trading state.

How a breaker moves, checked at time ``now`` (the injected clock):

* **trip**: its measure reaches a level above the one it holds: it holds that level until
  ``now + cooldown`` at least; a :class:`CircuitBreakerTripped` is published (topic
  ``risk.breaker``), and the trading state is held at the level's state (REDUCING or HALTED;
  a warning leaves it);
* **release**: at the first check after the cooldown where the measure is below the held
  level, the breaker falls to the level the measure still reaches, or off; a
  :class:`CircuitBreakerReleased` is published and the trading state falls back to what the
  other breakers hold, else ACTIVE. A breaker that *restarts* (drawdown, losing streak) and
  held REDUCE or HALT measures afresh first (its measure cannot recover while trading is
  stopped), so it is released when the cooldown has passed; a warning only is released when
  its measure falls back.

The kernel feeds the board: :meth:`on_bar` after each bar of an execution series has closed
(equity, closed round trips, volatility and stale data are read then), :meth:`on_rejection`
with each rejected order, :meth:`record_latency` and :meth:`venue_connected` when measured.
:meth:`check` checks every breaker (a live node calls it from a timer).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from tradeforge.common.bus import MessageBus
from tradeforge.common.clock import Clock
from tradeforge.data.replay import BarSeries
from tradeforge.model.events import OrderRejected
from tradeforge.model.orders import Order
from tradeforge.risk.breaker_limits import BreakersConfig
from tradeforge.risk.breakers.account import (
    ConsecutiveLossesBreaker,
    DailyLossBreaker,
    DrawdownBreaker,
)
from tradeforge.risk.breakers.base import (
    BreakerEvent,
    BreakerLevel,
    CircuitBreaker,
    CircuitBreakerReleased,
    CircuitBreakerTripped,
)
from tradeforge.risk.breakers.market import VolatilityBreaker
from tradeforge.risk.breakers.venue import ConnectionBreaker, ErrorRateBreaker, LatencyBreaker
from tradeforge.risk.checks.text import span
from tradeforge.risk.context import RiskContext
from tradeforge.risk.gate import is_gate_reason
from tradeforge.risk.state import BREAKER_TOPIC, TradingState, TradingStateMachine

logger = logging.getLogger("tradeforge.risk")


class BreakerBoard:
    """The account's circuit breakers and what they did.

    Parameters
    ----------
    breakers : sequence of CircuitBreaker
        Checked in this order.
    machine : TradingStateMachine
        The trading state the breakers hold (each under its name).
    clock : Clock
        Time of every check.
    bus : MessageBus, optional
        Where breaker events are published (topic ``risk.breaker``).

    Attributes
    ----------
    events : list of CircuitBreakerTripped or CircuitBreakerReleased
        Every trip and release, oldest first.
    """

    def __init__(
        self,
        breakers: Sequence[CircuitBreaker],
        machine: TradingStateMachine,
        clock: Clock,
        bus: MessageBus | None = None,
    ) -> None:
        self.breakers = {b.name: b for b in breakers}
        self._all = list(breakers)
        self._machine = machine
        self._clock = clock
        self._bus = bus
        self.events: list[BreakerEvent] = []
        machine.on_resume(self.reset)
        self._adopt(machine)

    @classmethod
    def from_config(
        cls,
        config: BreakersConfig,
        machine: TradingStateMachine,
        context: RiskContext,
        series: list[BarSeries],
        bus: MessageBus | None = None,
    ) -> BreakerBoard:
        """The breakers ``config`` names, reading the kernel's ``context`` and the execution
        ``series`` (one per traded symbol)."""
        made: list[CircuitBreaker] = []
        if config.daily_loss is not None:
            made.append(DailyLossBreaker(config.daily_loss, context))
        if config.drawdown is not None:
            made.append(DrawdownBreaker(config.drawdown, context.portfolio))
        if config.consecutive_losses is not None:
            made.append(ConsecutiveLossesBreaker(config.consecutive_losses, context.portfolio))
        if config.volatility is not None:
            made.append(VolatilityBreaker(config.volatility, series))
        if config.latency is not None:
            made.append(LatencyBreaker(config.latency))
        if config.connection is not None:
            made.append(ConnectionBreaker(config.connection, series))
        if config.error_rate is not None:
            made.append(ErrorRateBreaker(config.error_rate))
        return cls(made, machine, context.clock, bus)

    # -- feeds ------------------------------------------------------------------------------

    def on_bar(self) -> None:
        """A bar of an execution series has closed: check every breaker."""
        self.check()

    def check(self) -> None:
        """Check every breaker now."""
        now = self._clock.timestamp_ns()
        for breaker in self._all:
            self._check(breaker, now)

    def record_latency(self, ms: float) -> None:
        """A venue round trip of ``ms`` milliseconds was measured (ignored without a latency
        breaker)."""
        breaker = self.breakers.get(LatencyBreaker.name)
        if isinstance(breaker, LatencyBreaker):
            breaker.record(ms)
            self._check(breaker, self._clock.timestamp_ns())

    def venue_connected(self, connected: bool) -> None:
        """The venue connection dropped (``False``) or is back (``True``)."""
        breaker = self.breakers.get(ConnectionBreaker.name)
        if isinstance(breaker, ConnectionBreaker):
            breaker.set_connected(connected)
            self._check(breaker, self._clock.timestamp_ns())

    def on_rejection(self, order: Order, event: OrderRejected) -> None:
        """An order was rejected (by the venue or a risk check); the trading-state gate's own
        refusals do not count."""
        breaker = self.breakers.get(ErrorRateBreaker.name)
        if isinstance(breaker, ErrorRateBreaker) and not is_gate_reason(event.reason):
            now = self._clock.timestamp_ns()
            breaker.record(now)
            self._check(breaker, now)

    def reset(self) -> None:
        """Forget every trip (after a manual resume); breakers measure afresh."""
        now = self._clock.timestamp_ns()
        for breaker in self._all:
            breaker.reset(now)

    # -- moves ------------------------------------------------------------------------------

    def _check(self, breaker: CircuitBreaker, now: int) -> None:
        value = breaker.measure(now)
        level = breaker.level_of(value)
        held = breaker.held
        if level is not None and (held is None or level > held):
            self._trip(breaker, level, value, now)
            return
        if held is None or now < breaker.until_ns:
            return
        if breaker.restarts and held > BreakerLevel.WARN:  # trading stopped: no recovery
            breaker.restart(now)
            value = breaker.measure(now)
            level = breaker.level_of(value)
        if level is None or level < held:
            self._release(breaker, held, level, value, now)

    def _trip(self, breaker: CircuitBreaker, level: BreakerLevel, value: object, now: int) -> None:
        breaker.held, breaker.until_ns = level, now + breaker.cooldown_ns
        message = (
            f"{breaker.describe(value)}, the {level.label} level is {breaker.threshold_text(level)}"
        )
        event = CircuitBreakerTripped(
            now,
            breaker.name,
            level,
            breaker.as_number(value),
            breaker.as_number(breaker.threshold(level)),
            breaker.until_ns,
            message,
        )
        self._publish(event)
        if level is not BreakerLevel.WARN:
            self._machine.hold(breaker.name, level.state, message)

    def _release(
        self,
        breaker: CircuitBreaker,
        held: BreakerLevel,
        level: BreakerLevel | None,
        value: object,
        now: int,
    ) -> None:
        breaker.held = level
        to = "released" if level is None else f"down to the {level.label} level"
        message = f"{to} after the {span(breaker.cooldown_ns)} cooldown: {breaker.describe(value)}"
        self._publish(
            CircuitBreakerReleased(
                now, breaker.name, level, held, breaker.as_number(value), message
            )
        )
        if level is None or level is BreakerLevel.WARN:
            self._machine.release(breaker.name, message)
        else:
            self._machine.hold(breaker.name, level.state, message)

    def _publish(self, event: BreakerEvent) -> None:
        self.events.append(event)
        logger.warning("circuit breaker %s: %s", event.breaker, event.message)
        if self._bus is not None:
            self._bus.publish(BREAKER_TOPIC, event)

    def _adopt(self, machine: TradingStateMachine) -> None:
        """After a restart, a breaker whose hold was restored holds it again, until the end
        of a cooldown counted from the restored change."""
        for source, (state, _reason) in machine.holds.items():
            breaker = self.breakers.get(source)
            if breaker is not None and machine.since_ns is not None:
                breaker.held = (
                    BreakerLevel.HALT if state is TradingState.HALTED else BreakerLevel.REDUCE
                )
                breaker.until_ns = machine.since_ns + breaker.cooldown_ns
