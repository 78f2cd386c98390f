"""Orders: a validated specification plus a status machine driven by events.

An :class:`Order` is created ``INITIALIZED`` with its :class:`OrderInitialized` event and then
changes only through :meth:`Order.apply`, which checks the transition against the table below
and refuses anything else with :class:`InvalidOrderTransition`, leaving the order unchanged::

    INITIALIZED      -> SUBMITTED | REJECTED | CANCELED (denied locally)
    SUBMITTED        -> ACCEPTED | REJECTED | CANCELED | PARTIALLY_FILLED | FILLED | EXPIRED
    ACCEPTED         -> PARTIALLY_FILLED | FILLED | PENDING_CANCEL | CANCELED | EXPIRED
                        | ACCEPTED (updated)
    PARTIALLY_FILLED -> PARTIALLY_FILLED (filled, updated) | FILLED | PENDING_CANCEL
                        | CANCELED | EXPIRED
    PENDING_CANCEL   -> CANCELED | PARTIALLY_FILLED | FILLED | EXPIRED
                        | ACCEPTED or PARTIALLY_FILLED (cancel rejected: the status before)
    FILLED, CANCELED, REJECTED, EXPIRED: terminal

Fills are exact: the order keeps ``filled_qty`` and the exact sum of ``price * qty`` and divides
only when ``avg_px`` is read.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any, TypedDict, Unpack

from tradeforge.model.enums import (
    OrderSide,
    OrderStatus,
    OrderType,
    TimeInForce,
    TrailingOffsetType,
)
from tradeforge.model.events import (
    OrderAccepted,
    OrderCanceled,
    OrderCancelRejected,
    OrderEvent,
    OrderExpired,
    OrderFilled,
    OrderInitialized,
    OrderPendingCancel,
    OrderRejected,
    OrderSubmitted,
    OrderUpdated,
)
from tradeforge.model.fill import divide
from tradeforge.model.order_deferred import DeferredEvents
from tradeforge.model.order_rules import (
    ALLOWED_EVENTS,
    DuplicateFillError,
    InvalidOrderTransition,
    OrderError,
    OverfillError,
    optional_order_number,
    order_number,
    validate_order,
)
from tradeforge.model.symbol import Symbol
from tradeforge.model.values import EXACT, Money, Price, Quantity

__all__ = [
    "DuplicateFillError",
    "InvalidOrderTransition",
    "Order",
    "OrderError",
    "OrderOptions",
    "OverfillError",
]

_NOTHING: frozenset[OrderStatus] = frozenset()
# kinds of deferred events (the backtest fast path)
_ZERO = Quantity(0)


class OrderOptions(TypedDict, total=False):
    """Optional fields shared by the :class:`Order` factories (see :class:`Order`)."""

    time_in_force: TimeInForce
    expire_time_ns: int | None
    post_only: bool
    reduce_only: bool
    tags: Iterable[str]
    strategy_id: str | None
    order_list_id: str | None
    parent_order_id: str | None


class Order(DeferredEvents):
    """An order: its specification, status, fills and event history.

    Parameters
    ----------
    client_order_id : str
        Unique id given by tradeforge; sending it twice is idempotent at the venue.
    symbol : Symbol or str
        The market (text is read with :meth:`Symbol.parse`).
    side : OrderSide
        Buy or sell.
    order_type : OrderType
        What the order does.
    quantity : Quantity, Decimal, int or str
        Positive quantity.
    ts_init : int
        Creation time, integer nanoseconds UTC.
    price : Price, optional
        Limit price: required by LIMIT, STOP_LIMIT and TAKE_PROFIT_LIMIT, refused otherwise.
    stop_price : Price, optional
        Trigger price: required by the STOP_* and TAKE_PROFIT_* types, optional for a trailing
        stop (its initial trigger), refused by MARKET and LIMIT.
    trailing_offset : Decimal, optional
        Positive distance of a TRAILING_STOP_MARKET from the best price; refused otherwise.
    trailing_offset_type : TrailingOffsetType, optional
        Unit of ``trailing_offset``; defaults to PRICE for trailing stops.
    time_in_force : TimeInForce
        GTC by default; GTD needs ``expire_time_ns``; a MARKET order cannot be GTD or DAY.
    expire_time_ns : int, optional
        Expiry of a GTD order, after ``ts_init``; refused for other times in force.
    post_only : bool
        Only for LIMIT orders, and not with IOC or FOK.
    reduce_only : bool
        The order may only reduce a position.
    tags : iterable of str
        Free labels.
    strategy_id, order_list_id, parent_order_id : str, optional
        The strategy that owns the order, its order list, and the parent (entry) of a
        bracket or OTO child.

    Raises
    ------
    OrderError
        When the combination is invalid; the message names the order and the field.
    """

    __slots__ = (
        "_cid",
        "_init",
        "_lazy_quantity",
        "_price",
        "_reduce_only",
        "_status_before_cancel",
        "_stop_price",
        "_strategy_id",
        "_symbol",
        "_tags",
        "_ts_init",
        "_type",
    )
    _lazy_quantity: Quantity  # a market_now order's quantity, for its OrderInitialized

    def __init__(
        self,
        client_order_id: str,
        symbol: Symbol | str,
        side: OrderSide,
        order_type: OrderType,
        quantity: Quantity | Decimal | int | str,
        *,
        ts_init: int,
        price: Price | Decimal | int | str | None = None,
        stop_price: Price | Decimal | int | str | None = None,
        trailing_offset: Decimal | int | str | None = None,
        trailing_offset_type: TrailingOffsetType | None = None,
        time_in_force: TimeInForce = TimeInForce.GTC,
        expire_time_ns: int | None = None,
        post_only: bool = False,
        reduce_only: bool = False,
        tags: Iterable[str] = (),
        strategy_id: str | None = None,
        order_list_id: str | None = None,
        parent_order_id: str | None = None,
    ) -> None:
        if trailing_offset is not None and trailing_offset_type is None:
            trailing_offset_type = TrailingOffsetType.PRICE
        init = OrderInitialized(
            ts=ts_init,
            client_order_id=client_order_id,
            symbol=symbol if isinstance(symbol, Symbol) else Symbol.parse(symbol),
            side=side,
            order_type=order_type,
            quantity=order_number(client_order_id, "quantity", quantity, Quantity),
            price=optional_order_number(client_order_id, "price", price, Price),
            stop_price=optional_order_number(client_order_id, "stop_price", stop_price, Price),
            trailing_offset=optional_order_number(
                client_order_id, "trailing_offset", trailing_offset, Decimal
            ),
            trailing_offset_type=trailing_offset_type,
            time_in_force=time_in_force,
            expire_time_ns=expire_time_ns,
            post_only=post_only,
            reduce_only=reduce_only,
            tags=tuple(tags),
            strategy_id=strategy_id,
            order_list_id=order_list_id,
            parent_order_id=parent_order_id,
        )
        self._start(init)

    # -- construction -----------------------------------------------------------------------

    @classmethod
    def from_init(cls, init: OrderInitialized) -> Order:
        """Create the order an :class:`OrderInitialized` event describes (validated)."""
        order = cls.__new__(cls)
        order._start(init)
        return order

    @classmethod
    def from_events(cls, events: Iterable[OrderEvent]) -> Order:
        """Rebuild an order from its stored events, the first being ``OrderInitialized``."""
        stream = iter(events)
        first = next(stream, None)
        if not isinstance(first, OrderInitialized):
            raise OrderError(f"an order's first event must be OrderInitialized, got {first!r}")
        order = cls.from_init(first)
        for event in stream:
            order.apply(event)
        return order

    def _start(self, init: OrderInitialized) -> None:
        validate_order(init)
        self._init = init
        self._events: list[OrderEvent] = [init]
        self._name(init.client_order_id, init.symbol, init.side, init.order_type, init.ts)
        self._reduce_only = init.reduce_only
        self._tags = init.tags
        self._strategy_id = init.strategy_id
        self._begin(init.quantity, init.price, init.stop_price)

    def _name(self, cid: str, symbol: Symbol, side: OrderSide, kind: OrderType, ts: int) -> None:
        self._cid = cid
        self._symbol = symbol
        self._side = side
        self._type = kind
        self._ts_init = ts

    def _begin(self, quantity: Quantity, price: Price | None, stop_price: Price | None) -> None:
        self._quantity = quantity
        self._price = price
        self._stop_price = stop_price
        self._status = OrderStatus.INITIALIZED
        self._status_before_cancel = OrderStatus.INITIALIZED
        self._filled_qty = _ZERO
        self._filled_notional = Decimal(0)
        self._fees: tuple[tuple[str, Decimal], ...] = ()  # one currency, almost always
        self._venue_order_id: str | None = None
        self._trade_ids: tuple[str, ...] = ()  # few per order: a tuple is the smallest
        # the backtest fast path changes the state at once and builds its events when read
        self._deferred: list[tuple[Any, ...]] | None = None

    @classmethod
    def market_now(
        cls,
        client_order_id: str,
        symbol: Symbol,
        side: OrderSide,
        quantity: Quantity,
        *,
        ts_init: int,
        reduce_only: bool = False,
        tags: tuple[str, ...] = (),
        strategy_id: str | None = None,
    ) -> Order:
        """A GTC MARKET order from parts already typed (the strategy API's orders).

        The same order as :meth:`market` with these arguments, validated alike; its
        ``OrderInitialized`` is built when first read (most orders of a backtest are never
        read again), which makes it several times cheaper to create.

        Raises
        ------
        OrderError
            As :meth:`market` does, for an empty id, a negative time or a quantity that is
            not a positive :class:`Quantity`.
        """
        if not isinstance(client_order_id, str) or not client_order_id:
            raise OrderError(f"client_order_id must be a non-empty string, got {client_order_id!r}")
        if type(ts_init) is not int or ts_init < 0:
            raise OrderError(
                f"order {client_order_id}: ts_init must be a non-negative int of ns, "
                f"got {ts_init!r}"
            )
        if type(quantity) is not Quantity or not quantity.is_finite() or quantity <= 0:
            raise OrderError(
                f"order {client_order_id}: quantity must be a positive Quantity, got {quantity!r}"
            )
        order = cls.__new__(cls)
        order._name(client_order_id, symbol, side, OrderType.MARKET, ts_init)
        order._reduce_only = reduce_only
        order._tags = tags
        order._strategy_id = strategy_id
        order._lazy_quantity = quantity
        order._begin(quantity, None, None)
        return order

    def market_spec(
        self,
    ) -> tuple[str, Symbol, OrderSide, Quantity, int, bool, tuple[str, ...], str | None] | None:
        """The arguments of :meth:`market_now` that built this order (id, symbol, side,
        quantity, ``ts_init``, ``reduce_only``, tags, strategy id); ``None`` for an order
        built otherwise."""
        try:
            quantity = self._lazy_quantity
        except AttributeError:
            return None
        return (
            self._cid, self._symbol, self._side, quantity, self._ts_init, self._reduce_only,
            self._tags, self._strategy_id,
        )  # fmt: skip

    def __getattr__(self, name: str) -> Any:
        """Build the ``OrderInitialized`` of a :meth:`market_now` order when first needed
        (called only for an attribute not set)."""
        if name not in ("_init", "_events"):
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        init = OrderInitialized(
            ts=self._ts_init,
            client_order_id=self._cid,
            symbol=self._symbol,
            side=self._side,
            order_type=self._type,
            quantity=self._lazy_quantity,
            reduce_only=self._reduce_only,
            tags=self._tags,
            strategy_id=self._strategy_id,
        )
        self._init = init
        self._events = [init]
        return init if name == "_init" else self._events

    @classmethod
    def market(
        cls,
        client_order_id: str,
        symbol: Symbol | str,
        side: OrderSide,
        quantity: Quantity | Decimal | int | str,
        *,
        ts_init: int,
        **options: Unpack[OrderOptions],
    ) -> Order:
        """A MARKET order."""
        return cls(
            client_order_id, symbol, side, OrderType.MARKET, quantity, ts_init=ts_init, **options
        )

    @classmethod
    def limit(
        cls,
        client_order_id: str,
        symbol: Symbol | str,
        side: OrderSide,
        quantity: Quantity | Decimal | int | str,
        price: Price | Decimal | int | str,
        *,
        ts_init: int,
        **options: Unpack[OrderOptions],
    ) -> Order:
        """A LIMIT order at ``price``."""
        return cls(
            client_order_id, symbol, side, OrderType.LIMIT, quantity,
            ts_init=ts_init, price=price, **options,
        )  # fmt: skip

    @classmethod
    def stop_market(
        cls,
        client_order_id: str,
        symbol: Symbol | str,
        side: OrderSide,
        quantity: Quantity | Decimal | int | str,
        stop_price: Price | Decimal | int | str,
        *,
        ts_init: int,
        **options: Unpack[OrderOptions],
    ) -> Order:
        """A STOP_MARKET order: a market order once ``stop_price`` trades."""
        return cls(
            client_order_id, symbol, side, OrderType.STOP_MARKET, quantity,
            ts_init=ts_init, stop_price=stop_price, **options,
        )  # fmt: skip

    @classmethod
    def stop_limit(
        cls,
        client_order_id: str,
        symbol: Symbol | str,
        side: OrderSide,
        quantity: Quantity | Decimal | int | str,
        *,
        price: Price | Decimal | int | str,
        stop_price: Price | Decimal | int | str,
        ts_init: int,
        **options: Unpack[OrderOptions],
    ) -> Order:
        """A STOP_LIMIT order: a limit order at ``price`` once ``stop_price`` trades."""
        return cls(
            client_order_id, symbol, side, OrderType.STOP_LIMIT, quantity,
            ts_init=ts_init, price=price, stop_price=stop_price, **options,
        )  # fmt: skip

    @classmethod
    def take_profit_market(
        cls,
        client_order_id: str,
        symbol: Symbol | str,
        side: OrderSide,
        quantity: Quantity | Decimal | int | str,
        stop_price: Price | Decimal | int | str,
        *,
        ts_init: int,
        **options: Unpack[OrderOptions],
    ) -> Order:
        """A TAKE_PROFIT_MARKET order: a market order once ``stop_price`` trades."""
        return cls(
            client_order_id, symbol, side, OrderType.TAKE_PROFIT_MARKET, quantity,
            ts_init=ts_init, stop_price=stop_price, **options,
        )  # fmt: skip

    @classmethod
    def take_profit_limit(
        cls,
        client_order_id: str,
        symbol: Symbol | str,
        side: OrderSide,
        quantity: Quantity | Decimal | int | str,
        *,
        price: Price | Decimal | int | str,
        stop_price: Price | Decimal | int | str,
        ts_init: int,
        **options: Unpack[OrderOptions],
    ) -> Order:
        """A TAKE_PROFIT_LIMIT order: a limit order at ``price`` once ``stop_price`` trades."""
        return cls(
            client_order_id, symbol, side, OrderType.TAKE_PROFIT_LIMIT, quantity,
            ts_init=ts_init, price=price, stop_price=stop_price, **options,
        )  # fmt: skip

    @classmethod
    def trailing_stop_market(
        cls,
        client_order_id: str,
        symbol: Symbol | str,
        side: OrderSide,
        quantity: Quantity | Decimal | int | str,
        trailing_offset: Decimal | int | str,
        *,
        ts_init: int,
        trailing_offset_type: TrailingOffsetType = TrailingOffsetType.PRICE,
        stop_price: Price | Decimal | int | str | None = None,
        **options: Unpack[OrderOptions],
    ) -> Order:
        """A TRAILING_STOP_MARKET order trailing the best price by ``trailing_offset``."""
        return cls(
            client_order_id, symbol, side, OrderType.TRAILING_STOP_MARKET, quantity,
            ts_init=ts_init, trailing_offset=trailing_offset,
            trailing_offset_type=trailing_offset_type, stop_price=stop_price, **options,
        )  # fmt: skip

    # -- specification ----------------------------------------------------------------------

    @property
    def client_order_id(self) -> str:
        """The id tradeforge gave the order."""
        return self._cid

    @property
    def symbol(self) -> Symbol:
        """The market."""
        return self._symbol

    @property
    def side(self) -> OrderSide:
        """Buy or sell."""
        return self._side

    @property
    def order_type(self) -> OrderType:
        """The order type."""
        return self._type

    @property
    def quantity(self) -> Quantity:
        """The ordered quantity (as last updated)."""
        return self._quantity

    @property
    def price(self) -> Price | None:
        """The limit price (as last updated), for limit types."""
        return self._price

    @property
    def stop_price(self) -> Price | None:
        """The trigger price (as last updated), for stop, take-profit and trailing types."""
        return self._stop_price

    @property
    def trailing_offset(self) -> Decimal | None:
        """The trailing stop's offset."""
        return self._init.trailing_offset

    @property
    def trailing_offset_type(self) -> TrailingOffsetType | None:
        """The unit of :attr:`trailing_offset`."""
        return self._init.trailing_offset_type

    @property
    def time_in_force(self) -> TimeInForce:
        """The time in force."""
        return self._init.time_in_force

    @property
    def expire_time_ns(self) -> int | None:
        """Expiry of a GTD order."""
        return self._init.expire_time_ns

    @property
    def post_only(self) -> bool:
        """True when the order must add liquidity."""
        return self._init.post_only

    @property
    def reduce_only(self) -> bool:
        """True when the order may only reduce a position."""
        return self._reduce_only

    @property
    def tags(self) -> tuple[str, ...]:
        """Free labels."""
        return self._tags

    @property
    def strategy_id(self) -> str | None:
        """The owning strategy."""
        return self._strategy_id

    @property
    def order_list_id(self) -> str | None:
        """The order list (OCO, OTO, bracket) the order belongs to."""
        return self._init.order_list_id

    @property
    def parent_order_id(self) -> str | None:
        """The parent (entry) of a bracket or OTO child."""
        return self._init.parent_order_id

    @property
    def ts_init(self) -> int:
        """Creation time."""
        return self._ts_init

    # -- state ------------------------------------------------------------------------------

    @property
    def status(self) -> OrderStatus:
        """The current status."""
        return self._status

    @property
    def is_open(self) -> bool:
        """True while the order works at the venue."""
        return self._status.is_open

    @property
    def is_closed(self) -> bool:
        """True in a terminal status."""
        return self._status.is_closed

    @property
    def venue_order_id(self) -> str | None:
        """The venue's id, once accepted (or filled)."""
        return self._venue_order_id

    @property
    def filled_qty(self) -> Quantity:
        """The quantity filled so far."""
        return self._filled_qty

    @property
    def leaves_qty(self) -> Quantity:
        """The quantity still to fill: ``quantity - filled_qty``."""
        return Quantity(EXACT.subtract(self._quantity, self._filled_qty))

    @property
    def filled_notional(self) -> Decimal:
        """The exact sum of ``price * qty`` over the fills."""
        return self._filled_notional

    @property
    def avg_px(self) -> Price | None:
        """The average fill price, ``None`` before the first fill.

        Exact when the quotient terminates within 18 places, else rounded half-even there
        (see :func:`~tradeforge.model.fill.divide`).
        """
        if not self._filled_qty:
            return None
        return Price(divide(self._filled_notional, self._filled_qty))

    @property
    def fees(self) -> dict[str, Money]:
        """Total fees paid, per currency (a fresh dictionary)."""
        return {currency: Money(amount, currency) for currency, amount in self._fees}

    @property
    def events(self) -> tuple[OrderEvent, ...]:
        """Every event applied, oldest first, starting with ``OrderInitialized``."""
        if self._deferred:
            self._build_deferred()
        return tuple(self._events)

    @property
    def last_event(self) -> OrderEvent:
        """The latest event."""
        if self._deferred:
            self._build_deferred()
        return self._events[-1]

    @property
    def ts_last(self) -> int:
        """When the latest event happened."""
        return self.last_event.ts

    # -- events -----------------------------------------------------------------------------

    def apply(self, event: OrderEvent) -> None:
        """Apply an event from the venue or the engines.

        Raises
        ------
        InvalidOrderTransition
            When the current status does not allow the event.
        OverfillError
            When a fill exceeds :attr:`leaves_qty`.
        DuplicateFillError
            When a fill's trade id was already applied.
        OrderError
            When the event concerns another order or carries invalid values.

        On any error the order is unchanged.
        """
        if event.client_order_id != self._cid:
            raise OrderError(
                f"order {self.client_order_id}: event {type(event).__name__} "
                f"is for order {event.client_order_id}"
            )
        if self._status not in ALLOWED_EVENTS.get(type(event), _NOTHING):
            raise InvalidOrderTransition(self.client_order_id, self._status, event)
        if self._deferred:
            self._build_deferred()
        self._handle(event)
        self._events.append(event)

    def _handle(self, event: OrderEvent) -> None:
        match event:
            case OrderFilled():
                self._fill(event)
            case OrderSubmitted():
                self._status = OrderStatus.SUBMITTED
            case OrderAccepted():
                self._venue_order_id = event.venue_order_id
                self._status = OrderStatus.ACCEPTED
            case OrderPendingCancel():
                self._status_before_cancel = self._status
                self._status = OrderStatus.PENDING_CANCEL
            case OrderCancelRejected():
                self._status = self._status_before_cancel
            case OrderCanceled():
                self._status = OrderStatus.CANCELED
            case OrderExpired():
                self._status = OrderStatus.EXPIRED
            case OrderRejected():
                self._status = OrderStatus.REJECTED
            case OrderUpdated():
                self._update(event)
            case _:  # pragma: no cover - ALLOWED_EVENTS admits only the types above
                raise InvalidOrderTransition(self.client_order_id, self._status, event)

    def _fill(self, event: OrderFilled) -> None:
        self._book_fill(
            event.trade_id,
            event.last_qty,
            event.last_price,
            event.fee,
            event.venue_order_id,
            event.order_side,
        )

    def _book_fill(  # noqa: PLR0917 - one fill's fields
        self,
        trade_id: str,
        qty: Quantity,
        price: Price,
        fee: Money,
        venue_order_id: str | None,
        side: OrderSide,
    ) -> None:
        leaves = EXACT.subtract(self._quantity, self._filled_qty)
        if qty <= 0:
            raise OrderError(
                f"order {self.client_order_id}: fill {trade_id} last_qty must be "
                f"positive, got {qty}"
            )
        if qty > leaves:
            raise OverfillError(
                f"order {self.client_order_id}: fill {trade_id} of {qty} exceeds "
                f"leaves_qty {leaves} (quantity {self._quantity}, filled {self._filled_qty})"
            )
        if side is not self._side:
            raise OrderError(
                f"order {self.client_order_id} is a {self.side.name}: fill {trade_id} "
                f"has order_side {side.name}"
            )
        if trade_id in self._trade_ids:
            raise DuplicateFillError(
                f"order {self.client_order_id}: trade_id {trade_id} already applied"
            )
        self._trade_ids += (trade_id,)
        self._filled_qty = Quantity(EXACT.add(self._filled_qty, qty))
        self._filled_notional = EXACT.add(self._filled_notional, EXACT.multiply(qty, price))
        self._fees = _add_fee(self._fees, fee)
        if self._venue_order_id is None:
            self._venue_order_id = venue_order_id
        filled = qty == leaves
        self._status = OrderStatus.FILLED if filled else OrderStatus.PARTIALLY_FILLED

    def _update(self, event: OrderUpdated) -> None:
        kind = self._type
        if event.quantity is not None and event.quantity <= self._filled_qty:
            raise OrderError(
                f"order {self.client_order_id}: updated quantity {event.quantity} must exceed "
                f"filled_qty {self._filled_qty}"
            )
        if event.price is not None and not kind.has_price:
            raise OrderError(
                f"order {self.client_order_id}: a {kind.name} order has no price to update"
            )
        if event.stop_price is not None and not (kind.has_stop_price or kind.is_trailing):
            raise OrderError(
                f"order {self.client_order_id}: a {kind.name} order has no stop_price to update"
            )
        if event.quantity is not None:
            self._quantity = event.quantity
        if event.price is not None:
            self._price = event.price
        if event.stop_price is not None:
            self._stop_price = event.stop_price

    # -- identity ---------------------------------------------------------------------------

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Order):
            return NotImplemented
        return self._cid == other._cid

    def __hash__(self) -> int:
        return hash(self._cid)

    def __repr__(self) -> str:
        parts = [self.side.name, str(self._quantity), str(self.symbol), self.order_type.name]
        if self._price is not None:
            parts.append(f"@ {self._price}")
        if self._stop_price is not None:
            parts.append(f"stop {self._stop_price}")
        return (
            f"Order({self.client_order_id}: {' '.join(parts)} {self.time_in_force.name}, "
            f"{self._status.name}, filled {self._filled_qty})"
        )


def _add_fee(fees: tuple[tuple[str, Decimal], ...], fee: Money) -> tuple[tuple[str, Decimal], ...]:
    """The fees per currency with ``fee`` added."""
    currency = fee.currency
    for i, (paid_in, amount) in enumerate(fees):
        if paid_in == currency:
            return (*fees[:i], (currency, EXACT.add(amount, fee.amount)), *fees[i + 1 :])
    return (*fees, (currency, fee.amount))
