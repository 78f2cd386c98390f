"""Checks of what the account would hold: pyramiding, position size, open positions, gross and
net exposure, leverage.

All compare the :class:`~tradeforge.risk.projection.Exposure` after the order (open entry
orders counted as filled, see :mod:`tradeforge.risk.projection`) and let every order that
does not add exposure pass. A figure equal to its limit passes.

The limits on the account's equity and total exposure first read the exposure's float
estimates: an order clearly inside them (by more than the estimates' error bound) passes at
once; any other is decided, and its reason written, on the exact decimals.
"""

from __future__ import annotations

from decimal import Decimal

from tradeforge.model.orders import Order
from tradeforge.risk.account_view import clearly_below
from tradeforge.risk.checks.text import limit, limit_percent, money, percent
from tradeforge.risk.context import RiskContext
from tradeforge.risk.limits import LimitsIndex, RiskConfig, RiskLimits
from tradeforge.risk.projection import Exposure, exposure, prepare_exposure


class _ExposureCheck:
    """Reads the order's strategy's limits and the exposure after the order."""

    def __init__(self, config: RiskConfig, context: RiskContext) -> None:
        self._limits = LimitsIndex(config)
        self._context = context
        self._currency = context.portfolio.currency
        prepare_exposure(context)


class Pyramiding(_ExposureCheck):
    """Refuses an entry that adds to a position, or to open entry orders, in its own direction
    unless ``allow_pyramiding``."""

    rule = "pyramiding"

    def reason(self, order: Order, price: Decimal | None, notional: Decimal | None) -> str:
        """Why the order would pyramid; empty when it does not or may."""
        if self._limits.of(order.strategy_id).allow_pyramiding:
            return ""
        after = exposure(self._context, order, price)
        if not (after.adds and after.same_direction):
            return ""
        direction = "long" if order.side.sign > 0 else "short"
        return (
            f"pyramiding: {order.side.name} {order.quantity} would add to the {direction} "
            f"{abs(after.before)} {order.symbol} (position and open entry orders); "
            f"allow_pyramiding is off"
        )


class PositionSize(_ExposureCheck):
    """Largest position per symbol: quantity (``max_position_quantity``), value
    (``max_position_notional``) and share of equity (``max_position_pct_equity``)."""

    rule = "max_position_size"

    def reason(self, order: Order, price: Decimal | None, notional: Decimal | None) -> str:
        """Why the position would grow too large; empty when it would not."""
        limits = self._limits.of(order.strategy_id)
        after = exposure(self._context, order, price)
        if not after.adds:
            return ""
        most = limits.symbol_quantities.get(order.symbol)
        if most is not None and abs(after.after) > most:
            return (
                f"max position quantity: {abs(after.after)} {order.symbol} "
                f"would exceed {limit(most)}"
            )
        value = after.position_value
        if value is None:
            return ""
        cap = limits.max_position_notional
        if cap is not None and value > cap:
            return (
                f"max position notional: {money(value, self._currency)} would exceed "
                f"{limit(cap)} {self._currency}"
            )
        share = limits.max_position_pct_equity
        if share is None or _clearly_within_share(after, value, share):
            return ""
        return _share_of_equity(value, after.equity, share, self._currency)


def _clearly_within_share(after: Exposure, value: Decimal, share: Decimal) -> bool:
    """Equity is positive and ``value`` at most ``share`` of it, by the estimates."""
    estimate = after.estimate()
    if estimate is None:
        return False
    equity, tolerance, most = estimate.equity, estimate.tolerance, float(share)
    return clearly_below(0.0, equity, tolerance) and clearly_below(
        estimate.value, most * equity, (1 + most) * tolerance
    )


def _share_of_equity(value: Decimal, equity: Decimal, share: Decimal, currency: str) -> str:
    if equity <= 0:
        return f"max position % of equity: equity is {money(equity, currency)}, no room at all"
    if value > share * equity:
        return (
            f"max position % of equity: {money(value, currency)} is {percent(value / equity)} "
            f"of equity {money(equity, currency)}, above {limit_percent(share)}"
        )
    return ""


class OpenPositions(_ExposureCheck):
    """At most ``max_open_positions`` symbols with a position or an open entry order."""

    rule = "max_open_positions"

    def reason(self, order: Order, price: Decimal | None, notional: Decimal | None) -> str:
        """Why the order would open one position too many; empty when it would not."""
        most = self._limits.of(order.strategy_id).max_open_positions
        if most is None:
            return ""
        after = exposure(self._context, order, price)
        if not after.adds or after.before:
            return ""
        if after.other_positions + 1 > most:
            return (
                f"max open positions: {order.symbol} would be position "
                f"{after.other_positions + 1}, the limit is {limit(most)}"
            )
        return ""


class TotalExposure(_ExposureCheck):
    """Largest gross (``max_gross_exposure``) and absolute net (``max_net_exposure``) value of
    every position together."""

    rule = "max_total_exposure"

    def reason(self, order: Order, price: Decimal | None, notional: Decimal | None) -> str:
        """Why the account's exposure would grow too large; empty when it would not."""
        limits = self._limits.of(order.strategy_id)
        after = exposure(self._context, order, price)
        if not after.adds or after.unit is None or _clearly_within_totals(after, limits):
            return ""
        gross, net = after.gross, after.net
        assert gross is not None  # the unit is known
        assert net is not None
        ccy = self._currency
        cap = limits.max_gross_exposure
        if cap is not None and gross > cap:
            return f"max gross exposure: {money(gross, ccy)} would exceed {limit(cap)} {ccy}"
        cap = limits.max_net_exposure
        if cap is not None and abs(net) > cap:
            return f"max net exposure: {money(net, ccy)} would exceed {limit(cap)} {ccy}"
        return ""


def _clearly_within_totals(after: Exposure, limits: RiskLimits) -> bool:
    """Gross and absolute net exposure at most their caps, by the estimates."""
    estimate = after.estimate()
    if estimate is None:
        return False
    cap = limits.max_gross_exposure
    if cap is not None and not clearly_below(estimate.gross, float(cap), estimate.tolerance):
        return False
    cap = limits.max_net_exposure
    return cap is None or clearly_below(abs(estimate.net), float(cap), estimate.tolerance)


class Leverage(_ExposureCheck):
    """Gross exposure over equity at most ``max_leverage``."""

    rule = "max_leverage"

    def reason(self, order: Order, price: Decimal | None, notional: Decimal | None) -> str:
        """Why the account would be levered too high; empty when it would not."""
        most = self._limits.of(order.strategy_id).max_leverage
        if most is None:
            return ""
        after = exposure(self._context, order, price)
        if not after.adds or after.unit is None or _clearly_within_leverage(after, most):
            return ""
        gross = after.gross
        assert gross is not None  # the unit is known
        if after.equity <= 0:
            return f"max leverage: equity is {money(after.equity, self._currency)}, no room at all"
        leverage = gross / after.equity
        if leverage > most:
            return (
                f"max leverage: {leverage:.2f}x ({money(gross, self._currency)} on equity "
                f"{money(after.equity, self._currency)}) would exceed {limit(most)}x"
            )
        return ""


def _clearly_within_leverage(after: Exposure, most: Decimal) -> bool:
    """Equity is positive and gross exposure at most ``most`` times it, by the estimates."""
    estimate = after.estimate()
    if estimate is None:
        return False
    equity, tolerance, times = estimate.equity, estimate.tolerance, float(most)
    return clearly_below(0.0, equity, tolerance) and clearly_below(
        estimate.gross, times * equity, (1 + times) * tolerance
    )
