"""The simulated venue's record of a working order."""

from __future__ import annotations

from decimal import Decimal

from tradeforge.model.enums import OrderType
from tradeforge.model.orders import Order
from tradeforge.model.values import Quantity

# Orders that wait for the price to reach a level: the sign of the direction they wait in,
# relative to the order's side (+1: a buy waits for the price to rise to the level).
_LEVEL_DIRECTION = {
    OrderType.LIMIT: -1,
    OrderType.STOP_MARKET: 1,
    OrderType.STOP_LIMIT: 1,
    OrderType.TAKE_PROFIT_MARKET: -1,
    OrderType.TAKE_PROFIT_LIMIT: -1,
}
_TRIGGERED_TYPES = {OrderType.STOP_LIMIT, OrderType.TAKE_PROFIT_LIMIT}


class RestingOrder:
    """A working order as the venue sees it: what is left, and what it waits for.

    Parameters
    ----------
    order : Order
        The order as submitted (the venue reads its specification, never changes it).
    active_ns : int
        When it reaches the venue (submission time plus latency).
    venue_order_id : str
        The venue's id.
    quote_quantity : Decimal, optional
        For a market order sized by value: the quote amount to spend; the quantity is fixed at
        the fill price.
    """

    __slots__ = (
        "active_ns",
        "bar_filled",
        "cancel_ns",
        "cancel_reason",
        "client_order_id",
        "has_traded",
        "is_market",
        "leaves",
        "list_id",
        "order",
        "quote_quantity",
        "side",
        "triggered",
        "venue_order_id",
    )

    def __init__(
        self,
        order: Order,
        active_ns: int,
        venue_order_id: str,
        quote_quantity: Decimal | None = None,
    ) -> None:
        self.order = order
        self.client_order_id = order.client_order_id
        self.venue_order_id = venue_order_id
        self.side = order.side.sign
        self.leaves: Quantity = order.leaves_qty
        self.active_ns = active_ns
        self.quote_quantity = quote_quantity
        self.triggered = order.order_type not in _TRIGGERED_TYPES
        self.is_market = order.order_type is OrderType.MARKET
        self.list_id = order.order_list_id
        self.bar_filled = 0.0  # quantity filled in the current bar (volume cap)
        self.has_traded = False
        self.cancel_ns: int | None = None  # when a cancel request reaches the venue
        self.cancel_reason = ""

    @property
    def waits_for_price(self) -> bool:
        """False for a market order (it trades wherever it becomes active)."""
        return not self.is_market

    def level(self) -> tuple[float, int]:
        """The price level this order waits for and the direction (+1 up, -1 down)."""
        kind = self.order.order_type
        if not self.triggered:
            stop = self.order.stop_price
            assert stop is not None
            return float(stop), _LEVEL_DIRECTION[kind] * self.side
        if kind in _TRIGGERED_TYPES or kind is OrderType.LIMIT:
            price = self.order.price
            assert price is not None
            return float(price), -self.side
        stop = self.order.stop_price
        assert stop is not None
        return float(stop), _LEVEL_DIRECTION[kind] * self.side

    @property
    def fills_as_limit(self) -> bool:
        """True when the order trades at its limit price (a limit, or a triggered stop-limit)."""
        kind = self.order.order_type
        return kind is OrderType.LIMIT or (kind in _TRIGGERED_TYPES and self.triggered)

    @property
    def is_trigger_pending(self) -> bool:
        """True for a stop-limit or take-profit-limit that has not triggered yet."""
        return not self.triggered
