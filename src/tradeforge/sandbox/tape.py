"""The synthetic market of one symbol, derived deterministically from its catalog bars.

Each bar of span ``S`` opening at ``T`` prints ``n = 3k + 1`` trades (``k`` =
``steps_per_leg``) along the backtest's assumed path: open → first extreme → second extreme →
close, the extreme nearest the open first (the ``"nearest"`` intrabar rule). Trade ``j`` is
printed at ``T + floor(j × S / n)`` at the path's price ``j / (n - 1)`` of the way along, rounded
half-even to the tick (the four vertices are the bar's own prices). Each trade carries ``V / n``
of the bar's volume ``V`` (truncated to 1e-8; the last one takes the rest), so the trades of a bar
add up to its open, high, low, close and volume exactly. A trade is buyer-maker when its price
is below the trade before it.

Sequence numbers count trades over the whole loaded series: trade ``j`` of bar ``i`` is
``seq = i × n + j``; its trade id is ``seq + 1``, and the order book's update id after it is
``seq + 1`` too, so ids are contiguous per symbol and the same in every sandbox.

The order book is a flat ladder around the last trade price ``p``: ``book_levels`` bids at
``p - tick × (half_spread + m × gap)`` and as many asks above, each of a fixed size (the
``level_notional`` at the series' first open price). Candles and the rolling 24 h statistics
are aggregates of the trades (whole bars are summed without expanding them).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

import numpy as np
from numpy.typing import NDArray

from tradeforge.data.replay import BarSeries
from tradeforge.model.instrument import Instrument
from tradeforge.model.timeframe import Timeframe, Unit
from tradeforge.model.values import EXACT, truncate_to_step
from tradeforge.sandbox.config import MarketModelConfig
from tradeforge.sandbox.instruments import fmt

NS_PER_MS = 1_000_000
DAY_MS = 86_400_000
_VOLUME_QUANTUM = Decimal("1e-8")
_ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Print:
    """One trade of the synthetic market.

    Attributes
    ----------
    seq : int
        Position over the whole tape (trade id ``seq + 1``).
    time : int
        When it printed, ms since the epoch (market time).
    ticks : int
        Its price in ticks.
    price, qty : Decimal
        Price and quantity.
    buyer_maker : bool
        True when the seller took liquidity (the price fell).
    """

    seq: int
    time: int
    ticks: int
    price: Decimal
    qty: Decimal
    buyer_maker: bool


@dataclass(slots=True)
class Candle:
    """A kline: aggregate of the trades whose time falls in ``[open_time, close_time]``."""

    open_time: int
    close_time: int
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal
    quote_volume: Decimal
    taker_base: Decimal
    taker_quote: Decimal
    trades: int
    first_seq: int
    last_seq: int

    def add(self, trade: Print) -> None:
        """Include one more trade (the newest)."""
        self.high = max(self.high, trade.price)
        self.low = min(self.low, trade.price)
        self.close = trade.price
        quote = EXACT.multiply(trade.price, trade.qty)
        self.volume += trade.qty
        self.quote_volume += quote
        if not trade.buyer_maker:
            self.taker_base += trade.qty
            self.taker_quote += quote
        self.trades += 1
        self.last_seq = trade.seq


@dataclass(frozen=True, slots=True)
class DayStats:
    """The rolling 24 h statistics behind the tickers."""

    open_time: int
    close_time: int
    open: Decimal
    high: Decimal
    low: Decimal
    last: Decimal
    last_qty: Decimal
    prev_close: Decimal
    volume: Decimal
    quote_volume: Decimal
    first_seq: int
    last_seq: int


_PRICE_TEXTS = 100_000
"""Price texts a tape keeps before starting afresh."""


class Tape:
    """One symbol's replayed market: its bars as trades, candles, a book and statistics.

    Parameters
    ----------
    series : BarSeries
        The catalog bars, in time order.
    instrument : Instrument
        The symbol's tick and step.
    model : MarketModelConfig
        Trades per leg and the book's shape.
    """

    def __init__(self, series: BarSeries, instrument: Instrument, model: MarketModelConfig) -> None:
        if not len(series):
            raise ValueError(f"{series.label}: no bars to replay")
        self.symbol = series.symbol
        self.instrument = instrument
        self.timeframe = series.timeframe
        self.tick = instrument.price_tick
        self.model = model
        self.steps = model.steps_per_leg
        self.per_bar = 3 * self.steps + 1
        self.open_ms: NDArray[np.int64] = series.ts_open // NS_PER_MS
        self.span_ms: NDArray[np.int64] = (series.ts_close - series.ts_open) // NS_PER_MS
        tick = float(self.tick)
        o, h, low, c = (np.rint(a / tick).astype(np.int64) for a in
                        (series.open, series.high, series.low, series.close))  # fmt: skip
        self.high_t, self.low_t = h, low
        high_first = (h - o) <= (o - low)
        vertices = np.stack([o, np.where(high_first, h, low), np.where(high_first, low, h), c], 1)
        self.ticks = _along_path(vertices, self.steps)
        self.buyer_maker = _buyer_maker(self.ticks)
        self._volume = series.volume
        first_open = self.price(int(o[0]))
        step = instrument.quantity_step
        self.level_qty = max(step, truncate_to_step(model.level_notional / first_open, step))
        self.level_qty_text = fmt(self.level_qty)
        self.zero_qty_text = fmt(self.level_qty * 0)
        self._price_texts: dict[int, str] = {}
        self._bar_totals: dict[int, tuple[Decimal, Decimal, Decimal, Decimal]] = {}

    # -- trades -------------------------------------------------------------------------------

    def __len__(self) -> int:
        """The number of bars."""
        return len(self.open_ms)

    def price(self, ticks: int) -> Decimal:
        """A price in ticks as a decimal."""
        return EXACT.multiply(Decimal(ticks), self.tick)

    def price_text(self, ticks: int) -> str:
        """A price in ticks as Binance writes it (kept: the book repeats the same levels)."""
        text = self._price_texts.get(ticks)
        if text is None:
            if len(self._price_texts) > _PRICE_TEXTS:
                self._price_texts.clear()
            text = self._price_texts[ticks] = fmt(self.price(ticks))
        return text

    def time_of(self, i: int, j: int) -> int:
        """When trade ``j`` of bar ``i`` prints (ms)."""
        return int(self.open_ms[i]) + (j * int(self.span_ms[i])) // self.per_bar

    def trade(self, seq: int) -> Print:
        """Trade number ``seq``."""
        i, j = divmod(seq, self.per_bar)
        base, last = self._split(i)
        return Print(
            seq=seq,
            time=self.time_of(i, j),
            ticks=int(self.ticks[i, j]),
            price=self.price(int(self.ticks[i, j])),
            qty=last if j == self.per_bar - 1 else base,
            buyer_maker=bool(self.buyer_maker[i, j]),
        )

    def trades(self, first_seq: int, last_seq: int) -> Iterator[Print]:
        """Trades ``first_seq`` to ``last_seq`` inclusive (clipped to the tape)."""
        for seq in range(max(first_seq, 0), min(last_seq, self.last_seq) + 1):
            yield self.trade(seq)

    @property
    def last_seq(self) -> int:
        """The sequence number of the tape's final trade."""
        return len(self) * self.per_bar - 1

    def seq_at(self, time_ms: int) -> int:
        """The last trade printed at or before ``time_ms``; -1 before the first."""
        i = int(np.searchsorted(self.open_ms, time_ms, side="right")) - 1
        if i < 0:
            return -1
        rel, span = time_ms - int(self.open_ms[i]), int(self.span_ms[i])
        j = min(self.per_bar - 1, ((rel + 1) * self.per_bar - 1) // span)
        return i * self.per_bar + j

    def seq_from(self, time_ms: int) -> int:
        """The first trade printed at or after ``time_ms`` (``last_seq + 1`` when none)."""
        seq = self.seq_at(time_ms)
        if seq >= 0 and self.trade(seq).time == time_ms:
            return seq
        return seq + 1

    def _split(self, i: int) -> tuple[Decimal, Decimal]:
        """Bar ``i``'s volume as (quantity of each trade but the last, the last's)."""
        volume = self._bar_volume(i)
        base = (volume / self.per_bar).quantize(_VOLUME_QUANTUM, ROUND_DOWN)
        return base, volume - base * (self.per_bar - 1)

    def _bar_volume(self, i: int) -> Decimal:
        return Decimal(repr(float(self._volume[i]))).quantize(_VOLUME_QUANTUM, ROUND_DOWN)

    # -- whole bars ---------------------------------------------------------------------------

    def _totals(self, i: int) -> tuple[Decimal, Decimal, Decimal, Decimal]:
        """Bar ``i``'s volume, quote volume, taker volume and taker quote (cached)."""
        cached = self._bar_totals.get(i)
        if cached is not None:
            return cached
        last = self.per_bar - 1
        ticks, taker = self.ticks[i], ~self.buyer_maker[i]
        base, final = self._split(i)
        final_quote = final * self.price(int(ticks[last]))
        taker_last = bool(taker[last])
        body = ticks[:last]
        totals = (
            base * last + final,
            base * self.price(int(body.sum())) + final_quote,
            base * int(taker[:last].sum()) + (final if taker_last else _ZERO),
            base * self.price(int(body[taker[:last]].sum()))
            + (final_quote if taker_last else _ZERO),
        )
        self._bar_totals[i] = totals
        return totals

    def _whole(self, first: int, end: int) -> tuple[Decimal, Decimal, Decimal, Decimal]:
        """Volume, quote volume, taker volume and taker quote of bars ``first`` to ``end - 1``."""
        sums = [_ZERO, _ZERO, _ZERO, _ZERO]
        for i in range(first, end):
            for k, value in enumerate(self._totals(i)):
                sums[k] += value
        return sums[0], sums[1], sums[2], sums[3]

    # -- candles ------------------------------------------------------------------------------

    def candles(
        self,
        interval: Timeframe,
        now_ms: int,
        start_ms: int | None = None,
        end_ms: int | None = None,
        limit: int = 500,
    ) -> list[Candle]:
        """Klines of ``interval`` from the trades printed by ``now_ms``.

        With ``start_ms``: the first ``limit`` klines opening at or after it; otherwise the last
        ``limit`` opening at or before ``end_ms`` (or now). Klines without trades (data gaps)
        are left out.
        """
        hi = now_ms if end_ms is None else min(now_ms, end_ms)
        if start_ms is not None:
            lo = start_ms
            hi = min(hi, _bucket_end(interval, start_ms, limit))
        else:
            lo = _bucket_start(interval, hi, limit)
        if hi < lo:
            return []
        found = [c for c in self._candles_between(interval, lo, hi, now_ms) if c.open_time >= lo]
        return found[:limit] if start_ms is not None else found[-limit:]

    def candle_at(self, interval: Timeframe, now_ms: int) -> Candle | None:
        """The (partial) kline of ``interval`` containing ``now_ms``, None without trades."""
        opened = _floor(interval, now_ms)
        found = self._candles_between(interval, opened, now_ms, now_ms)
        return found[-1] if found and found[-1].open_time == opened else None

    def _candles_between(self, interval: Timeframe, lo: int, hi: int, now_ms: int) -> list[Candle]:
        first = max(0, int(np.searchsorted(self.open_ms, lo, side="right")) - 1)
        end = int(np.searchsorted(self.open_ms, hi, side="right"))
        last_seq = min(self.seq_at(min(hi, now_ms)), self.last_seq)
        if end <= first or last_seq < first * self.per_bar:
            return []
        done = min(end, (last_seq + 1) // self.per_bar)  # bars printed in full
        whole = self.timeframe.divides(interval)
        candles = self._from_bars(interval, first, done) if whole else []
        start_seq = done * self.per_bar if whole else first * self.per_bar
        for trade in self.trades(start_seq, last_seq):
            _add_trade(candles, interval, trade)
        return candles

    def _from_bars(self, interval: Timeframe, first: int, end: int) -> list[Candle]:
        """Candles of whole bars ``first`` to ``end - 1`` (bars never straddle a candle)."""
        if end <= first:
            return []
        opens = self.open_ms[first:end]
        buckets = _floors(interval, opens)
        cuts = np.flatnonzero(np.diff(buckets)) + 1
        starts = np.concatenate(([0], cuts))
        stops = np.concatenate((cuts, [len(opens)]))
        candles = []
        for a, b in zip(starts.tolist(), stops.tolist(), strict=True):
            i, k = first + a, first + b
            volume, quote, taker_base, taker_quote = self._whole(i, k)
            candles.append(Candle(
                open_time=int(buckets[a]),
                close_time=_next_open(interval, int(buckets[a])) - 1,
                open=self.price(int(self.ticks[i, 0])),
                high=self.price(int(self.high_t[i:k].max())),
                low=self.price(int(self.low_t[i:k].min())),
                close=self.price(int(self.ticks[k - 1, -1])),
                volume=volume, quote_volume=quote, taker_base=taker_base,
                taker_quote=taker_quote, trades=(k - i) * self.per_bar,
                first_seq=i * self.per_bar, last_seq=k * self.per_bar - 1,
            ))  # fmt: skip
        return candles

    # -- statistics ---------------------------------------------------------------------------

    def day_stats(self, now_ms: int) -> DayStats | None:
        """The rolling 24 h window ending at ``now_ms``; None before the first trade."""
        last_seq = self.seq_at(now_ms)
        if last_seq < 0:
            return None
        current = last_seq // self.per_bar
        first = min(int(np.searchsorted(self.open_ms, now_ms - DAY_MS, side="left")), current)
        volume, quote, _, _ = self._whole(first, current)
        partial = list(self.trades(current * self.per_bar, last_seq))
        high = max([p.ticks for p in partial] + [int(self.high_t[first:current].max(initial=0))])
        low_closed = self.low_t[first:current]
        low = min([p.ticks for p in partial] + ([int(low_closed.min())] if len(low_closed) else []))
        for trade in partial:
            volume += trade.qty
            quote += EXACT.multiply(trade.price, trade.qty)
        first_seq = first * self.per_bar
        before = self.trade(first_seq - 1) if first_seq > 0 else self.trade(first_seq)
        last = partial[-1]
        return DayStats(
            open_time=now_ms - DAY_MS, close_time=now_ms,
            open=self.price(int(self.ticks[first, 0])), high=self.price(high),
            low=self.price(low), last=last.price, last_qty=last.qty, prev_close=before.price,
            volume=volume, quote_volume=quote, first_seq=first_seq, last_seq=last_seq,
        )  # fmt: skip

    # -- the book -----------------------------------------------------------------------------

    def book(self, ticks: int, depth: int | None = None) -> tuple[list[int], list[int]]:
        """Bid and ask prices (in ticks, best first) around a last price of ``ticks``."""
        model = self.model
        levels = model.book_levels if depth is None else min(depth, model.book_levels)
        offsets = [model.half_spread_ticks + m * model.level_gap_ticks for m in range(levels)]
        bids = [ticks - d for d in offsets if ticks - d > 0]
        asks = [ticks + d for d in offsets]
        return bids, asks


def _along_path(vertices: NDArray[np.int64], steps: int) -> NDArray[np.int64]:
    """Trade prices in ticks: ``steps`` per leg between the four vertices, half-even."""
    n = 3 * steps + 1
    out = np.empty((len(vertices), n), dtype=np.int64)
    for j in range(n):
        leg = min(j // steps, 2)
        k = j - leg * steps
        a, b = vertices[:, leg], vertices[:, leg + 1]
        out[:, j] = a + _div_half_even((b - a) * k, steps)
    return out


def _div_half_even(numerator: NDArray[np.int64], denominator: int) -> NDArray[np.int64]:
    quotient, remainder = np.divmod(numerator, denominator)
    up = (2 * remainder > denominator) | ((2 * remainder == denominator) & (quotient % 2 == 1))
    result: NDArray[np.int64] = quotient + up.astype(np.int64)
    return result


def _buyer_maker(ticks: NDArray[np.int64]) -> NDArray[np.bool_]:
    flat = ticks.reshape(-1)
    previous = np.concatenate(([flat[0]], flat[:-1]))
    return (flat < previous).reshape(ticks.shape)


def _floor(interval: Timeframe, time_ms: int) -> int:
    return interval.floor(time_ms * NS_PER_MS) // NS_PER_MS


def _next_open(interval: Timeframe, open_ms: int) -> int:
    return interval.next_open(open_ms * NS_PER_MS) // NS_PER_MS


def _floors(interval: Timeframe, times: NDArray[np.int64]) -> NDArray[np.int64]:
    if interval.unit in (Unit.MONTH, Unit.WEEK):
        return np.array([_floor(interval, int(t)) for t in times], dtype=np.int64)
    size = interval.nanos // NS_PER_MS
    return times - times % size


def _bucket_start(interval: Timeframe, time_ms: int, count: int) -> int:
    opened = _floor(interval, time_ms)
    for _ in range(count - 1):
        opened = _floor(interval, opened - 1)
    return opened


def _bucket_end(interval: Timeframe, time_ms: int, count: int) -> int:
    opened = _floor(interval, time_ms)
    if opened < time_ms:
        opened = _next_open(interval, opened)
    for _ in range(count):
        opened = _next_open(interval, opened)
    return opened - 1


def _add_trade(candles: list[Candle], interval: Timeframe, trade: Print) -> None:
    opened = _floor(interval, trade.time)
    if candles and candles[-1].open_time == opened:
        candles[-1].add(trade)
        return
    quote = EXACT.multiply(trade.price, trade.qty)
    taker = not trade.buyer_maker
    candles.append(Candle(
        open_time=opened, close_time=_next_open(interval, opened) - 1, open=trade.price,
        high=trade.price, low=trade.price, close=trade.price, volume=trade.qty,
        quote_volume=quote, taker_base=trade.qty if taker else _ZERO,
        taker_quote=quote if taker else _ZERO, trades=1, first_seq=trade.seq,
        last_seq=trade.seq,
    ))  # fmt: skip
