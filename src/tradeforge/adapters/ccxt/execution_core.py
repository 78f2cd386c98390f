"""The asynchronous half of the ccxt execution client: orders, queries and the user stream.

Runs on the adapters' loop (:class:`~.loop.LoopThread`); the synchronous
:class:`~.execution_client.CcxtExecutionClient` schedules its coroutines. One lock per order
serializes what is done to it (a cancel waits for the placement it follows).

**The idempotency rule.** An order is placed with its client order id, once per attempt, and
never sent again blindly: when an attempt's outcome is unknown (a timeout, a 5xx, a lost or
malformed reply) the order is first looked up by its client id; found, it is adopted as
placed; unknown to the venue, it is sent again with the same client id (so a venue that
dedupes ids refuses a duplicate), after a backoff with jitter. A refusal that follows an
unknown outcome is checked the same way (the first attempt may have landed after all). When
the venue cannot even be asked, the order stays in flight and is settled by the next
reconciliation, never resent.

**Modifications** cancel the working order and place the rest under a derived client id
(``<id>.<n>``), keeping the kernel's order: it sees one update, not a cancel and a new order.

**The user stream** (``watch_orders``, ``watch_my_trades``, ``watch_balance``) reconnects
with backoff; after a reconnection every order still open is queried again
(:meth:`ExecutionCore.reconcile_open`), so nothing that happened meanwhile is missed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any, TypeVar

from tradeforge.adapters.ccxt.errors import (
    CircuitOpenError,
    MalformedReplyError,
    PermanentVenueError,
    RateLimitedError,
    TransientVenueError,
    UnknownOrderError,
    VenueError,
    VenueRefusedError,
)
from tradeforge.adapters.ccxt.oco import oco_params
from tradeforge.adapters.ccxt.order_request import OrderRequest, build_request
from tradeforge.adapters.ccxt.order_tracker import OrderTracker, Tracked
from tradeforge.adapters.ccxt.replies import (
    VenueOrder,
    VenueOrderStatus,
    VenueTrade,
    parse_balances,
    parse_each,
    parse_order,
    parse_trade,
)
from tradeforge.adapters.ccxt.session import VenueSession
from tradeforge.adapters.ccxt.streams import STREAM_POLICY, StreamGuard
from tradeforge.model.account import AccountBalance
from tradeforge.model.enums import OrderType
from tradeforge.model.events import OrderInitialized
from tradeforge.model.orders import Order
from tradeforge.model.values import Price, Quantity

_log = logging.getLogger("tradeforge.adapters")
Outcome = VenueOrder | VenueError


class _NotFound:
    """The venue does not know the order."""


NOT_FOUND = _NotFound()
Placed = TypeVar("Placed")


@dataclass(frozen=True, slots=True)
class ExecutionSettings:
    """How the execution client places and settles orders.

    Parameters
    ----------
    submit_attempts : int
        Sends of one order at most (all with the same client order id).
    lookup_delay : float
        Seconds to wait before asking about an order whose outcome is unknown.
    fill_grace : float
        Seconds a terminal report waits for its fills from the stream before they are
        fetched over REST.
    orphan_grace : float
        Seconds a fill waits for the order it belongs to before it is dropped as unknown.
    resubscribe_grace : float
        Seconds after the user stream resubscribes before the open orders are reconciled
        (ccxt does not tell when a subscription is back; a message after it also triggers a
        reconciliation).
    reconcile_every : float or None
        Seconds between reconciliations of the open orders, a safety net for any event the
        stream lost; None: never.
    user_stream : bool
        Follow the user-data stream (orders, fills, balances).
    """

    submit_attempts: int = 5
    lookup_delay: float = 0.5
    fill_grace: float = 0.5
    orphan_grace: float = 5.0
    resubscribe_grace: float = 0.5
    reconcile_every: float | None = 60.0
    user_stream: bool = True


class ExecutionCore:
    """Orders at one venue, settled through a :class:`OrderTracker`.

    Parameters
    ----------
    session : VenueSession
        The exchange (``ccxt.pro`` for the user stream).
    tracker : OrderTracker
        Turns reports into kernel events.
    settings : ExecutionSettings
        Attempts and delays.
    on_connection : callable, optional
        ``on_connection(stream, connected)`` when a user stream (``watch_orders``...) drops
        or is back.
    """

    def __init__(
        self,
        session: VenueSession,
        tracker: OrderTracker,
        settings: ExecutionSettings | None = None,
        on_connection: Callable[[str, bool], None] | None = None,
    ) -> None:
        self.session = session
        self.tracker = tracker
        self.settings = settings or ExecutionSettings()
        self.on_connection = on_connection
        self.orders: dict[str, Order] = {}
        self.venue_balances: dict[str, AccountBalance] = {}
        """The latest balances the user stream reported."""
        self.in_doubt: set[str] = set()
        """Orders whose placement could not be confirmed either way (settled by
        :meth:`reconcile_open`)."""
        self._locks: dict[str, asyncio.Lock] = {}
        self._tasks: set[asyncio.Task[Any]] = set()

    @property
    def exchange(self) -> Any:
        """The ccxt exchange."""
        return self.session.exchange

    # -- life cycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Load the markets and follow the user stream."""
        await self.session.call("load_markets")
        if self.settings.user_stream and self.exchange.has.get("watchOrders"):
            self._spawn(self._follow("watch_orders", self._on_orders, reconcile=True))
            if self.exchange.has.get("watchMyTrades"):
                self._spawn(self._follow("watch_my_trades", self._on_trades))
            if self.exchange.has.get("watchBalance"):
                self._spawn(self._follow("watch_balance", self._on_balance))
        if self.settings.reconcile_every is not None:
            self._spawn(self._reconcile_periodically(self.settings.reconcile_every))

    async def stop(self) -> None:
        """Stop the streams and pending work; close the exchange."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.exchange.close()

    def _spawn(self, coroutine: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            _log.error("adapter task failed", exc_info=task.exception())

    def _lock(self, cid: str) -> asyncio.Lock:
        return self._locks.setdefault(cid, asyncio.Lock())

    # -- commands ---------------------------------------------------------------------------

    async def submit(self, order: Order, quote_quantity: Decimal | None = None) -> None:
        """Place ``order`` (see the idempotency rule above)."""
        cid = order.client_order_id
        async with self._lock(cid):
            self.orders[cid] = order
            quote = quote_quantity is not None
            try:
                request = build_request(
                    self.exchange, self.session.profile, order, cid, quote_quantity=quote_quantity
                )
            except VenueError as error:
                self.tracker.rejected(self.tracker.track(order, cid, quote=quote), str(error))
                return
            tracked = self.tracker.track(order, cid, quote=quote, sent=request.changes(order))
            outcome = await self._place(request, tracked)
            if isinstance(outcome, VenueOrder):
                self._report(outcome)
            elif isinstance(outcome, TransientVenueError):
                self._spawn(self._settle_in_doubt(tracked))
            else:
                self.tracker.rejected(tracked, str(outcome))

    async def submit_oco(self, take: Order, stop: Order, list_id: str) -> None:
        """Place two exits as one OCO list at the venue (:mod:`.oco`), under the idempotency
        rule: an unknown outcome is looked up by the legs' client ids before the list is sent
        again (with the same ids); the list is all or nothing, so one leg unknown to the venue
        means the list is not there."""
        async with self._lock(stop.client_order_id):
            legs = []
            for order in (take, stop):
                self.orders[order.client_order_id] = order
                legs.append(self.tracker.track(order, order.client_order_id))
            method = self.session.profile.oco_method
            assert method is not None, "the venue has no OCO list"
            try:
                params = oco_params(self.exchange, take, stop, list_id)
            except VenueError as error:
                for tracked in legs:
                    self.tracker.rejected(tracked, str(error))
                return
            market = self.exchange.market(str(stop.symbol))

            async def send() -> list[VenueOrder]:
                reply = await self.session.once(method, params)
                reports = reply.get("orderReports") if isinstance(reply, dict) else None
                if not isinstance(reports, list) or len(reports) != len(legs):
                    raise MalformedReplyError(f"OCO {list_id}: no report of each leg", reply)
                return [parse_order(self.exchange.parse_order(raw, market)) for raw in reports]

            outcome = await self._until_placed(send, lambda: self._ask_legs(legs), f"OCO {list_id}")
            if isinstance(outcome, list):
                for report in outcome:
                    self._report(report)
            elif not isinstance(outcome, TransientVenueError):
                for tracked in legs:
                    self.tracker.rejected(tracked, str(outcome))
            for tracked in legs:
                if tracked.client_order_id in self.in_doubt:
                    self._spawn(self._settle_in_doubt(tracked))

    async def _ask_legs(self, legs: list[Tracked]) -> list[VenueOrder] | _NotFound | VenueError:
        """An OCO list's legs by their client ids: every leg the venue holds, or
        :data:`NOT_FOUND` when it lacks the first (a list is placed whole or not at all), or a
        transient error when the venue cannot be asked (every leg is then in doubt)."""
        found: list[VenueOrder] = []
        for tracked in legs:
            report = await self._ask(tracked, str(tracked.symbol))
            if isinstance(report, VenueError):
                self.in_doubt.update(t.client_order_id for t in legs)
                return report
            if isinstance(report, VenueOrder):
                found.append(report)
            elif not found:
                return NOT_FOUND
            else:  # half a list: settled by reconciliation
                self.in_doubt.add(tracked.client_order_id)
        return found

    async def _place(self, request: OrderRequest, tracked: Tracked) -> Outcome:
        """Send ``request`` (see :meth:`_until_placed`); its report, or why it is not placed."""

        async def send() -> VenueOrder:
            return parse_order(await self._send(request))

        label = f"order {tracked.venue_cid}"
        return await self._until_placed(send, lambda: self._ask(tracked, request.symbol), label)

    async def _until_placed(
        self,
        send: Callable[[], Awaitable[Placed]],
        ask: Callable[[], Awaitable[Placed | _NotFound | VenueError]],
        label: str,
    ) -> Placed | VenueError:
        """``send()`` until the venue has it or refuses it; never twice blindly: after an
        unknown outcome, ``ask()`` the venue first and send again only when it lacks it.

        Returns the venue's report(s), a permanent refusal, or a transient error when the
        outcome could not be learnt (then in doubt).
        """
        uncertain = False
        last: VenueError = PermanentVenueError("not sent")
        for attempt in range(self.settings.submit_attempts):
            try:
                return await send()
            except CircuitOpenError as error:
                if not uncertain:  # nothing was sent: the venue is down
                    return VenueRefusedError(f"not sent: {error}")
                last = error
            except RateLimitedError as error:
                last = error  # refused unexecuted: wait as told, then ask or send again
            except (TransientVenueError, MalformedReplyError) as error:
                last, uncertain = error, True
                _log.warning("%s: outcome unknown (%s); raw=%r", label, error, error.raw)
            except PermanentVenueError as error:
                if not uncertain:
                    return error
                last = error
            await self._backoff(attempt, last)
            if not uncertain:
                continue  # refused unexecuted (a 429): send again
            found = await ask()
            if not isinstance(found, _NotFound):
                return found  # placed after all, or in doubt
            if isinstance(last, PermanentVenueError) and not isinstance(last, MalformedReplyError):
                return last
        return VenueRefusedError(
            f"not placed after {self.settings.submit_attempts} attempts: {last}"
        )

    async def _backoff(self, attempt: int, error: VenueError) -> None:
        retry_after = getattr(error, "retry_after", None)
        wait = self.session.settings.retry.delay(attempt, self.session.rng, retry_after)
        await self.session.sleep(max(self.settings.lookup_delay, wait))

    async def _ask(self, tracked: Tracked, symbol: str) -> VenueOrder | _NotFound | VenueError:
        """The order by its client id; :data:`NOT_FOUND` when the venue does not know it; a
        transient error when the venue cannot be asked (the order is then in doubt)."""
        try:
            found = await self.lookup(tracked.venue_cid, symbol)
        except VenueError as error:
            self.in_doubt.add(tracked.client_order_id)
            _log.error(
                "order %s: cannot learn whether it was placed (%s); in doubt until "
                "reconciled, not resent", tracked.client_order_id, error,
            )  # fmt: skip
            return TransientVenueError(str(error), error.raw)
        return NOT_FOUND if found is None else found

    async def _send(self, request: OrderRequest) -> Any:
        if request.cost is not None:
            return await self.session.once(
                "create_market_buy_order_with_cost", request.symbol, float(request.cost),
                request.params,
            )  # fmt: skip
        return await self.session.once(
            "create_order", request.symbol, request.type, request.side,
            None if request.amount is None else float(request.amount),
            None if request.price is None else float(request.price), request.params,
        )  # fmt: skip

    async def _settle_in_doubt(self, tracked: Tracked) -> None:
        """Ask about an order in doubt, with backoff, until the venue answers."""
        attempt = 0
        while tracked.client_order_id in self.in_doubt and not tracked.closed:
            await self.session.sleep(STREAM_POLICY.delay(min(attempt, 30), self.session.rng))
            async with self._lock(tracked.client_order_id):
                await self.reconcile(tracked)
            attempt += 1

    async def lookup(self, venue_cid: str, symbol: str) -> VenueOrder | None:
        """The venue's state of the order sent as ``venue_cid``; None when unknown to it."""
        try:
            reply = await self.session.call(
                "fetch_order", None, symbol, {"clientOrderId": venue_cid}
            )
        except UnknownOrderError:
            return None
        return parse_order(reply)

    async def cancel(self, cid: str, reason: str = "canceled") -> None:
        """Cancel an order of the node (the venue's report closes it)."""
        async with self._lock(cid):
            tracked = self.tracker.orders.get(cid)
            if tracked is None or tracked.closed:
                return
            report = await self._cancel_leg(tracked)
            if isinstance(report, VenueOrder):
                self._report(report)
            else:
                await self.reconcile(tracked)  # it may have filled meanwhile

    async def _cancel_leg(self, tracked: Tracked) -> VenueOrder | VenueError:
        """Cancel the leg working now; its report, or why the cancel failed."""
        symbol = str(tracked.symbol)
        try:
            reply = await self.session.call(
                "cancel_order", tracked.venue_id, symbol, {"clientOrderId": tracked.venue_cid}
            )
            report = parse_order(reply)
        except VenueError as error:
            _log.warning("order %s: cancel failed (%s)", tracked.client_order_id, error)
            return error
        # the reply's client id is the cancel request's own (Binance): keep the order's
        return replace(report, client_order_id=tracked.venue_cid)

    async def modify(
        self,
        cid: str,
        quantity: Decimal | None = None,
        price: Decimal | None = None,
        stop_price: Decimal | None = None,
    ) -> None:
        """Amend an order: cancel the working leg, place the rest as a new leg."""
        async with self._lock(cid):
            tracked, order = self.tracker.orders.get(cid), self.orders.get(cid)
            if tracked is None or order is None or tracked.closed or not tracked.accepted:
                return
            if quantity is not None and quantity <= tracked.filled:
                _log.warning("order %s: cannot amend to %s, %s already filled", cid, quantity,
                             tracked.filled)  # fmt: skip
                return
            self.tracker.retire_leg(tracked)  # its cancellation must not close the order
            old = await self._cancel_leg(tracked)
            if not isinstance(old, VenueOrder) or old.status is not VenueOrderStatus.CANCELED:
                tracked.retired.discard(tracked.venue_id or "")
                if isinstance(old, VenueOrder):
                    self._report(old)
                else:
                    await self.reconcile(tracked)
                return
            await self._collect_fills(tracked, old)
            amended = _amended(order, tracked.quantity, quantity, price, stop_price)
            await self._replace(tracked, amended, max(tracked.filled, old.filled))

    async def _replace(self, tracked: Tracked, amended: Order, filled: Decimal) -> None:
        """Place the rest of ``amended`` as a new leg of ``tracked``."""
        leg = f"{tracked.client_order_id}.{len(tracked.venue_cids)}"
        self.tracker.add_venue_cid(tracked, leg)
        rest = amended.quantity - filled
        try:
            request = build_request(
                self.exchange, self.session.profile, amended, leg, quantity=rest
            )
        except VenueError as error:
            self.tracker.canceled(tracked, f"modification refused: {error}")
            return
        outcome = await self._place(request, tracked)
        if isinstance(outcome, VenueOrder):
            self.orders[tracked.client_order_id] = amended
            changes: dict[str, Decimal] = {}
            if amended.quantity != tracked.quantity:
                changes["quantity"] = amended.quantity
            for name, value in (("price", request.price), ("stop_price", request.stop_price)):
                if value is not None:
                    changes[name] = value
            self.tracker.updated(tracked, changes, outcome.ts)
            self._report(outcome)
        elif isinstance(outcome, TransientVenueError):
            self._spawn(self._settle_in_doubt(tracked))
        else:
            self.tracker.canceled(tracked, f"modification refused: {outcome}")

    # -- settling ---------------------------------------------------------------------------

    def _report(self, report: VenueOrder) -> None:
        """Hand a report to the tracker; fetch missing fills later when it asks."""
        waiting = self.tracker.on_order(report)
        if waiting is not None:
            self._spawn(self._fills_later(waiting))

    async def _fills_later(self, tracked: Tracked) -> None:
        await self.session.sleep(self.settings.fill_grace)
        waiting = tracked.waiting
        if waiting is None or self.tracker.missing_fills(tracked) <= 0:
            return
        await self._collect_fills(tracked, waiting)
        if self.tracker.missing_fills(tracked) > 0:
            self.tracker.give_up_waiting(tracked)

    async def _collect_fills(self, tracked: Tracked, report: VenueOrder) -> None:
        """Fetch the fills of ``report``'s order leg that were not seen yet."""
        if report.filled <= 0:
            return
        try:
            for trade in await self.order_trades(report.venue_order_id, str(tracked.symbol)):
                self.tracker.on_trade(trade)
        except VenueError as error:
            _log.warning("order %s: fills not fetched (%s)", tracked.client_order_id, error)

    async def order_trades(self, venue_order_id: str, symbol: str) -> list[VenueTrade]:
        """The fills of one venue order."""
        if self.exchange.has.get("fetchOrderTrades"):
            raw = await self.session.call("fetch_order_trades", venue_order_id, symbol)
        else:
            raw = await self.session.call("fetch_my_trades", symbol)
        trades = parse_each(raw, parse_trade, "trade")
        return [t for t in trades if t.venue_order_id == venue_order_id]

    async def reconcile(self, tracked: Tracked) -> None:
        """Query one order and apply what the venue says (and its missing fills)."""
        try:
            found = await self.lookup(tracked.venue_cid, str(tracked.symbol))
        except VenueError as error:
            _log.warning("order %s: reconciliation failed (%s)", tracked.client_order_id, error)
            return
        cid = tracked.client_order_id
        if found is None:
            if cid in self.in_doubt:
                self.in_doubt.discard(cid)
                self.tracker.rejected(tracked, "never reached the venue")
            return
        self.in_doubt.discard(cid)
        waiting = self.tracker.on_order(found)
        if waiting is not None:
            await self._collect_fills(waiting, found)
            if self.tracker.missing_fills(waiting) > 0:
                self.tracker.give_up_waiting(waiting)

    async def reconcile_open(self) -> None:
        """Reconcile every order not closed (after a reconnection, at start-up)."""
        for cid, tracked in list(self.tracker.orders.items()):
            if not tracked.closed:
                async with self._lock(cid):
                    await self.reconcile(tracked)

    # -- the user stream --------------------------------------------------------------------

    async def _follow(
        self, method: str, handle: Callable[[Any], None], reconcile: bool = False
    ) -> None:
        report = self.on_connection
        guard = StreamGuard(
            f"{self.session.venue} {method}", STREAM_POLICY, self.session.sleep, self.session.rng,
            None if report is None else lambda up: report(method, up),
        )  # fmt: skip
        method_of_exchange = getattr(self.exchange, method)

        async def watch() -> Any:
            if guard.connected is False:  # resubscribing: catch up once it holds
                self._spawn(self._resubscribed(guard, guard.failures_total, reconcile))
            return await method_of_exchange()

        while True:
            message, reconnected = await guard.next(watch)
            if reconnected and reconcile:
                self._spawn(self.reconcile_open())
            handle(message)

    async def _resubscribed(self, guard: StreamGuard, failures: int, reconcile: bool) -> None:
        """A resubscription that has not failed within the grace period is taken as back;
        the open orders are then reconciled (what happened while it was down)."""
        await self.session.sleep(self.settings.resubscribe_grace)
        if guard.assume_back(failures) and reconcile:
            await self.reconcile_open()

    async def _reconcile_periodically(self, seconds: float) -> None:
        while True:
            await self.session.sleep(seconds)
            try:
                await self.reconcile_open()
            except VenueError as error:  # the venue is down: the next round tries again
                _log.warning("periodic reconciliation failed: %s", error)

    def _on_orders(self, message: Any) -> None:
        for report in parse_each(message, parse_order, "order"):
            self._report(report)

    def _on_trades(self, message: Any) -> None:
        for trade in parse_each(message, parse_trade, "trade"):
            if self.tracker.on_trade(trade):
                self._spawn(self._expire_orphan(trade.venue_order_id))

    async def _expire_orphan(self, venue_order_id: str | None) -> None:
        await self.session.sleep(self.settings.orphan_grace)
        self.tracker.expire_orphans(venue_order_id)

    def _on_balance(self, message: Any) -> None:
        try:
            self.venue_balances = parse_balances(message)
        except MalformedReplyError as error:
            _log.warning("balance update: %s; raw=%r", error, error.raw)


def _amended(
    order: Order,
    held: Decimal,
    quantity: Decimal | None,
    price: Decimal | None,
    stop_price: Decimal | None,
) -> Order:
    """``order`` with a new quantity (default ``held``, the quantity it has now), price or
    stop price; a trailing stop (restored after a restart) as the stop-market order that
    works for it at the venue."""
    init = order.events[0]
    assert isinstance(init, OrderInitialized)
    if init.order_type is OrderType.TRAILING_STOP_MARKET:
        init = replace(
            init, order_type=OrderType.STOP_MARKET, trailing_offset=None,
            trailing_offset_type=None,
        )  # fmt: skip
    return Order.from_init(
        replace(
            init,
            quantity=Quantity(quantity if quantity is not None else held),
            price=Price(price) if price is not None else order.price,
            stop_price=Price(stop_price) if stop_price is not None else order.stop_price,
        )
    )
