"""The exposure an order would leave: what the position and exposure limits compare.

Open entry orders count as if filled, in the direction that makes a position largest, so two
orders sent before either fills cannot slip past a limit together. Per symbol, with ``held``
the position and ``buys`` / ``sells`` the quantities of the open orders that are not
reduce-only, the *worst* position is ``held + buys`` or ``held - sells``, whichever is larger in
absolute value. The order under check is added to its side; it *adds* exposure when its
symbol's worst position grows in absolute value. Positions are valued at the last price (as
the portfolio values them), the order's symbol at the order's price (the last price for a
market order), times the contract size.
"""

from __future__ import annotations

from decimal import Decimal
from typing import NamedTuple, cast

from tradeforge.model.enums import OrderSide
from tradeforge.model.orders import Order
from tradeforge.model.symbol import Symbol
from tradeforge.risk.context import RiskContext

_ZERO = Decimal(0)
_NOTHING = (_ZERO, _ZERO)


class Exposure(NamedTuple):
    """What the account would hold once the open orders and ``order`` have filled (a named
    tuple: built once per order, read by every exposure check).

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

    adds: bool
    same_direction: bool
    before: Decimal
    after: Decimal
    unit: Decimal | None
    other_gross: Decimal
    other_net: Decimal
    other_positions: int
    equity: Decimal
    holdings: tuple[tuple[Symbol, Decimal], ...] = ()

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


REDUCING = Exposure(False, False, _ZERO, _ZERO, None, _ZERO, _ZERO, 0, _ZERO)
"""What a reduce-only order is given: it adds nothing, so no limit looks further."""


def exposure(context: RiskContext, order: Order, price: Decimal | None) -> Exposure:
    """The :class:`Exposure` after ``order``, worked out once per order and shared."""
    if order.reduce_only:
        return REDUCING
    known = context.recall(order)
    if known is None:
        known = _project(context, order, price)
        context.keep(order, known)
    return cast(Exposure, known)


def _project(context: RiskContext, order: Order, price: Decimal | None) -> Exposure:
    """One pass over the positions and one over the open orders, each mark read once."""
    pending = _pending(context)
    symbol, portfolio = order.symbol, context.portfolio
    margin = portfolio.account == "margin"
    held = _ZERO
    equity, gross, net, count = portfolio.cash, _ZERO, _ZERO, 0
    holdings = []
    for other, position in portfolio.positions().items():
        qty = position.signed_qty
        unit = context.unit_value(other, context.mark(other))
        value = qty * unit
        equity += value - position.basis if margin else value
        if other == symbol:
            held = qty
            continue
        holdings.append((other, qty))
        more = pending.pop(other, None)
        if more is not None:
            value = _worst(qty, more[0], more[1]) * unit
        gross, net, count = gross + abs(value), net + value, count + 1
    buys, sells = pending.pop(symbol, _NOTHING)
    for other, (other_buys, other_sells) in pending.items():  # entry orders, no position yet
        worst = other_buys if other_buys >= other_sells else -other_sells
        value = worst * context.unit_value(other, context.mark(other))
        gross, net, count = gross + abs(value), net + value, count + 1
    before = _worst(held, buys, sells)
    if order.side is OrderSide.BUY:
        after, same = _worst(held, buys + order.quantity, sells), held > 0 or buys > 0
    else:
        after, same = _worst(held, buys, sells + order.quantity), held < 0 or sells > 0
    at = price if price is not None else context.price(symbol)
    return Exposure(
        abs(after) > abs(before),
        same,
        before,
        after,
        None if at is None else context.unit_value(symbol, at),
        gross,
        net,
        count,
        equity,
        tuple(holdings),
    )


def _pending(context: RiskContext) -> dict[Symbol, tuple[Decimal, Decimal]]:
    """Per symbol, the open quantities to buy and to sell that may add exposure."""
    book: dict[Symbol, tuple[Decimal, Decimal]] = {}
    for o in context.open_orders():
        if o.reduce_only:
            continue
        buys, sells = book.get(o.symbol, _NOTHING)
        leaves = o.quantity - o.filled_qty
        if o.side is OrderSide.BUY:
            book[o.symbol] = (buys + leaves, sells)
        else:
            book[o.symbol] = (buys, sells + leaves)
    return book


def _worst(held: Decimal, buys: Decimal, sells: Decimal) -> Decimal:
    up, down = held + buys, held - sells
    return up if abs(up) >= abs(down) else down
