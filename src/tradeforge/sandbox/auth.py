"""Who may trade, and whether a request is fresh: API keys, HMAC-SHA256, timestamp windows.

REST (Binance's rule, verified against ccxt 4.5.90): the signed payload is the raw,
still percent-encoded query string followed by the raw form body, without the
``signature`` parameter; the signature is ``hex(HMAC_SHA256(secret, payload))``. The method and
the path are not signed. The WebSocket API signs its params sorted by key and joined raw
(``apiKey=...&recvWindow=...&timestamp=...``).

Timestamps are checked against the **wall clock** (an injected clock, ``LiveClock`` by
default), never against the replay's market time: a request is refused with -1021 when its
``timestamp`` is more than 1 s ahead or older than ``recvWindow`` (default 5000 ms, at most
60000).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

from tradeforge.common.clock import Clock
from tradeforge.sandbox import errors
from tradeforge.sandbox.params import Params

DEFAULT_RECV_WINDOW = 5000
MAX_RECV_WINDOW = 60_000
_AHEAD_MS = 1000
_NS_PER_MS = 1_000_000


def sign(secret: str, payload: str) -> str:
    """``hex(HMAC_SHA256(secret, payload))``."""
    return hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()


class Authenticator:
    """Checks API keys, signatures and timestamps.

    Parameters
    ----------
    keys : mapping
        API key to secret.
    wall : Clock
        The wall clock timestamps are compared with.
    """

    def __init__(self, keys: Mapping[str, str], wall: Clock) -> None:
        self.keys = dict(keys)
        self.wall = wall

    def now_ms(self) -> int:
        """Wall-clock time, ms."""
        return self.wall.timestamp_ns() // _NS_PER_MS

    def api_key(self, header: str | None) -> str:
        """The ``X-MBX-APIKEY`` header's key: -2014 when missing, -2015 when unknown."""
        if not header:
            raise errors.bad_api_key_format()
        if header not in self.keys:
            raise errors.rejected_api_key()
        return header

    def verify_rest(self, api_key: str, query: str, body: str) -> Params:
        """The params of a signed REST request; raises unless signature and time are good."""
        payload, signature = _split_signature(query + body)
        params = Params.parse(query, body)
        if signature is None:
            raise errors.mandatory("signature")
        if not hmac.compare_digest(sign(self.keys[api_key], payload), signature.lower()):
            raise errors.bad_signature()
        self.check_time(params.integer("timestamp", required=True), params.integer("recvWindow"))
        return params

    def verify_ws(self, params: Mapping[str, Any]) -> str:
        """The API key of a signed WebSocket API request (``params`` sorted and signed)."""
        key = params.get("apiKey")
        if not isinstance(key, str) or not key:
            raise errors.mandatory("apiKey")
        if key not in self.keys:
            raise errors.rejected_api_key()
        signature = params.get("signature")
        if not isinstance(signature, str):
            raise errors.mandatory("signature")
        payload = "&".join(f"{k}={_text(params[k])}" for k in sorted(params) if k != "signature")
        if not hmac.compare_digest(sign(self.keys[key], payload), signature.lower()):
            raise errors.bad_signature()
        self.check_time(_int(params, "timestamp"), _optional_int(params, "recvWindow"))
        return key

    def check_time(self, timestamp: int | None, recv_window: int | None) -> None:
        """-1021 when ``timestamp`` is too far ahead or outside ``recvWindow``."""
        if timestamp is None:
            raise errors.mandatory("timestamp")
        window = DEFAULT_RECV_WINDOW if recv_window is None else recv_window
        if window > MAX_RECV_WINDOW:
            raise errors.recv_window_too_large()
        now = self.now_ms()
        if timestamp > now + _AHEAD_MS:
            raise errors.timestamp_ahead()
        if now - timestamp > window:
            raise errors.timestamp_outside()


def _split_signature(total: str) -> tuple[str, str | None]:
    """``total`` without its ``signature=`` parameter, and the signature (raw text)."""
    parts = total.split("&") if total else []
    kept = [p for p in parts if not p.startswith("signature=")]
    found = [p.removeprefix("signature=") for p in parts if p.startswith("signature=")]
    if len(found) > 1:
        raise errors.duplicate_parameter("signature")
    return "&".join(kept), (found[0] if found else None)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _int(params: Mapping[str, Any], name: str) -> int:
    value = _optional_int(params, name)
    if value is None:
        raise errors.mandatory(name)
    return value


def _optional_int(params: Mapping[str, Any], name: str) -> int | None:
    value = params.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).isdigit():
        raise errors.illegal_characters(name, errors.INTEGER_RANGE)
    return int(value)
