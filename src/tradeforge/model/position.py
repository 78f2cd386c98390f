"""Net positions per symbol, with exact realized and unrealized profit and loss.

A :class:`Position` nets every fill of one symbol into a signed quantity (positive long,
negative short) and keeps the *cost basis* of the open quantity exactly: the signed sum of the
fills' values (``qty * contract_size * price`` for linear contracts, ``qty * contract_size /
price`` for inverse ones). A fill against the position realizes the closed part against a
pro-rata share of the basis; a flip realizes the whole position and opens the remainder at the
fill price. The basis is reduced by exactly what was charged, so realized plus unrealized PnL
always equals the cash flow of the fills plus the value of the position at the mark, to the
last digit, whatever the visible rounding of an inexact pro-rata share (18 decimal places for
linear values, 28 for inverse ones).

Fees are kept apart, per currency: realized PnL is gross.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Protocol

from tradeforge.model.enums import OrderSide, PositionSide
from tradeforge.model.events import (
    PositionChanged,
    PositionClosed,
    PositionEvent,
    PositionOpened,
)
from tradeforge.model.fill import DIVISION_PLACES, Fill, divide, prorate
from tradeforge.model.symbol import Symbol
from tradeforge.model.values import EXACT, Money, NumberError, Price, Quantity

_ZERO = Decimal(0)
# Inverse values are base-currency amounts per contract (1/price: small), so they keep more
# places than linear ones to keep about as many significant digits.
INVERSE_PLACES = 28


class ContractSpec(Protocol):
    """What a position needs from an instrument (``Instrument`` provides it)."""

    @property
    def symbol(self) -> Symbol: ...

    @property
    def contract_size(self) -> Decimal: ...

    @property
    def is_inverse(self) -> bool: ...


class PositionError(ValueError):
    """A fill or mark that the position cannot take; the message names the position."""


class Position:
    """The net position in one symbol.

    Parameters
    ----------
    symbol : Symbol
        The market.
    position_id : str, optional
        Defaults to the symbol's :attr:`~Symbol.cache_key`.
    contract_size : Decimal
        Units of base (linear) or of quote (inverse) per contract; 1 for spot.
    inverse : bool
        True for inverse contracts (``BTC/USD:BTC``): PnL is
        ``qty * contract_size * (1/entry - 1/exit)`` in the base currency. Linear contracts earn
        ``qty * contract_size * (exit - entry)`` in the quote currency.

    Examples
    --------
    >>> position = Position(Symbol("BTC", "USDT"))
    """

    __slots__ = (
        "_basis",
        "_close_notional",
        "_close_qty",
        "_fees",
        "_flip_close_px",
        "_peak_qty",
        "_places",
        "_realized",
        "_signed_qty",
        "_ts_last",
        "_ts_opened",
        "_unit_linear",
        "contract_size",
        "inverse",
        "pnl_currency",
        "position_id",
        "symbol",
    )

    def __init__(
        self,
        symbol: Symbol,
        *,
        position_id: str | None = None,
        contract_size: Decimal | int | str = 1,
        inverse: bool = False,
    ) -> None:
        size = Decimal(contract_size)
        if not size.is_finite() or size <= 0:
            raise NumberError(f"contract_size must be positive, got {contract_size!r}")
        self.symbol = symbol
        self.position_id = position_id or symbol.cache_key
        self.contract_size = size
        self.inverse = inverse
        self.pnl_currency = symbol.base if inverse else symbol.quote
        # a linear contract of exactly 1 (exponent 0): a value is qty * price as it is
        self._unit_linear = not inverse and size == 1 and size.as_tuple().exponent == 0
        self._places = INVERSE_PLACES if inverse else DIVISION_PLACES
        self._signed_qty = _ZERO
        self._basis = _ZERO  # signed value of the open quantity at its entry prices
        self._close_notional = _ZERO  # sum of qty * price of reducing fills since opening
        self._close_qty = _ZERO
        self._flip_close_px: Price | None = None  # exit of the round trip a flip closed
        self._realized = _ZERO
        self._fees: dict[str, Decimal] = {}
        self._peak_qty = _ZERO
        self._ts_opened: int | None = None
        self._ts_last: int | None = None

    @classmethod
    def for_instrument(cls, instrument: ContractSpec, position_id: str | None = None) -> Position:
        """A flat position in ``instrument``, with its contract size and inverse flag."""
        return cls(
            instrument.symbol,
            position_id=position_id,
            contract_size=instrument.contract_size,
            inverse=instrument.is_inverse,
        )

    # -- state ------------------------------------------------------------------------------

    @property
    def signed_qty(self) -> Decimal:
        """The net quantity: positive long, negative short, zero flat."""
        return self._signed_qty

    @property
    def quantity(self) -> Quantity:
        """The absolute net quantity."""
        return Quantity(abs(self._signed_qty))

    @property
    def side(self) -> PositionSide:
        """LONG, SHORT or FLAT."""
        if self._signed_qty > 0:
            return PositionSide.LONG
        return PositionSide.SHORT if self._signed_qty < 0 else PositionSide.FLAT

    @property
    def is_flat(self) -> bool:
        """True when no quantity is held."""
        return not self._signed_qty

    @property
    def is_open(self) -> bool:
        """True when a quantity is held."""
        return bool(self._signed_qty)

    @property
    def avg_px_open(self) -> Price | None:
        """Average entry price of the open quantity; ``None`` when flat.

        Quantity-weighted for linear contracts, harmonic for inverse ones (the price at which
        the basis would have been paid); exact or rounded to 18 places.
        """
        if not self._signed_qty:
            return None
        units = EXACT.multiply(self._signed_qty, self.contract_size)
        return self._entry_price(units, self._basis)

    @property
    def avg_px_close(self) -> Price | None:
        """Quantity-weighted average exit price of the reductions since the position opened."""
        if not self._close_qty:
            return None
        return Price(divide(self._close_notional, self._close_qty))

    @property
    def cost_basis(self) -> Money:
        """The signed value the open quantity was entered at (quote for linear, base for
        inverse); the exact figure PnL is computed against."""
        return Money(self._basis, self.pnl_currency)

    @property
    def realized_pnl(self) -> Money:
        """Total realized profit and loss of this position object, fees excluded."""
        return Money(self._realized, self.pnl_currency)

    @property
    def basis(self) -> Decimal:
        """:attr:`cost_basis` as a bare number."""
        return self._basis

    @property
    def peak(self) -> Decimal:
        """:attr:`peak_qty` as a bare number."""
        return self._peak_qty

    @property
    def realized(self) -> Decimal:
        """:attr:`realized_pnl` as a bare number."""
        return self._realized

    @property
    def fees(self) -> dict[str, Money]:
        """Fees paid per currency (a fresh dictionary); rebates count negative."""
        return {currency: Money(amount, currency) for currency, amount in self._fees.items()}

    @property
    def peak_qty(self) -> Quantity:
        """The largest quantity held since the position last opened."""
        return Quantity(self._peak_qty)

    @property
    def ts_opened(self) -> int | None:
        """When the current round trip opened; ``None`` when flat."""
        return self._ts_opened

    @property
    def ts_last(self) -> int | None:
        """When the last fill happened."""
        return self._ts_last

    def unrealized_pnl(self, mark: Price | Decimal) -> Money:
        """Profit or loss of the open quantity if it were closed at ``mark``."""
        if not self._signed_qty:
            return Money(_ZERO, self.pnl_currency)
        pnl = EXACT.subtract(self._value(self._signed_qty, mark), self._basis)
        return Money(-pnl if self.inverse else pnl, self.pnl_currency)

    def total_pnl(self, mark: Price | Decimal) -> Money:
        """Realized plus unrealized PnL at ``mark``, fees excluded."""
        return self.realized_pnl + self.unrealized_pnl(mark)

    def notional(self, mark: Price | Decimal) -> Money:
        """The signed value of the open quantity at ``mark``."""
        return Money(self._value(self._signed_qty, mark), self.pnl_currency)

    # -- fills ------------------------------------------------------------------------------

    def apply(self, fill: Fill) -> PositionEvent:
        """Net a fill into the position.

        Returns
        -------
        PositionEvent
            :class:`PositionOpened` from flat, :class:`PositionClosed` when the fill makes the
            position flat, otherwise :class:`PositionChanged` (added, reduced or flipped).

        Raises
        ------
        PositionError
            When the fill is for another symbol; the position is unchanged.
        """
        if fill.symbol != self.symbol:
            raise PositionError(
                f"position {self.position_id} ({self.symbol}) cannot take fill "
                f"{fill.trade_id} for {fill.symbol}"
            )
        before, basis_before = self._signed_qty, self._basis
        fee = fill.fee
        pnl = self._net(fill.side is OrderSide.BUY, fill.quantity, fill.price, fill.ts)
        self._fees[fee.currency] = EXACT.add(self._fees.get(fee.currency, _ZERO), fee.amount)
        event = self._event(before, basis_before, fill, pnl)
        if not self._signed_qty:
            self._ts_opened = None
        return event

    def book(self, buy: bool, quantity: Decimal, price: Decimal, fee: Decimal, ts: int) -> Decimal:
        """Net a fill like :meth:`apply`, without building the event (the backtest fast path).

        Parameters
        ----------
        buy : bool
            The fill's side.
        quantity, price : Decimal
            The fill's quantity (positive) and price, for this position's symbol.
        fee : Decimal
            The fee, in the position's PnL currency.
        ts : int
            The fill's time, ns UTC.

        Returns
        -------
        Decimal
            The PnL the fill realized.
        """
        pnl = self._net(buy, quantity, price, ts)
        currency = self.pnl_currency
        self._fees[currency] = EXACT.add(self._fees.get(currency, _ZERO), fee)
        if not self._signed_qty:
            self._ts_opened = None
        return pnl

    @property
    def flip_close_px(self) -> Price | None:
        """The exit price of the round trip the last flip closed."""
        return self._flip_close_px

    def _net(self, buy: bool, quantity: Decimal, price: Decimal, ts: int) -> Decimal:
        """Net a fill into quantity, basis and realized PnL; the PnL it realized."""
        fill_qty = quantity if buy else -quantity
        before = self._signed_qty
        if not before or (before > 0) == buy:
            pnl = self._add(fill_qty, price, ts)
        else:
            pnl = self._reduce(fill_qty, quantity, price, ts)
        self._ts_last = ts
        return pnl

    def _add(self, fill_qty: Decimal, price: Decimal, ts: int) -> Decimal:
        value = self._value(fill_qty, price)  # may raise: before any change
        if not self._signed_qty:
            self._open(ts)
        self._basis = EXACT.add(self._basis, value)
        self._signed_qty = EXACT.add(self._signed_qty, fill_qty)
        self._peak_qty = max(self._peak_qty, abs(self._signed_qty))
        return _ZERO

    def _reduce(self, fill_qty: Decimal, quantity: Decimal, price: Decimal, ts: int) -> Decimal:
        held = abs(self._signed_qty)
        closed = min(held, quantity)
        closed_signed = -closed if fill_qty > 0 else closed  # the part of the position closed
        if closed == held:
            charged = self._basis
        else:
            charged = prorate(self._basis, closed, held, self._places)
        pnl = EXACT.subtract(self._value(closed_signed, price), charged)
        if self.inverse:
            pnl = -pnl
        self._realized = EXACT.add(self._realized, pnl)
        self._basis = EXACT.subtract(self._basis, charged)
        self._signed_qty = EXACT.add(self._signed_qty, fill_qty)
        self._close_notional = EXACT.add(self._close_notional, EXACT.multiply(closed, price))
        self._close_qty = EXACT.add(self._close_qty, closed)
        if self._signed_qty and closed == held:  # flipped: the remainder opens at the fill price
            self._flip_close_px = Price(divide(self._close_notional, self._close_qty))
            self._open(ts)
            self._basis = self._value(self._signed_qty, price)
            self._peak_qty = abs(self._signed_qty)
        return pnl

    def _open(self, ts: int) -> None:
        self._ts_opened = ts
        self._close_notional = _ZERO
        self._close_qty = _ZERO
        self._peak_qty = _ZERO

    def _entry_price(self, units: Decimal, basis: Decimal) -> Price:
        return Price(divide(units, basis) if self.inverse else divide(basis, units))

    def _value(self, signed_qty: Decimal, price: Decimal) -> Decimal:
        if self._unit_linear:
            return EXACT.multiply(signed_qty, price)
        units = EXACT.multiply(signed_qty, self.contract_size)
        if self.inverse:
            if price <= 0:
                raise PositionError(
                    f"position {self.position_id}: inverse price must be positive, got {price}"
                )
            return divide(units, price, INVERSE_PLACES)
        return EXACT.multiply(units, price)

    def _event(
        self, before: Decimal, basis_before: Decimal, fill: Fill, pnl: Decimal
    ) -> PositionEvent:
        after = self._signed_qty
        kind: type[PositionEvent]
        if not before:
            kind = PositionOpened
        elif not after:
            kind = PositionClosed
        else:
            kind = PositionChanged
        if after:
            avg_px_open = self.avg_px_open
        else:  # the closed round trip's entry price
            avg_px_open = self._entry_price(
                EXACT.multiply(before, self.contract_size), basis_before
            )
        ts_opened = self._ts_opened if self._ts_opened is not None else fill.ts
        flipped = before and after and (before > 0) != (after > 0)
        avg_px_close = self._flip_close_px if flipped else self.avg_px_close
        event = kind(
            ts=fill.ts,
            position_id=self.position_id,
            symbol=self.symbol,
            client_order_id=fill.client_order_id,
            trade_id=fill.trade_id,
            side=self.side,
            signed_qty=after,
            quantity=Quantity(abs(after)),
            peak_qty=Quantity(self._peak_qty),
            avg_px_open=avg_px_open,
            avg_px_close=avg_px_close,
            last_side=fill.side,
            last_qty=fill.quantity,
            last_price=fill.price,
            last_realized_pnl=Money(pnl, self.pnl_currency),
            realized_pnl=Money(self._realized, self.pnl_currency),
            ts_opened=ts_opened,
        )
        return event

    def __repr__(self) -> str:
        return (
            f"Position({self.position_id}: {self.side.name} {abs(self._signed_qty)} "
            f"@ {self.avg_px_open}, realized {self.realized_pnl})"
        )

    def fees_in(self, currency: str) -> Money:
        """Fees paid in ``currency`` (zero if none)."""
        return Money(self._fees.get(currency, _ZERO), currency)
