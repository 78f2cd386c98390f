"""The trading state of an account: ACTIVE, REDUCING or HALTED, and why.

The state is held by *sources*: each circuit breaker, ``"manual"`` (a person) and
``"kill switch"``. A source holds REDUCING or HALTED with a reason until it lets go; the
state is the most restrictive level held (the earliest hold of that level gives the reason),
or ACTIVE when nothing is held. A manual :meth:`TradingStateMachine.resume` lets every hold
go at once.

Every change (of the state, or of the reason it is held for) is a
:class:`TradingStateChanged` stamped by the injected clock, appended to the history,
published on the bus topic :data:`STATE_TOPIC` and logged at WARNING on ``tradeforge.risk``.
The gate that enforces the state before every order is
:class:`~tradeforge.risk.gate.TradingStateGate`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from tradeforge.common.bus import MessageBus
from tradeforge.common.clock import Clock

STATE_TOPIC = "risk.state"
"""Where :class:`TradingStateChanged` events are published."""
BREAKER_TOPIC = "risk.breaker"
"""Where circuit breaker events are published (:mod:`tradeforge.risk.breakers`)."""
MANUAL = "manual"
"""The source of changes made by hand."""
KILL_SWITCH = "kill switch"
"""The source of the kill switch's halt."""

logger = logging.getLogger("tradeforge.risk")


class TradingState(StrEnum):
    """What may be traded: everything, only what reduces exposure, or nothing."""

    ACTIVE = "ACTIVE"
    REDUCING = "REDUCING"
    HALTED = "HALTED"

    @property
    def rank(self) -> int:
        """0, 1, 2: how restrictive the state is."""
        return _RANK[self]


_RANK = {TradingState.ACTIVE: 0, TradingState.REDUCING: 1, TradingState.HALTED: 2}


@dataclass(frozen=True, slots=True)
class TradingStateChanged:
    """The trading state changed (or the reason it is held for).

    Attributes
    ----------
    ts : int
        When, ns UTC, from the injected clock.
    state, previous : TradingState
        The state now and before.
    reason : str
        Why (the breaker's measure, or what a person wrote).
    source : str
        Who: a breaker's name, ``"manual"`` or ``"kill switch"``.
    """

    ts: int
    state: TradingState
    previous: TradingState
    reason: str
    source: str

    @property
    def time(self) -> datetime:
        """:attr:`ts` as a UTC datetime (microseconds)."""
        return datetime.fromtimestamp(self.ts / 1e9, tz=UTC)


class TradingStateMachine:
    """The account's trading state, its holds and the history of its changes.

    Parameters
    ----------
    clock : Clock
        Stamps every change (never the wall clock).
    bus : MessageBus, optional
        Where changes are published (topic :data:`STATE_TOPIC`).

    Attributes
    ----------
    state : TradingState
        ACTIVE until a source holds a level.
    reason, source : str
        Why and by whom the state is what it is (empty before the first change).
    since_ns : int or None
        When the state last changed (``None`` before the first change).
    history : list of TradingStateChanged
        Every change, oldest first.
    """

    def __init__(self, clock: Clock, bus: MessageBus | None = None) -> None:
        self.clock = clock
        self.bus = bus
        self.state = TradingState.ACTIVE
        self.reason = ""
        self.source = ""
        self.since_ns: int | None = None
        self.history: list[TradingStateChanged] = []
        self._holds: dict[str, tuple[TradingState, str]] = {}
        self._on_resume: list[Callable[[], None]] = []

    @property
    def holds(self) -> dict[str, tuple[TradingState, str]]:
        """Each source's held level and reason, in the order they were taken."""
        return dict(self._holds)

    def hold(self, source: str, state: TradingState, reason: str) -> None:
        """``source`` holds ``state`` (ACTIVE lets go, as :meth:`release`)."""
        if state is TradingState.ACTIVE:
            self.release(source, reason)
            return
        self._holds[source] = (state, reason)
        self._settle(source, reason)

    def release(self, source: str, reason: str) -> None:
        """``source`` lets go; the state falls to what the other sources hold, else ACTIVE
        (with ``reason`` and ``source``)."""
        if self._holds.pop(source, None) is not None:
            self._settle(source, reason)

    def set_state(self, state: TradingState, reason: str, source: str = MANUAL) -> None:
        """Change the state by hand: REDUCING or HALTED are held by ``source`` until changed
        again; ACTIVE is :meth:`resume`."""
        if state is TradingState.ACTIVE:
            self.resume(reason, source)
        else:
            self.hold(source, state, reason)

    def resume(self, reason: str, source: str = MANUAL) -> None:
        """Let every hold go (breakers, kill switch, manual) and trade again; the breakers
        start measuring afresh (they are told through :meth:`on_resume`)."""
        self._holds.clear()
        self._settle(source, reason)
        for listener in self._on_resume:
            listener()

    def on_resume(self, listener: Callable[[], None]) -> None:
        """Call ``listener()`` after every :meth:`resume`."""
        self._on_resume.append(listener)

    def restore(self, history: Iterable[TradingStateChanged]) -> None:
        """Take up a stored history (after a restart): the last change's state is held by its
        source again, with its reason and time. Nothing is published."""
        self.history = list(history)
        self._holds.clear()
        if not self.history:
            return
        last = self.history[-1]
        self.state, self.reason, self.source, self.since_ns = (
            last.state, last.reason, last.source, last.ts,
        )  # fmt: skip
        if last.state is not TradingState.ACTIVE:
            self._holds[last.source] = (last.state, last.reason)

    def _settle(self, source: str, reason: str) -> None:
        """Move to what the holds say; record and publish a change."""
        state, reason, source = self._decided(source, reason)
        if state is self.state and (
            state is TradingState.ACTIVE or (reason, source) == (self.reason, self.source)
        ):
            return
        change = TradingStateChanged(self.clock.timestamp_ns(), state, self.state, reason, source)
        self.state, self.reason, self.source, self.since_ns = state, reason, source, change.ts
        self.history.append(change)
        logger.warning(
            "trading state %s (was %s) by %s: %s", state, change.previous, source, reason
        )
        if self.bus is not None:
            self.bus.publish(STATE_TOPIC, change)

    def _decided(self, source: str, reason: str) -> tuple[TradingState, str, str]:
        """The most restrictive hold (the earliest of equals), else ACTIVE."""
        top: tuple[TradingState, str, str] | None = None
        for holder, (state, why) in self._holds.items():
            if top is None or state.rank > top[0].rank:
                top = (state, why, holder)
        return top if top is not None else (TradingState.ACTIVE, reason, source)
