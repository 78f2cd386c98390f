"""Order sizing shared by the built-in strategies (spot, long only).

Every built-in strategy sizes its orders itself, with explicit quantities, by the rule of
:meth:`Strategy.order_target_percent <tradeforge.strategy.Strategy.order_target_percent>`:
a value of equity is turned into a quantity at the symbol's last close, the taker fee included,
truncated to the instrument's quantity step. Equity is valued here at the last closes of the
strategy's own data (``cash + sum(quantity * last close)``), so the figure is the one a trader
sees when the bar closes, whatever price the portfolio last booked a fill at.
"""

from __future__ import annotations

from decimal import Decimal

from tradeforge.model.symbol import Symbol
from tradeforge.model.values import EXACT, Quantity, truncate_to_step
from tradeforge.strategy.base import Strategy

_ONE = Decimal(1)
_ZERO = Decimal(0)


def last_close(strategy: Strategy, symbol: Symbol | None = None) -> Decimal:
    """The last close of ``symbol`` (its shortest timeframe), exactly as the float reads."""
    return Decimal(repr(strategy.data(symbol).close[-1]))


def marked_equity(strategy: Strategy) -> Decimal:
    """Cash plus every open position valued at its symbol's last close (spot accounts)."""
    equity = strategy.portfolio.cash
    for symbol, position in strategy.portfolio.positions().items():
        value = EXACT.multiply(position.signed_qty, last_close(strategy, symbol))
        equity = EXACT.add(equity, value)
    return equity


def quantity_for_value(strategy: Strategy, value: Decimal, symbol: Symbol | None = None) -> Decimal:
    """The quantity of ``symbol`` that ``value`` (quote currency, taker fee included) buys at
    the last close, truncated to the quantity step; 0 when it buys less than one step."""
    instrument = strategy.instrument(symbol)
    unit = EXACT.multiply(last_close(strategy, symbol), _ONE + instrument.taker_fee)
    if value <= 0 or unit <= 0:
        return _ZERO
    return truncate_to_step(Quantity(value / unit), instrument.quantity_step)


def affordable_quantity(strategy: Strategy, symbol: Symbol | None = None) -> Decimal:
    """The quantity worth :attr:`~Strategy.default_fraction` of the marked equity at the last
    close, taker fee included, truncated to the quantity step (0 when less than one step)."""
    share = Decimal(repr(float(strategy.default_fraction)))
    return quantity_for_value(strategy, EXACT.multiply(marked_equity(strategy), share), symbol)
