"""What the pre-trade checks read: one small context, built by the kernel that owns the engines.

A check never reaches into an engine; it reads the :class:`RiskContext`: the portfolio, the
injected clock, the instruments, the open orders, the last prices, the closes seen so far (for
correlations and the start-of-day equity) and the members of an order list submitted with the
order. The same context serves backtest, paper and live trading; only what fills it differs.

What does not change between orders is worked out once and reused while it holds: the open
orders as an :class:`OpenOrders` book (the same object while no order is submitted, filled,
amended or closed), the exact decimal of each last price, and whatever a check keeps with
:meth:`RiskContext.save` under a key it checks itself.

What a new bar makes stale (the account's value, the correlations, the last prices' decimals,
the start-of-day equity) can be worked out when the bar closes rather than at the next order:
the checks that keep such state register a step with :meth:`RiskContext.prepare_with`, and
:meth:`RiskContext.prepare` runs them (the kernel calls it through
:meth:`~tradeforge.risk.engine.RiskEngine.prepare`). A step works out exactly what the next
order would, through the same code; an order still checks that what it reads holds.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol, TypeVar, cast

import numpy as np
from numpy.typing import NDArray

from tradeforge.common.clock import Clock
from tradeforge.data.replay import BarSeries
from tradeforge.model.instrument import Instrument
from tradeforge.model.orders import Order
from tradeforge.model.symbol import Symbol
from tradeforge.portfolio.portfolio import Portfolio

_ONE = Decimal(1)
RECENT_BARS = 256
"""How many bar closes after an order :meth:`RiskContext.prepare` keeps preparing what it
read, by default (a gate idle longer pays its next order's per-bar work itself)."""
NEVER = -(1 << 62)
"""The bar of what was never read."""
_MARKS = "marks"
_NO_TIMES: NDArray[np.int64] = np.empty(0, dtype=np.int64)
_NO_CLOSES: NDArray[np.float64] = np.empty(0, dtype=np.float64)
_T = TypeVar("_T")


class PriceHistory(Protocol):
    """The closes seen so far, never a bar that has not closed yet."""

    def closes(self, symbol: Symbol, count: int) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        """Close times (ns UTC) and closes of the last ``count`` closed bars of ``symbol``
        (fewer at the start, none for an unknown symbol)."""
        ...

    def close_at(self, symbol: Symbol, ts: int) -> float | None:
        """The close of the last bar of ``symbol`` that closed at or before ``ts``."""
        ...

    def last_close_time(self, symbol: Symbol) -> int | None:
        """When the last bar of ``symbol`` seen so far closed (what a cache is keyed on)."""
        ...


class BarHistory:
    """A :class:`PriceHistory` over replayed bar series, read up to each series' cursor.

    Parameters
    ----------
    series : iterable of BarSeries
        For each symbol its shortest timeframe is used (the one orders trade against).
    """

    def __init__(self, series: Iterable[BarSeries]) -> None:
        best: dict[Symbol, BarSeries] = {}
        for s in series:
            if s.symbol not in best or s.timeframe.nanos < best[s.symbol].timeframe.nanos:
                best[s.symbol] = s
        self._series = best

    def closes(self, symbol: Symbol, count: int) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        """See :meth:`PriceHistory.closes`."""
        series = self._series.get(symbol)
        if series is None or series.cursor.i < 0:
            return _NO_TIMES, _NO_CLOSES
        end = series.cursor.i + 1
        start = max(0, end - count)
        return series.ts_close[start:end], series.close[start:end]

    def series_of(self, symbol: Symbol) -> BarSeries | None:
        """The series read for ``symbol`` (its cursor says how far it has been seen)."""
        return self._series.get(symbol)

    def last_close_time(self, symbol: Symbol) -> int | None:
        """See :meth:`PriceHistory.last_close_time`."""
        series = self._series.get(symbol)
        if series is None or series.cursor.i < 0:
            return None
        return int(series.ts_close[series.cursor.i])

    def close_at(self, symbol: Symbol, ts: int) -> float | None:
        """See :meth:`PriceHistory.close_at`."""
        series = self._series.get(symbol)
        if series is None or series.cursor.i < 0:
            return None
        at = int(series.ts_close[: series.cursor.i + 1].searchsorted(ts, side="right")) - 1
        return float(series.close[at]) if at >= 0 else None


def orders_state(orders: Iterable[Order]) -> tuple[object, ...]:
    """What the checks read of open orders, as one comparable key: each order with its
    quantity, filled quantity, price and stop price (side, symbol and reduce-only never
    change). Two equal keys mean the same open orders in the same state."""
    state = []
    for o in orders:  # a loop, not a comprehension: no function to make at every order
        state.append((o, o.quantity, o.filled_qty, o.price, o.stop_price))
    return tuple(state)


class OpenOrders:
    """The open orders at one moment, and what the checks derive from them.

    Parameters
    ----------
    orders : list of Order
        The open orders, in the order the execution engine lists them.
    key : tuple, optional
        Their :func:`orders_state` (computed when not given).
    """

    __slots__ = ("_derived", "key", "orders")

    def __init__(self, orders: list[Order], key: tuple[object, ...] | None = None) -> None:
        self.orders = orders
        self.key = orders_state(orders) if key is None else key
        self._derived: dict[Hashable, object] = {}

    def derive(self, name: Hashable, make: Callable[[list[Order]], _T]) -> _T:
        """``make(orders)``, worked out once per ``name`` for this book (the result must not
        be changed by the caller)."""
        derived = self._derived
        if name in derived:
            return cast(_T, derived[name])
        value = derived[name] = make(self.orders)
        return value

    def renewed(self, orders: list[Order]) -> OpenOrders:
        """This book when ``orders`` are the same orders in the same state, else a new one."""
        key = orders_state(orders)
        return self if key == self.key else OpenOrders(orders, key)


def _no_book() -> OpenOrders:
    return OpenOrders([], ())


def _no_orders() -> dict[str, Order]:
    return {}


@dataclass
class RiskContext:
    """Everything a check may read.

    Parameters
    ----------
    portfolio : Portfolio
        Positions, cash, equity and the ledger (the start-of-day equity is computed from it).
    clock : Clock
        The only source of time (a backtest's test clock, the live clock).
    instruments : mapping of Symbol to Instrument
        Trading rules and venues.
    open_orders : callable
        The orders submitted and not yet closed.
    last_price : callable
        ``last_price(symbol)``: the last trade or close, ``None`` before the first.
    history : PriceHistory, optional
        Closes seen so far; needed by the correlation limit and the daily loss limit.
    orders : callable
        Every order the execution engine knows, by client order id, in the order it learned
        of them. An order list's members are all registered before its first member is
        checked, so the members of the list being checked are the last ones.
    """

    portfolio: Portfolio
    clock: Clock
    instruments: Mapping[Symbol, Instrument]
    open_orders: Callable[[], Iterable[Order]]
    last_price: Callable[[Symbol], float | None]
    history: PriceHistory | None = None
    orders: Callable[[], dict[str, Order]] = _no_orders
    _memo_order: Order | None = field(init=False, repr=False)
    _memo_value: Any = field(init=False, repr=False)
    _members: tuple[Order | None, int, list[Order]] = field(init=False, repr=False)
    _sizes: dict[Symbol, Decimal] = field(init=False, repr=False)
    _marks: dict[Symbol, tuple[float, Decimal]] = field(init=False, repr=False)
    _book: OpenOrders = field(init=False, repr=False)
    _saved: dict[str, object] = field(init=False, repr=False)
    _steps: dict[str, Callable[[Symbol | None], None]] = field(init=False, repr=False)
    _bars: int = field(init=False, repr=False)
    _bar_ts: int | None = field(init=False, repr=False)
    _checked: int = field(init=False, repr=False)
    _within: int = field(init=False, repr=False)
    _shared: dict[str, object] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        # what is worked out between orders (set here, not as field defaults: the
        # context may run compiled, where only __init__ sets attributes)
        self._memo_order = None
        self._memo_value = None
        self._members = (None, 0, [])
        self._sizes = {}
        self._marks = {}
        self._book = _no_book()
        self._saved = {}
        self._steps = {}
        self._bars = 0
        self._bar_ts = None
        self._checked = NEVER
        self._within = RECENT_BARS
        self._shared = {}

    def begin(self) -> None:
        """Forget what was worked out for the previous order (the risk engine calls it
        before each order, so a figure never outlives the state it was computed from)."""
        self._memo_order = None
        self._checked = self._bars

    # -- preparation at a bar's close ----------------------------------------------------------

    def prepare_with(self, name: str, step: Callable[[Symbol | None], None]) -> None:
        """Run ``step(symbol)`` at each :meth:`prepare` while orders are checked, in the
        order registered; a second step under the same ``name`` is ignored (checks sharing
        state share its step)."""
        self._steps.setdefault(name, step)

    def prepare_marks(self) -> None:
        """Have :meth:`prepare` convert the new last prices of the symbols already priced
        (for the checks that read :meth:`price`)."""
        self.prepare_with(_MARKS, self._prepare_marks)

    @property
    def prepares(self) -> bool:
        """Whether any check registered a step: :meth:`prepare` has work."""
        return bool(self._steps)

    @property
    def bar(self) -> int:
        """How many bar closes :meth:`prepare` has seen (closes at one time count once)."""
        return self._bars

    def recent(self, bar: int) -> bool:
        """Whether ``bar`` (a value of :attr:`bar`) is at most the current preparation's
        ``within`` bar closes ago: what an order read then is prepared."""
        return self._bars - bar <= self._within

    def prepare(self, symbol: Symbol | None = None, within: int = RECENT_BARS) -> None:
        """A bar closed (of ``symbol``; ``None``: any or several): run the registered steps,
        each working out what the next order would read, as that order would, for what
        orders read in the last ``within`` bar closes; none without an order checked in
        that span (the next order does the work)."""
        now = self.clock.timestamp_ns()
        if now != self._bar_ts:
            self._bars, self._bar_ts = self._bars + 1, now
        if self._bars - self._checked > within:
            return
        self._within = within
        try:
            for step in self._steps.values():
                step(symbol)
        finally:
            self._shared.clear()

    def share(self, name: str, value: object) -> None:
        """Hand ``value`` to the later steps of this :meth:`prepare` (nothing changes
        between two steps: what one worked out holds for the next)."""
        self._shared[name] = value

    def shared(self, name: str) -> object:
        """What an earlier step of this :meth:`prepare` shared under ``name``, or ``None``."""
        return self._shared.get(name)

    def _prepare_marks(self, symbol: Symbol | None) -> None:
        """The decimals of the new last prices of ``symbol`` (else every symbol) already
        priced, as :meth:`price` converts them."""
        if symbol is None:
            for known in list(self._marks):
                self.price(known)
        elif symbol in self._marks:
            self.price(symbol)

    def recall(self, order: Order) -> object:
        """What :meth:`keep` stored for ``order`` (the checks of one order share its
        exposure this way), or ``None``."""
        return self._memo_value if self._memo_order is order else None

    def keep(self, order: Order, value: object) -> None:
        """Store ``value`` for ``order`` until the next order."""
        self._memo_order, self._memo_value = order, value

    def list_members(self, order: Order) -> list[Order]:
        """The members of ``order``'s order list submitted with it (``order`` included);
        empty when the order belongs to no list. Read once per order and registry size."""
        list_id = order.order_list_id
        if list_id is None:
            return []
        known = self.orders()
        seen, size, members = self._members
        if seen is order and size == len(known):
            return members
        members = []
        for other in reversed(known.values()):
            if other.order_list_id != list_id:
                break
            members.append(other)
        members.reverse()
        self._members = (order, len(known), members)
        return members

    def contract_size(self, symbol: Symbol) -> Decimal:
        """The contract size of ``symbol`` (1 for an unknown instrument), read once."""
        size = self._sizes.get(symbol)
        if size is None:
            instrument = self.instruments.get(symbol)
            size = self._sizes[symbol] = _ONE if instrument is None else instrument.contract_size
        return size

    def unit_value(self, symbol: Symbol, price: Decimal) -> Decimal:
        """The value of one unit of ``symbol`` at ``price`` (times the contract size)."""
        size = self.contract_size(symbol)
        return price if size == _ONE else price * size

    def open_book(self) -> OpenOrders:
        """The open orders now, as a book: the same object as at the previous call while
        they have not changed, with what was derived from them."""
        self._book = book = self._book.renewed(list(self.open_orders()))
        return book

    def saved(self, name: str) -> object:
        """What :meth:`save` kept under ``name`` (``None`` before); the reader checks that it
        still holds."""
        return self._saved.get(name)

    def save(self, name: str, value: object) -> None:
        """Keep ``value`` across orders under ``name``."""
        self._saved[name] = value

    def price(self, symbol: Symbol) -> Decimal | None:
        """The last price of ``symbol`` as an exact decimal (through its shortest text),
        ``None`` before the first; converted once per price."""
        last = self.last_price(symbol)
        if last is None:
            return None
        known = self._marks.get(symbol)
        if known is not None and known[0] == last:
            return known[1]
        value = Decimal(repr(last))
        self._marks[symbol] = (last, value)
        return value

    def mark(self, symbol: Symbol) -> Decimal:
        """The price a position in ``symbol`` is valued at: the last price, else the
        portfolio's valuation price (its last fill)."""
        value = self.price(symbol)
        return self.portfolio.valuation_price(symbol) if value is None else value
