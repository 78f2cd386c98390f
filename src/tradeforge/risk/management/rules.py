"""The rules of in-trade management: where a position's exits are, and when they move.

Each rule is a frozen value object that turns a trade's figures into a price level; the
:class:`~tradeforge.risk.management.manager.TradeManager` composes them. Prices here are
exact ``Decimal`` values before rounding to the tick (the manager rounds every level toward the
exit's passive side, as brackets are rounded: up for a long's exits, down for a short's).

Distances come in three kinds, one per rule:

* ``price`` (stop loss and take profit only): the level itself, whatever the entry;
* ``pct``: a fraction of a reference price (``0.02`` is 2 %): the entry for the stop loss, the
  take profit and the break-even trigger, the best price since entry for the trailing stop;
* ``atr``: a multiple of Wilder's ATR over ``period`` bars of the symbol's shortest series, at
  the last bar closed when the level is computed (equal to the ``atr`` indicator there).
  While the ATR is undefined (fewer than ``period + 1`` bars so far) an ATR level is not set;
  it is set at the first bar close where the ATR is defined.

``side`` is +1 for a long position and -1 for a short one throughout.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from decimal import Context, Decimal
from typing import ClassVar

from tradeforge.model.values import EXACT, NumberError, to_decimal

_ONE = Decimal(1)
_FEES = Context(prec=40)  # the break-even level with fees is a quotient: rounded, then ticked
_DURATION = re.compile(r"^\s*(\d+)\s*(s|m|h|d|w)\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3_600, "d": 86_400, "w": 604_800}


class ManagementError(ValueError):
    """A management rule (or a combination of rules) that makes no sense; the message names
    the rule and the argument."""


def _positive(rule: str, name: str, value: float | Decimal | None) -> Decimal | None:
    if value is None:
        return None
    try:
        number = to_decimal(value, f"{rule} {name}")
    except NumberError as exc:
        raise ManagementError(str(exc)) from exc
    if number <= 0:
        raise ManagementError(f"{rule} {name} must be positive, got {value}")
    return number


def _one(rule: str, **given: Decimal | None) -> None:
    named = [name for name, value in given.items() if value is not None]
    if len(named) != 1:
        names = ", ".join(given)
        raise ManagementError(f"{rule} takes exactly one of {names}; got {named or 'none'}")


def _period(rule: str, period: int) -> int:
    if isinstance(period, bool) or not isinstance(period, int) or period < 1:
        raise ManagementError(f"{rule} period must be an int >= 1, got {period!r}")
    return period


def _distance(
    pct: Decimal | None, atr: Decimal | None, reference: Decimal, atr_value: Decimal | None
) -> Decimal | None:
    """``reference × pct``, or ``atr × ATR`` (None while the ATR is undefined)."""
    if pct is not None:
        return EXACT.multiply(reference, pct)
    if atr is None or atr_value is None:
        return None
    return EXACT.multiply(atr, atr_value)


@dataclass(frozen=True, init=False)
class _EntryLevel:
    """A level set from the entry when the position opens: a price, or a distance from the
    entry as a fraction of it or a multiple of the ATR (one of them; the class's default ATR
    multiple when none is given), on the class's side of the entry."""

    price: Decimal | None
    pct: Decimal | None
    atr: Decimal | None
    period: int
    default_atr: ClassVar[float]
    away: ClassVar[int]  # -1: below a long's entry (a stop), 1: above it (a target)

    def __init__(
        self,
        *,
        price: float | Decimal | None = None,
        pct: float | Decimal | None = None,
        atr: float | Decimal | None = None,
        period: int = 14,
    ) -> None:
        name = type(self).__name__
        if price is None and pct is None and atr is None:
            atr = self.default_atr
        values = {
            "price": _positive(name, "price", price),
            "pct": _positive(name, "pct", pct),
            "atr": _positive(name, "atr", atr),
        }
        _one(name, **values)
        for field, value in values.items():
            object.__setattr__(self, field, value)
        object.__setattr__(self, "period", _period(name, period))

    def level(self, entry: Decimal, side: int, atr: Decimal | None) -> Decimal | None:
        """The level of a position of ``side`` entered at ``entry``; None while the ATR is
        undefined."""
        if self.price is not None:
            return self.price
        distance = _distance(self.pct, self.atr, entry, atr)
        return None if distance is None else EXACT.add(entry, self.away * side * distance)


@dataclass(frozen=True, init=False)
class StopLoss(_EntryLevel):
    """The initial stop loss, set when the position opens and never loosened.

    Parameters
    ----------
    price : float or Decimal, optional
        The stop level itself.
    pct : float, optional
        Distance below a long's entry (above a short's) as a fraction of the entry.
    atr : float, optional
        Distance as a multiple of the ATR at the last bar closed before the entry.
        The default when nothing is given: ``atr=2.0``.
    period : int
        ATR period (default 14, Wilder's).

    What changes results: the level is ``entry − side × distance`` from the position's average
    entry price when it opens (the fill price of a market entry, not the close the strategy
    decided at), rounded to the tick; it is also the ``R`` of :class:`BreakEven`.

    Defaults, and why: **2 ATR(14)**. One bar's typical range is one ATR; a stop inside it is
    hit by noise, and two of them is the common compromise between noise and loss per trade.
    """

    default_atr: ClassVar[float] = 2.0
    away: ClassVar[int] = -1  # below a long's entry


@dataclass(frozen=True, init=False)
class TakeProfit(_EntryLevel):
    """The take profit, set when the position opens; it does not move.

    Parameters
    ----------
    price : float or Decimal, optional
        The level itself.
    pct : float, optional
        Distance above a long's entry (below a short's) as a fraction of the entry.
    atr : float, optional
        Distance as a multiple of the ATR at the last bar closed before the entry.
        The default when nothing is given: ``atr=4.0``.
    period : int
        ATR period (default 14).

    What changes results: ``entry + side × distance``, rounded to the tick away from the entry.
    On the venue it is a take-profit (market) order: it fills at the level, or at the open when
    a bar gaps beyond it, as a taker.

    Defaults, and why: **4 ATR(14)**, twice the default stop: a reward of 2R, so the trades
    pay for themselves before costs when more than a third of them win.
    """

    default_atr: ClassVar[float] = 4.0
    away: ClassVar[int] = 1  # above a long's entry


@dataclass(frozen=True, init=False)
class TrailingStop:
    """A stop that follows the best price since entry at a distance, never loosened.

    Parameters
    ----------
    pct : float, optional
        Distance as a fraction of the best price.
    atr : float, optional
        Distance as a multiple of the ATR at the last bar closed. The default when nothing is
        given: ``atr=3.0``.
    period : int
        ATR period (default 22).

    What changes results: the best price is the entry price, then the highest high (a short:
    the lowest low) of every bar closed since the entry, the entry's bar included (a bar does
    not say whether its extreme came before or after a fill inside it). After each bar closes
    the stop becomes ``best − side × distance`` if that is tighter than where it is; it then
    works from the next bar on. An ATR trail can widen with the ATR, but the stop never moves
    back.

    Defaults, and why: **3 ATR(22)**, LeBeau's chandelier exit, the best-known ATR trail. It
    starts wider than the default 2 ATR stop loss, so it takes over only once the price has
    moved about one ATR in the trade's favour, and then locks in gains as the trend runs.
    """

    pct: Decimal | None
    atr: Decimal | None
    period: int

    def __init__(
        self,
        *,
        pct: float | Decimal | None = None,
        atr: float | Decimal | None = None,
        period: int = 22,
    ) -> None:
        if pct is None and atr is None:
            atr = 3.0
        values = {
            "pct": _positive("TrailingStop", "pct", pct),
            "atr": _positive("TrailingStop", "atr", atr),
        }
        _one("TrailingStop", **values)
        for name, value in values.items():
            object.__setattr__(self, name, value)
        object.__setattr__(self, "period", _period("TrailingStop", period))

    def level(self, best: Decimal, side: int, atr: Decimal | None) -> Decimal | None:
        """The stop ``distance`` behind ``best``; None while the ATR is undefined."""
        distance = _distance(self.pct, self.atr, best, atr)
        return None if distance is None else EXACT.subtract(best, side * distance)


@dataclass(frozen=True, init=False)
class BreakEven:
    """Move the stop to the entry once the price has gone a distance in the trade's favour.

    Parameters
    ----------
    r : float, optional
        The trigger as a multiple of the initial risk, ``abs(entry − stop loss)`` (needs a
        :class:`StopLoss`). The default when nothing is given: ``r=1.0``.
    pct : float, optional
        The trigger as a fraction of the entry.
    offset : float or Decimal
        Price units added beyond the break-even price (in the trade's favour), default 0.
    cover_fees : bool
        Put the stop where an exit pays back both taker fees (default True):
        ``entry × (1 + f) / (1 − f)`` for a long, ``entry × (1 − f) / (1 + f)`` for a short,
        ``f`` the instrument's taker fee.

    What changes results: the trigger is tested after each bar closes against the best price
    since entry (as the trailing stop's), so the stop moves for the next bar; the move is
    made once, and only when it tightens the stop. Stops fill at their level or worse (a gap),
    so a break-even stop can still lose by the gap and by slippage.

    Defaults, and why: **at 1R, covering fees.** At 1R the trade has earned what it risked;
    earlier, ordinary noise stops out trades that would have worked. "Break-even" means the
    trade cannot lose any more, so the stop covers the two fees that a stop at the bare entry
    price would still lose.
    """

    r: Decimal | None
    pct: Decimal | None
    offset: Decimal
    cover_fees: bool

    def __init__(
        self,
        *,
        r: float | Decimal | None = None,
        pct: float | Decimal | None = None,
        offset: float | Decimal = 0,
        cover_fees: bool = True,
    ) -> None:
        if r is None and pct is None:
            r = 1.0
        values = {"r": _positive("BreakEven", "r", r), "pct": _positive("BreakEven", "pct", pct)}
        _one("BreakEven", **values)
        for name, value in values.items():
            object.__setattr__(self, name, value)
        shift = to_decimal(offset, "BreakEven offset")
        if shift < 0:
            raise ManagementError(f"BreakEven offset must be >= 0, got {offset}")
        object.__setattr__(self, "offset", shift)
        object.__setattr__(self, "cover_fees", bool(cover_fees))

    def triggered(self, entry: Decimal, best: Decimal, side: int, risk: Decimal | None) -> bool:
        """Whether ``best`` is the trigger distance or more beyond ``entry``; with ``r``, False
        while the initial risk is unknown."""
        gain = side * EXACT.subtract(best, entry)
        if self.pct is not None:
            return gain >= EXACT.multiply(entry, self.pct)
        assert self.r is not None
        return risk is not None and gain >= EXACT.multiply(self.r, risk)

    def level(self, entry: Decimal, side: int, taker_fee: Decimal) -> Decimal:
        """The break-even stop of a position of ``side`` entered at ``entry``."""
        price = entry
        if self.cover_fees and taker_fee:
            up, down = _ONE + taker_fee, _ONE - taker_fee
            price = (
                _FEES.divide(_FEES.multiply(entry, up), down)
                if side > 0
                else _FEES.divide(_FEES.multiply(entry, down), up)
            )
        return _FEES.add(price, side * self.offset)


@dataclass(frozen=True, init=False)
class TimeStop:
    """Close the position at market once it has been held ``bars`` bars or ``duration``.

    Parameters
    ----------
    bars : int, optional
        Bars of the symbol's shortest series whose close came after the entry (a market entry
        at a bar's open counts that bar).
    duration : timedelta, str or int, optional
        Time since the entry fill, by the injected clock (``"36h"``, ``"2d"``, a
        ``timedelta``, or nanoseconds).

    What changes results: the rule is tested at each bar close; the exit is a reduce-only
    market order sent then, filled at the next bar's open (``market_fill="next_open"``) or at
    that close (``"close"``). A position entered at a bar's open with ``bars=3`` is held three
    whole bars.

    There is no default: how long a trade may take depends on the strategy's horizon.
    """

    bars: int | None
    duration_ns: int | None

    def __init__(
        self, *, bars: int | None = None, duration: timedelta | str | int | None = None
    ) -> None:
        if (bars is None) == (duration is None):
            raise ManagementError("TimeStop takes exactly one of bars, duration")
        if bars is not None and (isinstance(bars, bool) or not isinstance(bars, int) or bars < 1):
            raise ManagementError(f"TimeStop bars must be an int >= 1, got {bars!r}")
        nanos = None if duration is None else _nanos(duration)
        object.__setattr__(self, "bars", bars)
        object.__setattr__(self, "duration_ns", nanos)

    def due(self, bars_held: int, held_ns: int) -> bool:
        """Whether a position held ``bars_held`` bars and ``held_ns`` nanoseconds is due."""
        if self.bars is not None:
            return bars_held >= self.bars
        assert self.duration_ns is not None
        return held_ns >= self.duration_ns


def _nanos(duration: timedelta | str | int) -> int:
    if isinstance(duration, timedelta):
        nanos = (
            duration.days * 86_400 + duration.seconds
        ) * 1_000_000_000 + duration.microseconds * 1_000
    elif isinstance(duration, str):
        match = _DURATION.match(duration)
        if match is None:
            raise ManagementError(f"TimeStop duration {duration!r} is not like '36h' or '2d'")
        nanos = int(match.group(1)) * _UNIT_SECONDS[match.group(2)] * 1_000_000_000
    elif isinstance(duration, int) and not isinstance(duration, bool):
        nanos = duration
    else:
        raise ManagementError(f"TimeStop duration must be a timedelta, text or ns: {duration!r}")
    if nanos <= 0:
        raise ManagementError(f"TimeStop duration must be positive, got {duration!r}")
    return nanos
