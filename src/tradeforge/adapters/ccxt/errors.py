"""ccxt exceptions mapped to tradeforge's venue errors: transient or permanent.

Every ccxt call of the adapters goes through :func:`map_error`, so the rest of tradeforge
never sees a ccxt class. The split decides what happens next:

* a :class:`TransientVenueError` (network trouble, a timeout, the venue overloaded or
  rate-limiting us, a clock skew) may succeed when tried again, after a backoff;
* a :class:`PermanentVenueError` (a refused order, missing funds, an unknown order, bad
  credentials, an unknown symbol, a malformed request or reply) will fail the same way again.

Only outages (:attr:`VenueError.is_outage`) count towards the circuit breaker: a refused
order or a 429 shows that the venue is up.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import ccxt  # type: ignore[import-untyped]


class VenueError(Exception):
    """A venue call that failed; ``raw`` holds what the venue answered, when anything.

    Parameters
    ----------
    message : str
        What failed, in words.
    raw : object, optional
        The venue's payload (or the ccxt exception's text) for the log.
    """

    transient = False
    is_outage = False

    def __init__(self, message: str, raw: object = None) -> None:
        super().__init__(message)
        self.raw = raw


class TransientVenueError(VenueError):
    """May succeed when retried after a pause.

    Parameters
    ----------
    retry_after : float or None
        Seconds the venue asked us to wait (``Retry-After``), when it said.
    """

    transient = True

    def __init__(self, message: str, raw: object = None, retry_after: float | None = None) -> None:
        super().__init__(message, raw)
        self.retry_after = retry_after


class PermanentVenueError(VenueError):
    """Will fail the same way again: never retried."""


class VenueUnavailableError(TransientVenueError):
    """The venue cannot be reached or answers 5xx (maintenance, overload, network)."""

    is_outage = True


class VenueTimeoutError(TransientVenueError):
    """No answer in time: the request may or may not have been executed."""

    is_outage = True


class RateLimitedError(TransientVenueError):
    """The venue refused the request for its rate (HTTP 429/418, Binance -1003/-1015)."""


class ClockSkewError(TransientVenueError):
    """The request's timestamp was outside the venue's window (Binance -1021)."""


class BookOutOfSyncError(TransientVenueError):
    """An order-book stream skipped an update; the book is resynced from a snapshot."""


class CircuitOpenError(TransientVenueError):
    """Not sent: the circuit breaker is open after repeated outages."""


class OrderRefusedError(PermanentVenueError):
    """The venue refused the order (filters, post-only would take, a duplicate id...)."""


class InsufficientFundsError(OrderRefusedError):
    """The account's free balance does not cover the order."""


class UnknownOrderError(PermanentVenueError):
    """The venue does not know the order (never placed, or no longer open)."""


class AuthenticationFailedError(PermanentVenueError):
    """The API key, signature or permissions were refused."""


class UnknownSymbolError(PermanentVenueError):
    """The venue does not list the symbol."""


class BadRequestError(PermanentVenueError):
    """The request was malformed or not supported by the venue."""


class MalformedReplyError(PermanentVenueError):
    """The venue's answer is missing fields or holds values of the wrong type."""


class VenueRefusedError(PermanentVenueError):
    """Any other refusal of the venue."""


ERROR_MAP: tuple[tuple[type[Exception], type[VenueError]], ...] = (
    (ccxt.OrderNotFound, UnknownOrderError),
    (ccxt.OrderNotCached, UnknownOrderError),
    (ccxt.InsufficientFunds, InsufficientFundsError),
    (ccxt.InvalidOrder, OrderRefusedError),
    (ccxt.AuthenticationError, AuthenticationFailedError),
    (ccxt.BadSymbol, UnknownSymbolError),
    (ccxt.BadRequest, BadRequestError),
    (ccxt.ArgumentsRequired, BadRequestError),
    (ccxt.NotSupported, BadRequestError),
    (ccxt.BadResponse, MalformedReplyError),
    (ccxt.RateLimitExceeded, RateLimitedError),
    (ccxt.DDoSProtection, RateLimitedError),
    (ccxt.RequestTimeout, VenueTimeoutError),
    (ccxt.ChecksumError, BookOutOfSyncError),
    (ccxt.InvalidNonce, ClockSkewError),
    (ccxt.ExchangeNotAvailable, VenueUnavailableError),
    (ccxt.NetworkError, VenueUnavailableError),
    (ccxt.CancelPending, VenueUnavailableError),
    (ccxt.ExchangeError, VenueRefusedError),
)
"""ccxt exception → tradeforge error; the first class the exception is an instance of wins,
so the more specific ccxt classes come first."""


def map_error(error: Exception, headers: Mapping[str, Any] | None = None) -> VenueError:
    """The tradeforge error for a ccxt (or network) exception.

    Parameters
    ----------
    error : Exception
        What the ccxt call raised. A :class:`VenueError` is returned unchanged; an exception
        outside ccxt (``OSError``, ``asyncio.TimeoutError``) is a :class:`VenueUnavailableError`.
    headers : mapping, optional
        The last response's headers: ``Retry-After`` is read for rate-limit errors.

    Returns
    -------
    VenueError
        The mapped error, its message naming the ccxt class, ``raw`` the ccxt message.
    """
    if isinstance(error, VenueError):
        return error
    for ccxt_class, venue_class in ERROR_MAP:
        if isinstance(error, ccxt_class):
            return _build(venue_class, error, headers)
    if isinstance(error, OSError):  # TimeoutError (asyncio.TimeoutError) included
        return VenueUnavailableError(f"{type(error).__name__}: {error}", str(error))
    return VenueRefusedError(f"{type(error).__name__}: {error}", str(error))


def _build(
    venue_class: type[VenueError], error: Exception, headers: Mapping[str, Any] | None
) -> VenueError:
    message = f"{type(error).__name__}: {error}"
    if issubclass(venue_class, RateLimitedError):
        return venue_class(message, str(error), retry_after=retry_after_of(headers))
    return venue_class(message, str(error))


def retry_after_of(headers: Mapping[str, Any] | None) -> float | None:
    """Seconds from a ``Retry-After`` header (case-insensitive); None when absent or not a
    number of seconds."""
    if not headers:
        return None
    for name, value in headers.items():
        if str(name).lower() == "retry-after":
            try:
                seconds = float(value)
            except (TypeError, ValueError):
                return None
            return seconds if seconds >= 0 else None
    return None
