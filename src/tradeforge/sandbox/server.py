"""Run a sandbox with uvicorn in a thread of this process, and steer it from outside.

>>> with SandboxServer(SandboxConfig(port=0, speed=1000)) as server:  # doctest: +SKIP
...     exchange = ccxt.binance(server.ccxt_config())

Several servers side by side are distinct venues (own state, own port). Every control method
(:meth:`pause`, :meth:`advance`, :meth:`error_burst`, :meth:`disconnect`, ...) runs on the
server's event loop, so it never races the requests being served.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable
from decimal import Decimal
from types import TracebackType
from typing import Any, Literal, TypeVar

import uvicorn

from tradeforge.common.clock import Clock
from tradeforge.sandbox.app import create_app
from tradeforge.sandbox.client import ccxt_config
from tradeforge.sandbox.config import SandboxConfig
from tradeforge.sandbox.core import Sandbox
from tradeforge.sandbox.streams import Which

T = TypeVar("T")
_START_TIMEOUT_S = 15.0


class SandboxError(RuntimeError):
    """A sandbox server that cannot start."""


class SandboxServer:
    """One sandbox venue listening on ``host:port``.

    Parameters
    ----------
    config : SandboxConfig
        The venue (``port=0`` picks a free port).
    wall : Clock, optional
        The wall clock (default ``LiveClock``).
    log_level : str
        uvicorn's log level.
    """

    def __init__(
        self, config: SandboxConfig, *, wall: Clock | None = None, log_level: str = "warning"
    ) -> None:
        self.config = config
        self.sandbox = Sandbox(config, wall)
        self._log_level = log_level
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._error: BaseException | None = None
        self.port = config.port

    # -- life cycle ---------------------------------------------------------------------------

    def start(self) -> SandboxServer:
        """Listen and serve in a background thread; returns once the server is up."""
        listener = _listen(self.config.host, self.config.port)
        self.port = listener.getsockname()[1]
        settings = uvicorn.Config(
            create_app(self.sandbox), log_level=self._log_level, lifespan="on",
            timeout_graceful_shutdown=2, ws_ping_interval=None,
            ws_per_message_deflate=False,  # a local socket gains nothing, both sides pay CPU
        )  # fmt: skip
        self._server = uvicorn.Server(settings)
        self._thread = threading.Thread(
            target=self._run, args=(listener,), name=f"sandbox-{self.config.name}", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + _START_TIMEOUT_S
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise SandboxError(f"sandbox {self.config.name} did not start: {self._error!r}")
            time.sleep(0.01)
        return self

    def _run(self, listener: socket.socket) -> None:
        assert self._server is not None
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._server.serve(sockets=[listener]))
        except BaseException as error:  # reported by start()
            self._error = error
        finally:
            loop.close()
            listener.close()

    def stop(self) -> None:
        """Stop serving (open websockets are closed) and wait for the thread."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)

    def wait(self) -> None:
        """Block until the server stops (Ctrl-C: stop it)."""
        assert self._thread is not None
        try:
            while self._thread.is_alive():
                self._thread.join(0.2)
        except KeyboardInterrupt:
            self.stop()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()

    # -- addresses ----------------------------------------------------------------------------

    @property
    def http_url(self) -> str:
        """``http://host:port``."""
        return f"http://{self.config.host}:{self.port}"

    @property
    def ws_url(self) -> str:
        """``ws://host:port``."""
        return f"ws://{self.config.host}:{self.port}"

    def ccxt_config(self, **extra: Any) -> dict[str, Any]:
        """The ccxt options for this sandbox (see :func:`tradeforge.sandbox.ccxt_config`)."""
        return ccxt_config(
            self.http_url, self.ws_url, self.config.api_key, self.config.api_secret, **extra
        )

    # -- control ------------------------------------------------------------------------------

    def call(self, action: Callable[[Sandbox], T]) -> T:
        """Run ``action(sandbox)`` on the server's loop and return its result."""
        if self._loop is None or not self._loop.is_running():
            return action(self.sandbox)

        async def run() -> T:
            return action(self.sandbox)

        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(timeout=10)

    def market_time_ms(self) -> int:
        """The market time now (after catching up)."""

        def read(sandbox: Sandbox) -> int:
            sandbox.catch_up()
            return sandbox.now_ms

        return self.call(read)

    def pause(self) -> None:
        """Stop the market clock (and the replay with it)."""

        def pause(sandbox: Sandbox) -> None:
            sandbox.catch_up()
            sandbox.clock.pause()

        self.call(pause)

    def resume(self) -> None:
        """Let the market clock run again."""
        self.call(lambda s: s.clock.resume())

    def advance(self, ms: int) -> int:
        """Move the market ``ms`` forward at once and replay it; the new market time."""

        def step(sandbox: Sandbox) -> int:
            sandbox.clock.advance(ms)
            sandbox.catch_up()
            return sandbox.now_ms

        return self.call(step)

    def set_speed(self, speed: float) -> None:
        """Change the replay's speed (1 to 1000)."""
        self.call(lambda s: s.clock.set_speed(speed))

    def set_latency(self, ms: int) -> None:
        """Delay every REST answer and websocket message by ``ms``."""
        self.call(lambda s: setattr(s.faults, "latency_ms", ms))

    def error_burst(
        self, count: int, status: int = 503, retry_after: int = 1, executed: bool = False
    ) -> None:
        """Answer the next ``count`` REST requests with ``status`` (5xx, or 429 with
        ``Retry-After``); ``executed``: each request runs first, only its answer is lost."""
        self.call(lambda s: s.faults.error_burst(count, status, retry_after, executed))

    def go_stale(self, seconds: float) -> None:
        """Withhold market stream messages for ``seconds`` of wall-clock time."""
        self.call(lambda s: s.faults.go_stale(s.wall_ms(), seconds))

    def disconnect(self, which: Which = "all", mode: Literal["drop", "close"] = "drop") -> int:
        """Drop (no close frame) or close the market, user or all websockets; how many."""
        return self.call(lambda s: s.hub.disconnect(which, mode))

    def balances(self) -> dict[str, tuple[Decimal, Decimal]]:
        """Asset to (free, locked), as ``GET /api/v3/account`` reports them."""
        return self.call(lambda s: {a: (f, lk) for a, f, lk in s.venue.balances()})


def _listen(host: str, port: int) -> socket.socket:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # accepted sockets inherit it: without it every answer whose headers and body leave in two
    # writes waits for the client's delayed ACK (40 ms on Linux)
    listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        listener.bind((host, port))
    except OSError as error:
        listener.close()
        raise SandboxError(f"cannot listen on {host}:{port}: {error.strerror}") from None
    listener.listen(128)
    listener.setblocking(False)
    return listener
