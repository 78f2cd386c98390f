"""The gate as a whole: which checks a config builds and in what order, the log line and the
record of each refusal, OCO members checked with their list, and exits that no limit stops."""

from __future__ import annotations

import logging
from decimal import Decimal

import pytest

from tests.backtest.helpers import bars, run
from tests.risk.helpers import OK, outcomes, reasons, rejections, run_strategies
from tradeforge.common.clock import TestClock
from tradeforge.data.replay import BarSeries
from tradeforge.model.enums import OrderSide
from tradeforge.model.symbol import Symbol
from tradeforge.portfolio.portfolio import Portfolio
from tradeforge.risk.build import build_checks
from tradeforge.risk.context import BarHistory, RiskContext
from tradeforge.risk.engine import RiskRejection
from tradeforge.risk.limits import RiskConfig

DATA = bars(
    (100, 101, 99, 100),
    (102, 104, 101, 103),
    (105, 106, 104, 105),
    (104, 105, 103, 104),
)
EVERY_LIMIT = {
    "default": {
        "duplicate_window": "1m",
        "max_position_quantity": {"ASSET/USD": 0.001},
        "max_position_notional": 1,
        "max_position_pct_equity": 0.0001,
        "max_gross_exposure": 1,
        "max_net_exposure": 1,
        "max_open_positions": 1,
        "max_leverage": 0.0001,
        "daily_loss_limit": 0.0001,
        "require_stop_loss": True,
        "require_take_profit": True,
        "max_correlation": 0.01,
        "order_rate": {"max_orders": 100, "per": "1s"},
        "allowed_symbols": ["NONE/USD"],
        "allowed_venues": ["nowhere"],
        "trading_hours": [{"start": "00:00", "end": "00:01", "days": ["sun"]}],
    },
    "total_order_rate": {"max_orders": 100, "per": "1s"},
}


def _context(history: bool = True) -> RiskContext:
    return RiskContext(
        Portfolio("USD", Decimal(1000), []),
        TestClock(),
        {},
        list,
        lambda s: None,
        history=BarHistory([BarSeries.from_frame(Symbol.parse("ASSET/USD"), DATA)])
        if history
        else None,
    )


def test_the_checks_a_config_builds_in_the_order_they_run() -> None:
    names = [type(c).__name__ for c in build_checks(RiskConfig.model_validate(EVERY_LIMIT),
                                                      _context())]  # fmt: skip
    assert names == [
        "DuplicateOrder", "AllowedMarkets", "TradingHours", "OrderRate", "TotalOrderRate",
        "InstrumentFilters", "PriceBand", "StopLossRequired", "DailyLoss", "Pyramiding",
        "PositionSize", "OpenPositions", "TotalExposure", "Leverage", "Correlation",
        "BalanceCheck",
    ]  # fmt: skip
    defaults = [type(c).__name__ for c in build_checks(RiskConfig(), _context())]
    assert defaults == [
        "DuplicateOrder", "InstrumentFilters", "PriceBand", "Pyramiding", "BalanceCheck",
    ]  # fmt: skip
    venue_only = [type(c).__name__ for c in build_checks(None, _context())]
    assert venue_only == ["InstrumentFilters", "BalanceCheck"]


def test_a_check_built_for_one_strategy_only() -> None:
    config = RiskConfig.model_validate({"strategies": {"a": {"max_open_positions": 2}}})
    names = [type(c).__name__ for c in build_checks(config, _context())]
    assert "OpenPositions" in names
    assert "OpenPositions" not in [type(c).__name__ for c in build_checks(RiskConfig(), _context())]


@pytest.mark.parametrize("limit", ["daily_loss_limit", "max_correlation"])
def test_limits_that_need_the_price_history_say_so(limit: str) -> None:
    config = RiskConfig.model_validate({"default": {limit: 0.5}})
    with pytest.raises(ValueError, match=f"{limit} needs the context's price history"):
        build_checks(config, _context(history=False))


def test_a_refusal_is_logged_and_recorded(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="tradeforge.risk")
    result = run(DATA, {0: lambda s: s.buy(1), 1: lambda s: s.buy(1)}, risk={})
    refused = (
        "pyramiding: BUY 1.000 would add to the long 1.000 ASSET/USD (position and open entry "
        "orders); allow_pyramiding is off"
    )
    assert [(r.name, r.levelname, r.getMessage()) for r in caplog.records] == [
        (
            "tradeforge.risk",
            "WARNING",
            f"order O-240101020000-Scripted-2 of strategy Scripted rejected: {refused} "
            "(rule pyramiding)",
        )
    ]
    two_hours = 1_704_074_400_000_000_000  # 2024-01-01 02:00 UTC: bar 1's close
    assert rejections(result) == [
        RiskRejection(two_hours, "O-240101020000-Scripted-2", "Scripted", "pyramiding", refused)
    ]


def test_every_member_of_an_oco_list_passes_the_gate() -> None:
    def both(s: object) -> None:
        take = s.order(OrderSide.BUY, 1, limit=95)  # type: ignore[attr-defined]
        fat = s.order(OrderSide.BUY, 1, limit=300)  # type: ignore[attr-defined]
        s.oco(take, fat)  # type: ignore[attr-defined]

    result = run(DATA, {0: both}, risk={})
    refused = (
        "OCO member O-240101010000-Scripted-2: price band: limit price 300.00 is 200.00% from "
        "the last price 100.0, beyond the 50% band"
    )
    assert outcomes(result) == [
        ("O-240101010000-Scripted-1", refused),
        ("O-240101010000-Scripted-2", f"list refused: {refused}"),
    ]
    assert [r.rule for r in rejections(result)] == ["price_band"]


def test_an_oco_of_sane_orders_passes_and_counts_each_member() -> None:
    def both_then_one(s: object) -> None:
        low = s.order(OrderSide.BUY, 1, limit=95)  # type: ignore[attr-defined]
        high = s.order(OrderSide.BUY, 1, stop=110)  # type: ignore[attr-defined]
        s.oco(low, high)  # type: ignore[attr-defined]
        s.buy(1, limit=90)  # type: ignore[attr-defined]

    risk = {"default": {"order_rate": {"max_orders": 2, "per": "1h"}}}
    assert reasons(run(DATA, {0: both_then_one}, risk=risk)) == [
        OK,
        OK,
        "order rate: strategy Scripted sent 2 orders in the last 1h, the limit is 2",
    ]


def test_no_limit_stops_an_exit() -> None:
    # "free" buys without limits; "tight" has every limit as tight as it goes: its sell of
    # what the account holds reduces the position and passes them all, one more is refused
    risk = {"default": {"allow_pyramiding": True}, "strategies": {"tight": EVERY_LIMIT["default"]}}
    engine = run_strategies(
        DATA,
        {
            "free": {0: lambda s: s.buy(1)},
            "tight": {1: lambda s: s.sell(1), 2: lambda s: s.sell(1)},
        },
        risk=risk,
    )
    assert outcomes(engine) == [
        ("O-240101010000-free-1", OK),
        ("O-240101020000-tight-1", OK),
        ("O-240101030000-tight-2", "symbol not allowed: ASSET/USD is not in allowed_symbols"),
    ]
    assert engine.portfolio.positions() == {}
