"""``CcxtDataClient``: market data of any ccxt exchange, history over REST, live over websockets.

* :meth:`CcxtDataClient.fetch_bars`: closed bars of a period, paged (:mod:`.paging`).
* :meth:`CcxtDataClient.watch_bars`: closed bars as they close, exactly once each, through
  disconnections (:mod:`.bar_stream`): after a reconnection the missed bars are fetched over
  REST before the stream goes on.
* :meth:`CcxtDataClient.watch_trades`, :meth:`~CcxtDataClient.watch_book`,
  :meth:`~CcxtDataClient.watch_ticker`: trades (duplicates dropped by id), order-book
  snapshots (ccxt keeps the book in sequence and resyncs it after a gap) and tickers.

Every stream reconnects with backoff and reports drops and recoveries to ``on_connection``;
a malformed message is logged with its payload (logger ``tradeforge.adapters``) and skipped.
The client is asyncio-native: run it on the adapters' :class:`~.loop.LoopThread` and hand what
it yields to the kernel through an :class:`~.loop.Inbox`.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Iterable
from decimal import Decimal
from typing import Any

from tradeforge.adapters.ccxt.bar_stream import BarAssembler
from tradeforge.adapters.ccxt.errors import MalformedReplyError
from tradeforge.adapters.ccxt.paging import BarPager, next_open_ms
from tradeforge.adapters.ccxt.replies import (
    NS_PER_MS,
    OhlcvRow,
    VenueTicker,
    parse_ohlcv,
    parse_ticker,
)
from tradeforge.adapters.ccxt.retry import RetryPolicy
from tradeforge.adapters.ccxt.session import VenueSession
from tradeforge.adapters.ccxt.streams import STREAM_POLICY, StreamGuard
from tradeforge.adapters.ccxt.trade_stream import FetchTrades, TradeSequence
from tradeforge.data.timestamps import TimeLike, to_ns
from tradeforge.model.market_data import AggressorSide, Bar, MarketDataError, TradeTick
from tradeforge.model.orderbook import BookLevel, OrderBookSnapshot
from tradeforge.model.symbol import Symbol
from tradeforge.model.timeframe import Timeframe
from tradeforge.model.values import NumberError, Price, Quantity

_log = logging.getLogger("tradeforge.adapters")


class CcxtDataClient:
    """Market data of one ccxt exchange.

    Parameters
    ----------
    session : VenueSession
        The exchange (a ``ccxt.pro`` one for the ``watch_*`` streams) and its limits.
    stream_policy : RetryPolicy
        Backoff between reconnection attempts.
    on_connection : callable, optional
        ``on_connection(stream, connected)`` when a stream (``BTC/USDT 5m bars``) drops or
        is back; feed a :class:`~.breaker.ConnectionMonitor` to get one verdict.
    """

    def __init__(
        self,
        session: VenueSession,
        *,
        stream_policy: RetryPolicy = STREAM_POLICY,
        on_connection: Callable[[str, bool], None] | None = None,
    ) -> None:
        self.session = session
        self.stream_policy = stream_policy
        self.on_connection = on_connection
        self.guards: list[StreamGuard] = []
        """The streams opened so far (their reconnect counts)."""
        self.trade_sequences: dict[Symbol, TradeSequence] = {}
        """Each trade stream's bookkeeping (trades refilled and lost)."""

    @property
    def exchange(self) -> Any:
        """The ccxt exchange."""
        return self.session.exchange

    async def load_markets(self) -> dict[str, Any]:
        """Load (once) the exchange's markets."""
        markets: dict[str, Any] = await self.session.call("load_markets")
        return markets

    async def close(self) -> None:
        """Close the exchange's connections."""
        await self.exchange.close()

    # -- history ----------------------------------------------------------------------------

    def pager(
        self, symbol: Symbol | str, timeframe: Timeframe | str, since_ms: int, until_ms: int | None
    ) -> BarPager:
        """A :class:`BarPager` of ``symbol`` (see there)."""
        tf = Timeframe.parse(timeframe)
        limit = self.session.profile.page_limit(self.exchange)
        return BarPager(
            self.session,
            _ccxt_symbol(symbol),
            tf,
            since_ms=since_ms,
            until_ms=until_ms,
            limit=limit,
        )

    async def fetch_bars(
        self,
        symbol: Symbol | str,
        timeframe: Timeframe | str,
        since: TimeLike,
        until: TimeLike | None = None,
    ) -> list[Bar]:
        """Closed bars opening in ``[since, until)``, oldest first, without duplicates.

        The newest bar of the venue is left out while it may still be forming.
        """
        tf = Timeframe.parse(timeframe)
        until_ms = None if until is None else to_ns(until) // NS_PER_MS
        pager = self.pager(symbol, tf, to_ns(since) // NS_PER_MS, until_ms)
        rows = [row async for page in pager.pages() for row in page]
        return [_bar(Symbol.parse(str(symbol)), tf, row) for row in rows]

    async def _rest_rows(
        self, symbol: Symbol, tf: Timeframe, start_ms: int, until_ms: int | None
    ) -> tuple[list[OhlcvRow], OhlcvRow | None]:
        """Closed candles from ``start_ms`` (before ``until_ms`` when given, all of them then
        closed), and the forming one (only without ``until_ms``)."""
        pager = self.pager(symbol, tf, start_ms, until_ms)
        rows = [row async for page in pager.pages() for row in page]
        if until_ms is not None and pager.forming is not None:
            return [*rows, pager.forming], None
        return rows, pager.forming

    # -- live -------------------------------------------------------------------------------

    def _guard(self, name: str) -> StreamGuard:
        report = self.on_connection
        guard = StreamGuard(
            f"{self.session.venue} {name}", self.stream_policy, self.session.sleep,
            self.session.rng, None if report is None else lambda up: report(name, up),
        )  # fmt: skip
        self.guards.append(guard)
        return guard

    async def watch_bars(
        self, symbol: Symbol | str, timeframe: Timeframe | str, since: TimeLike | None = None
    ) -> AsyncIterator[Bar]:
        """Closed bars as they close, each once, none missed across reconnections.

        Parameters
        ----------
        symbol, timeframe
            The market and the bar length.
        since : optional
            Deliver the closed bars from this time first (fetched over REST), e.g. from
            where the catalog ends; without it the stream starts with the first bar that
            closes after subscribing.
        """
        sym, tf = Symbol.parse(str(symbol)), Timeframe.parse(timeframe)
        assembler = BarAssembler(tf)
        guard = self._guard(f"{sym} {tf} bars")
        start = None if since is None else to_ns(since) // NS_PER_MS

        async def watch() -> Any:
            return await self.exchange.watch_ohlcv(str(sym), str(tf))

        while True:
            candles, reconnected = await guard.next(watch)
            if reconnected:
                assembler.forget_pending()
                start = _after(tf, assembler.last_closed)
            if start is not None:
                rows, forming = await self._rest_rows(sym, tf, start, None)
                for row in self._deliverable(assembler, rows):
                    yield _bar(sym, tf, row)
                if forming is not None:
                    assembler.update(forming)
                start = None
            for row in _candles(candles, str(sym)):
                closed = assembler.update(row)
                if closed is None:
                    continue
                if not assembler.follows(closed):
                    hole = _after(tf, assembler.last_closed)
                    assert hole is not None
                    filled, _ = await self._rest_rows(sym, tf, hole, closed[0])
                    for early in self._deliverable(assembler, filled):
                        yield _bar(sym, tf, early)
                assembler.closed(closed)
                yield _bar(sym, tf, closed)

    @staticmethod
    def _deliverable(assembler: BarAssembler, rows: Iterable[OhlcvRow]) -> list[OhlcvRow]:
        """The rows after the last closed bar, each marked closed."""
        out = []
        for row in rows:
            if assembler.last_closed is None or row[0] > assembler.last_closed:
                assembler.closed(row)
                out.append(row)
        return out

    async def watch_trades(self, symbol: Symbol | str) -> AsyncIterator[TradeTick]:
        """Public trades as they print, each once and in order.

        A trade id seen before is dropped. On venues with sequential trade ids (the profile's
        ``trade_history``), trades lost in between (ccxt's cache overrun by a slow consumer,
        a dropped socket) are fetched over REST first (:mod:`.trade_stream`); the stream's
        :class:`~.trade_stream.TradeSequence` is in :attr:`trade_sequences` (counts of refilled
        and lost trades).
        """
        sym = Symbol.parse(str(symbol))
        guard = self._guard(f"{sym} trades")
        sequence = TradeSequence(self.session.profile.trade_history is not None)
        self.trade_sequences[sym] = sequence
        fetch = self._trade_fetcher(sym)
        while True:
            trades, _ = await guard.next(lambda: self.exchange.watch_trades(str(sym)))
            for raw in trades or ():
                tick = _trade_tick(sym, raw)
                if tick is None:
                    continue
                gap = sequence.gap_before(tick)
                if gap is not None:
                    for early in await sequence.refill(fetch, *gap):
                        if sequence.accept(early):
                            yield early
                if sequence.accept(tick):
                    yield tick

    def _trade_fetcher(self, symbol: Symbol) -> FetchTrades:
        profile = self.session.profile

        async def fetch(from_id: int, limit: int) -> list[TradeTick]:
            params = {**(profile.trade_history or {}), profile.trade_id_param: from_id}
            page = await self.session.call("fetch_trades", str(symbol), None, limit, params)
            return [t for t in (_trade_tick(symbol, raw) for raw in page) if t is not None]

        return fetch

    async def watch_book(
        self, symbol: Symbol | str, depth: int = 20
    ) -> AsyncIterator[OrderBookSnapshot]:
        """Snapshots of the top ``depth`` levels after each update."""
        sym = Symbol.parse(str(symbol))
        guard = self._guard(f"{sym} book")
        while True:
            book, _ = await guard.next(lambda: self.exchange.watch_order_book(str(sym)))
            snapshot = _book_snapshot(sym, book, depth)
            if snapshot is not None:
                yield snapshot

    async def watch_ticker(self, symbol: Symbol | str) -> AsyncIterator[VenueTicker]:
        """The market's ticker after each change."""
        sym = Symbol.parse(str(symbol))
        guard = self._guard(f"{sym} ticker")
        params = dict(self.session.profile.ticker_params)
        while True:
            raw, _ = await guard.next(lambda: self.exchange.watch_ticker(str(sym), params))
            try:
                yield parse_ticker(raw)
            except MalformedReplyError as error:
                _log.warning("%s ticker: %s; raw=%r", sym, error, error.raw)


def _ccxt_symbol(symbol: Symbol | str) -> str:
    return str(Symbol.parse(str(symbol)))


def _after(tf: Timeframe, open_ms: int | None) -> int | None:
    return None if open_ms is None else next_open_ms(tf, open_ms)


def _bar(symbol: Symbol, tf: Timeframe, row: OhlcvRow) -> Bar:
    ts, o, h, low, c, v = row
    return Bar(symbol, tf, ts * NS_PER_MS, o, h, low, c, v)


def _candles(candles: Any, label: str) -> list[OhlcvRow]:
    rows = []
    for raw in candles if isinstance(candles, list) else [candles]:
        try:
            rows.append(parse_ohlcv(raw))
        except MalformedReplyError as error:
            _log.warning("%s candle: %s; raw=%r", label, error, error.raw)
    return rows


def _trade_tick(symbol: Symbol, raw: Any) -> TradeTick | None:
    try:
        side = raw.get("side")
        return TradeTick(
            symbol=symbol,
            ts=int(raw["timestamp"]) * NS_PER_MS,
            price=Price(Decimal(repr(raw["price"]))),
            size=Quantity(Decimal(repr(raw["amount"]))),
            aggressor=AggressorSide(side) if side in ("buy", "sell") else None,
            trade_id=str(raw.get("id") or ""),
        )
    except (AttributeError, KeyError, TypeError, ValueError, ArithmeticError) as error:
        _log.warning("%s trade: malformed (%s); raw=%r", symbol, error, _info(raw))
        return None


def _book_snapshot(symbol: Symbol, book: Any, depth: int) -> OrderBookSnapshot | None:
    try:
        bids = tuple(_level(level) for level in list(book["bids"])[:depth])
        asks = tuple(_level(level) for level in list(book["asks"])[:depth])
        nonce, stamp = book.get("nonce"), book.get("timestamp")
        return OrderBookSnapshot(
            symbol=symbol,
            sequence=None if nonce is None else int(nonce),
            ts=None if stamp is None else int(stamp) * NS_PER_MS,
            bids=bids,
            asks=asks,
        )
    except (KeyError, TypeError, ValueError, ArithmeticError, MarketDataError) as error:
        _log.warning("%s book: malformed (%s); raw=%r", symbol, error, book)
        return None


def _level(level: Any) -> BookLevel:
    price, size = level[0], level[1]
    if isinstance(price, bool) or isinstance(size, bool):
        raise TypeError(f"book level {level!r}")
    try:
        return BookLevel(Price(Decimal(repr(price))), Quantity(Decimal(repr(size))))
    except NumberError as error:
        raise ValueError(str(error)) from None


def _info(raw: Any) -> Any:
    return raw.get("info", raw) if isinstance(raw, dict) else raw
