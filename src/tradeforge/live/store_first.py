"""The store-first rule: an order is in the store before the venue can hear of it.

:class:`StoreFirstClient` stands between the execution engine and the venue client (the
paper exchange or the ccxt client). ``submit_order`` writes the order, with its
``OrderSubmitted`` event, in a committed unit of work, and only then hands it to the venue;
every venue event is applied by the engine first (so only histories an ``Order`` accepts are
stored) and written right after (the node writes a burst of them with one commit: see
:meth:`~tradeforge.live.journal.OrderJournal.batch`); observers hear of an event once it is
stored. A node killed between the write and the send finds the order
in the store as sent; reconciliation then asks the venue about it by its client order id and
never sends it again.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from tradeforge.execution.engine import ExecutionClient
from tradeforge.live.journal import OrderJournal
from tradeforge.model.enums import OrderType
from tradeforge.model.events import OrderEvent, VenueEvent
from tradeforge.model.order_list import OrderList
from tradeforge.model.orders import Order
from tradeforge.model.symbol import Symbol
from tradeforge.model.values import Price, Quantity

OrderObserver = Callable[[Order, OrderEvent], None]
"""Told of every venue event once it is applied and stored."""


class StoreFirstClient:
    """A venue client whose orders are written to the store before they are sent.

    Parameters
    ----------
    venue : ExecutionClient
        The real venue client.
    journal : OrderJournal
        Where orders are written.
    find : callable
        ``find(client_order_id)``: the engine's order (after it applied an event).
    last_price : callable
        ``last_price(symbol)``: the last close the node has seen (strategies size orders
        with it).
    """

    def __init__(
        self,
        venue: ExecutionClient,
        journal: OrderJournal,
        find: Callable[[str], Order | None],
        last_price: Callable[[Symbol], float | None],
    ) -> None:
        self.venue = venue
        self.journal = journal
        self.supports_contingency = venue.supports_contingency
        self.observers: list[OrderObserver] = []
        self._find = find
        self._last_price = last_price
        self._handler: Callable[[VenueEvent], None] | None = None

    @property
    def order_types(self) -> frozenset[OrderType] | None:
        """The order types the venue takes (None: every type)."""
        types: frozenset[OrderType] | None = getattr(self.venue, "order_types", None)
        return types

    def last_price(self, symbol: Symbol) -> float | None:
        """The last close of ``symbol`` the node has seen."""
        return self._last_price(symbol)

    def connect(self, handler: Callable[[VenueEvent], None]) -> None:
        """Receive the venue's events: applied by ``handler``, then stored."""
        self._handler = handler
        self.venue.connect(self.on_venue_event)

    def on_venue_event(self, event: VenueEvent) -> None:
        """Apply ``event`` (the engine), then store its order and tell the observers."""
        assert self._handler is not None, "connect() first"
        self._handler(event)
        if not isinstance(event, OrderEvent):
            return
        order = self._find(event.client_order_id)
        if order is None:
            return
        self.journal.record(order, then=lambda: self._tell(order, event))

    def _tell(self, order: Order, event: OrderEvent) -> None:
        for observer in self.observers:
            observer(order, event)

    def submit_order(self, order: Order, quote_quantity: Decimal | None = None) -> None:
        """Store ``order``, then send it."""
        self.journal.record_new(order)
        self._tell(order, order.last_event)
        self.venue.submit_order(order, quote_quantity)

    def remember(self, orders: list[Order]) -> None:
        """Store orders only the engine holds (a bracket's exits until the entry fills, and
        their cancellation when it closes unfilled), so a restarted node finds them."""
        self.journal.record_all(orders, new=True)

    def fits_oco(self, orders: list[Order]) -> bool:
        """Whether the venue places ``orders`` (two exits) as one OCO list."""
        fits = getattr(self.venue, "fits_oco", None)
        return fits is not None and bool(fits(orders))

    def submit_oco(self, orders: list[Order], list_id: str) -> None:
        """Store two exits that :meth:`fits_oco`, then send them as one OCO list."""
        self.journal.record_all(orders, new=True)
        for order in orders:
            self._tell(order, order.last_event)
        self.venue.submit_oco(orders, list_id)  # type: ignore[attr-defined]

    def submit_order_list(self, orders: OrderList) -> None:
        """Store every order of the list, then send it (venues with native lists)."""
        self.journal.record_all(orders.orders, new=True)
        for order in orders.orders:
            self._tell(order, order.last_event)
        self.venue.submit_order_list(orders)

    def cancel_order(self, client_order_id: str, reason: str = "canceled") -> bool:
        """Ask the venue to cancel an order."""
        return self.venue.cancel_order(client_order_id, reason)

    def modify_order(
        self,
        client_order_id: str,
        *,
        quantity: Quantity | None = None,
        price: Price | None = None,
        stop_price: Price | None = None,
    ) -> bool:
        """Ask the venue to amend an order."""
        return self.venue.modify_order(
            client_order_id, quantity=quantity, price=price, stop_price=stop_price
        )
