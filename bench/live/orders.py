"""Orders through the whole live path: signal to acknowledgement, and a sustained rate.

Usage, from the repository root::

    python -m bench.live.orders [--orders 1000] [--rate 10000] [--seconds 60]

**Set-up.** A live :class:`~tradeforge.live.TradingNode` (SQLite store: every order is
written before it is sent; the venue's rules as risk checks) trades BTC/USDT through the real
ccxt client on a sandbox venue running in a child process (:mod:`bench.live.venue_process`),
paused at 2021-01-10 00:00 UTC with 1,000,000 USDT and 10 BTC. Its strategy
(:class:`bench.live.manual.Manual`) only trades when the benchmark calls its ``buy`` or
``sell`` on the kernel's thread between turns of the node's loop, as an ``on_bar`` would.
Orders are market orders of 0.001 BTC, buy and sell in turn.

* **latency**: ``--orders`` orders one at a time. Signal = the call of ``strategy.buy``;
  acknowledged = ``OrderAccepted`` delivered to the strategy on the kernel's thread (after
  the store recorded it); filled = ``OrderFilled`` likewise. For comparison, the same number
  of bare ``ccxt.create_order`` round trips to the same venue (no tradeforge).
* **rate**: ``--rate`` orders per minute for ``--seconds``, paced by the wall clock (each
  turn of the loop places the orders due by then). Passes when every order was accepted and
  filled, nothing was rejected, no strategy hook raised, the client saw no anomaly, the
  store's fills equal the venue's (``GET /api/v3/myTrades``) one for one, and the node's
  balances equal the venue's.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import ccxt as ccxt_sync
import ccxt.async_support as ccxt_async
from bench.live.venue_process import VenueAddress, VenueProcess, cpu_seconds

from tradeforge.adapters.ccxt import Credentials
from tradeforge.live import TradingNode, node_config
from tradeforge.live.journal import OrderJournal
from tradeforge.model.enums import OrderStatus
from tradeforge.model.events import OrderAccepted, OrderEvent, OrderFilled, OrderRejected
from tradeforge.model.orders import Order
from tradeforge.persistence.store import Store
from tradeforge.sandbox.client import ccxt_config
from tradeforge.strategy import Strategy

VENUE = {
    "port": 0, "symbols": ("BTC/USDT",), "start": "2021-01-10", "paused": True,
    "balances": {"USDT": Decimal(1_000_000), "BTC": Decimal(10)},
}  # fmt: skip
QUANTITY = Decimal("0.001")
MANUAL = Path(__file__).with_name("manual.py")
WARM_UP = 10
"""Orders placed before the timed ones (first connections, lazy imports)."""


@dataclass
class Timings:
    """When each order was signalled, acknowledged and filled (``perf_counter_ns``)."""

    signalled: dict[str, int] = field(default_factory=dict)
    accepted: dict[str, int] = field(default_factory=dict)
    filled: dict[str, int] = field(default_factory=dict)
    rejected: list[str] = field(default_factory=list)

    def on_bar(self, bar: Any) -> None:
        """Bars are not timed."""

    def on_order_event(self, order: Order, event: OrderEvent) -> None:
        now = time.perf_counter_ns()
        cid = order.client_order_id
        if isinstance(event, OrderAccepted):
            self.accepted.setdefault(cid, now)
        elif isinstance(event, OrderFilled) and order.status is OrderStatus.FILLED:
            self.filled.setdefault(cid, now)
        elif isinstance(event, OrderRejected):
            self.rejected.append(f"{cid}: {event.reason}")

    def place(self, strategy: Strategy, i: int) -> str:
        started = time.perf_counter_ns()
        order = strategy.buy(QUANTITY) if i % 2 == 0 else strategy.sell(QUANTITY)
        assert isinstance(order, Order)
        self.signalled[order.client_order_id] = started
        return order.client_order_id

    def ms(self, until: dict[str, int]) -> list[float]:
        return [(until[c] - t) / 1e6 for c, t in self.signalled.items() if c in until]


def start_node(address: VenueAddress, folder: Path) -> TradingNode:
    """A started live node on the venue, its store in ``folder``."""
    document = {
        "mode": "live", "name": "bench",
        "venue": {"exchange": "binance", "url": address.http_url, "weight_per_minute": 10**6},
        "symbols": ["BTC/USDT"], "timeframes": ["5m"],
        "strategies": [{"name": f"{MANUAL}:Manual", "id": "bench"}],
        "reconcile": {"grace": "0s", "interval": "1h"},
        "warmup": {"bars": 10},
    }  # fmt: skip
    store = Store(f"sqlite:///{folder / 'node.db'}")
    keys = Credentials(address.api_key, address.api_secret)
    return TradingNode(node_config(document, "bench"), store, credentials=keys).start()


def turn_until(node: TradingNode, done: Callable[[], bool], timeout: float = 60.0) -> None:
    """Turn the node's loop until ``done()``."""
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise RuntimeError("the venue did not answer in time")
        node.step(0.005)


def measure_latency(node: TradingNode, orders: int) -> Timings:
    """``orders`` market orders, each placed once the previous one filled."""
    timings = Timings()
    node.observers.append(timings)
    strategy = node.strategies[0]
    for i in range(orders):
        cid = timings.place(strategy, i)
        turn_until(node, lambda c=cid: c in timings.filled or bool(timings.rejected))
    node.observers.remove(timings)
    return timings


def bare_ccxt_latency(address: VenueAddress, orders: int) -> list[float]:
    """Round trips of ``create_order`` alone: ccxt to the venue and back."""

    async def run() -> list[float]:
        exchange = ccxt_async.binance(_ccxt_config(address))
        try:
            await exchange.load_markets()
            out = []
            for i in range(orders):
                started = time.perf_counter_ns()
                side = "buy" if i % 2 == 0 else "sell"
                await exchange.create_order("BTC/USDT", "market", side, float(QUANTITY))
                out.append((time.perf_counter_ns() - started) / 1e6)
            return out
        finally:
            await exchange.close()

    return asyncio.run(run())


def _ccxt_config(address: VenueAddress) -> dict[str, Any]:
    return ccxt_config(address.http_url, address.ws_url, address.api_key, address.api_secret)


@dataclass
class RateRun:
    """What a sustained run did."""

    timings: Timings
    seconds: float
    placed_per_second: Counter[int]
    settled_s: float
    cpu_s: float = 0.0
    venue_cpu_s: float = 0.0


def sustain_rate(
    node: TradingNode, per_minute: int, seconds: float, venue: VenueProcess
) -> RateRun:
    """Place ``per_minute`` orders a minute for ``seconds``, then wait for the last fills."""
    timings = Timings()
    node.observers.append(timings)
    strategy = node.strategies[0]
    total = int(per_minute * seconds / 60)
    placed_per_second: Counter[int] = Counter()
    cpu, venue_cpu = cpu_seconds(), venue.cpu_seconds()
    started = time.perf_counter()
    placed = 0
    while placed < total:
        elapsed = time.perf_counter() - started
        due = min(total, int(elapsed * per_minute / 60) + 1)
        while placed < due:
            timings.place(strategy, placed)
            placed_per_second[int(elapsed)] += 1
            placed += 1
        node.step(0.001)
    run_s = time.perf_counter() - started
    turn_until(node, lambda: len(timings.filled) + len(timings.rejected) >= total, 120)
    settled_s = time.perf_counter() - started - run_s
    node.observers.remove(timings)
    used, venue_used = cpu_seconds() - cpu, venue.cpu_seconds() - venue_cpu
    return RateRun(timings, run_s, placed_per_second, settled_s, used, venue_used)


def venue_fills(address: VenueAddress) -> list[dict[str, Any]]:
    """Every fill of the account at the venue (``GET /api/v3/myTrades``, paged by id)."""
    exchange = ccxt_sync.binance(_ccxt_config(address))
    out: list[dict[str, Any]] = []
    while True:
        params = {"fromId": int(out[-1]["id"]) + 1} if out else {"fromId": 0}
        page = exchange.fetch_my_trades("BTC/USDT", None, 1000, params)
        if not page:
            return out
        out.extend(page)


def check_rate_run(node: TradingNode, address: VenueAddress, run: RateRun) -> list[str]:
    """What went wrong in a sustained run (empty: nothing)."""
    timings = run.timings
    problems = [f"rejected {r}" for r in timings.rejected[:5]]
    missing = [c for c in timings.signalled if c not in timings.filled]
    if missing:
        problems.append(f"{len(missing)} orders never filled, e.g. {missing[:3]}")
    if node.strategy_errors:
        problems.append(f"{node.strategy_errors} strategy errors")
    orders = node.link.orders
    if orders is not None and orders.anomalies:
        problems.append(f"anomalies: {orders.anomalies[:3]}")
    stored = {
        fill.trade_id
        for order, fill in OrderJournal.fills(node.journal.orders())
        if "balance" not in order.tags  # the 10 BTC held at the start, adopted as a position
    }
    at_venue = {str(t["id"]) for t in venue_fills(address)}
    if stored != at_venue:
        problems.append(
            f"fills: {len(stored)} stored, {len(at_venue)} at the venue, "
            f"only stored {sorted(stored - at_venue)[:3]}, only at the venue"
            f" {sorted(at_venue - stored)[:3]}"
        )
    return problems + _balance_differences(node, address)


def _balance_differences(node: TradingNode, address: VenueAddress) -> list[str]:
    venue = VenueProcess.balances_at(address)
    portfolio = node.portfolio
    held = portfolio.position(node.strategies[0].ctx.series[0].symbol).signed_qty
    mine = {"USDT": Decimal(portfolio.cash), "BTC": Decimal(held)}
    return [
        f"{asset}: node {mine[asset]}, venue {venue.get(asset)}"
        for asset in mine
        if venue.get(asset) != mine[asset]
    ]


def percentiles(values: list[float]) -> str:
    """``p50 / p99 / max`` in ms."""
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return f"p50 {cuts[49]:7.2f}  p99 {cuts[98]:7.2f}  max {max(values):7.2f} ms"


def report_latency(latency: Timings) -> None:
    """Print the one-at-a-time figures."""
    print(f"signal -> order acknowledged, {len(latency.accepted)} orders one at a time")
    print(f"  strategy to OrderAccepted  {percentiles(latency.ms(latency.accepted))}")
    print(f"  strategy to OrderFilled    {percentiles(latency.ms(latency.filled))}")


def report_rate(run: RateRun, per_minute: int, seconds: float, problems: list[str]) -> None:
    """Print the sustained run's figures and checks."""
    timings = run.timings
    placed = len(timings.signalled)
    print(f"\n{per_minute:,} orders/min for {seconds:.0f} s: {placed:,} orders placed in "
          f"{run.seconds:.1f} s ({60 * placed / run.seconds:,.0f}/min); the last filled "
          f"{run.settled_s:.2f} s after the last was placed")  # fmt: skip
    steady = [run.placed_per_second[s] for s in range(int(run.seconds))]
    print(f"  placed per second: min {min(steady)}, max {max(steady)}")
    print(f"  CPU per order: {1e3 * run.cpu_s / placed:.2f} ms in the node's process (all"
          f" threads: one core places {60 * placed / run.cpu_s:,.0f}/min),"
          f" {1e3 * run.venue_cpu_s / placed:.2f} ms in the venue's")  # fmt: skip
    print(f"  strategy to OrderAccepted  {percentiles(timings.ms(timings.accepted))}")
    print(f"  strategy to OrderFilled    {percentiles(timings.ms(timings.filled))}")
    verdict = f"every order filled once, {placed:,} fills stored = the venue's, balances equal"
    print("  checks: " + ("; ".join(problems) if problems else verdict))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, default=1000, help="orders timed one by one")
    parser.add_argument("--rate", type=int, default=10_000, help="orders per minute")
    parser.add_argument("--seconds", type=float, default=60.0, help="how long to sustain it")
    args = parser.parse_args(argv)
    with VenueProcess(VENUE) as venue, tempfile.TemporaryDirectory() as folder:
        address = venue.require_address()
        node = start_node(address, Path(folder))
        try:
            measure_latency(node, WARM_UP)
            report_latency(measure_latency(node, args.orders))
            run = sustain_rate(node, args.rate, args.seconds, venue)
            problems = check_rate_run(node, address, run)
            report_rate(run, args.rate, args.seconds, problems)
        finally:
            node.stop()
        bare = bare_ccxt_latency(address, args.orders)
        print(f"\nbare ccxt create_order round trips (no tradeforge)  {percentiles(bare)}")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
