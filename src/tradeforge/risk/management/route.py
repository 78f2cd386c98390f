"""What a trade manager needs from the kernel: a route for its orders that also lets it follow
the strategy's events and the bars.

The kernel's :class:`~tradeforge.execution.engine.ExecutionEngine` is such a route; the
protocols live here so that the manager does not import the execution layer.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Protocol, runtime_checkable

from tradeforge.model.enums import OrderType
from tradeforge.model.events import OrderEvent, PositionEvent
from tradeforge.model.order_list import OrderList
from tradeforge.model.orders import Order
from tradeforge.model.symbol import Symbol
from tradeforge.model.values import Price, Quantity


class Follower(Protocol):
    """Follows one strategy's trades from inside the kernel."""

    def on_order_event(self, order: Order, event: OrderEvent) -> None:
        """An event of one of the strategy's orders (before the strategy hears of it)."""
        ...

    def on_position_event(self, event: PositionEvent) -> None:
        """A position of the strategy opened, changed or closed (before the strategy)."""
        ...

    def on_bar(self, symbol: Symbol, high: float, low: float) -> None:
        """A bar of ``symbol``'s shortest series closed (before the strategies' ``on_bar``)."""
        ...


@runtime_checkable
class TradeRoute(Protocol):
    """Sends, amends and cancels orders through the risk gate, and delivers what a follower
    follows."""

    def submit(self, order: Order, quote_quantity: Decimal | None = None) -> Order:
        """Check and send an order."""
        ...

    def submit_list(self, orders: OrderList) -> OrderList:
        """Check and send an order list (OCO)."""
        ...

    def cancel(self, client_order_id: str) -> bool:
        """Cancel an open order."""
        ...

    def modify(
        self,
        client_order_id: str,
        *,
        quantity: Quantity | None = None,
        price: Price | None = None,
        stop_price: Price | None = None,
    ) -> bool:
        """Amend an open order."""
        ...

    def venue_supports(self, order_type: OrderType) -> bool:
        """Whether the venue takes orders of ``order_type``."""
        ...

    def follow(self, strategy_id: str, follower: Follower) -> None:
        """Give ``follower`` the events of ``strategy_id`` and every bar."""
        ...
