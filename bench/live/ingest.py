"""Market-data ingest: websocket messages per second that one tradeforge process takes in.

Usage, from the repository root::

    python -m bench.live.ingest [--messages 300000] [--symbols 9] [--no-book]

**Set-up.** A sandbox venue in a child process (:mod:`bench.live.venue_process`) replays the
bundled hourly bars of up to nine Binance pairs, paused; its market model prints 151 trades
per bar (``steps_per_leg=50``). This process subscribes, through the real ccxt client and
:class:`~tradeforge.adapters.ccxt.CcxtDataClient` on the adapters' loop thread, to each
pair's trade stream and order book (``@trade`` and ``@depth``: one message each per trade;
``--no-book``: the trades only). The synthetic book is 20 levels a tick apart that move with
the last price, so a depth update carries every level a trade's move shifted: up to 80 when
the hour's range is wide, far more than a venue's typical update (ccxt applies each level).
Trades reach the kernel's thread as :class:`~tradeforge.model.market_data.TradeTick` through
the :class:`~tradeforge.adapters.ccxt.loop.Inbox`; the books as
:class:`~tradeforge.model.orderbook.OrderBookSnapshot` of the top 20 levels (ccxt folds the
updates that arrive between two reads into the book; every update is applied).

**Measured.** The venue moves its market an hour at a time whenever fewer than ``--backlog``
frames wait on the socket, so the client, not the venue, sets the pace. The rate is the
frames ccxt handled (counted at ``handle_message``) over the time from the first to the last
one. Passes when every trade reached the kernel once, in order (per pair, trade ids without
a gap or repeat: nothing refilled over REST, nothing lost) and every depth update was applied
(ccxt's book stands at the venue's last update id).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import time
from dataclasses import dataclass, field
from typing import Any

from bench.live.venue_process import VenueAddress, VenueProcess, cpu_seconds

from tradeforge.adapters.ccxt import Credentials, build_session
from tradeforge.adapters.ccxt.data_client import CcxtDataClient
from tradeforge.adapters.ccxt.loop import Inbox, LoopThread, pump
from tradeforge.model.market_data import TradeTick
from tradeforge.model.orderbook import OrderBookSnapshot
from tradeforge.model.symbol import Symbol

PAIRS = ("BTC/USDT", "ETH/USDT", "SOL/USDT", "ADA/USDT", "XRP/USDT", "DOGE/USDT", "DOT/USDT",
         "LINK/USDT", "LTC/USDT")  # fmt: skip
HOUR_MS = 3_600_000


def venue_settings(pairs: tuple[str, ...]) -> dict[str, Any]:
    """The sandbox: hourly bars of ``pairs`` from 2021-01-02, 151 trades per bar, paused."""
    return {
        "port": 0, "paused": True, "timeframe": "1h", "symbols": pairs,
        "start": "2021-01-02", "market": {"steps_per_leg": 50},
    }  # fmt: skip


@dataclass
class Intake:
    """What reached the kernel's thread, and when the frames came in."""

    frames: int = 0
    first_ns: int = 0
    last_ns: int = 0
    trades: dict[Symbol, list[int]] = field(default_factory=dict)
    books: dict[Symbol, int] = field(default_factory=dict)
    book_reads: int = 0
    problems: list[str] = field(default_factory=list)
    cpu_s: float = 0.0
    venue_cpu_s: float = 0.0

    def counted(self, handle: Any) -> Any:
        """Wrap ccxt's ``handle_message`` to count and time every frame."""

        def handle_message(client: Any, message: Any) -> Any:
            now = time.perf_counter_ns()
            self.first_ns = self.first_ns or now
            self.last_ns = now
            self.frames += 1
            return handle(client, message)

        return handle_message

    def deliver(self, item: object) -> None:
        """On the kernel's thread: check and keep what arrived."""
        if isinstance(item, TradeTick):
            self.trades.setdefault(item.symbol, []).append(int(item.trade_id))
        elif isinstance(item, OrderBookSnapshot):
            self.book_reads += 1
            self.books[item.symbol] = item.sequence or 0


def subscribe(
    address: VenueAddress, pairs: tuple[str, ...], intake: Intake, book: bool = True
) -> Any:
    """Start the streams of ``pairs`` on a loop thread; (loop, inbox, data client)."""
    keys = Credentials(address.api_key, address.api_secret)
    session = build_session("binance", url=address.http_url, credentials=keys)
    session.exchange.handle_message = intake.counted(session.exchange.handle_message)
    data = CcxtDataClient(session)
    loop, inbox = LoopThread("bench-ingest").start(), Inbox()
    loop.run(data.load_markets())
    for pair in pairs:
        loop.spawn(pump(data.watch_trades(pair), inbox))
        if book:
            loop.spawn(pump(data.watch_book(pair, depth=20), inbox))
    return loop, inbox, data


def wait(condition: Any, what: str, timeout: float = 60.0) -> None:
    """Poll ``condition()`` until it holds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(0.05)


def run(
    venue: VenueProcess, pairs: tuple[str, ...], messages: int, backlog: int, book: bool
) -> Intake:
    """Warm up (an hour of market), then time ``messages`` frames."""
    intake = Intake()
    loop, inbox, data = subscribe(venue.require_address(), pairs, intake, book)
    try:
        streams = 2 * len(pairs) if book else len(pairs)
        wait(lambda: venue.ask("streams") == streams, "the subscriptions")
        venue.ask("feed", (1, backlog, HOUR_MS))
        deadline = time.monotonic() + 120
        while book and len(intake.books) < len(pairs) and time.monotonic() < deadline:
            inbox.drain(intake.deliver, timeout=0.05)
        measured = Intake(trades=intake.trades, books=intake.books)
        intake.__dict__.update(measured.__dict__)  # the counters start again, the checks go on
        cpu, venue_cpu = cpu_seconds(), venue.cpu_seconds()
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            feeding = pool.submit(venue.ask, "feed", (messages, backlog, HOUR_MS))
            while not feeding.done():
                inbox.drain(intake.deliver, timeout=0.05)
            queued = feeding.result()
        deadline = time.monotonic() + 120
        while intake.frames < queued and time.monotonic() < deadline:
            inbox.drain(intake.deliver, timeout=0.05)
        intake.cpu_s, intake.venue_cpu_s = cpu_seconds() - cpu, venue.cpu_seconds() - venue_cpu
        time.sleep(0.5)
        inbox.drain(intake.deliver)
        intake.problems += check(intake, venue.ask("published"), data, queued)
    finally:
        loop.run(data.close())
        loop.stop()
    return intake


def check(
    intake: Intake, published: dict[str, int], data: CcxtDataClient, queued: int
) -> list[str]:
    """What went wrong (empty: nothing)."""
    problems = []
    if intake.frames < queued:
        problems.append(f"{queued - intake.frames} of {queued} frames never handled")
    for symbol, ids in intake.trades.items():
        last = published[symbol.venue_id]
        if ids != list(range(ids[0], ids[0] + len(ids))) or ids[-1] != last:
            problems.append(
                f"{symbol}: trades {ids[0]}..{ids[-1]} ({len(ids)}), venue's last {last}"
            )
        sequence = data.trade_sequences[symbol]
        if sequence.refilled or sequence.lost:
            problems.append(f"{symbol}: {sequence.refilled} refilled, {sequence.lost} lost")
    for symbol, update_id in intake.books.items():
        if update_id != published[symbol.venue_id]:
            problems.append(
                f"{symbol}: book at update {update_id}, venue's last {published[symbol.venue_id]}"
            )
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=300_000, help="frames timed")
    parser.add_argument("--symbols", type=int, default=len(PAIRS), choices=range(1, 10))
    parser.add_argument("--backlog", type=int, default=5_000, help="frames kept waiting")
    parser.add_argument("--no-book", action="store_true", help="the trade streams only")
    args = parser.parse_args(argv)
    pairs = PAIRS[: args.symbols]
    with VenueProcess(venue_settings(pairs)) as venue:
        intake = run(venue, pairs, args.messages, args.backlog, not args.no_book)
    seconds = (intake.last_ns - intake.first_ns) / 1e9
    trades = sum(len(ids) for ids in intake.trades.values())
    streams = "@trade" if args.no_book else "@trade + @depth"
    print(f"{len(pairs)} pairs, {streams} each: {intake.frames:,} frames in {seconds:.2f} s")
    print(f"  ingest        {intake.frames / seconds:10,.0f} messages/s")
    print(f"  trade ticks   {trades / seconds:10,.0f} /s reached the kernel's thread")
    print(f"  book reads    {intake.book_reads / seconds:10,.0f} /s (top 20 levels each)")
    per_frame = 1e6 * intake.cpu_s / intake.frames
    print(
        f"  CPU per frame {per_frame:10.1f} µs in this process (all threads): one core takes"
        f" {1e6 / per_frame:,.0f} messages/s"
    )
    print(f"  venue process {1e6 * intake.venue_cpu_s / intake.frames:10.1f} µs CPU per frame")
    print(
        "  checks: "
        + (
            "; ".join(intake.problems)
            if intake.problems
            else "every trade once and in order, every book at the venue's last update"
        )
    )
    return 1 if intake.problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
