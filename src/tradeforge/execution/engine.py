"""The execution engine: owns every order's life cycle, between the strategies and a venue.

A strategy's order reaches the venue only through :meth:`ExecutionEngine.submit`, which runs
the :class:`~tradeforge.risk.engine.RiskEngine` first; a refused order is rejected locally and
never sent. Events from the venue are applied to the engine's own :class:`Order` (the state
machine refuses impossible transitions), fills are booked in the
:class:`~tradeforge.portfolio.portfolio.Portfolio`, and each event is handed to the owner's
listener.

What the venue lacks is emulated here, identically in every mode:

* OTO and bracket lists: the children are held until the parent has filled completely;
* OCO lists: the fill of one member cancels the others;
* trailing stops: a stop order on the venue whose stop is moved after every bar (by the bar's
  extreme minus the offset), never loosened.

Venues also act on their own: funding settlements (:class:`FundingPaid`) are booked in the
portfolio and kept in :attr:`ExecutionEngine.funding`, and fills of orders the venue generated
(a liquidation's ``autoclose-<n>``) are adopted as external orders, tagged ``liquidation``.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Protocol

from tradeforge.common.clock import Clock
from tradeforge.common.ids import LIQUIDATION_ID_PREFIX
from tradeforge.execution.links import plan_links
from tradeforge.model.enums import ContingencyType, OrderStatus, OrderType, TrailingOffsetType
from tradeforge.model.events import (
    FundingPaid,
    OrderAccepted,
    OrderCanceled,
    OrderEvent,
    OrderFilled,
    OrderRejected,
    OrderSubmitted,
    PositionEvent,
    VenueEvent,
)
from tradeforge.model.instrument import Instrument
from tradeforge.model.order_list import OrderList
from tradeforge.model.orders import Order
from tradeforge.model.symbol import Symbol
from tradeforge.model.values import Price, Quantity
from tradeforge.portfolio.portfolio import Portfolio
from tradeforge.risk.engine import RiskEngine

OrderListener = Callable[[Order, OrderEvent], None]
PositionListener = Callable[[PositionEvent], None]


class Follower(Protocol):
    """Follows one strategy's trades from inside the engine (an in-trade manager)."""

    def on_order_event(self, order: Order, event: OrderEvent) -> None:
        """An event of one of the strategy's orders, before the strategy's listener."""
        ...

    def on_position_event(self, event: PositionEvent) -> None:
        """A position event of the strategy, before the strategy's listener."""
        ...

    def on_bar(self, symbol: Symbol, high: float, low: float) -> None:
        """A bar of ``symbol`` closed (from :meth:`ExecutionEngine.on_bar`)."""
        ...


class ExecutionClient(Protocol):
    """What the engine needs from a venue (the simulated exchange, or a ccxt client)."""

    supports_contingency: bool

    def connect(self, handler: Callable[[VenueEvent], None]) -> None:
        """Receive the venue's order events (and funding settlements)."""
        ...

    def submit_order(self, order: Order, quote_quantity: Decimal | None = None) -> None:
        """Send an order."""
        ...

    def submit_order_list(self, orders: OrderList) -> None:
        """Send an OCO or OTO list (only when ``supports_contingency``)."""
        ...

    def cancel_order(self, client_order_id: str, reason: str = "canceled") -> bool:
        """Cancel an order."""
        ...

    def modify_order(
        self,
        client_order_id: str,
        *,
        quantity: Quantity | None = None,
        price: Price | None = None,
        stop_price: Price | None = None,
    ) -> bool:
        """Amend an order."""
        ...


class _Trail:
    """An emulated trailing stop: the venue holds a stop order that the engine moves."""

    __slots__ = ("offset", "percent", "side", "stop")

    def __init__(self, offset: Decimal, percent: bool, side: int) -> None:
        self.offset, self.percent, self.side = offset, percent, side
        self.stop: Decimal | None = None  # where the venue's stop order is now

    def stop_for(self, high: float, low: float) -> Decimal:
        """The stop implied by a bar: below its high for a sell, above its low for a buy."""
        extreme = Decimal(repr(high if self.side < 0 else low))
        distance = extreme * self.offset / 10_000 if self.percent else self.offset
        return extreme - distance if self.side < 0 else extreme + distance


class ExecutionEngine:
    """Routes orders through risk to a venue and events back to their owners.

    Parameters
    ----------
    clock : Clock
        Time of local events (submission, local rejection).
    risk : RiskEngine
        The gate every order passes.
    portfolio : Portfolio
        Books the fills.
    venue : ExecutionClient
        Where orders go.
    instruments : dict
        Symbol to instrument (tick rounding of emulated trailing stops).
    """

    def __init__(
        self,
        clock: Clock,
        risk: RiskEngine,
        portfolio: Portfolio,
        venue: ExecutionClient,
        instruments: dict[Symbol, Instrument],
    ) -> None:
        self.clock = clock
        self.risk = risk
        self.portfolio = portfolio
        self.venue = venue
        self.instruments = instruments
        self.orders: dict[str, Order] = {}
        self._open: dict[str, Order] = {}
        self._order_listeners: dict[str, OrderListener] = {}
        self._position_listeners: dict[str, PositionListener] = {}
        self._held: dict[str, list[Order]] = {}
        self._oco: dict[str, list[str]] = {}
        self.trails: dict[str, _Trail | Follower] = {}
        """What moves after each bar: emulated trailing stops by client order id, and followers
        (:meth:`follow`) by ``follow:<n>`` (a loop calls :meth:`on_bar` while it is not empty)."""
        self.funding: list[FundingPaid] = []
        """Every funding settlement the venue reported, in order."""
        self.rejection_listeners: list[Callable[[Order, OrderRejected], None]] = []
        """Told of every rejected order, local or by the venue (the error-rate breaker)."""
        venue.connect(self.on_venue_event)

    def register(
        self, strategy_id: str, on_order: OrderListener, on_position: PositionListener
    ) -> None:
        """Send the events of ``strategy_id``'s orders and positions to these listeners."""
        self._order_listeners[strategy_id] = on_order
        self._position_listeners[strategy_id] = on_position

    def restore(self, order: Order) -> None:
        """Take back an order rebuilt from the store after a restart
        (:meth:`Order.from_events`): known from now on, and open while it was sent and is not
        closed, so the venue's next events apply to it. Call :meth:`relink` once every order
        is back."""
        self.orders[order.client_order_id] = order
        if not order.is_closed and order.status is not OrderStatus.INITIALIZED:
            self._open[order.client_order_id] = order

    def relink(self) -> None:
        """Restore what the engine emulates, from the restored orders (:mod:`.links`): bracket
        children held until their entry fills (sent now if it filled while the node was down,
        canceled if it closed unfilled), OCO siblings still open, trailing stops still
        working."""
        plan = plan_links(self.orders.values())
        for parent, children in plan.held.items():
            self._held[parent] = children
        for parent, children in plan.release.items():
            self._held[parent] = children
            self._after_fill(self.orders[parent])
        for parent, children in plan.drop.items():
            self._held[parent] = children
            self._drop_held(parent, "parent closed unfilled while the node was down")
        for group in plan.oco:
            if not self._venue_holds_oco([self.orders[cid] for cid in group]):
                self._link_oco(group)
        for order in plan.trailing:
            offset = order.trailing_offset
            assert offset is not None
            percent = order.trailing_offset_type is TrailingOffsetType.BASIS_POINTS
            trail = _Trail(offset, percent, order.side.sign)
            trail.stop = order.stop_price
            self.trails[order.client_order_id] = trail

    def follow(self, strategy_id: str, follower: Follower) -> None:
        """Give ``follower`` the order and position events of ``strategy_id`` (before the
        strategy's own listeners, registered first) and every bar :meth:`on_bar` sees."""
        on_order = self._order_listeners.get(strategy_id, _no_order)
        on_position = self._position_listeners.get(strategy_id, _no_position)

        def order_then(order: Order, event: OrderEvent) -> None:
            follower.on_order_event(order, event)
            on_order(order, event)

        def position_then(event: PositionEvent) -> None:
            follower.on_position_event(event)
            on_position(event)

        self._order_listeners[strategy_id] = order_then
        self._position_listeners[strategy_id] = position_then
        count = sum(not isinstance(t, _Trail) for t in self.trails.values())
        self.trails[f"follow:{count}"] = follower

    def venue_supports(self, order_type: OrderType) -> bool:
        """Whether the venue takes ``order_type`` orders (its ``order_types``; a venue that
        declares none is taken to accept every type)."""
        types = getattr(self.venue, "order_types", None)
        return types is None or order_type in types

    # -- reading ----------------------------------------------------------------------------

    def open_orders(self, symbol: Symbol | None = None) -> list[Order]:
        """Orders submitted and not yet closed (held bracket children excluded)."""
        if symbol is None:
            return list(self._open.values())
        return [o for o in self._open.values() if o.symbol == symbol]

    # -- commands ---------------------------------------------------------------------------

    def submit(self, order: Order, quote_quantity: Decimal | None = None) -> Order:
        """Check ``order`` with the risk engine and send it, or reject it locally."""
        self.orders[order.client_order_id] = order
        reason = self.risk.check(order, quote_quantity)
        if reason:
            self._local_reject(order, reason)
            return order
        if order.order_type is OrderType.TRAILING_STOP_MARKET:
            return self._submit_trailing(order)
        self._send(order, quote_quantity)
        return order

    def submit_list(self, orders: OrderList) -> OrderList:
        """Send an OCO, OTO or bracket list, natively when the venue can, emulated otherwise."""
        for order in orders.orders:
            self.orders[order.client_order_id] = order
        first = orders.orders[0]
        reason = self.risk.check(first)
        if reason:
            for order in orders.orders:
                self._local_reject(order, reason if order is first else f"list refused: {reason}")
            return orders
        if self.venue.supports_contingency:
            # an OTO's children stay with the venue until the parent fills: not yet submitted
            oco = orders.contingency is ContingencyType.OCO
            for order in orders.orders if oco else orders.orders[:1]:
                self._mark_submitted(order)
            self.venue.submit_order_list(orders)
        elif orders.contingency is ContingencyType.OCO:
            if not self._send_oco(list(orders.orders), orders.order_list_id):
                self._link_oco([o.client_order_id for o in orders.orders])
                for order in orders.orders:
                    self._send(order, None)
        else:
            self._held[first.client_order_id] = list(orders.orders[1:])
            self._remember(list(orders.orders[1:]))
            self._send(first, None)
        return orders

    def cancel(self, client_order_id: str, reason: str = "canceled") -> bool:
        """Cancel an open order (or drop held bracket children); False when not open.
        ``reason`` is the cancel's (the kill switch names itself)."""
        held = self._held.pop(client_order_id, None)
        for child in held or ():
            self._apply(
                child,
                OrderCanceled(
                    ts=self.clock.timestamp_ns(),
                    client_order_id=child.client_order_id,
                    symbol=child.symbol,
                    reason="parent canceled",
                ),
            )
        if client_order_id not in self._open:
            return False
        return self.venue.cancel_order(client_order_id, reason)

    def cancel_all(self, symbol: Symbol | None = None, strategy_id: str | None = None) -> int:
        """Cancel every open order (of ``symbol``, of ``strategy_id``); the count canceled."""
        canceled = 0
        for order in self.open_orders(symbol):
            if strategy_id is None or order.strategy_id == strategy_id:
                canceled += self.cancel(order.client_order_id)
        return canceled

    def modify(
        self,
        client_order_id: str,
        *,
        quantity: Quantity | None = None,
        price: Price | None = None,
        stop_price: Price | None = None,
    ) -> bool:
        """Amend an open order; False when it is not open."""
        if client_order_id not in self._open:
            return False
        return self.venue.modify_order(
            client_order_id, quantity=quantity, price=price, stop_price=stop_price
        )

    def on_bar(self, symbol: Symbol, high: float, low: float) -> None:
        """Move the emulated trailing stops of ``symbol`` after a bar closed; tell the
        followers, in the order they came."""
        for cid, trail in list(self.trails.items()):
            if not isinstance(trail, _Trail):
                trail.on_bar(symbol, high, low)
                continue
            order = self._open.get(cid)
            if order is None or order.symbol != symbol:
                continue
            instrument = self.instruments[symbol]
            stop = instrument.round_price(
                trail.stop_for(high, low), "sell" if trail.side < 0 else "buy"
            )
            current = trail.stop
            tighter = current is None or (stop > current if trail.side < 0 else stop < current)
            if tighter and self.venue.modify_order(cid, stop_price=stop):
                trail.stop = stop

    # -- venue events -----------------------------------------------------------------------

    def on_venue_event(self, event: VenueEvent) -> None:
        """Apply a venue event, book fills, emulate contingencies, notify the owner."""
        if isinstance(event, FundingPaid):  # perpetual hook: funding belongs to no order
            self._on_funding(event)
            return
        order = self.orders.get(event.client_order_id)
        if order is None:  # perpetual hook: a venue-generated order (liquidation) is adopted
            order = self._adopt_external(event)
        elif order.status is OrderStatus.INITIALIZED and not isinstance(event, OrderCanceled):
            self._mark_submitted(order)  # a list child the venue activated (its parent filled)
        position_event = self._apply(order, event)
        if isinstance(event, OrderFilled):
            self._after_fill(order)
        elif isinstance(event, OrderRejected):
            self._rejected(order, event)
        if position_event is not None:
            listener = self._position_listeners.get(order.strategy_id or "")
            if listener is not None:
                listener(position_event)

    # -- venue-initiated events -------------------------------------------------------------

    def _on_funding(self, event: FundingPaid) -> None:
        """Book a funding settlement in the portfolio."""
        self.funding.append(event)
        self.portfolio.pay_funding(event.symbol, event.amount, event.ts)

    def _adopt_external(self, event: OrderEvent) -> Order:
        """The order behind a fill the engine never submitted (the venue's own order).

        It becomes a reduce-only market order of the fill's side and quantity, accepted at
        the fill's time, tagged ``liquidation`` for the venue's ``autoclose-`` orders (else
        ``external``), owned by the strategy of the symbol's latest order so that strategy
        hears of the fill and its position's change; it is recorded with the other orders.

        Raises
        ------
        KeyError
            When ``event`` is not a fill: only fills can come from an unknown order.
        """
        if not isinstance(event, OrderFilled):
            raise KeyError(f"venue event for unknown order {event.client_order_id}: {event!r}")
        cid = event.client_order_id
        tag = "liquidation" if cid.startswith(LIQUIDATION_ID_PREFIX) else "external"
        owner = next(
            (o.strategy_id for o in reversed(self.orders.values()) if o.symbol == event.symbol),
            None,
        )
        order = Order(
            cid,
            event.symbol,
            event.order_side,
            OrderType.MARKET,
            event.last_qty,
            ts_init=event.ts,
            reduce_only=True,
            strategy_id=owner,
            tags=(tag,),
        )
        order.apply(OrderSubmitted(ts=event.ts, client_order_id=cid, symbol=event.symbol))
        order.apply(
            OrderAccepted(
                ts=event.ts,
                client_order_id=cid,
                symbol=event.symbol,
                venue_order_id=event.venue_order_id or cid,
            )
        )
        self.orders[cid] = order
        return order

    # -- internals --------------------------------------------------------------------------

    def _apply(self, order: Order, event: OrderEvent) -> PositionEvent | None:
        order.apply(event)
        position_event = None
        if isinstance(event, OrderFilled):
            position_event = self.portfolio.apply_fill(event, order.tags)
        if order.is_closed:
            self._open.pop(order.client_order_id, None)
            self.trails.pop(order.client_order_id, None)
            if not isinstance(event, OrderFilled):
                self._cancel_siblings(order.client_order_id, keep=True)
                self._drop_held(order.client_order_id, "parent closed unfilled")
        listener = self._order_listeners.get(order.strategy_id or "")
        if listener is not None:
            listener(order, event)
        return position_event

    def _after_fill(self, order: Order) -> None:
        cid = order.client_order_id
        self._cancel_siblings(cid, keep=False)
        if order.is_closed:
            children = self._held.pop(cid, None)
            if not children:
                return
            if not self._send_oco(children, order.order_list_id or f"L-{cid}"):
                if len(children) > 1:
                    self._link_oco([c.client_order_id for c in children])
                for child in children:
                    self._send(child, None)

    def _send_oco(self, orders: list[Order], list_id: str) -> bool:
        """Send two exits as one OCO list when the venue can hold them so (on a spot venue
        each would lock the coin: the second sent apart is refused); False: not sent."""
        if not self._venue_holds_oco(orders):
            return False
        for order in orders:
            self._mark_submitted(order)
        self.venue.submit_oco(orders, list_id)  # type: ignore[attr-defined]
        return True

    def _venue_holds_oco(self, orders: list[Order]) -> bool:
        """Whether the venue keeps ``orders`` as one native OCO list (nothing to emulate)."""
        fits = getattr(self.venue, "fits_oco", None)
        return fits is not None and hasattr(self.venue, "submit_oco") and bool(fits(orders))

    def _cancel_siblings(self, cid: str, *, keep: bool) -> None:
        siblings = self._oco.pop(cid, None)
        if siblings is None:
            return
        for sibling in siblings:
            peers = self._oco.get(sibling)
            if peers is not None and cid in peers:
                peers.remove(cid)
            if not keep:
                self._oco.pop(sibling, None)
                if sibling in self._open:
                    self.venue.cancel_order(sibling, reason=f"OCO: {cid} filled")

    def _drop_held(self, parent_id: str, reason: str) -> None:
        children = self._held.pop(parent_id, None) or []
        for child in children:
            self._apply(
                child,
                OrderCanceled(
                    ts=self.clock.timestamp_ns(),
                    client_order_id=child.client_order_id,
                    symbol=child.symbol,
                    reason=reason,
                ),
            )
        self._remember(children)

    def _remember(self, orders: list[Order]) -> None:
        """Tell a venue client with a store about orders only the engine holds or closed
        (held children: created, canceled), so a restarted node finds them as they are."""
        remember = getattr(self.venue, "remember", None)
        if remember is not None and orders:
            remember(orders)

    def _link_oco(self, ids: list[str]) -> None:
        for cid in ids:
            self._oco[cid] = [i for i in ids if i != cid]

    def _submit_trailing(self, order: Order) -> Order:
        offset = order.trailing_offset
        assert offset is not None
        percent = order.trailing_offset_type is TrailingOffsetType.BASIS_POINTS
        trail = _Trail(offset, percent, order.side.sign)
        stop = order.stop_price
        if stop is None:
            last = self.venue_last_price(order.symbol)
            if last is None:
                self._local_reject(order, "trailing stop needs a price: no bar seen yet")
                return order
            stop = self.instruments[order.symbol].round_price(trail.stop_for(last, last))
        venue_order = Order(
            order.client_order_id,
            order.symbol,
            order.side,
            OrderType.STOP_MARKET,
            order.quantity,
            ts_init=order.ts_init,
            stop_price=stop,
            reduce_only=order.reduce_only,
            strategy_id=order.strategy_id,
            tags=order.tags,
        )
        trail.stop = stop
        self.trails[order.client_order_id] = trail
        self._mark_submitted(order)
        self.venue.submit_order(venue_order)
        return order

    def venue_last_price(self, symbol: Symbol) -> float | None:
        """The venue's last price of ``symbol`` (when the venue tells it)."""
        reader = getattr(self.venue, "last_price", None)
        return reader(symbol) if reader is not None else None

    def require_kernel(self, reason: str) -> None:
        """This is the kernel: whatever ``reason`` needs is here."""

    def _send(self, order: Order, quote_quantity: Decimal | None) -> None:
        self._mark_submitted(order)
        self.venue.submit_order(order, quote_quantity)

    def _mark_submitted(self, order: Order) -> None:
        self._open[order.client_order_id] = order
        self._apply(
            order,
            OrderSubmitted(
                ts=self.clock.timestamp_ns(),
                client_order_id=order.client_order_id,
                symbol=order.symbol,
            ),
        )

    def _local_reject(self, order: Order, reason: str) -> None:
        event = OrderRejected(
            ts=self.clock.timestamp_ns(),
            client_order_id=order.client_order_id,
            symbol=order.symbol,
            reason=reason,
        )
        self._apply(order, event)
        self._rejected(order, event)

    def _rejected(self, order: Order, event: OrderRejected) -> None:
        for listener in self.rejection_listeners:
            listener(order, event)


def _no_order(order: Order, event: OrderEvent) -> None:
    return None


def _no_position(event: PositionEvent) -> None:
    return None
