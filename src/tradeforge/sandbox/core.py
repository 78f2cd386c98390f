"""One sandbox venue, independent of HTTP: the replay, the venue, the streams and the faults.

:class:`Sandbox` owns the market clock (wall clock × speed), the :class:`Replay` of the tapes,
the :class:`SandboxVenue` (the simulated exchange and the account), the :class:`StreamHub`, the
authenticator and the faults. :meth:`Sandbox.catch_up` brings everything to the market time
of now: the venue matches orders against each trade printed since the last call, then the hub
publishes the trades (unless the market data is stale) and the account's updates. The server
calls it before every request and from a background task; everything runs on one event loop,
so no state is shared between threads.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from tradeforge.common.clock import Clock, LiveClock, TestClock
from tradeforge.data import DataError
from tradeforge.model.symbol import Symbol
from tradeforge.sandbox import errors
from tradeforge.sandbox.auth import Authenticator
from tradeforge.sandbox.config import SandboxConfig
from tradeforge.sandbox.faults import Faults
from tradeforge.sandbox.limits import RequestWeights
from tradeforge.sandbox.market import MarketClock, Replay, load_tapes
from tradeforge.sandbox.streams import StreamHub
from tradeforge.sandbox.tape import NS_PER_MS, Print, Tape
from tradeforge.sandbox.venue import SandboxVenue


class Sandbox:
    """The state of one sandbox venue.

    Parameters
    ----------
    config : SandboxConfig
        Symbols, start, speed, balances, fees, faults.
    wall : Clock, optional
        The wall clock (default :class:`~tradeforge.common.clock.LiveClock`): it paces the
        replay and checks request timestamps.

    Raises
    ------
    DataError
        When a symbol has no bars, or the start lies outside a symbol's bars.
    """

    def __init__(self, config: SandboxConfig, wall: Clock | None = None) -> None:
        self.config = config
        self.wall = wall or LiveClock()
        tapes = load_tapes(config)
        start = config.start_ms
        for tape in tapes:
            _check_start(tape, start)
        self.clock = MarketClock(self.wall, start, config.speed, config.paused)
        self.replay = Replay(tapes, start)
        self.venue = SandboxVenue(
            config.name, [t.instrument for t in tapes], dict(config.balances),
            TestClock(start * NS_PER_MS),
        )  # fmt: skip
        for tape in tapes:
            last = self.replay.last(tape.symbol)
            assert last is not None
            self.venue.open_market(tape.symbol, last)
        self.venue.drain()
        self.faults = Faults(config.faults.latency_ms)
        self.hub = StreamHub(self.replay.tapes, self.replay.last_seq)
        self.auth = Authenticator({config.api_key: config.api_secret}, self.wall)
        self.weights = RequestWeights(config.rate_limit, self.wall)
        self.listen_keys: dict[str, str] = {}

    # -- time ---------------------------------------------------------------------------------

    @property
    def now_ms(self) -> int:
        """The venue's market time, ms (as of the last catch-up)."""
        return self.venue.now_ms

    def wall_ms(self) -> int:
        """Wall-clock time, ms."""
        return self.wall.timestamp_ns() // NS_PER_MS

    def catch_up(self) -> None:
        """Replay every trade due by the market clock, then publish."""
        now = self.clock.now_ms()
        for tape, trade in self.replay.due(now):
            self.venue.on_trade(tape.symbol, trade, trade.seq % tape.per_bar == 0)
        self.venue.set_time(now)
        self.publish()

    def publish(self) -> None:
        """Send the trades not yet streamed (unless stale) and the account's updates."""
        if not self.faults.is_stale(self.wall_ms()):
            self.hub.publish_market(self.replay.last_seq)
        self.hub.publish_user(self.venue.drain(), self.now_ms)

    def next_trade_in_s(self) -> float | None:
        """Wall-clock seconds until the next trade prints (None when paused or done)."""
        due = self.replay.next_time()
        if due is None or self.clock.paused:
            return None
        return max(0.0, (due - self.clock.now_ms()) / self.clock.speed / 1000)

    # -- markets ------------------------------------------------------------------------------

    @property
    def tapes(self) -> list[Tape]:
        """The markets, in the configured order."""
        return list(self.replay.tapes.values())

    def tape(self, symbol_id: str) -> Tape:
        """The market of a Binance id; -1121 when not listed."""
        for tape in self.replay.tapes.values():
            if tape.symbol.venue_id == symbol_id:
                return tape
        raise errors.bad_symbol()

    def last_trade(self, symbol: Symbol) -> Print:
        """The latest trade of ``symbol``."""
        last = self.replay.last(symbol)
        assert last is not None  # the start lies inside every tape
        return last

    # -- listen keys --------------------------------------------------------------------------

    def new_listen_key(self, api_key: str) -> str:
        """A listenKey for the legacy user data stream (the same one while it lives)."""
        for key, owner in self.listen_keys.items():
            if owner == api_key:
                return key
        key = secrets.token_hex(32)
        self.listen_keys[key] = api_key
        return key

    def check_listen_key(self, key: str | None) -> str:
        """A known listenKey; -1102 when missing, -1125 when unknown."""
        if not key:
            raise errors.mandatory("listenKey")
        if key not in self.listen_keys:
            raise errors.bad_listen_key()
        return key


def _check_start(tape: Tape, start_ms: int) -> None:
    first, last = int(tape.open_ms[0]), int(tape.open_ms[-1] + tape.span_ms[-1])
    if not first <= start_ms < last:
        raise DataError(
            f"sandbox: start {_iso(start_ms)} is outside the {tape.symbol} {tape.timeframe} "
            f"bars ({_iso(first)} to {_iso(last)}); pick a start inside the data"
        )


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).isoformat().replace("+00:00", "Z")
