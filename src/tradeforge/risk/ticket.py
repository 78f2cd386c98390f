"""One order under check: what several checks read of it, worked out once.

The risk engine builds one :class:`Ticket` per order and hands it to every check's verdict
(:class:`~tradeforge.risk.checks.base.LimitCheck`): the clock is read once, the open orders
are read once (the exposure and the balance check share the book), and the order's
:class:`~tradeforge.risk.projection.Exposure` is projected at the first check that needs it
and shared by the others. A check called on its own (``reason(order, price, notional)``)
builds its own ticket: the outcome is the same.

A ticket lives for one order's check; nothing in it outlives the state it was read from.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from tradeforge.model.orders import Order
from tradeforge.risk.context import OpenOrders, RiskContext
from tradeforge.risk.projection import REDUCING, Exposure, project

__all__ = ["Ticket", "Verdict"]


class Ticket:
    """An order under check, valued as the engine values it.

    Parameters
    ----------
    order : Order
    price : Decimal or None
        What the order is valued at (its limit or stop price, else the last price).
    notional : Decimal or None
        The value of a value-sized market order.
    context : RiskContext, optional
        What the checks read; without it the ticket has no clock and no exposure.

    Attributes
    ----------
    symbol, side, quantity :
        The order's, read once.
    now : int
        The context's clock when the ticket was made (ns UTC; 0 without a context).
    projected : Exposure or None
        The exposure once :meth:`exposure` has projected it (a check reads
        ``ticket.projected or ticket.exposure()``: no call once it is there).
    members : list of Order or None
        The members of the order's list submitted with it, when the engine has read them
        (:meth:`~tradeforge.risk.context.RiskContext.list_members`).
    """

    __slots__ = (
        "_book", "context", "members", "notional", "now", "order", "price", "projected",
        "quantity", "side", "symbol",
    )  # fmt: skip

    def __init__(
        self,
        order: Order,
        price: Decimal | None,
        notional: Decimal | None = None,
        context: RiskContext | None = None,
    ) -> None:
        self.order, self.price, self.notional, self.context = order, price, notional, context
        self.symbol, self.side, self.quantity = order.symbol, order.side, order.quantity
        self.now = 0 if context is None else context.clock.timestamp_ns()
        self._book: OpenOrders | None = None
        self.projected: Exposure | None = None
        self.members: list[Order] | None = None

    def open_book(self) -> OpenOrders:
        """The context's open orders (read at the first call)."""
        book = self._book
        if book is None:
            assert self.context is not None, "a ticket without a context has no open orders"
            book = self._book = self.context.open_book()
        return book

    def exposure(self) -> Exposure:
        """What the account would hold after the order (projected at the first call, and
        shared through the context as :func:`~tradeforge.risk.projection.exposure` does)."""
        known = self.projected
        if known is None:
            known = self.projected = self._project()
        return known

    def _project(self) -> Exposure:
        context, order = self.context, self.order
        assert context is not None, "a ticket without a context has no exposure"
        recalled = context.recall(order)
        if isinstance(recalled, Exposure):
            return recalled
        known = (
            REDUCING
            if order.reduce_only
            else project(
                context, self.symbol, self.side, self.quantity, self.price, self.open_book()
            )
        )
        context.keep(order, known)
        return known


Verdict = Callable[[Ticket], str]
"""A check as it applies to one strategy's orders: the reason a ticket is refused, or
``""``."""
