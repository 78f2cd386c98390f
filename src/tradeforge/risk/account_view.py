"""The account at the last prices, for every order's projection: kept while the prices hold.

An order's projection (:mod:`tradeforge.risk.projection`) needs, besides what the account
holds (:class:`~tradeforge.risk.holdings.Holdings`), its value at the last prices: the equity
and the other symbols' gross and net exposure. An :class:`AccountView` values the holdings and
is kept while every holding's last price is the same float (and a symbol without one keeps its
valuation price). Per order symbol it gives:

* :meth:`AccountView.estimate`: the figures in floats, with a bound on their error: cheap,
  and enough for a check to let through an order clearly inside its limits;
* :meth:`AccountView.valuation`: the exact figures, decimals from the same operations in the
  same order as a projection from scratch (each price through its shortest text, times the
  contract size), worked out when a check needs them (an order near a limit, or refused)
  and kept.

At a bar's close :meth:`AccountView.prepare` values the account at the new prices, as the
next order would, with the exact figures of the symbols ordered lately
(:meth:`~tradeforge.risk.context.RiskContext.recent`): their next orders read them at once,
without the estimates.
"""

from __future__ import annotations

from decimal import Decimal
from typing import NamedTuple, NoReturn

from tradeforge.model.symbol import Symbol
from tradeforge.portfolio.portfolio import Portfolio, PortfolioError
from tradeforge.risk.context import OpenOrders, RiskContext
from tradeforge.risk.holdings import Base, Holdings

__all__ = ["AccountView", "Estimate", "Valuation", "clearly_below"]

_ZERO = Decimal(0)
_SAVED = "account_view"
_ROUNDING = 1e-12
"""Relative bound of a float estimate's error (sums of few terms err by about 1e-16 each)."""


class Estimate(NamedTuple):
    """The account's figures for an order on one symbol, in floats.

    Attributes
    ----------
    equity, other_gross, other_net : float
        As :class:`Valuation`.
    tolerance : float
        None of the three is further than this from its exact value.
    """

    equity: float
    other_gross: float
    other_net: float
    tolerance: float


class Valuation(NamedTuple):
    """The account's figures for an order on one symbol, exact.

    Attributes
    ----------
    equity : Decimal
        Cash plus the positions at their marks (their unrealized PnL on margin).
    other_gross, other_net : Decimal
        Absolute and signed value of the other symbols' worst positions.
    """

    equity: Decimal
    other_gross: Decimal
    other_net: Decimal


class AccountView:
    """The :class:`~tradeforge.risk.holdings.Holdings` at the last prices.

    Parameters
    ----------
    context : RiskContext
    holdings : Holdings
    lasts : tuple of float or None
        The last price of each of the holdings' symbols.
    """

    __slots__ = (
        "_bases", "_context", "_estimates", "_exact", "_fallbacks", "_portfolio", "_since",
        "_values", "equity", "holdings", "lasts", "tolerance", "valuations",
    )  # fmt: skip

    def __init__(
        self, context: RiskContext, holdings: Holdings, lasts: tuple[float | None, ...]
    ) -> None:
        self._context, self._portfolio = context, context.portfolio
        self.holdings, self.lasts = holdings, lasts
        self._fallbacks: dict[int, Decimal | None] = {}
        self._values: list[float | None] = []
        self.equity, self.tolerance = self._estimate(self._units())
        self._estimates: dict[Symbol, Estimate] = {}
        self._since: dict[Symbol, int] = {}  # the bar each symbol was last ordered at
        self._exact: tuple[Decimal, list[Decimal | None]] | None = None
        self.valuations: dict[Symbol, Valuation] = {}
        """The exact figures worked out so far, per order symbol (:meth:`valuation`)."""
        self._bases: dict[Symbol, Base] = {}

    @classmethod
    def now(cls, context: RiskContext, book: OpenOrders | None = None) -> AccountView:
        """The view of the account as it is now: the saved one while it holds, else a new
        one (over the saved holdings while they hold); ``book``: the open orders now, when
        the caller has read them already."""
        if book is None:
            book = context.open_book()
        view = context.saved(_SAVED)
        if isinstance(view, AccountView) and view.holdings.hold(context, book):
            lasts = tuple(map(context.last_price, view.holdings.symbols))  # do the prices hold?
            if lasts == view.lasts and (not view._fallbacks or view._marks_hold()):
                return view
            holdings = view.holdings
        else:
            holdings = Holdings(context, book)
            lasts = tuple(map(context.last_price, holdings.symbols))
        view = cls(context, holdings, lasts)
        context.save(_SAVED, view)
        return view

    @classmethod
    def prepared(cls, context: RiskContext) -> AccountView:
        """The view :meth:`prepare` worked out in the same preparation, else :meth:`now`."""
        view = context.shared(_SAVED)
        return view if isinstance(view, AccountView) else cls.now(context)

    @classmethod
    def prepare(cls, context: RiskContext) -> None:
        """At a bar's close: the view :meth:`now` gives the next order, with the exact
        figures of the symbols ordered lately (:meth:`RiskContext.recent`); an error is left
        for the order to meet. The view is shared with the later steps (:meth:`prepared`)."""
        old = context.saved(_SAVED)
        try:
            view = cls.now(context)
        except PortfolioError:
            return
        context.share(_SAVED, view)
        if view is old or not isinstance(old, AccountView):
            return
        for symbol, bar in old._since.items():
            if not context.recent(bar):
                continue
            try:
                view.valuation(symbol)  # the next order reads the exact figures
            except PortfolioError:
                continue
            view._since[symbol] = bar

    def base(self, symbol: Symbol) -> Base:
        """What an order on ``symbol`` starts from (:meth:`Holdings.base`), once its
        :meth:`estimate` is worked out, unless its exact :meth:`valuation` is (kept per
        symbol: an order reads both).

        Raises
        ------
        PortfolioError
            As :meth:`estimate` (and :meth:`valuation`).
        """
        known = self._bases.get(symbol)
        if known is None:
            if symbol not in self.valuations:
                self.estimate(symbol)
            known = self._bases[symbol] = self.holdings.base(symbol)
        return known

    def estimate(self, symbol: Symbol) -> Estimate:
        """The figures for an order on ``symbol``, in floats (summed at its first order).

        Raises
        ------
        PortfolioError
            When another symbol with open entry orders has no price at all (as a
            projection from scratch does).
        """
        known = self._estimates.get(symbol)
        if known is None:
            gross, net = 0.0, 0.0
            own = self.holdings.index(symbol)
            for i, value in enumerate(self._values):
                if i == own:
                    continue
                if value is None:
                    _unpriced(self._portfolio, self.holdings.symbols[i])
                gross, net = gross + abs(value), net + value
            known = self._estimates[symbol] = Estimate(self.equity, gross, net, self.tolerance)
            self._since[symbol] = self._context.bar
        return known

    def valuation(self, symbol: Symbol) -> Valuation:
        """The exact figures for an order on ``symbol`` (worked out at the first need)."""
        known = self.valuations.get(symbol)
        if known is None:
            equity, values = self._exact_values()
            gross, net = _ZERO, _ZERO
            own = self.holdings.index(symbol)
            for i, value in enumerate(values):
                if i == own:
                    continue
                if value is None:
                    _unpriced(self._portfolio, self.holdings.symbols[i])
                gross, net = gross + abs(value), net + value
            known = self.valuations[symbol] = Valuation(equity, gross, net)
        return known

    # -- estimates ------------------------------------------------------------------------

    def _units(self) -> list[float | None]:
        """Each symbol's unit value in floats: its last price (else its valuation price)
        times the contract size."""
        sizes = self.holdings.floats[3]
        units: list[float | None] = []
        for i, last in enumerate(self.lasts):
            price = float(last) if last is not None else self._fallback(i)
            units.append(None if price is None else price * sizes[i])
        return units

    def _fallback(self, i: int) -> float | None:
        """The valuation price of the ``i``-th symbol, which has no last price (a position
        always has one, its last fill: without it the portfolio raises, as ever)."""
        symbol = self.holdings.symbols[i]
        if i < self.holdings.positions:
            mark: Decimal | None = self._portfolio.valuation_price(symbol)
        else:
            mark = _valuation(self._portfolio, symbol)
        self._fallbacks[i] = mark
        return None if mark is None else float(mark)

    def _marks_hold(self) -> bool:
        """The symbols without a last price are still valued at the same price."""
        symbols = self.holdings.symbols
        return all(
            _valuation(self._portfolio, symbols[i]) == mark for i, mark in self._fallbacks.items()
        )

    def _estimate(self, units: list[float | None]) -> tuple[float, float]:
        """Fill in each symbol's worst value; the equity and the bound of every figure's
        error (relative to the sum of the magnitudes that make them up)."""
        holdings, portfolio = self.holdings, self._portfolio
        quantities, basis, worst, _ = holdings.floats
        margin = portfolio.account == "margin"
        equity = float(portfolio.cash)
        scale = abs(equity)
        for i in range(holdings.positions):
            unit = units[i]
            assert unit is not None  # a position is valued at its last fill at least
            value = quantities[i] * unit
            equity += value - basis[i] if margin else value
            scale += abs(value) + (abs(basis[i]) if margin else 0.0)
        for i, unit in enumerate(units):
            if unit is None:  # an open entry order's symbol without any price
                self._values.append(None)
                continue
            worth = worst[i] * unit
            self._values.append(worth)
            scale += abs(worth)
        return equity, _ROUNDING * (1 + len(units) / 1_000) * scale

    # -- exact figures ------------------------------------------------------------------------

    def _exact_values(self) -> tuple[Decimal, list[Decimal | None]]:
        """The equity and each symbol's worst value, exact (worked out once)."""
        if self._exact is None:
            holdings, portfolio = self.holdings, self._portfolio
            units = [
                mark if mark is None or size is None else mark * size
                for mark, size in zip(self._exact_marks(), holdings.sizes, strict=True)
            ]
            margin = portfolio.account == "margin"
            equity = portfolio.cash
            for qty, basis, unit in zip(holdings.quantities, holdings.basis, units, strict=False):
                assert unit is not None
                value = qty * unit
                equity += value - basis if margin else value
            values = [
                None if unit is None else w * unit
                for w, unit in zip(holdings.worst, units, strict=True)
            ]
            self._exact = (equity, values)
        return self._exact

    def _exact_marks(self) -> list[Decimal | None]:
        """Each symbol's price: its last price through its shortest text, else its
        valuation price."""
        return [
            Decimal(repr(last)) if last is not None else self._fallbacks[i]
            for i, last in enumerate(self.lasts)
        ]


def clearly_below(value: float, limit: float, slack: float) -> bool:
    """Whether the exact figure ``value`` estimates is certainly below the one ``limit``
    estimates, when together they are at most ``slack`` away from their exact figures (and
    each converted or multiplied once more in floats). NaN and infinities are never clearly
    below anything: the exact figures decide.
    """
    return value < limit - slack - _ROUNDING * (abs(value) + abs(limit))


def _valuation(portfolio: Portfolio, symbol: Symbol) -> Decimal | None:
    """The portfolio's valuation price of ``symbol``, ``None`` when it has none."""
    try:
        return portfolio.valuation_price(symbol)
    except PortfolioError:
        return None


def _unpriced(portfolio: Portfolio, symbol: Symbol) -> NoReturn:
    """Refuse, as a projection from scratch does, to value an open order's symbol that has
    no price at all (only an order on that symbol itself never values it)."""
    portfolio.valuation_price(symbol)  # raises PortfolioError, naming the symbol
    raise PortfolioError(f"no mark price for {symbol}")
