"""The gate's preparation at a bar's close (:meth:`RiskEngine.prepare`) changes when the work
is done, never what an order is told.

A random session moves bars, prices, fills and open orders, prepares one gate at every bar
(symbol by symbol or all at once) and leaves a second one lazy; at every order each check's
reason through either gate equals the reason of checks built from scratch. Then: an order
after a prepared bar works nothing out again; what is prepared and for how long; and real
backtests give the same orders and refusals with the kernel's preparation and without it.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import pytest

from tests.backtest.helpers import bars, instrument
from tests.risk.helpers import OK, outcomes, rejections, sample_bars
from tests.risk.test_risk_caching import SYMBOLS, World, limit
from tradeforge.backtest import Backtest, BacktestResult
from tradeforge.backtest import engine as backtest_engine
from tradeforge.data.replay import BarSeries
from tradeforge.model.enums import OrderSide
from tradeforge.model.orders import Order
from tradeforge.model.symbol import Symbol
from tradeforge.model.values import Money
from tradeforge.portfolio.portfolio import AccountKind, PortfolioError
from tradeforge.risk import account_view
from tradeforge.risk.build import build_checks
from tradeforge.risk.checks import Correlation, DailyLoss, DayStartEquity, TradingHours
from tradeforge.risk.checks import market as checks_market
from tradeforge.risk.checks.account import NANOS_PER_DAY
from tradeforge.risk.context import BarHistory, RiskContext
from tradeforge.risk.engine import RiskEngine
from tradeforge.risk.limits import RiskConfig
from tradeforge.strategy import Strategy

AAA, BBB, CCC, DDD = SYMBOLS
MINUTE = 60_000_000_000
HOUR = 60 * MINUTE
LIMITS: dict[str, Any] = {
    "allow_pyramiding": True,
    "daily_loss_limit": 0.004,
    "max_position_pct_equity": 0.03,
    "max_gross_exposure": 9_000,
    "max_net_exposure": 6_000,
    "max_leverage": 0.08,
    "max_open_positions": 3,
    "max_correlation": 0.4,
    "correlation_lookback": 24,
    "price_band": 0.04,
    "allowed_symbols": [str(s) for s in SYMBOLS[:3]],
    "trading_hours": [{"start": "02:00", "end": "23:00"}],
}


def _config(**limits: Any) -> RiskConfig:
    return RiskConfig.model_validate({"default": {**LIMITS, **limits}})


def _walks(rng: np.random.Generator, count: int) -> list[BarSeries]:
    """Hourly closes of the four symbols, partly driven by one common factor (so that some
    pairs correlate and some do not)."""
    common = rng.normal(0, 0.01, count)
    made = []
    for symbol, weight in zip(SYMBOLS, (1.0, 0.9, -0.6, 0.1), strict=True):
        closes = np.round(100 * np.cumprod(1 + weight * common + rng.normal(0, 0.006, count)), 2)
        made.append(BarSeries.from_frame(symbol, bars(*[(c, c, c, c) for c in closes])))
    return made


class Session:
    """A world over bar series, a prepared gate and a lazy one on it."""

    def __init__(self, account: AccountKind, config: RiskConfig, count: int = 240) -> None:
        self.series = _walks(np.random.default_rng(3), count)
        self.world = World(account, history=BarHistory(self.series))
        self.config = config
        self.prepared = self.world.context
        self.lazy = self._context()
        self.engine = RiskEngine(
            build_checks(config, self.prepared), self.world.last_price, context=self.prepared
        )
        self.lazy_checks = build_checks(config, self.lazy)
        self.clock = self.world.context.clock
        self.trades = 0

    def _context(self) -> RiskContext:
        world = self.world
        return RiskContext(
            world.portfolio, world.context.clock, world.instruments, lambda: world.open,
            world.last_price, history=world.context.history,
        )  # fmt: skip

    def reveal(self, i: int, symbol: Symbol) -> None:
        """Bar ``i`` of ``symbol`` closes: its cursor, its last price, the clock."""
        series = self.series[SYMBOLS.index(symbol)]
        series.cursor.i = i
        self.world.prices[symbol] = float(series.close[i])
        self.clock.set_time(int(series.ts_close[i]))  # type: ignore[attr-defined]

    def trade(self, symbol: Symbol, side: OrderSide, qty: str) -> None:
        """A fill booked now (after the bar's close, as every fill in a session)."""
        self.trades += 1
        price = Decimal(repr(self.world.prices[symbol]))
        self.world.portfolio.book_fill(
            symbol, side is OrderSide.BUY, Decimal(qty), price, Money(Decimal(0), "USD"),
            self.clock.timestamp_ns(), f"S{self.trades}",
        )  # fmt: skip

    def reasons(self, order: Order) -> list[list[str]]:
        """Each check's reason for ``order``: prepared gate, lazy gate, from scratch."""
        fresh = self._context()
        got = []
        for context, checks in (
            (self.prepared, self.engine.checks),
            (self.lazy, self.lazy_checks),
            (fresh, build_checks(self.config, fresh)),
        ):
            got.append([_reason(context, check, order) for check in checks])
        return got


def _reason(context: RiskContext, check: Any, order: Order) -> str:
    """The check's reason, valued as the engine values an order (or the error)."""
    context.begin()
    price = order.price or context.price(order.symbol)
    try:
        return str(check.reason(order, price, None))
    except PortfolioError as error:
        return f"PortfolioError: {error}"


def _mutate(session: Session, rng: random.Random, n: int) -> None:
    """A change after the bar's close: a fill, a price tick, an order submitted, partly
    filled, amended or canceled."""
    world, symbol = session.world, rng.choice(SYMBOLS)
    side = rng.choice((OrderSide.BUY, OrderSide.SELL))
    qty = f"{rng.randint(1, 30)}"
    kind = rng.randrange(6)
    if kind == 0:
        session.trade(symbol, side, qty)
    elif kind == 1:
        last = world.prices[symbol]
        assert last is not None
        world.prices[symbol] = round(last * rng.uniform(0.98, 1.02), 4)
    elif kind == 2:
        last = world.prices[symbol]
        assert last is not None
        world.submit(limit(f"O{n}", symbol, side, qty, f"{last * 0.97:.2f}"))
    elif kind == 3 and world.open:
        world.open.remove(rng.choice(world.open))
    elif kind == 4 and world.open:
        order = rng.choice(world.open)
        world.fill(order, f"{min(order.quantity - order.filled_qty, Decimal(1))}")
    elif kind == 5 and world.open:
        order = rng.choice(world.open)
        world.amend(order, f"{order.filled_qty + Decimal(qty)}")


def _candidate(session: Session, rng: random.Random, n: int) -> Order:
    symbol = rng.choice(SYMBOLS)
    side = rng.choice((OrderSide.BUY, OrderSide.BUY, OrderSide.SELL))
    qty = Decimal(rng.choice((1, 2, 5, 10, 25)))
    if rng.random() < 0.5:
        return Order.market(f"C{n}", symbol, side, qty, ts_init=0)
    last = session.world.prices[symbol]
    assert last is not None
    return limit(f"C{n}", symbol, side, str(qty), f"{last * rng.uniform(0.93, 1.01):.2f}")


@pytest.mark.parametrize("account", ["cash", "margin"])
@pytest.mark.parametrize("within", [256, 1])
def test_every_check_tells_a_prepared_gate_what_it_tells_a_lazy_one_and_a_fresh_one(
    account: AccountKind, within: int
) -> None:
    session, rng = Session(account, _config()), random.Random(29)
    for i in range(30):
        for symbol in SYMBOLS:
            session.reveal(i, symbol)
    for symbol, side in ((AAA, OrderSide.BUY), (BBB, OrderSide.BUY), (CCC, OrderSide.SELL)):
        session.trade(symbol, side, "20")
    refused: set[str] = set()
    compared = 0
    for i in range(30, 240):
        if i % 3:  # bar by bar, each symbol's close prepared at once (a merged replay)
            for symbol in rng.sample(SYMBOLS, 4):
                session.reveal(i, symbol)
                session.engine.prepare(symbol, within)
        else:  # every close first, then one preparation (a batch of bars)
            for symbol in SYMBOLS:
                session.reveal(i, symbol)
            session.engine.prepare(None, within)
        session.clock.set_time(session.clock.timestamp_ns() + rng.randint(1, 50) * MINUTE)  # type: ignore[attr-defined]
        if rng.random() < 0.5:
            _mutate(session, rng, i)
        for k in range(rng.randint(0, 3)):  # no order at some bars: what was read ages
            order = _candidate(session, rng, i * 4 + k)
            prepared, lazy, fresh = session.reasons(order)
            assert prepared == fresh, (i, order)
            assert lazy == fresh, (i, order)
            refused |= {reason.split(":")[0] for reason in fresh if reason}
            compared += 1
    assert compared > 250
    assert {
        "daily loss limit", "max position % of equity", "max gross exposure", "max leverage",
        "correlation limit", "price band", "symbol not allowed", "trading hours",
    } <= refused  # fmt: skip


# -- what an order after a prepared bar still works out -------------------------------------


class _Counting:
    """Counts the account's revaluations and the correlation coefficients computed."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.views = self.coefficients = 0
        view_init = account_view.AccountView.__init__
        kernel = checks_market._correlation_at

        def counted_view(view: Any, *args: Any) -> None:
            self.views += 1
            view_init(view, *args)

        def counted_kernel(*args: Any) -> float:
            self.coefficients += 1
            return float(kernel(*args))

        monkeypatch.setattr(account_view.AccountView, "__init__", counted_view)
        monkeypatch.setattr(checks_market, "_correlation_at", counted_kernel)

    def reset(self) -> tuple[int, int]:
        counted = self.views, self.coefficients
        self.views = self.coefficients = 0
        return counted


PASSING = _config(
    allowed_symbols=None, trading_hours=None, daily_loss_limit=0.5, max_leverage=5,
    max_gross_exposure=10**9, max_net_exposure=10**9, max_position_pct_equity=1,
    max_open_positions=10, max_correlation=0.999,
)  # fmt: skip
"""Every limit set, none near: the entries below pass."""


def _entry(cid: str) -> Order:
    return Order.market(cid, DDD, OrderSide.BUY, Decimal(1), ts_init=0)


def test_an_order_after_a_prepared_bar_revalues_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    session = Session("cash", PASSING)
    for i in range(40):
        for symbol in SYMBOLS:
            session.reveal(i, symbol)
    session.trade(AAA, OrderSide.BUY, "10")
    session.trade(CCC, OrderSide.SELL, "10")
    counting = _Counting(monkeypatch)
    assert session.engine.check(_entry("first")) == ""
    assert counting.reset() == (1, 2)  # the first order pays: nothing was prepared
    for i in range(40, 60):
        for symbol in SYMBOLS:
            session.reveal(i, symbol)
            session.engine.prepare(symbol)
        # the view at AAA's and CCC's new prices; a pair again at either symbol's close
        assert counting.reset() == (2, 4)
        assert session.engine.check(_entry(f"E{i}")) == ""
        assert counting.reset() == (0, 0), i  # the bar was the kernel's work
    session.trade(BBB, OrderSide.BUY, "1")  # after the bar: the order sees it at once
    assert session.engine.check(_entry("after a fill")) == ""
    assert counting.reset() == (1, 3)


def test_without_an_order_lately_nothing_is_prepared(monkeypatch: pytest.MonkeyPatch) -> None:
    session = Session("cash", PASSING)
    for i in range(40):
        for symbol in SYMBOLS:
            session.reveal(i, symbol)
    session.trade(AAA, OrderSide.BUY, "10")
    counting = _Counting(monkeypatch)
    for i, within in ((40, 1), (41, 1), (42, 1), (43, 256)):
        for symbol in SYMBOLS:
            session.reveal(i, symbol)
        session.engine.prepare(None, within)
        if i == 40:
            assert counting.reset() == (0, 0)  # no order was ever checked
            assert session.engine.check(_entry("E40")) == ""
            counting.reset()
        elif i == 41:
            assert counting.reset() == (1, 1)  # one bar after the order
        elif i == 42:
            assert counting.reset() == (0, 0)  # two bars: not within 1
        else:
            assert counting.reset() == (1, 1)  # within 256: the row and the view
    assert session.engine.check(_entry("E43")) == ""
    assert counting.reset() == (0, 0)


NOT_PER_BAR = {"allow_pyramiding": True, "price_band": None}
"""What the default limits check that a bar makes stale, turned off."""


def test_a_gate_without_per_bar_state_has_nothing_to_prepare() -> None:
    world = World()
    assert not RiskEngine(build_checks(None, world.context), world.last_price).prepares
    engine = RiskEngine(build_checks(None, world.context), world.last_price, context=world.context)
    assert not engine.prepares
    engine.prepare()  # does nothing
    plain = RiskConfig.model_validate({"default": {"duplicate_window": "1m", **NOT_PER_BAR}})
    other = World()
    assert not RiskEngine(
        build_checks(plain, other.context), other.last_price, context=other.context
    ).prepares
    for limits in ({"price_band": 0.1}, {"max_leverage": 2}, {"allow_pyramiding": False}):
        config = RiskConfig.model_validate({"default": limits})
        fresh = World()
        checks = build_checks(config, fresh.context)
        assert RiskEngine(checks, fresh.last_price, context=fresh.context).prepares


# -- the start-of-day equity ------------------------------------------------------------------


def _midnight_session() -> tuple[Session, DailyLoss, DailyLoss]:
    """A session at 23:00 on its first day, long AAA and BBB, with an order checked (so the
    gate prepares); the prepared gate's daily loss check and the lazy one's."""
    session = Session("margin", _config())
    daily = next(c for c in session.engine.checks if isinstance(c, DailyLoss))
    lazy = next(c for c in session.lazy_checks if isinstance(c, DailyLoss))
    for i in range(23):  # bar 22 closes at 23:00 on the first day
        for symbol in SYMBOLS:
            session.reveal(i, symbol)
    session.trade(AAA, OrderSide.BUY, "30")
    session.trade(BBB, OrderSide.BUY, "20")
    _reason(session.prepared, daily, _entry("day one"))
    _reason(session.lazy, lazy, _entry("day one"))
    return session, daily, lazy


def _fresh_day_start(session: Session) -> Decimal:
    """The start-of-day equity worked out from scratch now."""
    history = session.prepared.history
    assert history is not None
    return DayStartEquity(session._context(), history).at(session.clock.timestamp_ns())


def _fill_above_the_close(session: Session) -> None:
    """A buy of AAA booked now at 2 % above its last close (the day's start values it
    lower than it cost)."""
    close = session.world.prices[AAA]
    assert close is not None
    session.world.prices[AAA] = round(close * 1.02, 2)
    session.trade(AAA, OrderSide.BUY, "5")
    session.world.prices[AAA] = close


def _midnight(session: Session, symbols: tuple[Symbol, ...], at: int = 23) -> None:
    """Bar ``at`` of ``symbols`` closes (bar 23: at 00:00 of the second day), each prepared."""
    for symbol in symbols:
        session.reveal(at, symbol)
        session.engine.prepare(symbol)


def test_the_start_of_day_equity_is_prepared_at_midnight_as_a_provisional_figure() -> None:
    session, daily, lazy = _midnight_session()
    day_start = daily._start
    _midnight(session, (AAA,))  # BBB's 00:00 bar is still to come
    partial = _fresh_day_start(session)
    assert day_start._equity == partial  # BBB valued at its 23:00 close, for now
    assert day_start._provisional is not None
    _midnight(session, (BBB, CCC, DDD))  # read again: BBB's close moved
    complete = _fresh_day_start(session)
    assert complete != partial
    assert day_start._equity == complete
    assert day_start._provisional is not None  # a fill booked at 00:00 may still come
    _fill_above_the_close(session)  # booked at 00:00: it counts for the new day
    with_fill = _fresh_day_start(session)
    assert with_fill != complete
    _reason(session.prepared, daily, _entry("day two"))  # the day's first order
    _reason(session.lazy, lazy, _entry("day two"))
    assert day_start._equity == lazy._start._equity == with_fill
    assert day_start._provisional is None  # fixed for the day
    session.trade(BBB, OrderSide.SELL, "20")  # later fills belong to the day, not its start
    session.reveal(24, AAA)
    session.engine.prepare(AAA)
    assert day_start._equity == with_fill


def test_an_order_between_two_midnight_bars_fixes_the_day_start_as_it_would_unprepared() -> None:
    session, daily, lazy = _midnight_session()
    _midnight(session, (AAA,))
    partial = _fresh_day_start(session)
    _reason(session.prepared, daily, _entry("at midnight"))  # before BBB's 00:00 bar
    _reason(session.lazy, lazy, _entry("at midnight"))
    _midnight(session, (BBB, CCC, DDD))
    for symbol in SYMBOLS:  # 01:00: nothing moves the day's figure again
        session.reveal(24, symbol)
        session.engine.prepare(symbol)
    _reason(session.prepared, daily, _entry("at one"))
    _reason(session.lazy, lazy, _entry("at one"))
    assert daily._start._equity == lazy._start._equity == partial != _fresh_day_start(session)


def test_the_start_of_day_equity_is_fixed_at_the_first_close_after_midnight() -> None:
    session, daily, lazy = _midnight_session()
    day_start = daily._start
    _midnight(session, SYMBOLS)
    _fill_above_the_close(session)  # booked at 00:00
    session.reveal(24, AAA)  # 01:00: every 00:00 bar and fill has come
    session.engine.prepare(AAA)
    expected = _fresh_day_start(session)
    assert (day_start._equity, day_start._provisional) == (expected, None)
    _reason(session.lazy, lazy, _entry("at one"))
    assert lazy._start._equity == expected


def test_whether_the_clock_is_inside_the_trading_hours_is_read_at_the_bar_close() -> None:
    session = Session("cash", _config())  # entries from 02:00 to 23:00
    hours = next(c for c in session.engine.checks if isinstance(c, TradingHours))
    for symbol in SYMBOLS:  # bar 0 closes at 01:00 on the first day
        session.reveal(0, symbol)
    entry = Order.market("at one", AAA, OrderSide.BUY, Decimal(1), ts_init=0)
    assert session.engine.check(entry).startswith("trading hours: ")
    [window] = hours._hours
    day = session.clock.timestamp_ns() // NANOS_PER_DAY * NANOS_PER_DAY
    assert (window.since, window.until, window.inside_now) == (day, day + 2 * HOUR, False)
    _midnight(session, SYMBOLS[:1], at=1)  # 02:00: the window opens
    assert (window.since, window.until, window.inside_now) == (
        day + 2 * HOUR,
        day + 23 * HOUR,
        True,
    )


# -- real backtests: the kernel prepares, the outcome is the same ------------------------------


def _trader(symbols: list[str], every: int) -> type[Strategy]:
    """Entries (market and limit, sizes from small to too large) and exits on the last
    symbol's bars, every ``every`` bars, chosen by a seeded generator."""

    def on_bar(self: Strategy, bar: Any) -> None:
        if str(bar.symbol) != symbols[-1] or bar.index % every:
            return
        rng = random.Random(bar.index)
        symbol = rng.choice(symbols)
        last = float(self.data(symbol).close[-1])
        if self.position(symbol).quantity and rng.random() < 0.4:
            self.close_position(symbol)
            return
        qty = round(rng.choice((2_000, 8_000, 20_000, 40_000)) / last, 3) or 1
        if rng.random() < 0.5:
            self.buy(qty, symbol=symbol)
        else:
            self.buy(qty, symbol=symbol, limit=last * rng.choice((0.99, 0.9)))

    return type("Trader", (Strategy,), {"on_bar": on_bar})


def _backtest(
    data: dict[str, pd.DataFrame], every: int, risk: dict[str, Any], prepared: bool
) -> tuple[BacktestResult, int]:
    """The run, and how many times the kernel prepared the gate."""
    calls = [0]
    kernel = backtest_engine._preparation

    def counted(execution: Any) -> Callable[[Symbol], None] | None:
        prepare = kernel(execution)
        if prepare is None or not prepared:
            return None

        def call(symbol: Symbol) -> None:
            calls[0] += 1
            prepare(symbol)

        return call

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(backtest_engine, "_preparation", counted)
        symbols = list(data)
        frames: dict[str | Symbol, pd.DataFrame] = {s: f for s, f in data.items()}
        result = Backtest(
            frames, _trader(symbols, every), cash=100_000, risk=risk,
            instruments=[instrument(s, tick="0.00001", step="0.001") for s in symbols],
        ).run()  # fmt: skip
    return result, calls[0]


_RUN_LIMITS = {
    "default": {
        "max_correlation": 0.6, "correlation_lookback": 48, "daily_loss_limit": 0.02,
        "max_position_pct_equity": 0.3, "max_gross_exposure": 60_000, "max_open_positions": 3,
        "price_band": 0.05, "max_leverage": 1.5,
    }
}  # fmt: skip


@pytest.mark.parametrize("every", [1, 3])
def test_a_backtest_over_several_symbols_refuses_the_same_orders_prepared_or_not(
    every: int,
) -> None:
    pairs = ("BTC/USDT", "ETH/USDT", "SOL/USDT", "DOGE/USDT")
    data = {p: sample_bars(p, "2021-01-01", "2021-02-15") for p in pairs}
    prepared, calls = _backtest(data, every, _RUN_LIMITS, prepared=True)
    lazy, none = _backtest(data, every, _RUN_LIMITS, prepared=False)
    assert calls == prepared.run.bars_processed and none == 0  # every bar of every symbol
    assert outcomes(prepared) == outcomes(lazy)
    assert [(r.ts, r.client_order_id, r.rule, r.reason) for r in rejections(prepared)] == [
        (r.ts, r.client_order_id, r.rule, r.reason) for r in rejections(lazy)
    ]
    assert prepared.run.portfolio.equity() == lazy.run.portfolio.equity()
    rules = {r.rule for r in rejections(prepared)}
    assert {"correlation_limit", "daily_loss_limit", "max_total_exposure", "price_band"} <= rules
    assert sum(reason == OK for _, reason in outcomes(prepared)) > 20


def test_a_backtest_of_one_series_refuses_the_same_orders_prepared_or_not() -> None:
    data = {"BTC/USDT": sample_bars("BTC/USDT", "2021-01-01", "2021-03-01")}
    limits = {"default": {**_RUN_LIMITS["default"], "max_position_pct_equity": 0.15}}
    prepared, calls = _backtest(data, 2, limits, prepared=True)
    lazy, _ = _backtest(data, 2, limits, prepared=False)
    assert calls == prepared.run.bars_processed
    assert outcomes(prepared) == outcomes(lazy)
    assert {r.rule for r in rejections(prepared)} >= {"max_position_size", "price_band"}


def test_a_backtest_without_per_bar_checks_is_not_prepared() -> None:
    data = {"BTC/USDT": sample_bars("BTC/USDT", "2021-01-01", "2021-01-10")}
    rates = {"duplicate_window": "1m", "order_rate": {"max_orders": 5, "per": "1h"}}
    limits = {"default": {**rates, **NOT_PER_BAR}}
    result, calls = _backtest(data, 1, limits, prepared=True)
    assert not result.run.fast_path and result.run.bars_processed > 200
    assert calls == 0


def test_correlation_rows_follow_the_positions_held_when_prepared() -> None:
    session = Session("cash", _config())
    index, check = next(
        (n, c) for n, c in enumerate(session.engine.checks) if isinstance(c, Correlation)
    )
    for i in range(60):
        for symbol in SYMBOLS:
            session.reveal(i, symbol)
    session.trade(AAA, OrderSide.BUY, "1")
    order = Order.market("X", BBB, OrderSide.BUY, Decimal(1), ts_init=0)
    assert _reason(session.prepared, check, order) == session.reasons(order)[2][index]
    session.trade(CCC, OrderSide.BUY, "1")  # a second position joins the row
    for symbol in SYMBOLS:
        session.reveal(60, symbol)
    session.engine.prepare()
    assert [s for s, _ in check._rows[BBB, 24].holdings] == [AAA, CCC]
    again = Order.market("Y", BBB, OrderSide.BUY, Decimal(1), ts_init=0)
    assert _reason(session.prepared, check, again) == session.reasons(again)[2][index]
