"""Checks of where and when an entry goes: allowed symbols and venues, trading hours, and the
correlation of its returns with the open positions'.

Orders that add no exposure pass all three: closing a position is always allowed.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from datetime import time
from decimal import Decimal
from operator import attrgetter

import numpy as np
from numpy.typing import NDArray

from tradeforge.common.jit import njit
from tradeforge.data.lines import Cursor
from tradeforge.data.replay import BarSeries
from tradeforge.model.enums import OrderSide
from tradeforge.model.symbol import Symbol
from tradeforge.portfolio.portfolio import PortfolioError
from tradeforge.risk.account_view import AccountView
from tradeforge.risk.checks.account import NANOS_PER_DAY
from tradeforge.risk.checks.base import LimitCheck
from tradeforge.risk.context import NEVER, BarHistory, PriceHistory, RiskContext
from tradeforge.risk.limits import WEEKDAYS, RiskConfig, RiskLimits, TradingWindow
from tradeforge.risk.projection import prepare_exposure
from tradeforge.risk.ticket import Ticket, Verdict

_NANOS_PER_SECOND = 1_000_000_000
_EPOCH_WEEKDAY = 3  # 1970-01-01 was a Thursday (Monday is 0)


class AllowedMarkets(LimitCheck):
    """Entries only in ``allowed_symbols`` and on ``allowed_venues`` (the instrument's venue)."""

    rule = "allowed_markets"

    def __init__(self, config: RiskConfig, context: RiskContext) -> None:
        super().__init__(config, context)
        prepare_exposure(context)

    def bind(self, strategy_id: str | None, limits: RiskLimits) -> Verdict | None:
        """See :meth:`LimitCheck.bind`."""
        symbols, venues = limits.symbol_set, limits.allowed_venues
        if symbols is None and venues is None:
            return None
        instruments = self._context.instruments

        def verdict(ticket: Ticket) -> str:
            if not (ticket.projected or ticket.exposure()).adds:
                return ""
            symbol = ticket.symbol
            if symbols is not None and symbol not in symbols:
                return f"symbol not allowed: {symbol} is not in allowed_symbols"
            instrument = instruments.get(symbol)
            venue = instrument.venue if instrument is not None else "unknown"
            if venues is not None and venue not in venues:
                return f"venue not allowed: {symbol} trades on {venue}, not in allowed_venues"
            return ""

        return verdict


class TradingHours(LimitCheck):
    """Entries only inside one of the ``trading_hours`` windows (UTC, by the clock).

    Whether the clock is inside is kept until the next window edge; at a bar's close
    (:meth:`prepare`) it is read again past an edge, as the next order would.
    """

    rule = "trading_hours"

    def __init__(self, config: RiskConfig, context: RiskContext) -> None:
        super().__init__(config, context)
        self._hours: list[_Hours] = []
        prepare_exposure(context)
        context.prepare_with(f"trading_hours {id(self)}", self.prepare)

    def prepare(self, symbol: Symbol | None = None) -> None:
        """At a bar's close: whether the clock is inside each strategy's windows."""
        now = self._context.clock.timestamp_ns()
        for hours in self._hours:
            hours.inside(now)

    def bind(self, strategy_id: str | None, limits: RiskLimits) -> Verdict | None:
        """See :meth:`LimitCheck.bind`."""
        if limits.trading_hours is None:
            return None
        hours = _Hours(tuple(_Window.of(w) for w in limits.trading_hours))
        self._hours.append(hours)

        def verdict(ticket: Ticket) -> str:
            if not (ticket.projected or ticket.exposure()).adds or hours.inside(ticket.now):
                return ""
            now = ticket.now
            return _outside(_weekday(now), (now % NANOS_PER_DAY) // _NANOS_PER_SECOND)

        return verdict


class _Hours:
    """Whether an instant is inside any of the windows, kept for the span of the day in
    which the answer cannot change (between two consecutive window ends or starts)."""

    __slots__ = ("edges", "inside_now", "since", "until", "windows")

    def __init__(self, windows: tuple[_Window, ...]) -> None:
        self.windows = windows
        ends = {w.start for w in windows} | {w.end for w in windows} | {0, 86_400}
        self.edges = sorted(ends)  # seconds of the day, 0 and 86,400 included
        self.since, self.until, self.inside_now = 0, 0, False

    def inside(self, now: int) -> bool:
        """Whether ``now`` (ns UTC) is inside a window."""
        if self.since <= now < self.until:
            return self.inside_now
        day, second = _weekday(now), (now % NANOS_PER_DAY) // _NANOS_PER_SECOND
        inside = any(window.contains(day, second) for window in self.windows)
        after = bisect_right(self.edges, second)  # edges[after - 1] <= second < edges[after]
        midnight = now - now % NANOS_PER_DAY
        self.since = midnight + self.edges[after - 1] * _NANOS_PER_SECOND
        self.until = midnight + self.edges[after] * _NANOS_PER_SECOND
        self.inside_now = inside
        return inside


def _weekday(now: int) -> int:
    """The UTC weekday of ``now`` (ns), Monday 0."""
    return (now // NANOS_PER_DAY + _EPOCH_WEEKDAY) % 7


def _outside(day: int, second: int) -> str:
    clock = f"{second // 3600:02d}:{second // 60 % 60:02d}:{second % 60:02d}"
    return f"trading hours: {WEEKDAYS[day].title()} {clock} UTC is outside the trading hours"


def _correlated(  # noqa: PLR0917 - the pair and the limit
    ticket: Ticket, rho: float, long: bool, other: Symbol, lookback: int, most: Decimal
) -> str:
    return (
        f"correlation limit: {ticket.side.name} {ticket.symbol} correlates {rho:.2f} with "
        f"the open {'long' if long else 'short'} {other} over the last {lookback} bars, "
        f"above {most}"
    )


class _Window:
    """A :class:`TradingWindow` as seconds of the day and weekday numbers (Monday 0)."""

    __slots__ = ("days", "end", "start")

    def __init__(self, start: int, end: int, days: frozenset[int]) -> None:
        self.start, self.end, self.days = start, end, days

    @classmethod
    def of(cls, window: TradingWindow) -> _Window:
        def seconds(at: time) -> int:
            return at.hour * 3600 + at.minute * 60 + at.second

        days = frozenset(WEEKDAYS.index(day) for day in window.days)
        return cls(seconds(window.start), seconds(window.end), days)

    def contains(self, day: int, second: int) -> bool:
        """Whether ``second`` of weekday ``day`` is inside; a window that wraps past midnight
        belongs to the day it opens, equal ends mean the whole day."""
        start, end = self.start, self.end
        if start < end:
            return day in self.days and start <= second < end
        if start == end or second >= start:
            return day in self.days
        return second < end and (day - 1) % 7 in self.days


class Correlation(LimitCheck):
    """Refuses an entry whose returns correlate above ``max_correlation`` with an open
    position's, signed by direction: a long entry against an open long counts the
    correlation, against an open short its opposite (a hedge passes).

    Returns are simple returns between consecutive closes both symbols have (joined on close
    time) over the last ``correlation_lookback`` bars; Pearson's coefficient. Fewer than half
    the lookback of joint returns, or a flat series, passes. Per entry symbol, its row of
    coefficients against the open positions is kept until one of the symbols gets a new bar
    (for a bar history, until a series' cursor moves): an order between two bars reads one
    cursor per symbol and no more, and a new bar computes only the pairs it changed.

    At a bar's close (:meth:`prepare`) the rows of the symbols ordered lately are brought
    up to date against the positions held then, as their next order would.
    """

    rule = "correlation_limit"

    def __init__(self, config: RiskConfig, context: RiskContext) -> None:
        if context.history is None:
            raise ValueError("max_correlation needs the context's price history")
        super().__init__(config, context)
        self._history: PriceHistory = context.history
        self._bars = context.history if isinstance(context.history, BarHistory) else None
        self._rows: dict[tuple[Symbol, int], _Row] = {}
        prepare_exposure(context)
        context.prepare_with(f"correlation {id(self)}", self.prepare)

    def bind(self, strategy_id: str | None, limits: RiskLimits) -> Verdict | None:
        """See :meth:`LimitCheck.bind`."""
        most = limits.max_correlation
        if most is None:
            return None
        lookback, ceiling, context = limits.correlation_lookback, float(most), self._context

        def verdict(ticket: Ticket) -> str:
            after = ticket.projected or ticket.exposure()
            holdings = after.holdings
            if not after.adds or not holdings:
                return ""
            buying = ticket.side is OrderSide.BUY
            row = self._row(ticket.symbol, holdings, lookback, context.bar)
            if row.peak(buying) <= ceiling:
                return ""
            for (other, held), rho in zip(holdings, row.coefficients, strict=True):
                long = held > 0
                if (rho if long == buying else -rho) > ceiling:
                    return _correlated(ticket, rho, long, other, lookback, most)
            return ""

        return verdict

    def prepare(self, symbol: Symbol | None = None) -> None:
        """At the close of a bar (of ``symbol``; ``None``: any): the rows of the symbols
        ordered lately (:meth:`RiskContext.recent`) against the positions held now, as
        their next order reads them (only the pairs with a new bar are computed)."""
        context = self._context
        try:
            holdings = AccountView.prepared(context).holdings
        except PortfolioError:
            return
        for (entry, lookback), row in self._rows.items():
            if not context.recent(row.read):
                continue
            others = holdings.base(entry).holdings
            if not others:
                continue
            if symbol is not None and row.holdings is others and symbol not in row.symbols:
                continue  # neither the row's symbols nor the positions moved
            self._row(entry, others, lookback)

    def _row(
        self, symbol: Symbol, holdings: _Holdings, lookback: int, read: int | None = None
    ) -> _Row:
        """The coefficients of ``symbol`` with each held symbol, read again only when one
        of them has a new bar (or the held symbols change); ``read``: the bar an order
        reads it at."""
        row = self._rows.get((symbol, lookback))
        if row is None:
            row = self._rows[symbol, lookback] = _Row(symbol)
        if read is not None:
            row.read = read
        if row.holdings is not holdings:
            row.hold(symbol, holdings, self._bars)
        stamps = self._stamps(row)
        if stamps != row.stamps:
            row.read_coefficients(self._coefficients(row, stamps, lookback), stamps)
        if row.peaks is None:  # worked out now (at a bar's close when prepared)
            row.peaks = _peaks(row.holdings, row.coefficients)
        return row

    def _stamps(self, row: _Row) -> tuple[int | None, ...]:
        """How far each of the row's symbols has been seen: a bar series' cursor (as exact a
        key as its last close time, and cheaper to read), else the last close time."""
        if row.cursors is not None:
            return tuple(map(_INDEX, row.cursors))
        return tuple(map(self._history.last_close_time, row.symbols))

    def _coefficients(
        self, row: _Row, stamps: tuple[int | None, ...], lookback: int
    ) -> list[float]:
        """Each pair's coefficient, computed again when either symbol of the pair has a new
        bar (its stamp in ``stamps``)."""
        pairs, stamp, count = row.pairs, stamps[0], lookback + 1
        least = max(2, lookback // 2)
        mine = self._closes(row, 0, count)
        for k in range(1, len(row.symbols)):
            seen, cached = stamps[k], pairs[k - 1]
            if cached is None or cached[0] != stamp or cached[1] != seen:
                rho = _correlation_at(*mine, *self._closes(row, k, count), count, least)
                pairs[k - 1] = (stamp, seen, rho)
        return [pair[2] for pair in pairs if pair is not None]

    def _closes(self, row: _Row, k: int, count: int) -> _Closes:
        """Close times, closes and how many of them to read up to for the row's ``k``-th
        symbol: a bar series' whole arrays (cut in the kernel), else its last ``count``."""
        if row.series is not None:
            series = row.series[k]
            if series is None:
                return _NO_TIMES, _NO_CLOSES, 0
            return series.ts_close, series.close, max(0, series.cursor.i + 1)
        times, closes = self._history.closes(row.symbols[k], count)
        return times, closes, len(times)


_Holdings = tuple[tuple[Symbol, Decimal], ...]
_Closes = tuple[NDArray[np.int64], NDArray[np.float64], int]
_NO_TIMES: NDArray[np.int64] = np.empty(0, dtype=np.int64)
_NO_CLOSES: NDArray[np.float64] = np.empty(0, dtype=np.float64)


class _Row:
    """One entry symbol's coefficients (for one lookback) against the held symbols, with
    the stamps they were read at (``symbols``, ``series``, ``cursors`` and ``stamps`` start
    with the entry symbol's), per held symbol the pair's coefficient with the stamps of
    both (kept while the held symbols are the same), and the highest signed coefficient
    an entry on each side meets (worked out at the first need)."""

    __slots__ = (
        "coefficients", "cursors", "holdings", "pairs", "peaks", "read", "series", "stamps",
        "symbols",
    )  # fmt: skip

    def __init__(self, symbol: Symbol) -> None:
        self.read = NEVER  # the bar an order last read the row at
        self.holdings: _Holdings = ()
        self.symbols: tuple[Symbol, ...] = (symbol,)
        self.series: tuple[BarSeries | None, ...] | None = None
        self.cursors: tuple[Cursor | _NoCursor, ...] | None = None
        self.stamps: tuple[int | None, ...] = ()
        self.coefficients: list[float] = []
        self.pairs: list[tuple[int | None, int | None, float] | None] = []
        self.peaks: tuple[float, float] | None = None

    def hold(self, symbol: Symbol, holdings: _Holdings, bars: BarHistory | None) -> None:
        """Read against ``holdings`` from now on (read again when their symbols differ),
        from ``bars``' series when the history is a bar history."""
        symbols = (symbol, *[other for other, _ in holdings])
        if symbols != self.symbols or (bars is not None and self.series is None):
            self.symbols, self.stamps = symbols, ()
            self.pairs = [None] * (len(symbols) - 1)
            if bars is not None:
                self.series = tuple(bars.series_of(s) for s in symbols)
                self.cursors = tuple(_NO_CURSOR if s is None else s.cursor for s in self.series)
        self.holdings, self.peaks = holdings, None

    def read_coefficients(self, coefficients: list[float], stamps: tuple[int | None, ...]) -> None:
        """The coefficients read at ``stamps``."""
        self.coefficients, self.stamps, self.peaks = coefficients, stamps, None

    def peak(self, buying: bool) -> float:
        """The highest coefficient an entry (a buy, else a sell) has with a held position,
        signed by direction (a hedge counts negative); NaN counts as nothing, an empty row
        as ``-inf``."""
        peaks = self.peaks
        if peaks is None:
            peaks = self.peaks = _peaks(self.holdings, self.coefficients)
        return peaks[0] if buying else peaks[1]


def _peaks(holdings: _Holdings, coefficients: list[float]) -> tuple[float, float]:
    """The highest signed coefficient a buy and a sell meet (see :meth:`_Row.peak`)."""
    buy = sell = -math.inf
    for (_, held), rho in zip(holdings, coefficients, strict=True):
        if rho != rho:  # noqa: PLR0124 - NaN exceeds nothing
            continue
        signed = rho if held > 0 else -rho
        buy, sell = max(buy, signed), max(sell, -signed)
    return buy, sell


class _NoCursor:
    """The cursor of a symbol without a bar series: never seen."""

    __slots__ = ()
    i = None


_NO_CURSOR = _NoCursor()
_INDEX = attrgetter("i")


@njit
def _correlation_at(  # noqa: PLR0917 - two windows of closes
    ts_a: NDArray[np.int64],
    a: NDArray[np.float64],
    end_a: int,
    ts_b: NDArray[np.int64],
    b: NDArray[np.float64],
    end_b: int,
    count: int,
    least: int,
) -> float:
    """Pearson correlation of the simple returns between the closes both series have at the
    same times, among the last ``count`` closes before ``end_a`` and ``end_b`` (as
    :meth:`PriceHistory.closes` cuts them); 0.0 when either has fewer than two closes, with
    fewer than ``least`` joint returns, or for a flat series.

    Two walks over the joint closes and no array: the first sums the returns (their means),
    the second the squared and multiplied deviations, each sum in time order from 0.0, as
    ``((dx * dy).sum() / np.sqrt((dx * dx).sum() * (dy * dy).sum()))`` over arrays of them
    would.
    """
    start_a, start_b = max(0, end_a - count), max(0, end_b - count)
    if end_a - start_a < 2 or end_b - start_b < 2:
        return 0.0
    m, sum_x, sum_y, _ = _walk(ts_a, a, start_a, end_a, ts_b, b, start_b, end_b, None)
    if m < least:
        return 0.0
    means = (sum_x / m, sum_y / m)
    _, sxx, syy, sxy = _walk(ts_a, a, start_a, end_a, ts_b, b, start_b, end_b, means)
    if sxx == 0.0 or syy == 0.0:
        return 0.0
    return float(sxy / np.sqrt(sxx * syy))


@njit
def _walk(  # noqa: PLR0917 - two windows of closes and the means
    ts_a: NDArray[np.int64],
    a: NDArray[np.float64],
    i: int,
    end_a: int,
    ts_b: NDArray[np.int64],
    b: NDArray[np.float64],
    j: int,
    end_b: int,
    means: tuple[float, float] | None,
) -> tuple[int, float, float, float]:
    """Over the simple returns between the closes both windows have at the same times:
    their count and, without ``means``, their sums; with them, the sums of the squared and
    multiplied deviations from them (each in time order, from 0.0)."""
    m, first, px, py = 0, True, 0.0, 0.0
    s1, s2, s3 = 0.0, 0.0, 0.0
    while i < end_a and j < end_b:
        if ts_a[i] < ts_b[j]:
            i += 1
        elif ts_a[i] > ts_b[j]:
            j += 1
        else:
            x, y = a[i], b[j]
            if not first:
                rx, ry = x / px - 1.0, y / py - 1.0
                if means is None:
                    s1, s2 = s1 + rx, s2 + ry
                else:
                    dx, dy = rx - means[0], ry - means[1]
                    s1, s2, s3 = s1 + dx * dx, s2 + dy * dy, s3 + dx * dy
                m += 1
            first, px, py, i, j = False, x, y, i + 1, j + 1
    return m, s1, s2, s3
