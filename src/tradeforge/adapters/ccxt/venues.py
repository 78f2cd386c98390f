"""Venue quirks as data: one :class:`VenueProfile` per ccxt exchange id.

The adapters read everything that differs between venues from a profile (ccxt options,
request weights, the page size of candles, the order types taken natively, the longest
client order id, the parameters a ticker stream needs) and never branch on an exchange's
name. A venue without a profile gets :func:`default_profile`: ccxt's own defaults, a
conservative budget, and the unified parameters ccxt maps for every exchange.

:func:`exchange_config` builds the ccxt constructor options: the profile's options, the
credentials, and, for a local sandbox (``url``), every REST and websocket URL of the
exchange rewritten to that host with its path kept, so a forgotten code path hits the
sandbox (a 404) instead of the real venue.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

import ccxt  # type: ignore[import-untyped]
import ccxt.pro  # type: ignore[import-untyped]

from tradeforge.adapters.ccxt.rate_limit import RateLimits
from tradeforge.model.enums import OrderType, TimeInForce

_ALL_TYPES = frozenset(OrderType) - {OrderType.TRAILING_STOP_MARKET}
_DEFAULT_PAGE = 500
TRADES_CACHE = 10_000
"""ccxt's ``tradesLimit``: trades a stream keeps for a consumer that falls behind (ccxt's
default, 1000, is overrun by a burst of a few milliseconds on a busy market)."""


@dataclass(frozen=True, slots=True)
class VenueProfile:
    """What the adapters need to know about one venue.

    Parameters
    ----------
    exchange_id : str
        The ccxt id (``binance``).
    options : mapping
        ccxt ``options`` merged over the exchange's defaults.
    rate_limits : RateLimits
        The request budget and each method's weight.
    ohlcv_page_limit : int or None
        Candles per ``fetch_ohlcv`` page; None reads ccxt's ``features`` (else 500).
    order_types : frozenset of OrderType
        Order types the venue takes; the execution engine emulates the others.
    time_in_force : frozenset of TimeInForce
        Times in force the venue takes.
    max_client_order_id : int
        Longest client order id the venue accepts.
    ticker_params : mapping
        Extra parameters of ``watch_ticker`` (Binance: the full ticker, with bid and ask).
    trade_history : mapping or None
        Set when the venue's trade ids count up by one per market and ``fetch_trades`` can
        page by id: the params that select that endpoint (Binance: the historical trades).
        A jump in the streamed ids is then refilled over REST; None: losses go unseen.
    trade_id_param : str
        The ``fetch_trades`` param holding the first id of a page.
    oco_method : str or None
        The ccxt method that places a position's two exits as one OCO list (Binance:
        ``privatePostOrderListOco``); None: the engine sends them one by one.
    max_in_flight : int
        REST requests on the wire at once; more wait their turn before they are sent (a
        burst of orders otherwise queues inside the HTTP client, where ccxt's timeout runs,
        and times out as if the venue were down).
    """

    exchange_id: str
    options: Mapping[str, Any] = field(default_factory=dict)
    rate_limits: RateLimits = field(default_factory=lambda: RateLimits(capacity=600, period=60))
    ohlcv_page_limit: int | None = None
    order_types: frozenset[OrderType] = _ALL_TYPES
    time_in_force: frozenset[TimeInForce] = frozenset(
        {TimeInForce.GTC, TimeInForce.IOC, TimeInForce.FOK}
    )
    max_client_order_id: int = 32
    ticker_params: Mapping[str, Any] = field(default_factory=dict)
    trade_history: Mapping[str, Any] | None = None
    trade_id_param: str = "fromId"
    oco_method: str | None = None
    max_in_flight: int = 16

    def page_limit(self, exchange: Any) -> int:
        """Candles per page: the profile's, else ccxt's declared maximum, else 500."""
        if self.ohlcv_page_limit is not None:
            return self.ohlcv_page_limit
        features = getattr(exchange, "features", None) or {}
        spot = features.get("spot") or {}
        declared = (spot.get("fetchOHLCV") or {}).get("limit")
        return int(declared) if isinstance(declared, int) and declared > 0 else _DEFAULT_PAGE


BINANCE_LIMITS = RateLimits(
    capacity=6000,
    period=60,
    weights=MappingProxyType(
        {
            "load_markets": 20,
            "fetch_markets": 20,
            "fetch_ohlcv": 2,
            "fetch_ticker": 2,
            "fetch_trades": 2,
            "fetch_time": 1,
            "create_order": 1,
            "cancel_order": 1,
            "fetch_order": 4,
            "fetch_open_orders": 6,
            "fetch_orders": 20,
            "fetch_closed_orders": 20,
            "fetch_my_trades": 20,
            "fetch_order_trades": 20,
            "fetch_balance": 20,
        }
    ),
    tiers=MappingProxyType({"fetch_order_book": ((100, 5), (500, 25), (1000, 50), (5000, 250))}),
)
"""Binance spot's request weights (``X-MBX-USED-WEIGHT-1M``, 6000 per minute)."""

PROFILES: Mapping[str, VenueProfile] = MappingProxyType({
    "binance": VenueProfile(
        exchange_id="binance",
        options=MappingProxyType({
            "defaultType": "spot",
            "fetchMarkets": {"types": ["spot"]},
            "fetchCurrencies": False,
            "fetchMargins": False,
            "warnOnFetchOpenOrdersWithoutSymbol": False,
        }),
        rate_limits=BINANCE_LIMITS,
        ohlcv_page_limit=1000,
        max_client_order_id=36,
        ticker_params=MappingProxyType({"name": "ticker"}),
        trade_history=MappingProxyType({"fetchTradesMethod": "publicGetHistoricalTrades"}),
        oco_method="privatePostOrderListOco",
    ),
})  # fmt: skip
"""The venues tradeforge knows the quirks of; others get :func:`default_profile`."""


def default_profile(exchange_id: str) -> VenueProfile:
    """The profile of an exchange without an entry in :data:`PROFILES`."""
    return VenueProfile(exchange_id=exchange_id)


def profile_of(exchange_id: str) -> VenueProfile:
    """The venue's profile (a default one for venues without quirks on file)."""
    return PROFILES.get(exchange_id) or default_profile(exchange_id)


def exchange_config(
    profile: VenueProfile,
    *,
    url: str | None = None,
    api_key: str | None = None,
    secret: str | None = None,
    password: str | None = None,
) -> dict[str, Any]:
    """The options a ccxt exchange of ``profile`` is built with.

    Parameters
    ----------
    profile : VenueProfile
        The venue.
    url : str, optional
        ``http://127.0.0.1:8765``: a local sandbox every URL of the exchange is pointed at
        (websockets at the same host with ``ws://``). None: the real venue.
    api_key, secret, password : str, optional
        Credentials (from the environment; never from files).

    Raises
    ------
    ValueError
        When ``profile.exchange_id`` is not a ccxt exchange or ``url`` is not http(s).
    """
    config: dict[str, Any] = {"enableRateLimit": False, "options": _plain(profile.options)}
    config["options"].setdefault("tradesLimit", TRADES_CACHE)
    for key, value in (("apiKey", api_key), ("secret", secret), ("password", password)):
        if value:
            config[key] = value
    if url is not None:
        defaults = _exchange_class(profile.exchange_id)().urls.get("api")
        config["urls"] = {"api": rewrite_urls(defaults, url)}
        config["options"]["adjustForTimeDifference"] = False
    return config


def rewrite_urls(urls: Any, base: str) -> Any:
    """``urls`` (a ccxt ``urls['api']`` tree) with every host replaced by ``base``'s.

    REST URLs keep their path under ``base``; websocket URLs (``ws``/``wss``) get ``base``'s
    host with ``ws://`` (``wss://`` for an https base).
    """
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"--url {base!r}: expected http(s)://host:port")
    ws_scheme = "wss" if parts.scheme == "https" else "ws"
    return _rewrite(urls, parts.scheme, ws_scheme, parts.netloc)


def _rewrite(node: Any, http: str, ws: str, host: str) -> Any:
    if isinstance(node, Mapping):
        return {key: _rewrite(value, http, ws, host) for key, value in node.items()}
    if isinstance(node, str) and "://" in node:
        parts = urlsplit(node)
        scheme = ws if parts.scheme in ("ws", "wss") else http
        query = f"?{parts.query}" if parts.query else ""
        return f"{scheme}://{host}{parts.path}{query}"
    return node


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def _exchange_class(exchange_id: str) -> Any:
    """ccxt.pro's class when the exchange streams (its URLs include the websockets)."""
    if exchange_id not in ccxt.exchanges:
        raise ValueError(f"unknown ccxt exchange {exchange_id!r}")
    return getattr(ccxt.pro, exchange_id, None) or getattr(ccxt, exchange_id)
