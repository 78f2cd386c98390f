"""Typed, immutable events of orders and positions.

Every event is a frozen dataclass with ``ts`` (integer nanoseconds, UTC, from the injected
clock) and the ids it concerns. :class:`OrderEvent` and :class:`PositionEvent` are the common
bases a message bus or a store can handle generically; :data:`AnyOrderEvent` and
:data:`AnyPositionEvent` are the closed unions for exhaustive ``match`` statements.

An order is driven only by its events (``Order.apply``), and
``OrderInitialized`` carries the whole order specification, so an order can be rebuilt from
its stored events.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from tradeforge.model.enums import (
    LiquiditySide,
    OrderSide,
    OrderType,
    PositionSide,
    TimeInForce,
    TrailingOffsetType,
)
from tradeforge.model.symbol import Symbol
from tradeforge.model.values import Money, Price, Quantity


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    """Base of all domain events.

    Parameters
    ----------
    ts : int
        When the event happened, integer nanoseconds since the epoch, UTC.
    """

    ts: int


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderEvent(Event):
    """Base of the events of one order.

    Parameters
    ----------
    client_order_id : str
        The id tradeforge gave the order; it makes resending idempotent.
    symbol : Symbol
        The market of the order.
    """

    client_order_id: str
    symbol: Symbol


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderInitialized(OrderEvent):
    """An order was created locally; carries the whole specification (see ``Order``)."""

    side: OrderSide
    order_type: OrderType
    quantity: Quantity
    price: Price | None = None
    stop_price: Price | None = None
    trailing_offset: Decimal | None = None
    trailing_offset_type: TrailingOffsetType | None = None
    time_in_force: TimeInForce = TimeInForce.GTC
    expire_time_ns: int | None = None
    post_only: bool = False
    reduce_only: bool = False
    tags: tuple[str, ...] = ()
    strategy_id: str | None = None
    order_list_id: str | None = None
    parent_order_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderSubmitted(OrderEvent):
    """The order was sent to the venue."""


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderAccepted(OrderEvent):
    """The venue accepted the order and gave it ``venue_order_id``."""

    venue_order_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderRejected(OrderEvent):
    """The venue or the local risk engine refused the order, for ``reason``."""

    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderPendingCancel(OrderEvent):
    """A cancel request was sent and awaits the venue's answer."""


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderCancelRejected(OrderEvent):
    """The venue refused a cancel request; the order works on."""

    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderCanceled(OrderEvent):
    """The order was canceled at the venue, or denied locally before it was submitted."""

    reason: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderExpired(OrderEvent):
    """The order's time in force ran out."""


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderUpdated(OrderEvent):
    """The order was modified; ``None`` fields keep their value."""

    quantity: Quantity | None = None
    price: Price | None = None
    stop_price: Price | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderFilled(OrderEvent):
    """The order traded ``last_qty`` at ``last_price``.

    Parameters
    ----------
    trade_id : str
        The venue's id of the trade; unique per order, so a replayed fill is recognized.
    venue_order_id : str or None
        The venue's order id, when known (a fill may arrive before the acceptance).
    order_side : OrderSide
        The side of the order.
    last_qty : Quantity
        The quantity of this fill, positive.
    last_price : Price
        The price of this fill.
    fee : Money
        The fee (commission) paid for this fill; negative for a rebate.
    liquidity_side : LiquiditySide
        Maker or taker.
    """

    trade_id: str
    venue_order_id: str | None = None
    order_side: OrderSide
    last_qty: Quantity
    last_price: Price
    fee: Money
    liquidity_side: LiquiditySide


@dataclass(frozen=True, slots=True, kw_only=True)
class PositionEvent(Event):
    """Base of the events of a position; the state right after the fill that caused it.

    Parameters
    ----------
    position_id : str
        The id of the position.
    symbol : Symbol
        Its market.
    client_order_id, trade_id : str
        The order and trade of the fill that caused the event.
    side : PositionSide
        The side after the fill.
    signed_qty : Decimal
        The net quantity after the fill: positive long, negative short.
    quantity : Quantity
        Its absolute value.
    peak_qty : Quantity
        The largest quantity held since the position was opened.
    avg_px_open : Price or None
        Average entry price of the open quantity (of the closed round trip for
        :class:`PositionClosed`).
    avg_px_close : Price or None
        Average exit price of the quantity reduced since the position was opened (of the
        closed round trip when the fill flipped the position).
    last_side : OrderSide
        The side of the fill.
    last_qty : Quantity
        The quantity of the fill.
    last_price : Price
        The price of the fill.
    last_realized_pnl : Money
        The profit or loss this fill realized (zero when it opened or added).
    realized_pnl : Money
        The total realized by this position object so far, fees excluded.
    ts_opened : int
        When the current (or, for :class:`PositionClosed`, the closed) round trip opened.
    """

    position_id: str
    symbol: Symbol
    client_order_id: str
    trade_id: str
    side: PositionSide
    signed_qty: Decimal
    quantity: Quantity
    peak_qty: Quantity
    avg_px_open: Price | None
    avg_px_close: Price | None
    last_side: OrderSide
    last_qty: Quantity
    last_price: Price
    last_realized_pnl: Money
    realized_pnl: Money
    ts_opened: int


@dataclass(frozen=True, slots=True, kw_only=True)
class PositionOpened(PositionEvent):
    """A fill opened a position from flat."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PositionChanged(PositionEvent):
    """A fill added to, reduced or flipped an open position (a flip: ``side`` changed)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PositionClosed(PositionEvent):
    """A fill took the position to flat; ``ts - ts_opened`` is the round trip's duration."""

    @property
    def duration_ns(self) -> int:
        """How long the round trip lasted."""
        return self.ts - self.ts_opened


@dataclass(frozen=True, slots=True, kw_only=True)
class FundingPaid(Event):
    """A perpetual's funding was settled on a position.

    Parameters
    ----------
    symbol : Symbol
        The perpetual.
    rate : Decimal
        The funding rate (``0.0001`` is 0.01 %).
    mark_price : Decimal
        The mark price the position was valued at.
    position_qty : Decimal
        The signed position at the funding time (contracts): positive long.
    amount : Decimal
        What the position paid in the settle currency:
        ``position_qty × contract size × mark_price × rate``; negative when it received.
    """

    symbol: Symbol
    rate: Decimal
    mark_price: Decimal
    position_qty: Decimal
    amount: Decimal


AnyOrderEvent = (
    OrderInitialized
    | OrderSubmitted
    | OrderAccepted
    | OrderRejected
    | OrderPendingCancel
    | OrderCancelRejected
    | OrderCanceled
    | OrderExpired
    | OrderUpdated
    | OrderFilled
)
AnyPositionEvent = PositionOpened | PositionChanged | PositionClosed
AnyEvent = AnyOrderEvent | AnyPositionEvent
VenueEvent = OrderEvent | FundingPaid
"""What a venue reports to the execution engine: order events and funding settlements."""
