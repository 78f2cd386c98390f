"""Trades exactly once and in order: a consumer that falls behind ccxt's cache loses nothing."""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal

from tradeforge.adapters.ccxt.data_client import CcxtDataClient
from tradeforge.adapters.ccxt.errors import VenueUnavailableError
from tradeforge.adapters.ccxt.trade_stream import TradeSequence
from tradeforge.model.market_data import TradeTick
from tradeforge.model.symbol import Symbol
from tradeforge.model.values import Price, Quantity
from tradeforge.sandbox import SandboxServer

from .conftest import BAR_MS, closing, run, session_for

BTC = Symbol.parse("BTC/USDT")


def tick(trade_id: str, price: str = "10") -> TradeTick:
    return TradeTick(BTC, 1, Price(Decimal(price)), Quantity(Decimal(1)), trade_id=trade_id)


def test_a_slow_consumer_gets_every_trade_once_in_order(paused: SandboxServer) -> None:
    """ccxt keeps only 5 trades here; 39 print while the consumer is busy. The jump in the
    ids is seen at the next trade, and the missing ones come over REST (historicalTrades)."""
    session = session_for(paused)
    session.exchange.options["tradesLimit"] = 5
    client = CcxtDataClient(session)

    async def scenario() -> list[TradeTick]:
        await client.load_markets()
        stream = aiter(client.watch_trades("BTC/USDT"))
        first = asyncio.ensure_future(anext(stream))
        await asyncio.to_thread(_wait_subscribed, paused)
        await asyncio.to_thread(paused.advance, BAR_MS)  # 13 trades: the consumer reads one
        received = [await first]
        await asyncio.to_thread(paused.advance, 3 * BAR_MS)  # 39 more while it is busy
        await asyncio.sleep(0.5)  # ccxt takes them in; its cache keeps the last 5
        market = asyncio.ensure_future(_keep_printing(paused))  # the stream goes on
        while int(received[-1].trade_id) < int(received[0].trade_id) + 64:
            received.append(await anext(stream))
        market.cancel()
        return received

    received = run(closing(session, scenario()))
    ids = [int(t.trade_id) for t in received]
    assert ids[:65] == list(range(ids[0], ids[0] + 65))  # 5 bars of 13 trades
    tape = paused.call(lambda s: list(s.tape("BTCUSDT").trades(ids[0] - 1, ids[-1] - 1)))
    assert [t.price for t in received] == [Price(p.price) for p in tape]
    assert [t.size for t in received] == [Quantity(p.qty) for p in tape]
    sequence = client.trade_sequences[BTC]
    assert sequence.refilled >= 39 - 5  # at least what ccxt's cache could not hold
    assert sequence.lost == 0


async def _keep_printing(server: SandboxServer) -> None:
    while True:
        await asyncio.sleep(0.2)
        await asyncio.to_thread(server.advance, BAR_MS)


def _wait_subscribed(server: SandboxServer) -> None:
    deadline = time.monotonic() + 10
    while not server.call(lambda s: any(n.endswith("@trade") for n in s.hub.listeners)):
        assert time.monotonic() < deadline, "the trade stream never subscribed"
        time.sleep(0.02)


def test_duplicates_and_old_ids_are_dropped() -> None:
    sequence = TradeSequence(sequential=True)
    assert [sequence.accept(tick(i)) for i in ("7", "8", "8", "6", "9")] == [
        True, True, False, False, True,
    ]  # fmt: skip
    assert sequence.gap_before(tick("12")) == (10, 12)
    assert sequence.gap_before(tick("10")) is None


def test_without_sequential_ids_duplicates_are_dropped_by_id() -> None:
    sequence = TradeSequence(sequential=False)
    assert [sequence.accept(tick(i)) for i in ("b", "a", "b", "", "")] == [
        True, True, False, True, True,
    ]  # fmt: skip
    assert sequence.gap_before(tick("100")) is None


def test_a_refill_the_venue_refuses_counts_the_trades_lost() -> None:
    sequence = TradeSequence(sequential=True)
    pages = [[tick("10"), tick("11")]]

    async def fetch(from_id: int, limit: int) -> list[TradeTick]:
        if pages:
            return pages.pop(0)
        raise VenueUnavailableError("503", "")

    got = run(sequence.refill(fetch, 10, 15))
    assert [t.trade_id for t in got] == ["10", "11"]
    assert (sequence.refilled, sequence.lost) == (2, 3)


def test_a_refill_pages_by_id_and_ignores_trades_outside_the_gap() -> None:
    limit = 3  # the venue's page size
    sequence = TradeSequence(sequential=True)
    asked: list[tuple[int, int]] = []

    async def fetch(from_id: int, size: int) -> list[TradeTick]:
        asked.append((from_id, size))
        return [tick(str(i)) for i in range(from_id - 1, from_id + min(size, limit))]

    got = run(sequence.refill(fetch, 20, 27))
    assert [t.trade_id for t in got] == [str(i) for i in range(20, 27)]
    assert asked == [(20, 7), (23, 4), (26, 1)]
    assert (sequence.refilled, sequence.lost) == (7, 0)
