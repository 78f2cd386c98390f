"""Warm-up: history from the venue, so every strategy can trade on the first live bar.

Before the first live bar, each series a strategy reads (every symbol, every timeframe, its
extra timeframes included) is filled with the venue's latest closed bars
(:meth:`CcxtDataClient.fetch_bars <tradeforge.adapters.ccxt.CcxtDataClient.fetch_bars>`,
paged). The strategies then run ``on_start`` over that history, exactly as a backtest runs it
over its data, and see it as past bars. How many bars: the strategy's ``warmup_bars`` when it
sets one; otherwise ``warmup.bars`` (300), doubled, series by series, while one of the
strategy's indicators still has no value at the last bar (its declared warm-up is longer),
up to ``warmup.max_bars`` or until the venue has no older bars.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from tradeforge.adapters.ccxt import CcxtDataClient
from tradeforge.data.replay import BarSeries
from tradeforge.live.indicators import IndicatorBook
from tradeforge.live.sequencer import SeriesKey
from tradeforge.live.series import replace_bars
from tradeforge.model.market_data import Bar

_log = logging.getLogger("tradeforge.live")
NS_PER_MS = 1_000_000

FetchHistory = Callable[[SeriesKey, int], list[Bar]]
"""``fetch(series key, count)``: the latest ``count`` closed bars of a series, oldest first."""


async def newest_open_ms(data: CcxtDataClient, key: SeriesKey) -> int:
    """When the venue's newest candle of a series opened (it may still be forming), ms."""
    rows = await data.session.call("fetch_ohlcv", str(key[0]), str(key[1]), None, 2)
    if not rows:
        raise LookupError(f"the venue has no {key[0]} {key[1]} candles")
    return int(rows[-1][0])


async def latest_bars(data: CcxtDataClient, key: SeriesKey, count: int) -> list[Bar]:
    """The latest ``count`` closed bars of a series (fewer when the venue has fewer)."""
    newest = await newest_open_ms(data, key)
    since_ms = newest - (count + 1) * (key[1].nanos // NS_PER_MS)
    bars = await data.fetch_bars(key[0], key[1], since=since_ms * NS_PER_MS)
    return bars[-count:]


@dataclass
class Follower:
    """A strategy under warm-up: its indicator book, its series, its own bar count."""

    book: IndicatorBook
    keys: list[SeriesKey]
    fixed: int | None = None
    """The ``warmup_bars`` it asked for (never grown); None: grown as needed."""


@dataclass
class Warmup:
    """Loads and grows the history of the node's series.

    Parameters
    ----------
    fetch : callable
        ``fetch(key, count)``: the latest bars of a series.
    series : dict
        The node's series by key (filled in place).
    start_bars, max_bars : int
        Bars per series to start with, and the most to grow to.
    """

    fetch: FetchHistory
    series: dict[SeriesKey, BarSeries]
    start_bars: int
    max_bars: int
    needs: dict[SeriesKey, int] = field(default_factory=dict)
    exhausted: set[SeriesKey] = field(default_factory=set)

    def plan(self, followers: Sequence[Follower]) -> None:
        """How many bars each series gets first: the most any of its strategies asks for."""
        for follower in followers:
            for key in follower.keys:
                wanted = follower.fixed or self.start_bars
                self.needs[key] = max(self.needs.get(key, 0), wanted)

    def load(self, keys: Sequence[SeriesKey] | None = None) -> None:
        """Fetch the planned bars of ``keys`` (default every series) into the series."""
        for key in self.needs if keys is None else keys:
            count = self.needs[key]
            bars = self.fetch(key, count)
            if len(bars) < count:
                self.exhausted.add(key)
            replace_bars(self.series[key], bars)
            _log.info("warm-up: %s %s: %d bars%s", key[0], key[1], len(bars), _span(bars))

    def grow(self, followers: Sequence[Follower]) -> list[Follower]:
        """Double the history of the series of strategies whose indicators have no value at
        the last bar yet, and compute them again, until they all have or nothing can grow;
        the strategies still not ready."""
        while True:
            waiting = [f for f in followers if not f.book.ready()]
            keys = sorted(
                {k for f in waiting if f.fixed is None for k in f.keys if self._can_grow(k)},
                key=str,
            )
            if not keys:
                return waiting
            for key in keys:
                self.needs[key] = min(2 * self.needs[key], self.max_bars)
            self.load(keys)
            for follower in followers:
                if set(follower.keys) & set(keys):
                    follower.book.recompute()

    def _can_grow(self, key: SeriesKey) -> bool:
        return key not in self.exhausted and self.needs[key] < self.max_bars


def _span(bars: Sequence[Bar]) -> str:
    if not bars:
        return ""
    return f" ({_iso(bars[0].ts_open)} to {_iso(bars[-1].ts_open)})"


def _iso(ts_ns: int) -> str:
    return datetime.fromtimestamp(ts_ns / 1e9, tz=UTC).strftime("%Y-%m-%d %H:%M")
