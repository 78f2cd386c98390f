"""The FastAPI app of one sandbox: REST under ``/api/v3``, websockets, the replay task.

:func:`create_app` wires a :class:`~tradeforge.sandbox.core.Sandbox` to its routes and starts,
for the app's lifetime, the task that replays the market in the background (so streams flow
and resting orders fill without requests): it wakes when the next trade is due, at least
every 50 ms.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from fastapi import FastAPI

from tradeforge.sandbox import rest_account, rest_market, ws_routes
from tradeforge.sandbox.core import Sandbox
from tradeforge.sandbox.http import install_error_handlers

_TICK_S = 0.05
_MIN_SLEEP_S = 0.002
_log = logging.getLogger("tradeforge.sandbox")


def create_app(sandbox: Sandbox) -> FastAPI:
    """The ASGI app serving ``sandbox``."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        task = asyncio.create_task(_replay_forever(sandbox))
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    app = FastAPI(
        title=f"tradeforge sandbox {sandbox.config.name}",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.sandbox = sandbox
    app.include_router(rest_market.router)
    app.include_router(rest_account.router)
    app.include_router(ws_routes.router)
    install_error_handlers(app)
    return app


async def _replay_forever(sandbox: Sandbox) -> None:
    """Catch the market up whenever a trade is due (or every 50 ms when idle)."""
    while True:
        try:
            sandbox.catch_up()
        except Exception:  # a bug must not stop the market
            _log.exception("sandbox %s: replay step failed", sandbox.config.name)
        wait = sandbox.next_trade_in_s()
        await asyncio.sleep(_TICK_S if wait is None else min(_TICK_S, max(wait, _MIN_SLEEP_S)))
