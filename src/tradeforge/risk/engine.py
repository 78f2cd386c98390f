"""The risk engine: the gate every order passes before it reaches a venue.

The engine runs its :class:`RiskCheck` objects in order; the first reason refuses the order,
and the execution engine turns it into a local :class:`~tradeforge.model.events.OrderRejected`.
Each refusal is also logged (logger ``tradeforge.risk``, level WARNING, naming the order, the
strategy, the rule and the reason) and kept in :attr:`RiskEngine.rejections` for the store.
When every check passes, the checks that keep a history (duplicates, order rates) record the
order. :meth:`RiskEngine.prepare`, called by the kernel at each bar's close, works out what the
bar made stale (the account's value, the correlations) before the next order comes.

Every check gives the engine, once per strategy, its verdict on that strategy's orders
(:class:`PlannedCheck`; the limits read once, the checks whose limits are off left out); the
engine then runs the verdicts on one :class:`~tradeforge.risk.ticket.Ticket` per order, which
reads the clock, the open orders and the order's exposure once for all of them. A check with
only a ``reason`` is asked for it. The outcome is the one the checks' reasons give, in order.

The checks live in :mod:`tradeforge.risk.checks`; :func:`tradeforge.risk.build.build_checks`
builds them from a :class:`~tradeforge.risk.limits.RiskConfig`. The venue's own rules
(:class:`InstrumentFilters`, :class:`BalanceCheck`) are always among them.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from tradeforge.model.orders import Order
from tradeforge.model.symbol import Symbol
from tradeforge.risk.checks.venue import BalanceCheck, InstrumentFilters
from tradeforge.risk.context import RECENT_BARS, RiskContext
from tradeforge.risk.ticket import Ticket, Verdict

__all__ = [
    "BalanceCheck",
    "InstrumentFilters",
    "OrderRecorder",
    "PlannedCheck",
    "RiskCheck",
    "RiskEngine",
    "RiskRejection",
]

logger = logging.getLogger("tradeforge.risk")
logger.addHandler(logging.NullHandler())  # a library logs; the application decides where to
KEPT_REJECTIONS = 100_000
"""How many refusals :attr:`RiskEngine.rejections` keeps (the oldest are dropped)."""


class RiskCheck(Protocol):
    """One pre-trade check: the reason an order must not go out, or ``""``.

    A check may carry a ``rule`` attribute, the short name its refusals are stored under
    (default: its class name).
    """

    def reason(self, order: Order, price: Decimal | None, notional: Decimal | None) -> str:
        """Why ``order`` (valued at ``price``, or ``notional`` for a value-sized market
        order) is refused; empty when it passes."""
        ...


class PlannedCheck(Protocol):
    """A check the engine can run through a :class:`~tradeforge.risk.ticket.Ticket`
    (:class:`~tradeforge.risk.checks.base.LimitCheck` and the venue's rules are)."""

    def verdict_for(self, strategy_id: str | None, context: RiskContext | None) -> Verdict | None:
        """The check for ``strategy_id``'s orders, called with tickets of ``context``;
        ``None`` when it passes every one of them."""
        ...


class OrderRecorder(Protocol):
    """A check with a memory: told of every order the gate lets through."""

    def record(self, order: Order) -> None:
        """``order`` passed every check and goes out."""
        ...


@dataclass(frozen=True, slots=True)
class RiskRejection:
    """One refusal: when, which order, whose, by which rule, why."""

    ts: int
    client_order_id: str
    strategy_id: str | None
    rule: str
    reason: str


class RiskEngine:
    """Runs every check on every order; the first reason refuses it.

    Parameters
    ----------
    checks : iterable of RiskCheck
        In the order they run.
    last_price : callable
        ``last_price(symbol)``: the price a market order is valued at (the last close).
    context : RiskContext, optional
        What the checks read. With it, refusals are time-stamped by its clock, and the other
        members of an OCO list submitted with the order are checked too (each would go to the
        venue as it is).
    """

    def __init__(
        self,
        checks: Iterable[RiskCheck],
        last_price: Callable[[Symbol], float | None],
        *,
        context: RiskContext | None = None,
    ) -> None:
        self.checks = list(checks)
        self._last_price = last_price
        self._context = context
        # the context converts the same last prices once per price (and at a bar's close)
        self._decimal = (
            context.price if context is not None and context.last_price == last_price else None
        )
        self._records = [_recorder(c) for c in self.checks if callable(getattr(c, "record", None))]
        self._plans: dict[str | None, _Plan] = {}  # per strategy: the checks that can refuse
        self.rejections: deque[RiskRejection] = deque(maxlen=KEPT_REJECTIONS)
        """The latest refusals, oldest first."""

    @property
    def prepares(self) -> bool:
        """Whether :meth:`prepare` has work: some check keeps state that a new bar makes
        stale (a kernel need not call it otherwise)."""
        return self._context is not None and self._context.prepares

    def prepare(self, symbol: Symbol | None = None, within: int = RECENT_BARS) -> None:
        """A bar has closed: work out now what it made stale, so that the next order does not.

        The contract for a kernel (backtest or live): call it once per bar of an execution
        series (each symbol's shortest timeframe: the history the checks read), once the
        bar has been taken in and before anything reacts to it: after the bar's fills are
        booked, with the clock at the bar's close, the close as the symbol's last price and
        the bar as the last one the context's history shows; before exits move and the
        strategies see the bar (and before the orders they send in return). ``symbol`` is
        the bar's symbol; ``None`` after bars of several symbols at once (everything
        tracked is looked at). Call it where orders are checked (the gate is not
        thread-safe: on the event loop of a live node). It does nothing when
        :attr:`prepares` is false, and calling it more often, less often or never changes
        no outcome: only when the work is done.

        What it works out, each exactly as the next order's checks would, through the same
        code (an order still checks that what it reads holds, and works out again whatever
        changed since; an error an order would meet, such as a symbol without any price,
        is left to the order):

        * the account's value at the new prices (positions and open entry orders), with
          the float figures of each symbol ordered lately, and the exact decimals of the
          new last prices of the symbols priced before;
        * the correlation rows of the symbols ordered lately against the positions held
          now (only the pairs the bar moved);
        * the start-of-day equity, once the clock is past a new UTC day's first instant
          (the first bars of the day, at 00:00 exactly, leave it to the next bar or order).

        *Lately* is within the last ``within`` bar closes (bars closing at the same time
        count once): a gate that checked no order in that span prepares nothing, and its
        next order does the work. A live node keeps the default
        (:data:`~tradeforge.risk.context.RECENT_BARS`): the work between bars is free
        there, an order's latency is not. A replay, where only throughput counts, passes 1:
        it then prepares only while orders come bar after bar.
        """
        if self._context is not None:
            self._context.prepare(symbol, within)

    def check(self, order: Order, notional: Decimal | None = None) -> str:
        """The reason ``order`` is refused, or ``""`` when every check passes."""
        members = self._context.list_members(order) if self._context is not None else []
        alternatives = _oco_alternatives(order, members)
        rule, reason = self._first_reason(order, notional, members)
        for other in alternatives:
            if reason:
                break
            rule, reason = self._first_reason(other, None)
            if reason:
                reason = f"OCO member {other.client_order_id}: {reason}"
        if reason:
            self._refused(order, rule, reason)
            return reason
        for record in self._records:
            record(order)
            for other in alternatives:
                record(other)
        return ""

    def _first_reason(
        self, order: Order, notional: Decimal | None, members: list[Order] | None = None
    ) -> tuple[str, str]:
        """The first check refusing ``order`` and why (``members``: of its order list, when
        read already)."""
        context = self._context
        if context is not None:
            context.begin()
        price: Decimal | None = order.price or order.stop_price
        if price is None and notional is None:
            if self._decimal is not None:
                price = self._decimal(order.symbol)
            else:
                last = self._last_price(order.symbol)
                price = Decimal(repr(last)) if last is not None else None
        ticket = Ticket(order, price, notional, context)
        ticket.members = members
        plan = self._plans.get(order.strategy_id)
        if plan is None:
            plan = self._plans[order.strategy_id] = self._plan(order.strategy_id)
        for verdict, rule in plan:
            reason = verdict(ticket)
            if reason:
                return rule, reason
        return "", ""

    def _plan(self, strategy_id: str | None) -> _Plan:
        """The verdicts of the checks that can refuse an order of ``strategy_id``, in order,
        with their rules (a check without :meth:`PlannedCheck.verdict_for` is asked for its
        ``reason``)."""
        plan = []
        for check in self.checks:
            bind = getattr(check, "verdict_for", None)
            verdict = _asking(check) if bind is None else bind(strategy_id, self._context)
            if verdict is not None:
                plan.append((verdict, getattr(check, "rule", type(check).__name__)))
        return tuple(plan)

    def _refused(self, order: Order, rule: str, reason: str) -> None:
        ts = self._context.clock.timestamp_ns() if self._context is not None else order.ts_init
        self.rejections.append(
            RiskRejection(ts, order.client_order_id, order.strategy_id, rule, reason)
        )
        logger.warning(
            "order %s of strategy %s rejected: %s (rule %s)",
            order.client_order_id,
            order.strategy_id or "-",
            reason,
            rule,
        )


_Plan = tuple[tuple[Verdict, str], ...]


def _oco_alternatives(order: Order, members: list[Order]) -> Sequence[Order]:
    """The other members of an OCO list submitted with ``order`` (no parent: each may fill);
    the children of a bracket or OTO are exits sent later, not checked here."""
    for member in members:
        if member.parent_order_id is not None:
            return ()
    return [m for m in members if m is not order] if members else ()


def _recorder(check: object) -> Callable[[Order], None]:
    """The ``record`` of an :class:`OrderRecorder` (a method looked up, not an isinstance test
    of the protocol: the engine may run compiled)."""
    record: Callable[[Order], None] = getattr(check, "record")  # noqa: B009 - typed here
    return record


def _asking(check: RiskCheck) -> Verdict:
    """The verdict of a check that only gives its ``reason``."""
    return lambda ticket: check.reason(ticket.order, ticket.price, ticket.notional)
