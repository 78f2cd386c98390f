"""Checks of the order itself: duplicates, order rates, the price band, the mandatory stop.

Each reads the limits of the order's strategy (:meth:`RiskConfig.limits_for`) at every order,
so per-strategy overrides apply without one check per strategy. Time comes from the context's
clock only.
"""

from __future__ import annotations

from collections import deque
from decimal import Decimal

from tradeforge.model.enums import OrderType
from tradeforge.model.orders import Order
from tradeforge.model.symbol import Symbol
from tradeforge.risk.checks.text import limit, limit_percent, percent, span
from tradeforge.risk.context import RiskContext
from tradeforge.risk.limits import LimitsIndex, RateLimit, RiskConfig
from tradeforge.risk.projection import exposure, prepare_exposure

_STOP_LOSS_TYPES = frozenset(
    {OrderType.STOP_MARKET, OrderType.STOP_LIMIT, OrderType.TRAILING_STOP_MARKET}
)
_TAKE_PROFIT_TYPES = frozenset(
    {OrderType.LIMIT, OrderType.TAKE_PROFIT_MARKET, OrderType.TAKE_PROFIT_LIMIT}
)
_Key = tuple[str | None, Symbol, int, Decimal]
_ID_MASK = 255
"""Sent ids are kept in 256 sets, by their hash: adding one never rehashes them all at once
(one set of a million ids would hold up an order for tens of milliseconds as it grows)."""


def _nanos(window: RateLimit) -> int:
    return int(window.per.total_seconds() * 1_000_000_000)


class DuplicateOrder:
    """Refuses a client order id already sent, and (with ``duplicate_window``) an order of the
    same strategy, symbol, side and quantity as one sent within the window.

    Only orders that passed the gate count as sent; the ids are kept for the whole run (a
    venue treats a repeated id as the same order).
    """

    rule = "duplicate_order"

    def __init__(self, config: RiskConfig, context: RiskContext) -> None:
        self._limits = LimitsIndex(config)
        self._clock = context.clock
        self._ids: list[set[str]] = [set() for _ in range(_ID_MASK + 1)]
        self._recent: dict[_Key, tuple[int, str]] = {}
        self._times: deque[tuple[int, _Key]] = deque()
        windows = [lim.duplicate_window for lim in config.every_limits() if lim.duplicate_window]
        self._longest = int(max(windows).total_seconds() * 1e9) if windows else 0
        self._last: tuple[Order | None, _Key | None] = (None, None)  # the key record reuses

    def reason(self, order: Order, price: Decimal | None, notional: Decimal | None) -> str:
        """Why ``order`` repeats an order already sent; empty when it does not."""
        limits = self._limits.of(order.strategy_id)
        cid = order.client_order_id
        if limits.reject_duplicate_ids and cid in self._ids[hash(cid) & _ID_MASK]:
            return f"duplicate order: client order id {cid} was already sent"
        window = limits.duplicate_window
        if window is None:
            return ""
        key = _key(order)
        self._last = (order, key)
        earlier = self._recent.get(key)
        if earlier is None:
            return ""
        age = self._clock.timestamp_ns() - earlier[0]
        if age >= window.total_seconds() * 1e9:
            return ""
        return (
            f"duplicate order: {order.side.name} {order.quantity} {order.symbol} repeats "
            f"{earlier[1]} sent {span(age)} ago, within the {span(window)} window"
        )

    def record(self, order: Order) -> None:
        """Remember a sent order's id (and, with a window, its terms)."""
        cid = order.client_order_id
        self._ids[hash(cid) & _ID_MASK].add(cid)
        if not self._longest:
            return
        seen, key = self._last
        if seen is not order or key is None:
            key = _key(order)
        now = self._clock.timestamp_ns()
        self._recent[key] = (now, order.client_order_id)
        self._times.append((now, key))
        while self._times and now - self._times[0][0] >= self._longest:
            ts, old = self._times.popleft()
            if self._recent.get(old, (None,))[0] == ts:
                del self._recent[old]


def _key(order: Order) -> _Key:
    return (order.strategy_id, order.symbol, order.side.sign, order.quantity)


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


class OrderRate:
    """At most ``order_rate.max_orders`` orders of one strategy in any ``order_rate.per``."""

    rule = "order_rate"

    def __init__(self, config: RiskConfig, context: RiskContext) -> None:
        self._limits = LimitsIndex(config)
        self._clock = context.clock
        self._windows: dict[str | None, _Window] = {}

    def reason(self, order: Order, price: Decimal | None, notional: Decimal | None) -> str:
        """Why one more order of the strategy would break its rate; empty when it would not."""
        strategy = order.strategy_id
        rate = self._limits.of(strategy).order_rate
        if rate is None:
            return ""
        sent = self._window(strategy, rate).count(self._clock.timestamp_ns())
        if sent < rate.max_orders:
            return ""
        return (
            f"order rate: strategy {strategy} sent {sent} orders in the last "
            f"{span(rate.per)}, the limit is {limit(rate.max_orders)}"
        )

    def record(self, order: Order) -> None:
        """Count a sent order in its strategy's window (when the strategy has a rate)."""
        strategy = order.strategy_id
        rate = self._limits.of(strategy).order_rate
        if rate is not None:
            self._window(strategy, rate).add(self._clock.timestamp_ns())

    def _window(self, strategy: str | None, rate: RateLimit) -> _Window:
        window = self._windows.get(strategy)
        if window is None:  # a strategy's limits never change: nor does its window's length
            window = self._windows[strategy] = _Window(_nanos(rate))
        return window


class TotalOrderRate:
    """At most ``total_order_rate.max_orders`` orders of all strategies in any window."""

    rule = "total_order_rate"

    def __init__(self, config: RiskConfig, context: RiskContext) -> None:
        self._rate = config.total_order_rate
        self._clock = context.clock
        self._window = _Window(0 if self._rate is None else _nanos(self._rate))

    def reason(self, order: Order, price: Decimal | None, notional: Decimal | None) -> str:
        """Why one more order would break the account's rate; empty when it would not."""
        rate = self._rate
        if rate is None:
            return ""
        sent = self._window.count(self._clock.timestamp_ns())
        if sent < rate.max_orders:
            return ""
        return (
            f"total order rate: {sent} orders sent in the last {span(rate.per)}, "
            f"the limit is {limit(rate.max_orders)}"
        )

    def record(self, order: Order) -> None:
        """Count a sent order."""
        if self._rate is not None:
            self._window.add(self._clock.timestamp_ns())


class PriceBand:
    """Refuses a limit price or stop trigger further than ``price_band`` from the last price
    (a fat finger). Market orders and orders without a last price pass."""

    rule = "price_band"

    def __init__(self, config: RiskConfig, context: RiskContext) -> None:
        self._limits = LimitsIndex(config)
        self._context = context
        context.prepare_marks()

    def reason(self, order: Order, price: Decimal | None, notional: Decimal | None) -> str:
        """Why the order's price is too far from the market; empty when it is not."""
        band = self._limits.of(order.strategy_id).price_band
        if band is None or (order.price is None and order.stop_price is None):
            return ""
        last = self._context.price(order.symbol)
        if not last:
            return ""
        for name, level in (("limit price", order.price), ("stop price", order.stop_price)):
            if level is None:
                continue
            if abs(level - last) > band * last:
                return (
                    f"price band: {name} {level} is {percent(abs(level - last) / last)} from "
                    f"the last price {last}, beyond the {limit_percent(band)} band"
                )
        return ""


class StopLossRequired:
    """An entry (an order that adds exposure) passes only as the entry of a bracket with a
    stop loss (``require_stop_loss``) and a take profit (``require_take_profit``).

    The bracket's exits are found among the members of the order list submitted with the
    entry (:meth:`RiskContext.list_members`): children of the entry on the opposite side, a
    stop (stop market, stop limit, trailing stop) for the stop loss and a limit or take-profit
    order for the take profit.
    """

    rule = "stop_loss_required"

    def __init__(self, config: RiskConfig, context: RiskContext) -> None:
        self._limits = LimitsIndex(config)
        self._context = context
        prepare_exposure(context)

    def reason(self, order: Order, price: Decimal | None, notional: Decimal | None) -> str:
        """Why the entry lacks its protective exits; empty when it has them."""
        limits = self._limits.of(order.strategy_id)
        if not (limits.require_stop_loss or limits.require_take_profit):
            return ""
        if not exposure(self._context, order, price).adds:
            return ""
        cid, exit_side = order.client_order_id, order.side.opposite
        exits = {
            m.order_type
            for m in self._context.list_members(order)
            if m.parent_order_id == cid and m.side is exit_side
        }
        if limits.require_stop_loss and not exits & _STOP_LOSS_TYPES:
            return _missing("stop loss", order)
        if limits.require_take_profit and not exits & _TAKE_PROFIT_TYPES:
            return _missing("take profit", order)
        return ""


def _missing(exit_kind: str, order: Order) -> str:
    return (
        f"{exit_kind} required: the {order.side.name} entry {order.client_order_id} of "
        f"{order.strategy_id} is not the entry of a bracket with a {exit_kind}"
    )
