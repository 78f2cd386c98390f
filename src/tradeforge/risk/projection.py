"""The exposure an order would leave: what the position and exposure limits compare.

Open entry orders count as if filled, in the direction that makes a position largest, so two
orders sent before either fills cannot slip past a limit together. Per symbol, with ``held``
the position and ``buys`` / ``sells`` the quantities of the open orders that are not
reduce-only, the *worst* position is ``held + buys`` or ``held - sells``, whichever is larger in
absolute value. The order under check is added to its side; it *adds* exposure when its
symbol's worst position grows in absolute value. Positions are valued at the last price (as
the portfolio values them), the order's symbol at the order's price (the last price for a
market order), times the contract size.

The account-wide part is worked out once and reused by later orders while nothing it was
computed from has changed: what the account holds (:mod:`tradeforge.risk.holdings`) and its
value at the last prices (:mod:`tradeforge.risk.account_view`); only the order's own symbol is
worked out at each order. A check that reads the exposure calls :func:`prepare_exposure`
once: at each bar's close (:meth:`~tradeforge.risk.context.RiskContext.prepare`) the account
is valued at the new prices then, not at the next order.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import NamedTuple

from tradeforge.model.enums import OrderSide
from tradeforge.model.orders import Order
from tradeforge.model.symbol import Symbol
from tradeforge.risk.account_view import AccountView, Estimate, Valuation
from tradeforge.risk.context import OpenOrders, RiskContext
from tradeforge.risk.holdings import worst

_ZERO = Decimal(0)
_UNKNOWN = object()


class Exposure:
    """What the account would hold once the open orders and ``order`` have filled (built
    once per order, read by every exposure check).

    The figures that depend on the other symbols' prices (``equity``, ``other_gross``,
    ``other_net``) are exact decimals worked out when first read; :meth:`estimate` gives
    them in floats with a bound on their error, for a check to let through an order clearly
    inside its limits without them. When the account's view already has them
    (:attr:`valued`: an earlier order needed them, or the view was prepared at a bar's
    close) a check reads them at once: they cost less than the estimates then.

    Attributes
    ----------
    adds : bool
        The order makes its symbol's worst position larger (reduce-only orders never do).
    same_direction : bool
        A position or open entry order in the order's direction exists (pyramiding).
    before, after : Decimal
        The symbol's worst signed position without and with the order.
    unit : Decimal or None
        The value of one unit of the symbol (price times contract size); ``None`` without
        a price.
    valued : bool
        The exact figures are at hand (no work to read them).
    other_gross, other_net : Decimal
        Absolute and signed value of the other symbols' worst positions.
    other_positions : int
        Other symbols with a position or an open entry order.
    holdings : tuple of (Symbol, Decimal)
        The other symbols' open positions and their signed quantities.
    equity : Decimal
        The account's equity now (cash plus the positions' value at their marks, or their
        unrealized PnL in a margin account: the portfolio's ``equity()``).
    """

    __slots__ = (
        "_estimated", "_figures", "_symbol", "_value", "_valued", "_view", "adds", "after",
        "before", "holdings", "other_positions", "same_direction", "unit", "valued",
    )  # fmt: skip

    def __init__(  # noqa: PLR0917 - the figures of one order
        self,
        adds: bool,
        same_direction: bool,
        before: Decimal,
        after: Decimal,
        unit: Decimal | None,
        other_positions: int,
        holdings: tuple[tuple[Symbol, Decimal], ...] = (),
        view: AccountView | None = None,
        symbol: Symbol | None = None,
    ) -> None:
        self.adds, self.same_direction = adds, same_direction
        self.before, self.after, self.unit = before, after, unit
        self.other_positions, self.holdings = other_positions, holdings
        self._value: Decimal | object | None = _UNKNOWN
        self._view, self._symbol = view, symbol
        if view is None or symbol is None:
            self._valued: Valuation | None = _NOTHING_VALUED
        else:
            self._valued = view.valuations.get(symbol)
        self.valued = self._valued is not None
        self._estimated: Estimates | None = None
        self._figures: Figures | None = None

    @property
    def equity(self) -> Decimal:
        """The account's equity now."""
        return (self._valued or self._valuation()).equity

    @property
    def other_gross(self) -> Decimal:
        """Absolute value of the other symbols' worst positions."""
        return (self._valued or self._valuation()).other_gross

    @property
    def other_net(self) -> Decimal:
        """Signed value of the other symbols' worst positions."""
        return (self._valued or self._valuation()).other_net

    @property
    def position_value(self) -> Decimal | None:
        """Absolute value of the symbol's worst position after the order (``None`` without
        a unit value); worked out at the first read."""
        value = self._value
        if value is _UNKNOWN:
            value = self._value = None if self.unit is None else abs(self.after) * self.unit
        return value  # type: ignore[return-value]  # a decimal or None once worked out

    @property
    def gross(self) -> Decimal | None:
        """Gross exposure after the order."""
        value = self.position_value
        if value is None:
            return None
        return (self._valued or self._valuation()).other_gross + value

    @property
    def net(self) -> Decimal | None:
        """Net exposure after the order (signed)."""
        if self.unit is None:
            return None
        return (self._valued or self._valuation()).other_net + self.after * self.unit

    def figures(self) -> Figures:
        """:attr:`equity`, :attr:`position_value`, :attr:`gross` and :attr:`net` at once,
        exact (worked out at the first call: the checks reading several share them)."""
        known = self._figures
        if known is None:
            valued, value = self._valued or self._valuation(), self.position_value
            if value is None:
                known = Figures(valued.equity, None, None, None)
            else:
                assert self.unit is not None  # a value has a unit
                gross = valued.other_gross + value
                known = Figures(
                    valued.equity, value, gross, valued.other_net + self.after * self.unit
                )
            self._figures = known
        return known

    def estimate(self) -> Estimates | None:
        """The equity, gross and net exposure and the position's value after the order, in
        floats with a bound on their error (worked out at the first call); ``None`` for a
        reduce-only order."""
        known = self._estimated
        if known is None and self._view is not None and self._symbol is not None:
            known = self._estimated = _estimates(self._view.estimate(self._symbol), self)
        return known

    def _valuation(self) -> Valuation:
        valued = self._valued
        if valued is None:
            assert self._view is not None  # else valued
            assert self._symbol is not None
            valued = self._valued = self._view.valuation(self._symbol)
            self.valued = True
        return valued


class Figures(NamedTuple):
    """An :class:`Exposure`'s exact figures (``None`` without a unit value).

    Attributes
    ----------
    equity, value, gross, net : Decimal
        As :attr:`Exposure.equity`, :attr:`Exposure.position_value`, :attr:`Exposure.gross`,
        :attr:`Exposure.net`.
    """

    equity: Decimal
    value: Decimal | None
    gross: Decimal | None
    net: Decimal | None


class Estimates(NamedTuple):
    """An :class:`Exposure`'s figures in floats (``nan`` without a unit value).

    Attributes
    ----------
    equity, gross, net : float
        As :attr:`Exposure.equity`, :attr:`Exposure.gross`, :attr:`Exposure.net`.
    value : float
        As :attr:`Exposure.position_value`.
    tolerance : float
        None of them is further than this from the exact figure.
    """

    equity: float
    gross: float
    net: float
    value: float
    tolerance: float


def _estimates(account: Estimate, after: Exposure) -> Estimates:
    """The account's estimates with the order's own position added (its value exact, then
    in floats)."""
    unit = after.unit
    if unit is None:
        position = _NAN
    elif unit.is_finite():
        position = float(after.after * unit)
    else:
        position = float(after.after) * float(unit)
    value = abs(position)
    tolerance = account.tolerance + (0.0 if math.isnan(value) else 1e-12 * value)
    return Estimates(
        account.equity,
        account.other_gross + value,
        account.other_net + position,
        value,
        tolerance,
    )


_NAN = float("nan")
_NOTHING_VALUED = Valuation(_ZERO, _ZERO, _ZERO)
REDUCING = Exposure(False, False, _ZERO, _ZERO, None, 0)
"""What a reduce-only order is given: it adds nothing, so no limit looks further."""


def prepare_exposure(context: RiskContext) -> None:
    """Have ``context`` value the account at the new prices at each bar's close
    (:meth:`AccountView.prepare`) and convert the new last prices, as the next order's
    :func:`exposure` would (one step, however many checks ask)."""
    context.prepare_marks()
    context.prepare_with(_PREPARED, lambda symbol: AccountView.prepare(context))


_PREPARED = "account_view"
_BUY = OrderSide.BUY


def exposure(
    context: RiskContext, order: Order, price: Decimal | None, book: OpenOrders | None = None
) -> Exposure:
    """The :class:`Exposure` after ``order``, worked out once per order and shared (``book``:
    the open orders, when the caller has read them already)."""
    known = context.recall(order)
    if known is None:
        if order.reduce_only:
            known = REDUCING
        else:
            known = project(context, order.symbol, order.side, order.quantity, price, book)
        context.keep(order, known)
    return known  # type: ignore[return-value]  # only this function keeps an order's value


def project(  # noqa: PLR0917 - one order's terms
    context: RiskContext,
    symbol: Symbol,
    side: OrderSide,
    quantity: Decimal,
    price: Decimal | None,
    book: OpenOrders | None = None,
) -> Exposure:
    """The exposure after an order (not reduce-only) to ``side`` ``quantity`` of ``symbol``
    valued at ``price`` (the last price when ``None``): the order on top of its symbol's
    :class:`~tradeforge.risk.holdings.Base` and the account's view at the last prices
    (worked out anew: :func:`exposure` shares it among an order's checks)."""
    view = AccountView.now(context, book)
    base = view.base(symbol)  # an unpriced symbol with open entry orders is refused here
    held, buys, sells = base.held, base.buys, base.sells
    if side is _BUY:
        after, same = worst(held, buys + quantity, sells), base.long
    else:
        after, same = worst(held, buys, sells + quantity), base.short
    at = price if price is not None else context.price(symbol)
    size = base.size
    unit = at if at is None or size is None else at * size
    adds = abs(after) > base.reach
    return Exposure(
        adds, same, base.before, after, unit, base.other_positions, base.holdings, view, symbol
    )
