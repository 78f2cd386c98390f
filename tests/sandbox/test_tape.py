"""The synthetic market model: trades, candles, book and statistics from the catalog bars."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tradeforge.common.clock import TestClock
from tradeforge.model.timeframe import Timeframe
from tradeforge.sandbox.config import SandboxConfig
from tradeforge.sandbox.market import MarketClock, Replay, load_tapes
from tradeforge.sandbox.tape import Tape

from .conftest import BAR_MS, START, START_MS, bar_at, catalog_bars, price


@pytest.fixture(scope="module")
def tape() -> Tape:
    return load_tapes(SandboxConfig(symbols=("BTC/USDT",)))[0]


def _first_seq(tape: Tape) -> int:
    return tape.seq_at(START_MS)


def test_each_bar_prints_thirteen_trades_along_its_path(tape: Tape) -> None:
    bar = bar_at(START)  # open 29331.70 = high, low 29199.22, close 29224.64
    seq = _first_seq(tape)
    trades = list(tape.trades(seq, seq + 12))
    assert [t.price for t in trades] == [
        Decimal(p) for p in (
            "29331.70", "29331.70", "29331.70", "29331.70", "29331.70",  # open -> high (equal)
            "29298.58", "29265.46", "29232.34", "29199.22",  # high -> low, 4 steps half-even
            "29205.58", "29211.93", "29218.28", "29224.64",  # low -> close (1906.5 ticks: 1906)
        )
    ]  # fmt: skip
    assert trades[0].price == price(bar["open"])
    assert trades[-1].price == price(bar["close"])
    assert [t.time - START_MS for t in trades] == [(j * BAR_MS) // 13 for j in range(13)]
    assert [t.buyer_maker for t in trades[4:10]] == [False, True, True, True, True, False]


def test_trade_quantities_add_up_to_the_bar_volume(tape: Tape) -> None:
    seq = _first_seq(tape)
    trades = list(tape.trades(seq, seq + 12))
    assert sum(t.qty for t in trades) == Decimal("283.15659600")
    assert {t.qty for t in trades[:-1]} == {Decimal("21.78127661")}
    assert trades[-1].qty == Decimal("283.15659600") - 12 * Decimal("21.78127661")


def test_sequence_numbers_are_contiguous_and_found_by_time(tape: Tape) -> None:
    seq = _first_seq(tape)
    assert tape.trade(seq).time == START_MS
    assert tape.seq_at(START_MS - 1) == seq - 1
    assert tape.seq_at(START_MS + BAR_MS // 13 - 1) == seq
    assert tape.seq_at(START_MS + BAR_MS // 13) == seq + 1
    assert tape.seq_from(START_MS + 1) == seq + 1
    assert tape.seq_from(START_MS) == seq


def test_five_minute_candles_equal_the_catalog_bars(tape: Tape) -> None:
    now = START_MS + 12 * BAR_MS
    candles = tape.candles(Timeframe.parse("5m"), now, start_ms=START_MS, limit=12)
    bars = catalog_bars().loc[START:].iloc[:12]
    assert [c.open_time for c in candles] == [START_MS + k * BAR_MS for k in range(12)]
    assert [(c.open, c.high, c.low, c.close) for c in candles] == [
        (price(b.open), price(b.high), price(b.low), price(b.close)) for b in bars.itertuples()
    ]
    assert candles[0].volume == Decimal("283.15659600")
    assert candles[0].trades == 13


def test_hour_candle_aggregates_its_bars_and_stops_at_now(tape: Tape) -> None:
    now = START_MS + 3 * BAR_MS + 1  # the fourth bar has printed its open only
    (candle,) = tape.candles(Timeframe.parse("1h"), now, limit=1)
    bars = catalog_bars().loc[START:].iloc[:4]
    assert candle.open_time == START_MS
    assert candle.close_time == START_MS + 3_600_000 - 1
    assert candle.open == price(bars["open"].iloc[0])
    assert candle.high == price(bars["high"].iloc[:3].max())
    assert candle.low == price(bars["low"].iloc[:3].min())
    assert candle.close == price(bars["open"].iloc[3])
    assert candle.trades == 3 * 13 + 1


def test_one_minute_candles_split_a_bar_by_its_trades(tape: Tape) -> None:
    candles = tape.candles(Timeframe.parse("1m"), START_MS + BAR_MS - 1, start_ms=START_MS)
    assert [c.trades for c in candles] == [3, 3, 2, 3, 2]  # trades at j × 300 s / 13
    assert candles[0].open == Decimal("29331.70")
    assert candles[1].low == Decimal("29298.58")
    assert candles[-1].close == Decimal("29224.64")
    assert sum(c.volume for c in candles) == Decimal("283.15659600")


def test_book_is_a_flat_ladder_around_the_last_trade(tape: Tape) -> None:
    bids, asks = tape.book(2933170, 3)
    assert bids == [2933169, 2933168, 2933167]
    assert asks == [2933171, 2933172, 2933173]
    # 10000 USDT at the series' first open, 28923.63, truncated to the 0.00001 step
    assert tape.level_qty == Decimal("0.34573")


def test_day_stats_cover_the_last_24_hours(tape: Tape) -> None:
    now = START_MS + BAR_MS  # the 00:05 bar has printed its open
    stats = tape.day_stats(now)
    assert stats is not None
    bars = catalog_bars()
    day = bars.loc["2021-01-01 00:05":"2021-01-02 00:00"]  # bars opening in [now - 24 h, now)
    assert stats.open == price(day["open"].iloc[0])
    assert stats.high == price(day["high"].max())
    assert stats.low == price(day["low"].min())
    assert stats.last == price(bars.loc["2021-01-02 00:05", "open"])
    assert stats.prev_close == price(bars.loc["2021-01-01 00:00", "close"])
    assert (
        stats.volume
        == sum(
            Decimal(repr(float(v))).quantize(Decimal("1e-8"), "ROUND_DOWN") for v in day["volume"]
        )
        + tape.trade(stats.last_seq).qty
    )
    assert stats.last_seq - stats.first_seq + 1 == len(day) * 13 + 1


def test_replay_hands_out_trades_in_time_order_across_symbols() -> None:
    tapes = load_tapes(SandboxConfig(symbols=("BTC/USDT", "ETH/USDT")))
    replay = Replay(tapes, START_MS)
    due = replay.due(START_MS + (2 * BAR_MS) // 13)
    assert [(t.symbol.base, p.seq - t.seq_at(START_MS)) for t, p in due] == [
        ("BTC", 1), ("ETH", 1), ("BTC", 2), ("ETH", 2)
    ]  # fmt: skip
    assert replay.due(START_MS + (2 * BAR_MS) // 13) == []


def test_market_clock_paces_pauses_and_advances() -> None:
    wall = TestClock(1_000_000_000_000)
    clock = MarketClock(wall, START_MS, speed=60)
    wall.advance_time(wall.timestamp_ns() + 2_000_000_000)  # 2 s of wall time
    assert clock.now_ms() == START_MS + 120_000
    clock.pause()
    wall.advance_time(wall.timestamp_ns() + 5_000_000_000)
    assert clock.now_ms() == START_MS + 120_000
    clock.advance(1000)
    clock.resume()
    wall.advance_time(wall.timestamp_ns() + 1_000_000_000)
    assert clock.now_ms() == START_MS + 181_000
    with pytest.raises(ValueError, match="backwards"):
        clock.advance(-1)
