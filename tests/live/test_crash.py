"""Crash safety: a live node killed with SIGKILL at random moments while it trades restarts
with the venue's orders, fills, balances and positions; no order is sent twice, no fill lost.

The sandbox runs in this process; the node runs in child processes forked by
``crash_runner.py`` (one warm interpreter, so a restart costs the node's start, not Python's
imports). Each trial: start a node on the paused sandbox (it reconciles), compare its store
and portfolio with the venue's own books, let the market run (the node trades on every 1m
bar), kill the node at a seeded random moment, sometimes kill the next one during its start
too, pause the market.
"""

from __future__ import annotations

import itertools
import json
import os
import queue
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from tradeforge.model.enums import OrderStatus
from tradeforge.model.events import OrderFilled
from tradeforge.persistence.repositories import OrderRepository
from tradeforge.persistence.store import Store
from tradeforge.sandbox import SandboxServer
from tradeforge.sandbox.core import Sandbox

from .conftest import STRATEGIES, StartServer

SEED = 8
TRIALS = 20
RUNNER = Path(__file__).with_name("crash_runner.py")
_VENUE_STATUS = {
    OrderStatus.ACCEPTED: "NEW",
    OrderStatus.FILLED: "FILLED",
    OrderStatus.CANCELED: "CANCELED",
    OrderStatus.EXPIRED: "EXPIRED",
}

Book = dict[str, tuple[Any, ...]]


class Runner:
    """The forking node runner, in a subprocess; its lines read by a thread."""

    def __init__(self, config: Path, url: str, log: Path) -> None:
        self._log = log.open("w")
        self.process = subprocess.Popen(
            [sys.executable, str(RUNNER), str(config), url],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._log, text=True,
            cwd=config.parent,
        )  # fmt: skip
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.strip())

    def start(self) -> int:
        """Fork a node; its pid."""
        assert self.process.stdin is not None
        self.process.stdin.write("start\n")
        self.process.stdin.flush()
        return int(self._next("pid "))

    def ready(self) -> dict[str, Any]:
        """Wait until the node started (reconciled); its portfolio and differences."""
        state: dict[str, Any] = json.loads(self._next("ready "))
        return state

    def _next(self, prefix: str, timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        while True:
            line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            assert not line.startswith("failed"), f"the node runner: {line}"
            if line.startswith(prefix):
                return line[len(prefix) :]

    def close(self) -> None:
        if self.process.poll() is None:
            assert self.process.stdin is not None
            self.process.stdin.write("exit\n")
            self.process.stdin.flush()
            self.process.wait(timeout=10)
        self._log.close()


def kill(pid: int) -> None:
    """SIGKILL a node and wait until it is gone."""
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while _alive(pid):
        assert time.monotonic() < deadline, f"node {pid} survived SIGKILL"
        time.sleep(0.01)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def count_placements(server: SandboxServer) -> Counter[str]:
    """New-order requests the sandbox receives, by client order id."""
    placed: Counter[str] = Counter()
    venue = server.sandbox.venue
    place = venue.place

    def placing(request: Any) -> Any:
        placed[request.client_order_id] += 1
        return place(request)

    venue.place = placing  # type: ignore[method-assign]
    return placed


def venue_books(sandbox: Sandbox) -> tuple[Book, Book, dict[str, Decimal]]:
    """The venue's orders (client id: status, executed), fills (trade id: client id, price,
    quantity, fee to 8 decimals) and balance totals."""
    venue = sandbox.venue
    cids = {r.order_id: r.client_order_id for r in venue.orders.values()}
    orders = {r.client_order_id: (r.status, r.executed_qty) for r in venue.orders.values()}
    fills = {
        str(f.trade_id): (cids[f.order_id], f.price, f.qty, round(f.commission, 8))
        for symbol_fills in venue.fills.values()
        for f in symbol_fills
    }
    totals = {asset: free + locked for asset, free, locked in venue.balances()}
    return orders, fills, totals


def stored_books(url: str) -> tuple[Book, Book, list[str], list[str]]:
    """The store's orders at the venue (client id: venue status, filled), fills (trade id:
    client id, price, quantity, fee), orders refused or never sent, and every trade id
    stored (with repeats)."""
    store = Store(url)
    with store.session() as session:
        stored = OrderRepository(session).orders("binance")
    store.dispose()
    orders: Book = {}
    refused = []
    fills: Book = {}
    trade_ids = []
    for order in stored:
        if order.status is OrderStatus.REJECTED:
            refused.append(order.client_order_id)
        else:
            status = _VENUE_STATUS.get(order.status, order.status.value)
            orders[order.client_order_id] = (status, order.filled_qty)
        for event in order.events:
            if isinstance(event, OrderFilled):
                trade_ids.append(event.trade_id)
                fills[event.trade_id] = (
                    order.client_order_id, event.last_price, event.last_qty, event.fee.amount
                )  # fmt: skip
    return orders, fills, refused, trade_ids


def check_equal_to_venue(
    server: SandboxServer, url: str, state: dict[str, Any], placed: Counter[str]
) -> int:
    """Assert the restarted node's record equals the venue's; the venue's fill count."""
    venue_orders, venue_fills, totals = server.call(venue_books)
    orders, fills, refused, trade_ids = stored_books(url)
    assert orders == venue_orders
    assert set(refused).isdisjoint(venue_orders)
    assert fills == venue_fills
    assert len(trade_ids) == len(set(trade_ids))
    assert not [cid for cid, n in placed.items() if n > 1]  # nothing sent twice
    assert set(placed) <= set(orders) | set(refused)  # everything sent was stored first
    assert Decimal(state["cash"]) == totals["USDT"]
    assert Decimal(state["positions"]["BTC"]) == totals["BTC"]
    assert not [d for d in state["differences"] if d.startswith(("balance", "fill ext-"))]
    assert not [cid for cid in orders if cid.startswith("ext")]
    return len(venue_fills)


def test_a_node_killed_at_random_moments_restarts_equal_to_the_venue(
    make_server: StartServer, tmp_path: Path
) -> None:
    server = make_server(speed=600)
    placed = count_placements(server)
    config = tmp_path / "node.yaml"
    config.write_text(
        yaml.safe_dump({
            "mode": "live",
            "venue": {"exchange": "binance", "url": server.http_url},
            "symbols": ["BTC/USDT"],
            "timeframes": ["1m"],
            "strategies": [{"name": f"{STRATEGIES}:Churn", "id": "churn", "warmup_bars": 5}],
            "reconcile": {"grace": "0s"},
        })
    )  # fmt: skip
    url = f"sqlite:///{tmp_path / 'node.db'}"
    runner = Runner(config, url, tmp_path / "runner.log")
    rng = random.Random(SEED)
    fills: list[int] = []
    differences: list[str] = []
    try:
        for _ in range(TRIALS):
            pid = runner.start()
            state = runner.ready()
            differences += state["differences"]
            fills.append(check_equal_to_venue(server, url, state, placed))
            server.resume()
            time.sleep(rng.uniform(0.3, 1.5))
            kill(pid)  # while it trades
            if rng.random() < 0.3:
                starting = runner.start()
                time.sleep(rng.uniform(0.0, 1.0))
                kill(starting)  # while it starts (reconciles, warms up) or just after
            time.sleep(rng.uniform(0.0, 0.5))  # the market runs on: resting orders fill
            server.pause()
        pid = runner.start()
        fills.append(check_equal_to_venue(server, url, runner.ready(), placed))
        kill(pid)
    finally:
        runner.close()
    assert len(fills) == TRIALS + 1
    assert fills[-1] >= 30  # it traded all along (~85 fills, ~120 orders on a quiet machine;
    # 39 once with both CPUs taken by other jobs)
    assert sum(b > a for a, b in itertools.pairwise(fills)) >= TRIALS // 2
    # restarts found fills made while the node was down, and booked them
    assert any(d.endswith("booked (the venue wins)") for d in differences)
