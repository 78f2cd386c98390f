"""The sandbox account: the backtest's spot :class:`CashAccount` plus reservations.

An OCO list holds one amount for both of its legs (Binance locks the list's quantity once).
The simulated exchange locks per order, so the legs go to it without locks of their own and
the list's amount is *reserved* here instead: a reservation is shown as locked and is not
available to other orders, while the leg that trades pays from the account as usual.
"""

from __future__ import annotations

from decimal import Decimal

from tradeforge.backtest.venue_account import CashAccount
from tradeforge.model.instrument import Instrument
from tradeforge.model.values import EXACT

_ZERO = Decimal(0)


class SandboxAccount(CashAccount):
    """Spot balances with resting-order locks and order-list reservations.

    Parameters
    ----------
    balances : dict
        Currency to starting balance.
    """

    def __init__(self, balances: dict[str, Decimal]) -> None:
        super().__init__(balances)
        self._reserved: dict[str, tuple[str, Decimal]] = {}

    def reserved(self, currency: str) -> Decimal:
        """What order lists hold of ``currency``."""
        return sum((a for c, a in self._reserved.values() if c == currency), _ZERO)

    def available(self, currency: str) -> Decimal:
        """Free minus reserved: what a new order may use (Binance's ``free``)."""
        return EXACT.subtract(self.free(currency), self.reserved(currency))

    def locked(self, currency: str) -> Decimal:
        """Locked by resting orders plus reserved by order lists (Binance's ``locked``)."""
        return EXACT.add(self.account.locked(currency).amount, self.reserved(currency))

    def cost(
        self, instrument: Instrument, side: int, qty: Decimal, price: Decimal
    ) -> tuple[str, Decimal]:
        """What an order of ``qty`` at ``price`` needs: the quote with the taker fee for a
        buy, the base for a sell."""
        symbol = instrument.symbol
        if side < 0:
            return symbol.base, qty
        notional = EXACT.multiply(qty, price)
        return symbol.quote, EXACT.add(notional, instrument.fee(notional, maker=False))

    def can_pay(self, instrument: Instrument, side: int, qty: Decimal, price: Decimal) -> bool:
        """True when the available balance covers an order of ``qty`` at ``price``."""
        currency, need = self.cost(instrument, side, qty, price)
        return need <= self.available(currency)

    def reserve(self, key: str, currency: str, amount: Decimal) -> bool:
        """Hold ``amount`` of ``currency`` for ``key``; False (nothing held) when short."""
        if amount > self.available(currency):
            return False
        self._reserved[key] = (currency, amount)
        return True

    def release(self, key: str) -> None:
        """Give back what ``key`` held (nothing when it held nothing)."""
        self._reserved.pop(key, None)

    def lock(
        self, key: str, instrument: Instrument, side: int, qty: Decimal, price: Decimal
    ) -> str:
        """Lock for a resting order, refusing what order lists hold."""
        if not self.can_pay(instrument, side, qty, price):
            currency, need = self.cost(instrument, side, qty, price)
            return f"insufficient {currency}: need {need}, available {self.available(currency)}"
        return super().lock(key, instrument, side, qty, price)

    def currencies(self) -> list[str]:
        """Every currency the account has held."""
        return list(self.account.currencies)
