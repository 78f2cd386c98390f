"""Faults a test can inject into a running sandbox.

* **latency**: every REST answer and every websocket message is held back ``latency_ms``
  (messages keep their order);
* **error bursts**: the next ``count`` REST requests are answered with an HTTP 5xx (a plain
  text body: ccxt raises ``ExchangeNotAvailable``) or with a 429 (Binance's -1003 body and a
  ``Retry-After`` header: ``DDoSProtection``/``RateLimitExceeded``) without being executed;
  or, ``executed=True``, executed and then answered with the 5xx (Binance: a 5xx leaves "the
  execution status UNKNOWN", it "could have been a success"). Bursts queue up in order;
* **stale data**: the market streams go quiet for a while (connections stay open, nothing is
  sent); the withheld messages then come in a burst, so order-book update ids stay contiguous;
* **dropped and closed sockets** are actions on the stream hub
  (:meth:`tradeforge.sandbox.streams.StreamHub.disconnect`).

A :class:`Faults` object is plain state read on the server's event loop; setting its
attributes from another thread is safe (each is one assignment).
"""

from __future__ import annotations

import json
from collections import deque
from dataclasses import dataclass

from tradeforge.sandbox import errors


@dataclass(frozen=True, slots=True)
class HttpFault:
    """An answer that replaces a REST request's result."""

    status: int
    body: str
    headers: tuple[tuple[str, str], ...] = ()
    media_type: str = "text/plain"
    executed: bool = False
    """The request is executed first; only its answer is replaced."""


class Faults:
    """The faults active now.

    Parameters
    ----------
    latency_ms : int
        Delay added to every REST answer and websocket message.
    """

    def __init__(self, latency_ms: int = 0) -> None:
        self.latency_ms = latency_ms
        self._burst: deque[HttpFault] = deque()
        self.stale_until_ms = 0

    def error_burst(
        self, count: int, status: int = 503, retry_after: int = 1, executed: bool = False
    ) -> None:
        """Answer the next ``count`` REST requests (after those of bursts already queued)
        with ``status`` (5xx or 429); ``executed``: run each request first (5xx only)."""
        if count < 1:
            raise ValueError(f"count must be >= 1, got {count}")
        if executed and status == 429:
            raise ValueError("a 429 is a refusal: it cannot follow an executed request")
        if status == 429:
            error = errors.too_many_requests(6000, retry_after)
            fault = HttpFault(
                429, json.dumps(error.body()), (("Retry-After", str(retry_after)),),
                "application/json",
            )  # fmt: skip
        elif 500 <= status <= 599:
            fault = HttpFault(
                status, f"{status} Service Unavailable (sandbox fault)", executed=executed
            )
        else:
            raise ValueError(f"status must be 429 or 5xx, got {status}")
        self._burst.extend([fault] * count)

    def next_http_fault(self) -> HttpFault | None:
        """The fault for the request arriving now (it uses up one of the burst)."""
        return self._burst.popleft() if self._burst else None

    def go_stale(self, now_ms: int, seconds: float) -> None:
        """Withhold market stream messages for ``seconds`` of wall-clock time from ``now_ms``."""
        self.stale_until_ms = now_ms + int(seconds * 1000)

    def is_stale(self, now_ms: int) -> bool:
        """True while market data is withheld."""
        return now_ms < self.stale_until_ms

    def clear(self) -> None:
        """Remove every fault."""
        self.latency_ms = 0
        self._burst.clear()
        self.stale_until_ms = 0
