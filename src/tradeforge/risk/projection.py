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
from tradeforge.risk.context import RiskContext
from tradeforge.risk.holdings import worst

_ZERO = Decimal(0)


class Exposure:
    """What the account would hold once the open orders and ``order`` have filled (built
    once per order, read by every exposure check).

    The figures that depend on the other symbols' prices (``equity``, ``other_gross``,
    ``other_net``) are exact decimals worked out when first read; :meth:`estimate` gives
    them in floats with a bound on their error, for a check to let through an order clearly
    inside its limits without them.

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
        "_estimated", "_symbol", "_valued", "_view", "adds", "after", "before", "holdings",
        "other_positions", "same_direction", "unit",
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
        self._view, self._symbol = view, symbol
        self._valued: Valuation | None = None
        self._estimated: Estimates | None = None

    @property
    def equity(self) -> Decimal:
        """The account's equity now."""
        return self._valuation().equity

    @property
    def other_gross(self) -> Decimal:
        """Absolute value of the other symbols' worst positions."""
        return self._valuation().other_gross

    @property
    def other_net(self) -> Decimal:
        """Signed value of the other symbols' worst positions."""
        return self._valuation().other_net

    @property
    def position_value(self) -> Decimal | None:
        """Absolute value of the symbol's worst position after the order."""
        return None if self.unit is None else abs(self.after) * self.unit

    @property
    def gross(self) -> Decimal | None:
        """Gross exposure after the order."""
        value = self.position_value
        return None if value is None else self.other_gross + value

    @property
    def net(self) -> Decimal | None:
        """Net exposure after the order (signed)."""
        return None if self.unit is None else self.other_net + self.after * self.unit

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
            if self._view is None or self._symbol is None:
                valued = _NOTHING_VALUED
            else:
                valued = self._view.valuation(self._symbol)
            self._valued = valued
        return valued


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
    """The account's estimates with the order's own position added."""
    unit = _NAN if after.unit is None else float(after.unit)
    position = float(after.after) * unit
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


def exposure(context: RiskContext, order: Order, price: Decimal | None) -> Exposure:
    """The :class:`Exposure` after ``order``, worked out once per order and shared."""
    known = context.recall(order)
    if known is None:
        known = REDUCING if order.reduce_only else _project(context, order, price)
        context.keep(order, known)
    return known  # type: ignore[return-value]  # only this function keeps an order's value


def _project(context: RiskContext, order: Order, price: Decimal | None) -> Exposure:
    """The order on top of its symbol's :class:`~tradeforge.risk.holdings.Base` and the
    account's view at the last prices."""
    symbol = order.symbol
    view = AccountView.now(context)
    base = view.holdings.base(symbol)
    view.estimate(symbol)  # an unpriced symbol with open entry orders is refused here
    held, buys, sells = base.held, base.buys, base.sells
    if order.side is OrderSide.BUY:
        after, same = worst(held, buys + order.quantity, sells), held > 0 or buys > 0
    else:
        after, same = worst(held, buys, sells + order.quantity), held < 0 or sells > 0
    at = price if price is not None else context.price(symbol)
    unit = None if at is None else context.unit_value(symbol, at)
    adds = abs(after) > abs(base.before)
    return Exposure(
        adds, same, base.before, after, unit, base.other_positions, base.holdings, view, symbol
    )
