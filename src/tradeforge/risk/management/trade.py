"""A managed trade's state, and how its exit levels follow the rules bar by bar.

:class:`ExitRules` is the composition of the rules; :class:`Levels` computes, for one
instrument, where a :class:`ManagedTrade`'s stop and take profit are when the position opens
and after each bar closes. Every level is rounded to the tick toward the exit's passive side (a
long's exits up, a short's down), as the brackets of :meth:`Strategy.order
<tradeforge.strategy.Strategy.order>` are.

The stop is the tightest of the levels the rules give (the initial stop loss, the break-even
stop once triggered, the trailing stop) and only ever moves in the position's favour.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from tradeforge.model.instrument import Instrument
from tradeforge.model.orders import Order
from tradeforge.model.values import EXACT, Price, Quantity
from tradeforge.risk.management.rules import (
    BreakEven,
    ManagementError,
    StopLoss,
    TakeProfit,
    TimeStop,
    TrailingStop,
)

AtrReader = Callable[[int], Decimal | None]
"""The ATR of a period at the last bar closed (None while undefined)."""


@dataclass(frozen=True)
class StopMove:
    """A stop level the manager set: at ``ts`` (ns UTC), ``stop``, by ``rule``
    (``"stop_loss"``, ``"break_even"`` or ``"trailing_stop"``)."""

    ts: int
    stop: Price
    rule: str


@dataclass(frozen=True)
class ExitRules:
    """The rules of one manager; any of them may be absent.

    Raises
    ------
    ManagementError
        When no rule is given, or a break-even in multiples of R has no stop loss to measure
        R from.
    """

    stop: StopLoss | None = None
    take_profit: TakeProfit | None = None
    trail: TrailingStop | None = None
    break_even: BreakEven | None = None
    time_stop: TimeStop | None = None

    def __post_init__(self) -> None:
        if not any((self.stop, self.take_profit, self.trail, self.break_even, self.time_stop)):
            raise ManagementError("a TradeManager needs at least one rule")
        if self.break_even is not None and self.break_even.r is not None and self.stop is None:
            raise ManagementError(
                f"BreakEven(r={self.break_even.r}) measures R from the stop loss: give stop=, "
                "or a BreakEven(pct=...)"
            )

    @property
    def stops(self) -> bool:
        """Whether the rules ever put a stop on the position."""
        return any((self.stop, self.trail, self.break_even))


class ManagedTrade:
    """One position under management, from its opening fill to its closing one.

    Parameters
    ----------
    side : int
        +1 long, -1 short.
    entry : Decimal
        The position's average entry price (updated when it grows).
    quantity : Quantity
        Its absolute size.
    opened_ns : int
        When its first fill traded.
    first_bar : int
        Index of the first bar it was held through (the first bar closing after the entry).
    best : Decimal
        The best price since entry: the highest high of a long, the lowest low of a short.
    emulated : bool
        Whether the exits are emulated (watched bars, market orders) rather than on the venue.
    """

    __slots__ = (
        "best",
        "broke_even",
        "emulated",
        "entry",
        "exit_order",
        "first_bar",
        "initial_stop",
        "opened_ns",
        "quantity",
        "side",
        "stop",
        "stop_rule",
        "target",
    )

    def __init__(  # noqa: PLR0917 - the figures of a position
        self,
        side: int,
        entry: Decimal,
        quantity: Quantity,
        opened_ns: int,
        first_bar: int,
        best: Decimal,
        emulated: bool,
    ) -> None:
        self.side, self.entry, self.quantity = side, entry, quantity
        self.opened_ns, self.first_bar, self.best = opened_ns, first_bar, best
        self.emulated = emulated
        self.initial_stop: Price | None = None  # the stop loss rule's level: R
        self.stop: Price | None = None  # where the stop is now
        self.stop_rule = ""
        self.target: Price | None = None
        self.broke_even = False
        self.exit_order: Order | None = None  # a market exit on its way

    @property
    def risk(self) -> Decimal | None:
        """``abs(entry − initial stop)`` when the stop is on the losing side, else None."""
        if self.initial_stop is None:
            return None
        risk = self.side * EXACT.subtract(self.entry, self.initial_stop)
        return risk if risk > 0 else None

    def tighter(self, level: Decimal, than: Decimal | None) -> bool:
        """Whether ``level`` is a tighter stop than ``than`` (any level beats none)."""
        return than is None or self.side * (level - than) > 0


class Levels:
    """Where a trade's exits are, by the rules, for one instrument.

    Parameters
    ----------
    rules : ExitRules
    instrument : Instrument
        Tick rounding, and the taker fee a break-even stop covers.
    atr : callable
        The ATR of a period at the last bar closed.
    """

    def __init__(self, rules: ExitRules, instrument: Instrument, atr: AtrReader) -> None:
        self.rules = rules
        self.instrument = instrument
        self.atr = atr

    def open(self, trade: ManagedTrade) -> None:
        """Set the levels of a trade that just opened (or was just taken over)."""
        self._fill_in(trade)
        self._tighten(trade)

    def after_bar(self, trade: ManagedTrade, high: float, low: float) -> None:
        """Take a closed bar into the best price, then tighten the stop if a rule says so."""
        extreme = Decimal(repr(high if trade.side > 0 else low))
        if trade.side * (extreme - trade.best) > 0:
            trade.best = extreme
        self._fill_in(trade)
        self._tighten(trade)

    def touched(self, trade: ManagedTrade, high: float, low: float) -> str:
        """Which exit a bar reached (``"stop_loss"`` first, the pessimistic reading of a bar
        that reached both), ``""`` when none."""
        adverse, favourable = (low, high) if trade.side > 0 else (high, low)
        if trade.stop is not None and trade.side * (Decimal(repr(adverse)) - trade.stop) <= 0:
            return "stop_loss"
        if (
            trade.target is not None
            and trade.side * (Decimal(repr(favourable)) - trade.target) >= 0
        ):
            return "take_profit"
        return ""

    # -- the rules' levels ------------------------------------------------------------------

    def _fill_in(self, trade: ManagedTrade) -> None:
        """Set the stop loss and take profit levels not set yet (an ATR undefined before)."""
        rules = self.rules
        if rules.stop is not None and trade.initial_stop is None:
            level = rules.stop.level(trade.entry, trade.side, self.atr(rules.stop.period))
            trade.initial_stop = self._round(level, trade.side)
        if rules.take_profit is not None and trade.target is None:
            tp = rules.take_profit
            trade.target = self._round(
                tp.level(trade.entry, trade.side, self.atr(tp.period)), trade.side
            )

    def _tighten(self, trade: ManagedTrade) -> None:
        """Move the stop to the tightest level of the rules, if tighter than where it is."""
        for rule, level in (
            ("stop_loss", trade.initial_stop),
            ("break_even", self._break_even(trade)),
            ("trailing_stop", self._trail(trade)),
        ):
            if level is not None and trade.tighter(level, trade.stop):
                trade.stop, trade.stop_rule = level, rule

    def _trail(self, trade: ManagedTrade) -> Price | None:
        trail = self.rules.trail
        if trail is None:
            return None
        return self._round(trail.level(trade.best, trade.side, self.atr(trail.period)), trade.side)

    def _break_even(self, trade: ManagedTrade) -> Price | None:
        rule = self.rules.break_even
        if rule is None:
            return None
        if not trade.broke_even:
            trade.broke_even = rule.triggered(trade.entry, trade.best, trade.side, trade.risk)
        if not trade.broke_even:
            return None
        return self._round(
            rule.level(trade.entry, trade.side, self.instrument.taker_fee), trade.side
        )

    def _round(self, level: Decimal | None, side: int) -> Price | None:
        """``level`` on the tick; None for no level, or one at or below zero (which no price
        can reach: a distance wider than the price)."""
        if level is None or level <= 0:
            return None
        return self.instrument.round_price(level, "sell" if side > 0 else "buy")
