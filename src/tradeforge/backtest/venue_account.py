"""The simulated venue's books: what an account holds, and what a fill does to it.

Two kinds, as on crypto venues:

* :class:`CashAccount` (spot): a buy pays ``notional + fee`` in the quote currency and receives
  the base; a sell delivers the base and receives ``notional - fee``. Nothing can be borrowed,
  so a buy needs the quote and a sell the base. Resting orders that are not reduce-only lock
  what they would spend (quote at their price plus the taker fee, or the base).
* :class:`MarginAccount` (linear perpetuals and margin): positions are netted per symbol and
  may be short; the settle-currency balance moves only by realized PnL, fees and funding. An
  order that adds exposure needs ``notional / leverage + fee`` of free margin, where free
  margin is equity minus the initial margin of open positions. With a
  :class:`~tradeforge.backtest.perpetual.MaintenanceMargin` it has a liquidation price per
  position (cross margin over the settle currency's wallet, see
  :mod:`tradeforge.backtest.perpetual`); funding moves the balance through
  :meth:`MarginAccount.pay`.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Context, Decimal

from tradeforge.backtest.perpetual import MaintenanceMargin
from tradeforge.backtest.perpetual import liquidation_price as _liquidation_price
from tradeforge.model.account import Account
from tradeforge.model.fill import prorate
from tradeforge.model.instrument import Instrument
from tradeforge.model.symbol import Symbol
from tradeforge.model.values import EXACT, Money

_ZERO = Decimal(0)
_ONE = Decimal(1)
# an average entry price (value / size): exact when it has few digits, else 40 digits
_AVERAGE = Context(prec=40)


class CashAccount:
    """Spot balances per currency, with locks for resting orders."""

    kind = "cash"

    def __init__(self, balances: dict[str, Decimal]) -> None:
        self.account = Account("sim", [Money(v, c) for c, v in balances.items() if v > 0])
        self._locks: dict[str, Money] = {}

    def total(self, currency: str) -> Decimal:
        """Free plus locked ``currency``."""
        return self.account.total(currency).amount

    def free(self, currency: str) -> Decimal:
        """Free ``currency``."""
        return self.account.free(currency).amount

    def balances(self) -> dict[str, Decimal]:
        """Every currency's total balance."""
        return {c: self.total(c) for c in self.account.currencies}

    def shortfall(self, instrument: Instrument, side: int, qty: Decimal, price: Decimal) -> str:
        """Why a fill of ``qty`` at ``price`` cannot be paid for; empty when it can."""
        symbol = instrument.symbol
        if side > 0:
            need = EXACT.add(
                EXACT.multiply(qty, price),
                instrument.fee(EXACT.multiply(qty, price), maker=False),
            )
            have = self.free(symbol.quote)
            if need > have:
                return f"insufficient {symbol.quote}: need {need}, free {have}"
        elif qty > self.free(symbol.base):
            return f"insufficient {symbol.base}: need {qty}, free {self.free(symbol.base)}"
        return ""

    def lock(
        self, key: str, instrument: Instrument, side: int, qty: Decimal, price: Decimal
    ) -> str:
        """Reserve what a resting order would spend; the reason when it cannot."""
        reason = self.shortfall(instrument, side, qty, price)
        if reason:
            return reason
        symbol = instrument.symbol
        if side > 0:
            notional = EXACT.multiply(qty, price)
            amount = Money(EXACT.add(notional, instrument.fee(notional, maker=False)), symbol.quote)
        else:
            amount = Money(qty, symbol.base)
        if amount.amount > 0:
            self.account.lock(amount)
            self._locks[key] = amount
        return ""

    def unlock(self, key: str) -> None:
        """Release what ``key`` reserved (nothing when it reserved nothing)."""
        amount = self._locks.pop(key, None)
        if amount is not None:
            self.account.unlock(amount)

    def fill(self, symbol: Symbol, side: int, qty: Decimal, notional: Decimal, fee: Money) -> None:
        """Book a fill: exchange quote for base, pay the fee."""
        base, quote = Money(qty, symbol.base), Money(notional, symbol.quote)
        if side > 0:
            self.account.debit(quote)
            self.account.credit(base)
        else:
            self.account.debit(base)
            self.account.credit(quote)
        if fee.amount > 0:
            self.account.debit(fee)
        elif fee.amount < 0:
            self.account.credit(-fee)


class MarginAccount:
    """Netted positions with leverage, settled in one currency per symbol.

    Parameters
    ----------
    balances : dict
        Settle currency to starting balance.
    leverage : Decimal
        Largest leverage: an order adding exposure needs ``notional / leverage`` of margin.
    maintenance : MaintenanceMargin or None
        The maintenance margin of every position (default Binance's first tier, 0.5 %);
        ``None``: no maintenance margin, positions are never liquidated.
    contract_sizes : mapping, optional
        Units of the underlying per contract by symbol (default 1); the venue fills it in.
    """

    kind = "margin"

    def __init__(
        self,
        balances: dict[str, Decimal],
        leverage: Decimal,
        *,
        maintenance: MaintenanceMargin | None = MaintenanceMargin(),  # noqa: B008 - frozen
        contract_sizes: Mapping[Symbol, Decimal] | None = None,
    ) -> None:
        self._cash = dict(balances)
        self.leverage = leverage
        self.positions: dict[Symbol, tuple[Decimal, Decimal]] = {}  # signed qty, entry value
        self._marks: dict[Symbol, Decimal] = {}
        self.maintenance = maintenance
        self.contract_sizes: dict[Symbol, Decimal] = dict(contract_sizes or {})
        self.has_positions = False
        """True while any position is open (a replay loop may read it every bar)."""

    def total(self, currency: str) -> Decimal:
        """The settle-currency balance (realized PnL, fees and funding included)."""
        return self._cash.get(currency, _ZERO)

    def free(self, currency: str) -> Decimal:
        """Equity minus the initial margin of the open positions settled in ``currency``."""
        equity, used = self._cash.get(currency, _ZERO), _ZERO
        for symbol, (qty, value) in self.positions.items():
            if _settle(symbol) != currency or not qty:
                continue
            mark = self._marks.get(symbol, value / qty)
            equity += qty * mark - value
            used += abs(qty * mark) / self.leverage
        return equity - used

    def balances(self) -> dict[str, Decimal]:
        """Every settle currency's balance."""
        return dict(self._cash)

    def mark(self, symbol: Symbol, price: Decimal) -> None:
        """The last price of ``symbol``, for margin checks."""
        self._marks[symbol] = price

    def shortfall(self, instrument: Instrument, side: int, qty: Decimal, price: Decimal) -> str:
        """Why a fill that adds exposure lacks margin; empty when it does not lack it."""
        symbol = instrument.symbol
        held, _ = self.positions.get(symbol, (_ZERO, _ZERO))
        adds = qty if held == 0 or (held > 0) == (side > 0) else max(_ZERO, qty - abs(held))
        if not adds:
            return ""
        notional = adds * price * instrument.contract_size
        need = notional / self.leverage + instrument.fee(notional, maker=False)
        currency = _settle(symbol)
        free = self.free(currency)
        if need > free:
            return f"insufficient margin in {currency}: need {need:.8f}, free {free:.8f}"
        return ""

    def lock(
        self, key: str, instrument: Instrument, side: int, qty: Decimal, price: Decimal
    ) -> str:
        """Margin is checked at the fill; resting orders reserve nothing."""
        return ""

    def unlock(self, key: str) -> None:
        """Nothing was reserved."""

    def fill(self, symbol: Symbol, side: int, qty: Decimal, notional: Decimal, fee: Money) -> None:
        """Net the fill into the position; realize PnL on the reduced part; pay the fee."""
        held, value = self.positions.get(symbol, (_ZERO, _ZERO))
        signed, signed_value = qty * side, notional * side
        currency = _settle(symbol)
        if held == 0 or (held > 0) == (signed > 0):
            self.positions[symbol] = (held + signed, value + signed_value)
        else:
            closed = min(abs(signed), abs(held))
            basis = prorate(abs(value), closed, abs(held))  # unsigned, like exit_value
            exit_value = prorate(notional, closed, qty)
            pnl = (exit_value - basis) if held > 0 else (basis - exit_value)
            self._cash[currency] = self._cash.get(currency, _ZERO) + pnl
            rest_held, rest_value = (
                held + (closed if held < 0 else -closed),
                value - (basis if held > 0 else -basis),
            )
            rest_fill = abs(signed) - closed
            if rest_fill:  # flipped: open the remainder at the fill price
                rest_value = prorate(notional, rest_fill, qty) * side
                rest_held = rest_fill * side
            self.positions[symbol] = (rest_held, rest_value)
        self._cash[currency] = self._cash.get(currency, _ZERO) - fee.amount
        self.has_positions = any(q for q, _ in self.positions.values())

    def pay(self, currency: str, amount: Decimal) -> None:
        """Move ``amount`` out of the balance (funding; negative receives)."""
        self._cash[currency] = self._cash.get(currency, _ZERO) - amount

    def maintenance_margin(self, currency: str) -> Decimal:
        """The maintenance margin of the open positions settled in ``currency``, at their marks
        (zero without a maintenance model)."""
        if self.maintenance is None:
            return _ZERO
        total = _ZERO
        for symbol, (qty, _) in self.positions.items():
            if qty and _settle(symbol) == currency:
                total += self.maintenance.margin(self._size(symbol, qty) * self._mark(symbol))
        return total

    def liquidation_price(self, symbol: Symbol) -> Decimal | None:
        """The price of ``symbol`` at which the account is liquidated; None when flat, without
        a maintenance model, or for a long the wallet covers down to zero.

        Cross margin: the whole wallet of the settle currency backs the position, and the
        other positions in that currency count at their marks (their unrealized PnL and
        maintenance margin). See :func:`tradeforge.backtest.perpetual.liquidation_price`.
        """
        qty, value = self.positions.get(symbol, (_ZERO, _ZERO))
        if not qty or self.maintenance is None:
            return None
        currency = _settle(symbol)
        other_mm = other_upnl = _ZERO
        for other, (q, v) in self.positions.items():
            if other == symbol or not q or _settle(other) != currency:
                continue
            at_mark = self._size(other, q) * self._mark(other)
            other_mm += self.maintenance.margin(at_mark)
            other_upnl += at_mark - v
        size = self._size(symbol, qty)
        return _liquidation_price(
            self._cash.get(currency, _ZERO),
            size,
            _AVERAGE.divide(value, size),
            self.maintenance,
            other_maintenance=other_mm,
            other_unrealized=other_upnl,
        )

    def _size(self, symbol: Symbol, qty: Decimal) -> Decimal:
        """Signed size in base units: contracts times the contract size."""
        return qty * self.contract_sizes.get(symbol, _ONE)

    def _mark(self, symbol: Symbol) -> Decimal:
        qty, value = self.positions[symbol]
        mark = self._marks.get(symbol)
        return mark if mark is not None else _AVERAGE.divide(value, self._size(symbol, qty))


def _settle(symbol: Symbol) -> str:
    return symbol.settle or symbol.quote
