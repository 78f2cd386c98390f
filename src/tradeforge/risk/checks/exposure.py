"""Checks of what the account would hold: pyramiding, position size, open positions, gross and
net exposure, leverage.

All compare the :class:`~tradeforge.risk.projection.Exposure` after the order (open entry
orders counted as filled, see :mod:`tradeforge.risk.projection`) and let every order that
does not add exposure pass. A figure equal to its limit passes.

The limits on the account's equity and total exposure first read the exposure's float
estimates: an order clearly inside them (by more than the estimates' error bound) passes at
once; any other is decided, and its reason written, on the exact decimals. When the exact
figures are at hand already (:attr:`~tradeforge.risk.projection.Exposure.valued`), they
decide at once.
"""

from __future__ import annotations

from decimal import Decimal

from tradeforge.risk.account_view import clearly_below
from tradeforge.risk.checks.base import LimitCheck, exposure_only
from tradeforge.risk.checks.text import limit, limit_percent, money, percent
from tradeforge.risk.context import RiskContext
from tradeforge.risk.limits import RiskConfig, RiskLimits
from tradeforge.risk.projection import Exposure, prepare_exposure
from tradeforge.risk.ticket import Ticket, Verdict

_ZERO = Decimal(0)


class _ExposureCheck(LimitCheck):
    """Reads the order's strategy's limits and the exposure after the order."""

    def __init__(self, config: RiskConfig, context: RiskContext) -> None:
        super().__init__(config, context)
        self._currency = context.portfolio.currency
        prepare_exposure(context)


class Pyramiding(_ExposureCheck):
    """Refuses an entry that adds to a position, or to open entry orders, in its own direction
    unless ``allow_pyramiding``."""

    rule = "pyramiding"

    def bind(self, strategy_id: str | None, limits: RiskLimits) -> Verdict | None:
        """See :meth:`LimitCheck.bind`."""
        return None if limits.allow_pyramiding else _pyramiding


def _pyramiding(ticket: Ticket) -> str:
    after = ticket.projected or ticket.exposure()
    if not (after.adds and after.same_direction):
        return ""
    side = ticket.side
    return (
        f"pyramiding: {side.name} {ticket.quantity} would add to the "
        f"{'long' if side.sign > 0 else 'short'} {abs(after.before)} {ticket.symbol} "
        f"(position and open entry orders); allow_pyramiding is off"
    )


class PositionSize(_ExposureCheck):
    """Largest position per symbol: quantity (``max_position_quantity``), value
    (``max_position_notional``) and share of equity (``max_position_pct_equity``)."""

    rule = "max_position_size"

    def bind(self, strategy_id: str | None, limits: RiskLimits) -> Verdict:
        """See :meth:`LimitCheck.bind` (without a limit, the order is still projected)."""
        quantities, cap = limits.symbol_quantities, limits.max_position_notional
        share = limits.max_position_pct_equity
        if not quantities and cap is None and share is None:
            return exposure_only
        most = 0.0 if share is None else float(share)
        currency = self._currency

        def verdict(ticket: Ticket) -> str:
            after = ticket.projected or ticket.exposure()
            if not after.adds:
                return ""
            largest = quantities.get(ticket.symbol) if quantities else None
            if largest is not None and abs(after.after) > largest:
                return _too_many(after, ticket, largest)
            value = after.position_value
            if value is None:
                return ""
            if cap is not None and value > cap:
                return (
                    f"max position notional: {money(value, currency)} would exceed "
                    f"{limit(cap)} {currency}"
                )
            if share is None or (not after.valued and _clearly_within_share(after, most)):
                return ""
            return _share_of_equity(value, after.equity, share, currency)

        return verdict


def _too_many(after: Exposure, ticket: Ticket, largest: Decimal) -> str:
    return (
        f"max position quantity: {abs(after.after)} {ticket.symbol} would exceed {limit(largest)}"
    )


def _clearly_within_share(after: Exposure, most: float) -> bool:
    """Equity is positive and the position's value at most ``most`` of it, by the
    estimates."""
    estimate = after.estimate()
    if estimate is None:
        return False
    equity, tolerance = estimate.equity, estimate.tolerance
    return clearly_below(0.0, equity, tolerance) and clearly_below(
        estimate.value, most * equity, (1 + most) * tolerance
    )


def _share_of_equity(value: Decimal, equity: Decimal, share: Decimal, currency: str) -> str:
    if equity <= _ZERO:
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

    def bind(self, strategy_id: str | None, limits: RiskLimits) -> Verdict | None:
        """See :meth:`LimitCheck.bind`."""
        most = limits.max_open_positions
        if most is None:
            return None

        def verdict(ticket: Ticket) -> str:
            after = ticket.projected or ticket.exposure()
            if not after.adds or after.before or after.other_positions + 1 <= most:
                return ""
            return (
                f"max open positions: {ticket.symbol} would be position "
                f"{after.other_positions + 1}, the limit is {limit(most)}"
            )

        return verdict


class TotalExposure(_ExposureCheck):
    """Largest gross (``max_gross_exposure``) and absolute net (``max_net_exposure``) value of
    every position together."""

    rule = "max_total_exposure"

    def bind(self, strategy_id: str | None, limits: RiskLimits) -> Verdict:
        """See :meth:`LimitCheck.bind` (without a limit, the order is still projected)."""
        gross_cap, net_cap = limits.max_gross_exposure, limits.max_net_exposure
        if gross_cap is None and net_cap is None:
            return exposure_only
        caps = _Caps(gross_cap, net_cap)
        ccy = self._currency

        def verdict(ticket: Ticket) -> str:
            after = ticket.projected or ticket.exposure()
            if not after.adds or after.unit is None:
                return ""
            if not after.valued and _clearly_within_totals(after, caps):
                return ""
            _, _, gross, net = after.figures()
            assert gross is not None  # the unit is known
            assert net is not None
            if gross_cap is not None and gross > gross_cap:
                return (
                    f"max gross exposure: {money(gross, ccy)} would exceed {limit(gross_cap)} {ccy}"
                )
            if net_cap is not None and abs(net) > net_cap:
                return f"max net exposure: {money(net, ccy)} would exceed {limit(net_cap)} {ccy}"
            return ""

        return verdict


class _Caps:
    """The caps on gross and net exposure in floats (``None`` when off)."""

    __slots__ = ("gross", "net")

    def __init__(self, gross: Decimal | None, net: Decimal | None) -> None:
        self.gross = None if gross is None else float(gross)
        self.net = None if net is None else float(net)


def _clearly_within_totals(after: Exposure, caps: _Caps) -> bool:
    """Gross and absolute net exposure at most their caps, by the estimates."""
    estimate = after.estimate()
    if estimate is None:
        return False
    cap = caps.gross
    if cap is not None and not clearly_below(estimate.gross, cap, estimate.tolerance):
        return False
    cap = caps.net
    return cap is None or clearly_below(abs(estimate.net), cap, estimate.tolerance)


class Leverage(_ExposureCheck):
    """Gross exposure over equity at most ``max_leverage``."""

    rule = "max_leverage"

    def bind(self, strategy_id: str | None, limits: RiskLimits) -> Verdict | None:
        """See :meth:`LimitCheck.bind`."""
        most = limits.max_leverage
        if most is None:
            return None
        times, ccy = float(most), self._currency

        def verdict(ticket: Ticket) -> str:
            after = ticket.projected or ticket.exposure()
            if not after.adds or after.unit is None:
                return ""
            if not after.valued and _clearly_within_leverage(after, times):
                return ""
            equity, _, gross, _ = after.figures()
            assert gross is not None  # the unit is known
            if equity <= _ZERO:
                return f"max leverage: equity is {money(equity, ccy)}, no room at all"
            leverage = gross / equity
            if leverage > most:
                return (
                    f"max leverage: {leverage:.2f}x ({money(gross, ccy)} on equity "
                    f"{money(equity, ccy)}) would exceed {limit(most)}x"
                )
            return ""

        return verdict


def _clearly_within_leverage(after: Exposure, times: float) -> bool:
    """Equity is positive and gross exposure at most ``times`` it, by the estimates."""
    estimate = after.estimate()
    if estimate is None:
        return False
    equity, tolerance = estimate.equity, estimate.tolerance
    return clearly_below(0.0, equity, tolerance) and clearly_below(
        estimate.gross, times * equity, (1 + times) * tolerance
    )
