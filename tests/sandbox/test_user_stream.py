"""The user data stream in both styles: the WebSocket API (ccxt 4.5.90's watch_orders,
watch_my_trades, watch_balance) and the legacy listenKey stream (ccxt <= 4.5.5)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from decimal import Decimal
from typing import Any

import ccxt
import ccxt.pro as ccxtpro
import pytest

from tradeforge.sandbox import SandboxServer

from .conftest import BAR_MS, START_MS, connect, rest, run, subscribed

OPEN = Decimal("29331.70")


async def _until(watch: Any, done: Any) -> Any:
    while True:
        found = await watch()
        if done(found):
            return found


def test_ws_api_streams_orders_trades_and_balances(paused: SandboxServer) -> None:
    async def scenario() -> tuple[Any, Any, Any]:
        exchange = ccxtpro.binance(paused.ccxt_config())
        try:
            await exchange.load_markets()
            orders = asyncio.create_task(_until(
                lambda: exchange.watch_orders("BTC/USDT"),
                lambda found: any(o["status"] == "closed" for o in found)))  # fmt: skip
            trades = asyncio.create_task(exchange.watch_my_trades("BTC/USDT"))
            balance = asyncio.create_task(
                _until(exchange.watch_balance, lambda b: b.get("BTC", {}).get("total") == 1.01)
            )
            await subscribed(paused)
            await exchange.create_order("BTC/USDT", "market", "buy", 0.01, None,
                                        {"clientOrderId": "ws-1"})  # fmt: skip
            return await orders, await trades, await balance
        finally:
            await exchange.close()

    orders, trades, balance = run(scenario())
    order = orders[-1]
    assert (order["clientOrderId"], order["status"], order["filled"]) == ("ws-1", "closed", 0.01)
    assert order["average"] == 29331.70
    (trade,) = trades
    assert (trade["price"], trade["amount"], trade["takerOrMaker"]) == (29331.70, 0.01, "taker")
    assert trade["fee"] == {"cost": 0.2933170, "currency": "USDT"}
    assert trade["timestamp"] == START_MS
    usdt = Decimal(10_000) - OPEN * Decimal("0.01") * Decimal("1.001")
    assert balance["USDT"]["free"] == float(usdt)


def _signed(secret: str, **params: Any) -> dict[str, Any]:
    """WebSocket API params signed as Binance wants: sorted by key, joined raw."""
    payload = "&".join(f"{k}={params[k]}" for k in sorted(params))
    signature = hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()
    return {**params, "signature": signature}


def test_ws_api_subscription_checks_the_signature(paused: SandboxServer) -> None:
    key, now = paused.config.api_key, int(time.time() * 1000)

    async def talk() -> list[Any]:
        async with connect(f"{paused.ws_url}/ws-api/v3") as socket:
            answers = []
            for ident, secret, stamp in (
                ("1", "wrong", now),
                ("2", paused.config.api_secret, now - 60_000),
                ("3", paused.config.api_secret, now),
            ):
                params = _signed(secret, apiKey=key, timestamp=stamp, recvWindow=5000)
                await socket.send(
                    json.dumps(
                        {
                            "id": ident,
                            "params": params,
                            "method": "userDataStream.subscribe.signature",
                        }
                    )
                )
                answers.append(json.loads(await socket.recv()))
            await socket.send(json.dumps({"id": "4", "method": "order.place", "params": {}}))
            answers.append(json.loads(await socket.recv()))
            return answers

    bad, stale, good, unknown = run(talk())
    assert bad == {"id": "1", "status": 400, "error": {
        "code": -1022, "msg": "Signature for this request is not valid."}}  # fmt: skip
    assert (stale["status"], stale["error"]["code"]) == (400, -1021)
    assert good == {"id": "3", "status": 200, "result": {"subscriptionId": 0}}
    assert (unknown["status"], unknown["error"]["code"]) == (400, -1100)


def test_resting_order_fill_arrives_as_the_market_moves(paused: SandboxServer) -> None:
    async def scenario() -> Any:
        exchange = ccxtpro.binance(paused.ccxt_config())
        try:
            await exchange.load_markets()
            order = await exchange.create_order("BTC/USDT", "limit", "buy", 0.01, 29000)
            watching = asyncio.create_task(_until(
                lambda: exchange.watch_orders("BTC/USDT"),
                lambda found: found[-1]["status"] == "closed"))  # fmt: skip
            await subscribed(paused)
            await asyncio.to_thread(paused.advance, 6 * BAR_MS)
            return order["id"], await watching
        finally:
            await exchange.close()

    order_id, orders = run(scenario())
    assert (orders[-1]["id"], orders[-1]["average"]) == (order_id, 29000.0)


def _listen_key_events(server: SandboxServer) -> tuple[str, list[dict[str, Any]]]:
    """Open the legacy stream with a listenKey, trade, and read the raw events."""
    exchange = rest(server)
    key = exchange.public_post_userdatastream()["listenKey"]
    assert exchange.public_post_userdatastream()["listenKey"] == key  # one key per API key

    async def read() -> list[dict[str, Any]]:
        async with connect(f"{server.ws_url}/ws/{key}") as socket:
            await asyncio.to_thread(exchange.create_order, "BTC/USDT", "market", "buy", 0.01)
            return [json.loads(await socket.recv()) for _ in range(3)]

    events = run(read())
    exchange.public_put_userdatastream({"listenKey": key})
    exchange.public_delete_userdatastream({"listenKey": key})
    return key, events


def test_listen_key_stream_sends_unwrapped_events(paused: SandboxServer) -> None:
    _, events = _listen_key_events(paused)
    assert [(e["e"], e.get("x")) for e in events] == [
        ("executionReport", "NEW"), ("executionReport", "TRADE"), ("outboundAccountPosition", None)
    ]  # fmt: skip
    trade = events[1]
    assert (trade["X"], trade["L"], trade["l"], trade["n"], trade["N"]) == (
        "FILLED", "29331.70000000", "0.01000000", "0.29331700", "USDT"
    )  # fmt: skip
    assert {b["a"]: b["f"] for b in events[2]["B"]} == {
        "BTC": "1.01000000", "USDT": "9706.38968300"
    }  # fmt: skip


def test_listen_key_events_parse_in_ccxt(paused: SandboxServer) -> None:
    key, events = _listen_key_events(paused)

    async def parse() -> tuple[Any, Any]:
        exchange = ccxtpro.binance(paused.ccxt_config())
        try:
            await exchange.load_markets()
            client = exchange.client(f"{paused.ws_url}/ws/{key}")
            client.subscriptions["spot"] = True  # what ccxt's own user-stream subscribe sets
            exchange.balance["spot"] = {}
            for event in events:
                exchange.handle_message(client, event)
            return list(exchange.orders), exchange.balance
        finally:
            await exchange.close()

    orders, balance = run(parse())
    (order,) = orders
    assert (order["status"], order["filled"], order["average"]) == ("closed", 0.01, 29331.70)
    assert balance["spot"]["BTC"]["free"] == 1.01


def test_unknown_listen_key_is_refused(paused: SandboxServer) -> None:
    with pytest.raises(ccxt.AuthenticationError, match="-1125"):
        rest(paused).public_put_userdatastream({"listenKey": "nope"})
