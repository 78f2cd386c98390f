"""Checks of the order itself, through engine runs: duplicates, order rates, the price band and
the mandatory stop loss.

Hourly bars from Monday 2024-01-01 00:00 UTC; an order placed at bar ``i`` is placed at its
close, ``(i + 1)`` hours, valued at its close and (market orders) filled at bar ``i + 1``'s
open.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tests.backtest.helpers import D, bars, run, strategy_of
from tests.backtest.helpers import reason as last_reason
from tests.risk.helpers import OK, outcomes, reasons, run_strategies
from tradeforge.model.enums import OrderSide, OrderStatus
from tradeforge.model.order_list import OrderList
from tradeforge.model.orders import Order
from tradeforge.strategy import Strategy

DATA = bars(
    (100, 101, 99, 100),
    (102, 104, 101, 103),
    (105, 106, 104, 105),
    (104, 105, 103, 104),
    (103, 104, 102, 103),
    (101, 102, 100, 101),
)
SCALE_IN = {"allow_pyramiding": True}


def _limits(**fields: Any) -> dict[str, Any]:
    return {"default": {**SCALE_IN, **fields}}


def _mine(cid: str) -> Any:
    def act(s: Strategy) -> Order:
        order = Order.market(cid, s.symbol, OrderSide.BUY, D(1), ts_init=s.time,
                             strategy_id=s.strategy_id)  # fmt: skip
        submitted = s.submit(order)
        assert isinstance(submitted, Order)
        return submitted

    return act


# -- duplicates -----------------------------------------------------------------------------


def test_a_client_order_id_already_sent_is_refused() -> None:
    result = run(DATA, {0: _mine("MY-1"), 1: _mine("MY-1"), 2: _mine("MY-2")}, risk=_limits())
    placed = strategy_of(result).placed
    assert placed[0].status is OrderStatus.FILLED
    assert placed[1].status is OrderStatus.REJECTED
    assert last_reason(placed[1]) == "duplicate order: client order id MY-1 was already sent"
    assert placed[2].status is OrderStatus.FILLED
    assert result.portfolio.position(placed[0].symbol).signed_qty == 2


def test_the_same_order_within_the_window_is_refused() -> None:
    script = {
        0: lambda s: s.buy(1),
        1: lambda s: s.buy(1),  # 1h after the first: refused
        2: lambda s: s.buy(2),  # another quantity
        3: lambda s: s.sell(1),  # another side
        4: lambda s: s.buy(1),  # 4h after the first sent buy of 1: passes
    }
    result = run(DATA, script, risk=_limits(duplicate_window="2h"))
    assert outcomes(result) == [
        ("O-240101010000-Scripted-1", OK),
        (
            "O-240101020000-Scripted-2",
            "duplicate order: BUY 1.000 ASSET/USD repeats O-240101010000-Scripted-1 sent 1h "
            "ago, within the 2h window",
        ),
        ("O-240101030000-Scripted-3", OK),
        ("O-240101040000-Scripted-4", OK),
        ("O-240101050000-Scripted-5", OK),
    ]


def test_without_a_window_equal_orders_pass() -> None:
    result = run(DATA, {0: lambda s: s.buy(1), 1: lambda s: s.buy(1)}, risk=_limits())
    assert reasons(result) == [OK, OK]


# -- order rates ----------------------------------------------------------------------------


def _twice(s: Strategy) -> None:
    s.buy(0.1)
    s.buy(0.2)


def test_the_order_rate_of_a_strategy_slides_with_the_clock() -> None:
    # 3 orders per 2h: at 02:00 the two of 01:00 count, at 03:00 only those of 02:00
    script = dict.fromkeys(range(4), _twice)
    result = run(DATA, script, risk=_limits(order_rate={"max_orders": 3, "per": "2h"}))
    refused = "order rate: strategy Scripted sent 3 orders in the last 2h, the limit is 3"
    assert reasons(result) == [OK, OK, OK, refused, OK, OK, OK, refused]


def test_the_total_rate_counts_every_strategy_and_overrides_apply_per_strategy() -> None:
    risk = {
        "default": SCALE_IN,
        "strategies": {"slow": {**SCALE_IN, "order_rate": {"max_orders": 1, "per": "1h"}}},
        "total_order_rate": {"max_orders": 3, "per": "1h"},
    }
    engine = run_strategies(DATA, {"fast": {0: _twice}, "slow": {0: _twice}}, risk=risk)
    assert outcomes(engine) == [
        ("O-240101010000-fast-1", OK),
        ("O-240101010000-fast-2", OK),
        ("O-240101010000-slow-1", OK),
        (
            "O-240101010000-slow-2",
            "order rate: strategy slow sent 1 orders in the last 1h, the limit is 1",
        ),
    ]
    engine = run_strategies(DATA, {"fast": {0: _twice}, "other": {0: _twice}}, risk=risk)
    assert outcomes(engine)[2:] == [
        ("O-240101010000-other-1", OK),
        (
            "O-240101010000-other-2",
            "total order rate: 3 orders sent in the last 1h, the limit is 3",
        ),
    ]


def test_refused_orders_do_not_count_toward_the_rate() -> None:
    script = {0: lambda s: s.buy(50), 1: lambda s: s.buy(1)}  # the first cannot be paid
    result = run(DATA, script, risk=_limits(order_rate={"max_orders": 1, "per": "1d"}))
    assert reasons(result) == [
        "insufficient USD: order needs 5000.00000000, free 1000.00000000",
        OK,
    ]


# -- the price band -------------------------------------------------------------------------


def test_a_price_beyond_the_band_is_refused_one_on_its_edge_passes() -> None:
    script = {
        0: lambda s: s.buy(1, limit=151),  # last close 100: 51 % away
        1: lambda s: s.buy(1, limit=51.5),  # last close 103: exactly 50 % away
        2: lambda s: s.buy(1, stop=40),  # last close 105
        3: lambda s: s.buy(1),  # market orders are valued at the last price
    }
    result = run(DATA, script, cash=10_000, risk=_limits())
    assert reasons(result) == [
        "price band: limit price 151.00 is 51.00% from the last price 100.0, beyond the 50% band",
        OK,
        "price band: stop price 40.00 is 61.90% from the last price 105.0, beyond the 50% band",
        OK,
    ]


def test_the_band_is_configurable_per_strategy_and_can_be_turned_off() -> None:
    script = {0: lambda s: s.buy(1, limit=90), 1: lambda s: s.buy(1, limit=300)}
    narrow = {"default": {**SCALE_IN, "price_band": 0.05}}
    assert reasons(run(DATA, script, cash=10_000, risk=narrow)) == [
        "price band: limit price 90.00 is 10.00% from the last price 100.0, beyond the 5% band",
        "price band: limit price 300.00 is 191.26% from the last price 103.0, beyond the 5% band",
    ]
    off = {**narrow, "strategies": {"Scripted": {"price_band": None}}}
    assert reasons(run(DATA, script, cash=10_000, risk=off)) == [OK, OK]


# -- stop loss and take profit required -----------------------------------------------------


def _oto_with_stop_only(s: Strategy) -> OrderList:
    entry = Order.market("L-1-E", s.symbol, OrderSide.BUY, D(1), ts_init=s.time,
                         strategy_id=s.strategy_id, order_list_id="L-1")  # fmt: skip
    stop = Order.stop_market("L-1-SL", s.symbol, OrderSide.SELL, D(1), D(90), ts_init=s.time,
                             reduce_only=True, strategy_id=s.strategy_id,
                             order_list_id="L-1", parent_order_id="L-1-E")  # fmt: skip
    submitted = s.submit(OrderList.oto("L-1", entry, [stop]))
    assert isinstance(submitted, OrderList)
    return submitted


def test_an_entry_without_a_stop_loss_is_refused_a_bracket_passes() -> None:
    script = {
        0: lambda s: s.buy(1),
        1: lambda s: s.buy(1, sl=95, tp=120),
        3: lambda s: s.sell(1),  # reduces the position: needs no stop
    }
    result = run(DATA, script, risk=_limits(require_stop_loss=True))
    assert outcomes(result) == [
        (
            "O-240101010000-Scripted-1",
            "stop loss required: the BUY entry O-240101010000-Scripted-1 of Scripted is not "
            "the entry of a bracket with a stop loss",
        ),
        ("B-O-240101020000-Scripted-2-E", OK),
        ("B-O-240101020000-Scripted-2-SL", OK),
        ("B-O-240101020000-Scripted-2-TP", OK),
        ("O-240101040000-Scripted-3", OK),
    ]
    entry, stop, take = list(result.run.execution.orders.values())[1:4]
    assert (entry.status, stop.status, take.status) == (
        OrderStatus.FILLED, OrderStatus.ACCEPTED, OrderStatus.ACCEPTED,
    )  # fmt: skip


def test_a_required_take_profit_refuses_a_list_with_a_stop_only() -> None:
    limits = _limits(require_stop_loss=True, require_take_profit=True)
    result = run(DATA, {0: _oto_with_stop_only}, risk=limits)
    refused = (
        "take profit required: the BUY entry L-1-E of Scripted is not the entry of a bracket "
        "with a take profit"
    )
    assert outcomes(result) == [("L-1-E", refused), ("L-1-SL", f"list refused: {refused}")]
    stop_only = run(DATA, {0: _oto_with_stop_only}, risk=_limits(require_stop_loss=True))
    assert reasons(stop_only) == [OK, OK]
    assert stop_only.portfolio.position(stop_only.run.series[0].symbol).signed_qty == Decimal(1)
