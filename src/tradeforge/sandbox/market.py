"""The replay: catalog bars played as a live market, paced by the wall clock.

:class:`MarketClock` turns wall-clock time into market time: ``start + elapsed × speed`` (1× to
1000×), and can be paused, resumed and stepped. :class:`Replay` hands out the tapes' trades in
time order as the market clock passes them (ties in the order the symbols were listed), so the
venue matches orders against each trade and the streams publish it. :func:`load_tapes` reads
each symbol's bars from a catalog, falling back to the bundled samples.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence

from tradeforge.common.clock import Clock
from tradeforge.data import DataError, ParquetCatalog
from tradeforge.data.replay import BarSeries
from tradeforge.model.symbol import Symbol
from tradeforge.model.timeframe import Timeframe
from tradeforge.samples import SAMPLE_CATALOG
from tradeforge.sandbox.config import SandboxConfig
from tradeforge.sandbox.instruments import build_instrument
from tradeforge.sandbox.tape import NS_PER_MS, Print, Tape


class MarketClock:
    """Market time from a wall clock: ``anchor + (wall - wall_anchor) × speed``.

    Parameters
    ----------
    wall : Clock
        The wall clock (a ``LiveClock``; tests may inject another).
    start_ms : int
        Market time when the clock is made, ms.
    speed : float
        Market ms per wall ms.
    paused : bool
        Start paused: market time stands still until :meth:`resume` or :meth:`advance`.
    """

    def __init__(self, wall: Clock, start_ms: int, speed: float, paused: bool = False) -> None:
        self.wall = wall
        self.speed = speed
        self.paused = paused
        self._anchor = start_ms
        self._wall_anchor = self._wall_ms()

    def _wall_ms(self) -> int:
        return self.wall.timestamp_ns() // NS_PER_MS

    def now_ms(self) -> int:
        """Current market time, ms since the epoch."""
        if self.paused:
            return self._anchor
        return self._anchor + int((self._wall_ms() - self._wall_anchor) * self.speed)

    def pause(self) -> None:
        """Stop market time where it is."""
        self._anchor = self.now_ms()
        self.paused = True

    def resume(self) -> None:
        """Let market time flow again from where it stopped."""
        self._anchor = self.now_ms()
        self._wall_anchor = self._wall_ms()
        self.paused = False

    def advance(self, ms: int) -> None:
        """Move market time ``ms`` forward at once (time never runs backwards)."""
        if ms < 0:
            raise ValueError(f"market time cannot run backwards ({ms} ms)")
        self._anchor = self.now_ms() + ms
        self._wall_anchor = self._wall_ms()

    def set_speed(self, speed: float) -> None:
        """Change the pace from now on."""
        if not 1 <= speed <= 1000:
            raise ValueError(f"speed must be between 1 and 1000, got {speed}")
        self._anchor = self.now_ms()
        self._wall_anchor = self._wall_ms()
        self.speed = speed


class Replay:
    """The trades of several tapes in time order, up to a market time.

    Parameters
    ----------
    tapes : sequence of Tape
        One per symbol; ties in time go in this order.
    start_ms : int
        Trades at or before it are history: the replay hands out the ones after it.
    """

    def __init__(self, tapes: Sequence[Tape], start_ms: int) -> None:
        self.tapes = {tape.symbol: tape for tape in tapes}
        self.last_seq = {tape.symbol: tape.seq_at(start_ms) for tape in tapes}
        self._heap: list[tuple[int, int, int]] = []
        self._order = list(self.tapes)
        for rank, tape in enumerate(tapes):
            self._push(rank, self.last_seq[tape.symbol] + 1)

    def _push(self, rank: int, seq: int) -> None:
        tape = self.tapes[self._order[rank]]
        if seq <= tape.last_seq:
            heapq.heappush(self._heap, (tape.time_of(*divmod(seq, tape.per_bar)), rank, seq))

    def due(self, until_ms: int) -> list[tuple[Tape, Print]]:
        """The trades printed after the last call, up to ``until_ms`` inclusive, in order."""
        out = []
        while self._heap and self._heap[0][0] <= until_ms:
            _, rank, seq = heapq.heappop(self._heap)
            tape = self.tapes[self._order[rank]]
            out.append((tape, tape.trade(seq)))
            self.last_seq[tape.symbol] = seq
            self._push(rank, seq + 1)
        return out

    def last(self, symbol: Symbol) -> Print | None:
        """The latest trade handed out (or the last of the history) of ``symbol``."""
        seq = self.last_seq[symbol]
        return self.tapes[symbol].trade(seq) if seq >= 0 else None

    def next_time(self) -> int | None:
        """When the next trade prints, None when every tape is done."""
        return self._heap[0][0] if self._heap else None


def load_tapes(config: SandboxConfig) -> list[Tape]:
    """Each configured symbol's bars as a :class:`Tape`.

    Raises
    ------
    DataError
        When a symbol has no bars of the timeframe in the catalog or the bundled samples.
    """
    timeframe = Timeframe.parse(config.timeframe)
    fees = (config.maker_fee, config.taker_fee)
    tapes = []
    for symbol in config.spot_symbols:
        series = _read_series(config, symbol, timeframe)
        instrument = build_instrument(
            symbol, series.close, config.name, fees, config.instruments.get(str(symbol))
        )
        tapes.append(Tape(series, instrument, config.market))
    return tapes


def _read_series(config: SandboxConfig, symbol: Symbol, timeframe: Timeframe) -> BarSeries:
    roots = [SAMPLE_CATALOG] if config.catalog is None else [config.catalog, SAMPLE_CATALOG]
    available: set[str] = set()
    for root in roots:
        catalog = ParquetCatalog(root)
        for info in catalog.list():
            if info.venue != config.venue or info.symbol != symbol or info.timeframe is None:
                continue
            available.add(str(info.timeframe))
            if info.timeframe == timeframe:
                frame = catalog.read_bars(config.venue, symbol, timeframe)
                return BarSeries.from_frame(symbol, frame, timeframe)
    have = f"it has {', '.join(sorted(available))}" if available else "it has no bars"
    raise DataError(
        f"sandbox: no {config.venue} {symbol} {timeframe} bars in the catalog or the bundled "
        f"samples ({have}); import some with `tradeforge data import`"
    )
