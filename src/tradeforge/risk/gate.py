"""The trading-state gate: the first check of the risk engine, always there.

ACTIVE lets every order through to the other checks. REDUCING refuses an order that adds
exposure (as the exposure limits decide it, :func:`~tradeforge.risk.projection.exposure`:
reduce-only orders, and orders opposite to a position and not larger, pass). HALTED refuses
every order, except the reduce-only orders the kill switch itself sends to flatten positions.

Reasons name the state, its source and its reason::

    trading is HALTED by daily_loss: equity is down 520.00 USDT (5.20%) from ...
    trading is REDUCING by volatility: BTC/USDT realized volatility ...; BUY 0.5 BTC/USDT
    would add exposure
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal

from tradeforge.model.orders import Order
from tradeforge.risk.context import RiskContext
from tradeforge.risk.projection import exposure
from tradeforge.risk.state import TradingState, TradingStateMachine
from tradeforge.risk.ticket import Ticket, Verdict

GATE_REASON_PREFIX = "trading is "
"""Every refusal of the gate starts with this."""
_LIST_PREFIX = "list refused: "
_ACTIVE = TradingState.ACTIVE
_HALTED = TradingState.HALTED


def is_gate_reason(reason: str) -> bool:
    """Whether a rejection's reason comes from the trading-state gate (for an order list's
    other members too)."""
    return reason.removeprefix(_LIST_PREFIX).startswith(GATE_REASON_PREFIX)


class TradingStateGate:
    """Refuses what the trading state forbids.

    Parameters
    ----------
    machine : TradingStateMachine
        The state to enforce.
    context : RiskContext
        What the exposure of an order is worked out from (in REDUCING).
    """

    rule = "trading_state"

    def __init__(self, machine: TradingStateMachine, context: RiskContext) -> None:
        self._machine = machine
        self._context = context
        self._flattening = False

    def verdict_for(self, strategy_id: str | None, context: RiskContext | None) -> Verdict:
        """The gate for the risk engine: the same for every strategy and context."""
        return self._verdict_on

    def _verdict_on(self, ticket: Ticket) -> str:
        if self._machine.state is _ACTIVE:
            return ""
        return self.reason(ticket.order, ticket.price, ticket.notional)

    def reason(self, order: Order, price: Decimal | None, notional: Decimal | None) -> str:
        """Why the trading state refuses ``order``; empty when it passes."""
        machine = self._machine
        state = machine.state
        if state is _ACTIVE:
            return ""
        if state is _HALTED:
            if self._flattening and order.reduce_only:
                return ""
            return f"{GATE_REASON_PREFIX}HALTED by {machine.source}: {machine.reason}"
        if not exposure(self._context, order, price).adds:
            return ""
        return (
            f"{GATE_REASON_PREFIX}REDUCING by {machine.source}: {machine.reason}; "
            f"{order.side.value} {order.quantity} {order.symbol} would add exposure"
        )

    @contextmanager
    def flattening(self) -> Iterator[None]:
        """Within the block, reduce-only orders pass even a HALTED state (the kill switch
        closes positions this way)."""
        self._flattening = True
        try:
            yield
        finally:
            self._flattening = False
