"""The portfolio's ledger: the cash and the position of the symbol after every fill.

A backtest books a fill every few bars, millions in a long run; the ledger keeps them as
columns (one list per field) rather than one object per fill, which halves the memory and the
time of booking, and lets the equity curve read whole columns. An entry is built as a
:class:`LedgerEntry` only when one is read.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import overload

from tradeforge.model.symbol import Symbol


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """The state right after one fill."""

    ts: int
    symbol: Symbol
    position_qty: Decimal
    position_cost: Decimal  # what the open quantity cost (its cost basis)
    cash: Decimal
    counts_from: int | None = None  # the bar close from which it counts (None: from ts)

    @property
    def counts_at(self) -> int:
        """The close from which the entry counts: a fill at a bar's open carries the previous
        bar's close time, yet belongs to its own bar."""
        return self.ts if self.counts_from is None else self.counts_from


class Ledger:
    """The ledger entries, oldest first, kept by columns; reads like a list of
    :class:`LedgerEntry`.

    The columns (``ts``, ``symbol``, ``position_qty``, ``position_cost``, ``cash``,
    ``counts_from``) are public, for readers of whole columns such as the equity curve; they
    must not be changed from outside.
    """

    __slots__ = ("cash", "counts_from", "position_cost", "position_qty", "symbol", "ts")

    def __init__(self) -> None:
        self.ts: list[int] = []
        self.symbol: list[Symbol] = []
        self.position_qty: list[Decimal] = []
        self.position_cost: list[Decimal] = []
        self.cash: list[Decimal] = []
        self.counts_from: list[int | None] = []

    def record(  # noqa: PLR0917 - one entry's fields
        self,
        ts: int,
        symbol: Symbol,
        position_qty: Decimal,
        position_cost: Decimal,
        cash: Decimal,
        counts_from: int | None,
    ) -> None:
        """Append an entry from its fields."""
        self.ts.append(ts)
        self.symbol.append(symbol)
        self.position_qty.append(position_qty)
        self.position_cost.append(position_cost)
        self.cash.append(cash)
        self.counts_from.append(counts_from)

    def append(self, entry: LedgerEntry) -> None:
        """Append an entry."""
        self.record(
            entry.ts,
            entry.symbol,
            entry.position_qty,
            entry.position_cost,
            entry.cash,
            entry.counts_from,
        )

    def counts_at(self) -> list[int]:
        """Every entry's :attr:`LedgerEntry.counts_at`, oldest first."""
        return [ts if c is None else c for ts, c in zip(self.ts, self.counts_from, strict=True)]

    def __len__(self) -> int:
        return len(self.ts)

    def __bool__(self) -> bool:
        return bool(self.ts)

    @overload
    def __getitem__(self, index: int) -> LedgerEntry: ...
    @overload
    def __getitem__(self, index: slice) -> list[LedgerEntry]: ...

    def __getitem__(self, index: int | slice) -> LedgerEntry | list[LedgerEntry]:
        if isinstance(index, slice):
            return [self._entry(i) for i in range(*index.indices(len(self.ts)))]
        if index < 0:
            index += len(self.ts)
        if not 0 <= index < len(self.ts):
            raise IndexError("ledger index out of range")
        return self._entry(index)

    def __iter__(self) -> Iterator[LedgerEntry]:
        return (self._entry(i) for i in range(len(self.ts)))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Ledger):
            return all(getattr(self, name) == getattr(other, name) for name in self.__slots__)
        if isinstance(other, list):
            return list(self) == other
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable, like a list

    def __repr__(self) -> str:
        return f"Ledger({len(self.ts)} entries)"

    def _entry(self, i: int) -> LedgerEntry:
        return LedgerEntry(
            self.ts[i],
            self.symbol[i],
            self.position_qty[i],
            self.position_cost[i],
            self.cash[i],
            self.counts_from[i],
        )
