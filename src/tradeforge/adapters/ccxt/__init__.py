"""ccxt adapters: market data and order execution on any ccxt exchange, proven on the sandbox.

* :class:`CcxtDataClient`: history over REST (paged), live bars, trades, books and tickers
  over ccxt.pro websockets, with reconnection and REST backfill.
* :class:`CcxtExecutionClient`: the kernel's ``ExecutionClient`` (submit, cancel, modify),
  queries (orders, balances, fills) and the user-data stream, with the idempotent-resend rule.
* :func:`download_bars`: what ``tradeforge data download`` runs.

Shared machinery: :class:`VenueSession` (rate limiter, circuit breaker, error mapping,
retries), venue profiles (:mod:`.venues`: quirks as data), the loop thread and the kernel's
inbox (:mod:`.loop`). See ``docs/adapters.md``.
"""

from tradeforge.adapters.ccxt.data_client import CcxtDataClient
from tradeforge.adapters.ccxt.download import DownloadReport, download_bars
from tradeforge.adapters.ccxt.errors import PermanentVenueError, TransientVenueError, VenueError
from tradeforge.adapters.ccxt.execution_client import CcxtExecutionClient
from tradeforge.adapters.ccxt.execution_core import ExecutionSettings
from tradeforge.adapters.ccxt.factory import Credentials, build_exchange, build_session
from tradeforge.adapters.ccxt.loop import Inbox, LoopThread, pump
from tradeforge.adapters.ccxt.retry import RetryPolicy
from tradeforge.adapters.ccxt.session import SessionSettings, VenueSession
from tradeforge.adapters.ccxt.venues import PROFILES, VenueProfile, profile_of

__all__ = [
    "PROFILES",
    "CcxtDataClient",
    "CcxtExecutionClient",
    "Credentials",
    "DownloadReport",
    "ExecutionSettings",
    "Inbox",
    "LoopThread",
    "PermanentVenueError",
    "RetryPolicy",
    "SessionSettings",
    "TransientVenueError",
    "VenueError",
    "VenueProfile",
    "VenueSession",
    "build_exchange",
    "build_session",
    "download_bars",
    "profile_of",
    "pump",
]
