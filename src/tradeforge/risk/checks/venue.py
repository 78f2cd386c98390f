"""The venue's own rules, checked before the venue sees the order.

:class:`InstrumentFilters` (price tick, quantity step, minimum and maximum quantity, minimum
notional, as Binance names them) and :class:`BalanceCheck` (spot: the quote for a buy, the
base for a sell, net of what open orders already reserve; margin: the initial margin). Both
are always on: an order that breaks them would be refused by the venue anyway.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal

from tradeforge.model.instrument import Instrument
from tradeforge.model.orders import Order
from tradeforge.model.symbol import Symbol
from tradeforge.model.values import EXACT
from tradeforge.portfolio.portfolio import Portfolio

_ZERO = Decimal(0)


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
        if price is None:
            return ""
        return "; ".join(check.message for check in instrument.check_order(price, order.quantity))


class BalanceCheck:
    """Enough balance for the order, net of what the other open orders reserve."""

    rule = "balance"

    def __init__(
        self,
        instruments: Mapping[Symbol, Instrument],
        portfolio: Portfolio,
        open_orders: Callable[[], Iterable[Order]],
        leverage: Decimal = Decimal(1),
    ) -> None:
        self._leverage = leverage
        self._instruments = instruments
        self._portfolio = portfolio
        self._open_orders = open_orders

    def reason(self, order: Order, price: Decimal | None, notional: Decimal | None) -> str:
        """Why the account cannot pay for ``order``; empty when it can."""
        instrument = self._instruments.get(order.symbol)
        if instrument is None or order.reduce_only:
            return ""
        portfolio = self._portfolio
        if portfolio.account == "margin":
            return self._margin(order, instrument, price, notional)
        if order.side.sign > 0:
            cost = notional if notional is not None else _cost(order.quantity, price, instrument)
            reserved = sum(
                (
                    _cost(o.quantity - o.filled_qty, o.price or o.stop_price, instrument)
                    for o in self._open_orders()
                    if o.side.sign > 0 and not o.reduce_only
                ),
                _ZERO,
            )
            free = portfolio.cash - reserved
            if cost > free:
                return f"insufficient {portfolio.currency}: order needs {cost:.8f}, free {free:.8f}"
            return ""
        held = portfolio.position(order.symbol).signed_qty
        selling = sum(
            (
                o.quantity - o.filled_qty
                for o in self._open_orders()
                if o.symbol == order.symbol and o.side.sign < 0 and not o.reduce_only
            ),
            _ZERO,
        )
        if order.quantity > held - selling:
            return (
                f"insufficient {order.symbol.base}: sell {order.quantity}, "
                f"held {held} of which {selling} already offered (spot cannot short)"
            )
        return ""

    def _margin(
        self, order: Order, instrument: Instrument, price: Decimal | None, notional: Decimal | None
    ) -> str:
        """Margin for the exposure the order adds once the pending orders have filled."""
        portfolio = self._portfolio
        pending = self._pending_qty()
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

    def _pending_qty(self) -> dict[Symbol, Decimal]:
        pending: dict[Symbol, Decimal] = {}
        for o in self._open_orders():
            pending[o.symbol] = pending.get(o.symbol, _ZERO) + o.side.sign * (
                o.quantity - o.filled_qty
            )
        return pending

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


def _cost(qty: Decimal, price: Decimal | None, instrument: Instrument) -> Decimal:
    if price is None:
        return _ZERO
    notional = EXACT.multiply(qty, price)
    return EXACT.add(notional, instrument.fee(notional, maker=False))
