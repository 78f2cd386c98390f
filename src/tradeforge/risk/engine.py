"""The risk engine: the gate every order passes before it reaches a venue.

The engine runs its :class:`RiskCheck` objects in order; the first reason refuses the order,
and the execution engine turns it into a local :class:`~tradeforge.model.events.OrderRejected`.
Each refusal is also logged (logger ``tradeforge.risk``, level WARNING, naming the order, the
strategy, the rule and the reason) and kept in :attr:`RiskEngine.rejections` for the store.
When every check passes, the checks that keep a history (duplicates, order rates) record the
order.

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
from typing import Protocol, runtime_checkable

from tradeforge.model.orders import Order
from tradeforge.model.symbol import Symbol
from tradeforge.risk.checks.venue import BalanceCheck, InstrumentFilters
from tradeforge.risk.context import RiskContext

__all__ = [
    "BalanceCheck",
    "InstrumentFilters",
    "OrderRecorder",
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


@runtime_checkable
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
        self._recorders = [c for c in self.checks if isinstance(c, OrderRecorder)]
        self.rejections: deque[RiskRejection] = deque(maxlen=KEPT_REJECTIONS)
        """The latest refusals, oldest first."""

    def check(self, order: Order, notional: Decimal | None = None) -> str:
        """The reason ``order`` is refused, or ``""`` when every check passes."""
        alternatives = self._oco_alternatives(order)
        rule, reason = self._first_reason(order, notional)
        for other in alternatives:
            if reason:
                break
            rule, reason = self._first_reason(other, None)
            if reason:
                reason = f"OCO member {other.client_order_id}: {reason}"
        if reason:
            self._refused(order, rule, reason)
            return reason
        for recorder in self._recorders:
            for passed in (order, *alternatives):
                recorder.record(passed)
        return ""

    def _first_reason(self, order: Order, notional: Decimal | None) -> tuple[str, str]:
        if self._context is not None:
            self._context.begin()
        price: Decimal | None = order.price or order.stop_price
        if price is None and notional is None:
            last = self._last_price(order.symbol)
            price = Decimal(repr(last)) if last is not None else None
        for check in self.checks:
            reason = check.reason(order, price, notional)
            if reason:
                return getattr(check, "rule", type(check).__name__), reason
        return "", ""

    def _oco_alternatives(self, order: Order) -> Sequence[Order]:
        """The other members of an OCO list submitted with ``order`` (no parent: each may
        fill); the children of a bracket or OTO are exits sent later, not checked here."""
        if self._context is None or order.order_list_id is None:
            return ()
        members = self._context.list_members(order)
        if any(m.parent_order_id is not None for m in members):
            return ()
        return [m for m in members if m is not order]

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
