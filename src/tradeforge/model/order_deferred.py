"""The backtest fast path's side of an order: the state at once, the events when read.

A backtest on the market-order fast path (:mod:`tradeforge.backtest.fast_path`) changes an
order's state the moment a step happens (accepted, re-sized, filled) with the same transition
and overfill checks :meth:`Order.apply` makes, and keeps a small record of the step; the event
objects are built from the records when someone first reads the order's events, equal to the
ones the kernel would have applied. :class:`DeferredEvents` holds that machinery for
:class:`~tradeforge.model.orders.Order`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tradeforge.model.enums import LiquiditySide, OrderSide, OrderStatus
from tradeforge.model.events import (
    OrderAccepted,
    OrderEvent,
    OrderFilled,
    OrderSubmitted,
    OrderUpdated,
)
from tradeforge.model.order_rules import ALLOWED_EVENTS
from tradeforge.model.symbol import Symbol
from tradeforge.model.values import EXACT, Money, Price, Quantity

_FILLABLE = ALLOWED_EVENTS[OrderFilled]
_UPDATABLE = ALLOWED_EVENTS[OrderUpdated]
_ACCEPTED, _FILLED, _UPDATED = "accepted", "filled", "updated"


class DeferredEvents:
    """The deferred-event steps of an order (mixed into :class:`Order`, which owns the
    state these methods change)."""

    __slots__ = (
        "_deferred",
        "_events",
        "_fees",
        "_filled_notional",
        "_filled_qty",
        "_quantity",
        "_side",
        "_status",
        "_trade_ids",
        "_venue_order_id",
    )

    _status: OrderStatus
    _side: OrderSide
    _quantity: Quantity
    _filled_qty: Quantity
    _filled_notional: Decimal
    _fees: tuple[tuple[str, Decimal], ...]
    _trade_ids: tuple[str, ...]
    _venue_order_id: str | None
    _deferred: list[tuple[Any, ...]] | None
    _events: list[OrderEvent]

    @property
    def client_order_id(self) -> str:  # pragma: no cover - Order's
        raise NotImplementedError

    @property
    def symbol(self) -> Symbol:  # pragma: no cover - Order's
        raise NotImplementedError

    def apply(self, event: OrderEvent) -> None:  # pragma: no cover - Order's
        raise NotImplementedError

    def _book_fill(  # noqa: PLR0917 # pragma: no cover - Order's
        self, trade_id: str, qty: Quantity, price: Price, fee: Money,
        venue_order_id: str | None, side: OrderSide,
    ) -> None:  # fmt: skip
        raise NotImplementedError

    def accept_now(self, ts: int, venue_order_id: str) -> None:
        """Submitted and accepted at ``ts``: what applying :class:`OrderSubmitted` then
        :class:`OrderAccepted` does; the two events are built when first read."""
        if self._status is not OrderStatus.INITIALIZED:
            self.apply(
                OrderSubmitted(ts=ts, client_order_id=self.client_order_id, symbol=self.symbol)
            )
        self._status = OrderStatus.ACCEPTED
        self._venue_order_id = venue_order_id
        record = (_ACCEPTED, ts, venue_order_id)
        if self._deferred is None:
            self._deferred = [record]
        else:
            self._deferred.append(record)

    def fill_now(  # noqa: PLR0917 - one fill's fields
        self,
        ts: int,
        trade_id: str,
        venue_order_id: str,
        quantity: Quantity,
        price: Price,
        fee: Money,
        liquidity_side: LiquiditySide,
    ) -> None:
        """What applying the :class:`OrderFilled` of these fields does, the event built when
        first read. Raises as :meth:`apply` does."""
        if self._status not in _FILLABLE:
            self.apply(
                self._filled_event(
                    (ts, trade_id, venue_order_id, quantity, price, fee, liquidity_side)
                )
            )
        if not self._trade_ids and quantity == self._quantity:  # the whole order at once
            self._trade_ids = (trade_id,)
            self._filled_qty = quantity
            self._filled_notional = EXACT.multiply(quantity, price)
            self._fees = ((fee.currency, fee.amount),)
            if self._venue_order_id is None:
                self._venue_order_id = venue_order_id
            self._status = OrderStatus.FILLED
        else:
            self._book_fill(trade_id, quantity, price, fee, venue_order_id, self._side)
        self._defer((_FILLED, ts, trade_id, venue_order_id, quantity, price, fee, liquidity_side))

    def update_quantity_now(self, ts: int, quantity: Quantity) -> None:
        """What applying :class:`OrderUpdated` with a new ``quantity`` does (event deferred)."""
        if quantity <= self._filled_qty or self._status not in _UPDATABLE:
            self.apply(
                OrderUpdated(
                    ts=ts,
                    client_order_id=self.client_order_id,
                    symbol=self.symbol,
                    quantity=quantity,
                )
            )
        self._quantity = quantity
        self._defer((_UPDATED, ts, quantity))

    def _defer(self, record: tuple[Any, ...]) -> None:
        if self._deferred is None:
            self._deferred = [record]
        else:
            self._deferred.append(record)

    def _build_deferred(self) -> None:
        """Build the deferred events, in order, as :meth:`apply` would have stored them."""
        records, self._deferred = self._deferred or [], None
        cid, symbol, events = self.client_order_id, self.symbol, self._events
        for record in records:
            kind, ts = record[0], record[1]
            if kind is _ACCEPTED:
                events.append(OrderSubmitted(ts=ts, client_order_id=cid, symbol=symbol))
                events.append(
                    OrderAccepted(
                        ts=ts, client_order_id=cid, symbol=symbol, venue_order_id=record[2]
                    )
                )
            elif kind is _UPDATED:
                events.append(
                    OrderUpdated(ts=ts, client_order_id=cid, symbol=symbol, quantity=record[2])
                )
            else:
                events.append(self._filled_event(record[1:]))

    def _filled_event(self, fields: tuple[Any, ...]) -> OrderFilled:
        ts, trade_id, venue_order_id, quantity, price, fee, liquidity_side = fields
        return OrderFilled(
            ts=ts,
            client_order_id=self.client_order_id,
            symbol=self.symbol,
            trade_id=trade_id,
            venue_order_id=venue_order_id,
            order_side=self._side,
            last_qty=quantity,
            last_price=price,
            fee=fee,
            liquidity_side=liquidity_side,
        )
