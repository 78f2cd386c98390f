"""Build a ccxt exchange and its :class:`VenueSession` from an exchange id.

>>> session = build_session("binance", url="http://127.0.0.1:8765")  # doctest: +SKIP
>>> client = CcxtDataClient(session)  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import ccxt.async_support  # type: ignore[import-untyped]
import ccxt.pro  # type: ignore[import-untyped]

from tradeforge.adapters.ccxt.session import SessionSettings, VenueSession
from tradeforge.adapters.ccxt.venues import exchange_config, profile_of


@dataclass(frozen=True, slots=True)
class Credentials:
    """API credentials (from the environment, never from files)."""

    api_key: str | None = None
    secret: str | None = None
    password: str | None = None


def build_exchange(
    exchange_id: str, *, url: str | None = None, credentials: Credentials | None = None
) -> Any:
    """A ``ccxt.pro`` exchange (``ccxt.async_support`` when the venue does not stream) set
    up from its profile; ``url`` points every URL at a local sandbox.

    Raises
    ------
    ValueError
        For an unknown exchange id or a bad ``url``.
    """
    if exchange_id not in ccxt.exchanges:
        raise ValueError(f"unknown ccxt exchange {exchange_id!r}")
    keys = credentials or Credentials()
    config = exchange_config(
        profile_of(exchange_id), url=url, api_key=keys.api_key, secret=keys.secret,
        password=keys.password,
    )  # fmt: skip
    module: Any = ccxt.pro if hasattr(ccxt.pro, exchange_id) else ccxt.async_support
    return getattr(module, exchange_id)(config)


def build_session(
    exchange_id: str,
    *,
    url: str | None = None,
    credentials: Credentials | None = None,
    settings: SessionSettings | None = None,
    weight_per_minute: int | None = None,
    **hooks: Any,
) -> VenueSession:
    """A :class:`VenueSession` of a new exchange; ``hooks`` go to the session (``now``,
    ``sleep``, ``rng``, ``on_connection``, ``on_latency``).

    ``weight_per_minute`` replaces the venue's published request budget (an account with a
    higher tier, or a local sandbox); the endpoint weights stay the venue's.
    """
    exchange = build_exchange(exchange_id, url=url, credentials=credentials)
    profile = profile_of(exchange_id)
    if weight_per_minute is not None:
        budget = replace(profile.rate_limits, capacity=weight_per_minute, period=60)
        profile = replace(profile, rate_limits=budget)
    return VenueSession(exchange, profile, settings, **hooks)
