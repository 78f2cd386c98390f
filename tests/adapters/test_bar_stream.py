"""Live bars over websockets: each closed bar once, none lost across a disconnection; trades,
books and tickers."""

from __future__ import annotations

import asyncio
from typing import Any

import pandas as pd

from tradeforge.adapters.ccxt.bar_stream import BarAssembler
from tradeforge.adapters.ccxt.data_client import CcxtDataClient
from tradeforge.adapters.ccxt.loop import Inbox, LoopThread, pump
from tradeforge.model.market_data import AggressorSide, Bar
from tradeforge.model.timeframe import Timeframe
from tradeforge.sandbox import SandboxServer

from .conftest import (
    BAR_MS,
    START,
    START_MS,
    Row,
    StartServer,
    catalog_rows,
    closing,
    run,
    session_for,
)

TF = Timeframe.parse("5m")


def row(ts: int, close: float, volume: float) -> tuple[int, float, float, float, float, float]:
    return (ts, close, close, close, close, volume)


def test_the_assembler_closes_a_candle_when_the_next_one_starts() -> None:
    assembler = BarAssembler(TF)
    assert assembler.update(row(0, 10, 1)) is None
    assert assembler.update(row(0, 11, 2)) is None
    assert assembler.update(row(0, 9, 1.5)) is None  # an older state (less volume): ignored
    closed = assembler.update(row(BAR_MS, 12, 1))
    assert closed == row(0, 11, 2)
    assembler.closed(closed)
    assert assembler.update(row(0, 11, 3)) is None  # at or before the last closed bar
    assert assembler.duplicates == 1
    assert assembler.follows(row(BAR_MS, 1, 1))
    assert not assembler.follows(row(2 * BAR_MS, 1, 1))
    assembler.forget_pending()
    assert assembler.pending is None


def as_rows(bars: list[Bar]) -> list[Row]:
    return [(b.ts_open // 1_000_000, b.open, b.high, b.low, b.close, b.volume) for b in bars]


def test_bars_survive_a_disconnection_without_gap_or_duplicate(make_server: StartServer) -> None:
    server = make_server(start=START)
    outage = asyncio.Event()

    async def slow_reconnect(seconds: float) -> None:
        if not outage.is_set():  # the first reconnection waits ~4 bars of market time
            outage.set()
            await asyncio.sleep(1.2)

    session = session_for(server, sleep=slow_reconnect)
    client = CcxtDataClient(session)
    backfills: list[int] = []
    real = client._rest_rows

    async def recorded(*args: Any) -> Any:
        rows, forming = await real(*args)
        backfills.append(len(rows))
        return rows, forming

    client._rest_rows = recorded  # type: ignore[method-assign,assignment]

    async def scenario() -> list[Bar]:
        await client.load_markets()
        bars: list[Bar] = []
        async for bar in client.watch_bars("BTC/USDT", "5m", since=START - pd.Timedelta(hours=1)):
            bars.append(bar)
            if len(bars) == 14:
                assert server.disconnect("market", "drop") == 1
            if len(bars) == 24:
                return bars
        raise AssertionError("the stream ended")

    bars = run(closing(session, scenario()), timeout=40)
    first = START - pd.Timedelta(hours=1)
    assert as_rows(bars) == catalog_rows(first, first + 24 * pd.Timedelta(minutes=5))
    guard = client.guards[0]
    assert (guard.reconnects, guard.connected) == (1, True)
    assert backfills[0] >= 12  # the warm-up: the hour before the start (and any bar that
    # closed before the first page: the market runs at 1000x while the client starts)
    assert backfills[1] >= 3  # the bars that closed during the outage came over REST


def test_trades_books_and_tickers_stream(make_server: StartServer) -> None:
    server = make_server(start=START)
    session = session_for(server)
    client = CcxtDataClient(session)

    async def scenario() -> tuple[list[Any], Any, Any]:
        await client.load_markets()
        trades = []
        async for trade in client.watch_trades("BTC/USDT"):
            trades.append(trade)
            if len(trades) == 5:
                break
        book = await anext(aiter(client.watch_book("BTC/USDT", depth=3)))
        ticker = await anext(aiter(client.watch_ticker("BTC/USDT")))
        return trades, book, ticker

    trades, book, ticker = run(closing(session, scenario()))
    ids = [int(t.trade_id) for t in trades]
    assert ids == list(range(ids[0], ids[0] + 5))  # contiguous, none twice
    assert all(t.ts >= START_MS * 1_000_000 for t in trades)
    assert all(t.aggressor in (AggressorSide.BUY, AggressorSide.SELL) for t in trades)
    assert len(book.bids) == len(book.asks) == 3
    assert book.bids[0].price < book.asks[0].price
    assert (
        book.asks[0].price - book.bids[0].price == 2 * book.asks[1].price - 2 * book.asks[0].price
    )
    assert ticker.bid is not None and ticker.ask is not None and ticker.bid < ticker.ask


def test_a_malformed_candle_in_the_stream_is_skipped(paused: SandboxServer) -> None:
    session = session_for(paused)
    client = CcxtDataClient(session)
    script = [
        [[START_MS, 10.0, 11.0, 9.0, 10.5, 1.0]],
        [["bad"], [START_MS, 10.0, 11.0, 9.0, 10.6, 2.0]],
        [[START_MS + BAR_MS, 10.6, 10.6, 10.6, 10.6, 0.5]],
    ]

    async def scripted(*args: Any) -> Any:
        if script:
            return script.pop(0)
        await asyncio.sleep(60)

    session.exchange.watch_ohlcv = scripted

    async def scenario() -> Bar:
        return await anext(aiter(client.watch_bars("BTC/USDT", "5m")))

    bar = run(closing(session, scenario()))
    assert (bar.ts_open, bar.close, bar.volume) == (START_MS * 1_000_000, 10.6, 2.0)


def test_bars_reach_the_kernel_thread_through_the_inbox(make_server: StartServer) -> None:
    """The threading model: streams run on the adapters' loop thread, the kernel drains."""
    server = make_server(start=START)
    session = session_for(server)
    client = CcxtDataClient(session)
    loop, inbox = LoopThread().start(), Inbox()
    since = START - pd.Timedelta(minutes=15)
    try:
        loop.spawn(pump(client.watch_bars("BTC/USDT", "5m", since=since), inbox))
        received: list[Bar] = []
        while len(received) < 4:
            inbox.drain(received.append, timeout=5)
        assert as_rows(received[:4]) == catalog_rows(since, since + pd.Timedelta(minutes=20))
    finally:
        loop.run(session.exchange.close())
        loop.stop()
