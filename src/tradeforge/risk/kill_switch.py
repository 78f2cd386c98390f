"""The kill switch: one call that stops trading now.

It holds the trading state HALTED (source ``"kill switch"``, until a manual resume), cancels
every open order through the execution engine and, with ``flatten=True``, closes every
position with a reduce-only market order tagged ``kill switch`` (the gate lets these through
although trading is halted; the venue's rules and the order-rate limits still apply).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Protocol

from tradeforge.model.enums import OrderSide
from tradeforge.model.orders import Order
from tradeforge.model.symbol import Symbol
from tradeforge.model.values import Quantity
from tradeforge.risk.state import KILL_SWITCH, TradingState

if TYPE_CHECKING:
    from tradeforge.risk.control import TradingControl

KILL_SWITCH_TAG = "kill switch"
"""The tag of the orders that flatten positions."""


class KillSwitchRoute(Protocol):
    """What the kill switch needs of the execution engine."""

    def open_orders(self, symbol: Symbol | None = None) -> list[Order]:
        """Orders submitted and not yet closed."""
        ...

    def cancel(self, client_order_id: str, reason: str = "canceled") -> bool:
        """Cancel an open order."""
        ...

    def submit(self, order: Order, quote_quantity: Decimal | None = None) -> Order:
        """Check and send an order."""
        ...


@dataclass(frozen=True, slots=True)
class KillSwitchReport:
    """What the kill switch did.

    Attributes
    ----------
    ts : int
        When, ns UTC.
    reason : str
        Why (the trading state's reason).
    canceled : tuple of str
        The client order ids whose cancel was sent (with venue latency, a cancel acts when
        it arrives).
    flatten_orders : tuple of Order
        The reduce-only market orders sent to close positions, one per position.
    """

    ts: int
    reason: str
    canceled: tuple[str, ...]
    flatten_orders: tuple[Order, ...]


def kill_switch(
    control: TradingControl,
    reason: str,
    *,
    flatten: bool = False,
    strategy_id: str | None = None,
) -> KillSwitchReport:
    """Halt trading, cancel every open order and, with ``flatten``, close every position.

    Parameters
    ----------
    control : TradingControl
        The account's trading control, attached to its execution engine: its state is held
        HALTED by ``"kill switch"`` until a manual resume, its gate lets the flattening orders
        through, its portfolio's positions are closed.
    reason : str
        Why; the trading state's reason and the cancels' (``kill switch: <reason>``).
    flatten : bool
        Also close every position at market. Default ``False``: positions stay, with their
        exits already on the venue canceled.
    strategy_id : str, optional
        The owner of the flattening orders (who hears of their fills).

    Returns
    -------
    KillSwitchReport

    Raises
    ------
    RuntimeError
        When ``control`` has no execution engine attached.
    """
    route = control.route
    if route is None:
        raise RuntimeError("the kill switch needs an execution engine: attach() one first")
    machine = control.machine
    machine.hold(KILL_SWITCH, TradingState.HALTED, reason)
    ts = machine.clock.timestamp_ns()
    why = f"{KILL_SWITCH}: {reason}"
    canceled = tuple(
        o.client_order_id for o in route.open_orders() if route.cancel(o.client_order_id, why)
    )
    orders: tuple[Order, ...] = ()
    if flatten:
        closing = [
            _closing(control.ids.generate(), symbol, qty, ts, strategy_id)
            for symbol, position in control.portfolio.positions().items()
            if (qty := position.signed_qty)
        ]
        with control.gate.flattening():
            orders = tuple(route.submit(order) for order in closing)
    return KillSwitchReport(ts, reason, canceled, orders)


def _closing(
    client_order_id: str, symbol: Symbol, held: Decimal, ts: int, strategy_id: str | None
) -> Order:
    side = OrderSide.SELL if held > 0 else OrderSide.BUY
    return Order.market_now(
        client_order_id, symbol, side, Quantity(abs(held)), ts_init=ts, reduce_only=True,
        tags=(KILL_SWITCH_TAG,), strategy_id=strategy_id,
    )  # fmt: skip
