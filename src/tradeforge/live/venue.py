"""The node's link to its venue: the adapters' loop and inbox, the data client, the order
client (live mode) and the instruments the venue lists.

Everything asynchronous runs on one :class:`~tradeforge.adapters.ccxt.LoopThread`; everything
the venue says reaches the kernel through one :class:`~tradeforge.adapters.ccxt.Inbox`
(bars, order events, connection changes), drained on the kernel's thread.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from tradeforge.adapters.ccxt import (
    CcxtDataClient,
    CcxtExecutionClient,
    Credentials,
    ExecutionSettings,
    Inbox,
    LoopThread,
    build_session,
)
from tradeforge.common.clock import Clock
from tradeforge.live.config import NodeConfig
from tradeforge.model.instrument import Instrument
from tradeforge.model.symbol import Symbol
from tradeforge.risk.breakers.board import BreakerBoard

_log = logging.getLogger("tradeforge.live")
_TIMEOUT_S = 60.0


class VenueLinkError(RuntimeError):
    """The venue cannot be used: unreachable, or it does not list a configured market."""


class BreakerSinks:
    """The risk engine's connection and latency breakers as the ccxt client reports to them;
    silent until the kernel (and its breaker board) exists."""

    def __init__(self) -> None:
        self.board: BreakerBoard | None = None

    def set_connected(self, connected: bool) -> None:
        """The venue dropped (False) or is back (True)."""
        if self.board is not None:
            self.board.venue_connected(connected)

    def record(self, ms: float) -> None:
        """A round trip of ``ms`` milliseconds."""
        if self.board is not None:
            self.board.record_latency(ms)


@dataclass
class VenueLink:
    """What the node holds of its venue.

    Attributes
    ----------
    loop : LoopThread
        The adapters' asyncio loop.
    inbox : Inbox
        Bars, order events and connection changes for the kernel.
    data : CcxtDataClient
        History and live bars.
    orders : CcxtExecutionClient or None
        The order client (live mode only).
    instruments : dict
        The configured markets as the venue lists them.
    sinks : BreakerSinks
        Where the order client reports connection and latency.
    """

    loop: LoopThread
    inbox: Inbox
    data: CcxtDataClient
    orders: CcxtExecutionClient | None
    instruments: dict[Symbol, Instrument]
    sinks: BreakerSinks

    def run(self, coroutine: Any, timeout: float = _TIMEOUT_S) -> Any:
        """Run a coroutine on the adapters' loop and wait for it."""
        return self.loop.run(coroutine, timeout)

    def close(self) -> None:
        """Stop the order client and the streams, close the exchanges, stop the loop."""
        try:
            if self.orders is not None:
                self.orders.stop()
            self.loop.run(self.data.close(), timeout=15)
        except Exception:  # closing what may already be broken: say so, go on
            _log.warning("closing the venue link failed", exc_info=True)
        finally:
            self.loop.stop()


def connect(
    config: NodeConfig,
    clock: Clock,
    credentials: Credentials | None,
    settings: ExecutionSettings | None = None,
) -> VenueLink:
    """Start the loop, load the venue's markets and, in live mode, the order client.

    Raises
    ------
    VenueLinkError
        When the venue does not list a configured symbol.
    """
    loop, inbox, sinks = LoopThread("tradeforge-node").start(), Inbox(), BreakerSinks()
    venue = config.venue
    budget = venue.weight_per_minute
    data = CcxtDataClient(build_session(venue.exchange, url=venue.url, weight_per_minute=budget))
    try:
        markets = loop.run(data.load_markets(), _TIMEOUT_S)
        instruments = _instruments(config, markets)
        orders = None
        if config.mode == "live":
            session = build_session(
                venue.exchange, url=venue.url, credentials=credentials, weight_per_minute=budget
            )
            orders = CcxtExecutionClient(
                session, clock, settings, loop=loop, inbox=inbox, connection=sinks,
                latency=sinks,
            ).start(_TIMEOUT_S)  # fmt: skip
    except BaseException:
        loop.run(data.close(), timeout=15)
        loop.stop()
        raise
    return VenueLink(loop, inbox, data, orders, instruments, sinks)


def _instruments(config: NodeConfig, markets: dict[str, Any]) -> dict[Symbol, Instrument]:
    out = {}
    for text in config.symbols:
        market = markets.get(text)
        if market is None:
            raise VenueLinkError(f"{config.venue.exchange} does not list {text}")
        instrument = Instrument.from_ccxt_market(market, config.venue.venue_name)
        out[instrument.symbol] = instrument
    return out
