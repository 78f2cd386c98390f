"""The risk engine: the gate every order passes before it reaches a venue.

This is the basic gate of the backtest engine issue: the instrument's filters (tick, step,
minimum quantity and notional) and whether the account can pay (spot: the quote for a buy, the
base for a sell, net of what open orders already reserve; margin: the initial margin). The
full set of checks, trading states and circuit breakers comes with the risk issue; they plug in
as more :class:`RiskCheck` objects.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Protocol

from tradeforge.model.instrument import Instrument
from tradeforge.model.orders import Order
from tradeforge.model.symbol import Symbol
from tradeforge.model.values import EXACT
from tradeforge.portfolio.portfolio import Portfolio

_ZERO = Decimal(0)


class RiskCheck(Protocol):
    """One pre-trade check: the reason an order must not go out, or ``""``."""

    def reason(self, order: Order, price: Decimal | None, notional: Decimal | None) -> str:
        """Why ``order`` (valued at ``price``, or ``notional`` for a value-sized market
        order) is refused; empty when it passes."""
        ...


class InstrumentFilters:
    """Tick, step, minimum and maximum quantity, minimum notional (the venue's filters)."""

    def __init__(self, instruments: dict[Symbol, Instrument]) -> None:
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

    def __init__(
        self,
        instruments: dict[Symbol, Instrument],
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
                    _cost(o.leaves_qty, o.price or o.stop_price, instrument)
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
                o.leaves_qty
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
            pending[o.symbol] = pending.get(o.symbol, _ZERO) + o.side.sign * o.leaves_qty
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


class RiskEngine:
    """Runs every check on every order; the first reason refuses it.

    Parameters
    ----------
    checks : iterable of RiskCheck
        In the order they run.
    last_price : callable
        ``last_price(symbol)``: the price a market order is valued at (the last close).
    """

    def __init__(
        self, checks: Iterable[RiskCheck], last_price: Callable[[Symbol], float | None]
    ) -> None:
        self.checks = list(checks)
        self._last_price = last_price

    def check(self, order: Order, notional: Decimal | None = None) -> str:
        """The reason ``order`` is refused, or ``""`` when every check passes."""
        price: Decimal | None = order.price or order.stop_price
        if price is None and notional is None:
            last = self._last_price(order.symbol)
            price = Decimal(repr(last)) if last is not None else None
        for check in self.checks:
            reason = check.reason(order, price, notional)
            if reason:
                return reason
        return ""
