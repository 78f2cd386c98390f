"""ccxt exceptions map to tradeforge's venue errors, transient or permanent, by one table."""

from __future__ import annotations

import ccxt
import pytest

from tradeforge.adapters.ccxt import errors as e
from tradeforge.adapters.ccxt.errors import map_error, retry_after_of
from tradeforge.sandbox import SandboxServer

from .conftest import closing, run, session_for


@pytest.mark.parametrize(
    ("raised", "expected", "transient", "outage"),
    [
        (ccxt.NetworkError, e.VenueUnavailableError, True, True),
        (ccxt.ExchangeNotAvailable, e.VenueUnavailableError, True, True),
        (ccxt.OnMaintenance, e.VenueUnavailableError, True, True),
        (ccxt.RequestTimeout, e.VenueTimeoutError, True, True),
        (ccxt.RateLimitExceeded, e.RateLimitedError, True, False),
        (ccxt.DDoSProtection, e.RateLimitedError, True, False),
        (ccxt.InvalidNonce, e.ClockSkewError, True, False),
        (ccxt.ChecksumError, e.BookOutOfSyncError, True, False),
        (ccxt.InvalidOrder, e.OrderRefusedError, False, False),
        (ccxt.OrderImmediatelyFillable, e.OrderRefusedError, False, False),
        (ccxt.InsufficientFunds, e.InsufficientFundsError, False, False),
        (ccxt.OrderNotFound, e.UnknownOrderError, False, False),
        (ccxt.AuthenticationError, e.AuthenticationFailedError, False, False),
        (ccxt.PermissionDenied, e.AuthenticationFailedError, False, False),
        (ccxt.BadSymbol, e.UnknownSymbolError, False, False),
        (ccxt.BadRequest, e.BadRequestError, False, False),
        (ccxt.BadResponse, e.MalformedReplyError, False, False),
        (ccxt.NullResponse, e.MalformedReplyError, False, False),
        (ccxt.ExchangeError, e.VenueRefusedError, False, False),
    ],
)
def test_each_ccxt_exception_maps_to_one_domain_error(
    raised: type[Exception], expected: type[e.VenueError], transient: bool, outage: bool
) -> None:
    mapped = map_error(raised('binance {"code":-1}'))
    assert type(mapped) is expected
    assert (mapped.transient, mapped.is_outage) == (transient, outage)
    assert isinstance(mapped, e.TransientVenueError if transient else e.PermanentVenueError)
    assert str(mapped) == f'{raised.__name__}: binance {{"code":-1}}'
    assert mapped.raw == 'binance {"code":-1}'


def test_exceptions_outside_ccxt() -> None:
    assert type(map_error(ConnectionResetError("reset"))) is e.VenueUnavailableError
    assert type(map_error(TimeoutError())) is e.VenueUnavailableError
    assert type(map_error(ValueError("odd"))) is e.VenueRefusedError
    already = e.OrderRefusedError("no")
    assert map_error(already) is already


def test_retry_after_is_read_from_the_headers() -> None:
    assert retry_after_of({"Retry-After": "7"}) == 7.0
    assert retry_after_of({"retry-after": "0.5"}) == 0.5
    assert retry_after_of({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}) is None
    assert retry_after_of({"Retry-After": "-3"}) is None
    assert retry_after_of({}) is None
    assert retry_after_of(None) is None
    limited = map_error(ccxt.DDoSProtection("429"), {"Retry-After": "7"})
    assert isinstance(limited, e.RateLimitedError)
    assert limited.retry_after == 7.0


def test_the_sandbox_refusals_arrive_mapped(paused: SandboxServer) -> None:
    session = session_for(paused)

    async def scenario() -> list[type[e.VenueError]]:
        await session.call("load_markets")
        seen = []
        for method, args in [
            ("fetch_order", ("999", "BTC/USDT")),
            ("create_order", ("BTC/USDT", "limit", "buy", 10.0, 20000.0)),
            ("create_order", ("BTC/USDT", "limit", "buy", 0.001, 40000.0, {"postOnly": True})),
            ("fetch_ticker", ("DOGE/USDT",)),
        ]:
            with pytest.raises(e.VenueError) as caught:
                await session.once(method, *args)
            seen.append(type(caught.value))
        return seen

    assert run(closing(session, scenario())) == [
        e.UnknownOrderError,
        e.InsufficientFundsError,
        e.OrderRefusedError,
        e.UnknownSymbolError,
    ]
