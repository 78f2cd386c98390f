"""Checks of the order itself: duplicates, order rates, the price band, the mandatory stop.

Each reads the limits of the order's strategy (:meth:`RiskConfig.limits_for`) once, when the
engine first asks for its verdict on that strategy's orders, so per-strategy overrides apply
without one check per strategy. Time comes from the context's clock only (read once per
order, :class:`~tradeforge.risk.ticket.Ticket`).
"""

from __future__ import annotations

from collections import deque
from decimal import Decimal
from typing import Any

from tradeforge.model.enums import OrderSide, OrderType
from tradeforge.model.orders import Order
from tradeforge.model.symbol import Symbol
from tradeforge.risk.checks.base import LimitCheck
from tradeforge.risk.checks.text import limit, limit_percent, percent, span
from tradeforge.risk.context import RiskContext
from tradeforge.risk.limits import RateLimit, RiskConfig, RiskLimits
from tradeforge.risk.projection import prepare_exposure
from tradeforge.risk.ticket import Ticket, Verdict

_STOP_LOSS_TYPES = frozenset(
    {OrderType.STOP_MARKET, OrderType.STOP_LIMIT, OrderType.TRAILING_STOP_MARKET}
)
_TAKE_PROFIT_TYPES = frozenset(
    {OrderType.LIMIT, OrderType.TAKE_PROFIT_MARKET, OrderType.TAKE_PROFIT_LIMIT}
)
_OPPOSITE = {OrderSide.BUY: OrderSide.SELL, OrderSide.SELL: OrderSide.BUY}
_ID_MASK = 255
"""Sent ids are kept in 256 sets, by their hash: adding one never rehashes them all at once
(one set of a million ids would hold up an order for tens of milliseconds as it grows)."""


def _nanos(window: RateLimit) -> int:
    return int(window.per.total_seconds() * 1_000_000_000)


class DuplicateOrder(LimitCheck):
    """Refuses a client order id already sent, and (with ``duplicate_window``) an order of the
    same strategy, symbol, side and quantity as one sent within the window.

    Only orders that passed the gate count as sent; the ids are kept for the whole run (a
    venue treats a repeated id as the same order).
    """

    rule = "duplicate_order"

    def __init__(self, config: RiskConfig, context: RiskContext) -> None:
        super().__init__(config, context)
        self._clock = context.clock
        self._ids: list[set[str]] = [set() for _ in range(_ID_MASK + 1)]
        self._recent = _Recent()
        self._times: deque[tuple[int, _Terms, Decimal]] = deque()
        windows = [lim.duplicate_window for lim in config.every_limits() if lim.duplicate_window]
        self._longest = int(max(windows).total_seconds() * 1e9) if windows else 0
        self._last: tuple[Order | None, _Terms | None] = (None, None)  # the terms record reuses

    def bind(self, strategy_id: str | None, limits: RiskLimits) -> Verdict | None:
        """See :meth:`LimitCheck.bind`."""
        ids, window = limits.reject_duplicate_ids, limits.duplicate_window
        if not ids and window is None:
            return None
        sent, recent = self._ids, self._recent
        nanos = 0.0 if window is None else window.total_seconds() * 1e9

        def verdict(ticket: Ticket) -> str:
            order = ticket.order
            cid = order.client_order_id
            if ids and cid in sent[hash(cid) & _ID_MASK]:
                return f"duplicate order: client order id {cid} was already sent"
            if window is None:
                return ""
            terms = (strategy_id, ticket.symbol, ticket.side)
            self._last = (order, terms)
            earlier = recent.get(terms, ticket.quantity)
            if earlier is None or ticket.now - earlier[1] >= nanos:
                return ""
            age = ticket.now - earlier[1]
            return (
                f"duplicate order: {ticket.side.name} {ticket.quantity} {ticket.symbol} "
                f"repeats {earlier[2]} sent {span(age)} ago, within the {span(window)} window"
            )

        return verdict

    def record(self, order: Order) -> None:
        """Remember a sent order's id (and, with a window, its terms)."""
        cid = order.client_order_id
        self._ids[hash(cid) & _ID_MASK].add(cid)
        if not self._longest:
            return
        seen, terms = self._last
        if seen is not order or terms is None:
            terms = (order.strategy_id, order.symbol, order.side)
        quantity, now = order.quantity, self._clock.timestamp_ns()
        self._recent.put(terms, quantity, now, cid)
        times = self._times
        times.append((now, terms, quantity))
        while now - times[0][0] >= self._longest:  # never the one just added
            ts, old, size = times.popleft()
            self._recent.drop(old, size, ts)


_Terms = tuple[str | None, Symbol, OrderSide]
_Sent = list[Any]  # [quantity, send time, client order id]
_CROWDED = 16


class _Recent:
    """Per strategy, symbol and side, each quantity sent lately with the time and client
    order id of its last send.

    Quantities are compared, not hashed (hashing a new decimal costs a microsecond, more than
    the rest of the check), while at most ``_CROWDED`` of them share their strategy, symbol
    and side; past that, those are kept by quantity in a dictionary. The terms stay once
    seen (as many as the strategies' symbols and sides), their sends go.
    """

    __slots__ = ("_by_terms",)

    def __init__(self) -> None:
        self._by_terms: dict[_Terms, list[_Sent] | dict[Decimal, _Sent]] = {}

    def get(self, terms: _Terms, quantity: Decimal) -> _Sent | None:
        """The last send of ``quantity`` on ``terms`` kept, or ``None``."""
        kept = self._by_terms.get(terms)
        if kept is None:
            return None
        if isinstance(kept, dict):
            return kept.get(quantity)
        for sent in kept:
            if sent[0] == quantity:
                return sent
        return None

    def put(self, terms: _Terms, quantity: Decimal, ts: int, cid: str) -> None:
        """``quantity`` on ``terms`` was sent at ``ts`` as ``cid``."""
        kept = self._by_terms.get(terms)
        if kept is None:
            self._by_terms[terms] = [[quantity, ts, cid]]
        elif isinstance(kept, dict):
            kept[quantity] = [quantity, ts, cid]
        else:
            for sent in kept:
                if sent[0] == quantity:
                    sent[1], sent[2] = ts, cid
                    return
            kept.append([quantity, ts, cid])
            if len(kept) > _CROWDED:
                self._by_terms[terms] = {sent[0]: sent for sent in kept}

    def drop(self, terms: _Terms, quantity: Decimal, ts: int) -> None:
        """Forget the send of ``quantity`` on ``terms`` at ``ts`` (not a later one)."""
        kept = self._by_terms.get(terms)
        if kept is None:
            return
        if isinstance(kept, dict):
            sent = kept.get(quantity)
            if sent is not None and sent[1] == ts:
                del kept[quantity]
        else:
            for i, sent in enumerate(kept):
                if sent[0] == quantity:
                    if sent[1] == ts:
                        del kept[i]  # an empty list stays: few terms, each sent again soon
                    return


class _Window:
    """Send times in a sliding window of ``nanos``."""

    __slots__ = ("nanos", "times")

    def __init__(self, nanos: int) -> None:
        self.nanos = nanos
        self.times: deque[int] = deque()

    def count(self, now: int) -> int:
        times, nanos = self.times, self.nanos
        while times and now - times[0] >= nanos:
            times.popleft()
        return len(times)

    def add(self, now: int) -> None:
        self.count(now)  # drop what left the window: memory stays bounded
        self.times.append(now)


class OrderRate(LimitCheck):
    """At most ``order_rate.max_orders`` orders of one strategy in any ``order_rate.per``."""

    rule = "order_rate"

    def __init__(self, config: RiskConfig, context: RiskContext) -> None:
        super().__init__(config, context)
        self._clock = context.clock
        self._windows: dict[str | None, _Window] = {}

    def bind(self, strategy_id: str | None, limits: RiskLimits) -> Verdict | None:
        """See :meth:`LimitCheck.bind`."""
        rate = limits.order_rate
        if rate is None:
            return None
        count, most = self._window(strategy_id, rate).count, rate.max_orders

        def verdict(ticket: Ticket) -> str:
            sent = count(ticket.now)
            if sent < most:
                return ""
            return (
                f"order rate: strategy {strategy_id} sent {sent} orders in the last "
                f"{span(rate.per)}, the limit is {limit(most)}"
            )

        return verdict

    def record(self, order: Order) -> None:
        """Count a sent order in its strategy's window (when the strategy has a rate)."""
        strategy = order.strategy_id
        window = self._windows.get(strategy)
        if window is None:
            rate = self._limits.of(strategy).order_rate
            if rate is None:
                return
            window = self._window(strategy, rate)
        window.add(self._clock.timestamp_ns())

    def _window(self, strategy: str | None, rate: RateLimit) -> _Window:
        window = self._windows.get(strategy)
        if window is None:  # a strategy's limits never change: nor does its window's length
            window = self._windows[strategy] = _Window(_nanos(rate))
        return window


class TotalOrderRate(LimitCheck):
    """At most ``total_order_rate.max_orders`` orders of all strategies in any window."""

    rule = "total_order_rate"

    def __init__(self, config: RiskConfig, context: RiskContext) -> None:
        super().__init__(config, context)
        self._rate = config.total_order_rate
        self._clock = context.clock
        self._window = _Window(0 if self._rate is None else _nanos(self._rate))

    def bind(self, strategy_id: str | None, limits: RiskLimits) -> Verdict | None:
        """See :meth:`LimitCheck.bind` (one rate for every strategy)."""
        rate = self._rate
        if rate is None:
            return None
        count, most = self._window.count, rate.max_orders

        def verdict(ticket: Ticket) -> str:
            sent = count(ticket.now)
            if sent < most:
                return ""
            return (
                f"total order rate: {sent} orders sent in the last {span(rate.per)}, "
                f"the limit is {limit(most)}"
            )

        return verdict

    def record(self, order: Order) -> None:
        """Count a sent order."""
        if self._rate is not None:
            self._window.add(self._clock.timestamp_ns())


class PriceBand(LimitCheck):
    """Refuses a limit price or stop trigger further than ``price_band`` from the last price
    (a fat finger). Market orders and orders without a last price pass."""

    rule = "price_band"

    def __init__(self, config: RiskConfig, context: RiskContext) -> None:
        super().__init__(config, context)
        context.prepare_marks()

    def bind(self, strategy_id: str | None, limits: RiskLimits) -> Verdict | None:
        """See :meth:`LimitCheck.bind`."""
        band = limits.price_band
        if band is None:
            return None
        last_of = self._context.price

        def verdict(ticket: Ticket) -> str:
            order = ticket.order
            price, stop = order.price, order.stop_price
            if price is None and stop is None:
                return ""
            last = last_of(ticket.symbol)
            if not last:
                return ""
            if price is not None and abs(price - last) > band * last:
                return _off_band("limit price", price, last, band)
            if stop is not None and abs(stop - last) > band * last:
                return _off_band("stop price", stop, last, band)
            return ""

        return verdict


def _off_band(name: str, level: Decimal, last: Decimal, band: Decimal) -> str:
    return (
        f"price band: {name} {level} is {percent(abs(level - last) / last)} from "
        f"the last price {last}, beyond the {limit_percent(band)} band"
    )


class StopLossRequired(LimitCheck):
    """An entry (an order that adds exposure) passes only as the entry of a bracket with a
    stop loss (``require_stop_loss``) and a take profit (``require_take_profit``).

    The bracket's exits are found among the members of the order list submitted with the
    entry (:meth:`RiskContext.list_members`): children of the entry on the opposite side, a
    stop (stop market, stop limit, trailing stop) for the stop loss and a limit or take-profit
    order for the take profit.
    """

    rule = "stop_loss_required"

    def __init__(self, config: RiskConfig, context: RiskContext) -> None:
        super().__init__(config, context)
        prepare_exposure(context)

    def bind(self, strategy_id: str | None, limits: RiskLimits) -> Verdict | None:
        """See :meth:`LimitCheck.bind`."""
        stop, take = limits.require_stop_loss, limits.require_take_profit
        if not (stop or take):
            return None
        members_of = self._context.list_members

        def verdict(ticket: Ticket) -> str:
            if not (ticket.projected or ticket.exposure()).adds:
                return ""
            order, members = ticket.order, ticket.members
            if members is None:
                members = members_of(order)
            has_stop, has_take = _exits(order, ticket.side, members)
            if stop and not has_stop:
                return _missing("stop loss", order)
            if take and not has_take:
                return _missing("take profit", order)
            return ""

        return verdict


def _exits(entry: Order, side: OrderSide, members: list[Order]) -> tuple[bool, bool]:
    """Whether ``members`` hold a stop loss and a take profit of ``entry`` (on ``side``): its
    children on the opposite side, of a stop type and of a take-profit type."""
    cid, exit_side = entry.client_order_id, _OPPOSITE[side]
    has_stop = has_take = False
    for member in members:
        if member is entry:
            continue
        if member.parent_order_id == cid and member.side is exit_side:
            kind = member.order_type
            has_stop = has_stop or kind in _STOP_LOSS_TYPES
            has_take = has_take or kind in _TAKE_PROFIT_TYPES
    return has_stop, has_take


def _missing(exit_kind: str, order: Order) -> str:
    return (
        f"{exit_kind} required: the {order.side.name} entry {order.client_order_id} of "
        f"{order.strategy_id} is not the entry of a bracket with a {exit_kind}"
    )
