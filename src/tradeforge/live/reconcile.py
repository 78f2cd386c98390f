"""Reconciliation: the node's record (the store, the portfolio) against the venue.

At start in live mode, before the first order, these rules apply; each difference is logged
(logger ``tradeforge.live.reconcile``, WARNING) and kept as a :class:`Difference`:

1. **Orders the store holds open** are followed again (by client order id, amended legs
   included) and asked about: the venue wins. Fills made while the node was down are booked
   (each trade id once), orders closed meanwhile are closed, and an order stored as sent that
   the venue does not know, once ``reconcile.grace`` has passed since it was sent, is
   rejected ("never reached the venue"). It is never sent again.
2. **Open orders at the venue the store does not know** are adopted as ``external`` orders
   (with the fills they already had) and followed from then on.
3. **Fills since the node last looked** (its last run's start) of orders it does not know are
   booked as ``external`` filled orders, one per trade.
4. **Balances**: base holdings the stored fills do not explain are adopted as an
   ``external`` position at the last price (no fee); the account currency is the venue's:
   the portfolio opens with the venue's total minus what the stored fills paid and received,
   so after they are booked again its cash equals the venue's.

While running (every ``reconcile.interval``): the ccxt client queries every open order, fills
of unknown orders are booked as at start, and balances that differ from the portfolio are
logged (the venue wins at the next start).

In paper mode the venue is the node's own simulated exchange, gone with the process: orders
the store holds open are canceled ("paper venue restarted"), and the portfolio opens with the
configured balance and books the stored fills again (:func:`paper_start`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from tradeforge.adapters.ccxt import CcxtExecutionClient
from tradeforge.adapters.ccxt.replies import VenueTrade
from tradeforge.live.adopt import adopt_fill, adopt_holding, adopt_open_order
from tradeforge.live.clock import NodeClock
from tradeforge.live.config import NodeConfig
from tradeforge.live.journal import OrderJournal
from tradeforge.live.venue import VenueLink
from tradeforge.model.account import AccountBalance
from tradeforge.model.enums import OrderStatus
from tradeforge.model.events import (
    OrderAccepted,
    OrderCanceled,
    OrderEvent,
    OrderExpired,
    OrderFilled,
    OrderRejected,
    OrderSubmitted,
    OrderUpdated,
)
from tradeforge.model.orders import Order
from tradeforge.model.symbol import Symbol
from tradeforge.model.values import Price
from tradeforge.portfolio.portfolio import Portfolio

_log = logging.getLogger("tradeforge.live.reconcile")
NS_PER_MS = 1_000_000
_QUIET_S = 0.3


@dataclass(frozen=True, slots=True)
class Difference:
    """One difference between the node's record and the venue, and what was done about it.

    Attributes
    ----------
    kind : str
        ``order``, ``fill``, ``open order``, ``balance``.
    subject : str
        A client order id or a currency.
    found : str
        What the venue shows.
    action : str
        The rule applied.
    """

    kind: str
    subject: str
    found: str
    action: str

    def __str__(self) -> str:
        return f"{self.kind} {self.subject}: {self.found}; {self.action}"


@dataclass
class StartState:
    """What the node starts from after reconciling.

    Attributes
    ----------
    orders : list of Order
        Every order of the venue in the store, as reconciled (oldest first).
    cash : Decimal
        The account currency the portfolio opens with, before the stored fills are booked.
    differences : list of Difference
    """

    orders: list[Order]
    cash: Decimal
    differences: list[Difference] = field(default_factory=list)


class Reconciler:
    """Reconciles a live node with its venue.

    Parameters
    ----------
    link : VenueLink
        The venue (its order client must exist: live mode).
    journal : OrderJournal
        The store.
    config : NodeConfig
    clock : NodeClock
    """

    def __init__(
        self, link: VenueLink, journal: OrderJournal, config: NodeConfig, clock: NodeClock
    ) -> None:
        assert link.orders is not None, "reconciliation needs the venue's order client"
        self.link = link
        self.client: CcxtExecutionClient = link.orders
        self.journal = journal
        self.config = config
        self.clock = clock
        self.symbols = [Symbol.parse(s) for s in config.symbols]
        self.differences: list[Difference] = []
        self.booked: set[tuple[Symbol, str]] = set()
        """Trade ids the portfolio has booked (every fill of the node's orders)."""

    def note(self, difference: Difference) -> None:
        """Log a difference and keep it."""
        self.differences.append(difference)
        _log.warning("reconciliation: %s", difference)

    # -- at start ---------------------------------------------------------------------------

    def at_start(self, stored: list[Order], last_looked: int | None) -> StartState:
        """Reconcile the store with the venue (rules 1 to 4); the state to start from."""
        by_id = {o.client_order_id: o for o in stored}
        venue_open = self._venue_open_orders()
        legs = _legs(by_id, venue_open)
        unsettled = [
            o for o in stored if not o.is_closed and o.status is not OrderStatus.INITIALIZED
        ]
        self.client.restore(unsettled, legs)
        self._wait_grace(unsettled)
        self.client.reconcile()
        self.settle(by_id)
        self._adopt_open(venue_open, by_id, legs)
        self.booked = _trade_ids(by_id.values())
        if last_looked is not None:
            self._book_trades(by_id, last_looked // NS_PER_MS)
            self.settle(by_id)
        balances = self.client.balances()
        self._adopt_holdings(by_id, balances)
        self.booked = _trade_ids(by_id.values())
        cash = self._opening_cash(list(by_id.values()), balances)
        return StartState(list(by_id.values()), cash, list(self.differences))

    def _venue_open_orders(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for symbol in self.symbols:
            out += self.link.run(self.client.session.call("fetch_open_orders", str(symbol)))
        return out

    def _wait_grace(self, unsettled: list[Order]) -> None:
        """Give an order sent just before the stop the time to reach the venue."""
        sent = [_sent_at(o) for o in unsettled if o.status.is_in_flight]
        if not sent:
            return
        age = (self.clock.timestamp_ns() - max(sent)) / 1e9
        wait = self.config.reconcile.grace.total_seconds() - age
        if wait > 0:
            threading.Event().wait(wait)

    def settle(self, by_id: dict[str, Order]) -> None:
        """Apply what the client learnt (until it has been quiet a moment) to the orders,
        store each and note the difference."""
        self.client.wait_idle()
        while self.link.inbox.drain(lambda message: self._apply(message, by_id), _QUIET_S):
            pass

    def _apply(self, message: object, by_id: dict[str, Order]) -> None:
        if not isinstance(message, OrderEvent):
            return
        order = by_id.get(message.client_order_id)
        if order is None:
            _log.warning("reconciliation: event for an unknown order ignored: %r", message)
            return
        order.apply(message)
        self.journal.record(order)
        self.note(_event_difference(order, message))

    def _adopt_open(
        self, venue_open: list[dict[str, Any]], by_id: dict[str, Order], legs: dict[str, list[str]]
    ) -> None:
        known = set(by_id) | {leg for chain in legs.values() for leg in chain}
        for raw in venue_open:
            if str(raw.get("clientOrderId")) in known:
                continue
            trades = self.link.run(
                self.client.core.order_trades(str(raw["id"]), str(raw["symbol"]))
            )
            order = adopt_open_order(raw, trades, self.clock.timestamp_ns())
            by_id[order.client_order_id] = order
            self.journal.record(order)
            self.client.restore([order])
            self.note(
                Difference(
                    "open order", order.client_order_id,
                    f"{_describe(order)} working at the venue, unknown to the store",
                    "adopted as an external order",
                )
            )  # fmt: skip

    def _book_trades(self, by_id: dict[str, Order], since_ms: int) -> None:
        for symbol in self.symbols:
            trades = self.client.my_trades(symbol, since_ms)
            fresh = [t for t in trades if (t.symbol, t.trade_id) not in self.booked]
            for trade in self.client.apply_trades(fresh):
                order = adopt_fill(trade, self.clock.timestamp_ns())
                by_id[order.client_order_id] = order
                self.journal.record(order)
                self.note(_fill_difference(order, trade))

    def _adopt_holdings(self, by_id: dict[str, Order], balances: dict[str, AccountBalance]) -> None:
        held = _holdings(by_id.values())
        for symbol in self.symbols:
            venue = _total(balances, symbol.base)
            difference = venue - held.get(symbol.base, Decimal(0))
            if not difference:
                continue
            price = self._last_price(symbol)
            order = adopt_holding(symbol, difference, price, self.clock.timestamp_ns())
            by_id[order.client_order_id] = order
            self.journal.record(order)
            self.note(
                Difference(
                    "balance", symbol.base,
                    f"the venue holds {venue}, the stored fills explain "
                    f"{held.get(symbol.base, Decimal(0))}",
                    f"adopted {difference} as an external position at {price}",
                )
            )  # fmt: skip

    def _last_price(self, symbol: Symbol) -> Price:
        ticker = self.link.run(self.client.session.call("fetch_ticker", str(symbol)))
        return Price(Decimal(str(ticker["last"])))

    def _opening_cash(self, orders: list[Order], balances: dict[str, AccountBalance]) -> Decimal:
        currency = self.config.currency
        scratch = Portfolio(currency, Decimal(0), list(self.link.instruments.values()))
        for order, fill in OrderJournal.fills(orders):
            scratch.apply_fill(fill, order.tags)
        cash = _total(balances, currency) - scratch.cash
        _log.info(
            "reconciliation: the venue holds %s %s; the portfolio opens with %s and books "
            "the %d stored fills", _total(balances, currency), currency, cash,
            len(OrderJournal.fills(orders)),
        )  # fmt: skip
        return cash

    # -- while running ----------------------------------------------------------------------

    def unknown_fills(self, since_ms: int) -> list[Order]:
        """Fills since ``since_ms`` of orders nobody follows, adopted as external orders
        (stored; the caller books them); fills of followed orders go to their orders."""
        adopted = []
        for symbol in self.symbols:
            trades = self.client.my_trades(symbol, since_ms)
            fresh = [t for t in trades if (t.symbol, t.trade_id) not in self.booked]
            for trade in self.client.apply_trades(fresh):
                order = adopt_fill(trade, self.clock.timestamp_ns())
                self.journal.record(order)
                self.booked.add((trade.symbol, trade.trade_id))
                self.note(_fill_difference(order, trade))
                adopted.append(order)
        return adopted

    def check_balances(self, portfolio: Portfolio) -> None:
        """Log the currencies whose venue balance differs from the portfolio's."""
        balances = self.client.balances()
        mine = {portfolio.currency: portfolio.cash} | {
            s.base: portfolio.position(s).signed_qty for s in self.symbols
        }
        for currency, amount in mine.items():
            venue = _total(balances, currency)
            if venue != amount:
                self.note(
                    Difference(
                        "balance", currency, f"the venue holds {venue}, the portfolio {amount}",
                        "logged; the venue wins at the next start",
                    )
                )  # fmt: skip


def paper_start(
    stored: list[Order], journal: OrderJournal, config: NodeConfig, ts: int
) -> StartState:
    """The paper node's start: its venue (the local exchange) did not survive the stop, so
    the orders it held are canceled ("paper venue restarted"); the portfolio opens with the
    configured balance and books the stored fills again."""
    notes = []
    for order in stored:
        if order.is_closed:
            continue
        reason = "paper venue restarted: the local exchange that held it is gone"
        order.apply(
            OrderCanceled(ts=max(ts, order.ts_last), client_order_id=order.client_order_id,
                          symbol=order.symbol, reason=reason)
        )  # fmt: skip
        journal.record(order)
        difference = Difference("order", order.client_order_id, reason, "canceled")
        _log.warning("reconciliation: %s", difference)
        notes.append(difference)
    cash = config.paper.balances.get(config.currency, Decimal(0))
    return StartState(stored, cash, notes)


def _legs(by_id: dict[str, Order], venue_open: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Orders amended before the stop work under ``<id>.<n>``: every leg of each, in order."""
    highest: dict[str, int] = {}
    for raw in venue_open:
        cid = str(raw.get("clientOrderId") or "")
        base, dot, n = cid.rpartition(".")
        if dot and n.isdigit() and base in by_id:
            highest[base] = max(highest.get(base, 0), int(n))
    return {cid: [cid, *(f"{cid}.{k}" for k in range(1, n + 1))] for cid, n in highest.items()}


def _sent_at(order: Order) -> int:
    sent = [e.ts for e in order.events if isinstance(e, OrderSubmitted)]
    return sent[-1] if sent else order.ts_init


def _trade_ids(orders: Iterable[Order]) -> set[tuple[Symbol, str]]:
    return {
        (event.symbol, event.trade_id)
        for order in orders
        for event in order.events
        if isinstance(event, OrderFilled)
    }


def _holdings(orders: Iterable[Order]) -> dict[str, Decimal]:
    held: dict[str, Decimal] = {}
    for _, fill in OrderJournal.fills(orders):
        signed = fill.last_qty if fill.order_side.sign > 0 else -fill.last_qty
        held[fill.symbol.base] = held.get(fill.symbol.base, Decimal(0)) + signed
    return held


def _total(balances: dict[str, AccountBalance], currency: str) -> Decimal:
    balance = balances.get(currency)
    return Decimal(0) if balance is None else balance.total.amount


def _describe(order: Order) -> str:
    price = f" at {order.price}" if order.price is not None else ""
    return f"{order.side.name.lower()} {order.quantity} {order.symbol}{price}"


def _fill_difference(order: Order, trade: VenueTrade) -> Difference:
    return Difference(
        "fill", order.client_order_id,
        f"{_describe(order)} filled at {trade.price} (trade {trade.trade_id}) by an order "
        "the node does not know",
        "booked as an external order",
    )  # fmt: skip


def _event_difference(order: Order, event: OrderEvent) -> Difference:
    cid = order.client_order_id
    if isinstance(event, OrderFilled):
        found = f"filled {event.last_qty} at {event.last_price} (trade {event.trade_id})"
        return Difference("fill", cid, found, "booked (the venue wins)")
    if isinstance(event, OrderRejected):
        return Difference("order", cid, f"unknown to the venue ({event.reason})", "rejected")
    if isinstance(event, OrderCanceled | OrderExpired):
        return Difference("order", cid, "closed at the venue", "closed in the store")
    if isinstance(event, OrderAccepted):
        return Difference("order", cid, "working at the venue", "marked accepted")
    if isinstance(event, OrderUpdated):
        return Difference("order", cid, "amended at the venue", "updated in the store")
    return Difference("order", cid, type(event).__name__, "applied")
