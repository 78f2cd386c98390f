"""What the account holds, whatever the prices: positions and open entry orders per symbol.

The part of an order's projection (:mod:`tradeforge.risk.projection`) that prices do not move:
per symbol the position's quantity and cost, the open entry orders' quantities to buy and to
sell (open orders that are not reduce-only), and for an order on a symbol its :class:`Base`:
its worst position before the order, the other symbols with a position or an open entry
order, and the positions held in them. Kept while the portfolio's ledger has no new entry
(every fill and funding payment adds one) and the open orders are the same book (the same
orders in the same state, :class:`~tradeforge.risk.context.OpenOrders`).
"""

from __future__ import annotations

from decimal import Decimal
from typing import NamedTuple

from tradeforge.model.enums import OrderSide
from tradeforge.model.orders import Order
from tradeforge.model.symbol import Symbol
from tradeforge.risk.context import OpenOrders, RiskContext

__all__ = ["Base", "Holdings", "worst"]

_ZERO = Decimal(0)
_ONE = Decimal(1)
_NOTHING = (_ZERO, _ZERO)

Held = tuple[tuple[Symbol, Decimal], ...]
"""Positions and their signed quantities."""


class Base(NamedTuple):
    """What an order on one symbol starts from, whatever the prices (see
    :class:`~tradeforge.risk.projection.Exposure` for the figures).

    Attributes
    ----------
    held, buys, sells : Decimal
        The symbol's position and its open entry orders' quantities to buy and to sell.
    before : Decimal
        The symbol's worst signed position without the order.
    other_positions : int
        Other symbols with a position or an open entry order.
    holdings : tuple of (Symbol, Decimal)
        The other symbols' open positions and their signed quantities (the same tuple for
        every order while the holdings hold).
    long, short : bool
        A long (short) position or open entry order to buy (sell) exists: a buy (sell)
        goes in their direction.
    reach : Decimal
        ``abs(before)``: what an order's worst position must exceed to add exposure.
    size : Decimal or None
        The symbol's contract size, ``None`` for 1 (a unit is worth its price).
    """

    held: Decimal
    buys: Decimal
    sells: Decimal
    before: Decimal
    other_positions: int
    holdings: Held
    long: bool
    short: bool
    reach: Decimal
    size: Decimal | None


class Holdings:
    """Per symbol, what the positions and the open entry orders hold: positions first (in
    the portfolio's order), then the symbols with open entry orders only (in the order of
    their first open order).

    Parameters
    ----------
    context : RiskContext
    book : OpenOrders
        The open orders now.

    Attributes
    ----------
    symbols : tuple of Symbol
        Positions first, then open entry orders only.
    positions : int
        How many of ``symbols`` have a position.
    quantities, basis : list of Decimal
        Each position's signed quantity and cost basis.
    worst : list of Decimal
        Each symbol's worst signed position (what the other symbols' orders count).
    sizes : list of Decimal or None
        Each symbol's contract size, ``None`` for 1 (a unit is worth its price).
    floats : tuple of list of float
        ``quantities``, ``basis``, ``worst`` and the contract sizes as floats (for
        estimates).
    """

    __slots__ = (
        "_all_held", "_bases", "_held", "_index", "_pending", "_size_of", "basis", "book",
        "floats", "ledger", "positions", "quantities", "sizes", "symbols", "worst",
    )  # fmt: skip

    def __init__(self, context: RiskContext, book: OpenOrders) -> None:
        portfolio = context.portfolio
        positions = portfolio.positions()
        pending = self._pending = book.derive(_pending, _pending)
        self.book, self.ledger = book, len(portfolio.ledger)
        self._held = {symbol: p.signed_qty for symbol, p in positions.items()}
        self.positions = len(positions)
        self.symbols = (*positions, *(s for s in pending if s not in positions))
        self._index = {symbol: i for i, symbol in enumerate(self.symbols)}
        self.quantities = list(self._held.values())
        self.basis = [p.basis for p in positions.values()]
        self.worst = [_worst_of(self._held.get(s), pending.get(s)) for s in self.symbols]
        sizes = [context.contract_size(s) for s in self.symbols]
        self.sizes = [None if size == _ONE else size for size in sizes]
        self.floats = (
            [float(q) for q in self.quantities],
            [float(b) for b in self.basis],
            [float(w) for w in self.worst],
            [float(size) for size in sizes],
        )
        self._all_held: Held = tuple(self._held.items())
        self._bases: dict[Symbol, Base] = {}
        self._size_of = context.contract_size

    def hold(self, context: RiskContext, book: OpenOrders) -> bool:
        """Whether the ledger has no new entry and the open orders are this book."""
        return book is self.book and len(context.portfolio.ledger) == self.ledger

    def index(self, symbol: Symbol) -> int | None:
        """Where ``symbol`` is in :attr:`symbols`, ``None`` when it holds nothing."""
        return self._index.get(symbol)

    def base(self, symbol: Symbol) -> Base:
        """What an order on ``symbol`` starts from (worked out at its first order)."""
        known = self._bases.get(symbol)
        if known is None:
            known = self._bases[symbol] = self._base(symbol)
        return known

    def _base(self, symbol: Symbol) -> Base:
        held = self._held.get(symbol, _ZERO)
        buys, sells = self._pending.get(symbol, _NOTHING)
        others = len(self.symbols) - (symbol in self._index)
        if symbol in self._held:
            holdings = tuple((s, q) for s, q in self._held.items() if s != symbol)
        else:
            holdings = self._all_held  # one tuple for every such order
        before = worst(held, buys, sells)
        long, short = held > 0 or buys > 0, held < 0 or sells > 0
        size = self._size_of(symbol)
        return Base(
            held, buys, sells, before, others, holdings, long, short, abs(before),
            None if size == _ONE else size,
        )  # fmt: skip


def worst(held: Decimal, buys: Decimal, sells: Decimal) -> Decimal:
    """The worst signed position: ``held + buys`` or ``held - sells``, the larger in
    absolute value."""
    up, down = held + buys, held - sells
    return up if abs(up) >= abs(down) else down


def _worst_of(held: Decimal | None, pending: tuple[Decimal, Decimal] | None) -> Decimal:
    """A symbol's worst position as the other symbols' orders count it: the position alone
    without open entry orders, the larger side of the orders without a position."""
    if pending is None:
        assert held is not None  # a symbol is here for a position or an open entry order
        return held
    buys, sells = pending
    if held is None:
        return buys if buys >= sells else -sells
    return worst(held, buys, sells)


def _pending(orders: list[Order]) -> dict[Symbol, tuple[Decimal, Decimal]]:
    """Per symbol, the open quantities to buy and to sell that may add exposure."""
    book: dict[Symbol, tuple[Decimal, Decimal]] = {}
    for o in orders:
        if o.reduce_only:
            continue
        buys, sells = book.get(o.symbol, _NOTHING)
        leaves = o.quantity - o.filled_qty
        if o.side is OrderSide.BUY:
            book[o.symbol] = (buys + leaves, sells)
        else:
            book[o.symbol] = (buys, sells + leaves)
    return book
