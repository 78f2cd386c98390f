"""The simulated exchange: the venue of backtests (and later of paper trading and the sandbox).

It receives orders like a real venue (accepts or rejects them by the instrument's filters and
the account's balances), keeps them working, and matches them against each bar with the rules
of :mod:`tradeforge.backtest.matching`:

* a market order trades where it becomes active: at the next bar's open when submitted at a
  bar's close (``market_fill="next_open"``, the default), or at once at the last close
  (``market_fill="close"``);
* limit, stop and take-profit orders trade when the bar's assumed path reaches their level, at
  the level, or at the current price when they are already beyond it (a gap);
* when several orders are reachable in one bar, the path decides which trades first. The path
  visits the high first or the low first by ``intrabar`` (default ``"adverse"``: against the
  open position, so a long's stop loss wins over its take profit; when flat, the extreme
  nearest the open first). Lower-timeframe bars, when given, replace the guess.

OCO lists (one fill cancels the others) and OTO lists (the parent's complete fill activates the
children; a bracket is an OTO whose children are OCO) are native when ``supports_contingency``
is true, so a stop loss placed by a bracket can trade inside the bar its entry filled in.
Every change is reported through the handler given to :meth:`connect` as the same order events
a real venue client produces.

Perpetual futures (margin accounts): funding rates set with :meth:`set_funding` are settled at
each funding time (:class:`~tradeforge.model.events.FundingPaid`), and a position whose bar
reaches its liquidation price is closed by the venue (a ``autoclose-<n>`` market order); see
:mod:`tradeforge.backtest.perpetual` and the "Perpetual futures" section of
``docs/backtesting.md``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import replace
from decimal import Decimal
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from tradeforge.backtest.matching import NEVER, bar_path, detail_path, first_touch, price_at
from tradeforge.backtest.models import LatencyModel, NoSlippage, SlippageModel, VolumeParticipation
from tradeforge.backtest.perpetual import FundingRates, FundingSchedule
from tradeforge.backtest.resting import RestingOrder
from tradeforge.backtest.venue_account import CashAccount, MarginAccount
from tradeforge.common.clock import Clock
from tradeforge.common.ids import LIQUIDATION_ID_PREFIX
from tradeforge.data.lines import Cursor
from tradeforge.data.replay import BarSeries
from tradeforge.model.enums import ContingencyType, LiquiditySide, OrderSide, OrderType
from tradeforge.model.events import (
    FundingPaid,
    OrderAccepted,
    OrderCanceled,
    OrderFilled,
    OrderInitialized,
    OrderRejected,
    OrderUpdated,
    VenueEvent,
)
from tradeforge.model.instrument import Instrument
from tradeforge.model.order_list import OrderList
from tradeforge.model.orders import Order, OrderError
from tradeforge.model.symbol import Symbol
from tradeforge.model.values import EXACT, Price, Quantity, truncate_to_step

Intrabar = Literal["adverse", "favorable", "high_first", "low_first", "nearest"]
MarketFill = Literal["next_open", "close"]
EventHandler = Callable[[VenueEvent], None]

_NOT_RESTING = {OrderType.MARKET}
ORDER_TYPES = frozenset(OrderType) - {OrderType.TRAILING_STOP_MARKET}
"""The order types the simulated exchange matches (trailing stops are the engine's)."""
_ONE = Decimal(1)
# (trade seq, funding seq, liquidation price as float, exact, long) of a position
_LiquidationLevel = tuple[int, int, float, Decimal | None, bool]


class SimulatedExchange:
    """A venue that matches orders against bars.

    Parameters
    ----------
    venue : str
        The venue id the instruments carry.
    instruments : iterable of Instrument
        What it lists; orders for anything else are rejected.
    clock : Clock
        Time of acceptance, cancellation and submissions.
    account : CashAccount or MarginAccount
        The balances orders are checked against and fills are booked to.
    slippage : SlippageModel
        Moves taker fill prices (default none).
    participation : VolumeParticipation
        Caps the share of a bar's volume one order may take (default no cap).
    latency : LatencyModel
        Delay before an order or a cancel reaches the venue (default none).
    intrabar : {"adverse", "favorable", "high_first", "low_first", "nearest"}
        Which extreme the assumed path visits first.
    market_fill : {"next_open", "close"}
        Where a market order submitted at a bar's close trades.
    supports_contingency : bool
        Native OCO and OTO lists; when false, :meth:`submit_order_list` refuses and the
        execution engine emulates them.
    liquidation_fee : Decimal
        Fee rate on the notional of a liquidation (margin accounts; default 0).
    order_types : iterable of OrderType, optional
        The order types it takes (default :data:`ORDER_TYPES`, all it can match); others are
        rejected. Fewer types make a venue without, say, stop orders, whose stops the engine's
        users must emulate.
    """

    def __init__(
        self,
        venue: str,
        instruments: Iterable[Instrument],
        *,
        clock: Clock,
        account: CashAccount | MarginAccount,
        slippage: SlippageModel | None = None,
        participation: VolumeParticipation | None = None,
        latency: LatencyModel | None = None,
        intrabar: Intrabar = "adverse",
        market_fill: MarketFill = "next_open",
        supports_contingency: bool = True,
        liquidation_fee: Decimal = Decimal(0),
        order_types: Iterable[OrderType] | None = None,
    ) -> None:
        self.venue = venue
        self.order_types = ORDER_TYPES if order_types is None else frozenset(order_types)
        self.instruments: dict[Symbol, Instrument] = {i.symbol: i for i in instruments}
        self.clock = clock
        self.account = account
        self.slippage = slippage or NoSlippage()
        self.participation = participation or VolumeParticipation()
        self.latency = latency or LatencyModel()
        self.intrabar = intrabar
        self.market_fill = market_fill
        self.supports_contingency = supports_contingency
        self._handler: EventHandler = _nowhere
        self._working: dict[Symbol, list[RestingOrder]] = {}
        self._by_id: dict[str, RestingOrder] = {}
        self._held_children: dict[str, list[Order]] = {}
        self._oco: dict[str, list[str]] = {}
        self._last: dict[Symbol, float] = {}
        self._order_seq = 0
        self._trade_seq = 0
        self.has_working_orders = False
        self._pending_cancels = False  # a cancel request is on its way (latency)
        self._detail: dict[Symbol, BarSeries] = {}
        self._price_sources: dict[Symbol, tuple[NDArray[np.float64], Cursor]] = {}
        # perpetual futures: funding schedule, liquidation (see set_funding, _check_liquidation)
        self.liquidation_fee = liquidation_fee
        self._funding = FundingSchedule()
        self._funding_seq = 0
        self._liquidation_seq = 0
        self._liq_cache: dict[Symbol, _LiquidationLevel] = {}
        if isinstance(account, MarginAccount):
            for symbol, instrument in self.instruments.items():
                account.contract_sizes.setdefault(symbol, instrument.contract_size)

    def connect(self, handler: EventHandler) -> None:
        """Send every order event to ``handler`` (the execution engine)."""
        self._handler = handler

    # -- reading ----------------------------------------------------------------------------

    def last_price(self, symbol: Symbol) -> float | None:
        """The last close of ``symbol`` (from its price source when one is set)."""
        source = self._price_sources.get(symbol)
        if source is not None:
            closes, cursor = source
            return float(closes[cursor.i]) if cursor.i >= 0 else None
        return self._last.get(symbol)

    def set_price_source(self, symbol: Symbol, closes: NDArray[np.float64], cursor: Cursor) -> None:
        """Read ``symbol``'s last price from a replayed series (the close at its cursor), so a
        backtest need not tell the exchange every close of a bar without orders."""
        self._price_sources[symbol] = (closes, cursor)

    def working_orders(self, symbol: Symbol | None = None) -> list[str]:
        """Client order ids working at the venue."""
        if symbol is None:
            return list(self._by_id)
        return [r.client_order_id for r in self._working.get(symbol, ())]

    # -- commands ---------------------------------------------------------------------------

    def submit_order(self, order: Order, quote_quantity: Decimal | None = None) -> None:
        """Accept or reject ``order``; a market order may trade at once (``market_fill``)."""
        ts = self.clock.timestamp_ns()
        reason = self._rejection(order, quote_quantity)
        if reason:
            self._emit(
                OrderRejected(
                    ts=ts, client_order_id=order.client_order_id, symbol=order.symbol, reason=reason
                )
            )
            self._cancel_held(order.client_order_id, f"parent {order.client_order_id} rejected")
            return
        self._order_seq += 1
        resting = RestingOrder(
            order, ts + self.latency.delay_ns, str(self._order_seq), quote_quantity
        )
        self._by_id[order.client_order_id] = resting
        self._working.setdefault(order.symbol, []).append(resting)
        self.has_working_orders = True
        self._emit(
            OrderAccepted(
                ts=ts,
                client_order_id=order.client_order_id,
                symbol=order.symbol,
                venue_order_id=resting.venue_order_id,
            )
        )
        if resting.is_market and self.market_fill == "close" and not self.latency.delay_ns:
            self._fill_at_last(resting)

    def submit_order_list(self, orders: OrderList) -> None:
        """Submit an OCO list, or an OTO list / bracket whose children wait for the parent."""
        if not self.supports_contingency:
            raise NotImplementedError(f"{self.venue} does not support order lists")
        if orders.contingency is ContingencyType.OCO:
            ids = [o.client_order_id for o in orders.orders]
            for order in orders.orders:
                self._oco[order.client_order_id] = [i for i in ids if i != order.client_order_id]
                self.submit_order(order)
            return
        parent, children = orders.orders[0], list(orders.orders[1:])
        self._held_children[parent.client_order_id] = children
        self.submit_order(parent)

    def cancel_order(self, client_order_id: str, reason: str = "canceled") -> bool:
        """A client's request to cancel a working order; False when it is not working.

        With latency the cancel acts when it reaches the venue: until then the order may still
        trade (and then the cancel finds nothing to cancel).
        """
        delay = self.latency.delay_ns
        if not delay:
            return self._cancel_now(client_order_id, reason)
        resting = self._by_id.get(client_order_id)
        if resting is None:
            return False
        if resting.cancel_ns is None:
            resting.cancel_ns = self.clock.timestamp_ns() + delay
            resting.cancel_reason = reason
            self._pending_cancels = True
        return True

    def _cancel_now(self, client_order_id: str, reason: str, ts: int | None = None) -> bool:
        """Cancel a working order at once (the venue's own decision, or a request arriving)."""
        resting = self._by_id.pop(client_order_id, None)
        if resting is None:
            return False
        self._remove(resting)
        self._emit(
            OrderCanceled(
                ts=self.clock.timestamp_ns() if ts is None else ts,
                client_order_id=client_order_id,
                symbol=resting.order.symbol,
                reason=reason,
            )
        )
        self._cancel_held(client_order_id, f"parent {client_order_id} canceled")
        return True

    def _cancel_held(self, parent_id: str, reason: str) -> None:
        for child in self._held_children.pop(parent_id, ()):
            self._emit(
                OrderCanceled(
                    ts=self.clock.timestamp_ns(),
                    client_order_id=child.client_order_id,
                    symbol=child.symbol,
                    reason=reason,
                )
            )

    def modify_order(
        self,
        client_order_id: str,
        *,
        quantity: Quantity | None = None,
        price: Price | None = None,
        stop_price: Price | None = None,
    ) -> bool:
        """Amend a working order in place (keeps its place in time); False when not working."""
        resting = self._by_id.get(client_order_id)
        if resting is None:
            return False
        order = resting.order
        event = OrderUpdated(
            ts=self.clock.timestamp_ns(),
            client_order_id=client_order_id,
            symbol=order.symbol,
            quantity=quantity,
            price=price,
            stop_price=stop_price,
        )
        # The venue keeps its own record (the order it was given may never see an event, as
        # the stop order of an emulated trailing stop): amend the specification, not a status.
        filled = EXACT.subtract(order.quantity, resting.leaves)
        if quantity is not None and quantity <= filled:
            raise OrderError(
                f"order {client_order_id}: updated quantity {quantity} must exceed filled {filled}"
            )
        init = order.events[0]
        assert isinstance(init, OrderInitialized)
        resting.order = Order.from_init(
            replace(
                init,
                quantity=order.quantity if quantity is None else quantity,
                price=order.price if price is None else price,
                stop_price=order.stop_price if stop_price is None else stop_price,
            )
        )
        if quantity is not None:
            resting.leaves = Quantity(EXACT.subtract(quantity, filled))
        self._emit(event)
        return True

    # -- matching ---------------------------------------------------------------------------

    def process_bar(  # noqa: PLR0917 - the hot path takes a bar's fields positionally
        self,
        symbol: Symbol,
        ts_open: int,
        ts_close: int,
        o: float,
        h: float,
        low: float,
        c: float,
        volume: float,
        path: NDArray[np.float64] | None = None,
    ) -> None:
        """Match the orders working on ``symbol`` against one bar, then remember its close.

        ``path`` replaces the assumed open-extreme-extreme-close path (lower-timeframe bars).
        """
        # perpetual hook: one comparison per bar when no funding is due; funding times before
        # this bar are settled on the position held before its trades
        funding_due = ts_close >= self._funding.next_ns
        if funding_due:
            self._settle_funding(symbol, ts_open, None)
        working = self._working.get(symbol)
        if working:
            self._match(symbol, working, ts_open, ts_close, (o, h, low, c, volume), path)
        self._last[symbol] = c
        if isinstance(self.account, MarginAccount):
            self.account.mark(symbol, Decimal(repr(c)))
            # perpetual hook: liquidation at the maintenance-margin price
            if self.account.maintenance is not None:
                self._check_liquidation(symbol, ts_open, ts_close, (o, h, low, c))
        if funding_due:  # perpetual hook: funding due by the close, on the position held then
            self._settle_funding(symbol, ts_close, c)

    def _match(  # noqa: PLR0917 - internal, called once per bar with orders
        self,
        symbol: Symbol,
        working: list[RestingOrder],
        ts_open: int,
        ts_close: int,
        ohlcv: tuple[float, float, float, float, float],
        path: NDArray[np.float64] | None,
    ) -> None:
        if not self._pending_cancels:
            self._trade_along(symbol, working, ts_open, ts_close, ohlcv, path)
            return
        self._cancel_arrived(symbol, ts_open)
        working = self._working.get(symbol, [])
        if working:
            self._trade_along(symbol, working, ts_open, ts_close, ohlcv, path)
        self._cancel_arrived(symbol, ts_close)

    def _cancel_arrived(self, symbol: Symbol, until: int) -> None:
        """Act on the cancel requests that reached the venue by ``until``."""
        for resting in list(self._working.get(symbol, ())):
            if resting.cancel_ns is not None and resting.cancel_ns <= until:
                self._cancel_now(resting.client_order_id, resting.cancel_reason, resting.cancel_ns)
        self._pending_cancels = any(r.cancel_ns is not None for r in self._by_id.values())

    def _trade_along(  # noqa: PLR0917 - internal, called once per bar with orders
        self,
        symbol: Symbol,
        working: list[RestingOrder],
        ts_open: int,
        ts_close: int,
        ohlcv: tuple[float, float, float, float, float],
        path: NDArray[np.float64] | None,
    ) -> None:
        o, h, low, c, volume = ohlcv
        for resting in working:
            resting.bar_filled = 0.0
        if path is None and all(r.is_market and r.active_ns <= ts_open for r in working):
            self._fill_markets_at_open(symbol, working, ts_open, o, volume)
            # orders the fills sent (bracket exits, reactions) still trade along this bar
            working = self._working.get(symbol, [])
            if all(r.has_traded for r in working):
                return
        if path is None:
            path = self._path(symbol, ts_open, ts_close, (o, h, low, c))
        span = ts_close - ts_open
        last_pos = float(len(path) - 1)
        cap = self.participation.cap(volume)
        pos = 0.0
        while True:
            best, best_pos, best_start = None, NEVER, 0.0
            for resting in working:
                start = max(pos, _start_pos(resting.active_ns, ts_open, span, last_pos))
                if start > last_pos or resting.bar_filled >= cap:
                    continue
                hit = start if resting.is_market else first_touch(path, start, *resting.level())
                if resting.cancel_ns is not None and hit >= _start_pos(
                    resting.cancel_ns, ts_open, span, last_pos
                ):
                    continue  # its cancel arrives first
                if hit != NEVER and (best is None or hit < best_pos):
                    best, best_pos, best_start = resting, hit, start
            if best is None:
                return
            pos = best_pos
            if best.is_trigger_pending:
                best.triggered = True
                continue
            at_level = not best.is_market and pos > best_start
            price = best.level()[0] if at_level else price_at(path, pos)
            ts = ts_open + int(span * pos / last_pos)
            self._execute(best, price, at_level and best.fills_as_limit, ts, cap, volume)
            working = self._working.get(symbol, [])

    def _fill_markets_at_open(
        self, symbol: Symbol, working: list[RestingOrder], ts: int, o: float, volume: float
    ) -> None:
        cap = self.participation.cap(volume)
        for resting in list(working):
            if resting.client_order_id in self._by_id:
                self._execute(resting, o, False, ts, cap, volume)

    def _fill_at_last(self, resting: RestingOrder) -> None:
        last = self.last_price(resting.order.symbol)
        if last is not None:
            self._execute(resting, last, False, self.clock.timestamp_ns(), float("inf"), 0.0)

    def _execute(  # noqa: PLR0917 - internal, one call per fill
        self, resting: RestingOrder, price: float, maker: bool, ts: int, cap: float, volume: float
    ) -> None:
        """Trade ``resting`` at ``price`` (before slippage and tick rounding), up to the cap."""
        order = resting.order
        instrument = self.instruments[order.symbol]
        side = resting.side
        if maker:
            fill_px = order.price if order.price is not None else Price(repr(price))
        else:
            slipped = self.slippage.slipped_price(price, side, float(resting.leaves), volume)
            fill_px = instrument.round_price(repr(slipped), "sell" if side > 0 else "buy")
            if resting.fills_as_limit and order.price is not None:  # never past the limit
                fill_px = min(fill_px, order.price) if side > 0 else max(fill_px, order.price)
        qty = self._fill_quantity(resting, instrument, fill_px, cap)
        if qty <= 0:
            self._cancel_unfillable(resting, "quantity rounds to zero at the fill price")
            return
        notional = instrument.notional(fill_px, qty)
        fee = instrument.fee(notional, maker)
        reason = self._account_shortfall(resting, instrument, qty, fill_px)
        if reason:
            self._cancel_unfillable(resting, reason)
            return
        if resting.quote_quantity is not None and qty != resting.leaves:
            # sized at the fill price (quoteOrderQty): the order's quantity becomes the fill's
            resting.leaves = qty
            self._emit(
                OrderUpdated(
                    ts=ts,
                    client_order_id=resting.client_order_id,
                    symbol=order.symbol,
                    quantity=qty,
                )
            )
        self.account.unlock(resting.client_order_id)
        self.account.fill(order.symbol, side, qty, notional.amount, fee)
        resting.leaves = Quantity(EXACT.subtract(resting.leaves, qty))
        resting.bar_filled += float(qty)
        resting.has_traded = True
        self._trade_seq += 1
        done = resting.leaves <= 0 or resting.quote_quantity is not None
        if done:
            self._by_id.pop(resting.client_order_id, None)
            self._remove(resting)
        elif not resting.is_market:
            self._relock(resting, instrument)
        self._emit(
            OrderFilled(
                ts=ts,
                client_order_id=resting.client_order_id,
                symbol=order.symbol,
                trade_id=str(self._trade_seq),
                venue_order_id=resting.venue_order_id,
                order_side=order.side,
                last_qty=qty,
                last_price=fill_px,
                fee=fee,
                liquidity_side=LiquiditySide.MAKER if maker else LiquiditySide.TAKER,
            )
        )
        self._after_fill(resting, done)

    def _fill_quantity(
        self, resting: RestingOrder, instrument: Instrument, price: Price, cap: float
    ) -> Quantity:
        step = instrument.quantity_step
        if resting.quote_quantity is not None:
            rate = _ONE + instrument.taker_fee
            unit_cost = EXACT.multiply(EXACT.multiply(price, instrument.contract_size), rate)
            raw = resting.quote_quantity / unit_cost
            return Quantity(truncate_to_step(Quantity(max(raw, Decimal(0))), step))
        leaves = resting.leaves
        room = cap - resting.bar_filled
        if room < float(leaves):
            return Quantity(truncate_to_step(Quantity(repr(max(room, 0.0))), step))
        return leaves

    def _account_shortfall(
        self, resting: RestingOrder, instrument: Instrument, qty: Quantity, price: Price
    ) -> str:
        self.account.unlock(resting.client_order_id)
        reason = self.account.shortfall(instrument, resting.side, qty, price)
        if reason and not resting.is_market:
            self._relock(resting, instrument)
        return reason

    def _relock(self, resting: RestingOrder, instrument: Instrument) -> None:
        order = resting.order
        if order.reduce_only or resting.leaves <= 0:
            return
        price = order.price if order.price is not None else order.stop_price
        if price is not None:
            self.account.lock(
                resting.client_order_id, instrument, resting.side, resting.leaves, price
            )

    def _after_fill(self, resting: RestingOrder, done: bool) -> None:
        cid = resting.client_order_id
        for sibling in self._oco.pop(cid, ()):
            self._oco.pop(sibling, None)
            self._cancel_now(sibling, reason=f"OCO: {cid} filled")
        children = self._held_children.pop(cid, None) if done else None
        if children:
            ids = [child.client_order_id for child in children]
            for child in children:
                if len(children) > 1:
                    self._oco[child.client_order_id] = [
                        i for i in ids if i != child.client_order_id
                    ]
                self.submit_order(child)

    def _cancel_unfillable(self, resting: RestingOrder, reason: str) -> None:
        self._cancel_now(resting.client_order_id, reason=reason)

    def _remove(self, resting: RestingOrder) -> None:
        self.account.unlock(resting.client_order_id)
        working = self._working.get(resting.order.symbol)
        if working is not None and resting in working:
            working.remove(resting)
        self.has_working_orders = bool(self._by_id)

    def _rejection(self, order: Order, quote_quantity: Decimal | None) -> str:
        instrument = self.instruments.get(order.symbol)
        if instrument is None:
            return f"-1121 invalid symbol {order.symbol} on {self.venue}"
        if order.order_type not in self.order_types:
            return f"-1116 order type {order.order_type.value} is not supported on {self.venue}"
        if order.client_order_id in self._by_id:
            return f"duplicate client order id {order.client_order_id}"
        price = order.price or order.stop_price
        if price is None:
            last = self.last_price(order.symbol)
            price = Price(repr(last)) if last is not None else None
        if quote_quantity is None and price is not None:
            broken = instrument.check_order(price, order.quantity)
            if broken:
                return "; ".join(check.message for check in broken)
        if order.order_type in _NOT_RESTING or order.reduce_only or price is None:
            return ""
        return self.account.lock(
            order.client_order_id, instrument, order.side.sign, order.quantity, price
        )

    def set_detail(self, series: BarSeries) -> None:
        """Trade ``series.symbol``'s bars along these lower-timeframe bars' paths (a stop loss
        and a take profit reachable in one bar then trade in the order the detail shows)."""
        if series.symbol not in self.instruments:
            raise ValueError(f"detail bars for {series.symbol}, which {self.venue} does not list")
        self._detail[series.symbol] = series

    def _path(
        self, symbol: Symbol, ts_open: int, ts_close: int, ohlc: tuple[float, float, float, float]
    ) -> NDArray[np.float64]:
        """The bar's assumed path, or its lower-timeframe bars' paths joined when given."""
        o, h, low, c = ohlc
        detail = self._detail.get(symbol)
        if detail is not None:
            first, end = np.searchsorted(detail.ts_open, (ts_open, ts_close))
            if end > first:
                do, dh, dl = detail.open[first:end], detail.high[first:end], detail.low[first:end]
                forced = self._forced_high_first(symbol)
                highs = np.full(len(do), forced) if forced is not None else (dh - do) <= (do - dl)
                return detail_path(do, dh, dl, detail.close[first:end], highs)
        return bar_path(o, h, low, c, self._high_first(symbol, o, h, low))

    def _high_first(self, symbol: Symbol, o: float, h: float, low: float) -> bool:
        """Whether the bar's path visits its high before its low (``intrabar``)."""
        forced = self._forced_high_first(symbol)
        return (h - o) <= (o - low) if forced is None else forced

    def _forced_high_first(self, symbol: Symbol) -> bool | None:
        """The ``intrabar`` mode's answer for every bar of ``symbol`` now; None when each bar
        decides by itself (the extreme nearest its open first)."""
        mode = self.intrabar
        if mode in ("high_first", "low_first"):
            return mode == "high_first"
        held = self._net_position(symbol)
        if held and mode in ("adverse", "favorable"):
            return (held < 0) == (mode == "adverse")
        return None

    def _net_position(self, symbol: Symbol) -> Decimal:
        if isinstance(self.account, MarginAccount):
            return self.account.positions.get(symbol, (Decimal(0), Decimal(0)))[0]
        return self.account.total(symbol.base)

    def _emit(self, event: VenueEvent) -> None:
        self._handler(event)

    # -- perpetual futures ------------------------------------------------------------------

    def set_funding(self, symbol: Symbol, rates: FundingRates) -> None:
        """Settle ``rates`` on the position in ``symbol`` at each funding time.

        At every funding time ``T`` up to a bar's close, a position of ``q`` contracts pays
        ``q × contract size × mark(T) × rate(T)`` (received when negative) and the venue emits
        :class:`~tradeforge.model.events.FundingPaid`. ``mark(T)`` is the rates' mark price,
        or else the close of the bar closing at ``T``. Times before the first bar the
        exchange sees are skipped when a position opens later; a flat position pays nothing.

        Raises
        ------
        ValueError
            When the account is not a margin account or ``symbol`` is not listed.
        """
        if not isinstance(self.account, MarginAccount):
            raise ValueError(
                f"funding needs a margin account (perpetual futures); {self.venue} has a "
                f"{self.account.kind} account"
            )
        if symbol not in self.instruments:
            raise ValueError(f"funding for {symbol}, which {self.venue} does not list")
        self._funding.add(symbol, rates)

    @property
    def position_watch(self) -> MarginAccount | None:
        """The margin account when its open positions need every bar (a liquidation check or
        funding), else None: a replay loop calls :meth:`process_bar` while
        ``position_watch.has_positions`` even without working orders."""
        account = self.account
        if isinstance(account, MarginAccount) and (
            account.maintenance is not None or self._funding
        ):
            return account
        return None

    def _settle_funding(self, symbol: Symbol, until_ns: int, close: float | None) -> None:
        """Settle ``symbol``'s funding times up to ``until_ns``, marked at the rates' marks or
        ``close`` (the last price when None: the close of the bar before)."""
        for rates, k in self._funding.take_due(symbol, until_ns):
            self._pay_funding(symbol, rates, k, close)

    def _pay_funding(
        self, symbol: Symbol, rates: FundingRates, k: int, close: float | None
    ) -> None:
        assert isinstance(self.account, MarginAccount)
        held = self.account.positions.get(symbol, (Decimal(0), Decimal(0)))[0]
        if not held:
            return
        mark = rates.mark(k)
        if mark is None:
            price = close if close is not None else self.last_price(symbol)
            if price is None:
                return  # no price before the first bar: no position could be held
            mark = Decimal(repr(price))
        rate = rates.rate(k)
        size = EXACT.multiply(held, self.instruments[symbol].contract_size)
        amount = EXACT.multiply(EXACT.multiply(size, mark), rate)
        self.account.pay(symbol.settle or symbol.quote, amount)
        self._funding_seq += 1
        self._emit(
            FundingPaid(
                ts=int(rates.ts[k]),
                symbol=symbol,
                rate=rate,
                mark_price=mark,
                position_qty=held,
                amount=amount,
            )
        )

    def _check_liquidation(
        self, symbol: Symbol, ts_open: int, ts_close: int, ohlc: tuple[float, float, float, float]
    ) -> None:
        """Close the position in ``symbol`` when the bar reaches its liquidation price.

        The bar's orders have traded first (a stop loss above the liquidation price protects
        the position); the position left is checked against the bar's low (long) or high
        (short): the venue cancels the symbol's working orders and sells (buys) the whole
        position at the liquidation price rounded to the tick in the position's favour, or
        at the open when the bar opens beyond it.
        """
        o, h, low, c = ohlc
        cached = self._liq_cache.get(symbol)
        if cached is None or cached[0] != self._trade_seq or cached[1] != self._funding_seq:
            cached = self._liquidation_level(symbol)
        level, exact, long = cached[2], cached[3], cached[4]
        if (low > level) if long else (h < level):  # the float test settles almost every bar
            return
        if exact is None or (
            Decimal(repr(low)) > exact if long else Decimal(repr(h)) < exact
        ):  # exact test
            return
        instrument = self.instruments[symbol]
        gapped = Decimal(repr(o)) <= exact if long else Decimal(repr(o)) >= exact
        if gapped:
            price, ts = instrument.round_price(repr(o)), ts_open
        else:
            price = instrument.round_price(exact, "sell" if long else "buy")
            path = bar_path(o, h, low, c, self._high_first(symbol, o, h, low))
            pos = first_touch(path, 0.0, level, -1 if long else 1)
            span = ts_close - ts_open
            ts = ts_close if pos == NEVER else ts_open + int(span * pos / (len(path) - 1))
        assert isinstance(self.account, MarginAccount)
        self._liquidate(symbol, self.account.positions[symbol][0], price, ts)

    def _liquidation_level(self, symbol: Symbol) -> _LiquidationLevel:
        """``(trade seq, funding seq, price as float, exact price, long)`` of ``symbol``'s
        position; a flat or unliquidatable long gets ``-inf``. Cached until the next fill or
        funding payment while the position is the account's only one (other positions move
        it with their marks, so then it is computed every bar)."""
        assert isinstance(self.account, MarginAccount)
        held = self.account.positions.get(symbol, (Decimal(0), Decimal(0)))[0]
        exact = self.account.liquidation_price(symbol) if held else None
        long = held >= 0
        level = float(exact) if exact is not None else -math.inf
        entry = (self._trade_seq, self._funding_seq, level, exact, long)
        if sum(1 for q, _ in self.account.positions.values() if q) <= 1:
            self._liq_cache[symbol] = entry
        else:
            self._liq_cache.pop(symbol, None)
        return entry

    def _liquidate(self, symbol: Symbol, held: Decimal, price: Price, ts: int) -> None:
        """Cancel ``symbol``'s working orders, then close ``held`` at ``price`` with a
        venue-generated market order (``autoclose-<n>``) that pays the liquidation fee."""
        for cid in self.working_orders(symbol):
            self._cancel_now(cid, reason="liquidation")
        instrument = self.instruments[symbol]
        side = -1 if held > 0 else 1
        qty = Quantity(abs(held))
        notional = instrument.notional(price, qty)
        fee = notional * self.liquidation_fee
        self.account.fill(symbol, side, qty, notional.amount, fee)
        self._liquidation_seq += 1
        self._order_seq += 1
        self._trade_seq += 1
        self._emit(
            OrderFilled(
                ts=ts,
                client_order_id=f"{LIQUIDATION_ID_PREFIX}{self._liquidation_seq}",
                symbol=symbol,
                trade_id=str(self._trade_seq),
                venue_order_id=str(self._order_seq),
                order_side=OrderSide.SELL if side < 0 else OrderSide.BUY,
                last_qty=qty,
                last_price=price,
                fee=fee,
                liquidity_side=LiquiditySide.TAKER,
            )
        )


def _start_pos(active_ns: int, ts_open: int, span: int, last_pos: float) -> float:
    """Where along a bar's path an order that reaches the venue at ``active_ns`` starts."""
    if active_ns <= ts_open or span <= 0:
        return 0.0
    if active_ns >= ts_open + span:
        return last_pos + 1.0
    return last_pos * (active_ns - ts_open) / span


def _nowhere(event: VenueEvent) -> None:
    raise RuntimeError(f"SimulatedExchange is not connected; lost {event!r}")
