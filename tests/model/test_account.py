from __future__ import annotations

import dataclasses

import pytest

from tradeforge.model.account import (
    Account,
    AccountBalance,
    AccountError,
    InsufficientBalanceError,
)
from tradeforge.model.values import CurrencyMismatchError, Money


def usdt(amount: str) -> Money:
    return Money(amount, "USDT")


def state(account: Account) -> tuple[AccountBalance, ...]:
    return account.balances()


def test_credit_debit_lock_unlock() -> None:
    account = Account("sim", [usdt("1000"), Money("0.5", "BTC")])
    account.lock(usdt("250.25"))
    assert (account.free("USDT"), account.locked("USDT")) == (usdt("749.75"), usdt("250.25"))
    assert account.total("USDT") == usdt("1000.00")
    account.unlock(usdt("50.25"))
    account.debit(usdt("0.5"))
    account.credit(usdt("0.1"))
    assert account.balance("USDT") == AccountBalance(usdt("799.60"), usdt("200.00"))
    assert account.balance("USDT").total == usdt("999.60")
    assert account.balance("USDT").currency == "USDT"
    assert account.currencies == ("BTC", "USDT")
    assert account.free("ETH") == Money("0", "ETH")


def test_debit_more_than_free_is_refused_and_state_is_intact() -> None:
    account = Account("sim", [usdt("100")])
    account.lock(usdt("20"))
    before = state(account)
    with pytest.raises(
        InsufficientBalanceError,
        match=r"account sim: cannot debit 150 USDT: free USDT balance is 80 \(free 80, "
        r"locked 20\), short by 70",
    ):
        account.debit(usdt("150"))
    assert state(account) == before


def test_lock_more_than_free_is_refused_and_state_is_intact() -> None:
    account = Account("sim", [usdt("100")])
    before = state(account)
    with pytest.raises(InsufficientBalanceError, match="cannot lock 100.01 USDT: free USDT"):
        account.lock(usdt("100.01"))
    assert state(account) == before


def test_unlock_more_than_locked_is_refused_and_state_is_intact() -> None:
    account = Account("sim", [usdt("100")])
    account.lock(usdt("10"))
    before = state(account)
    with pytest.raises(
        InsufficientBalanceError, match="cannot unlock 11 USDT: locked USDT balance is 10"
    ):
        account.unlock(usdt("11"))
    assert state(account) == before


def test_unknown_currency_counts_as_zero() -> None:
    account = Account("sim")
    with pytest.raises(InsufficientBalanceError, match="free BTC balance is 0"):
        account.debit(Money("0.1", "BTC"))
    assert account.balances() == ()


@pytest.mark.parametrize("amount", ["0", "-5"])
def test_amounts_must_be_positive(amount: str) -> None:
    account = Account("sim", [usdt("10")])
    for action in (account.credit, account.debit, account.lock, account.unlock):
        with pytest.raises(AccountError, match=f"amount must be positive, got {amount} USDT"):
            action(usdt(amount))
    assert account.free("USDT") == usdt("10")


def test_only_money_is_accepted() -> None:
    with pytest.raises(TypeError, match="can only credit Money"):
        Account("sim").credit(5)  # type: ignore[arg-type]
    with pytest.raises(AccountError, match="account_id"):
        Account("")


def test_snapshots_are_immutable_values() -> None:
    account = Account("sim", [usdt("5")])
    snapshot = account.balance("USDT")
    account.credit(usdt("1"))
    assert snapshot.free == usdt("5")
    with pytest.raises(dataclasses.FrozenInstanceError):
        snapshot.free = usdt("9")  # type: ignore[misc]
    with pytest.raises(CurrencyMismatchError):
        AccountBalance(usdt("1"), Money("1", "BTC"))
    assert repr(account) == "Account(sim: USDT 6+0)"
