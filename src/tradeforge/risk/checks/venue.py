"""The venue's own rules, checked before the venue sees the order.

:class:`InstrumentFilters` (price tick, quantity step, minimum and maximum quantity, minimum
notional, as Binance names them) and :class:`BalanceCheck` (spot: the quote for a buy, the
base for a sell, net of what open orders already reserve; margin: the initial margin). Both
are always on: an order that breaks them would be refused by the venue anyway.

Both run at every order, so both keep their common case cheap: the filters test every rule
at once before naming the broken ones, and what the open orders reserve is summed once per
state of the open orders (an :class:`~tradeforge.risk.context.OpenOrders` book) and reused
until an order is submitted, filled, amended or closed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from functools import partial

from tradeforge.model.enums import OrderSide
from tradeforge.model.instrument import Instrument
from tradeforge.model.orders import Order
from tradeforge.model.symbol import Symbol
from tradeforge.model.values import EXACT
from tradeforge.portfolio.portfolio import Portfolio
from tradeforge.risk.context import OpenOrders, RiskContext
from tradeforge.risk.ticket import Ticket, Verdict

_ZERO = Decimal(0)
_BUY = OrderSide.BUY


class InstrumentFilters:
    """Tick, step, minimum and maximum quantity, minimum notional (the venue's filters)."""

    rule = "instrument_filters"

    def __init__(self, instruments: Mapping[Symbol, Instrument]) -> None:
        self._instruments = instruments

    def reason(self, order: Order, price: Decimal | None, notional: Decimal | None) -> str:
        """The broken filters, named as Binance names them."""
        instrument = self._instruments.get(order.symbol)
        if instrument is None:
            return f"unknown instrument {order.symbol}"
        if notional is not None:
            if notional < instrument.min_notional:
                return f"NOTIONAL: value {notional} below the minimum {instrument.min_notional}"
            return ""
        if price is None or _passes(instrument, price, order.quantity):
            return ""
        return "; ".join(check.message for check in instrument.check_order(price, order.quantity))

    def verdict_for(self, strategy_id: str | None, context: RiskContext | None) -> Verdict:
        """The check for the risk engine: the same for every strategy and context."""
        return self._verdict_on

    def _verdict_on(self, ticket: Ticket) -> str:
        price, notional = ticket.price, ticket.notional
        instrument = self._instruments.get(ticket.symbol)
        if instrument is None or notional is not None or price is None:
            return self.reason(ticket.order, price, notional)
        if _passes(instrument, price, ticket.quantity):
            return ""
        return "; ".join(check.message for check in instrument.check_order(price, ticket.quantity))


def _passes(instrument: Instrument, price: Decimal, quantity: Decimal) -> bool:
    """Whether ``instrument.check_order(price, quantity)`` finds no filter broken, tested
    at once (the same comparisons, without building the checks)."""
    if not (isinstance(price, Decimal) and price.is_finite() and quantity.is_finite()):
        return False  # let check_order name the problem
    most = instrument.max_quantity
    least = instrument.min_notional
    return (
        quantity > _ZERO  # decimals against a decimal: no int to convert at every order
        and quantity >= instrument.min_quantity
        and (most is None or quantity <= most)
        and price % instrument.price_tick == _ZERO
        and quantity % instrument.quantity_step == _ZERO
        and (least == _ZERO or _reaches(instrument, price, quantity, least))
    )


def _reaches(instrument: Instrument, price: Decimal, quantity: Decimal, least: Decimal) -> bool:
    """The minimum notional filter: ``instrument.notional(price, quantity)`` is at least
    ``least`` (a linear instrument's product worked out directly, as exactly)."""
    if instrument.is_inverse:
        return price <= 0 or instrument.notional(price, quantity).amount >= least
    return EXACT.multiply(price, EXACT.multiply(quantity, instrument.contract_size)) >= least


class BalanceCheck:
    """Enough balance for the order, net of what the other open orders reserve.

    Parameters
    ----------
    instruments : mapping of Symbol to Instrument
    portfolio : Portfolio
    open_orders : callable
        The orders submitted and not yet closed.
    leverage : Decimal
        The account's leverage (a margin account's initial margin).
    context : RiskContext, optional
        The context whose ``open_orders`` these are: the risk engine's ticket then reads
        them once for this check and the exposure checks.
    """

    rule = "balance"

    def __init__(
        self,
        instruments: Mapping[Symbol, Instrument],
        portfolio: Portfolio,
        open_orders: Callable[[], Iterable[Order]],
        leverage: Decimal = Decimal(1),
        *,
        context: RiskContext | None = None,
    ) -> None:
        self._leverage = leverage
        self._instruments = instruments
        self._portfolio = portfolio
        self._open_orders = open_orders
        self._context = context
        self._book = OpenOrders([], ())
        # per instrument, the cash a spot buy may spend, kept while the book and cash hold
        self._free: dict[int, tuple[OpenOrders, Decimal, Decimal, Instrument]] = {}

    def reason(self, order: Order, price: Decimal | None, notional: Decimal | None) -> str:
        """Why the account cannot pay for ``order``; empty when it can."""
        return self._verdict_on(Ticket(order, price, notional))

    def verdict_for(self, strategy_id: str | None, context: RiskContext | None) -> Verdict:
        """The check for the risk engine (the same for every strategy), reading the open
        orders from the ticket when ``context`` is the one they come from."""
        shared = context is not None and context is self._context
        return self._verdict_shared if shared else self._verdict_on

    def _verdict_shared(self, ticket: Ticket) -> str:
        instrument = self._instruments.get(ticket.symbol)
        if instrument is None or ticket.order.reduce_only:
            return ""
        return self._decide(ticket, instrument, ticket.open_book())

    def _verdict_on(self, ticket: Ticket) -> str:
        instrument = self._instruments.get(ticket.symbol)
        if instrument is None or ticket.order.reduce_only:
            return ""
        self._book = book = self._book.renewed(list(self._open_orders()))
        return self._decide(ticket, instrument, book)

    def _decide(self, ticket: Ticket, instrument: Instrument, book: OpenOrders) -> str:
        portfolio = self._portfolio
        if portfolio.account == "margin":
            return self._margin(ticket.order, instrument, ticket.price, ticket.notional, book)
        if ticket.side is not _BUY:
            return self._sell(ticket, book)
        cost = ticket.notional
        if cost is None:
            cost = _cost(ticket.quantity, ticket.price, instrument)
        cash = portfolio.cash
        kept = self._free.get(id(instrument))
        if kept is not None and kept[0] is book and kept[1] is cash:
            free = kept[2]
        else:  # the instrument is kept with its figure: its id stays its own
            free = cash - self._reserved(instrument, book)
            self._free[id(instrument)] = (book, cash, free, instrument)
        if cost > free:
            return f"insufficient {portfolio.currency}: order needs {cost:.8f}, free {free:.8f}"
        return ""

    def _sell(self, ticket: Ticket, book: OpenOrders) -> str:
        """A spot sell: its quantity against what is held and not already offered."""
        symbol, quantity = ticket.symbol, ticket.quantity
        held = self._portfolio.position(symbol).signed_qty
        selling = book.derive(("selling", symbol), lambda orders: _offered(symbol, orders))
        if quantity > held - selling:
            return (
                f"insufficient {symbol.base}: sell {quantity}, "
                f"held {held} of which {selling} already offered (spot cannot short)"
            )
        return ""

    def _reserved(self, instrument: Instrument, book: OpenOrders) -> Decimal:
        """What the open buy orders reserve at ``instrument``'s fee (summed once per book;
        the instrument is kept with the figure, so its id keys the figure safely)."""
        key = ("reserved", id(instrument))
        return book.derive(key, partial(_reserved, instrument))[1]

    def _margin(
        self,
        order: Order,
        instrument: Instrument,
        price: Decimal | None,
        notional: Decimal | None,
        book: OpenOrders,
    ) -> str:
        """Margin for the exposure the order adds once the pending orders have filled."""
        portfolio = self._portfolio
        pending = book.derive(_pending_qty, _pending_qty)
        before = portfolio.position(order.symbol).signed_qty + pending.get(order.symbol, _ZERO)
        after = before + order.side.sign * order.quantity
        added = abs(after) - abs(before)
        if added <= 0:
            return ""
        leverage = self._leverage
        if notional is not None:  # a value order: the value includes the fee
            exposure = notional / (1 + instrument.taker_fee)
            need = exposure / leverage + (notional - exposure)
        elif price is not None:
            value = added * price * instrument.contract_size
            need = value / leverage + instrument.fee(EXACT.multiply(value, Decimal(1)), maker=False)
        else:
            return ""
        used = self._projected_margin(pending, leverage, order.symbol, before)
        free = portfolio.equity() - used
        if need > free:
            return f"insufficient margin: order needs {need:.8f}, free {free:.8f}"
        return ""

    def _projected_margin(
        self, pending: dict[Symbol, Decimal], leverage: Decimal, symbol: Symbol, qty: Decimal
    ) -> Decimal:
        portfolio = self._portfolio
        used = _ZERO
        for other, position in portfolio.positions().items():
            if other != symbol:
                held = position.signed_qty + pending.get(other, _ZERO)
                used += abs(held) * portfolio.valuation_price(other) / leverage
        mark = portfolio.valuation_price(symbol) if qty else _ZERO
        return used + abs(qty) * mark / leverage


def _reserved(instrument: Instrument, orders: list[Order]) -> tuple[Instrument, Decimal]:
    """What the open buy orders reserve at ``instrument``'s fee (the order under check's; it
    is kept with the figure, so its id keys the figure safely)."""
    reserved = sum(
        (
            _cost(o.quantity - o.filled_qty, o.price or o.stop_price, instrument)
            for o in orders
            if o.side.sign > 0 and not o.reduce_only
        ),
        _ZERO,
    )
    return instrument, reserved


def _offered(symbol: Symbol, orders: list[Order]) -> Decimal:
    """What the open sell orders of ``symbol`` already offer."""
    return sum(
        (
            o.quantity - o.filled_qty
            for o in orders
            if o.symbol == symbol and o.side.sign < 0 and not o.reduce_only
        ),
        _ZERO,
    )


def _pending_qty(orders: list[Order]) -> dict[Symbol, Decimal]:
    """Per symbol, the signed open quantity of every open order."""
    pending: dict[Symbol, Decimal] = {}
    for o in orders:
        pending[o.symbol] = pending.get(o.symbol, _ZERO) + o.side.sign * (o.quantity - o.filled_qty)
    return pending


def _cost(qty: Decimal, price: Decimal | None, instrument: Instrument) -> Decimal:
    if price is None:
        return _ZERO
    notional = EXACT.multiply(qty, price)
    return EXACT.add(notional, instrument.fee(notional, maker=False))
