"""Stopping: open orders canceled or left by policy, the store flushed, SIGTERM handled in a
real process; the kill switch halts the node and cancels its orders."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import ccxt
import yaml

from tradeforge.model.enums import OrderStatus
from tradeforge.persistence.models import StrategyRunRecord
from tradeforge.persistence.repositories import OrderRepository
from tradeforge.persistence.store import Store
from tradeforge.risk.state import TradingState
from tradeforge.sandbox import SandboxServer

from .conftest import StartServer, settings, start_node, strategy


def open_at_venue(server: SandboxServer) -> list[str]:
    rest = ccxt.binance(server.ccxt_config())
    return [o["clientOrderId"] for o in rest.fetch_open_orders("BTC/USDT")]


def test_stop_cancels_open_orders_by_default(server: SandboxServer, store: Store) -> None:
    driver = start_node(settings(server, "live", strategies=[strategy("Resting")]), store, server)
    driver.bars(1)
    (cid,) = open_at_venue(server)
    driver.node.request_stop("test")
    driver.node.run()
    assert open_at_venue(server) == []
    with store.session() as session:
        order = OrderRepository(session).load(cid)
        run = session.query(StrategyRunRecord).one()
    assert order is not None and order.status is OrderStatus.CANCELED
    assert [type(e).__name__ for e in order.events] == [
        "OrderInitialized", "OrderSubmitted", "OrderAccepted", "OrderCanceled",
    ]  # fmt: skip
    assert (run.stop_reason, run.stopped_at is not None) == ("test", True)


def test_stop_leaves_open_orders_when_told(server: SandboxServer, store: Store) -> None:
    config = settings(
        server, "live", strategies=[strategy("Resting")], shutdown={"orders": "leave"}
    )
    driver = start_node(config, store, server)
    driver.bars(1)
    driver.node.stop()
    (cid,) = open_at_venue(server)
    with store.session() as session:
        order = OrderRepository(session).load(cid)
    assert order is not None and order.status is OrderStatus.ACCEPTED


def test_the_kill_switch_halts_the_node_and_cancels_its_orders(
    server: SandboxServer, store: Store
) -> None:
    config = settings(
        server, "live", strategies=[strategy("Resting"), strategy("sma_cross", fast=3, slow=8)]
    )
    driver = start_node(config, store, server)
    driver.bars(1)
    node = driver.node
    (resting,) = open_at_venue(server)
    report = node.kill_switch("test")
    driver.settle()
    assert report.canceled == (resting,)
    assert open_at_venue(server) == []
    assert node.trading.state is TradingState.HALTED
    driver.bars(20)  # the SMA crosses: its orders are refused, never sent
    refused = [o for o in node.kernel.execution.orders.values() if o.strategy_id == "sma_cross"]
    assert len(refused) == 2
    assert all(o.status is OrderStatus.REJECTED for o in refused)
    assert len(ccxt.binance(server.ccxt_config()).fetch_orders("BTC/USDT")) == 1
    node.stop()
    again = start_node(config, store, server)  # the halt is in the store
    assert again.node.trading.state is TradingState.HALTED
    assert again.node.trading.source == "kill switch"
    again.node.stop()


def test_sigterm_stops_a_live_node_gracefully(make_server: StartServer, tmp_path: Path) -> None:
    server = make_server(paused=False, speed=100)
    config = {
        "mode": "live",
        "venue": {"exchange": "binance", "url": server.http_url},
        "symbols": ["BTC/USDT"],
        "timeframes": ["1m"],
        "strategies": [strategy("Resting")],
    }
    path = tmp_path / "node.yaml"
    path.write_text(yaml.safe_dump(config))
    url = f"sqlite:///{tmp_path / 'node.db'}"
    env = {
        **os.environ,
        "TRADEFORGE_BINANCE_API_KEY": "sandbox-key",
        "TRADEFORGE_BINANCE_API_SECRET": "sandbox-secret",
        "TRADEFORGE_HOME": str(tmp_path),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "tradeforge", "trade", "--mode", "live", "--config", str(path),
         "--db", url],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not open_at_venue(server):
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the node never placed its order"
            time.sleep(0.2)
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err
    assert "node stopped (SIGTERM)" in out
    assert open_at_venue(server) == []
    store = Store(url)
    with store.session() as session:
        (order,) = OrderRepository(session).orders("binance")
        run = session.query(StrategyRunRecord).one()
    store.dispose()
    assert order.status is OrderStatus.CANCELED
    assert run.stop_reason == "SIGTERM"
