"""The risk engine's fast path: one ticket per order, and per strategy the checks that can
refuse (their limits read once).

A ticket reads the clock, the open orders and the order's exposure once and shares them with
every check; a check asked for its verdict on a strategy whose limits are off is skipped, or
only projects the order when it used to. Each check's verdict gives the reason its
``reason`` gives; the small structures behind the verdicts (the trading hours' spans, the
correlation row's peaks, the recent sends of the duplicate check) are checked against the
computation they stand for.
"""

from __future__ import annotations

import math
import random
from datetime import time
from decimal import Decimal

from tests.risk.test_risk_caching import AAA, BBB, CCC, World, limit
from tradeforge.common.clock import TestClock
from tradeforge.model.enums import OrderSide
from tradeforge.model.orders import Order
from tradeforge.risk.build import build_checks
from tradeforge.risk.checks import BalanceCheck, DuplicateOrder, PositionSize, TotalExposure
from tradeforge.risk.checks.base import exposure_only
from tradeforge.risk.checks.market import _Hours, _peaks, _Window
from tradeforge.risk.checks.orders import _Recent
from tradeforge.risk.engine import RiskEngine
from tradeforge.risk.limits import RiskConfig, TradingWindow
from tradeforge.risk.projection import exposure
from tradeforge.risk.ticket import Ticket

DAY = 86_400 * 1_000_000_000


def _config(**limits: object) -> RiskConfig:
    return RiskConfig.model_validate({"default": {"allow_pyramiding": True, **limits}})


# -- the ticket -----------------------------------------------------------------------------


def test_a_ticket_reads_the_clock_and_the_order_once() -> None:
    world = World()
    world.context.clock.set_time(1_234)  # type: ignore[attr-defined]
    order = limit("T1", AAA, OrderSide.BUY, "2", "99.5")
    ticket = Ticket(order, order.price, None, world.context)
    world.context.clock.set_time(9_999)  # type: ignore[attr-defined]
    assert (ticket.now, ticket.symbol, ticket.side, ticket.quantity) == (
        1_234, AAA, OrderSide.BUY, Decimal(2),
    )  # fmt: skip
    assert Ticket(order, None).now == 0  # no context: no clock


def test_a_ticket_projects_once_and_shares_the_projection_with_the_context() -> None:
    world = World()
    world.book(BBB, OrderSide.BUY, "3", "100")
    order = limit("T1", AAA, OrderSide.BUY, "2", "99.5")
    world.context.begin()
    ticket = Ticket(order, order.price, None, world.context)
    assert ticket.projected is None
    after = ticket.exposure()
    assert ticket.projected is after and ticket.exposure() is after
    assert exposure(world.context, order, order.price) is after  # what the gate would read
    assert ticket.open_book() is ticket.open_book() is world.context.open_book()
    assert (after.adds, after.after, after.unit, after.position_value) == (
        True, Decimal(2), Decimal("99.5"), Decimal("199.0"),
    )  # fmt: skip


def test_a_reduce_only_ticket_reads_no_open_orders() -> None:
    world = World()
    world.book(AAA, OrderSide.BUY, "3", "100")
    order = Order.market("T1", AAA, OrderSide.SELL, Decimal(1), ts_init=0, reduce_only=True)
    world.context.begin()
    ticket = Ticket(order, Decimal(100), None, world.context)
    assert not ticket.exposure().adds
    assert ticket._book is None


# -- the engine's plans ---------------------------------------------------------------------


def _rules(engine: RiskEngine, strategy: str | None) -> list[str]:
    return [rule for _, rule in engine._plan(strategy)]


def test_a_strategy_without_a_limit_skips_its_check() -> None:
    world = World()
    config = RiskConfig.model_validate({
        "default": {"max_leverage": 2, "order_rate": {"max_orders": 5, "per": "1m"}},
        "strategies": {"free": {"max_leverage": None, "order_rate": None, "price_band": None}},
    })  # fmt: skip
    engine = RiskEngine(
        build_checks(config, world.context), world.last_price, context=world.context
    )
    assert _rules(engine, None) == [
        "duplicate_order", "order_rate", "instrument_filters", "price_band", "pyramiding",
        "max_leverage", "balance",
    ]  # fmt: skip
    assert _rules(engine, "free") == [
        "duplicate_order", "instrument_filters", "pyramiding", "balance",
    ]  # fmt: skip


def test_limits_off_that_used_to_project_the_order_still_do() -> None:
    world = World()
    config = RiskConfig.model_validate({
        "default": {"max_position_notional": 500, "max_gross_exposure": 1_000},
        "strategies": {"free": {"max_position_notional": None, "max_gross_exposure": None}},
    })  # fmt: skip
    for check in (PositionSize(config, world.context), TotalExposure(config, world.context)):
        assert check.verdict_for("free", world.context) is exposure_only
        assert check.verdict_for(None, world.context) is not exposure_only


def test_a_check_on_another_context_reads_its_own() -> None:
    world, other = World(), World()
    other.book(AAA, OrderSide.BUY, "5", "100")
    config = _config(max_position_quantity={"AAA/USD": 6})
    check = PositionSize(config, other.context)
    order = limit("T1", AAA, OrderSide.BUY, "2", "100")
    verdict = check.verdict_for(None, world.context)
    assert verdict is not None
    world.context.begin()
    other.context.begin()
    assert verdict(Ticket(order, order.price, None, world.context)) == (
        "max position quantity: 7 AAA/USD would exceed 6"
    )


def test_the_engine_refuses_as_the_checks_reasons_do() -> None:
    """A random session: the engine's first refusal is the first reason of the checks asked
    one by one, for every order."""
    world, rng = World(), random.Random(7)
    config = _config(
        max_position_notional=600, max_gross_exposure=1_500, max_open_positions=2,
        price_band=0.05, duplicate_window="1m", allow_pyramiding=False,
    )  # fmt: skip
    checks = build_checks(config, world.context)
    engine = RiskEngine(checks, world.last_price, context=world.context)
    seen = set()
    for n in range(300):
        world.prices[rng.choice([AAA, BBB, CCC])] = rng.uniform(90, 110)
        if rng.random() < 0.2:
            world.book(rng.choice([AAA, BBB]), OrderSide.BUY, "1", "100")
        side = rng.choice([OrderSide.BUY, OrderSide.SELL])
        order = limit(f"R{n}", rng.choice([AAA, BBB, CCC]), side, str(rng.randint(1, 6)), "100")
        world.context.clock.set_time(n * 20_000_000_000)  # type: ignore[attr-defined]
        expected = ""
        for check in checks:
            world.context.begin()
            expected = check.reason(order, order.price, None)
            if expected:
                break
        assert engine.check(order) == expected
        seen.add(expected.split(":")[0])
    assert len(seen) >= 5


# -- balance: the shared book ---------------------------------------------------------------


def test_the_balance_check_reads_the_same_through_the_engine_and_alone() -> None:
    world = World()
    world.submit(limit("R1", BBB, OrderSide.BUY, "900", "100"))  # reserves 90,000 of 100,000
    shared = BalanceCheck(
        world.instruments, world.portfolio, world.context.open_orders, context=world.context
    )
    alone = BalanceCheck(world.instruments, world.portfolio, world.context.open_orders)
    engine = RiskEngine([shared], world.last_price, context=world.context)

    def both(cid: str) -> tuple[str, str]:
        order = limit(cid, AAA, OrderSide.BUY, "100", "100")
        return engine.check(order), alone.reason(order, order.price, None)

    assert both("B1") == ("", "")
    world.fill(world.open[0], "1")  # cash and reserve both 100 lower: as free as before
    assert both("B2") == ("", "")
    world.book(CCC, OrderSide.BUY, "1", "1")  # only the cash changes
    refused = "insufficient USD: order needs 10000.00000000, free 9999.00000000"
    assert both("B3") == (refused, refused)
    world.open.clear()  # the book changes
    assert both("B4") == ("", "")


# -- the trading hours' spans ---------------------------------------------------------------


def _inside(windows: tuple[_Window, ...], now: int) -> bool:
    day, second = (now // DAY + 3) % 7, (now % DAY) // 1_000_000_000
    return any(w.contains(day, second) for w in windows)


def test_the_trading_hours_span_is_the_answer_at_every_instant() -> None:
    rng = random.Random(3)
    windows = tuple(
        _Window.of(TradingWindow(start=time(*start), end=time(*end), days=days))
        for start, end, days in (
            ((8, 0), (12, 30), ("mon", "tue", "wed")),
            ((22, 0), (6, 0), ("fri",)),
            ((0, 0), (0, 0), ("sun",)),
            ((12, 30), (12, 30, 1), ("thu",)),
        )
    )  # fmt: skip
    hours = _Hours(windows)
    edges = [0, 8 * 3600, 12 * 3600 + 1800, 12 * 3600 + 1801, 22 * 3600, 6 * 3600]
    now = 1_700_000_000 * 1_000_000_000
    for _ in range(4_000):  # forward and back, across edges and days
        if rng.random() < 0.5:
            base = now - now % DAY + rng.choice(edges) * 1_000_000_000
            now = base + rng.choice([-1, 0, 1, 999_999_999])
        else:
            now += rng.randint(-3 * DAY, 3 * DAY)
        assert hours.inside(now) == _inside(windows, now)


# -- the correlation row's peaks -------------------------------------------------------------


def test_the_peaks_are_the_highest_signed_coefficients() -> None:
    holdings = ((AAA, Decimal(2)), (BBB, Decimal(-1)), (CCC, Decimal(3)))
    assert _peaks(holdings, [0.5, 0.9, -0.2]) == (0.5, 0.9)  # a sell hedges the short
    assert _peaks(holdings, [math.nan, -0.9, math.nan]) == (0.9, -0.9)
    assert _peaks(holdings, [math.nan] * 3) == (-math.inf, -math.inf)
    assert _peaks((), []) == (-math.inf, -math.inf)


# -- the duplicate check's recent sends -------------------------------------------------------


def test_recent_sends_compare_quantities_then_keep_them_by_quantity() -> None:
    recent, terms = _Recent(), ("s", AAA, OrderSide.BUY)
    for n in range(40):  # past _CROWDED: kept in a dictionary
        recent.put(terms, Decimal(n), n, f"C{n}")
        assert recent.get(terms, Decimal(f"{n}.000")) == [Decimal(n), n, f"C{n}"]
    recent.put(terms, Decimal("3.0"), 100, "again")
    assert recent.get(terms, Decimal(3)) == [Decimal(3), 100, "again"]
    recent.drop(terms, Decimal(3), 3)  # an older send: the later one stays
    assert recent.get(terms, Decimal(3)) == [Decimal(3), 100, "again"]
    for n in range(40):
        recent.drop(terms, Decimal(n), 100 if n == 3 else n)
    assert recent.get(terms, Decimal(3)) is None
    assert recent._by_terms == {terms: {}}  # the terms stay, their sends go


def test_a_duplicate_among_many_quantities_is_refused_within_the_window() -> None:
    world = World()
    clock = world.context.clock
    assert isinstance(clock, TestClock)
    check = DuplicateOrder(_config(duplicate_window="1m"), world.context)
    for n in range(30):
        clock.set_time(n * 1_000_000_000)
        order = Order.market(f"D{n}", AAA, OrderSide.BUY, Decimal(n + 1), ts_init=0)
        assert check.reason(order, None, None) == ""
        check.record(order)
    clock.set_time(65_000_000_000)
    assert (
        check.reason(Order.market("X", AAA, OrderSide.BUY, Decimal(3), ts_init=0), None, None) == ""
    )
    assert (
        check.reason(Order.market("Y", AAA, OrderSide.BUY, Decimal("10.0"), ts_init=0), None, None)
        == "duplicate order: BUY 10.0 AAA/USD repeats D9 sent 56s ago, within the 1m window"
    )


# -- the exact figures -------------------------------------------------------------------------


def test_the_figures_are_the_exact_properties_at_once() -> None:
    world = World()
    world.book(BBB, OrderSide.BUY, "3", "100")
    world.book(CCC, OrderSide.SELL, "1", "100")
    world.prices[BBB], world.prices[CCC] = 101.25, 99.5
    order = limit("F1", AAA, OrderSide.BUY, "2", "99.5")
    world.context.begin()
    after = exposure(world.context, order, order.price)
    assert not after.valued  # nothing needed them yet
    assert after.figures() == (
        after.equity, after.position_value, after.gross, after.net,
    ) == (Decimal("100004.25"), Decimal("199.0"), Decimal("602.25"), Decimal("403.25"))  # fmt: skip
    assert after.valued
    world.context.begin()
    again = exposure(world.context, limit("F2", AAA, OrderSide.BUY, "1", "99"), Decimal(99))
    assert again.valued  # the same view: read at once, no estimate needed


def test_a_prepared_view_has_the_exact_figures_of_the_symbols_ordered_lately() -> None:
    world = World()
    world.book(BBB, OrderSide.BUY, "3", "100")
    PositionSize(_config(max_position_pct_equity=0.5), world.context)  # registers the step
    world.context.begin()
    assert not exposure(world.context, limit("P1", AAA, OrderSide.BUY, "1", "100"), None).valued
    world.prices[BBB] = 103.0  # a new bar's close
    world.context.clock.set_time(3_600_000_000_000)  # type: ignore[attr-defined]
    world.context.prepare()
    world.context.begin()
    after = exposure(world.context, limit("P2", AAA, OrderSide.BUY, "1", "100"), None)
    assert after.valued
    assert after.equity == Decimal(100_000 - 300 + 309)
    world.context.begin()  # a symbol not ordered lately: its figures wait for a need
    assert not exposure(world.context, limit("P3", CCC, OrderSide.BUY, "1", "100"), None).valued
