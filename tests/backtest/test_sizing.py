"""Orders sized by value: ``buy()``, ``buy(fraction=...)``, ``buy(notional=...)``.

A market order sized by value gets its quantity at the fill price:
``quantity = floor_to_step(value / (price * (1 + taker_fee)))``, with ``value`` the share of
equity (or the notional) when the order is sent. Bar 0 closes at 100, bar 1 opens at 102.
"""

from __future__ import annotations

from decimal import ROUND_FLOOR

import pytest

from tests.backtest.helpers import D, bars, fills, orders, run
from tradeforge.model.enums import OrderStatus
from tradeforge.model.events import OrderUpdated

DATA = bars((100, 101, 99, 100), (102, 104, 101, 103), (105, 106, 104, 105), (104, 105, 103, 104))
FEE = D("0.001")


def _expected(value: str, price: str, step: str = "0.001") -> D:
    raw = D(value) / (D(price) * (1 + FEE))
    return raw.quantize(D(step), rounding=ROUND_FLOOR)


@pytest.mark.parametrize(
    ("kwargs", "value"),
    [
        ({}, "1000"),
        ({"fraction": 0.5}, "500"),
        ({"fraction": 0.25}, "250"),
        ({"notional": 300}, "300"),
    ],
)
def test_value_sized_buy_is_sized_at_the_fill_price(kwargs: dict[str, float], value: str) -> None:
    result = run(DATA, {0: lambda s: s.buy(**kwargs)}, commission=0.001)
    [fill] = fills(result)
    quantity = _expected(value, "102")
    assert fill.last_price == 102
    assert fill.last_qty == quantity
    assert fill.fee.amount == quantity * 102 * FEE
    assert result.portfolio.cash == 1000 - quantity * 102 * (1 + FEE)
    [order] = orders(result)
    assert order.status is OrderStatus.FILLED
    assert order.quantity == quantity


def test_whole_equity_buy_leaves_less_than_one_step() -> None:
    result = run(DATA, {0: lambda s: s.buy()}, commission=0.001)
    [fill] = fills(result)
    assert fill.last_qty == D("9.794")  # 1000 / 102.102 = 9.79412..
    assert result.portfolio.cash == D("0.013012")  # 1000 - 9.794 * 102.102
    assert result.portfolio.cash < 102 * (1 + FEE) * D("0.001")


def test_value_sized_buy_at_the_close() -> None:
    result = run(DATA, {0: lambda s: s.buy()}, commission=0.001, market_fill="close")
    [fill] = fills(result)
    assert (fill.last_price, fill.last_qty) == (100, D("9.990"))  # 1000 / 100.1 = 9.99000..


@pytest.mark.parametrize(("open_", "quantity"), [(120, 8), (90, 11)])
def test_fill_price_far_from_the_close_changes_the_quantity(open_: int, quantity: int) -> None:
    # sized at the close (100) it would be 9 whole units; at the fill it is what the value buys
    data = bars((100, 101, 99, 100), (open_, open_ + 1, open_ - 1, open_), (open_,) * 4)
    result = run(data, {0: lambda s: s.buy()}, commission=0.001, quantity_step=1)
    [fill] = fills(result)
    assert fill.last_qty == quantity
    [order] = orders(result)
    # the order takes the quantity of its fill, then is FILLED (not left open)
    assert order.status is OrderStatus.FILLED
    assert order.quantity == quantity
    assert any(isinstance(e, OrderUpdated) and e.quantity == quantity for e in order.events)
    assert result.run.execution.open_orders() == []


def test_whole_shares() -> None:
    result = run(DATA, {0: lambda s: s.buy()}, commission=0.001, quantity_step=1)
    [fill] = fills(result)
    assert fill.last_qty == 9
    assert result.portfolio.cash == 1000 - 9 * D("102.102")


def test_value_sized_limit_is_sized_at_its_limit_when_sent() -> None:
    result = run(DATA, {0: lambda s: s.buy(fraction=0.5, limit=101.5)}, commission=0.001)
    [fill] = fills(result)
    assert fill.last_qty == _expected("500", "101.5")  # 4.921
    assert fill.last_price == D("101.5")


def test_value_sized_short_in_a_margin_account() -> None:
    result = run(DATA, {0: lambda s: s.sell(fraction=0.5)}, commission=0.001, account="margin")
    [fill] = fills(result)
    assert fill.last_qty == _expected("500", "102")
    assert result.portfolio.position(fill.symbol).signed_qty == -fill.last_qty


def test_value_is_the_equity_when_sent() -> None:
    # bar 1: buy 5 at 102; bar 1's close (103) marks equity at 1000 - 0.51 + 5 * (103 - 102);
    # a quarter of it, 251.1225, buys 2.389 at bar 2's open: 251.1225 / 105.105 = 2.38925..
    result = run(DATA, {0: lambda s: s.buy(5), 1: lambda s: s.buy(fraction=0.25)}, commission=0.001)
    _, again = fills(result)
    equity_at_bar_1 = 1000 - 5 * 102 * FEE + 5 * (103 - 102)
    assert equity_at_bar_1 / 4 == D("251.1225")
    assert again.last_price == 105
    assert again.last_qty == _expected("251.1225", "105") == D("2.389")
