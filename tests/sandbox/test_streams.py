"""Market streams through ccxt.pro, and the raw frames behind them, at 1000x."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import ccxt.pro as ccxtpro
import pandas as pd

from tradeforge.sandbox import SandboxServer

from .conftest import START, catalog_bars, connect, run


async def _watching(server: SandboxServer, action: Any) -> Any:
    exchange = ccxtpro.binance(server.ccxt_config())
    try:
        await exchange.load_markets()
        return await action(exchange)
    finally:
        await exchange.close()


async def _frames(url: str, request: dict[str, Any], count: int) -> list[Any]:
    async with connect(url) as socket:
        await socket.send(json.dumps(request))
        return [json.loads(await socket.recv()) for _ in range(count)]


def _bar_of(time_ms: int, symbol: str = "BTC/USDT") -> pd.Series:
    return catalog_bars(symbol).loc[: pd.Timestamp(time_ms, unit="ms", tz="UTC")].iloc[-1]


def test_watch_trades_follow_the_bars(live: SandboxServer) -> None:
    async def collect(exchange: ccxtpro.binance) -> list[dict[str, Any]]:
        seen: list[dict[str, Any]] = []
        while len(seen) < 30:
            seen.extend(await exchange.watch_trades("BTC/USDT"))
        return seen

    trades = run(_watching(live, collect))
    ids = [int(t["id"]) for t in trades]
    assert ids == list(range(ids[0], ids[0] + len(ids)))  # every trade, in order
    for trade in trades:
        bar = _bar_of(trade["timestamp"])
        assert bar["low"] <= trade["price"] <= bar["high"]
        if trade["timestamp"] == int(bar.name.timestamp() * 1000):
            assert trade["price"] == bar["open"]


def test_watch_ohlcv_closes_candles_equal_to_the_catalog(live: SandboxServer) -> None:
    async def collect(exchange: ccxtpro.binance) -> list[list[float]]:
        while True:
            await exchange.watch_ohlcv("BTC/USDT", "5m")
            if len(exchange.ohlcvs["BTC/USDT"]["5m"]) >= 2:
                return list(exchange.ohlcvs["BTC/USDT"]["5m"])

    candles = run(_watching(live, collect))
    first = candles[-2]  # superseded: complete
    bar = catalog_bars().loc[pd.Timestamp(first[0], unit="ms", tz="UTC")]
    assert first[1:] == [bar.open, bar.high, bar.low, bar.close, round(bar.volume, 8)]


def test_watch_order_book_stays_in_sequence(live: SandboxServer) -> None:
    async def collect(exchange: ccxtpro.binance) -> list[tuple[int, float, float, int]]:
        books = []
        for _ in range(15):
            book = await exchange.watch_order_book("BTC/USDT")
            books.append((book["nonce"], book["bids"][0][0], book["asks"][0][0],
                          len(book["bids"])))  # fmt: skip
        return books

    books = run(_watching(live, collect))
    nonces = [b[0] for b in books]
    assert nonces == sorted(set(nonces))
    for _, bid, ask, levels in books:
        assert round(ask - bid, 2) == 0.02
        assert levels == 20


def test_depth_updates_have_contiguous_ids(live: SandboxServer) -> None:
    request = {"method": "SUBSCRIBE", "params": ["btcusdt@depth@100ms"], "id": 1}
    frames = run(_frames(f"{live.ws_url}/ws/0", request, 25))
    assert frames[0] == {"result": None, "id": 1}
    events = frames[1:]
    assert all(e["U"] == e["u"] for e in events)
    assert [e["u"] for e in events] == list(range(events[0]["u"], events[0]["u"] + 24))
    moved = next(e for e in events if e["b"])
    removed = [level for level in moved["b"] + moved["a"] if level[1] == "0.00000000"]
    added = [level for level in moved["b"] + moved["a"] if level[1] == "0.34573000"]
    assert len(removed) == len(added)


def test_watch_ticker_and_bids_asks(live: SandboxServer) -> None:
    async def collect(exchange: ccxtpro.binance) -> tuple[Any, Any, Any]:
        mini = await exchange.watch_ticker("BTC/USDT")
        full = await exchange.watch_ticker("ETH/USDT", {"name": "ticker"})
        quotes = await exchange.watch_bids_asks(["BTC/USDT"])
        return mini, full, quotes["BTC/USDT"]

    mini, full, quote = run(_watching(live, collect))
    assert (mini["bid"], mini["ask"]) == (None, None)  # @miniTicker carries no book
    assert mini["info"]["e"] == "24hrMiniTicker"
    assert round(full["ask"] - full["bid"], 2) == 0.02
    assert Decimal(full["info"]["c"]) - Decimal(full["info"]["o"]) == Decimal(full["info"]["p"])
    assert round(quote["ask"] - quote["bid"], 2) == 0.02


def test_subscription_protocol(live: SandboxServer) -> None:
    async def talk() -> list[Any]:
        async with connect(f"{live.ws_url}/ws") as socket:
            answers = []
            for request in (
                {"method": "SUBSCRIBE", "params": ["dogebtc@trade"], "id": 1},
                {"method": "SUBSCRIBE", "params": ["btcusdt@kline_7m"], "id": 2},
                {"method": "SUBSCRIBE", "params": ["btcusdt@aggTrade"], "id": 3},
                {"method": "LIST_SUBSCRIPTIONS", "id": 4},
                {"method": "UNSUBSCRIBE", "params": ["btcusdt@aggTrade"], "id": 5},
                {"method": "LIST_SUBSCRIPTIONS", "id": 6},
            ):
                await socket.send(json.dumps(request))
                while True:
                    answer = json.loads(await socket.recv())
                    if "id" in answer:
                        answers.append(answer)
                        break
            await socket.send("{not json")
            answers.append(json.loads(await socket.recv()))
            return answers

    answers = run(talk())
    assert answers[0]["error"]["code"] == 2 and "unknown symbol" in answers[0]["error"]["msg"]
    assert answers[1]["error"]["code"] == 2 and "interval" in answers[1]["error"]["msg"]
    assert answers[2:] == [
        {"result": None, "id": 3}, {"result": ["btcusdt@aggTrade"], "id": 4},
        {"result": None, "id": 5}, {"result": [], "id": 6},
        {"error": {"code": 3, "msg": "Invalid JSON"}, "id": None},
    ]  # fmt: skip


def test_combined_stream_wraps_events(live: SandboxServer) -> None:
    async def first() -> dict[str, Any]:
        url = f"{live.ws_url}/stream?streams=btcusdt@trade/ethusdt@trade"
        async with connect(url) as socket:
            frames = [json.loads(await socket.recv()) for _ in range(4)]
        return {f["stream"]: f["data"] for f in frames}

    frames = run(first())
    assert set(frames) == {"btcusdt@trade", "ethusdt@trade"}
    assert frames["ethusdt@trade"]["s"] == "ETHUSDT"
    assert _bar_of(frames["ethusdt@trade"]["T"], "ETH/USDT").name >= START
