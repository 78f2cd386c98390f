"""Binance's error answers: ``{"code": <negative int>, "msg": <text>}`` with an HTTP status.

Every refusal of the sandbox is a :class:`BinanceError` raised before any state changes; the
app turns it into the JSON body and status Binance sends, so ccxt maps it to the same
exception it raises against the real venue (see ``docs/sandbox.md`` for the table).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

NUMBER_RANGE = r"^([0-9]{1,20})(\.[0-9]{1,20})?$"
INTEGER_RANGE = r"^[0-9]{1,20}$"
CLIENT_ID_RANGE = r"^[\.A-Z\:/a-z0-9_-]{1,36}$"


class BinanceError(Exception):
    """A request the venue refuses, as Binance words it.

    Parameters
    ----------
    code : int
        Binance's error code (``-1121``, ``-2010``, ...).
    msg : str
        Binance's message.
    status : int
        The HTTP status of the answer (400 unless said otherwise).
    headers : mapping, optional
        Extra response headers (``Retry-After`` on a 429).
    """

    def __init__(
        self, code: int, msg: str, status: int = 400, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(f"{code} {msg}")
        self.code = code
        self.msg = msg
        self.status = status
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        """The JSON body: ``{"code": ..., "msg": ...}``."""
        return {"code": self.code, "msg": self.msg}


def unknown_error() -> BinanceError:
    """-1000: an internal error (the request did not change anything)."""
    return BinanceError(-1000, "An unknown error occurred while processing the request.", 500)


def too_many_requests(limit: int, retry_after: int) -> BinanceError:
    """-1003 with HTTP 429 and ``Retry-After``: the request-weight limit per minute is used up."""
    return BinanceError(
        -1003,
        f"Too many requests; current limit of IP(127.0.0.1) request weight per 1 MINUTE is "
        f"{limit}. Please use WebSocket Streams for live updates to avoid polling the API.",
        429,
        {"Retry-After": str(retry_after)},
    )


def timestamp_ahead() -> BinanceError:
    """-1021: the request's timestamp is more than 1 s ahead of the server's clock."""
    return BinanceError(-1021, "Timestamp for this request was 1000ms ahead of the server's time.")


def timestamp_outside() -> BinanceError:
    """-1021: the request's timestamp is older than its ``recvWindow``."""
    return BinanceError(-1021, "Timestamp for this request is outside of the recvWindow.")


def bad_signature() -> BinanceError:
    """-1022: the HMAC signature does not match."""
    return BinanceError(-1022, "Signature for this request is not valid.")


def illegal_characters(name: str, legal: str) -> BinanceError:
    """-1100: a parameter that does not match its pattern."""
    return BinanceError(
        -1100, f"Illegal characters found in parameter '{name}'; legal range is '{legal}'."
    )


def duplicate_parameter(name: str) -> BinanceError:
    """-1101: a parameter sent twice."""
    return BinanceError(-1101, f"Duplicate values for a parameter detected: '{name}'.")


def mandatory(name: str) -> BinanceError:
    """-1102: a required parameter is missing or empty."""
    return BinanceError(
        -1102, f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed."
    )


def not_required(name: str) -> BinanceError:
    """-1106: a parameter this kind of request does not take."""
    return BinanceError(-1106, f"Parameter '{name}' sent when not required.")


def bad_time_in_force() -> BinanceError:
    """-1115."""
    return BinanceError(-1115, "Invalid timeInForce.")


def bad_order_type() -> BinanceError:
    """-1116."""
    return BinanceError(-1116, "Invalid orderType.")


def bad_side() -> BinanceError:
    """-1117."""
    return BinanceError(-1117, "Invalid side.")


def bad_interval() -> BinanceError:
    """-1120: an unknown kline interval."""
    return BinanceError(-1120, "Invalid interval.")


def bad_symbol() -> BinanceError:
    """-1121: a symbol this venue does not list."""
    return BinanceError(-1121, "Invalid symbol.")


def bad_listen_key() -> BinanceError:
    """-1125: an unknown listenKey."""
    return BinanceError(-1125, "This listenKey does not exist.")


def invalid_value(name: str) -> BinanceError:
    """-1130: a parameter whose value is out of range."""
    return BinanceError(-1130, f"Data sent for parameter '{name}' is not valid.")


def recv_window_too_large() -> BinanceError:
    """-1131."""
    return BinanceError(-1131, "recvWindow must be less than 60000")


def filter_failure(filter_name: str) -> BinanceError:
    """-1013: the order breaks one of the symbol's filters (``LOT_SIZE``, ``NOTIONAL``...)."""
    return BinanceError(-1013, f"Filter failure: {filter_name}")


def rejected(msg: str) -> BinanceError:
    """-2010: the venue rejects the new order (balance, post-only, trigger, duplicate)."""
    return BinanceError(-2010, msg)


def insufficient_balance() -> BinanceError:
    """-2010: the account cannot pay for the order."""
    return rejected("Account has insufficient balance for requested action.")


def unknown_order_cancel() -> BinanceError:
    """-2011: a cancel for an order that is not open (or does not exist)."""
    return BinanceError(-2011, "Unknown order sent.")


def no_such_order() -> BinanceError:
    """-2013: a query for an order that does not exist."""
    return BinanceError(-2013, "Order does not exist.")


def bad_api_key_format() -> BinanceError:
    """-2014 (HTTP 401): the API-key header is missing or malformed."""
    return BinanceError(-2014, "API-key format invalid.", 401)


def rejected_api_key() -> BinanceError:
    """-2015 (HTTP 401): an API key this venue does not know."""
    return BinanceError(-2015, "Invalid API-key, IP, or permissions for action.", 401)
