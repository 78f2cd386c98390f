"""A local Binance-compatible exchange: catalog bars replayed as a live spot market.

``tradeforge sandbox`` (or :class:`SandboxServer` in-process) serves the subset of Binance's
spot REST and WebSocket API that ccxt uses, on 127.0.0.1, backed by the backtest's
:class:`~tradeforge.backtest.exchange.SimulatedExchange`. See ``docs/sandbox.md``.

>>> from tradeforge.sandbox import SandboxConfig, SandboxServer
>>> with SandboxServer(SandboxConfig(port=0, speed=1000)) as server:  # doctest: +SKIP
...     exchange = ccxt.binance(server.ccxt_config())
...     exchange.fetch_ticker("BTC/USDT")
"""

from tradeforge.sandbox.client import ccxt_config
from tradeforge.sandbox.config import SandboxConfig, load_sandbox_config
from tradeforge.sandbox.core import Sandbox
from tradeforge.sandbox.server import SandboxError, SandboxServer

__all__ = [
    "Sandbox",
    "SandboxConfig",
    "SandboxError",
    "SandboxServer",
    "ccxt_config",
    "load_sandbox_config",
]
