"""Orders the risk engine refuses before they reach the venue, and those the venue refuses.

A locally rejected order has only ``OrderInitialized`` and ``OrderRejected`` in its history: it
was never submitted. Bars as in ``tests/backtest/test_fills``: bar 0 closes at 100 (the price
the risk engine values a market order at), bar 1 opens at 102.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.backtest.helpers import D, bars, instrument, orders, reason, run, strategy_of
from tradeforge.model.enums import OrderSide, OrderStatus
from tradeforge.model.events import OrderRejected
from tradeforge.model.orders import Order
from tradeforge.model.symbol import Symbol
from tradeforge.risk.engine import RiskEngine

DATA = bars((100, 101, 99, 100), (102, 104, 101, 103), (105, 106, 104, 105), (104, 105, 103, 104))
EVENTS_OF_A_LOCAL_REJECTION = ["OrderInitialized", "OrderRejected"]


def _history(order: Order) -> list[str]:
    return [type(e).__name__ for e in order.events]


def test_spot_sell_without_holdings_is_rejected_locally() -> None:
    result = run(DATA, {0: lambda s: s.sell(1)})
    [order] = orders(result)
    assert order.status is OrderStatus.REJECTED
    assert reason(order) == (
        "insufficient ASSET: sell 1.000, held 0 of which 0 already offered (spot cannot short)"
    )
    assert _history(order) == EVENTS_OF_A_LOCAL_REJECTION
    assert result.run.exchange.working_orders() == []
    # the strategy hears of it
    [event] = strategy_of(result).events
    assert isinstance(event, OrderRejected)
    assert result.final_equity == 1000


def test_spot_sell_of_more_than_held() -> None:
    result = run(DATA, {0: lambda s: s.buy(1), 1: lambda s: s.sell(2)})
    sell = orders(result)[1]
    assert sell.status is OrderStatus.REJECTED
    assert "sell 2.000, held 1.000" in reason(sell)


def test_spot_sell_counts_what_open_sells_already_offer() -> None:
    result = run(
        DATA,
        {0: lambda s: s.buy(2), 1: lambda s: s.sell(2, limit=110), 2: lambda s: s.sell(1)},
    )
    _, offer, extra = orders(result)
    assert offer.status is OrderStatus.ACCEPTED
    assert extra.status is OrderStatus.REJECTED
    assert "of which 2.000 already offered" in reason(extra)


def test_buy_beyond_the_cash_is_rejected_at_the_last_close() -> None:
    result = run(DATA, {0: lambda s: s.buy(20)}, commission=0.001)
    [order] = orders(result)
    assert reason(order) == "insufficient USD: order needs 2002.00000000, free 1000.00000000"
    assert _history(order) == EVENTS_OF_A_LOCAL_REJECTION


def test_open_buy_orders_reserve_cash() -> None:
    result = run(
        DATA,
        {0: lambda s: s.buy(6, limit=90), 1: lambda s: s.buy(5, limit=90), 2: lambda s: s.buy(1)},
    )
    first, second, third = orders(result)
    assert first.status is second.status is OrderStatus.ACCEPTED  # 540 + 450 of 1000
    assert third.status is OrderStatus.REJECTED  # 105 > the 10 left
    assert reason(third) == "insufficient USD: order needs 105.00000000, free 10.00000000"


def test_a_buy_affordable_at_the_close_but_not_at_the_fill_is_canceled_by_the_venue() -> None:
    # 9.9 at the last close 100 costs 990; at the fill (102) it costs 1009.8
    result = run(DATA, {0: lambda s: s.buy(9.9)})
    [order] = orders(result)
    assert order.status is OrderStatus.CANCELED
    assert reason(order) == "insufficient USD: need 1009.80000, free 1000"
    assert result.final_equity == 1000


@pytest.mark.parametrize(
    ("fields", "kwargs", "expected"),
    [
        (
            {"min_notional": "10"},
            {"quantity": 0.05},
            "notional 5.0000 USD is below the minimum 10 USD (MIN_NOTIONAL)",
        ),
        (
            {"min_quantity": "0.1"},
            {"quantity": 0.05},
            "quantity 0.050 is below the minimum 0.1 (LOT_SIZE)",
        ),
        (
            {"max_quantity": "5"},
            {"quantity": 6},
            "quantity 6.000 is above the maximum 5 (LOT_SIZE)",
        ),
        ({"min_notional": "10"}, {"notional": 5}, "NOTIONAL: value 5 below the minimum 10"),
    ],
)
def test_instrument_filters(
    fields: dict[str, str], kwargs: dict[str, float], expected: str
) -> None:
    inst = instrument(**fields)
    quantity = kwargs.pop("quantity", None)
    result = run(DATA, {0: lambda s: s.buy(quantity, **kwargs)}, instruments=[inst])
    [order] = orders(result)
    assert order.status is OrderStatus.REJECTED
    assert reason(order) == expected
    assert _history(order) == EVENTS_OF_A_LOCAL_REJECTION


def test_an_order_at_the_minimum_passes() -> None:
    inst = instrument(min_notional="10", min_quantity="0.1")
    result = run(DATA, {0: lambda s: s.buy(0.1)}, instruments=[inst])
    [order] = orders(result)
    assert order.status is OrderStatus.FILLED


def test_margin_account_shorts_what_spot_refuses() -> None:
    result = run(DATA, {0: lambda s: s.sell(1)}, account="margin")
    [order] = orders(result)
    assert order.status is OrderStatus.FILLED


def test_margin_beyond_the_equity_is_rejected() -> None:
    result = run(DATA, {0: lambda s: s.sell(11)}, account="margin")
    [order] = orders(result)
    assert reason(order) == "insufficient margin: order needs 1100.00000000, free 1000.00000000"


def test_margin_value_sized_order_of_the_whole_equity_passes() -> None:
    result = run(DATA, {0: lambda s: s.buy()}, account="margin", commission=0.002)
    [order] = orders(result)
    assert order.status is OrderStatus.FILLED
    # quantity at the fill price: 1000 / (102 * 1.002) = 9.7843.. -> 9.784
    assert order.filled_qty == D("9.784")


def test_margin_uses_the_configured_leverage() -> None:
    result = run(DATA, {0: lambda s: s.sell(15)}, account="margin", leverage=2)
    [order] = orders(result)
    assert order.status is OrderStatus.FILLED


def test_margin_buy_that_covers_a_short_is_not_new_exposure() -> None:
    result = run(
        DATA,
        {0: lambda s: s.sell(15), 1: lambda s: s.buy(15)},
        account="margin",
        leverage=2,
        commission=0.001,
        instruments=[instrument(max_leverage="2")],
    )
    assert [o.status for o in orders(result)] == [OrderStatus.FILLED] * 2


def test_close_and_reverse_in_one_bar_in_a_margin_account() -> None:
    def flip(s: object) -> None:
        s.close_position()  # type: ignore[attr-defined]
        s.sell(9)  # type: ignore[attr-defined]

    result = run(DATA, {0: lambda s: s.buy(9), 1: flip}, account="margin")
    assert [o.status for o in orders(result)] == [OrderStatus.FILLED] * 3


# -- the engine itself ----------------------------------------------------------------------


class _Named:
    def __init__(self, text: str, seen: list[tuple[str, Decimal | None, Decimal | None]]) -> None:
        self.text, self.seen = text, seen

    def reason(self, order: Order, price: Decimal | None, notional: Decimal | None) -> str:
        self.seen.append((self.text, price, notional))
        return self.text


def _market(side: OrderSide = OrderSide.BUY) -> Order:
    return Order.market("O-1", Symbol.parse("ASSET/USD"), side, D(1), ts_init=0)


def test_risk_engine_runs_checks_in_order_and_stops_at_the_first_reason() -> None:
    seen: list[tuple[str, Decimal | None, Decimal | None]] = []
    engine = RiskEngine(
        [_Named("", seen), _Named("no", seen), _Named("never", seen)], lambda s: 7.5
    )
    assert engine.check(_market()) == "no"
    assert seen == [("", D("7.5"), None), ("no", D("7.5"), None)]


def test_risk_engine_values_a_value_sized_order_by_its_notional() -> None:
    seen: list[tuple[str, Decimal | None, Decimal | None]] = []
    engine = RiskEngine([_Named("", seen)], lambda s: 7.5)
    assert engine.check(_market(), D(300)) == ""
    assert seen == [("", None, D(300))]


def test_risk_engine_values_a_limit_at_its_price() -> None:
    seen: list[tuple[str, Decimal | None, Decimal | None]] = []
    engine = RiskEngine([_Named("", seen)], lambda s: None)
    order = Order.limit("O-1", Symbol.parse("ASSET/USD"), OrderSide.SELL, D(1), D(99), ts_init=0)
    engine.check(order)
    assert seen == [("", D(99), None)]
