"""What the risk gate keeps between orders is never stale.

The account's exposure (:mod:`tradeforge.risk.account_view`), the open orders' book, the
balance check's reserved amounts and the correlation rows are reused while the state they
were computed from holds. Every order must see the state as it is now: just after a fill,
a price change, a new bar, an order submitted, amended, partly filled or canceled.

A random session compares the cached projection with one worked out from scratch at every
order (the projection as it was before the caches), decimal for decimal; then each kind of
change is checked through the reasons the checks give.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from decimal import Decimal

import numpy as np
import pytest
from numba import njit
from numpy.typing import NDArray

from tests.backtest.helpers import bars, instrument
from tradeforge.common.clock import TestClock
from tradeforge.data.replay import BarSeries
from tradeforge.model.enums import LiquiditySide, OrderSide
from tradeforge.model.events import OrderAccepted, OrderFilled, OrderSubmitted, OrderUpdated
from tradeforge.model.orders import Order
from tradeforge.model.symbol import Symbol
from tradeforge.model.values import Money, Quantity
from tradeforge.portfolio.portfolio import AccountKind, Portfolio, PortfolioError
from tradeforge.risk.checks import (
    BalanceCheck,
    Correlation,
    DailyLoss,
    DayStartEquity,
    DuplicateOrder,
    Leverage,
    PositionSize,
    Pyramiding,
    TotalExposure,
)
from tradeforge.risk.checks import account as checks_account
from tradeforge.risk.checks import exposure as checks_exposure
from tradeforge.risk.checks.market import _correlation_at
from tradeforge.risk.checks.venue import InstrumentFilters
from tradeforge.risk.context import BarHistory, RiskContext
from tradeforge.risk.limits import RiskConfig
from tradeforge.risk.projection import Exposure, exposure

SYMBOLS = [Symbol.parse(s) for s in ("AAA/USD", "BBB/USD", "CCC/USD", "DDD/USD")]
AAA, BBB, CCC, DDD = SYMBOLS
_ZERO = Decimal(0)


class World:
    """A portfolio, open orders and last prices that a test changes as the engines would."""

    def __init__(self, account: AccountKind = "cash", history: BarHistory | None = None) -> None:
        sizes = {DDD: Decimal("0.5")}
        instruments = [instrument(str(s), contract_size=sizes.get(s, Decimal(1))) for s in SYMBOLS]
        self.instruments = {i.symbol: i for i in instruments}
        self.portfolio = Portfolio("USD", Decimal(100_000), instruments, account)
        self.prices: dict[Symbol, float | None] = dict.fromkeys(SYMBOLS, 100.0)
        self.portfolio.price_source = self.last_price
        self.open: list[Order] = []
        self.fills = 0
        self.context = RiskContext(
            self.portfolio, TestClock(), self.instruments, lambda: self.open, self.last_price,
            history=history,
        )  # fmt: skip

    def last_price(self, symbol: Symbol) -> float | None:
        return self.prices.get(symbol)

    def book(self, symbol: Symbol, side: OrderSide, qty: str, price: str) -> None:
        """A fill booked in the portfolio (a market order that filled at once)."""
        self.fills += 1
        self.portfolio.book_fill(
            symbol, side is OrderSide.BUY, Decimal(qty), Decimal(price),
            Money(Decimal(0), "USD"), self.fills, f"F{self.fills}",
        )  # fmt: skip

    def submit(self, order: Order) -> Order:
        """``order`` resting at the venue, accepted."""
        cid, symbol = order.client_order_id, order.symbol
        order.apply(OrderSubmitted(ts=0, client_order_id=cid, symbol=symbol))
        order.apply(OrderAccepted(ts=0, client_order_id=cid, symbol=symbol, venue_order_id=cid))
        self.open.append(order)
        return order

    def fill(self, order: Order, qty: str) -> None:
        """A (partial) fill of a resting order, booked in the portfolio."""
        self.fills += 1
        assert order.price is not None
        event = OrderFilled(
            ts=self.fills, client_order_id=order.client_order_id, symbol=order.symbol,
            trade_id=f"T{self.fills}", order_side=order.side, last_qty=Quantity(qty),
            last_price=order.price, fee=Money(Decimal(0), "USD"),
            liquidity_side=LiquiditySide.MAKER,
        )  # fmt: skip
        order.apply(event)
        self.portfolio.apply_fill(event)
        if order.is_closed:
            self.open.remove(order)

    def amend(self, order: Order, qty: str) -> None:
        order.apply(
            OrderUpdated(
                ts=0, client_order_id=order.client_order_id, symbol=order.symbol,
                quantity=Quantity(qty),
            )
        )  # fmt: skip


def limit(cid: str, symbol: Symbol, side: OrderSide, qty: str, price: str, **kw: object) -> Order:
    return Order.limit(cid, symbol, side, Decimal(qty), Decimal(price), ts_init=0, **kw)  # type: ignore[arg-type]


# -- the projection from scratch, as it was before the caches -------------------------------


Figures = tuple[object, ...]
"""adds, same direction, before, after, unit, other gross, other net, other positions,
equity, holdings."""


def from_scratch(context: RiskContext, order: Order, price: Decimal | None) -> Figures:
    """The exposure after ``order``: one pass over the positions, one over the open orders."""
    nothing = (_ZERO, _ZERO)
    pending: dict[Symbol, tuple[Decimal, Decimal]] = {}
    for o in context.open_orders():
        if o.reduce_only:
            continue
        buys, sells = pending.get(o.symbol, nothing)
        leaves = o.quantity - o.filled_qty
        pending[o.symbol] = (
            (buys + leaves, sells) if o.side is OrderSide.BUY else (buys, sells + leaves)
        )
    symbol, portfolio = order.symbol, context.portfolio
    margin = portfolio.account == "margin"
    held, equity, gross, net, count = _ZERO, portfolio.cash, _ZERO, _ZERO, 0
    holdings = []
    for other, position in portfolio.positions().items():
        qty = position.signed_qty
        unit = context.unit_value(other, context.mark(other))
        value = qty * unit
        equity += value - position.basis if margin else value
        if other == symbol:
            held = qty
            continue
        holdings.append((other, qty))
        more = pending.pop(other, None)
        if more is not None:
            value = _worst(qty, *more) * unit
        gross, net, count = gross + abs(value), net + value, count + 1
    buys, sells = pending.pop(symbol, nothing)
    for other, (other_buys, other_sells) in pending.items():
        worst = other_buys if other_buys >= other_sells else -other_sells
        value = worst * context.unit_value(other, context.mark(other))
        gross, net, count = gross + abs(value), net + value, count + 1
    before = _worst(held, buys, sells)
    if order.side is OrderSide.BUY:
        after, same = _worst(held, buys + order.quantity, sells), held > 0 or buys > 0
    else:
        after, same = _worst(held, buys, sells + order.quantity), held < 0 or sells > 0
    at = price if price is not None else context.price(symbol)
    own = None if at is None else context.unit_value(symbol, at)
    return (
        abs(after) > abs(before), same, before, after, own, gross, net, count, equity,
        tuple(holdings),
    )  # fmt: skip


def figures(after: Exposure) -> Figures:
    """The exposure's figures, in :func:`from_scratch`'s order (the exact ones read)."""
    return (
        after.adds, after.same_direction, after.before, after.after, after.unit,
        after.other_gross, after.other_net, after.other_positions, after.equity,
        after.holdings,
    )  # fmt: skip


def _worst(held: Decimal, buys: Decimal, sells: Decimal) -> Decimal:
    up, down = held + buys, held - sells
    return up if abs(up) >= abs(down) else down


def _outcome(make: Callable[[], Figures]) -> tuple[str, ...]:
    """Every field as text (the same decimal, not only an equal one), or the error."""
    try:
        result = make()
    except PortfolioError as error:
        return ("PortfolioError", str(error))
    return tuple(map(str, result))


def _assert_estimated(after: Exposure) -> None:
    """The float estimates are within their tolerance of the exact figures."""
    estimate = after.estimate()
    if estimate is None:
        return
    pairs = [(estimate.equity, after.equity)]
    if after.unit is not None:
        pairs += [(estimate.gross, after.gross), (estimate.net, after.net)]
        pairs += [(estimate.value, after.position_value)]
    for guess, exact in pairs:
        assert exact is not None
        assert abs(Decimal(guess) - exact) <= Decimal(estimate.tolerance)


# -- a random session -----------------------------------------------------------------------


def _step(world: World, rng: random.Random, n: int) -> None:
    """One random change of the world: a fill, a price, an order submitted, partly filled,
    amended or canceled, a mark."""
    symbol, side = rng.choice(SYMBOLS), rng.choice((OrderSide.BUY, OrderSide.SELL))
    qty = f"{rng.randint(1, 40) / 10:.1f}"
    price = f"{rng.randint(50, 150)}.{rng.randint(0, 99):02d}"
    kind = rng.randrange(8)
    if kind == 0:
        world.book(symbol, side, qty, price)
    elif kind == 1:
        world.prices[symbol] = float(price)
    elif kind == 2 and symbol not in world.portfolio.positions():
        world.prices[symbol] = None  # no last price: valued at its last fill
    elif kind == 3:
        world.submit(limit(f"O{n}", symbol, side, qty, price, reduce_only=rng.random() < 0.2))
    elif kind == 4 and world.open:
        world.open.remove(rng.choice(world.open))  # canceled
    elif kind == 5 and world.open:
        order = rng.choice(world.open)
        world.fill(order, f"{min(order.quantity - order.filled_qty, Decimal('0.5'))}")
    elif kind == 6 and world.open:
        order = rng.choice(world.open)
        world.amend(order, f"{order.filled_qty + Decimal(qty)}")
    elif kind == 7:
        world.portfolio.mark(symbol, Decimal(price))


def _candidate(world: World, rng: random.Random, n: int) -> tuple[Order, Decimal | None]:
    symbol, side = rng.choice(SYMBOLS), rng.choice((OrderSide.BUY, OrderSide.SELL))
    qty = Decimal(rng.randint(1, 30)) / 10
    if rng.random() < 0.5:
        order = Order.market(f"C{n}", symbol, side, qty, ts_init=0)
        last = world.last_price(symbol)
        return order, None if last is None else Decimal(repr(last))
    order = limit(f"C{n}", symbol, side, str(qty), f"{rng.randint(50, 150)}.5")
    return order, order.price


@pytest.mark.parametrize("account", ["cash", "margin"])
def test_the_kept_projection_is_the_projection_from_scratch_at_every_order(
    account: AccountKind,
) -> None:
    world, rng = World(account), random.Random(7)
    world.book(AAA, OrderSide.BUY, "1", "100")
    checked = 0
    for n in range(600):
        _step(world, rng, n)
        for k in range(3):  # several orders in one state: the kept view serves them
            order, price = _candidate(world, rng, n * 3 + k)
            world.context.begin()
            got = _outcome(lambda: figures(exposure(world.context, order, price)))  # noqa: B023
            assert got == _outcome(lambda: from_scratch(world.context, order, price))  # noqa: B023
            if got[0] != "PortfolioError":
                _assert_estimated(exposure(world.context, order, price))
                checked += 1
    assert checked > 1_500


# -- each change, through the checks' reasons -----------------------------------------------


def _config(**limits: object) -> RiskConfig:
    return RiskConfig.model_validate({"default": {"allow_pyramiding": True, **limits}})


def _reason(world: World, check: object, order: Order, price: Decimal | None = None) -> str:
    world.context.begin()  # as the risk engine does before each order
    at = (
        price
        if price is not None
        else (order.price or Decimal(repr(world.last_price(order.symbol))))
    )
    return check.reason(order, at, None)  # type: ignore[attr-defined, no-any-return]


def test_an_order_just_after_a_fill_sees_the_position() -> None:
    world = World()
    check = Pyramiding(_config(allow_pyramiding=False), world.context)
    buy = Order.market("A", AAA, OrderSide.BUY, Decimal(1), ts_init=0)
    assert _reason(world, check, buy) == ""
    world.book(AAA, OrderSide.BUY, "1", "100")  # nothing else changes: no bar, same price
    again = Order.market("B", AAA, OrderSide.BUY, Decimal(1), ts_init=0)
    assert _reason(world, check, again) == (
        "pyramiding: BUY 1 would add to the long 1 AAA/USD (position and open entry orders); "
        "allow_pyramiding is off"
    )


def test_a_new_price_revalues_the_positions() -> None:
    world = World()
    check = PositionSize(_config(max_position_notional=1_000), world.context)
    world.book(AAA, OrderSide.BUY, "9", "100")
    more = limit("A", AAA, OrderSide.BUY, "0.5", "100")
    assert _reason(world, check, more) == ""  # 9.5 x 100 = 950
    world.prices[AAA] = 120.0  # the limit's own price values the order's symbol: unchanged
    assert _reason(world, check, limit("B", AAA, OrderSide.BUY, "0.5", "100")) == ""
    other = PositionSize(_config(max_position_pct_equity=0.01), world.context)
    world.prices[AAA] = 100.0
    small = limit("C", BBB, OrderSide.BUY, "9.99", "100")  # 999 of equity 100,000
    assert _reason(world, other, small) == ""
    world.prices[AAA] = 10.0  # equity 100,000 - 900 + 90 = 99,190: 999 is now above 1 %
    assert _reason(world, other, limit("D", BBB, OrderSide.BUY, "9.99", "100")) == (
        "max position % of equity: 999.00 USD is 1.01% of equity 99,190.00 USD, above 1%"
    )


def test_a_symbol_without_a_price_follows_its_valuation_price() -> None:
    world = World()
    check = PositionSize(_config(max_position_pct_equity=0.5), world.context)
    world.book(AAA, OrderSide.BUY, "100", "100")  # cash 90,000; AAA worth 10,000
    world.prices[AAA] = None  # valued at its last fill, then at the portfolio's mark
    order = limit("A", BBB, OrderSide.BUY, "500", "100")  # 50,000: at most half of equity
    assert _reason(world, check, order) == ""
    world.portfolio.mark(AAA, Decimal(1))  # equity 90,100: 50,000 is above half
    assert _reason(world, check, limit("B", BBB, OrderSide.BUY, "500", "100")) == (
        "max position % of equity: 50,000.00 USD is 55.49% of equity 90,100.00 USD, above 50%"
    )


def test_orders_submitted_amended_partly_filled_and_canceled_count_at_once() -> None:
    world = World()
    check = Pyramiding(_config(allow_pyramiding=False), world.context)
    first = limit("A", AAA, OrderSide.BUY, "2", "90")
    assert _reason(world, check, first) == ""
    world.submit(first)
    refused = (
        "pyramiding: BUY 1 would add to the long {} AAA/USD (position and open entry orders); "
        "allow_pyramiding is off"
    )
    assert _reason(world, check, limit("B", AAA, OrderSide.BUY, "1", "90")) == refused.format(2)
    world.amend(first, "3")
    assert _reason(world, check, limit("C", AAA, OrderSide.BUY, "1", "90")) == refused.format(3)
    world.fill(first, "1")  # 1 held, 2 to buy: the worst position is still 3
    assert _reason(world, check, limit("D", AAA, OrderSide.BUY, "1", "90")) == refused.format(3)
    world.open.remove(first)  # canceled: the position of 1 remains
    assert _reason(world, check, limit("E", AAA, OrderSide.BUY, "1", "90")) == refused.format(1)


def test_the_balance_check_sees_every_change_of_the_open_orders() -> None:
    world = World()
    check = BalanceCheck(world.instruments, world.portfolio, lambda: world.open)
    big = limit("A", AAA, OrderSide.BUY, "600", "100")  # 60,000 of 100,000
    assert _reason(world, check, big) == ""
    world.submit(big)
    order = limit("B", BBB, OrderSide.BUY, "500", "100")
    assert _reason(world, check, order) == (
        "insufficient USD: order needs 50000.00000000, free 40000.00000000"
    )
    world.amend(big, "400")  # 40,000 reserved now
    assert _reason(world, check, limit("C", BBB, OrderSide.BUY, "500", "100")) == ""
    world.fill(big, "300")  # cash 70,000, 100 still reserved
    assert _reason(world, check, limit("D", BBB, OrderSide.BUY, "700", "100")) == (
        "insufficient USD: order needs 70000.00000000, free 60000.00000000"
    )
    world.open.remove(big)  # canceled: nothing reserved
    assert _reason(world, check, limit("E", BBB, OrderSide.BUY, "700", "100")) == ""
    sell = limit("F", AAA, OrderSide.SELL, "200", "110")
    world.submit(sell)
    assert _reason(world, check, limit("G", AAA, OrderSide.SELL, "150", "110")) == (
        "insufficient AAA: sell 150, held 300 of which 200 already offered (spot cannot short)"
    )
    world.open.remove(sell)
    assert _reason(world, check, limit("H", AAA, OrderSide.SELL, "150", "110")) == ""


def test_the_venue_filters_pass_exactly_what_the_instrument_passes() -> None:
    world = World()
    inst = instrument("AAA/USD", tick="0.05", step="0.01", min_quantity=Decimal("0.02"),
                      max_quantity=Decimal(50), min_notional=Decimal(10))  # fmt: skip
    check = InstrumentFilters({AAA: inst})
    rng = random.Random(3)
    for n in range(2_000):  # each filter broken alone, several together, or none
        qty = Decimal(rng.choice((rng.randint(1, 500), rng.randint(4_990, 5_010)))) / 100
        qty += rng.choice((0, 0, 0, Decimal("0.005")))
        price = Decimal(rng.randint(1, 2_000)) * Decimal("0.05")
        price += rng.choice((0, 0, 0, Decimal("0.01")))
        order = Order.market(f"M{n}", AAA, OrderSide.BUY, qty, ts_init=0)
        expected = "; ".join(c.message for c in inst.check_order(price, qty))
        assert _reason(world, check, order, price) == expected


Times = NDArray[np.int64]
Closes = NDArray[np.float64]


@njit(cache=True)
def _joint_correlation(ts_a: Times, a: Closes, ts_b: Times, b: Closes, least: int) -> float:
    """The correlation kernel as it was: join on time into arrays, then array arithmetic."""
    xs = np.empty(len(a), dtype=np.float64)
    ys = np.empty(len(a), dtype=np.float64)
    n, i, j = 0, 0, 0
    while i < len(ts_a) and j < len(ts_b):
        if ts_a[i] < ts_b[j]:
            i += 1
        elif ts_a[i] > ts_b[j]:
            j += 1
        else:
            xs[n], ys[n] = a[i], b[j]
            n, i, j = n + 1, i + 1, j + 1
    if n - 1 < least:
        return 0.0
    rx = xs[1:n] / xs[: n - 1] - 1.0
    ry = ys[1:n] / ys[: n - 1] - 1.0
    dx = rx - rx.mean()
    dy = ry - ry.mean()
    sxx, syy = (dx * dx).sum(), (dy * dy).sum()
    if sxx == 0.0 or syy == 0.0:
        return 0.0
    return float((dx * dy).sum() / np.sqrt(sxx * syy))


def _reference(  # noqa: PLR0917 - the kernel's arguments
    ts_a: Times, a: Closes, end_a: int, ts_b: Times, b: Closes, end_b: int, count: int, least: int
) -> float:
    """The coefficient as the check computed it: the last ``count`` closes of each, then
    the kernel (0.0 when either has fewer than two)."""
    start_a, start_b = max(0, end_a - count), max(0, end_b - count)
    if end_a - start_a < 2 or end_b - start_b < 2:
        return 0.0
    return float(
        _joint_correlation(
            ts_a[start_a:end_a], a[start_a:end_a], ts_b[start_b:end_b], b[start_b:end_b], least
        )
    )


def test_the_walking_kernel_gives_the_same_float_as_the_array_kernel() -> None:
    rng = np.random.default_rng(1)
    for case in range(3_000):  # aligned or gappy times, flat series, partial windows
        n, nb = int(rng.integers(1, 160)), int(rng.integers(1, 160))
        ts_a = np.cumsum(rng.integers(1, 3, n)).astype(np.int64)
        ts_b = ts_a.copy() if case % 4 == 0 else np.cumsum(rng.integers(1, 3, nb)).astype(np.int64)
        nb = len(ts_b)
        a = np.asarray(100 * np.cumprod(1 + rng.normal(0, 0.02, n)), dtype=np.float64)
        walk = 50 * np.cumprod(1 + rng.normal(0, 0.02, nb))
        b = np.asarray(np.full(nb, 3.0) if case % 7 == 0 else walk, dtype=np.float64)
        a.flags.writeable = case % 2 == 0
        end_a, end_b = int(rng.integers(0, n + 1)), int(rng.integers(0, nb + 1))
        count = int(rng.integers(2, 120))
        least = max(2, (count - 1) // 2)
        got = _correlation_at(ts_a, a, end_a, ts_b, b, end_b, count, least)
        expected = _reference(ts_a, a, end_a, ts_b, b, end_b, count, least)
        assert got == expected and np.signbit(got) == np.signbit(expected), case


def _series(symbol: Symbol, closes: list[float]) -> BarSeries:
    return BarSeries.from_frame(symbol, bars(*[(c, c, c, c) for c in closes]))


def test_a_new_bar_reads_the_correlations_again() -> None:
    rng = np.random.default_rng(5)
    a = list(100 * np.cumprod(1 + rng.normal(0, 0.01, 80)))
    b = [x * (1 + 0.001 * ((-1) ** i)) for i, x in enumerate(a[:60])]  # follows a
    b += list(b[-1] * np.cumprod(1 - np.diff(a[59:]) / np.array(a[59:-1])))  # then mirrors it
    series = [_series(AAA, a), _series(BBB, b)]
    world = World(history=BarHistory(series))
    check = Correlation(_config(max_correlation=0.5, correlation_lookback=20), world.context)
    world.book(AAA, OrderSide.BUY, "1", "100")
    seen = []
    for i in range(40, 80):
        for s in series:
            s.cursor.i = i
        if i % 2:  # else the same last prices: the account is unchanged, the bars are not
            world.prices = {AAA: float(a[i]), BBB: float(b[i])}
        for k in range(2):  # the second order reads the kept row
            order = Order.market(f"E{i}-{k}", BBB, OrderSide.BUY, Decimal(1), ts_init=0)
            got = _reason(world, check, order)
            rho = _reference(
                series[1].ts_close, series[1].close, i + 1,
                series[0].ts_close, series[0].close, i + 1, 21, 10,
            )  # fmt: skip
            assert got == (
                f"correlation limit: BUY BBB/USD correlates {rho:.2f} with the open long "
                f"AAA/USD over the last 20 bars, above 0.5"
                if rho > 0.5
                else ""
            )
            seen.append(bool(got))
    assert any(seen) and not all(seen)


def test_a_new_position_joins_the_correlation_row() -> None:
    closes = list(100 + np.arange(40) % 7 * 1.0)
    series = [_series(s, closes) for s in (AAA, BBB, CCC)]
    for s in series:
        s.cursor.i = 39
    world = World(history=BarHistory(series))
    check = Correlation(_config(max_correlation=0.9, correlation_lookback=20), world.context)
    world.book(AAA, OrderSide.SELL, "1", "100")  # a short: the same returns hedge
    order = Order.market("A", CCC, OrderSide.BUY, Decimal(1), ts_init=0)
    assert _reason(world, check, order) == ""
    world.book(BBB, OrderSide.BUY, "1", "100")  # a long with the same returns
    again = Order.market("B", CCC, OrderSide.BUY, Decimal(1), ts_init=0)
    assert _reason(world, check, again) == (
        "correlation limit: BUY CCC/USD correlates 1.00 with the open long BBB/USD over the "
        "last 20 bars, above 0.9"
    )


class _PlainHistory:
    """A price history that is not a :class:`BarHistory`: the check reads its closes."""

    def __init__(self, bars: BarHistory) -> None:
        self._bars = bars

    def closes(self, symbol: Symbol, count: int) -> tuple[Times, Closes]:
        return self._bars.closes(symbol, count)

    def close_at(self, symbol: Symbol, ts: int) -> float | None:
        return self._bars.close_at(symbol, ts)

    def last_close_time(self, symbol: Symbol) -> int | None:
        return self._bars.last_close_time(symbol)


def test_a_bar_history_and_any_other_history_give_the_same_coefficients() -> None:
    rng = np.random.default_rng(11)
    common = rng.normal(0, 0.01, 120)
    closes = {
        s: list(100 * np.cumprod(1 + w * common + rng.normal(0, 0.01, 120)))
        for s, w in ((AAA, 1.0), (BBB, 0.8), (CCC, -0.5))
    }
    series = [_series(s, c) for s, c in closes.items()]
    bars_history = BarHistory(series)
    worlds = [World(history=bars_history), World(history=_PlainHistory(bars_history))]  # type: ignore[arg-type]
    checks = [
        Correlation(_config(max_correlation=0.3, correlation_lookback=30), w.context)
        for w in worlds
    ]
    for w in worlds:
        w.book(AAA, OrderSide.BUY, "1", "100")
        w.book(BBB, OrderSide.SELL, "1", "100")
    got: list[list[str]] = [[], []]
    for i in range(120):  # from the first bar: fewer closes than the lookback at first
        for s in series:
            s.cursor.i = i
        for w, check, reasons in zip(worlds, checks, got, strict=True):
            order = Order.market(f"E{i}", CCC, OrderSide.SELL, Decimal(1), ts_init=0)
            reasons.append(_reason(w, check, order))
    assert got[0] == got[1]
    assert any(got[0]) and not all(got[0])


# -- the float estimates only let through what the exact figures let through ----------------

_NEAR = (Decimal(0), Decimal("1e-20"), Decimal("-1e-20"), Decimal("1e-13"), Decimal("-1e-13"),
         Decimal("1e-9"), Decimal("-1e-9"), Decimal("0.01"), Decimal("-0.01"))  # fmt: skip


def _around(figure: Decimal, rng: random.Random) -> list[Decimal]:
    """Limits on ``figure``, at it and a hair or more either side."""
    return [figure * (1 + rng.choice(_NEAR)) for _ in range(3)] + [figure]


def _screened_and_exact(
    monkeypatch: pytest.MonkeyPatch, read: Callable[[], str]
) -> tuple[str, str]:
    """``read()`` as the checks run, then with the estimates never deciding."""
    screened = read()
    with monkeypatch.context() as patch:
        for module in (checks_exposure, checks_account):
            patch.setattr(module, "clearly_below", lambda *args: False)
        exact = read()
    return screened, exact


def _limit_checks(world: World, after: Exposure, rng: random.Random) -> list[object]:
    """Checks of the equity and total-exposure limits, set at and around ``after``'s
    figures."""
    gross, net, value, equity = after.gross, after.net, after.position_value, after.equity
    assert gross is not None and net is not None and value is not None
    built: list[object] = []
    for cap in _around(gross, rng):
        if cap > 0:
            built.append(TotalExposure(_config(max_gross_exposure=str(cap)), world.context))
    for cap in _around(abs(net), rng):
        if cap > 0:
            built.append(TotalExposure(_config(max_net_exposure=str(cap)), world.context))
    if equity > 0:
        for share in _around(value / equity, rng):
            if 0 < share <= 1:
                config = _config(max_position_pct_equity=str(share))
                built.append(PositionSize(config, world.context))
        for most in _around(gross / equity, rng):
            if most > 0:
                built.append(Leverage(_config(max_leverage=str(most)), world.context))
    return built


def test_the_estimates_never_let_through_what_the_exact_figures_refuse(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world, rng = World("margin"), random.Random(13)
    world.book(AAA, OrderSide.BUY, "3", "100")
    compared, refused = 0, 0
    for n in range(150):
        _step(world, rng, n)
        order = limit(f"L{n}", rng.choice(SYMBOLS), OrderSide.BUY, "2.5", "101.5")
        world.context.begin()
        try:
            after = exposure(world.context, order, order.price)
            checks = _limit_checks(world, after, rng) if after.adds else []
        except PortfolioError:
            continue
        for check in checks:
            screened, exact = _screened_and_exact(
                monkeypatch,
                lambda: check.reason(order, order.price, None),  # type: ignore[attr-defined]  # noqa: B023
            )
            assert screened == exact
            compared, refused = compared + 1, refused + bool(exact)
    assert compared > 500 and 0 < refused < compared


def test_the_daily_loss_estimate_never_lets_through_what_the_exact_figures_refuse(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    series = [_series(s, [100.0] * 30) for s in SYMBOLS]
    for s in series:
        s.cursor.i = 29
    world, rng = World(history=BarHistory(series)), random.Random(17)
    world.book(AAA, OrderSide.BUY, "30", "100")
    compared, refused = 0, 0
    for n in range(60):
        world.prices[AAA] = rng.uniform(50, 150)
        order = limit(f"D{n}", BBB, OrderSide.BUY, "1", "100")
        world.context.begin()
        equity = exposure(world.context, order, order.price).equity
        for most in (Decimal("0.01"), Decimal("0.05"), Decimal("0.2")):
            check = DailyLoss(_config(daily_loss_limit=str(most)), world.context)
            for start in _around(equity / (1 - most), rng):
                monkeypatch.setattr(DayStartEquity, "at", lambda self, now, s=start: s)
                screened, exact = _screened_and_exact(
                    monkeypatch,
                    lambda: check.reason(order, order.price, None),  # noqa: B023
                )
                assert screened == exact
                compared, refused = compared + 1, refused + bool(exact)
    assert compared > 500 and 0 < refused < compared


def test_every_sent_id_is_remembered_across_the_id_sets() -> None:
    world = World()
    check = DuplicateOrder(_config(reject_duplicate_ids=True), world.context)
    for n in range(3_000):
        check.record(Order.market(f"ID-{n}", AAA, OrderSide.BUY, Decimal(1), ts_init=0))
    for n in (0, 1, 777, 2_999):
        again = Order.market(f"ID-{n}", AAA, OrderSide.BUY, Decimal(1), ts_init=0)
        assert check.reason(again, None, None) == (
            f"duplicate order: client order id ID-{n} was already sent"
        )
    fresh = Order.market("ID-3000", AAA, OrderSide.BUY, Decimal(1), ts_init=0)
    assert check.reason(fresh, None, None) == ""
