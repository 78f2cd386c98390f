"""How a ccxt client reaches a sandbox: one source for adapters, tests and the CLI."""

from __future__ import annotations

from typing import Any


def ccxt_config(
    http_url: str, ws_url: str, api_key: str, secret: str, **extra: Any
) -> dict[str, Any]:
    """The options of ``ccxt.binance`` / ``ccxt.pro.binance`` for a local sandbox.

    Spot only (no ``sapi``/``fapi``/``dapi`` calls at ``load_markets``), the four spot URLs
    pointed at the sandbox, the WebSocket API for the user data stream, and no client-side
    rate limiting (see ``docs/sandbox.md`` and the wire notes it cites).

    Parameters
    ----------
    http_url : str
        ``http://127.0.0.1:<port>``.
    ws_url : str
        ``ws://127.0.0.1:<port>``.
    api_key, secret : str
        The sandbox's credentials.
    **extra
        Top-level options merged in (``enableRateLimit=True`` to exercise throttling).

    Examples
    --------
    >>> import ccxt
    >>> ex = ccxt.binance(ccxt_config("http://127.0.0.1:8765", "ws://127.0.0.1:8765",
    ...                               "sandbox-key", "sandbox-secret"))  # doctest: +SKIP
    """
    http, ws = http_url.rstrip("/"), ws_url.rstrip("/")
    return {
        "apiKey": api_key,
        "secret": secret,
        "enableRateLimit": False,
        "options": {
            "defaultType": "spot",
            "fetchMarkets": {"types": ["spot"]},
            "fetchCurrencies": False,
            "fetchMargins": False,
            "adjustForTimeDifference": False,
            "warnOnFetchOpenOrdersWithoutSymbol": False,
        },
        "urls": {
            "api": {
                "public": f"{http}/api/v3",
                "private": f"{http}/api/v3",
                "ws": {"spot": f"{ws}/ws", "ws-api": {"spot": f"{ws}/ws-api/v3"}},
            }
        },
        **extra,
    }
