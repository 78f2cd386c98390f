"""The sandbox venue: Binance's order API on top of the backtest's simulated exchange.

:class:`SandboxVenue` checks a request against the market the way Binance does (filters map to
-1013, balances to -2010, a post-only or stop order that would act at once to -2010), then
submits a tradeforge :class:`~tradeforge.model.orders.Order` to the
:class:`~tradeforge.backtest.exchange.SimulatedExchange`, which matches it with the backtest's
fill rules. The replay feeds the exchange each trade of the synthetic market as a zero-length
segment from the previous trade's price to the new one (the first trade of a bar jumps to the
open, so gaps fill at the open as in backtests); a market order fills at once at the last
trade price (``market_fill="close"``), and a limit order that is marketable when it arrives
fills at once at the last price.

Binance's bookkeeping (order ids, client ids, statuses, fills, OCO lists) lives here; every
change is queued as an update for the user data stream.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal

import numpy as np

from tradeforge.backtest.exchange import SimulatedExchange
from tradeforge.common.clock import TestClock
from tradeforge.model.enums import LiquiditySide, OrderSide, OrderType, TimeInForce
from tradeforge.model.events import (
    OrderCanceled,
    OrderFilled,
    OrderRejected,
    OrderUpdated,
    VenueEvent,
)
from tradeforge.model.instrument import Instrument, OrderFilter
from tradeforge.model.order_list import OrderList
from tradeforge.model.orders import Order, OrderOptions
from tradeforge.model.symbol import Symbol
from tradeforge.model.values import EXACT, truncate_to_step
from tradeforge.sandbox import errors
from tradeforge.sandbox.account import SandboxAccount
from tradeforge.sandbox.instruments import MAX_PRICE
from tradeforge.sandbox.order_params import OcoRequest, OrderRequest
from tradeforge.sandbox.records import (
    BalanceUpdate,
    Fill,
    ListUpdate,
    OrderListRecord,
    OrderRecord,
    OrderUpdate,
    UserUpdate,
)
from tradeforge.sandbox.tape import NS_PER_MS, Print

_ZERO = Decimal(0)
_FILTER_NAMES = {
    OrderFilter.PRICE_TICK: "PRICE_FILTER",
    OrderFilter.QUANTITY_STEP: "LOT_SIZE",
    OrderFilter.MIN_QUANTITY: "LOT_SIZE",
    OrderFilter.MAX_QUANTITY: "LOT_SIZE",
    OrderFilter.MIN_NOTIONAL: "NOTIONAL",
}
_STOP_LOSS = frozenset({"STOP_LOSS", "STOP_LOSS_LIMIT"})
_TAKE_PROFIT = frozenset({"TAKE_PROFIT", "TAKE_PROFIT_LIMIT"})
_LIMIT_TYPES = frozenset({"LIMIT", "LIMIT_MAKER", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT"})
_ORDER_TYPES = {
    "MARKET": OrderType.MARKET,
    "LIMIT": OrderType.LIMIT,
    "LIMIT_MAKER": OrderType.LIMIT,
    "STOP_LOSS": OrderType.STOP_MARKET,
    "STOP_LOSS_LIMIT": OrderType.STOP_LIMIT,
    "TAKE_PROFIT": OrderType.TAKE_PROFIT_MARKET,
    "TAKE_PROFIT_LIMIT": OrderType.TAKE_PROFIT_LIMIT,
}


class SandboxVenue:
    """Orders, balances and history of one sandbox account.

    Parameters
    ----------
    name : str
        The venue's name.
    instruments : iterable of Instrument
        The markets.
    balances : dict
        Starting balances.
    clock : TestClock
        Market time; the owner moves it (trades, then requests at market now).
    """

    def __init__(
        self,
        name: str,
        instruments: Iterable[Instrument],
        balances: dict[str, Decimal],
        clock: TestClock,
    ) -> None:
        self.clock = clock
        self.instruments = {i.symbol.venue_id: i for i in instruments}
        self.account = SandboxAccount(balances)
        self.exchange = SimulatedExchange(
            name, self.instruments.values(), clock=clock, account=self.account,
            intrabar="nearest", market_fill="close",
        )  # fmt: skip
        self.exchange.connect(self._on_event)
        self.assets = sorted(set(balances) | _assets(self.instruments.values()))
        self.orders: dict[int, OrderRecord] = {}
        self.lists: dict[int, OrderListRecord] = {}
        self.fills: dict[Symbol, list[Fill]] = {i.symbol: [] for i in self.instruments.values()}
        self.updates: list[UserUpdate] = []
        self.last: dict[Symbol, Print] = {}
        self.update_time = clock.timestamp_ns() // NS_PER_MS
        self._ids = {"order": 0, "trade": 0, "list": 0, "cancel": 0}
        self._touched: set[str] = set()
        self._rejection = ""
        self._cancel_client_id = ""

    # -- the market ---------------------------------------------------------------------------

    @property
    def now_ms(self) -> int:
        """Market time, ms."""
        return self.clock.timestamp_ns() // NS_PER_MS

    def set_time(self, time_ms: int) -> None:
        """Move market time to ``time_ms`` (never backwards)."""
        if time_ms * NS_PER_MS > self.clock.timestamp_ns():
            self.clock.advance_time(time_ms * NS_PER_MS)

    def open_market(self, symbol: Symbol, trade: Print) -> None:
        """Start ``symbol`` at ``trade`` (the last trade of the history)."""
        self.last[symbol] = trade
        self._segment(symbol, trade.price, trade.price)

    def on_trade(self, symbol: Symbol, trade: Print, opens_bar: bool) -> None:
        """Let the market move to ``trade``: working orders trade along the way."""
        previous = self.last.get(symbol)
        start = trade.price if opens_bar or previous is None else previous.price
        self.set_time(trade.time)
        self._segment(symbol, start, trade.price)
        self.last[symbol] = trade
        self._flush_balances()

    def _segment(self, symbol: Symbol, start: Decimal, end: Decimal) -> None:
        a, b = float(start), float(end)
        ts = self.clock.timestamp_ns()
        path = np.array([a, b], dtype=np.float64)
        self.exchange.process_bar(symbol, ts, ts, a, max(a, b), min(a, b), b, 0.0, path)

    def instrument(self, symbol_id: str) -> Instrument:
        """The market of a Binance id; -1121 when not listed."""
        instrument = self.instruments.get(symbol_id)
        if instrument is None:
            raise errors.bad_symbol()
        return instrument

    # -- new orders ---------------------------------------------------------------------------

    def check(self, request: OrderRequest) -> Instrument:
        """Everything :meth:`place` checks, without placing (``order/test``)."""
        instrument = self.instrument(request.symbol_id)
        self._check_filters(request, instrument)
        self._check_duplicate(request, instrument.symbol)
        return instrument

    def _check_duplicate(self, request: OrderRequest, symbol: Symbol) -> None:
        cid = request.client_order_id
        if cid is not None and any(r.client_order_id == cid for r in self.open_orders(symbol)):
            raise errors.rejected("Duplicate order sent.")

    def place(self, request: OrderRequest) -> OrderRecord:
        """Place one order; it may fill at once.

        Raises
        ------
        BinanceError
            -1121, -1013 or -2010 before anything changes.
        """
        instrument = self.check(request)
        last = self.last[instrument.symbol].price
        self._check_triggers(request, last)
        quote_qty, quantity = request.quote_qty, self._quantity(request, instrument, last)
        self._check_balance(request, instrument, quantity, last)
        record = self._record(request, instrument.symbol, quantity)
        order = _to_order(record, quantity, self.clock.timestamp_ns())
        self._submit(record, lambda: self.exchange.submit_order(order, quote_qty))
        if request.order_type != "MARKET":
            self._segment(instrument.symbol, last, last)  # marketable on arrival: fills now
        if request.time_in_force in ("IOC", "FOK") and record.is_open:
            self.exchange.cancel_order(str(record.order_id), "IOC")
        self._flush_balances()
        return record

    def place_oco(self, request: OcoRequest) -> OrderListRecord:
        """Place an OCO list; the fill of one leg expires the other."""
        legs = (request.below, request.above)
        instrument = self.instrument(request.symbol_id)
        last = self.last[instrument.symbol].price
        for leg in legs:
            self._check_filters(leg, instrument)
            self._check_duplicate(leg, instrument.symbol)
        self._check_oco_prices(request, last)
        list_id = self._next("list")
        key = f"list-{list_id}"
        currency, amount = self._oco_cost(request, instrument)
        if not self.account.reserve(key, currency, amount):
            raise errors.insufficient_balance()
        records = [self._record(leg, instrument.symbol, request.quantity, list_id) for leg in legs]
        orders = [
            _to_order(r, request.quantity, self.clock.timestamp_ns(), str(list_id)) for r in records
        ]
        listed = OrderListRecord(
            order_list_id=list_id,
            list_client_order_id=request.list_client_order_id or f"sbx-list-{list_id}",
            symbol=instrument.symbol, order_ids=tuple(r.order_id for r in records),
            time=self.now_ms, reserved_key=key,
        )  # fmt: skip
        try:
            self._submit_list(records, OrderList.oco(str(list_id), orders))
        except errors.BinanceError:
            self.account.release(key)
            raise
        self.lists[list_id] = listed
        self.updates.append(ListUpdate(listed, self.now_ms, listed.status, listed.order_status))
        self._touched.add(currency)
        self._flush_balances()
        return listed

    def _submit(self, record: OrderRecord, submit: Callable[[], None]) -> None:
        self._submit_all([record], submit)

    def _submit_list(self, records: list[OrderRecord], orders: OrderList) -> None:
        self._submit_all(records, lambda: self.exchange.submit_order_list(orders))

    def _submit_all(self, records: list[OrderRecord], submit: Callable[[], None]) -> None:
        """Submit; a rejection by the exchange (which the checks should have caught) undoes
        the records and is raised in Binance's words."""
        for record in records:
            self.orders[record.order_id] = record
            self.updates.append(OrderUpdate(record, "NEW", record.time, status="NEW"))
        self._rejection = ""
        submit()
        if not self._rejection:
            return
        for record in records:
            self.exchange.cancel_order(str(record.order_id))
            del self.orders[record.order_id]
        self.updates = [u for u in self.updates
                        if not isinstance(u, OrderUpdate) or u.order not in records]  # fmt: skip
        raise _mapped_rejection(self._rejection)

    def _record(
        self, request: OrderRequest, symbol: Symbol, quantity: Decimal, list_id: int = -1
    ) -> OrderRecord:
        order_id = self._next("order")
        now = self.now_ms
        return OrderRecord(
            order_id=order_id,
            client_order_id=request.client_order_id or f"sbx-{order_id}",
            symbol=symbol, side=request.side.value, order_type=request.order_type,
            time_in_force=request.time_in_force,
            orig_qty=quantity if request.quote_qty is None else _ZERO,
            price=request.price or _ZERO, stop_price=request.stop_price or _ZERO, time=now,
            orig_quote_qty=request.quote_qty or _ZERO, order_list_id=list_id, update_time=now,
        )  # fmt: skip

    def next_cancel_id(self) -> str:
        """A client id for a cancel request that brought none (``sbx-cancel-<n>``)."""
        return f"sbx-cancel-{self._next('cancel')}"

    def _next(self, kind: str) -> int:
        self._ids[kind] += 1
        return self._ids[kind]

    # -- checks -------------------------------------------------------------------------------

    def _check_filters(self, request: OrderRequest, instrument: Instrument) -> None:
        for price in (request.price, request.stop_price):
            if price is not None and price > MAX_PRICE:
                raise errors.filter_failure("PRICE_FILTER")
        price = request.price or request.stop_price or self.last[instrument.symbol].price
        if request.quote_qty is not None:
            if request.quote_qty < instrument.min_notional:
                raise errors.filter_failure("NOTIONAL")
            return
        assert request.quantity is not None
        broken = instrument.check_order(price, request.quantity)
        if request.stop_price is not None and request.price is not None:
            broken += instrument.check_order(request.stop_price, request.quantity)
        if broken:
            raise errors.filter_failure(_FILTER_NAMES[broken[0].filter])

    def _check_triggers(self, request: OrderRequest, last: Decimal) -> None:
        buy, kind = request.side is OrderSide.BUY, request.order_type
        if kind == "LIMIT_MAKER":
            assert request.price is not None
            if (request.price >= last) if buy else (request.price <= last):
                raise errors.rejected("Order would immediately match and take.")
        stop = request.stop_price
        if stop is None:
            return
        rises = (kind in _STOP_LOSS) == buy  # the trigger waits for the price to rise
        if (stop <= last) if rises else (stop >= last):
            raise errors.rejected("Order would trigger immediately.")

    def _check_oco_prices(self, request: OcoRequest, last: Decimal) -> None:
        above, below = request.above, request.below
        high = above.stop_price or above.price
        low = below.stop_price or below.price
        assert high is not None
        assert low is not None
        if not low < last < high:
            raise errors.rejected("The relationship of the prices for the orders is not correct.")

    def _quantity(self, request: OrderRequest, instrument: Instrument, last: Decimal) -> Decimal:
        if request.quantity is not None:
            return request.quantity
        assert request.quote_qty is not None
        unit = EXACT.multiply(last, Decimal(1) + instrument.taker_fee)
        quantity = truncate_to_step(request.quote_qty / unit, instrument.quantity_step)
        if quantity < max(instrument.min_quantity, instrument.quantity_step):
            raise errors.filter_failure("LOT_SIZE")
        return quantity

    def _check_balance(
        self, request: OrderRequest, instrument: Instrument, quantity: Decimal, last: Decimal
    ) -> None:
        side = request.side.sign
        if request.quote_qty is not None and side > 0:
            enough = request.quote_qty <= self.account.available(instrument.symbol.quote)
        else:
            price = request.price or request.stop_price or last
            enough = self.account.can_pay(instrument, side, quantity, price)
        if not enough:
            raise errors.insufficient_balance()

    def _oco_cost(self, request: OcoRequest, instrument: Instrument) -> tuple[str, Decimal]:
        prices = [p for leg in (request.above, request.below)
                  for p in (leg.price, leg.stop_price) if p is not None]  # fmt: skip
        return self.account.cost(instrument, request.side.sign, request.quantity, max(prices))

    # -- cancels ------------------------------------------------------------------------------

    def cancel(self, record: OrderRecord, cancel_client_id: str) -> list[OrderRecord]:
        """Cancel an open order (its whole list when it is an OCO leg); -2011 when closed."""
        if not record.is_open:
            raise errors.unknown_order_cancel()
        if record.order_list_id >= 0:
            listed = self.lists[record.order_list_id]
            return self.cancel_list(listed, cancel_client_id)
        self._cancel(record, cancel_client_id)
        self._flush_balances()
        return [record]

    def cancel_list(self, listed: OrderListRecord, cancel_client_id: str) -> list[OrderRecord]:
        """Cancel an open OCO list; -2011 when it is done."""
        if not listed.is_open:
            raise errors.BinanceError(-2011, "Order list is already done.")
        records = [self.orders[i] for i in listed.order_ids]
        for record in records:
            if record.is_open:
                self._cancel(record, cancel_client_id)
        self._flush_balances()
        return records

    def cancel_all(self, symbol: Symbol, cancel_client_id: str) -> list[OrderRecord]:
        """Cancel every open order of ``symbol``; -2011 when there is none."""
        records = self.open_orders(symbol)
        if not records:
            raise errors.unknown_order_cancel()
        for record in records:
            if record.is_open:
                self.cancel(record, cancel_client_id)
        return records

    def _cancel(self, record: OrderRecord, cancel_client_id: str) -> None:
        record.canceled_by_user = True
        self._cancel_client_id = cancel_client_id
        self.exchange.cancel_order(str(record.order_id), "canceled by the client")
        self._cancel_client_id = ""

    # -- reading ------------------------------------------------------------------------------

    def find(self, symbol: Symbol, order_id: int | None, client_id: str | None) -> OrderRecord:
        """An order by id or client id (the newest with that id); -2013 when unknown."""
        record = self.orders.get(order_id) if order_id is not None else None
        if order_id is None and client_id is not None:
            named = (r for r in reversed(self.orders.values()) if r.client_order_id == client_id)
            record = next((r for r in named if r.symbol == symbol), None)
        if record is None or record.symbol != symbol:
            raise errors.no_such_order()
        if order_id is not None and client_id is not None and record.client_order_id != client_id:
            raise errors.no_such_order()
        return record

    def open_orders(self, symbol: Symbol | None = None) -> list[OrderRecord]:
        """The open orders, of ``symbol`` or all, oldest first."""
        return [r for r in self.orders.values()
                if r.is_open and (symbol is None or r.symbol == symbol)]  # fmt: skip

    def balances(self) -> list[tuple[str, Decimal, Decimal]]:
        """Every asset as (asset, free, locked), Binance's way (reservations count as locked)."""
        assets = sorted(set(self.assets) | set(self.account.currencies()))
        return [(a, self.account.available(a), self.account.locked(a)) for a in assets]

    def drain(self) -> list[UserUpdate]:
        """The updates since the last call, oldest first."""
        updates, self.updates = self.updates, []
        return updates

    # -- events from the exchange -------------------------------------------------------------

    def _on_event(self, event: VenueEvent) -> None:
        if isinstance(event, OrderRejected):
            self._rejection = event.reason
            return
        if not isinstance(event, OrderFilled | OrderCanceled | OrderUpdated):
            return
        record = self.orders[int(event.client_order_id)]
        if isinstance(event, OrderFilled):
            self._filled(record, event)
        elif isinstance(event, OrderCanceled):
            self._canceled(record, event)
        elif event.quantity is not None:  # a quote-quantity order sized at its fill price
            record.orig_qty = event.quantity

    def _filled(self, record: OrderRecord, event: OrderFilled) -> None:
        time = event.ts // NS_PER_MS
        fill = Fill(
            trade_id=self._next("trade"), order_id=record.order_id, symbol=record.symbol,
            price=event.last_price, qty=event.last_qty, commission=event.fee.amount,
            commission_asset=event.fee.currency, time=time,
            is_buyer=record.side == "BUY", is_maker=event.liquidity_side is LiquiditySide.MAKER,
            order_list_id=record.order_list_id,
        )  # fmt: skip
        if record.orig_qty == 0:  # quote quantity: the fill decides the quantity
            record.orig_qty = event.last_qty
        record.book_fill(fill)
        self.fills[record.symbol].append(fill)
        self._touched.update((record.symbol.base, record.symbol.quote, fill.commission_asset))
        self.updates.append(OrderUpdate(
            record, "TRADE", time, fill, record.status, record.executed_qty, record.quote_qty,
        ))  # fmt: skip
        self._list_done(record, time)

    def _canceled(self, record: OrderRecord, event: OrderCanceled) -> None:
        time = event.ts // NS_PER_MS
        record.status = "CANCELED" if record.canceled_by_user else "EXPIRED"
        record.update_time = time
        self._touched.update((record.symbol.base, record.symbol.quote))
        self.updates.append(OrderUpdate(
            record, record.status, time, None, record.status, record.executed_qty,
            record.quote_qty, self._cancel_client_id,
        ))  # fmt: skip
        self._list_done(record, time)

    def _list_done(self, record: OrderRecord, time: int) -> None:
        listed = self.lists.get(record.order_list_id)
        if listed is None or not listed.is_open:
            return
        legs = [self.orders[i] for i in listed.order_ids]
        if not any(r.is_open for r in legs):
            listed.status, listed.order_status = "ALL_DONE", "ALL_DONE"
            self.account.release(listed.reserved_key)
            self.updates.append(ListUpdate(listed, time, "ALL_DONE", "ALL_DONE"))

    def _flush_balances(self) -> None:
        if not self._touched:
            return
        self.update_time = self.now_ms
        assets = sorted(self._touched)
        self._touched = set()
        balances = tuple((a, self.account.available(a), self.account.locked(a)) for a in assets)
        self.updates.append(BalanceUpdate(self.update_time, balances))


def _assets(instruments: Iterable[Instrument]) -> set[str]:
    return {c for i in instruments for c in (i.symbol.base, i.symbol.quote)}


def _to_order(record: OrderRecord, quantity: Decimal, ts: int, list_id: str | None = None) -> Order:
    """The tradeforge order the exchange works (its client id is the Binance order id).

    The legs of an order list are reduce-only: they lock nothing at the exchange, the list's
    reservation holds their amount (see :mod:`tradeforge.sandbox.account`).
    """
    kind = record.order_type
    options: OrderOptions = {
        "order_list_id": list_id,
        "reduce_only": list_id is not None,
        "time_in_force": TimeInForce.GTC,
    }
    if kind == "LIMIT_MAKER":
        options["post_only"] = True
    price = record.price if kind in _LIMIT_TYPES else None
    stop = record.stop_price if kind in _STOP_LOSS | _TAKE_PROFIT else None
    return Order(
        str(record.order_id), record.symbol, OrderSide(record.side), _ORDER_TYPES[kind],
        quantity, ts_init=ts, price=price, stop_price=stop, **options,
    )  # fmt: skip


def _mapped_rejection(reason: str) -> errors.BinanceError:
    """A rejection by the simulated exchange, in Binance's words."""
    for name in ("PRICE_FILTER", "LOT_SIZE", "NOTIONAL"):
        if f"({name})" in reason or (name == "NOTIONAL" and "(MIN_NOTIONAL)" in reason):
            return errors.filter_failure(name)
    if "insufficient" in reason:
        return errors.insufficient_balance()
    if "invalid symbol" in reason:
        return errors.bad_symbol()
    return errors.rejected(reason)
