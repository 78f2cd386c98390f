"""Where a managed trade's exits live: reduce-only orders on the venue, or market orders the
manager sends when it sees a bar reach a level (emulation).

:class:`ExitOrders` builds the orders; :class:`VenueExits` keeps a trade's stop and take
profit on the venue, as one OCO list when both exist, and amends them: the stop price when the
stop moves (``modify``), the quantity when the position changes, and a cancel and replace of
the pair when a leg appears that was not there (a break-even stop on a trade that had only a
take profit). Emulated exits need no state here: the manager tests each bar with
:meth:`Levels.touched <tradeforge.risk.management.trade.Levels.touched>` and sends
:meth:`ExitOrders.market`.
"""

from __future__ import annotations

from dataclasses import dataclass

from tradeforge.common.clock import Clock
from tradeforge.common.ids import ClientOrderIdGenerator
from tradeforge.model.enums import OrderSide, OrderType
from tradeforge.model.order_list import OrderList
from tradeforge.model.orders import Order
from tradeforge.model.symbol import Symbol
from tradeforge.model.values import EXACT, Price, Quantity
from tradeforge.risk.management.route import TradeRoute
from tradeforge.risk.management.trade import ManagedTrade

STOP_TAG = "stop_loss"
TAKE_PROFIT_TAG = "take_profit"
TIME_STOP_TAG = "time_stop"


@dataclass(frozen=True)
class ExitOrders:
    """Builds one strategy's reduce-only exits of ``symbol``, with its ids and clock."""

    strategy_id: str
    symbol: Symbol
    ids: ClientOrderIdGenerator
    clock: Clock

    def stop(self, trade: ManagedTrade, list_id: str | None = None, cid: str = "") -> Order:
        """A stop-market order at the trade's stop, for its whole quantity."""
        assert trade.stop is not None
        return self._order(trade, OrderType.STOP_MARKET, STOP_TAG, trade.stop, list_id, cid)

    def take_profit(self, trade: ManagedTrade, list_id: str | None = None) -> Order:
        """A take-profit-market order at the trade's target, for its whole quantity."""
        assert trade.target is not None
        kind, target = OrderType.TAKE_PROFIT_MARKET, trade.target
        return self._order(trade, kind, TAKE_PROFIT_TAG, target, list_id)

    def market(self, trade: ManagedTrade, tag: str) -> Order:
        """A market order closing the whole trade."""
        return self._order(trade, OrderType.MARKET, tag, None, None)

    def _order(  # noqa: PLR0917 - internal builder
        self,
        trade: ManagedTrade,
        kind: OrderType,
        tag: str,
        stop: Price | None,
        list_id: str | None,
        cid: str = "",
    ) -> Order:
        return Order(
            cid or self.ids.generate(),
            self.symbol,
            OrderSide.SELL if trade.side > 0 else OrderSide.BUY,
            kind,
            trade.quantity,
            ts_init=self.clock.timestamp_ns(),
            stop_price=stop,
            reduce_only=True,
            strategy_id=self.strategy_id,
            tags=(tag,),
            order_list_id=list_id,
        )


class VenueExits:
    """A trade's stop and take profit as reduce-only orders on the venue.

    Parameters
    ----------
    orders : ExitOrders
    route : TradeRoute
        Where they are sent, amended and canceled (through the risk gate).
    """

    def __init__(self, orders: ExitOrders, route: TradeRoute) -> None:
        self.orders = orders
        self.route = route
        self.stop_order: Order | None = None
        self.target_order: Order | None = None
        self._withdrawn: set[str] = set()

    def place(self, trade: ManagedTrade) -> None:
        """Send the trade's stop and take profit (an OCO list when both are set)."""
        stop, target = trade.stop is not None, trade.target is not None
        cid = self.orders.ids.generate() if stop else ""
        list_id = f"L-{cid}"  # as Strategy.oco names its lists
        paired = list_id if stop and target else None
        self.stop_order = self.orders.stop(trade, paired, cid) if stop else None
        self.target_order = self.orders.take_profit(trade, paired) if target else None
        if self.stop_order is not None and self.target_order is not None:
            self.route.submit_list(OrderList.oco(list_id, (self.stop_order, self.target_order)))
        elif self.stop_order is not None:
            self.route.submit(self.stop_order)
        elif self.target_order is not None:
            self.route.submit(self.target_order)

    def follow(self, trade: ManagedTrade) -> None:
        """Bring the venue's orders to the trade's levels: amend the stop, or replace the pair
        when a leg is missing."""
        stop, target = self.working(self.stop_order), self.working(self.target_order)
        if (trade.stop is not None and stop is None) or (
            trade.target is not None and target is None
        ):
            self.withdraw()
            self.place(trade)
            return
        if stop is not None and trade.stop is not None and stop.stop_price != trade.stop:
            self.route.modify(stop.client_order_id, stop_price=trade.stop)

    def resize(self, quantity: Quantity) -> None:
        """Make every working exit close ``quantity`` (what it filled already aside)."""
        for order in (self.working(self.stop_order), self.working(self.target_order)):
            if order is not None:
                wanted = Quantity(EXACT.add(order.filled_qty, quantity))
                if order.quantity != wanted:
                    self.route.modify(order.client_order_id, quantity=wanted)

    def withdraw(self) -> None:
        """Cancel the working exits."""
        for order in (self.working(self.stop_order), self.working(self.target_order)):
            if order is not None:
                self._withdrawn.add(order.client_order_id)
                self.route.cancel(order.client_order_id)
        self.stop_order = self.target_order = None

    def owns(self, client_order_id: str) -> bool:
        """Whether the order is one of the current exits."""
        return any(
            o is not None and o.client_order_id == client_order_id
            for o in (self.stop_order, self.target_order)
        )

    def lost(self, order: Order) -> bool:
        """Whether ``order``, one of the exits, closed without a fill and without being
        withdrawn (rejected, or canceled by the venue), while its partner did not fill."""
        if not order.is_closed or order.filled_qty or order.client_order_id in self._withdrawn:
            return False
        partner = self.target_order if order is self.stop_order else self.stop_order
        return partner is None or not partner.filled_qty

    @staticmethod
    def working(order: Order | None) -> Order | None:
        """``order`` while it is not closed."""
        return order if order is not None and not order.is_closed else None
