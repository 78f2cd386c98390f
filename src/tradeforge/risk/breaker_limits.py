"""The typed configuration of the circuit breakers (``RiskConfig.breakers``).

Each breaker watches one measure of the account or the market and has three levels: ``warn``
(an alert, trading goes on), ``reduce`` (the trading state becomes REDUCING: only orders that
reduce exposure pass) and ``halt`` (HALTED: no order passes). A level is reached when the
measure is at or above it; ``null`` turns a level off. A section names only the levels it
wants: with none named the defaults below apply, with some named the others are off. After a
trip the breaker holds its level at least ``cooldown`` (see :mod:`tradeforge.risk.breakers`)::

    breakers:
      daily_loss: {reduce: 0.03, halt: 0.05, cooldown: 1h}
      drawdown: {halt: 0.2, cooldown: 1d}
      consecutive_losses: {}            # the defaults: warn 5, reduce 7, halt 10
      volatility: {measure: atr, window: 14, reduce: 0.08}
      latency: {warn: 500ms, halt: 3s}
      connection: {halt: 2}
      error_rate: {halt: 10, per: 1m}

Every breaker is off unless its section is given: the right figures depend on the strategy,
the account and the venue. The defaults of each section, and why, are in the field
descriptions below and in ``docs/risk.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from decimal import Decimal
from itertools import pairwise
from typing import Any, Literal, Self

from pydantic import Field, field_validator, model_validator

from tradeforge.risk.config_types import PositiveDuration, Strict, duration, exact, positive

LEVEL_NAMES = ("warn", "reduce", "halt")
"""The three levels of every breaker, mildest first."""


class BreakerLimits(Strict):
    """Three levels (``warn``, ``reduce``, ``halt``) and a ``cooldown``; subclasses type the
    levels. Naming some levels turns the unnamed ones off; the named ones must increase."""

    cooldown: timedelta

    def levels(self) -> tuple[Any, Any, Any]:
        """``(warn, reduce, halt)``, ``None`` for a level that is off."""
        warn, reduce, halt = (getattr(self, name) for name in LEVEL_NAMES)
        return warn, reduce, halt

    @model_validator(mode="before")
    @classmethod
    def _named_levels_only(cls, data: object) -> object:
        """Levels left out of a section that names some are off, not defaulted."""
        if isinstance(data, Mapping) and any(name in data for name in LEVEL_NAMES):
            return {**dict.fromkeys(LEVEL_NAMES), **data}
        return data

    @field_validator("cooldown", mode="before")
    @classmethod
    def _read_cooldown(cls, value: object) -> object:
        return duration(value)

    @field_validator("cooldown")
    @classmethod
    def _check_cooldown(cls, value: timedelta) -> timedelta:
        return positive(value)

    @model_validator(mode="after")
    def _increasing(self) -> Self:
        named = [(name, value) for name, value in zip(LEVEL_NAMES, self.levels(), strict=True)
                 if value is not None]  # fmt: skip
        if not named:
            raise ValueError("set at least one of warn, reduce, halt")
        for (low, low_value), (high, high_value) in pairwise(named):
            if low_value >= high_value:
                raise ValueError(f"{low} {low_value} must be below {high} {high_value}")
        return self


class _FractionLevels(BreakerLimits):
    """Levels that are fractions of equity (``0.05`` is 5 %), exact decimals."""

    @field_validator(*LEVEL_NAMES, mode="before", check_fields=False)
    @classmethod
    def _exact(cls, value: object) -> object:
        return exact(value)


class DailyLossBreaker(_FractionLevels):
    """The day's loss: how far equity is below its value at 00:00 UTC, as a fraction of it.

    Parameters
    ----------
    warn, reduce, halt : Decimal or None
        Defaults 0.02, 0.03 and 0.05. Two losses of the classic 1 % risk per trade are worth
        an alert; three are the 3 % a day most discretionary desks stop adding risk at; five
        are several times what a sized strategy should lose in a day: something is wrong
        (the market or the code), and no order should go out until someone looks.
    cooldown : timedelta
        Default 1h. The day's loss falls back only as equity recovers or at 00:00 UTC, when
        the day starts over; the cooldown keeps equity hovering at a level from switching the
        state at every bar.
    """

    warn: Decimal | None = Field(default=Decimal("0.02"), gt=0, le=1)
    reduce: Decimal | None = Field(default=Decimal("0.03"), gt=0, le=1)
    halt: Decimal | None = Field(default=Decimal("0.05"), gt=0, le=1)
    cooldown: timedelta = timedelta(hours=1)


class DrawdownBreaker(_FractionLevels):
    """The drawdown: how far equity is below its peak, as a fraction of the peak.

    Parameters
    ----------
    warn, reduce, halt : Decimal or None
        Defaults 0.10, 0.15 and 0.20. A 20 % drawdown needs a 25 % gain to recover and is
        where most allocators stop a strategy; 10 % is a bad month worth an alert.
    cooldown : timedelta
        Default 1d. A drawdown cannot recover while trading is stopped, so the breaker
        releases when the cooldown has passed and measures the drawdown again from the equity
        of that moment: a day is long enough to look at what went wrong.
    """

    warn: Decimal | None = Field(default=Decimal("0.10"), gt=0, le=1)
    reduce: Decimal | None = Field(default=Decimal("0.15"), gt=0, le=1)
    halt: Decimal | None = Field(default=Decimal("0.20"), gt=0, le=1)
    cooldown: timedelta = timedelta(days=1)


class ConsecutiveLossesBreaker(BreakerLimits):
    """Losing round trips in a row (net of fees; a breakeven ends the streak).

    Parameters
    ----------
    warn, reduce, halt : int or None
        Defaults 5, 7 and 10. With a coin-flip win rate the longest losing streak of ``n``
        trades is about ``log2(n)``: five in a row happen within some thirty trades, ten
        about once in a thousand. A longer streak says the market no longer fits the
        strategy.
    cooldown : timedelta
        Default 1d. The streak cannot end while trading is stopped, so the breaker releases
        when the cooldown has passed and counts again from zero: a day lets the regime that
        caused the streak pass, or a person look.
    """

    warn: int | None = Field(default=5, ge=1)
    reduce: int | None = Field(default=7, ge=1)
    halt: int | None = Field(default=10, ge=1)
    cooldown: timedelta = timedelta(days=1)


class VolatilityBreaker(BreakerLimits):
    """Volatility of the traded symbols, scaled to ``horizon``; the highest symbol counts.

    Parameters
    ----------
    measure : {"realized", "atr"}
        ``realized``: the standard deviation (ddof 1) of the last ``window`` log returns of
        the closes; ``atr``: Wilder's ATR over ``window`` bars divided by the close. Either is
        multiplied by ``sqrt(horizon / bar)``. Default ``realized``.
    window : int
        Bars in the measure. Default 24, a day of hourly bars.
    horizon : timedelta or None
        The period the measure is scaled to (``None``: one bar). Default 1d, so that a level
        reads "a typical day moves this much" whatever the bar.
    warn, reduce, halt : float or None
        Defaults 0.06, 0.10 and off. Bitcoin's typical day moves 3 to 4 %; 6 % is a stormy
        day, 10 % a crash or a squeeze in which fills slip and stops gap: entries pause
        (REDUCING) and exits go on. Volatility alone never halts: closing must stay possible.
    cooldown : timedelta
        Default 1h. The breaker releases once the measure is back below its level; the
        cooldown keeps a measure hovering at the level from switching the state every bar.
    """

    measure: Literal["realized", "atr"] = "realized"
    window: int = Field(default=24, ge=2)
    horizon: timedelta | None = timedelta(days=1)
    warn: float | None = Field(default=0.06, gt=0)
    reduce: float | None = Field(default=0.10, gt=0)
    halt: float | None = Field(default=None, gt=0)
    cooldown: timedelta = timedelta(hours=1)

    @field_validator("horizon", mode="before")
    @classmethod
    def _read_horizon(cls, value: object) -> object:
        return duration(value)

    @field_validator("horizon")
    @classmethod
    def _check_horizon(cls, value: timedelta | None) -> timedelta | None:
        return None if value is None else positive(value)


class LatencyBreaker(BreakerLimits):
    """The venue's round trip: the latest one measured (an order sent until its answer).

    Parameters
    ----------
    warn, reduce, halt : timedelta or None
        Defaults 1s, 2s and 5s. An order round trip to Binance takes tens of milliseconds
        from a nearby host and a few hundred from far away; a second means the venue is
        overloaded (as in every crash), two that prices move before orders land, five that
        requests time out and may be sent twice.
    cooldown : timedelta
        Default 5m: overloads pass in minutes; the breaker releases once a round trip under
        the level has been measured.
    """

    warn: timedelta | None = timedelta(seconds=1)
    reduce: timedelta | None = timedelta(seconds=2)
    halt: timedelta | None = timedelta(seconds=5)
    cooldown: timedelta = timedelta(minutes=5)

    @field_validator(*LEVEL_NAMES, mode="before")
    @classmethod
    def _read_levels(cls, value: object) -> object:
        return duration(value)


class ConnectionBreaker(BreakerLimits):
    """Stale data and a disconnected venue: bars missed by the most stale traded symbol.

    A bar is missed when the next one of its series should have closed before now and has
    not; a disconnected venue counts as missing every bar (the highest level set trips).

    Parameters
    ----------
    warn, reduce, halt : int or None
        Missed bars. Defaults 1, off and 3: one missed bar is a hiccup worth an alert; after
        three, every decision rests on prices three bars old.
    cooldown : timedelta
        Default 5m: once bars flow again (or the venue is back), trading resumes at the first
        check after five minutes.
    """

    warn: int | None = Field(default=1, ge=1)
    reduce: int | None = Field(default=None, ge=1)
    halt: int | None = Field(default=3, ge=1)
    cooldown: timedelta = timedelta(minutes=5)


class ErrorRateBreaker(BreakerLimits):
    """Orders rejected (by the venue, or by a risk check other than the trading state)
    within the sliding window ``per``.

    Parameters
    ----------
    per : timedelta
        The window. Default 1m.
    warn, reduce, halt : int or None
        Rejections within the window. Defaults 3, off and 10: a sound strategy is rarely
        refused; ten refusals a minute are a loop sending what cannot pass, which venues
        answer by banning the API key.
    cooldown : timedelta
        Default 5m: long enough for a person to notice, and for the venue's rate limits to
        reset.
    """

    per: PositiveDuration = timedelta(minutes=1)
    warn: int | None = Field(default=3, ge=1)
    reduce: int | None = Field(default=None, ge=1)
    halt: int | None = Field(default=10, ge=1)
    cooldown: timedelta = timedelta(minutes=5)


class BreakersConfig(Strict):
    """The account's circuit breakers; a section that is absent (or ``null``) is off.

    Parameters
    ----------
    daily_loss, drawdown, consecutive_losses, volatility, latency, connection, error_rate
        One section each (see the classes of this module); ``{}`` takes the defaults.
    """

    daily_loss: DailyLossBreaker | None = None
    drawdown: DrawdownBreaker | None = None
    consecutive_losses: ConsecutiveLossesBreaker | None = None
    volatility: VolatilityBreaker | None = None
    latency: LatencyBreaker | None = None
    connection: ConnectionBreaker | None = None
    error_rate: ErrorRateBreaker | None = None

    def sections(self) -> dict[str, BreakerLimits]:
        """The sections given, by name, in the order above."""
        return {
            name: section
            for name in type(self).model_fields
            if (section := getattr(self, name)) is not None
        }
