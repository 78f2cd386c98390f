"""A level-2 order book for one symbol, kept in sync with a venue's snapshots and deltas.

Prices and sizes are exact ``Decimal`` values, as venues write them. Each side keeps a dict of
price → size and a sorted list of keys maintained with :mod:`bisect`: reading the best level is
O(1), a lookup O(1), and inserting or deleting a level is a binary search plus a short list shift
near the top of the book, where almost all updates land.

Sequencing follows the venues. :meth:`OrderBook.apply_snapshot` (re)syncs the book. Each update
then carries a sequence number (Bybit's ``u``, a Nautilus sequence), and must be exactly the next
one; or, Binance style, a range ``first_sequence``..``sequence`` (``U``..``u``) that must contain
the next one. Updates at or below the last applied sequence are stale and ignored; a gap raises
:class:`OrderBookSequenceError`, after which the caller resyncs from a fresh snapshot.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Context, Decimal
from enum import StrEnum
from itertools import islice
from typing import NamedTuple

from tradeforge.model.market_data import AggressorSide
from tradeforge.model.symbol import Symbol
from tradeforge.model.values import EXACT, NumberError, Price, Quantity

# Averages and ratios divide and rarely come out exact: 28 significant digits.
_DIVISION = Context(prec=28, rounding=ROUND_HALF_EVEN)
_BPS = Decimal(10_000)


class OrderBookError(ValueError):
    """An update the book cannot take."""


class OrderBookSequenceError(OrderBookError):
    """An update that does not continue the last applied sequence: updates were missed.

    Attributes
    ----------
    expected : int
        The sequence the next update had to carry (last applied + 1).
    first, last : int
        The sequence range the update carried (equal for a single sequence number).
    """

    def __init__(self, message: str, expected: int, first: int, last: int) -> None:
        super().__init__(message)
        self.expected = expected
        self.first = first
        self.last = last


class CrossedBookError(OrderBookError):
    """An update that would leave the best bid at or above the best ask."""


class BookSide(StrEnum):
    """A side of the book: resting bids (buyers) or asks (sellers)."""

    BID = "bid"
    ASK = "ask"


class BookLevel(NamedTuple):
    """One price level: the price and the total size resting there."""

    price: Price
    size: Quantity


class BookDelta(NamedTuple):
    """A change to one level: the new total size at ``price``; size 0 deletes the level."""

    side: BookSide
    price: object
    size: object


@dataclass(frozen=True, slots=True)
class OrderBookSnapshot:
    """An immutable copy of a book: levels best first, with the last sequence and time."""

    symbol: Symbol
    sequence: int | None
    ts: int | None
    bids: tuple[BookLevel, ...]
    asks: tuple[BookLevel, ...]


class _Side:
    """One side: levels by sort key, and the keys sorted so the best level is the last key.

    Bids key on the price, asks on the negated price, so ``keys[-1]`` is the best on both.
    """

    __slots__ = ("_keys", "_levels", "_sign")

    def __init__(self, side: BookSide) -> None:
        self._sign = 1 if side is BookSide.BID else -1
        self._levels: dict[Decimal, BookLevel] = {}
        self._keys: list[Decimal] = []

    def __len__(self) -> int:
        return len(self._keys)

    def key_of(self, price: Decimal) -> Decimal:
        return self._sign * price

    def size_at(self, price: Decimal) -> Quantity:
        level = self._levels.get(self.key_of(price))
        return Quantity(0) if level is None else level.size

    def set(self, price: Price, size: Quantity) -> None:
        """Set the size at ``price``; size 0 deletes the level (absent levels are no-ops)."""
        key = self.key_of(price)
        if size == 0:
            if self._levels.pop(key, None) is not None:
                del self._keys[bisect_left(self._keys, key)]
            return
        if key not in self._levels:
            self._keys.insert(bisect_left(self._keys, key), key)
        self._levels[key] = BookLevel(price, size)

    def best(self) -> BookLevel | None:
        return self._levels[self._keys[-1]] if self._keys else None

    def levels(self) -> Iterator[BookLevel]:
        """Levels best first."""
        return (self._levels[key] for key in reversed(self._keys))

    def levels_from(self, worst_key: Decimal) -> Iterator[BookLevel]:
        """Levels best first, down to the key ``worst_key`` included."""
        start = bisect_left(self._keys, worst_key)
        return (self._levels[self._keys[i]] for i in range(len(self._keys) - 1, start - 1, -1))


class OrderBook:
    """An L2 order book for one symbol.

    Parameters
    ----------
    symbol : Symbol
        The market the book belongs to.

    Notes
    -----
    The book takes no update before its first :meth:`apply_snapshot`. To replay a delta stream
    that starts from an empty book, snapshot an empty book at the sequence before the first
    update. Every update is atomic: an update that fails (gap, bad number, crossed result)
    leaves the book and its sequence unchanged.
    """

    def __init__(self, symbol: Symbol) -> None:
        self.symbol = symbol
        self._bids = _Side(BookSide.BID)
        self._asks = _Side(BookSide.ASK)
        self._sequence: int | None = None
        self._ts: int | None = None

    def __repr__(self) -> str:
        return (
            f"OrderBook({self.symbol}, sequence={self._sequence}, "
            f"bid={self.best_bid}, ask={self.best_ask})"
        )

    @property
    def sequence(self) -> int | None:
        """The last applied sequence; ``None`` before the first snapshot."""
        return self._sequence

    @property
    def ts(self) -> int | None:
        """Time (ns) of the last update that carried one."""
        return self._ts

    # -- updates ------------------------------------------------------------------------------

    def apply_snapshot(
        self,
        bids: Iterable[tuple[object, object]],
        asks: Iterable[tuple[object, object]],
        sequence: int,
        ts: int | None = None,
    ) -> None:
        """Replace the whole book and set its sequence (Binance's ``lastUpdateId``).

        Parameters
        ----------
        bids, asks : iterable of (price, size)
            Levels in any order; text, ``Decimal`` and numbers are read exactly. Zero sizes are
            skipped; a price listed twice keeps its last size.
        sequence : int
            The sequence the snapshot reflects; the next update must continue from it.
        ts : int, optional
            Snapshot time in nanoseconds.

        Raises
        ------
        NumberError
            When a price or size is not a finite number, or a size is negative.
        CrossedBookError
            When the snapshot's best bid is at or above its best ask.
        """
        bid_levels = [_level(price, size) for price, size in bids]
        ask_levels = [_level(price, size) for price, size in asks]
        fresh_bids, fresh_asks = _Side(BookSide.BID), _Side(BookSide.ASK)
        for price, size in bid_levels:
            fresh_bids.set(price, size)
        for price, size in ask_levels:
            fresh_asks.set(price, size)
        _check_not_crossed(self.symbol, fresh_bids.best(), fresh_asks.best())
        self._bids, self._asks = fresh_bids, fresh_asks
        self._sequence, self._ts = sequence, ts

    def apply_delta(
        self,
        side: BookSide,
        price: object,
        size: object,
        sequence: int,
        *,
        first_sequence: int | None = None,
        ts: int | None = None,
    ) -> bool:
        """Set the size of one level; size 0 deletes it. See :meth:`apply_deltas`."""
        return self.apply_deltas(
            [BookDelta(side, price, size)], sequence, first_sequence=first_sequence, ts=ts
        )

    def apply_deltas(
        self,
        deltas: Iterable[tuple[BookSide, object, object]],
        sequence: int,
        *,
        first_sequence: int | None = None,
        ts: int | None = None,
    ) -> bool:
        """Apply one venue update: several level changes sharing one sequence.

        Parameters
        ----------
        deltas : iterable of (side, price, size)
            New total sizes; size 0 deletes the level, and deleting an absent level is a no-op
            (venues send those). The book is checked for crossing after the whole update,
            not after each level, since an update may cross the book halfway.
        sequence : int
            The update's (last) sequence number: Bybit's ``u``, Binance's ``u``.
        first_sequence : int, optional
            Binance's ``U``, the first update id the message covers. Without it, ``sequence``
            must be exactly the last applied + 1; with it, the update applies when
            ``first_sequence <= last + 1 <= sequence``.
        ts : int, optional
            Update time in nanoseconds.

        Returns
        -------
        bool
            ``True`` when applied, ``False`` when stale (``sequence <= last applied``) and
            ignored.

        Raises
        ------
        OrderBookError
            Before the first snapshot.
        OrderBookSequenceError
            When updates were missed; the message names the expected and the received
            sequence.
        CrossedBookError
            When the update would leave best bid >= best ask; the update is rolled back.
        NumberError
            When a price or size is not a finite number, or a size is negative.
        """
        first = sequence if first_sequence is None else first_sequence
        if not self._is_next(first, sequence):
            return False
        changes = [(_side(side), *_level(price, size)) for side, price, size in deltas]
        self._apply_uncrossed(changes)
        self._sequence = sequence
        if ts is not None:
            self._ts = ts
        return True

    def _apply_uncrossed(self, changes: list[tuple[BookSide, Price, Quantity]]) -> None:
        """Apply the changes; roll them all back if they leave the book crossed."""
        undo: list[tuple[_Side, Price, Quantity]] = []
        for side, price, size in changes:
            book_side = self._side(side)
            undo.append((book_side, price, book_side.size_at(price)))
            book_side.set(price, size)
        try:
            _check_not_crossed(self.symbol, self._bids.best(), self._asks.best())
        except CrossedBookError:
            for book_side, price, size in reversed(undo):
                book_side.set(price, size)
            raise

    def _is_next(self, first: int, last: int) -> bool:
        if self._sequence is None:
            raise OrderBookError(f"{self.symbol} book has no snapshot yet; apply_snapshot first")
        if first > last:
            raise OrderBookError(f"first_sequence {first} is after sequence {last}")
        if last <= self._sequence:
            return False
        expected = self._sequence + 1
        if first <= expected <= last:
            return True
        got = str(last) if first == last else f"{first}..{last}"
        raise OrderBookSequenceError(
            f"{self.symbol} book: expected update {expected}, got {got} "
            f"(last applied {self._sequence}); resync from a snapshot",
            expected=expected,
            first=first,
            last=last,
        )

    def _side(self, side: BookSide) -> _Side:
        return self._bids if side is BookSide.BID else self._asks

    # -- reads --------------------------------------------------------------------------------

    @property
    def best_bid(self) -> BookLevel | None:
        """Highest bid (price, size), ``None`` when there are no bids."""
        return self._bids.best()

    @property
    def best_ask(self) -> BookLevel | None:
        """Lowest ask (price, size), ``None`` when there are no asks."""
        return self._asks.best()

    @property
    def mid(self) -> Price | None:
        """``(best bid + best ask) / 2``, exact; ``None`` when a side is empty."""
        bid, ask = self.best_bid, self.best_ask
        if bid is None or ask is None:
            return None
        return Price(EXACT.divide(EXACT.add(bid.price, ask.price), 2))

    @property
    def spread(self) -> Price | None:
        """``best ask - best bid``, exact; ``None`` when a side is empty."""
        bid, ask = self.best_bid, self.best_ask
        if bid is None or ask is None:
            return None
        return Price(EXACT.subtract(ask.price, bid.price))

    @property
    def spread_bps(self) -> Decimal | None:
        """Spread in basis points of the mid (28 significant digits); ``None`` if one-sided."""
        spread, mid = self.spread, self.mid
        if spread is None or mid is None:
            return None
        return _DIVISION.divide(EXACT.multiply(spread, _BPS), mid)

    def depth(self, side: BookSide, levels: int | None = None) -> list[BookLevel]:
        """The top ``levels`` levels of a side, best first (all levels when ``None``)."""
        book_side = self._side(_side(side))
        return list(islice(book_side.levels(), None if levels is None else max(levels, 0)))

    def volume_within(self, side: BookSide, price_distance: object) -> Quantity:
        """Total size on a side within ``price_distance`` of its best price, inclusive.

        ``volume_within(BookSide.BID, 10)`` sums the bids priced from best bid - 10 to the best
        bid. An empty side gives 0.
        """
        distance = Price(price_distance)
        if distance < 0:
            raise NumberError(f"price_distance must be >= 0, got {distance}")
        book_side = self._side(_side(side))
        best = book_side.best()
        if best is None:
            return Quantity(0)
        worst_key = EXACT.subtract(book_side.key_of(best.price), distance)
        return Quantity(_sum(level.size for level in book_side.levels_from(worst_key)))

    def average_fill_price(self, side: AggressorSide, quantity: object) -> Price | None:
        """Average price of a market order for ``quantity``, walking the book.

        Parameters
        ----------
        side : AggressorSide
            The order's side: ``BUY`` walks the asks up from the best ask, ``SELL`` the bids
            down from the best bid.
        quantity : Decimal, str, int or float
            Positive quantity to fill.

        Returns
        -------
        Price or None
            The size-weighted price (28 significant digits), or ``None`` when the side holds
            less than ``quantity``: the book is too thin to say, and a partial answer would
            understate the impact.
        """
        wanted = Quantity(quantity)
        if wanted <= 0:
            raise NumberError(f"quantity must be positive, got {wanted}")
        book_side = self._asks if AggressorSide(side) is AggressorSide.BUY else self._bids
        left, cost = Decimal(wanted), Decimal(0)
        for price, size in book_side.levels():
            take = min(left, size)
            cost = EXACT.add(cost, EXACT.multiply(price, take))
            left = EXACT.subtract(left, take)
            if left == 0:
                return Price(_DIVISION.divide(cost, wanted))
        return None

    def imbalance(self, levels: int = 5) -> Decimal | None:
        """``(bid volume - ask volume) / (bid volume + ask volume)`` over the top ``levels``.

        Between -1 (only asks) and 1 (only bids), 28 significant digits; ``None`` when both
        sides are empty.
        """
        bid_volume = _sum(level.size for level in self.depth(BookSide.BID, levels))
        ask_volume = _sum(level.size for level in self.depth(BookSide.ASK, levels))
        total = EXACT.add(bid_volume, ask_volume)
        if total == 0:
            return None
        return _DIVISION.divide(EXACT.subtract(bid_volume, ask_volume), total)

    def snapshot(self) -> OrderBookSnapshot:
        """An immutable copy of the book; feed its levels back to :meth:`apply_snapshot`."""
        return OrderBookSnapshot(
            symbol=self.symbol,
            sequence=self._sequence,
            ts=self._ts,
            bids=tuple(self._bids.levels()),
            asks=tuple(self._asks.levels()),
        )


def _level(price: object, size: object) -> tuple[Price, Quantity]:
    return Price(price), Quantity(size)


def _side(side: BookSide | str) -> BookSide:
    try:
        return BookSide(side)
    except ValueError:
        raise OrderBookError(f"book side must be 'bid' or 'ask', got {side!r}") from None


def _sum(sizes: Iterable[Decimal]) -> Decimal:
    total = Decimal(0)
    for size in sizes:
        total = EXACT.add(total, size)
    return total


def _check_not_crossed(symbol: Symbol, bid: BookLevel | None, ask: BookLevel | None) -> None:
    if bid is not None and ask is not None and bid.price >= ask.price:
        raise CrossedBookError(
            f"{symbol} book would be crossed: best bid {bid.price} >= best ask {ask.price}; "
            "updates were missed or applied out of order"
        )
