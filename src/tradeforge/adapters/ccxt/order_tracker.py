"""What the venue says about our orders, turned into kernel events that are always valid.

The venue reports an order through several channels that race each other (the REST reply,
the user-data stream's order updates and fills, queries after a reconnection) and it may
report nonsense. :class:`OrderTracker` keeps its own view of every order the node sent and
emits an event only when the kernel's order can take it, in this order: accepted (once),
updated, fills (each trade id once), then canceled or expired. Its rules:

* **unknown order** (a client id or venue id the node never sent): logged with the raw
  payload and ignored (a fill waits a moment first, in case its order's id is on its way);
* **duplicate fill** (a trade id already applied): dropped silently;
* **fill after the order closed** (a fill for a canceled order), **overfill**, **wrong side**:
  an anomaly, logged with the raw payload and kept in :attr:`OrderTracker.anomalies`, never
  passed on, so the store never records an impossible history;
* **terminal state before its fills** (the venue says canceled with 0.3 filled, we have seen
  0.2): the terminal event waits until the missing fills are fetched (the caller reconciles
  the order's trades and calls :meth:`OrderTracker.on_order` again);
* a **fill before the acceptance** is preceded by a synthesized acceptance.

Trades carry only the venue's order id, so fills that arrive before the order's venue id is
known wait (as orphans) until it is. The tracker is synchronous and runs on the adapters'
loop; its events go to ``emit`` (the kernel's inbox).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from tradeforge.adapters.ccxt.replies import VenueOrder, VenueOrderStatus, VenueTrade
from tradeforge.common.clock import Clock
from tradeforge.model.enums import LiquiditySide, OrderSide
from tradeforge.model.events import (
    OrderAccepted,
    OrderCanceled,
    OrderEvent,
    OrderExpired,
    OrderFilled,
    OrderRejected,
    OrderUpdated,
)
from tradeforge.model.orders import Order
from tradeforge.model.symbol import Symbol
from tradeforge.model.values import EXACT, Money, Price, Quantity

_log = logging.getLogger("tradeforge.adapters")
_MAX_ORPHANS = 1000
_ENDED = (VenueOrderStatus.CANCELED, VenueOrderStatus.EXPIRED)


@dataclass(slots=True)
class Tracked:
    """The adapter's view of one order of the node."""

    client_order_id: str
    symbol: Symbol
    side: OrderSide
    quantity: Decimal
    quote: bool = False
    venue_cids: list[str] = field(default_factory=list)
    venue_id: str | None = None
    accepted: bool = False
    closed: bool = False
    filled: Decimal = Decimal(0)
    trade_ids: set[str] = field(default_factory=set)
    retired: set[str] = field(default_factory=set)
    """Venue order ids of legs replaced by a modification (their cancel is not ours)."""
    waiting: VenueOrder | None = None
    """A terminal state that waits for its fills."""
    buffered: list[VenueTrade] = field(default_factory=list)
    """Fills of a quote-quantity order held until its quantity is known."""
    sent: dict[str, Decimal] = field(default_factory=dict)
    """What the venue works with that differs from the kernel's order (rounding): the
    kernel hears it right after the acceptance."""

    @property
    def venue_cid(self) -> str:
        """The client id of the order working at the venue now."""
        return self.venue_cids[-1]

    @property
    def leaves(self) -> Decimal:
        """Quantity not yet filled."""
        return EXACT.subtract(self.quantity, self.filled)


class OrderTracker:
    """Our orders at the venue, and the kernel events their reports justify.

    Parameters
    ----------
    emit : callable
        Receives each kernel event (put it in the kernel's inbox).
    clock : Clock
        The time of events the venue gives no time for.
    """

    def __init__(self, emit: Callable[[OrderEvent], None], clock: Clock) -> None:
        self._emit = emit
        self.clock = clock
        self.orders: dict[str, Tracked] = {}
        self._by_venue_cid: dict[str, Tracked] = {}
        self._by_venue_id: dict[str, Tracked] = {}
        self._orphans: dict[str, list[VenueTrade]] = {}
        self.anomalies: list[str] = []
        """Every report that contradicted what the venue said before (also logged)."""
        self.ignored = 0
        """Reports about orders the node does not know."""

    # -- our side -------------------------------------------------------------------------

    def track(
        self,
        order: Order,
        venue_cid: str,
        *,
        quote: bool = False,
        sent: dict[str, Decimal] | None = None,
    ) -> Tracked:
        """Start tracking ``order``, sent with ``venue_cid`` (``sent``: the fields rounding
        changed, told to the kernel once the order is accepted)."""
        tracked = Tracked(order.client_order_id, order.symbol, order.side, order.quantity, quote)
        tracked.sent = dict(sent or {})
        self.orders[order.client_order_id] = tracked
        self.add_venue_cid(tracked, venue_cid)
        return tracked

    def restore(self, order: Order, venue_cids: list[str]) -> Tracked:
        """Track again an order rebuilt from the store after a restart: its legs' client ids
        (``venue_cids``, the working one last), its venue id, acceptance, fills and trade ids,
        so the venue's reports continue its history and nothing is applied twice."""
        tracked = self.track(order, venue_cids[0])
        for leg in venue_cids[1:]:
            self.add_venue_cid(tracked, leg)
        tracked.quantity = order.quantity
        tracked.filled = order.filled_qty
        tracked.trade_ids = {e.trade_id for e in order.events if isinstance(e, OrderFilled)}
        tracked.accepted = order.venue_order_id is not None
        tracked.closed = order.is_closed
        if order.venue_order_id is not None:
            self._link(tracked, order.venue_order_id)
        return tracked

    def add_venue_cid(self, tracked: Tracked, venue_cid: str) -> None:
        """``tracked`` now works at the venue under ``venue_cid`` (a replacement leg)."""
        tracked.venue_cids.append(venue_cid)
        self._by_venue_cid[venue_cid] = tracked

    def retire_leg(self, tracked: Tracked) -> None:
        """The current leg is being replaced: its cancellation will not close the order."""
        if tracked.venue_id is not None:
            tracked.retired.add(tracked.venue_id)

    def find(self, venue_cid: str | None, venue_id: str | None) -> Tracked | None:
        """The tracked order a report is about (by client id first, then venue id)."""
        if venue_cid is not None and venue_cid in self._by_venue_cid:
            return self._by_venue_cid[venue_cid]
        if venue_id is not None:
            return self._by_venue_id.get(venue_id)
        return None

    def rejected(self, tracked: Tracked, reason: str) -> None:
        """The venue (or this adapter) refused the order before accepting it."""
        if tracked.accepted or tracked.closed:
            self._anomaly(tracked, f"refused after acceptance: {reason}", None)
            return
        tracked.closed = True
        self._emit(OrderRejected(**self._ids(tracked, None), reason=reason))

    def canceled(self, tracked: Tracked, reason: str, ts: int | None = None) -> None:
        """The order is gone at the venue for ``reason`` (a failed modification)."""
        if not tracked.closed:
            tracked.closed = True
            self._emit(OrderCanceled(**self._ids(tracked, ts), reason=reason))

    def updated(self, tracked: Tracked, changes: dict[str, Decimal], ts: int | None = None) -> None:
        """The order works with ``changes`` (quantity, price, stop_price) at the venue."""
        quantity = changes.get("quantity")
        if (
            tracked.closed
            or not tracked.accepted
            or (quantity is not None and quantity <= tracked.filled)
        ):
            return
        if quantity is not None:
            tracked.quantity = quantity
        price, stop = changes.get("price"), changes.get("stop_price")
        self._emit(
            OrderUpdated(
                **self._ids(tracked, ts),
                quantity=None if quantity is None else Quantity(quantity),
                price=None if price is None else Price(price),
                stop_price=None if stop is None else Price(stop),
            )
        )

    # -- the venue's side -----------------------------------------------------------------

    def on_order(self, report: VenueOrder) -> Tracked | None:
        """Take an order report; the tracked order whose fills must be fetched, if any.

        Returns
        -------
        Tracked or None
            Set when the venue reports more filled than the fills seen: fetch the order's
            trades, pass them to :meth:`on_trade`, then this report again.
        """
        tracked = self.find(report.client_order_id, report.venue_order_id)
        if tracked is None:
            self._unknown("order", report.client_order_id or report.venue_order_id, report.raw)
            return None
        if report.venue_order_id in tracked.retired:
            return None  # a replaced leg: its cancellation belongs to the modification
        self._link(tracked, report.venue_order_id)
        if tracked.closed:
            self._check_closed(tracked, report)
            return None
        if report.status is VenueOrderStatus.REJECTED:
            self.rejected(tracked, f"rejected by the venue ({report.raw!r})")
            return None
        self._accept(tracked, report.venue_order_id, report.ts)
        for trade in report.trades:
            self.on_trade(trade, liquidity=LiquiditySide.TAKER)
        if tracked.quote and report.status.is_terminal:
            self._size_quote_order(tracked, report)
        return self._settle(tracked, report)

    def _settle(self, tracked: Tracked, report: VenueOrder) -> Tracked | None:
        """After a report's fills: close the order, or wait for the fills still missing."""
        if tracked.closed:
            return None
        if report.filled > tracked.filled:
            tracked.waiting = report if report.status.is_terminal else None
            return tracked if report.status.is_terminal else None
        if report.status in _ENDED:
            self._finish(tracked, report)
        elif report.status is VenueOrderStatus.CLOSED:
            self._anomaly(
                tracked,
                f"the venue closed the order at {report.filled} of {tracked.quantity}",
                report.raw,
            )
        return None

    def on_trade(self, trade: VenueTrade, liquidity: LiquiditySide | None = None) -> bool:
        """Take one of our fills (``liquidity`` when the report cannot say); True when its
        order is not known yet (the fill waits: see :meth:`expire_orphans`)."""
        tracked = self.find(None, trade.venue_order_id)
        if tracked is None:
            return self._orphan(trade)
        if trade.trade_id in tracked.trade_ids:
            return False
        if tracked.quote:  # its quantity is not known yet
            if all(t.trade_id != trade.trade_id for t in tracked.buffered):
                tracked.buffered.append(trade)
            return False
        problem = self._fill_problem(tracked, trade)
        if problem:
            self._anomaly(tracked, problem, trade.raw)
            return False
        self._accept(tracked, trade.venue_order_id, trade.ts)
        tracked.trade_ids.add(trade.trade_id)
        tracked.filled = EXACT.add(tracked.filled, trade.quantity)
        self._emit(self._filled(tracked, trade, liquidity))
        waiting = tracked.waiting
        if tracked.filled == tracked.quantity:
            tracked.closed, tracked.waiting = True, None
        elif waiting is not None and tracked.filled >= waiting.filled and waiting.status in _ENDED:
            self._finish(tracked, waiting)
        return False

    def missing_fills(self, tracked: Tracked) -> Decimal:
        """What the venue reported filled beyond the fills seen (0 when nothing waits)."""
        if tracked.waiting is None or tracked.closed:
            return Decimal(0)
        return EXACT.subtract(tracked.waiting.filled, tracked.filled)

    def give_up_waiting(self, tracked: Tracked) -> None:
        """The missing fills could not be found: an anomaly; the terminal state is applied."""
        waiting = tracked.waiting
        if waiting is None or tracked.closed:
            return
        self._anomaly(
            tracked,
            f"venue reports {waiting.filled} filled but its fills add up to {tracked.filled}",
            waiting.raw,
        )
        tracked.waiting = None
        if waiting.status in _ENDED:
            self._finish(tracked, waiting)

    # -- rules ----------------------------------------------------------------------------

    def _link(self, tracked: Tracked, venue_id: str) -> None:
        if tracked.venue_id != venue_id and venue_id not in tracked.retired:
            tracked.venue_id = venue_id
            self._by_venue_id[venue_id] = tracked
        for orphan in self._orphans.pop(venue_id, []):
            self.on_trade(orphan)

    def _accept(self, tracked: Tracked, venue_id: str | None, ts: int | None) -> None:
        if tracked.accepted or tracked.closed:
            return
        tracked.accepted = True
        self._emit(OrderAccepted(**self._ids(tracked, ts), venue_order_id=venue_id or ""))
        if tracked.sent:
            sent, tracked.sent = tracked.sent, {}
            self.updated(tracked, sent, ts)
        if venue_id is not None:
            self._link(tracked, venue_id)

    def _size_quote_order(self, tracked: Tracked, report: VenueOrder) -> None:
        """A quote-quantity order's quantity is what it filled: tell the kernel, then the fills."""
        tracked.quote = False
        if report.filled > 0 and report.filled != tracked.quantity:
            self.updated(tracked, {"quantity": report.filled}, report.ts)
        held, tracked.buffered = tracked.buffered, []
        for trade in held:
            self.on_trade(trade)

    def _finish(self, tracked: Tracked, report: VenueOrder) -> None:
        tracked.closed, tracked.waiting = True, None
        ids = self._ids(tracked, report.ts)
        if report.status is VenueOrderStatus.EXPIRED:
            self._emit(OrderExpired(**ids))
        else:
            self._emit(OrderCanceled(**ids, reason="canceled at the venue"))

    def _check_closed(self, tracked: Tracked, report: VenueOrder) -> None:
        if report.status is VenueOrderStatus.OPEN and tracked.filled < tracked.quantity:
            self._anomaly(tracked, "the venue reports a closed order open again", report.raw)
        elif report.filled > tracked.filled:
            self._anomaly(
                tracked,
                f"the venue reports {report.filled} filled after the order closed",
                report.raw,
            )

    def _fill_problem(self, tracked: Tracked, trade: VenueTrade) -> str:
        if tracked.closed:
            return f"fill {trade.trade_id} for an order already closed"
        if trade.side is not None and trade.side is not tracked.side:
            return f"fill {trade.trade_id} is a {trade.side.name}, the order a {tracked.side.name}"
        if trade.quantity > tracked.leaves:
            return f"fill {trade.trade_id} of {trade.quantity} exceeds the {tracked.leaves} left"
        if trade.symbol != tracked.symbol:
            return f"fill {trade.trade_id} is for {trade.symbol}, the order for {tracked.symbol}"
        return ""

    def _filled(
        self, tracked: Tracked, trade: VenueTrade, liquidity: LiquiditySide | None
    ) -> OrderFilled:
        fee = trade.fee or Money(0, tracked.symbol.quote)
        return OrderFilled(
            **self._ids(tracked, trade.ts),
            trade_id=trade.trade_id,
            venue_order_id=trade.venue_order_id,
            order_side=tracked.side,
            last_qty=Quantity(trade.quantity),
            last_price=Price(trade.price),
            fee=fee,
            liquidity_side=trade.liquidity or liquidity or LiquiditySide.TAKER,
        )

    def _orphan(self, trade: VenueTrade) -> bool:
        waiting = sum(len(v) for v in self._orphans.values())
        if trade.venue_order_id is None or waiting >= _MAX_ORPHANS:
            self._unknown("fill", trade.trade_id, trade.raw)
            return False
        self._orphans.setdefault(trade.venue_order_id, []).append(trade)
        return True

    def expire_orphans(self, venue_order_id: str | None = None) -> int:
        """Give up on fills still waiting for their order (of one venue order id, or all):
        they belong to orders the node did not send; how many were dropped."""
        keys = list(self._orphans) if venue_order_id is None else [venue_order_id]
        dropped = 0
        for key in keys:
            for trade in self._orphans.pop(key, []):
                self._unknown("fill", trade.trade_id, trade.raw)
                dropped += 1
        return dropped

    def _unknown(self, what: str, key: object, raw: Any) -> None:
        self.ignored += 1
        _log.warning(
            "venue %s for an order this node did not send (%s) ignored; raw=%r", what, key, raw
        )

    def _anomaly(self, tracked: Tracked, problem: str, raw: Any) -> None:
        text = f"order {tracked.client_order_id}: {problem}"
        self.anomalies.append(text)
        _log.error("%s; not applied; raw=%r", text, raw)

    def _ids(self, tracked: Tracked, ts: int | None) -> dict[str, Any]:
        return {
            "ts": self.clock.timestamp_ns() if ts is None else ts,
            "client_order_id": tracked.client_order_id,
            "symbol": tracked.symbol,
        }
