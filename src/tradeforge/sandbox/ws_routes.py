"""WebSocket endpoints: market streams, the legacy listenKey stream, and the WebSocket API.

* ``/ws`` and ``/ws/<anything>``: a raw market-stream connection that starts with no streams
  and takes ``SUBSCRIBE``/``UNSUBSCRIBE``/``LIST_SUBSCRIPTIONS`` (ccxt connects to
  ``/ws/0``, ``/ws/1``, ...). When ``<anything>`` is an issued listenKey, the account's events
  arrive on it too, unwrapped (ccxt ≤ 4.5.5).
* ``/stream?streams=a/b``: combined streams, events wrapped as ``{"stream", "data"}``.
* ``/ws-api/v3``: the WebSocket API's ``userDataStream.subscribe.signature`` (ccxt ≥ 4.5.6),
  ``userDataStream.unsubscribe``, ``ping`` and ``time``; events arrive wrapped as
  ``{"subscriptionId", "event"}``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from tradeforge.sandbox.core import Sandbox
from tradeforge.sandbox.errors import BinanceError
from tradeforge.sandbox.http import dumps
from tradeforge.sandbox.streams import Connection, StreamError

router = APIRouter()
Handler = Callable[[Sandbox, Connection, Any], str | None]


@router.websocket("/ws")
async def market(websocket: WebSocket) -> None:
    """A bare market-stream connection."""
    await _serve(websocket, _market_request)


@router.websocket("/ws/{suffix:path}")
async def market_or_user(websocket: WebSocket, suffix: str) -> None:
    """A market-stream connection; with a listenKey suffix, the user data stream too."""
    sandbox: Sandbox = websocket.app.state.sandbox
    user = suffix in sandbox.listen_keys
    await _serve(websocket, _market_request, user=user)


@router.websocket("/stream")
async def combined(websocket: WebSocket) -> None:
    """Combined streams named in ``?streams=a/b``, events wrapped with their stream name."""
    names = [n for n in websocket.query_params.get("streams", "").split("/") if n]
    await _serve(websocket, _market_request, wrap=True, streams=names)


@router.websocket("/ws-api/v3")
async def ws_api(websocket: WebSocket) -> None:
    """The WebSocket API (user data subscriptions)."""
    await _serve(websocket, _api_request)


async def _serve(
    websocket: WebSocket,
    handle: Handler,
    wrap: bool = False,
    user: bool = False,
    streams: list[str] | None = None,
) -> None:
    sandbox: Sandbox = websocket.app.state.sandbox
    sandbox.catch_up()
    connection = Connection(lambda: sandbox.faults.latency_ms, wrap)
    try:
        if streams:
            sandbox.hub.subscribe(connection, streams)
    except StreamError as error:
        await websocket.accept()
        await websocket.close(1008, str(error)[:120])
        return
    sandbox.hub.add(connection)  # listening before the client can act: no event is missed
    if user:
        sandbox.hub.subscribe_user(connection, ws_api=False)
    try:
        await websocket.accept()
        await _run(websocket, sandbox, connection, handle)
    finally:
        sandbox.hub.remove(connection)


async def _run(
    websocket: WebSocket, sandbox: Sandbox, connection: Connection, handle: Handler
) -> None:
    """Pump, read and wait for an injected end, until one of them stops."""
    tasks = [
        asyncio.create_task(connection.pump(websocket.send_text)),
        asyncio.create_task(_read(websocket, sandbox, connection, handle)),
        asyncio.create_task(connection.ended()),
    ]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    if connection.ending == "close":
        with contextlib.suppress(Exception):
            await websocket.close(1001)
    # "drop": return without a close frame; the server then cuts the TCP connection


async def _read(
    websocket: WebSocket, sandbox: Sandbox, connection: Connection, handle: Handler
) -> None:
    with contextlib.suppress(WebSocketDisconnect):
        while True:
            text = await websocket.receive_text()
            sandbox.catch_up()
            try:
                message = json.loads(text)
            except ValueError:
                connection.push(dumps({"error": {"code": 3, "msg": "Invalid JSON"}, "id": None}))
                continue
            answer = handle(sandbox, connection, message)
            if answer is not None:
                connection.push(answer)
            sandbox.publish()


def _market_request(sandbox: Sandbox, connection: Connection, message: Any) -> str | None:
    """``SUBSCRIBE``, ``UNSUBSCRIBE``, ``LIST_SUBSCRIPTIONS``; Binance's error shape else."""
    if not isinstance(message, dict):
        return _market_error(None, 2, "Invalid request: expected a JSON object")
    ident, method, params = message.get("id"), message.get("method"), message.get("params", [])
    if not isinstance(ident, int) or isinstance(ident, bool) or ident < 0:
        return _market_error(ident, 2, "Invalid request: request ID must be an unsigned integer")
    if method == "LIST_SUBSCRIPTIONS":
        return dumps({"result": sorted(connection.streams), "id": ident})
    if method not in ("SUBSCRIBE", "UNSUBSCRIBE"):
        return _market_error(
            ident, 2, f"Invalid request: unknown variant {method!r}, expected one of SUBSCRIBE, "
            "UNSUBSCRIBE, LIST_SUBSCRIPTIONS",
        )  # fmt: skip
    if not isinstance(params, list) or not all(isinstance(p, str) for p in params):
        return _market_error(ident, 2, "Invalid request: params must be a list of stream names")
    try:
        if method == "SUBSCRIBE":
            sandbox.hub.subscribe(connection, params)
        else:
            sandbox.hub.unsubscribe(connection, params)
    except StreamError as error:
        return _market_error(ident, 2, str(error))
    return dumps({"result": None, "id": ident})


def _market_error(ident: Any, code: int, msg: str) -> str:
    return dumps({"error": {"code": code, "msg": msg}, "id": ident})


def _api_request(sandbox: Sandbox, connection: Connection, message: Any) -> str | None:
    """One WebSocket API request; ``{"id", "status", "result"|"error"}``."""
    if not isinstance(message, dict):
        return _api_answer(None, BinanceError(-1100, "Invalid request: expected a JSON object"))
    ident, method = message.get("id"), message.get("method")
    params = message.get("params") or {}
    methods: dict[str, Callable[[Sandbox, Connection, Any], Any]] = {
        "userDataStream.subscribe.signature": _subscribe,
        "userDataStream.unsubscribe": _unsubscribe,
        "ping": lambda *_: {},
        "time": lambda s, *_: {"serverTime": s.wall_ms()},
    }
    action = methods.get(method) if isinstance(method, str) else None
    if action is None or not isinstance(params, dict):
        return _api_answer(ident, BinanceError(-1100, f"Unknown method {method!r}."))
    try:
        return _api_answer(ident, action(sandbox, connection, params))
    except BinanceError as error:
        return _api_answer(ident, error)


def _subscribe(sandbox: Sandbox, connection: Connection, params: dict[str, Any]) -> Any:
    sandbox.auth.verify_ws(params)
    return {"subscriptionId": sandbox.hub.subscribe_user(connection, ws_api=True)}


def _unsubscribe(sandbox: Sandbox, connection: Connection, params: dict[str, Any]) -> Any:
    ids = list(connection.user_ids)
    wanted = params.get("subscriptionId")
    for subscription in ids if wanted is None else [wanted]:
        if not sandbox.hub.unsubscribe_user(connection, subscription):
            raise BinanceError(-2, f"Subscription {wanted!r} does not exist.")
    return {}


def _api_answer(ident: Any, result: Any) -> str:
    if isinstance(result, BinanceError):
        return dumps({"id": ident, "status": 400 if result.status < 500 else result.status,
                      "error": result.body()})  # fmt: skip
    return dumps({"id": ident, "status": 200, "result": result})
