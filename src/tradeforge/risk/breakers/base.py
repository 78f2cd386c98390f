"""What every circuit breaker shares: three levels, a cooldown, and the events of its trips.

A breaker measures one thing (the day's loss, the drawdown, a losing streak, volatility, the
venue's round trip, missed bars, rejections). Its *level* is the highest of ``warn``,
``reduce`` and ``halt`` the measure reaches (at or above); the
:class:`~tradeforge.risk.breakers.board.BreakerBoard` trips it, holds the level for the
cooldown and releases it (see there). A breaker whose measure cannot recover while trading is
stopped (drawdown, losing streak) *restarts*: tripped to REDUCE or HALT, it is released when
the cooldown has passed and measures afresh from that moment.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import timedelta
from enum import IntEnum
from typing import Any, ClassVar

from tradeforge.risk.breaker_limits import BreakerLimits
from tradeforge.risk.state import TradingState


class BreakerLevel(IntEnum):
    """How far a breaker has tripped: an alert, REDUCING or HALTED."""

    WARN = 1
    REDUCE = 2
    HALT = 3

    @property
    def label(self) -> str:
        """``"warn"``, ``"reduce"`` or ``"halt"``."""
        return self.name.lower()

    @property
    def state(self) -> TradingState:
        """The trading state the level asks for (a warning leaves trading ACTIVE)."""
        return _STATES[self]


_STATES = {
    BreakerLevel.WARN: TradingState.ACTIVE,
    BreakerLevel.REDUCE: TradingState.REDUCING,
    BreakerLevel.HALT: TradingState.HALTED,
}
_FROM_TOP = (BreakerLevel.HALT, BreakerLevel.REDUCE, BreakerLevel.WARN)


@dataclass(frozen=True, slots=True)
class CircuitBreakerTripped:
    """A breaker reached a level (higher than the one it held).

    Attributes
    ----------
    ts : int
        When, ns UTC (the injected clock).
    breaker : str
        Its name (``daily_loss``, ``drawdown``, ...).
    level : BreakerLevel
        The level reached.
    value, threshold : float
        The measure and the level's threshold (fractions, counts, or milliseconds).
    until_ns : int
        The end of the cooldown: the level is held at least until then.
    message : str
        What was measured, and the level (the trading state's reason).
    """

    ts: int
    breaker: str
    level: BreakerLevel
    value: float
    threshold: float
    until_ns: int
    message: str


@dataclass(frozen=True, slots=True)
class CircuitBreakerReleased:
    """A breaker let go of its level after the cooldown, down to ``level`` (``None``: off).

    Attributes
    ----------
    ts : int
        When, ns UTC.
    breaker : str
        Its name.
    level : BreakerLevel or None
        The level still held (the measure still reaches it), or ``None``.
    previous : BreakerLevel
        The level held before.
    value : float
        The measure (NaN when nothing was measured).
    message : str
        What was measured.
    """

    ts: int
    breaker: str
    level: BreakerLevel | None
    previous: BreakerLevel
    value: float
    message: str


BreakerEvent = CircuitBreakerTripped | CircuitBreakerReleased


class CircuitBreaker(ABC):
    """A measure with three levels and a cooldown.

    Parameters
    ----------
    limits : BreakerLimits
        The levels (``None`` for a level that is off) and the cooldown.

    Attributes
    ----------
    held : BreakerLevel or None
        The level held since the last trip, ``None`` when not tripped.
    until_ns : int
        When the cooldown of the last trip ends.
    """

    name: ClassVar[str]
    """The breaker's name: its config section, the source of the trading state it holds."""
    restarts: ClassVar[bool] = False
    """The measure cannot recover while trading is stopped: released when the cooldown has
    passed, it measures afresh (:meth:`restart`)."""

    def __init__(self, limits: BreakerLimits) -> None:
        self.limits = limits
        self.thresholds: tuple[Any, Any, Any] = limits.levels()
        self.cooldown_ns = _nanos(limits.cooldown)
        self.held: BreakerLevel | None = None
        self.until_ns = 0

    @abstractmethod
    def measure(self, now: int) -> Any:
        """The measure at ``now`` (ns UTC), ``None`` when there is nothing to measure yet."""

    @abstractmethod
    def describe(self, value: Any) -> str:
        """The last measure in words (called right after :meth:`measure`)."""

    def restart(self, now: int) -> None:
        """Measure afresh from ``now`` (breakers that :attr:`restarts`)."""
        return None

    def reaches(self, value: Any, threshold: Any) -> bool:
        """Whether ``value`` is at or above ``threshold``."""
        return bool(value >= threshold)

    def level_of(self, value: Any) -> BreakerLevel | None:
        """The highest level ``value`` reaches, ``None`` below every level."""
        if value is None:
            return None
        for level in _FROM_TOP:
            threshold = self.thresholds[level - 1]
            if threshold is not None and self.reaches(value, threshold):
                return level
        return None

    def threshold(self, level: BreakerLevel) -> Any:
        """The threshold of ``level`` as configured."""
        return self.thresholds[level - 1]

    def threshold_text(self, level: BreakerLevel) -> str:
        """The threshold of ``level`` as the messages write it."""
        return str(self.threshold(level))

    def as_number(self, value: Any) -> float:
        """A measure or a threshold as the events carry it."""
        return float("nan") if value is None else float(value)

    def reset(self, now: int) -> None:
        """Forget the trip (a manual resume); breakers that restart measure afresh."""
        self.held, self.until_ns = None, 0
        if self.restarts:
            self.restart(now)


def _nanos(span: timedelta) -> int:
    """``span`` in integer nanoseconds, exactly."""
    return ((span.days * 86_400 + span.seconds) * 1_000_000 + span.microseconds) * 1_000
