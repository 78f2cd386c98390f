"""A sandbox venue in a child process of its own, steered over a pipe.

The benchmarks time tradeforge's side of the wire (ccxt, the adapters, the kernel) in the
benchmark's process; the venue runs in another process so its work is not counted there (on
a 2-CPU machine each gets a core). Commands, sent as ``(name, argument)`` tuples:

* ``("feed", (messages, backlog, step_ms))``: advance the paused market ``step_ms`` at a time
  whenever every websocket's queue holds fewer than ``backlog`` frames, until ``messages``
  market frames have been queued; answers the number queued. The client, not the venue, then
  sets the pace: the benchmark measures how fast it takes the frames in.
* ``("streams", None)``: how many market streams have a subscriber.
* ``("published", None)``: per market (Binance id), the id of the last trade streamed (also
  the last depth update id).
* ``("stop", None)``.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import os
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import ccxt

from tradeforge.sandbox import SandboxConfig, SandboxServer
from tradeforge.sandbox.client import ccxt_config
from tradeforge.sandbox.core import Sandbox
from tradeforge.sandbox.streams import Connection


@dataclass(frozen=True)
class VenueAddress:
    """Where the child's sandbox listens, and its credentials."""

    http_url: str
    ws_url: str
    api_key: str
    api_secret: str


class VenueProcess:
    """A :class:`SandboxServer` in a spawned process (``with VenueProcess(settings) as v``)."""

    def __init__(self, settings: dict[str, Any]) -> None:
        context = multiprocessing.get_context("spawn")
        self._pipe, child = context.Pipe()
        self._process = context.Process(target=_serve, args=(settings, child), daemon=True)
        self.address: VenueAddress | None = None

    def __enter__(self) -> VenueProcess:
        self._process.start()
        self.address = self._pipe.recv()
        return self

    def __exit__(self, *exc: object) -> None:
        self.ask("stop")
        self._process.join(timeout=10)

    def cpu_seconds(self) -> float:
        """CPU time the venue's process has used so far (user + system)."""
        return cpu_seconds(self._process.pid)

    def require_address(self) -> VenueAddress:
        """The address (after ``__enter__``)."""
        assert self.address is not None, "the venue process has not started"
        return self.address

    @staticmethod
    def balances_at(address: VenueAddress) -> dict[str, Decimal]:
        """Each asset's free plus locked balance (``GET /api/v3/account`` through ccxt)."""
        exchange = ccxt.binance(
            ccxt_config(address.http_url, address.ws_url, address.api_key, address.api_secret)
        )
        raw = exchange.fetch_balance()["info"]["balances"]
        return {b["asset"]: Decimal(b["free"]) + Decimal(b["locked"]) for b in raw}

    def ask(self, command: str, argument: Any = None) -> Any:
        """Send a command and wait for the child's answer."""
        self._pipe.send((command, argument))
        answer = self._pipe.recv()
        if isinstance(answer, BaseException):
            raise answer
        return answer


def cpu_seconds(pid: int | None = None) -> float:
    """User + system CPU seconds of process ``pid`` (this one by default), all threads."""
    if pid is None:
        return time.process_time()
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _serve(settings: dict[str, Any], pipe: multiprocessing.connection.Connection) -> None:
    server = SandboxServer(SandboxConfig(**settings)).start()
    pushed = _count_pushes()
    config = server.config
    pipe.send(VenueAddress(server.http_url, server.ws_url, config.api_key, config.api_secret))
    while True:
        command, argument = pipe.recv()
        try:
            if command == "stop":
                server.stop()
                pipe.send(None)
                return
            if command == "feed":
                pipe.send(_feed(server, pushed, *argument))
            elif command == "streams":
                pipe.send(server.call(lambda s: len(s.hub.listeners)))
            elif command == "published":
                pipe.send(server.call(lambda s: {k: v + 1 for k, v in s.hub.published.items()}))
            else:
                pipe.send(ValueError(f"unknown command {command!r}"))
        except Exception as error:  # the benchmark reports it
            pipe.send(error)


def _count_pushes() -> list[int]:
    """Count every frame the sandbox queues (a wrapper of ``Connection.push``)."""
    pushed = [0]
    real = Connection.push

    def push(self: Connection, text: str) -> None:
        pushed[0] += 1
        real(self, text)

    Connection.push = push  # type: ignore[method-assign]
    return pushed


def _feed(
    server: SandboxServer, pushed: list[int], messages: int, backlog: int, step_ms: int
) -> int:
    start = pushed[0]
    while pushed[0] - start < messages:
        if server.call(_deepest_queue) < backlog:
            server.advance(step_ms)
        else:
            time.sleep(0.001)
    return pushed[0] - start


def _deepest_queue(sandbox: Sandbox) -> int:
    return max((c.queue.qsize() for c in sandbox.hub.connections), default=0)
