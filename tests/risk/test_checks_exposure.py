"""Exposure limits through engine runs: pyramiding, position size, open positions, gross and net
exposure, leverage. Every figure in the expected reasons is worked out in the comments.

Bars as in ``test_checks_orders``: bar ``i`` closes at ``(i + 1)`` hours; market orders are
valued at the close they are placed at and fill at the next open.
"""

from __future__ import annotations

from typing import Any

from tests.backtest.helpers import D, bars, run
from tests.risk.helpers import OK, reasons, run_many

DATA = bars(
    (100, 101, 99, 100),
    (102, 104, 101, 103),
    (105, 106, 104, 105),
    (104, 105, 103, 104),
    (103, 104, 102, 103),
    (101, 102, 100, 101),
)
FLAT = bars(*[(100, 100, 100, 100)] * 6)


def _limits(**fields: Any) -> dict[str, Any]:
    return {"default": {"allow_pyramiding": True, **fields}}


# -- pyramiding -----------------------------------------------------------------------------


def test_no_pyramiding_unless_allowed() -> None:
    script = {
        0: lambda s: s.buy(1),
        1: lambda s: s.buy(1),  # adds to the long
        2: lambda s: s.sell(1),  # closes it
        3: lambda s: s.buy(1),  # flat again: a new entry
    }
    result = run(DATA, script, risk={})
    assert reasons(result) == [
        OK,
        "pyramiding: BUY 1.000 would add to the long 1.000 ASSET/USD (position and open entry "
        "orders); allow_pyramiding is off",
        OK,
        OK,
    ]
    assert reasons(run(DATA, script, risk=_limits())) == [OK] * 4


def test_an_open_entry_order_counts_as_a_position() -> None:
    script = {0: lambda s: s.buy(2, limit=90), 1: lambda s: s.buy(1)}
    assert reasons(run(DATA, script, risk={})) == [
        OK,
        "pyramiding: BUY 1.000 would add to the long 2.000 ASSET/USD (position and open entry "
        "orders); allow_pyramiding is off",
    ]


def test_pyramiding_may_be_allowed_for_one_strategy() -> None:
    script = {0: lambda s: s.buy(1), 1: lambda s: s.buy(1)}
    risk = {"strategies": {"Scripted": {"allow_pyramiding": True}}}
    assert reasons(run(DATA, script, risk=risk)) == [OK, OK]


# -- position size --------------------------------------------------------------------------


def test_max_position_quantity_per_symbol() -> None:
    script = {0: lambda s: s.buy(1.5), 1: lambda s: s.buy(0.6), 2: lambda s: s.buy(0.5)}
    risk = _limits(max_position_quantity={"asset-usd": 2, "OTHER/USD": 1})
    assert reasons(run(DATA, script, risk=risk)) == [
        OK,
        "max position quantity: 2.100 ASSET/USD would exceed 2",  # 1.5 + 0.6
        OK,  # 1.5 + 0.5 = 2: on the limit
    ]


def test_max_position_notional_values_the_position_at_the_last_close() -> None:
    script = {0: lambda s: s.buy(3), 1: lambda s: s.buy(1), 2: lambda s: s.sell(1)}
    assert reasons(run(DATA, script, risk=_limits(max_position_notional=350))) == [
        OK,  # 3 x 100 = 300
        "max position notional: 412.00 USD would exceed 350 USD",  # 4 x 103
        OK,  # a sell reduces the position
    ]


def test_max_position_share_of_equity() -> None:
    script = {0: lambda s: s.buy(2.5), 1: lambda s: s.buy(0.1)}
    assert reasons(run(DATA, script, risk=_limits(max_position_pct_equity=0.25))) == [
        OK,  # 2.5 x 100 = 250, 25 % of 1,000
        # filled at 102, closed at 103: equity 1,000 + 2.5 x 1 = 1,002.50; 2.6 x 103 = 267.80
        "max position % of equity: 267.80 USD is 26.71% of equity 1,002.50 USD, above 25%",
    ]


def test_a_value_sized_order_is_valued_at_its_estimated_quantity() -> None:
    # buy() spends the whole equity: 1,000 / 100 = 10 units at the last close
    result = run(DATA, {0: lambda s: s.buy()}, risk=_limits(max_position_pct_equity=0.5))
    assert reasons(result) == [
        "max position % of equity: 1,000.00 USD is 100.00% of equity 1,000.00 USD, above 50%"
    ]


# -- open positions -------------------------------------------------------------------------


THREE = {"AAA/USD": FLAT, "BBB/USD": FLAT, "CCC/USD": FLAT}


def _buy(symbol: str, quantity: float = 1, **kwargs: Any) -> Any:
    return lambda s: s.buy(quantity, symbol=symbol, **kwargs)


def test_max_open_positions_counts_positions_and_open_entry_orders() -> None:
    script = {
        0: _buy("AAA/USD"),
        1: _buy("BBB/USD", limit=95),  # rests: BBB counts from now on
        2: _buy("CCC/USD"),
        3: lambda s: s.close_position("AAA/USD"),
        4: _buy("CCC/USD"),
    }
    result = run_many(THREE, script, risk=_limits(max_open_positions=2))
    assert reasons(result) == [
        OK,
        OK,
        "max open positions: CCC/USD would be position 3, the limit is 2",
        OK,
        OK,
    ]


def test_adding_to_an_open_position_is_not_a_new_one() -> None:
    script = {0: _buy("AAA/USD"), 1: _buy("BBB/USD"), 2: _buy("AAA/USD")}
    result = run_many(THREE, script, risk=_limits(max_open_positions=2))
    assert reasons(result) == [OK, OK, OK]


# -- gross and net exposure -----------------------------------------------------------------


def test_gross_and_net_exposure_in_a_margin_account() -> None:
    two = {"AAA/USD": FLAT, "BBB/USD": FLAT}
    script = {
        0: _buy("AAA/USD", 2),  # gross 200, net +200
        1: lambda s: s.sell(3, symbol="BBB/USD"),  # gross 500, net -100
        2: lambda s: s.sell(4, symbol="BBB/USD"),  # gross 200 + 700 = 900
        3: _buy("AAA/USD", 3),  # gross 500 + 300 = 800: on the limit; net +200
        4: lambda s: s.buy(3, symbol="BBB/USD"),  # closes the short: reduces, passes
        5: _buy("AAA/USD", 0.6),  # gross and net 560
    }
    risk = _limits(max_gross_exposure=800, max_net_exposure=250)
    result = run_many(two, script, risk=risk, account="margin", leverage=3)
    assert reasons(result) == [
        OK,
        OK,
        "max gross exposure: 900.00 USD would exceed 800 USD",
        OK,
        OK,
        "max net exposure: 560.00 USD would exceed 250 USD",
    ]


# -- leverage -------------------------------------------------------------------------------


def test_max_leverage_is_gross_exposure_over_equity() -> None:
    script = {0: lambda s: s.buy(15), 1: lambda s: s.buy(5), 2: lambda s: s.buy(4.5)}
    result = run(DATA, script, account="margin", leverage=5, risk=_limits(max_leverage=2))
    assert reasons(result) == [
        OK,  # 15 x 100 / 1,000 = 1.5
        # filled at 102; at 103 equity is 1,000 + 15 x 1 = 1,015 and 20 x 103 = 2,060
        "max leverage: 2.03x (2,060.00 USD on equity 1,015.00 USD) would exceed 2x",
        OK,  # 19.5 x 105 = 2,047.50 on 1,000 + 15 x 3 = 1,045: 1.96x
    ]
    [position] = result.portfolio.positions().values()
    assert position.signed_qty == D("19.5")


def test_a_spot_account_cannot_lever_past_one() -> None:
    script = {0: lambda s: s.buy(5), 1: lambda s: s.buy(4)}
    result = run(DATA, script, risk=_limits(max_leverage=0.5))
    assert reasons(result) == [
        OK,  # 500 / 1,000
        # 1,000 - 510 + 5 x 103 = 1,005 equity; 9 x 103 = 927
        "max leverage: 0.92x (927.00 USD on equity 1,005.00 USD) would exceed 0.5x",
    ]
    [position] = result.portfolio.positions().values()
    assert position.signed_qty == 5
