"""WebSocket fan-out: market streams built from the replay's trades, and the user data stream.

Market stream names follow Binance: ``<symbol>@trade``, ``@aggTrade``, ``@kline_<interval>``,
``@miniTicker``, ``@ticker``, ``@bookTicker``, ``@depth`` (also ``@depth@100ms`` and
``@depth@1000ms``) and the partial books ``@depth5``/``@depth10``/``@depth20`` (optionally
``@100ms``). Every trade of the replay produces one message on each subscribed stream of its
symbol; messages are serialized once and shared by all subscribers. A ``depthUpdate`` carries
``U = u = seq + 1`` of its trade and the levels that changed (removed levels with quantity 0),
so update ids are contiguous per symbol and match ``GET /api/v3/depth``'s ``lastUpdateId``.

Each connection owns a queue drained by its own task, so a slow client delays nobody else and
the injected latency keeps the order of messages.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

from tradeforge.model.symbol import Symbol
from tradeforge.model.timeframe import Timeframe, TimeframeError
from tradeforge.sandbox import wire
from tradeforge.sandbox.instruments import fmt
from tradeforge.sandbox.records import BalanceUpdate, ListUpdate, OrderUpdate, UserUpdate
from tradeforge.sandbox.tape import Candle, Print, Tape

_STREAM = re.compile(
    r"^(?P<symbol>[a-z0-9]+)@(?P<kind>trade|aggTrade|kline_(?P<interval>\w+)|miniTicker|ticker|"
    r"bookTicker|depth(?P<levels>5|10|20)?)(@(?P<speed>100ms|1000ms))?$"
)
MAX_QUEUE = 20_000
Which = Literal["market", "user", "all"]


class StreamError(ValueError):
    """A stream name the sandbox does not serve; the message says why."""


@dataclass(frozen=True, slots=True)
class Stream:
    """A parsed stream name."""

    name: str
    symbol_id: str
    kind: str  # trade, aggTrade, kline, miniTicker, ticker, bookTicker, depth, partial
    interval: Timeframe | None = None
    levels: int = 0


def parse_stream(name: str, symbol_ids: Iterable[str]) -> Stream:
    """Read a stream name; :class:`StreamError` for a bad name or an unknown symbol."""
    match = _STREAM.match(name) if isinstance(name, str) else None
    if match is None:
        raise StreamError(f"Invalid request: unknown stream {name!r}")
    symbol_id = match["symbol"].upper()
    if symbol_id not in set(symbol_ids):
        raise StreamError(f"Invalid request: unknown symbol in stream {name!r}")
    kind = match["kind"]
    if match["interval"] is not None:
        try:
            return Stream(name, symbol_id, "kline", Timeframe.parse(match["interval"]))
        except TimeframeError:
            raise StreamError(f"Invalid request: unknown interval in stream {name!r}") from None
    if match["levels"] is not None:
        return Stream(name, symbol_id, "partial", levels=int(match["levels"]))
    return Stream(name, symbol_id, kind)


class Connection:
    """One websocket's outgoing side: its queue, its streams, and how it should end.

    Parameters
    ----------
    latency : callable
        The added latency in ms, read for every message.
    wrap : bool
        Wrap market events as ``{"stream": ..., "data": ...}`` (combined ``/stream`` URLs).
    """

    def __init__(self, latency: Callable[[], int], wrap: bool = False) -> None:
        self._latency = latency
        self.wrap = wrap
        self.streams: set[str] = set()
        self.user_ids: list[int | None] = []  # ws-api subscription ids; None: listenKey style
        self.queue: asyncio.Queue[tuple[float, str] | None] = asyncio.Queue()
        self.ending: Literal["drop", "close"] | None = None
        self._ended = asyncio.Event()

    def push(self, text: str) -> None:
        """Queue a frame; a client that falls too far behind is dropped."""
        if self.ending is not None:
            return
        if self.queue.qsize() >= MAX_QUEUE:
            self.end("drop")
            return
        due = asyncio.get_running_loop().time() + self._latency() / 1000
        self.queue.put_nowait((due, text))

    async def pump(self, send: Callable[[str], Awaitable[None]]) -> None:
        """Send queued frames in order, each no earlier than its due time."""
        loop = asyncio.get_running_loop()
        while (item := await self.queue.get()) is not None:
            due, text = item
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            await send(text)

    def end(self, mode: Literal["drop", "close"]) -> None:
        """End the connection: ``drop`` cuts it without a close frame (the client sees an
        abnormal closure), ``close`` sends a close frame (1001, going away)."""
        if self.ending is None:
            self.ending = mode
            self.queue.put_nowait(None)
            self._ended.set()

    async def ended(self) -> None:
        """Wait until :meth:`end` is called."""
        await self._ended.wait()


class StreamHub:
    """Who listens to what, and the messages each trade and each account change produce.

    Parameters
    ----------
    tapes : dict
        The markets by symbol.
    published : dict
        The last trade already in the past, per symbol (the history is not streamed).
    """

    def __init__(self, tapes: dict[Symbol, Tape], published: dict[Symbol, int]) -> None:
        self.tapes = {tape.symbol.venue_id: tape for tape in tapes.values()}
        self.connections: set[Connection] = set()
        self.listeners: dict[str, set[Connection]] = {}
        self._streams: dict[str, Stream] = {}
        self._klines: dict[str, Candle] = {}
        self.published = {symbol.venue_id: seq for symbol, seq in published.items()}
        self._next_subscription = 0

    # -- subscriptions ------------------------------------------------------------------------

    def add(self, connection: Connection) -> None:
        """Register a connection (it starts with no streams)."""
        self.connections.add(connection)

    def remove(self, connection: Connection) -> None:
        """Forget a closed connection."""
        self.connections.discard(connection)
        self.unsubscribe(connection, list(connection.streams))

    def subscribe(self, connection: Connection, names: list[str]) -> None:
        """Add streams; :class:`StreamError` (nothing added) when one is bad."""
        parsed = [parse_stream(name, self.tapes) for name in names]
        for stream in parsed:
            self._streams[stream.name] = stream
            self.listeners.setdefault(stream.name, set()).add(connection)
            connection.streams.add(stream.name)

    def unsubscribe(self, connection: Connection, names: list[str]) -> None:
        """Remove streams (unknown names are ignored)."""
        for name in names:
            connection.streams.discard(name)
            listening = self.listeners.get(name)
            if listening is not None:
                listening.discard(connection)
                if not listening:
                    del self.listeners[name]
                    self._klines.pop(name, None)

    def subscribe_user(self, connection: Connection, ws_api: bool) -> int | None:
        """Send this account's events to ``connection``; the ws-api subscription id."""
        subscription = None
        if ws_api:
            subscription = self._next_subscription
            self._next_subscription += 1
        connection.user_ids.append(subscription)
        return subscription

    def unsubscribe_user(self, connection: Connection, subscription: int | None) -> bool:
        """Stop one user subscription; False when it is not this connection's."""
        if subscription not in connection.user_ids:
            return False
        connection.user_ids.remove(subscription)
        return True

    def disconnect(self, which: Which = "all", mode: Literal["drop", "close"] = "drop") -> int:
        """Drop (no close frame) or close every market, user or any connection; how many."""
        chosen = [c for c in self.connections if _is(c, which)]
        for connection in chosen:
            connection.end(mode)
        return len(chosen)

    # -- market data --------------------------------------------------------------------------

    def publish_market(self, last_seq: dict[Symbol, int]) -> None:
        """Publish every trade after the last published one up to ``last_seq`` per symbol."""
        for symbol, seq in last_seq.items():
            tape = self.tapes[symbol.venue_id]
            done = self.published[tape.symbol.venue_id]
            if seq > done:
                for trade in tape.trades(done + 1, seq):
                    self._publish_trade(tape, trade)
            self.published[tape.symbol.venue_id] = seq

    def _publish_trade(self, tape: Tape, trade: Print) -> None:
        prefix = tape.symbol.venue_id.lower() + "@"
        for name in [n for n in self.listeners if n.startswith(prefix)]:
            stream = self._streams[name]
            payload = self._payload(stream, tape, trade)
            for body in payload if isinstance(payload, list) else [payload]:
                texts: dict[bool, str] = {}  # each form serialized once, only when listened to
                for connection in list(self.listeners.get(name, ())):
                    wrap = connection.wrap
                    text = texts.get(wrap)
                    if text is None:
                        text = texts[wrap] = json.dumps(
                            {"stream": name, "data": body} if wrap else body
                        )
                    connection.push(text)

    def _payload(self, stream: Stream, tape: Tape, trade: Print) -> Any:
        kind = stream.kind
        if kind == "trade":
            return _trade_event(tape, trade)
        if kind == "aggTrade":
            return {"e": "aggTrade", "E": trade.time, "s": tape.symbol.venue_id,
                    **wire.agg_trade(trade)}  # fmt: skip
        if kind == "kline":
            return self._kline_events(stream, tape, trade)
        if kind in ("ticker", "miniTicker"):
            return _ticker_event(tape, trade, mini=kind == "miniTicker")
        if kind == "bookTicker":
            body = wire.book_ticker(tape, trade)
            return {"u": trade.seq + 1, "s": body["symbol"], "b": body["bidPrice"],
                    "B": body["bidQty"], "a": body["askPrice"], "A": body["askQty"]}  # fmt: skip
        if kind == "depth":
            return _depth_event(tape, trade)
        return wire.depth(tape, trade, stream.levels)

    def _kline_events(self, stream: Stream, tape: Tape, trade: Print) -> list[dict[str, Any]]:
        assert stream.interval is not None
        state = self._klines.get(stream.name)
        events = []
        if state is not None and state.open_time <= trade.time <= state.close_time:
            state.add(trade)
        else:
            if state is not None:
                events.append(_kline_event(tape, stream.interval, state, trade.time, True))
            state = tape.candle_at(stream.interval, trade.time)
            if state is None:  # pragma: no cover - the candle holds at least this trade
                return events
            self._klines[stream.name] = state
        events.append(_kline_event(tape, stream.interval, state, trade.time, False))
        return events

    # -- the user data stream -----------------------------------------------------------------

    def publish_user(self, updates: list[UserUpdate], now_ms: int) -> None:
        """Send account events to every user subscription."""
        listening = [c for c in self.connections if c.user_ids]
        if not updates or not listening:
            return
        events = [_user_event(u, now_ms) for u in updates]
        for connection in listening:
            for subscription in connection.user_ids:
                for event in events:
                    body = event if subscription is None else {
                        "subscriptionId": subscription, "event": event}  # fmt: skip
                    connection.push(json.dumps(body))


def _is(connection: Connection, which: Which) -> bool:
    if which == "all":
        return True
    return bool(connection.user_ids) == (which == "user")


def _trade_event(tape: Tape, trade: Print) -> dict[str, Any]:
    return {"e": "trade", "E": trade.time, "s": tape.symbol.venue_id, "t": trade.seq + 1,
            "p": fmt(trade.price), "q": fmt(trade.qty), "T": trade.time,
            "m": trade.buyer_maker, "M": True}  # fmt: skip


def _kline_event(
    tape: Tape, interval: Timeframe, candle: Candle, now: int, closed: bool
) -> dict[str, Any]:
    return {"e": "kline", "E": now, "s": tape.symbol.venue_id, "k": {
        "t": candle.open_time, "T": candle.close_time, "s": tape.symbol.venue_id,
        "i": str(interval), "f": candle.first_seq + 1, "L": candle.last_seq + 1,
        "o": fmt(candle.open), "c": fmt(candle.close), "h": fmt(candle.high),
        "l": fmt(candle.low), "v": fmt(candle.volume), "n": candle.trades, "x": closed,
        "q": fmt(candle.quote_volume), "V": fmt(candle.taker_base),
        "Q": fmt(candle.taker_quote), "B": "0"}}  # fmt: skip


def _ticker_event(tape: Tape, trade: Print, mini: bool) -> dict[str, Any]:
    stats = tape.day_stats(trade.time)
    assert stats is not None
    body = wire.ticker_24h(tape, stats, mini)
    event: dict[str, Any] = {
        "e": "24hrMiniTicker" if mini else "24hrTicker", "E": trade.time, "s": body["symbol"],
        "c": body["lastPrice"], "o": body["openPrice"], "h": body["highPrice"],
        "l": body["lowPrice"], "v": body["volume"], "q": body["quoteVolume"],
    }  # fmt: skip
    if not mini:
        event |= {
            "p": body["priceChange"], "P": body["priceChangePercent"],
            "w": body["weightedAvgPrice"], "x": body["prevClosePrice"], "Q": body["lastQty"],
            "b": body["bidPrice"], "B": body["bidQty"], "a": body["askPrice"],
            "A": body["askQty"], "O": body["openTime"], "C": body["closeTime"],
            "F": body["firstId"], "L": body["lastId"], "n": body["count"],
        }  # fmt: skip
    return event


def _depth_event(tape: Tape, trade: Print) -> dict[str, Any]:
    before = tape.trade(trade.seq - 1).ticks if trade.seq > 0 else trade.ticks
    old_bids, old_asks = tape.book(before)
    new_bids, new_asks = tape.book(trade.ticks)
    return {
        "e": "depthUpdate", "E": trade.time, "s": tape.symbol.venue_id,
        "U": trade.seq + 1, "u": trade.seq + 1,
        "b": _changes(tape, old_bids, new_bids, reverse=True),
        "a": _changes(tape, old_asks, new_asks, reverse=False),
    }  # fmt: skip


def _changes(tape: Tape, old: list[int], new: list[int], reverse: bool) -> list[list[str]]:
    """The levels that differ between two books: removed ones with quantity 0."""
    qty, zero = tape.level_qty_text, tape.zero_qty_text
    removed, added = set(old) - set(new), set(new) - set(old)
    levels = [(t, zero) for t in removed] + [(t, qty) for t in added]
    levels.sort(reverse=reverse)
    return [[tape.price_text(t), q] for t, q in levels]


def _user_event(update: UserUpdate, now_ms: int) -> dict[str, Any]:
    if isinstance(update, OrderUpdate):
        return wire.execution_report(update, now_ms)
    if isinstance(update, BalanceUpdate):
        return wire.account_position(update, now_ms)
    assert isinstance(update, ListUpdate)
    return wire.list_status(update, now_ms)
