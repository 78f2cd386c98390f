"""What every REST request goes through, and how answers and errors are written.

:func:`enter` applies the faults (latency, an error burst), counts the request weight and
brings the sandbox to market time now; :func:`public_params` and :func:`signed_params` then
read the parameters (signed ones after checking the API key, the HMAC signature over the raw
query string and body, and the timestamp). :func:`reply` publishes what the request changed
on the user data stream and writes the JSON answer.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from tradeforge.sandbox import errors
from tradeforge.sandbox.core import Sandbox
from tradeforge.sandbox.errors import BinanceError
from tradeforge.sandbox.faults import HttpFault
from tradeforge.sandbox.params import Params

API_KEY_HEADER = "X-MBX-APIKEY"
WEIGHT_HEADER = "X-MBX-USED-WEIGHT-1M"
_log = logging.getLogger("tradeforge.sandbox")


class HttpFaultError(Exception):
    """An injected fault that answers instead of the request."""

    def __init__(self, fault: HttpFault) -> None:
        super().__init__(f"injected HTTP {fault.status}")
        self.fault = fault


def sandbox_of(request: Request) -> Sandbox:
    """The sandbox an app serves."""
    sandbox: Sandbox = request.app.state.sandbox
    return sandbox


async def enter(request: Request, weight: int = 1) -> Sandbox:
    """Faults, request weight, then the replay up to now; the sandbox."""
    sandbox = sandbox_of(request)
    if sandbox.faults.latency_ms:
        # received in full first: a client that stops waiting still has its request executed,
        # as on a venue (only the answer is late)
        await request.body()
        await asyncio.sleep(sandbox.faults.latency_ms / 1000)
    fault = sandbox.faults.next_http_fault()
    if fault is not None and not fault.executed:
        raise HttpFaultError(fault)
    request.state.lost_answer = fault  # executed, then answered with the fault
    request.state.weight = sandbox.weights.take(weight)
    sandbox.catch_up()
    return sandbox


def raw_query(request: Request) -> str:
    """The query string exactly as sent (still percent-encoded)."""
    raw: bytes = request.scope.get("query_string", b"")
    return raw.decode("latin-1")


async def public_params(request: Request, weight: int = 1) -> tuple[Sandbox, Params]:
    """An unsigned request's sandbox and parameters."""
    sandbox = await enter(request, weight)
    return sandbox, Params.parse(raw_query(request))


async def keyed(request: Request, weight: int = 1) -> tuple[Sandbox, str, Params]:
    """A request that needs only the API key (``userDataStream``)."""
    sandbox = await enter(request, weight)
    key = sandbox.auth.api_key(request.headers.get(API_KEY_HEADER))
    body = await _body(request)
    return sandbox, key, Params.parse(raw_query(request), body)


async def signed_params(request: Request, weight: int = 1) -> tuple[Sandbox, Params]:
    """A signed request's sandbox and parameters (key, signature and timestamp checked)."""
    sandbox = await enter(request, weight)
    key = sandbox.auth.api_key(request.headers.get(API_KEY_HEADER))
    params = sandbox.auth.verify_rest(key, raw_query(request), await _body(request))
    return sandbox, params


async def _body(request: Request) -> str:
    raw = await request.body()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise errors.illegal_characters("body", "utf-8 form data") from None


def reply(request: Request, body: Any) -> Response:
    """Publish the request's changes, then answer ``body`` as JSON (or the injected fault
    that replaces the answer of an executed request)."""
    sandbox_of(request).publish()
    lost = _lost_answer(request)
    if lost is not None:
        return lost
    weight = getattr(request.state, "weight", 0)
    return JSONResponse(body, headers={WEIGHT_HEADER: str(weight)})


def _lost_answer(request: Request) -> Response | None:
    """The injected answer of an executed request (``None``: none was injected)."""
    fault: HttpFault | None = getattr(request.state, "lost_answer", None)
    return None if fault is None else _answer(fault)


def _answer(fault: HttpFault) -> Response:
    return Response(fault.body, fault.status, dict(fault.headers), fault.media_type)


def install_error_handlers(app: FastAPI) -> None:
    """Binance's error bodies for refusals; plain text for unknown paths and faults."""

    @app.exception_handler(BinanceError)
    async def binance_error(request: Request, error: BinanceError) -> Response:
        sandbox_of(request).publish()
        lost = _lost_answer(request)
        if lost is not None:
            return lost
        return JSONResponse(error.body(), status_code=error.status, headers=error.headers)

    @app.exception_handler(HttpFaultError)
    async def injected(request: Request, error: HttpFaultError) -> Response:
        return _answer(error.fault)

    @app.exception_handler(StarletteHTTPException)
    async def not_found(request: Request, error: StarletteHTTPException) -> Response:
        return PlainTextResponse(f"{error.status_code} {error.detail}", error.status_code)

    @app.exception_handler(Exception)
    async def internal(request: Request, error: Exception) -> Response:
        _log.exception("sandbox: internal error on %s %s", request.method, request.url.path)
        body = errors.unknown_error()
        return JSONResponse(body.body(), status_code=body.status)


def dumps(body: Any) -> str:
    """Compact JSON, as the venue writes it."""
    return json.dumps(body, separators=(",", ":"))
