"""Injected faults: error bursts, latency, dropped and closed sockets, stale data."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from typing import Any

import ccxt
import ccxt.pro as ccxtpro
import pytest
import websockets

from tradeforge.sandbox import SandboxServer

from .conftest import StartServer, connect, rest, run
from .test_errors import call


def test_5xx_burst_is_exchange_not_available_then_recovers(paused: SandboxServer) -> None:
    exchange = rest(paused)
    paused.error_burst(2, status=503)
    for _ in range(2):
        with pytest.raises(ccxt.ExchangeNotAvailable):
            exchange.fetch_ticker("BTC/USDT")
    assert exchange.fetch_ticker("BTC/USDT")["last"] == 29331.70


def test_429_burst_carries_retry_after_and_runs_nothing(paused: SandboxServer) -> None:
    exchange = rest(paused)
    paused.error_burst(2, status=429, retry_after=7)
    with pytest.raises(ccxt.DDoSProtection, match="-1003"):
        exchange.create_order("BTC/USDT", "market", "buy", 0.01)
    status, body, headers = call(paused, "GET", "/api/v3/openOrders", {"symbol": "BTCUSDT"})
    assert (status, body["code"], headers["retry-after"]) == (429, -1003, "7")
    assert exchange.fetch_orders("BTC/USDT") == []  # the refused order never reached the venue


def test_an_executed_burst_runs_the_request_and_loses_only_the_answer(
    paused: SandboxServer,
) -> None:
    exchange = rest(paused)
    exchange.load_markets()
    paused.error_burst(1, status=503, executed=True)
    paused.error_burst(1, status=502)  # queued after the first
    with pytest.raises(ccxt.ExchangeNotAvailable):
        exchange.create_order("BTC/USDT", "market", "buy", 0.01, params={"newClientOrderId": "o-1"})
    with pytest.raises(ccxt.ExchangeNotAvailable):
        exchange.fetch_orders("BTC/USDT")
    [order] = exchange.fetch_orders("BTC/USDT")  # the first request ran
    assert (order["clientOrderId"], order["status"], order["filled"]) == ("o-1", "closed", 0.01)
    with pytest.raises(ValueError, match="429 is a refusal"):
        paused.error_burst(1, status=429, executed=True)


def test_latency_delays_rest_answers(paused: SandboxServer) -> None:
    exchange = rest(paused)
    paused.set_latency(300)
    started = time.perf_counter()
    exchange.fetch_time()
    assert time.perf_counter() - started >= 0.3
    paused.set_latency(0)
    started = time.perf_counter()
    exchange.fetch_time()
    assert time.perf_counter() - started < 0.3


@pytest.mark.parametrize("mode", ["drop", "close"])
def test_ccxt_reconnects_after_a_lost_market_socket(live: SandboxServer, mode: Any) -> None:
    async def scenario() -> tuple[int, int, list[str]]:
        exchange = ccxtpro.binance(live.ccxt_config())
        errors: list[str] = []
        try:
            await exchange.load_markets()
            before = (await exchange.watch_trades("BTC/USDT"))[-1]
            assert live.disconnect("market", mode) == 1
            while True:
                try:
                    after = (await exchange.watch_trades("BTC/USDT"))[-1]
                except ccxt.NetworkError as error:
                    errors.append(type(error).__name__)
                    continue
                if int(after["id"]) > int(before["id"]) and errors:
                    return int(before["id"]), int(after["id"]), errors
        finally:
            await exchange.close()

    before, after, errors = run(scenario())
    assert after > before
    assert errors  # the loss surfaced, then the next watch reconnected


def test_stale_data_withholds_then_bursts_in_sequence(live: SandboxServer) -> None:
    async def scenario() -> tuple[list[float], list[dict[str, Any]]]:
        async with connect(f"{live.ws_url}/ws/0") as socket:
            request = {"method": "SUBSCRIBE", "params": ["btcusdt@depth"], "id": 1}
            await socket.send(json.dumps(request))
            await socket.recv()
            events = [json.loads(await socket.recv()) for _ in range(3)]
            await asyncio.to_thread(live.go_stale, 0.5)
            arrivals, started = [0.0], time.perf_counter()
            while len(arrivals) < 12:
                events.append(json.loads(await socket.recv()))
                arrivals.append(time.perf_counter() - started)
            return arrivals, events

    arrivals, events = run(scenario())
    silence = max(b - a for a, b in itertools.pairwise(arrivals))
    assert silence >= 0.4  # nothing while stale (a frame already sent may still arrive)
    ids = [e["u"] for e in events]
    assert ids == list(range(ids[0], ids[0] + len(ids)))  # the burst keeps the ids contiguous


def test_latency_delays_stream_frames(make_server: StartServer) -> None:
    server = make_server()
    server.set_latency(400)

    async def first_frame() -> float:
        async with connect(f"{server.ws_url}/ws") as socket:
            started = time.perf_counter()
            await socket.send(json.dumps({"method": "SUBSCRIBE", "params": [], "id": 1}))
            await socket.recv()
            return time.perf_counter() - started

    assert run(first_frame()) >= 0.4


@pytest.mark.parametrize(("mode", "code"), [("drop", None), ("close", 1001)])
def test_drop_cuts_without_a_close_frame_and_close_sends_one(
    live: SandboxServer, mode: Any, code: int | None
) -> None:
    async def scenario() -> websockets.ConnectionClosed:
        async with connect(f"{live.ws_url}/ws/0") as socket:
            request = {"method": "SUBSCRIBE", "params": ["btcusdt@trade"], "id": 1}
            await socket.send(json.dumps(request))
            await socket.recv()
            await asyncio.to_thread(live.disconnect, "all", mode)
            try:
                while True:
                    await socket.recv()
            except websockets.ConnectionClosed as closed:
                return closed

    closed = run(scenario())
    assert (closed.rcvd.code if closed.rcvd else None) == code
