"""Pre-trade validation cost: microseconds per order through ``RiskEngine.check``, all checks on.

The issue's target is a p99 under 50 µs per order, in process. The set-up is a realistic
account, not an empty one:

- a spot portfolio of 100,000 USDT on 8 real Binance pairs (the bundled hourly samples,
  December 2020 to July 2021), with open long positions in BTC, ETH and SOL and two
  resting limit orders;
- every limit of :class:`~tradeforge.risk.limits.RiskLimits` set (duplicate window, order
  rates per strategy and in total, price band, stop loss and take profit required, daily
  loss, no pyramiding, position size in quantity, value and share of equity, gross and net
  exposure, open positions, leverage, correlation over 100 bars, allowed symbols and venues,
  trading hours) plus the venue's filters and balance check, wide enough that the orders
  pass: a passing order runs every check, a refused one stops at the first reason;
- orders: brackets (buy entry, stop loss, take profit) on the three pairs without a position
  or a resting order, market or limit entries of 200 to 2,000 USDT, from four strategies;
  the clock moves 6 minutes per order, so every tenth order comes after a new bar.

At each new bar ``RiskEngine.prepare()`` runs first, outside the timed region, as the kernel
calls it at the bar's close: the account is valued at the new prices and the correlations
computed again then, and every order reads what was kept (checked fresh at every order).
``prepare()`` is timed on its own: it is the per-bar cost. ``--unprepared`` also times the
gate without it (the first order after each new bar does that work).

Timing is steadied as a backtest runs: the cyclic garbage collector is off while the orders
are timed (as ``BacktestEngine`` turns it off during a replay), after a warm-up of 2,000
orders. Each pass prints p50, p99 and max per order, in wall-clock time and in the thread's
CPU time (``time.thread_time_ns``; it includes ~0.6 µs of the clock read and leaves out the
time another process held the CPU). The whole sequence runs ``--repeat`` times, each on a
fresh account and engine. The headline is the median over the passes of each figure (wall
clock); "best of N" (each order's fastest pass, which removes most of what other jobs on
the machine added) is a secondary line. Then the venue's rules alone (the gate without a
``RiskConfig``), and the median cost of each check inside the engine: over all orders, over
the first order after a new bar, and over the same orders without ``prepare()``. Run:
``python bench/bench_risk.py`` (``--orders N``, ``--repeat N``, ``--unprepared``, ``--compiled``:
the gate compiled with mypyc by ``tools/compile_gate.py``; the first line says which gate runs).
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from functools import partial
from typing import Any

from tradeforge.common.clock import TestClock
from tradeforge.data import ParquetCatalog
from tradeforge.data.replay import BarSeries
from tradeforge.model.enums import OrderSide
from tradeforge.model.instrument import Instrument, InstrumentKind
from tradeforge.model.order_list import OrderList
from tradeforge.model.orders import Order
from tradeforge.model.symbol import Symbol
from tradeforge.model.timeframe import Timeframe
from tradeforge.model.values import Money
from tradeforge.portfolio.portfolio import Portfolio
from tradeforge.risk.build import build_checks
from tradeforge.risk.context import BarHistory, RiskContext
from tradeforge.risk.engine import RiskEngine
from tradeforge.risk.limits import RiskConfig
from tradeforge.risk.ticket import Ticket, Verdict
from tradeforge.samples import SAMPLE_CATALOG

TARGET_US = 50.0
PAIRS = ("BTC", "ETH", "SOL", "ADA", "DOGE", "LINK", "DOT", "XRP")
HELD = {"BTC": Decimal("0.3"), "ETH": Decimal(4), "SOL": Decimal(150)}
STRATEGIES = ("trend", "breakout", "meanrev", "carry")
HOUR = 3_600_000_000_000
START_BAR = 200  # the clock starts at this bar: history for the correlations
START, END = "2020-12-01", "2021-07-18"  # 5,481 hourly bars every pair has
# the warm-up's 200 hours and 50,000 orders' 5,000 hours follow bar 200: 5,400 bars
LIMITS: dict[str, Any] = {
    "duplicate_window": "1m",
    "order_rate": {"max_orders": 1_000_000, "per": "1h"},
    "price_band": 0.2,
    "require_stop_loss": True,
    "require_take_profit": True,
    "daily_loss_limit": 0.5,
    "allow_pyramiding": False,
    "max_position_quantity": {f"{p}/USDT": 1_000_000 for p in PAIRS},
    "max_position_notional": 50_000,
    "max_position_pct_equity": 0.5,
    "max_gross_exposure": 200_000,
    "max_net_exposure": 200_000,
    "max_open_positions": 8,
    "max_leverage": 2,
    "max_correlation": 0.999,
    "correlation_lookback": 100,
    "allowed_symbols": [f"{p}/USDT" for p in PAIRS],
    "allowed_venues": ["binance"],
    "trading_hours": [{"start": "00:00", "end": "00:00"}],
}
TOTAL_RATE = {"max_orders": 1_000_000, "per": "1h"}
WARM_UP = 2_000


def load_series() -> list[BarSeries]:
    """The pairs' bars at the times they all have (BTC misses one hour), so that one bar
    index is one time for every pair."""
    catalog = ParquetCatalog(SAMPLE_CATALOG)
    frames = {p: catalog.read_bars("binance", f"{p}/USDT", "1h", START, END) for p in PAIRS}
    common = frames[PAIRS[0]].index
    for frame in frames.values():
        common = common.intersection(frame.index)
    hour = Timeframe.parse("1h")
    return [
        BarSeries.from_frame(Symbol.parse(f"{p}/USDT"), frame.loc[common], hour)
        for p, frame in frames.items()
    ]


def instrument(symbol: Symbol) -> Instrument:
    return Instrument(
        symbol=symbol, venue="binance", kind=InstrumentKind.SPOT,
        price_tick=Decimal("0.00000001"), quantity_step=Decimal("0.00001"),
        min_notional=Decimal(5), taker_fee=Decimal("0.001"), maker_fee=Decimal("0.001"),
    )  # fmt: skip


class Account:
    """The portfolio, clock, prices and order registry the checks read."""

    def __init__(self, series: list[BarSeries]) -> None:
        self.series = {s.symbol: s for s in series}
        self.instruments = {s.symbol: instrument(s.symbol) for s in series}
        self.portfolio = Portfolio("USDT", Decimal(100_000), list(self.instruments.values()))
        self.portfolio.price_source = self.last_price
        self.clock = TestClock()
        self.orders: dict[str, Order] = {}
        self.resting: list[Order] = []
        self.bar = START_BAR
        self.move_to(START_BAR, 0)

    def move_to(self, bar: int, minutes: int) -> None:
        self.bar = bar
        for s in self.series.values():
            s.cursor.i = bar
        first = next(iter(self.series.values()))
        self.clock.set_time(int(first.ts_close[bar]) + minutes * 60_000_000_000)

    def last_price(self, symbol: Symbol) -> float | None:
        s = self.series[symbol]
        return float(s.close[s.cursor.i])

    def price(self, symbol: Symbol) -> Decimal:
        return Decimal(repr(self.last_price(symbol)))

    def open_positions(self) -> None:
        for n, (pair, qty) in enumerate(HELD.items()):
            symbol = Symbol.parse(f"{pair}/USDT")
            px = self.price(symbol)
            fee = Money(qty * px / 1000, "USDT")
            self.portfolio.book_fill(symbol, True, qty, px, fee, self.clock.timestamp_ns(), f"F{n}")
        for n, pair in enumerate(("ADA", "DOT")):
            symbol = Symbol.parse(f"{pair}/USDT")
            limit = self.instruments[symbol].round_price(self.price(symbol) * Decimal("0.9"))
            self.resting.append(
                Order.limit(f"R{n}", symbol, OrderSide.BUY, Decimal(100), limit, ts_init=0)
            )

    def context(self) -> RiskContext:
        return RiskContext(
            self.portfolio, self.clock, self.instruments, lambda: self.resting,
            self.last_price, history=BarHistory(self.series.values()), orders=lambda: self.orders,
        )  # fmt: skip


def make_orders(
    account: Account, count: int, rng: random.Random, prefix: str = "B", start: int = WARM_UP
) -> list[tuple[int, OrderList]]:
    """``(minutes since the start, bracket)`` on the pairs without a position or a resting
    order (an entry there passes every limit), 6 minutes apart from the ``start``-th slot on
    (the warm-up takes the slots before: time never goes back between the two)."""
    free = [Symbol.parse(f"{p}/USDT") for p in ("DOGE", "LINK", "XRP")]
    made = []
    for n in range(count):
        minutes = (start + n) * 6
        account.move_to(START_BAR + minutes // 60, minutes % 60)
        symbol = rng.choice(free)
        px = account.price(symbol)
        qty = account.instruments[symbol].round_quantity(Decimal(rng.uniform(200, 2_000)) / px)
        limit = None if rng.random() < 0.5 else px * Decimal("0.99")
        made.append((minutes, _bracket(account, f"{prefix}{n}", symbol, qty, px, limit, rng)))
    account.move_to(START_BAR, 0)
    return made


def _bracket(  # noqa: PLR0917 - one order's terms
    account: Account, list_id: str, symbol: Symbol, qty: Decimal, px: Decimal,
    limit: Decimal | None, rng: random.Random,
) -> OrderList:  # fmt: skip
    inst = account.instruments[symbol]
    return OrderList.bracket(
        list_id, symbol, OrderSide.BUY, qty,
        stop_loss=inst.round_price(px * Decimal("0.95")),
        take_profit=inst.round_price(px * Decimal("1.08")),
        entry_price=None if limit is None else inst.round_price(limit),
        ts_init=0, strategy_id=rng.choice(STRATEGIES),
    )  # fmt: skip


class Timing:
    """Per order: microseconds of wall-clock time and of the thread's CPU time; per new bar,
    the wall-clock microseconds of ``RiskEngine.prepare``."""

    def __init__(self) -> None:
        self.wall: list[float] = []
        self.cpu: list[float] = []
        self.prepare: list[float] = []


def measure(
    account: Account,
    orders: list[tuple[int, OrderList]],
    check: Callable[[Order], str],
    prepare: Callable[[], None] | None = None,
) -> Timing:
    """Time ``check(entry)`` per order, with the clock and the bars moving as they would and
    the bracket registered first (as the execution engine does before its check); at each
    new bar, ``prepare()`` first (timed apart), as the kernel calls it at the bar's close."""
    timing = Timing()
    refused: dict[str, int] = {}
    for minutes, bracket in orders:
        bar = account.bar
        account.move_to(START_BAR + minutes // 60, minutes % 60)
        if prepare is not None and account.bar != bar:
            started = time.perf_counter_ns()
            prepare()
            timing.prepare.append((time.perf_counter_ns() - started) / 1_000)
        for member in bracket.orders:
            account.orders[member.client_order_id] = member
        cpu = time.thread_time_ns()
        started = time.perf_counter_ns()
        reason = check(bracket.entry)
        ended = time.perf_counter_ns()
        timing.cpu.append((time.thread_time_ns() - cpu) / 1_000)
        timing.wall.append((ended - started) / 1_000)
        if reason:
            refused[reason.split(":")[0]] = refused.get(reason.split(":")[0], 0) + 1
    if refused:
        print(f"  refused: {refused}")
    return timing


def quiet(run: Callable[[], Timing]) -> Timing:
    """``run()`` with the cyclic garbage collector off, as during a backtest's replay."""
    gc.collect()
    gc.disable()
    try:
        return run()
    finally:
        gc.enable()


class Timed:
    """A check that keeps the time each of its calls takes (for the breakdown): the verdict
    the engine asks it for (``verdict_for``) for each order, or its ``reason``; it records
    what the check records."""

    def __init__(self, check: Any) -> None:
        self.check = check
        self.spent: list[float] = []
        self.rule = getattr(check, "rule", type(check).__name__)

    def verdict_for(self, strategy_id: str | None, context: RiskContext | None) -> Verdict | None:
        bind = getattr(self.check, "verdict_for", None)
        if bind is None:
            return self._reason_of
        verdict = bind(strategy_id, context)
        return None if verdict is None else partial(self._timed, verdict)

    def _timed(self, verdict: Verdict, ticket: Ticket) -> str:
        started = time.perf_counter_ns()
        text = verdict(ticket)
        self.spent.append((time.perf_counter_ns() - started) / 1_000)
        return text

    def _reason_of(self, ticket: Ticket) -> str:
        return self.reason(ticket.order, ticket.price, ticket.notional)

    def reason(self, order: Order, price: Decimal | None, notional: Decimal | None) -> str:
        started = time.perf_counter_ns()
        text = str(self.check.reason(order, price, notional))
        self.spent.append((time.perf_counter_ns() - started) / 1_000)
        return text

    def record(self, order: Order) -> None:
        record = getattr(self.check, "record", None)
        if record is not None:
            record(order)


def preparing(engine: RiskEngine, prepared: bool) -> Callable[[], None] | None:
    """What the kernel calls at each bar's close (``None``: the gate is not prepared, its
    first order after a new bar does the work)."""
    return engine.prepare if prepared and engine.prepares else None


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def gate(
    series: list[BarSeries], config: RiskConfig | None, wrap: Callable[[Any], Any] = lambda c: c
) -> tuple[Account, RiskEngine]:
    """A fresh account (positions and resting orders open) and its gate, each check passed
    through ``wrap``."""
    account = Account(series)
    account.open_positions()
    context = account.context()
    checks = [wrap(c) for c in build_checks(config, context)]
    return account, RiskEngine(checks, account.last_price, context=context)


def one_pass(
    series: list[BarSeries],
    config: RiskConfig | None,
    orders: list[tuple[int, OrderList]],
    prepared: bool = True,
) -> Timing:
    """Warm up a fresh gate (compile the correlation kernel, fill the caches), then time
    ``orders`` through it (prepared at each new bar, unless not ``prepared``)."""
    account, engine = gate(series, config)
    prepare = preparing(engine, prepared)

    def run() -> Timing:
        warm_up = make_orders(account, WARM_UP, random.Random(1), "W", 0)
        measure(account, warm_up, engine.check, prepare)
        return measure(account, orders, engine.check, prepare)

    return quiet(run)


def figures(values: list[float]) -> tuple[float, float, float]:
    """p50, p99 and max."""
    return percentile(values, 0.5), percentile(values, 0.99), max(values)


def row(name: str, p50: float, p99: float, most: float) -> str:
    return f"{name:<26}{p50:>9.1f}{p99:>9.1f}{most:>9.1f}{p99 / TARGET_US:>13.2f}"


def report(passes: list[Timing]) -> tuple[float, float]:
    """Print each pass's percentiles, their median over the passes (the headline figure),
    the best-of-N line and the cost of ``prepare``; return the median per-pass p50 and p99."""
    print(f"{'':<26}{'p50 µs':>9}{'p99 µs':>9}{'max µs':>9}{'p99 / 50 µs':>13}")
    walls = [figures(t.wall) for t in passes]
    for n, (timing, wall) in enumerate(zip(passes, walls, strict=True), 1):
        print(row(f"pass {n}, wall clock", *wall))
        print(row(f"pass {n}, CPU time", *figures(timing.cpu)))
    median = tuple(statistics.median(column) for column in zip(*walls, strict=True))
    print(row(f"median of {len(passes)} passes, wall", *median))
    best = [min(times) for times in zip(*(t.wall for t in passes), strict=True)]
    print(row(f"best of {len(passes)}, wall clock", *figures(best)))
    prepares = [t.prepare for t in passes if t.prepare]
    if prepares:
        costs = [figures(p) for p in prepares]
        p50, p99, most = (statistics.median(column) for column in zip(*costs, strict=True))
        print(
            f"prepare() at each new bar (median of passes, {len(prepares[0]):,} bars a pass): "
            f"p50 {p50:.1f} µs, p99 {p99:.1f} µs, max {most:.1f} µs"
        )
    return float(median[0]), float(median[1])


def spin_probe(seconds: float = 1.0, gap_ns: int = 3_000) -> tuple[float, float]:
    """The machine's stalls: a loop that only reads the clock, for ``seconds``; the stalls
    longer than ``gap_ns`` per second and their median µs (on a virtual machine each
    interrupt is an exit to the hypervisor)."""
    gaps = []
    last = time.perf_counter_ns()
    end = last + int(seconds * 1e9)
    while last < end:
        now = time.perf_counter_ns()
        if now - last > gap_ns:
            gaps.append((now - last) / 1_000)
        last = now
    return len(gaps) / seconds, statistics.median(gaps) if gaps else 0.0


def fixed_work(steps: int = 60) -> Decimal:
    """The same decimal arithmetic at every call: its spread of times is the machine's."""
    total = Decimal(0)
    for n in range(steps):
        total += Decimal(n) * _HALF_MORE
    return total


_HALF_MORE = Decimal("1.5")


def noise_floor(as_long_as: float, count: int = 50_000) -> None:
    """Print what the machine adds to any call's tail: its stalls, and the p50 and p99 of a
    fixed workload (the same instructions every call) of about ``as_long_as`` µs, timed as
    the orders are."""
    stalls, stall_us = spin_probe()
    started = time.perf_counter_ns()
    for _ in range(1_000):
        fixed_work()
    steps = max(1, round(60 * as_long_as / ((time.perf_counter_ns() - started) / 1_000_000)))
    times = []
    gc.collect()
    gc.disable()
    try:
        for _ in range(count):
            started = time.perf_counter_ns()
            fixed_work(steps)
            times.append((time.perf_counter_ns() - started) / 1_000)
    finally:
        gc.enable()
    p50, p99, _ = figures(times)
    print(
        f"the machine: {stalls:,.0f} stalls/s of median {stall_us:.1f} µs (a loop reading the "
        f"clock); a fixed decimal workload as long as an order, timed {count:,} times: "
        f"p50 {p50:.1f} µs, p99 {p99:.1f} µs ({p99 / p50:.1f}x its p50)"
    )


def breakdown(series: list[BarSeries], config: RiskConfig, count: int) -> None:
    """Median µs of each check inside the engine, over all orders and over the first order
    after each new bar (the exposure's first reader pays the account's revaluation)."""
    every = timed_pass(series, config, count, first_of_bar=False)
    fresh = timed_pass(series, config, count, first_of_bar=True)
    lazy = timed_pass(series, config, count, first_of_bar=True, prepared=False)
    print("median µs per check inside the engine (without prepare() the first exposure check")
    print("pays the account's revaluation):")
    print(f"  {'check':<22}{'all':>8}{'new bar':>9}{'unprepared':>12}")
    for (rule, spent), (_, new_bar), (_, unprepared) in zip(every, fresh, lazy, strict=True):
        print(f"  {rule:<22}{spent:>8.2f}{new_bar:>9.2f}{unprepared:>12.2f}")


def timed_pass(
    series: list[BarSeries],
    config: RiskConfig,
    count: int,
    *,
    first_of_bar: bool,
    prepared: bool = True,
) -> list[tuple[str, float]]:
    """Each check's median µs over ``count`` orders (only the first of each bar's orders),
    with the gate prepared at each new bar, or not."""
    account, engine = gate(series, config, Timed)
    prepare = preparing(engine, prepared)
    timed: list[Timed] = list(engine.checks)  # type: ignore[arg-type]
    warm_up = make_orders(account, WARM_UP, random.Random(1), "W", 0)
    orders = make_orders(account, count, random.Random(2), "T")
    measured = [o for o in orders if not first_of_bar or o[0] % 60 == 0]

    def run() -> Timing:
        measure(account, warm_up, engine.check, prepare)
        for t in timed:
            t.spent.clear()
        return measure(account, measured, engine.check, prepare)

    quiet(run)
    return [(t.rule, percentile(t.spent, 0.5) if t.spent else 0.0) for t in timed]


def which_gate() -> str:
    """Whether the gate's modules run compiled (``tools/compile_gate.py``) or as Python."""
    where = sys.modules[RiskEngine.__module__].__file__ or ""
    if where.endswith(".so"):
        return f"the gate compiled with mypyc ({os.path.dirname(where)})"
    return "the gate in Python"


def run_compiled() -> None:
    """Build the compiled gate and run this benchmark again on it (without ``--compiled``)."""
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
    from compile_gate import compile_gate

    build = compile_gate()
    argv = [a for a in sys.argv if a != "--compiled"]
    env = {**os.environ, "PYTHONPATH": str(build)}
    os.execve(sys.executable, [sys.executable, *argv], env)


def main() -> None:
    if "--compiled" in sys.argv:
        run_compiled()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=50_000)  # 5,000 hours of bars
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--unprepared", action="store_true", help="also time the gate without prepare()"
    )
    parser.add_argument("--compiled", action="store_true", help="compile the gate first")
    args = parser.parse_args()
    print(which_gate())
    series = load_series()
    limits = {"default": LIMITS, "total_order_rate": TOTAL_RATE}
    config = RiskConfig.from_mapping(limits, "bench limits")
    account, engine = gate(series, config)
    orders = make_orders(account, args.orders, random.Random(20_260_501))
    names = [type(c).__name__ for c in engine.checks]
    print(f"{len(names)} checks: {', '.join(names)}; {len(orders):,} orders")
    print("prepared at each new bar (as the kernel does at the bar's close):")
    p50, p99 = report([one_pass(series, config, orders) for _ in range(args.repeat)])
    print(f"target p99 < {TARGET_US:.0f} µs (median of the passes' p99): "
          f"{'met' if p99 < TARGET_US else 'NOT met'}")  # fmt: skip
    noise_floor(p50)
    if args.unprepared:
        print("not prepared (the first order after a new bar does the work):")
        report([one_pass(series, config, orders, False) for _ in range(args.repeat)])
    venue = [one_pass(series, None, make_orders(account, 20_000, random.Random(3), "V"))]
    wall = venue[0].wall
    print(
        f"baseline, the venue's rules only (no RiskConfig): p50 {percentile(wall, 0.5):.1f} µs, "
        f"p99 {percentile(wall, 0.99):.1f} µs"
    )
    breakdown(series, config, min(args.orders, 20_000))


if __name__ == "__main__":
    main()
