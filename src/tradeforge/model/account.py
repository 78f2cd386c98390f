"""Accounts: exact balances per currency, split into free and locked.

``total = free + locked``. Funds are *locked* while an open order reserves them and
*unlocked* when it closes; a fill *debits* what was paid and *credits* what was received. An
operation that would take a balance below zero raises :class:`InsufficientBalanceError`
naming the currency and the amounts, and leaves the account unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from tradeforge.model.values import EXACT, CurrencyMismatchError, Money

_ZERO = Decimal(0)


class AccountError(ValueError):
    """An invalid account operation."""


class InsufficientBalanceError(AccountError):
    """The free (or locked) balance does not cover an operation."""


@dataclass(frozen=True, slots=True)
class AccountBalance:
    """An immutable snapshot of one currency's balance.

    Parameters
    ----------
    free : Money
        Available to trade or withdraw.
    locked : Money
        Reserved by open orders.
    """

    free: Money
    locked: Money

    def __post_init__(self) -> None:
        if self.free.currency != self.locked.currency:
            raise CurrencyMismatchError(f"balance mixes {self.free} and {self.locked}")

    @property
    def currency(self) -> str:
        """The currency code."""
        return self.free.currency

    @property
    def total(self) -> Money:
        """``free + locked``."""
        return self.free + self.locked


class Account:
    """Balances of one account, per currency.

    Parameters
    ----------
    account_id : str
        The account's id.
    balances : iterable of Money
        Opening free balances (non-negative).

    Examples
    --------
    >>> account = Account("sim", [Money("1000", "USDT")])
    >>> account.lock(Money("250", "USDT"))
    >>> account.free("USDT"), account.locked("USDT")
    (Money('750', 'USDT'), Money('250', 'USDT'))
    """

    __slots__ = ("_free", "_locked", "account_id")

    def __init__(self, account_id: str, balances: Iterable[Money] = ()) -> None:
        if not isinstance(account_id, str) or not account_id:
            raise AccountError(f"account_id must be a non-empty string, got {account_id!r}")
        self.account_id = account_id
        self._free: dict[str, Decimal] = {}
        self._locked: dict[str, Decimal] = {}
        for amount in balances:
            self.credit(amount)

    # -- reading ----------------------------------------------------------------------------

    def free(self, currency: str) -> Money:
        """The free balance of ``currency`` (zero if never seen)."""
        return Money(self._free.get(currency, _ZERO), currency)

    def locked(self, currency: str) -> Money:
        """The locked balance of ``currency``."""
        return Money(self._locked.get(currency, _ZERO), currency)

    def total(self, currency: str) -> Money:
        """``free + locked`` of ``currency``."""
        return Money(
            EXACT.add(self._free.get(currency, _ZERO), self._locked.get(currency, _ZERO)),
            currency,
        )

    def balance(self, currency: str) -> AccountBalance:
        """A snapshot of ``currency``."""
        return AccountBalance(self.free(currency), self.locked(currency))

    def balances(self) -> tuple[AccountBalance, ...]:
        """Snapshots of every currency the account has held, sorted by currency."""
        return tuple(self.balance(c) for c in sorted(self._free.keys() | self._locked.keys()))

    @property
    def currencies(self) -> tuple[str, ...]:
        """The currencies the account has held, sorted."""
        return tuple(sorted(self._free.keys() | self._locked.keys()))

    # -- changing ---------------------------------------------------------------------------

    def credit(self, amount: Money) -> None:
        """Add ``amount`` to the free balance."""
        value = self._positive(amount, "credit")
        self._free[amount.currency] = EXACT.add(self._free.get(amount.currency, _ZERO), value)
        self._locked.setdefault(amount.currency, _ZERO)

    def debit(self, amount: Money) -> None:
        """Take ``amount`` from the free balance.

        Raises
        ------
        InsufficientBalanceError
            When the free balance is smaller than ``amount``.
        """
        self._free[amount.currency] = self._take(self._free, amount, "debit", "free")

    def lock(self, amount: Money) -> None:
        """Move ``amount`` from free to locked (an open order reserves it).

        Raises
        ------
        InsufficientBalanceError
            When the free balance is smaller than ``amount``.
        """
        remaining = self._take(self._free, amount, "lock", "free")
        locked = EXACT.add(self._locked.get(amount.currency, _ZERO), amount.amount)
        self._free[amount.currency] = remaining
        self._locked[amount.currency] = locked

    def unlock(self, amount: Money) -> None:
        """Move ``amount`` from locked back to free.

        Raises
        ------
        InsufficientBalanceError
            When the locked balance is smaller than ``amount``.
        """
        remaining = self._take(self._locked, amount, "unlock", "locked")
        free = EXACT.add(self._free.get(amount.currency, _ZERO), amount.amount)
        self._locked[amount.currency] = remaining
        self._free[amount.currency] = free

    def _take(self, book: dict[str, Decimal], amount: Money, action: str, which: str) -> Decimal:
        """What remains of ``book[currency]`` after taking ``amount``; raises if short."""
        value = self._positive(amount, action)
        available = book.get(amount.currency, _ZERO)
        if value > available:
            raise InsufficientBalanceError(
                f"account {self.account_id}: cannot {action} {amount}: {which} "
                f"{amount.currency} balance is {available} (free "
                f"{self.free(amount.currency).amount}, locked "
                f"{self.locked(amount.currency).amount}), short by "
                f"{EXACT.subtract(value, available)}"
            )
        return EXACT.subtract(available, value)

    def _positive(self, amount: Money, action: str) -> Decimal:
        if not isinstance(amount, Money):
            raise TypeError(f"can only {action} Money, got {type(amount).__name__} {amount!r}")
        if amount.amount <= 0:
            raise AccountError(
                f"account {self.account_id}: {action} amount must be positive, got {amount}"
            )
        return amount.amount

    def __repr__(self) -> str:
        parts = ", ".join(
            f"{b.currency} {b.free.amount}+{b.locked.amount}" for b in self.balances()
        )
        return f"Account({self.account_id}: {parts})"
