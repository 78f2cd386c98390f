"""``CcxtExecutionClient``: the kernel's :class:`~tradeforge.execution.engine.ExecutionClient`
on any ccxt exchange.

**Threading model.** The kernel is synchronous and single-threaded; ccxt.pro is asyncio. The
client runs every venue call on the adapters' :class:`~.loop.LoopThread` and never calls the
kernel from there: the venue events it produces (accepted, rejected, updated, filled,
canceled, expired), the connection state (for the risk engine's ``ConnectionBreaker``) and
the measured round trips (its ``LatencyBreaker``) are queued in an :class:`~.loop.Inbox`
that the node drains on the kernel's thread (:meth:`CcxtExecutionClient.drain`). Commands
(:meth:`~CcxtExecutionClient.submit_order`, :meth:`~CcxtExecutionClient.cancel_order`,
:meth:`~CcxtExecutionClient.modify_order`) return at once; their results arrive as events.
Queries (balances, open orders, fills) block the caller until the venue answers.

The order logic lives in :mod:`.execution_core` (placement and the idempotency rule,
modification, reconciliation, the user stream) and :mod:`.order_tracker` (which events a
report justifies).

>>> session = build_session("binance", url=sandbox.http_url, credentials=...)  # doctest: +SKIP
>>> client = CcxtExecutionClient(session, clock).start()  # doctest: +SKIP
>>> engine = ExecutionEngine(clock, risk, portfolio, client, instruments)  # doctest: +SKIP
>>> client.drain(timeout=0.1)  # on the kernel's thread, in its loop  # doctest: +SKIP
"""

from __future__ import annotations

import concurrent.futures
import logging
from collections.abc import Callable, Coroutine
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

from tradeforge.adapters.ccxt.breaker import ConnectionMonitor, ConnectionSink, LatencySink
from tradeforge.adapters.ccxt.execution_core import ExecutionCore, ExecutionSettings
from tradeforge.adapters.ccxt.loop import Inbox, LoopThread
from tradeforge.adapters.ccxt.oco import oco_pair
from tradeforge.adapters.ccxt.order_tracker import OrderTracker
from tradeforge.adapters.ccxt.replies import (
    VenueOrder,
    VenueTrade,
    parse_balances,
    parse_each,
    parse_order,
    parse_trade,
)
from tradeforge.adapters.ccxt.session import VenueSession
from tradeforge.common.clock import Clock
from tradeforge.model.account import AccountBalance
from tradeforge.model.enums import OrderType
from tradeforge.model.events import VenueEvent
from tradeforge.model.order_list import OrderList
from tradeforge.model.orders import Order
from tradeforge.model.symbol import Symbol
from tradeforge.model.values import Price, Quantity

if TYPE_CHECKING:
    from tradeforge.execution.engine import ExecutionClient

T = TypeVar("T")
_log = logging.getLogger("tradeforge.adapters")


class CcxtExecutionClient:
    """Orders on a ccxt exchange, as the execution engine's venue.

    Parameters
    ----------
    session : VenueSession
        The exchange (``ccxt.pro`` for the user-data stream) with its limits and breaker.
    clock : Clock
        The kernel's clock (times of events the venue does not date).
    settings : ExecutionSettings, optional
        Attempts and delays of placements.
    loop : LoopThread, optional
        The adapters' loop (shared with the data client); a private one by default.
    inbox : Inbox, optional
        Where events wait for the kernel (shared with the data client); a private one by
        default.
    connection : ConnectionSink, optional
        Told when the venue drops and comes back (the risk engine's ``ConnectionBreaker``).
    latency : LatencySink, optional
        Told every round trip in ms (the risk engine's ``LatencyBreaker``).
    """

    supports_contingency = False
    """Order lists are emulated by the execution engine."""

    def __init__(
        self,
        session: VenueSession,
        clock: Clock,
        settings: ExecutionSettings | None = None,
        *,
        loop: LoopThread | None = None,
        inbox: Inbox | None = None,
        connection: ConnectionSink | None = None,
        latency: LatencySink | None = None,
    ) -> None:
        self.session = session
        self.inbox = inbox or Inbox()
        self._own_loop = loop is None
        self.loop = loop or LoopThread(f"tradeforge-{session.venue}")
        self._handler: Callable[[VenueEvent], None] | None = None
        self.monitor = ConnectionMonitor(self._tell_connection(connection))
        session.breaker.on_change = self.monitor.reporter("rest")
        if latency is not None:
            session.on_latency = lambda ms: self.inbox.call(lambda: latency.record(ms))
        self.tracker = OrderTracker(self.inbox.put, clock)
        self.core = ExecutionCore(
            session, self.tracker, settings, lambda link, up: self.monitor.reporter(link)(up)
        )
        self._pending: set[concurrent.futures.Future[Any]] = set()

    def _tell_connection(self, sink: ConnectionSink | None) -> Callable[[bool], None]:
        def tell(connected: bool) -> None:
            if sink is not None:
                self.inbox.call(lambda: sink.set_connected(connected))

        return tell

    @property
    def order_types(self) -> frozenset[OrderType]:
        """The order types the venue takes (the engine emulates trailing stops)."""
        return self.session.profile.order_types

    # -- life cycle -------------------------------------------------------------------------

    def start(self, timeout: float = 30.0) -> CcxtExecutionClient:
        """Start the loop, load the markets, follow the user stream."""
        self.loop.start()
        self.loop.run(self.core.start(), timeout)
        return self

    def stop(self) -> None:
        """Stop following the venue and close the exchange (and the loop when it is ours)."""
        try:
            self.loop.run(self.core.stop(), timeout=15)
        finally:
            if self._own_loop:
                self.loop.stop()

    def connect(self, handler: Callable[[VenueEvent], None]) -> None:
        """Receive the venue's order events (delivered by :meth:`drain`)."""
        self._handler = handler

    def drain(self, timeout: float = 0.0, limit: int | None = None) -> int:
        """Deliver waiting events to the handler, on the calling (kernel) thread; how many.

        Parameters
        ----------
        timeout : float
            Seconds to wait for the first message when none waits.
        limit : int, optional
            Deliver at most this many.
        """
        return self.inbox.drain(self._deliver, timeout, limit)

    def _deliver(self, message: Any) -> None:
        if self._handler is None:
            _log.warning("venue event without a handler dropped: %r", message)
            return
        self._handler(message)

    def wait_idle(self, timeout: float = 30.0) -> None:
        """Wait until every command sent so far has been settled with the venue."""
        pending = list(self._pending)
        concurrent.futures.wait(pending, timeout)

    # -- commands (ExecutionClient) ---------------------------------------------------------

    def submit_order(self, order: Order, quote_quantity: Decimal | None = None) -> None:
        """Send ``order``; the venue's answer arrives as events."""
        self._command(self.core.submit(order, quote_quantity))

    def fits_oco(self, orders: list[Order]) -> bool:
        """Whether the venue places ``orders`` (two exits) as one OCO list
        (:func:`~.oco.oco_pair`, and the profile's ``oco_method``)."""
        return self.session.profile.oco_method is not None and oco_pair(orders) is not None

    def submit_oco(self, orders: list[Order], list_id: str) -> None:
        """Send two exits that :meth:`fits_oco` as one OCO list; the answers come as events."""
        pair = oco_pair(orders)
        assert pair is not None, "check fits_oco first"
        self._command(self.core.submit_oco(*pair, list_id))

    def submit_order_list(self, orders: OrderList) -> None:
        """Not supported: the execution engine emulates order lists on this venue."""
        raise NotImplementedError("order lists are emulated by the execution engine")

    def cancel_order(self, client_order_id: str, reason: str = "canceled") -> bool:
        """Ask the venue to cancel an open order; False when the order is not open here."""
        if not self._is_open(client_order_id):
            return False
        self._command(self.core.cancel(client_order_id, reason))
        return True

    def modify_order(
        self,
        client_order_id: str,
        *,
        quantity: Quantity | None = None,
        price: Price | None = None,
        stop_price: Price | None = None,
    ) -> bool:
        """Amend an open order (cancel and replace at the venue; one update for the kernel);
        False when the order is not open here."""
        if not self._is_open(client_order_id):
            return False
        self._command(self.core.modify(client_order_id, quantity, price, stop_price))
        return True

    def _is_open(self, client_order_id: str) -> bool:
        tracked = self.tracker.orders.get(client_order_id)
        return tracked is not None and not tracked.closed

    def _command(self, coroutine: Coroutine[Any, Any, None]) -> None:
        future = self.loop.spawn(coroutine)
        self._pending.add(future)
        future.add_done_callback(self._settled)

    def _settled(self, future: concurrent.futures.Future[Any]) -> None:
        self._pending.discard(future)
        if not future.cancelled() and future.exception() is not None:
            _log.error("venue command failed", exc_info=future.exception())

    # -- queries ----------------------------------------------------------------------------

    def _ask(self, coroutine: Coroutine[Any, Any, T], timeout: float) -> T:
        return self.loop.run(coroutine, timeout)

    def fetch_order(
        self, client_order_id: str, symbol: Symbol | str, timeout: float = 30.0
    ) -> VenueOrder | None:
        """The venue's state of an order by its client id; None when the venue does not
        know it."""
        tracked = self.tracker.orders.get(client_order_id)
        venue_cid = tracked.venue_cid if tracked is not None else client_order_id
        return self._ask(self.core.lookup(venue_cid, str(symbol)), timeout)

    def balances(self, timeout: float = 30.0) -> dict[str, AccountBalance]:
        """Free and locked balance per currency."""
        raw = self._ask(self.session.call("fetch_balance"), timeout)
        return parse_balances(raw)

    def open_orders(
        self, symbol: Symbol | str | None = None, timeout: float = 30.0
    ) -> list[VenueOrder]:
        """The orders open at the venue (of ``symbol``)."""
        raw = self._ask(
            self.session.call("fetch_open_orders", None if symbol is None else str(symbol)), timeout
        )
        return parse_each(raw, parse_order, "open order")

    def my_trades(
        self, symbol: Symbol | str, since_ms: int | None = None, timeout: float = 30.0
    ) -> list[VenueTrade]:
        """Our fills of ``symbol`` (from ``since_ms``)."""
        raw = self._ask(self.session.call("fetch_my_trades", str(symbol), since_ms), timeout)
        return parse_each(raw, parse_trade, "trade")

    def reconcile(self, timeout: float = 60.0) -> None:
        """Query every order not closed and apply what the venue says (after a restart or
        an outage)."""
        self._ask(self.core.reconcile_open(), timeout)

    def restore(self, orders: list[Order], legs: dict[str, list[str]] | None = None) -> None:
        """Follow orders rebuilt from the store after a restart (or adopted from the venue).

        Parameters
        ----------
        orders : list of Order
            Orders not closed; one still in flight (sent, never answered) is in doubt: the
            next :meth:`reconcile` adopts it when the venue knows it, else rejects it ("never
            reached the venue"). It is never sent again.
        legs : dict, optional
            Client order id to the client ids it works under at the venue, the working one
            last (an order amended before the restart: ``["O-1", "O-1.1"]``).
        """

        async def restore() -> None:
            for order in orders:
                cid = order.client_order_id
                self.tracker.restore(order, (legs or {}).get(cid) or [cid])
                self.core.orders[cid] = order
                if order.status.is_in_flight and order.venue_order_id is None:
                    self.core.in_doubt.add(cid)

        self._ask(restore(), 30.0)

    def apply_trades(self, trades: list[VenueTrade]) -> list[VenueTrade]:
        """Apply our fills found by a query (``my_trades``) to the orders they belong to (each
        trade id once); the trades of orders this client does not follow."""

        async def apply() -> list[VenueTrade]:
            unknown = []
            for trade in trades:
                if self.tracker.find(None, trade.venue_order_id) is None:
                    unknown.append(trade)
                else:
                    self.tracker.on_trade(trade)
            return unknown

        return self._ask(apply(), 30.0)

    @property
    def anomalies(self) -> list[str]:
        """Venue reports that contradicted earlier ones (logged, never applied)."""
        return list(self.tracker.anomalies)

    @property
    def venue_balances(self) -> dict[str, AccountBalance]:
        """The latest balances the user stream reported."""
        return dict(self.core.venue_balances)


if TYPE_CHECKING:

    def _is_an_execution_client(client: CcxtExecutionClient) -> ExecutionClient:
        """mypy checks that the client has the shape the execution engine needs."""
        return client
