from __future__ import annotations

import csv
import dataclasses
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tradeforge.model.market_data import AggressorSide
from tradeforge.model.orderbook import (
    BookDelta,
    BookLevel,
    BookSide,
    CrossedBookError,
    OrderBook,
    OrderBookError,
    OrderBookSequenceError,
)
from tradeforge.model.symbol import Symbol
from tradeforge.model.values import NumberError, Price, Quantity

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "model"
BTC_USDT = Symbol("BTC", "USDT")
BID, ASK = BookSide.BID, BookSide.ASK
# Update ids of the Binance fixtures (see tests/fixtures/model/README.md).
SNAPSHOT_ID = 2098021528332
UPDATE_FIRST_ID, UPDATE_LAST_ID = 2098041693435, 2098041696700


def read_rows(name: str) -> list[dict[str, str]]:
    with (FIXTURES / name).open(newline="") as file:
        return list(csv.DictReader(file))


def levels(rows: list[dict[str, str]], side: str) -> list[tuple[str, str]]:
    return [(row["price"], row["qty"]) for row in rows if row["side"] == side]


def snapshot_book() -> OrderBook:
    rows = read_rows("btcusdt-depth-snap.csv")
    assert {int(row["last_update_id"]) for row in rows} == {SNAPSHOT_ID}
    book = OrderBook(BTC_USDT)
    book.apply_snapshot(levels(rows, "b"), levels(rows, "a"), SNAPSHOT_ID, ts=1_667_346_579_146)
    return book


def update_deltas() -> list[BookDelta]:
    rows = read_rows("btcusdt-depth-update.csv")
    assert {(int(r["first_update_id"]), int(r["last_update_id"])) for r in rows} == {
        (UPDATE_FIRST_ID, UPDATE_LAST_ID)
    }
    return [BookDelta(BID if r["side"] == "b" else ASK, r["price"], r["qty"]) for r in rows]


def update_book() -> OrderBook:
    """The diff message replayed on an empty book synced just before it."""
    book = OrderBook(BTC_USDT)
    book.apply_snapshot([], [], UPDATE_FIRST_ID - 1)
    applied = book.apply_deltas(
        update_deltas(), UPDATE_LAST_ID, first_sequence=UPDATE_FIRST_ID, ts=1_667_347_199_939
    )
    assert applied
    return book


def small_book() -> OrderBook:
    book = OrderBook(BTC_USDT)
    book.apply_snapshot([("100", "1"), ("99", "2")], [("101", "3"), ("102", "4")], 10)
    return book


# -- the real Binance snapshot (100 bid levels, no asks) ---------------------------------------


def test_snapshot_top_of_book() -> None:
    book = snapshot_book()
    assert book.best_bid == BookLevel(Price("20377.00"), Quantity("1.770"))
    assert book.best_ask is None
    assert book.mid is None
    assert book.spread is None
    assert book.spread_bps is None
    assert book.sequence == SNAPSHOT_ID
    assert len(book.depth(BID)) == 100
    assert book.depth(BID, 3) == [
        (Decimal("20377.00"), Decimal("1.770")),
        (Decimal("20376.90"), Decimal("0.001")),
        (Decimal("20376.80"), Decimal("0.009")),
    ]
    assert book.depth(BID)[-1] == (Decimal("20365.90"), Decimal("0.207"))


def test_snapshot_average_sell_price_walks_the_bids() -> None:
    book = snapshot_book()
    # 1.770 @ 20377.00 + 0.001 @ 20376.90 + 0.009 @ 20376.80 + 0.220 @ 20376.70
    # = 36067.29 + 20.3769 + 183.3912 + 4482.874 = 40753.9321; / 2 = 20376.96605
    assert book.average_fill_price(AggressorSide.SELL, "2") == Decimal("20376.96605")
    assert book.average_fill_price(AggressorSide.SELL, "1.770") == Decimal("20377.00")
    assert book.average_fill_price(AggressorSide.SELL, "1000") is None
    assert book.average_fill_price(AggressorSide.BUY, "0.001") is None  # no asks


def test_snapshot_volume_within_a_distance_of_the_best_bid() -> None:
    book = snapshot_book()
    assert book.volume_within(BID, "0") == Decimal("1.770")
    # 20377.00 .. 20376.70: 1.770 + 0.001 + 0.009 + 1.216
    assert book.volume_within(BID, "0.3") == Decimal("2.996")
    assert book.volume_within(BID, "0.29") == Decimal("1.780")
    assert book.volume_within(ASK, "100") == 0


def test_snapshot_imbalance_is_one_with_bids_only() -> None:
    book = snapshot_book()
    assert book.imbalance(5) == 1
    assert OrderBook(BTC_USDT).imbalance() is None


def test_update_that_skips_ids_after_the_snapshot_is_a_gap() -> None:
    book = snapshot_book()
    before = book.snapshot()
    with pytest.raises(OrderBookSequenceError) as raised:
        book.apply_deltas(update_deltas(), UPDATE_LAST_ID, first_sequence=UPDATE_FIRST_ID)
    assert str(raised.value) == (
        "BTC/USDT book: expected update 2098021528333, got 2098041693435..2098041696700 "
        "(last applied 2098021528332); resync from a snapshot"
    )
    assert (raised.value.expected, raised.value.first, raised.value.last) == (
        SNAPSHOT_ID + 1,
        UPDATE_FIRST_ID,
        UPDATE_LAST_ID,
    )
    assert book.snapshot() == before


def test_crossing_ask_on_the_real_snapshot_is_refused_and_rolled_back() -> None:
    book = snapshot_book()
    with pytest.raises(CrossedBookError, match="best bid 20377.00 >= best ask 20376.90"):
        book.apply_delta(ASK, "20376.90", "0.5", SNAPSHOT_ID + 1)
    with pytest.raises(CrossedBookError, match="best bid 20377.00 >= best ask 20377.00"):
        book.apply_delta(ASK, "20377.00", "0.5", SNAPSHOT_ID + 1)
    assert book.best_ask is None
    assert book.sequence == SNAPSHOT_ID
    assert book.apply_delta(ASK, "20377.10", "0.5", SNAPSHOT_ID + 1)
    assert book.spread == Decimal("0.10")


# -- the real Binance diff message, on an empty book synced just before it ---------------------


def test_update_message_top_of_book() -> None:
    book = update_book()
    assert book.best_bid == (Decimal("20472.10"), Decimal("22.276"))
    assert book.best_ask == (Decimal("20472.20"), Decimal("4.211"))
    assert book.mid == Decimal("20472.15")
    assert book.spread == Decimal("0.10")
    # 0.10 / 20472.15 * 10000 = 1000 / 20472.15
    assert book.spread_bps == Decimal(1000) / Decimal("20472.15")
    assert book.sequence == UPDATE_LAST_ID
    assert book.ts == 1_667_347_199_939
    # Zero sizes deleted levels (or were no-ops): 20 bids and 30 asks remain.
    assert (len(book.depth(BID)), len(book.depth(ASK))) == (20, 30)
    assert book.depth(BID)[-1] == (Decimal("2047.30"), Decimal("0.009"))
    assert book.depth(ASK)[-1] == (Decimal("20879.10"), Decimal("10.249"))


def test_update_message_average_fill_prices() -> None:
    book = update_book()
    assert book.average_fill_price(AggressorSide.BUY, "1") == Decimal("20472.20")
    # 4.211 @ 20472.20 + 0.001 @ 20473.30 + 0.126 @ 20473.60 + 0.509 @ 20473.80
    # + 0.127 @ 20474.30 + 0.026 @ 20474.80 = 102362.3262; / 5 = 20472.46524
    assert book.average_fill_price(AggressorSide.BUY, "5") == Decimal("20472.46524")
    # 22.276 @ 20472.10 + 2.724 @ 20469.20 = 511794.6004; / 25 = 20471.784016
    assert book.average_fill_price(AggressorSide.SELL, "25") == Decimal("20471.784016")
    total_asks = sum((level.size for level in book.depth(ASK)), Decimal(0))
    assert total_asks == Decimal("134.459")  # the 30 ask sizes of the file, summed
    assert book.average_fill_price(AggressorSide.BUY, total_asks) is not None
    assert book.average_fill_price(AggressorSide.BUY, total_asks + Decimal("0.001")) is None


def test_update_message_imbalance_and_volume() -> None:
    book = update_book()
    # (22.276 - 4.211) / (22.276 + 4.211) = 18.065 / 26.487
    assert book.imbalance(1) == Decimal("18.065") / Decimal("26.487")
    # top 2: bids 22.276 + 2.864 = 25.140; asks 4.211 + 0.001 = 4.212
    assert book.imbalance(2) == Decimal("20.928") / Decimal("29.352")
    # asks from 20472.20 to 20473.80: 4.211 + 0.001 + 0.126 + 0.509
    assert book.volume_within(ASK, "1.6") == Decimal("4.847")


def test_replaying_the_same_message_is_stale_and_ignored() -> None:
    book = update_book()
    before = book.snapshot()
    deltas = [BookDelta(ASK, "20472.20", "0")]
    assert not book.apply_deltas(deltas, UPDATE_LAST_ID, first_sequence=UPDATE_FIRST_ID)
    assert not book.apply_deltas(deltas, UPDATE_LAST_ID - 1, first_sequence=UPDATE_FIRST_ID)
    assert book.snapshot() == before


# -- sequencing --------------------------------------------------------------------------------


def test_consecutive_sequences_apply_stale_ones_are_ignored_and_gaps_raise() -> None:
    book = small_book()
    assert book.apply_delta(BID, "100", "5", 11)
    assert not book.apply_delta(BID, "100", "7", 11)  # already applied
    assert not book.apply_delta(BID, "100", "7", 3)
    assert book.best_bid == (Decimal(100), Decimal(5))
    with pytest.raises(OrderBookSequenceError, match="expected update 12, got 13 \\(last"):
        book.apply_delta(BID, "100", "9", 13)
    assert book.sequence == 11
    assert book.best_bid == (Decimal(100), Decimal(5))
    assert book.apply_delta(BID, "100", "9", 12)


def test_binance_ranges_apply_when_they_contain_the_next_id() -> None:
    book = small_book()  # synced at 10
    assert book.apply_deltas([(BID, "100", "2")], 15, first_sequence=8)  # 8 <= 11 <= 15
    assert book.apply_deltas([(BID, "100", "3")], 20, first_sequence=16)
    assert not book.apply_deltas([(BID, "100", "4")], 20, first_sequence=17)  # stale
    assert not book.apply_deltas([(BID, "100", "4")], 18, first_sequence=12)  # stale
    with pytest.raises(OrderBookSequenceError) as raised:
        book.apply_deltas([(BID, "100", "4")], 30, first_sequence=22)
    assert (raised.value.expected, raised.value.first, raised.value.last) == (21, 22, 30)
    assert "expected update 21, got 22..30" in str(raised.value)
    assert book.sequence == 20
    assert book.best_bid == (Decimal(100), Decimal(3))


def test_a_snapshot_resyncs_after_a_gap() -> None:
    book = small_book()
    with pytest.raises(OrderBookSequenceError):
        book.apply_delta(BID, "100", "9", 50)
    book.apply_snapshot([("98", "1")], [("103", "1")], 49)
    assert book.apply_delta(BID, "100", "9", 50)
    assert book.depth(BID) == [(Decimal(100), Decimal(9)), (Decimal(98), Decimal(1))]
    assert book.best_ask == (Decimal(103), Decimal(1))


def test_updates_before_any_snapshot_are_refused() -> None:
    book = OrderBook(BTC_USDT)
    with pytest.raises(OrderBookError, match="no snapshot yet; apply_snapshot first"):
        book.apply_delta(BID, "100", "1", 1)
    assert book.sequence is None


def test_a_range_that_ends_before_it_starts_is_refused() -> None:
    with pytest.raises(OrderBookError, match="first_sequence 12 is after sequence 11"):
        small_book().apply_deltas([(BID, "100", "1")], 11, first_sequence=12)


# -- level changes -----------------------------------------------------------------------------


def test_size_zero_deletes_a_level_and_deleting_an_absent_level_is_a_no_op() -> None:
    book = small_book()
    assert book.apply_delta(ASK, "101", "0", 11)
    assert book.best_ask == (Decimal(102), Decimal(4))
    assert book.apply_delta(ASK, "150", "0", 12)
    assert book.depth(ASK) == [(Decimal(102), Decimal(4))]
    assert book.apply_delta(BID, "99.0", "0", 13)  # same price, another spelling
    assert book.depth(BID) == [(Decimal(100), Decimal(1))]


def test_an_update_may_cross_halfway_if_it_ends_uncrossed() -> None:
    book = small_book()
    deltas = [(BID, "101.5", "1"), (ASK, "101", "0"), (ASK, "102", "0"), (ASK, "103", "2")]
    assert book.apply_deltas(deltas, 11)
    assert book.best_bid == (Decimal("101.5"), Decimal(1))
    assert book.best_ask == (Decimal(103), Decimal(2))


def test_a_crossed_update_is_rolled_back_whole() -> None:
    book = small_book()
    before = book.snapshot()
    deltas = [(BID, "100", "9"), (BID, "100", "8"), (ASK, "101", "0"), (BID, "102", "1")]
    with pytest.raises(CrossedBookError, match="best bid 102 >= best ask 102"):
        book.apply_deltas(deltas, 11)
    assert book.snapshot() == before


def test_a_bad_number_changes_nothing() -> None:
    book = small_book()
    before = book.snapshot()
    with pytest.raises(NumberError, match="quantity must not be negative"):
        book.apply_deltas([(BID, "100", "9"), (BID, "98", "-1")], 11)
    with pytest.raises(NumberError, match="price must be finite"):
        book.apply_delta(ASK, "Infinity", "1", 11)
    with pytest.raises(OrderBookError, match="book side must be 'bid' or 'ask', got 'buy'"):
        book.apply_delta("buy", "100", "1", 11)  # type: ignore[arg-type]
    assert book.snapshot() == before


def test_a_crossed_snapshot_is_refused() -> None:
    book = small_book()
    with pytest.raises(CrossedBookError, match="best bid 101 >= best ask 101"):
        book.apply_snapshot([("101", "1")], [("101", "1")], 99)
    assert book.sequence == 10


def test_snapshot_skips_zero_sizes_and_keeps_the_last_duplicate() -> None:
    book = OrderBook(BTC_USDT)
    book.apply_snapshot([("100", "0"), ("99", "1"), ("99", "2")], [], 1)
    assert book.depth(BID) == [(Decimal(99), Decimal(2))]


# -- reads -------------------------------------------------------------------------------------


def test_depth_limits() -> None:
    book = small_book()
    assert book.depth(ASK, 1) == [(Decimal(101), Decimal(3))]
    assert book.depth(ASK, 0) == []
    assert book.depth(ASK, 10) == book.depth(ASK)
    assert book.depth("bid", 1) == [(Decimal(100), Decimal(1))]  # type: ignore[arg-type]


def test_average_fill_price_needs_a_positive_quantity() -> None:
    with pytest.raises(NumberError, match="quantity must be positive, got 0"):
        small_book().average_fill_price(AggressorSide.BUY, "0")


def test_average_fill_price_may_be_inexact_at_28_digits() -> None:
    # (3 @ 101 + 1 @ 102) / 4 = 101.25 exactly; (3 @ 101 + 0.5 @ 102) / 3.5 is not exact.
    book = small_book()
    assert book.average_fill_price(AggressorSide.BUY, "4") == Decimal("101.25")
    assert book.average_fill_price(AggressorSide.BUY, "3.5") == Decimal(
        "101.1428571428571428571428571"
    )


def test_volume_within_refuses_a_negative_distance() -> None:
    with pytest.raises(NumberError, match="price_distance must be >= 0"):
        small_book().volume_within(BID, "-1")


def test_snapshot_is_an_immutable_copy_that_rebuilds_the_book() -> None:
    book = small_book()
    copy = book.snapshot()
    assert copy.bids == ((Decimal(100), Decimal(1)), (Decimal(99), Decimal(2)))
    assert copy.asks == ((Decimal(101), Decimal(3)), (Decimal(102), Decimal(4)))
    with pytest.raises(dataclasses.FrozenInstanceError):
        copy.sequence = 3  # type: ignore[misc]
    book.apply_delta(BID, "100", "0", 11)
    assert copy.bids[0] == (Decimal(100), Decimal(1))
    rebuilt = OrderBook(BTC_USDT)
    rebuilt.apply_snapshot(copy.bids, copy.asks, copy.sequence or 0)
    assert rebuilt.snapshot() == copy


# -- property: the book agrees with a plain dict model -----------------------------------------

bid_prices = st.integers(min_value=1, max_value=60).map(lambda n: Decimal(n) / 2)
ask_prices = st.integers(min_value=61, max_value=120).map(lambda n: Decimal(n) / 2)
sizes = st.sampled_from(["0", "0", "0.001", "1", "2.5", "10"]).map(Decimal)
deltas = st.lists(
    st.one_of(
        st.tuples(st.just(BID), bid_prices, sizes),
        st.tuples(st.just(ASK), ask_prices, sizes),
    ),
    max_size=60,
)


@given(batches=st.lists(deltas, max_size=8))
def test_book_matches_a_dict_model(batches: list[list[tuple[BookSide, Decimal, Decimal]]]) -> None:
    book = OrderBook(BTC_USDT)
    book.apply_snapshot([], [], 0)
    model: dict[BookSide, dict[Decimal, Decimal]] = {BID: {}, ASK: {}}
    for sequence, batch in enumerate(batches, start=1):
        assert book.apply_deltas(batch, sequence)
        for side, price, size in batch:
            if size == 0:
                model[side].pop(price, None)
            else:
                model[side][price] = size
        bids, asks = model[BID], model[ASK]
        best_bid = max(bids) if bids else None
        best_ask = min(asks) if asks else None
        assert book.best_bid == (None if best_bid is None else (best_bid, bids[best_bid]))
        assert book.best_ask == (None if best_ask is None else (best_ask, asks[best_ask]))
        assert book.depth(BID) == sorted(bids.items(), reverse=True)
        assert book.depth(ASK) == sorted(asks.items())
