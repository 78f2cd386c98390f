"""Binance's error codes and statuses, as ccxt maps them, and malformed requests that leave
the sandbox unchanged."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlencode

import ccxt
import pytest

from tradeforge.sandbox import SandboxServer

from .conftest import StartServer, rest


def call(
    server: SandboxServer,
    method: str,
    path: str,
    params: dict[str, Any] | str | None = None,
    signed: bool = True,
) -> tuple[int, Any, dict[str, str]]:
    """A raw request, signed the way the wire notes describe; (status, JSON or text, headers
    with lower-case names)."""
    if isinstance(params, str):
        query = params
    else:
        fields = {**(params or {})}
        if signed:
            fields = {**fields, "timestamp": int(time.time() * 1000), "recvWindow": 10000}
        query = urlencode(fields)
    if signed:
        secret = server.config.api_secret.encode()
        query += "&signature=" + hmac.new(secret, query.encode(), hashlib.sha256).hexdigest()
    url = f"{server.http_url}{path}"
    data = None
    if method in ("POST", "PUT"):
        data = query.encode()
    elif query:
        url += "?" + query
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("X-MBX-APIKEY", server.config.api_key)
    request.add_header("Content-Type", "application/x-www-form-urlencoded")
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            status, raw, headers = answer.status, answer.read(), answer.headers
    except urllib.error.HTTPError as error:
        status, raw, headers = error.code, error.read(), error.headers
    headers = {name.lower(): value for name, value in headers.items()}
    try:
        return status, json.loads(raw), headers
    except ValueError:
        return status, raw.decode(), headers


def test_bad_signature_is_an_authentication_error(paused: SandboxServer) -> None:
    exchange = rest(paused)
    exchange.secret = "not-the-secret"
    with pytest.raises(ccxt.AuthenticationError, match="-1022"):
        exchange.fetch_balance()


def test_unknown_api_key_is_an_authentication_error(paused: SandboxServer) -> None:
    exchange = rest(paused)
    exchange.apiKey = "someone-else"
    with pytest.raises(ccxt.AuthenticationError, match="-2015"):
        exchange.fetch_balance()


@pytest.mark.parametrize("difference", [60_000, -5_000])
def test_stale_or_future_timestamp_is_an_invalid_nonce(
    paused: SandboxServer, difference: int
) -> None:
    exchange = rest(paused)
    exchange.options["timeDifference"] = difference  # ccxt signs now - difference
    with pytest.raises(ccxt.InvalidNonce, match="-1021"):
        exchange.fetch_balance()


def test_filter_failures_are_invalid_orders(paused: SandboxServer) -> None:
    exchange = rest(paused)
    with pytest.raises(ccxt.InvalidOrder, match=r"-1013.*LOT_SIZE"):
        exchange.create_order("BTC/USDT", "limit", "buy", 9001, 29000)
    with pytest.raises(ccxt.BadRequest, match=r"-1013.*NOTIONAL"):
        exchange.create_order("BTC/USDT", "limit", "buy", 0.0001, 29000)


def test_insufficient_balance_is_insufficient_funds(paused: SandboxServer) -> None:
    exchange = rest(paused)
    with pytest.raises(ccxt.InsufficientFunds, match="insufficient balance"):
        exchange.create_order("BTC/USDT", "market", "buy", 1)
    with pytest.raises(ccxt.InsufficientFunds, match="insufficient balance"):
        exchange.create_order("BTC/USDT", "limit", "sell", 2, 30000)
    order = {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quoteOrderQty": "20000"}
    status, body, _ = call(paused, "POST", "/api/v3/order", order)
    assert (status, body["code"]) == (400, -2010)


def test_post_only_and_stop_that_would_act_at_once_are_refused(paused: SandboxServer) -> None:
    exchange = rest(paused)
    with pytest.raises(ccxt.OrderImmediatelyFillable, match="immediately match"):
        exchange.create_order("BTC/USDT", "limit", "buy", 0.01, 29400, {"postOnly": True})
    with pytest.raises(ccxt.InvalidOrder, match="trigger immediately"):
        exchange.create_order("BTC/USDT", "market", "sell", 0.01, None, {"stopLossPrice": 29400})


def test_duplicate_client_order_id_of_an_open_order(paused: SandboxServer) -> None:
    exchange = rest(paused)
    exchange.create_order("BTC/USDT", "limit", "buy", 0.01, 29000, {"clientOrderId": "twice"})
    with pytest.raises(ccxt.InvalidOrder, match="Duplicate order sent"):
        exchange.create_order("BTC/USDT", "limit", "buy", 0.01, 28000, {"clientOrderId": "twice"})
    assert len(exchange.fetch_open_orders("BTC/USDT")) == 1
    exchange.cancel_order(None, "BTC/USDT", {"clientOrderId": "twice"})
    again = exchange.create_order(
        "BTC/USDT", "limit", "buy", 0.01, 28000, {"clientOrderId": "twice"}
    )
    assert exchange.fetch_order(None, "BTC/USDT", {"clientOrderId": "twice"})["id"] == again["id"]


def test_unknown_orders_are_order_not_found(paused: SandboxServer) -> None:
    exchange = rest(paused)
    with pytest.raises(ccxt.OrderNotFound, match="-2011"):
        exchange.cancel_order("999", "BTC/USDT")
    with pytest.raises(ccxt.OrderNotFound, match="-2013"):
        exchange.fetch_order("999", "BTC/USDT")
    filled = exchange.create_order("BTC/USDT", "market", "buy", 0.01)
    with pytest.raises(ccxt.OrderNotFound, match="-2011"):
        exchange.cancel_order(filled["id"], "BTC/USDT")


def test_unknown_symbol_is_a_bad_symbol(paused: SandboxServer) -> None:
    exchange = rest(paused)
    with pytest.raises(ccxt.BadSymbol, match="-1121"):
        exchange.public_get_ticker_24hr({"symbol": "DOGEBTC"})
    assert call(paused, "GET", "/api/v3/depth", {"symbol": "DOGEBTC"}, signed=False)[:2] == (
        400, {"code": -1121, "msg": "Invalid symbol."}
    )  # fmt: skip


def test_request_weight_limit_answers_429_with_retry_after(make_server: StartServer) -> None:
    server = make_server(paused=True, rate_limit=3)
    exchange = rest(server)
    exchange.fetch_time()
    exchange.fetch_time()
    exchange.fetch_time()
    with pytest.raises(ccxt.DDoSProtection, match="-1003"):  # RateLimitExceeded's parent
        exchange.fetch_time()
    status, body, headers = call(server, "GET", "/api/v3/time", signed=False)
    assert (status, body["code"]) == (429, -1003)
    assert 1 <= int(headers["retry-after"]) <= 60


MALFORMED = [
    ("POST", "/api/v3/order", "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=abc", -1100),
    ("POST", "/api/v3/order", "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=-1", -1100),
    ("POST", "/api/v3/order", "symbol=BTCUSDT&type=MARKET&quantity=1", -1102),
    ("POST", "/api/v3/order", "symbol=BTCUSDT&side=HOLD&type=MARKET&quantity=1", -1117),
    ("POST", "/api/v3/order", "symbol=BTCUSDT&side=BUY&type=ICEBERG&quantity=1", -1116),
    ("POST", "/api/v3/order", "symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=1&price=1", -1102),
    ("POST", "/api/v3/order",
     "symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=1&price=1&timeInForce=GTX", -1115),
    ("POST", "/api/v3/order", "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=1&price=1", -1106),
    ("POST", "/api/v3/order",
     "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.01&quantity=0.02", -1101),
    ("POST", "/api/v3/order",
     "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.01&newClientOrderId=bad%20id", -1100),
    ("POST", "/api/v3/order", "symbol=BTC%2FUSDT&side=BUY&type=MARKET&quantity=1", -1100),
    ("POST", "/api/v3/orderList/oco",
     "symbol=BTCUSDT&side=SELL&quantity=0.5&aboveType=STOP_LOSS&aboveStopPrice=30000"
     "&belowType=LIMIT_MAKER&belowPrice=28000", -1166),
    ("DELETE", "/api/v3/order", "symbol=BTCUSDT", -1102),
    ("GET", "/api/v3/allOrders", "symbol=BTCUSDT&limit=5000", -1130),
]  # fmt: skip


@pytest.mark.parametrize(("method", "path", "query", "code"), MALFORMED)
def test_malformed_requests_get_binance_errors_and_change_nothing(
    paused: SandboxServer, method: str, path: str, query: str, code: int
) -> None:
    before = paused.balances()
    stamp = f"&timestamp={int(time.time() * 1000)}"
    status, body, _ = call(paused, method, path, query + stamp)
    assert status == 400
    assert body["code"] == code
    assert set(body) == {"code", "msg"}
    assert paused.balances() == before
    assert call(paused, "GET", "/api/v3/allOrders", {"symbol": "BTCUSDT"})[1] == []


def test_unsigned_private_request_and_missing_key(paused: SandboxServer) -> None:
    status, body, _ = call(paused, "GET", "/api/v3/account", "", signed=False)
    assert (status, body["code"]) == (400, -1102)  # no signature
    request = urllib.request.Request(f"{paused.http_url}/api/v3/account?timestamp=1")
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(request, timeout=10)
    assert raised.value.code == 401
    assert json.loads(raised.value.read()) == {"code": -2014, "msg": "API-key format invalid."}


def test_unknown_path_is_a_plain_404(paused: SandboxServer) -> None:
    status, body, _ = call(paused, "GET", "/sapi/v1/capital/config/getall", signed=False)
    assert (status, body) == (404, "404 Not Found")
