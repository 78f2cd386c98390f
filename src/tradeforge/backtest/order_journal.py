"""The orders of a fast-path run, the filled ones kept as compact records.

A long backtest sends hundreds of thousands of market orders. Once one has filled, nothing in
the run reads it again (a strategy that kept the :class:`Order` still has it), so the fast path
keeps only what rebuilds it: the specification, the venue's ids and times, the fill. That takes
a fifth of the memory of the live object, its events and its fill figures. Reading the
journal (the results' orders and fills frames, ``run.execution.orders``) rebuilds each order
through the same calls that made it, so it is equal to the original, event for event.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import NamedTuple

from tradeforge.model.enums import LiquiditySide, OrderSide
from tradeforge.model.orders import Order
from tradeforge.model.symbol import Symbol
from tradeforge.model.values import Money, Price, Quantity


class FilledMarket(NamedTuple):
    """What rebuilds a market order accepted, maybe re-sized at its fill, then filled whole:
    its specification (:meth:`Order.market_spec`), then the venue's side."""

    client_order_id: str
    symbol: Symbol
    side: OrderSide
    ordered: Quantity
    ts_init: int
    reduce_only: bool
    tags: tuple[str, ...]
    strategy_id: str | None
    ts_accepted: int
    venue_order_id: int
    resized: bool  # sized by value: its quantity was set at the fill price (OrderUpdated)
    ts_filled: int
    trade_id: int
    quantity: Quantity
    price: Price
    fee: Decimal
    fee_currency: str

    def rebuild(self) -> Order:
        """The order, with the events it had."""
        order = Order.market_now(
            self.client_order_id, self.symbol, self.side, self.ordered, ts_init=self.ts_init,
            reduce_only=self.reduce_only, tags=self.tags, strategy_id=self.strategy_id,
        )  # fmt: skip
        venue_order_id = str(self.venue_order_id)
        order.accept_now(self.ts_accepted, venue_order_id)
        if self.resized:
            order.update_quantity_now(self.ts_filled, self.quantity)
        order.fill_now(
            self.ts_filled,
            str(self.trade_id),
            venue_order_id,
            self.quantity,
            self.price,
            Money(self.fee, self.fee_currency),
            LiquiditySide.TAKER,
        )
        return order


class OrderJournal(Mapping[str, Order]):
    """Every order of a run by client order id, in submission order; filled market orders
    are stored as the plain tuples of :class:`FilledMarket` records and rebuilt when read."""

    __slots__ = ("_entries",)

    def __init__(self) -> None:
        self._entries: dict[str, Order | tuple[object, ...]] = {}

    def add(self, order: Order) -> None:
        """Record a submitted order."""
        self._entries[order.client_order_id] = order

    def filled(self, client_order_id: str, record: tuple[object, ...]) -> None:
        """Keep a filled order as the fields of its :class:`FilledMarket` (a plain tuple: the
        cheapest to build); its place in the order stays."""
        self._entries[client_order_id] = record

    def __getitem__(self, client_order_id: str) -> Order:
        entry = self._entries[client_order_id]
        if isinstance(entry, Order):
            return entry
        return FilledMarket._make(entry).rebuild()

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)
