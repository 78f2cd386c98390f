"""From a :class:`~tradeforge.risk.limits.RiskConfig` to the checks the risk engine runs.

A check is built when the default limits or any strategy's override enable it; at each order
it reads the limits of the order's strategy, so one check serves every strategy. The venue's
own rules (instrument filters, balance or margin) are always built, and the trading-state gate
given by the kernel always runs first. The order they run in, which decides the reason an
order breaking several limits gets:

0. trading state (ACTIVE, REDUCING, HALTED); 1. duplicate order; 2. allowed symbols and
venues; 3. trading hours; 4. order rate per strategy, then in total; 5. the instrument's
filters (tick, step, minimum quantity and notional); 6. price band; 7. stop loss (take profit)
required; 8. daily loss; 9. pyramiding; 10. position size; 11. open positions; 12. gross and
net exposure; 13. leverage; 14. correlation; 15. balance or margin.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from tradeforge.risk.checks import (
    AllowedMarkets,
    BalanceCheck,
    Correlation,
    DailyLoss,
    DuplicateOrder,
    InstrumentFilters,
    Leverage,
    OpenPositions,
    OrderRate,
    PositionSize,
    PriceBand,
    Pyramiding,
    StopLossRequired,
    TotalExposure,
    TotalOrderRate,
    TradingHours,
)
from tradeforge.risk.context import RiskContext
from tradeforge.risk.engine import RiskCheck
from tradeforge.risk.limits import RiskConfig, RiskLimits

_Factory = Callable[[RiskConfig, RiskContext], RiskCheck]
_CONFIGURED: tuple[tuple[Callable[[RiskLimits], bool], _Factory], ...] = (
    (lambda x: x.reject_duplicate_ids or x.duplicate_window is not None, DuplicateOrder),
    (lambda x: x.allowed_symbols is not None or x.allowed_venues is not None, AllowedMarkets),
    (lambda x: x.trading_hours is not None, TradingHours),
    (lambda x: x.order_rate is not None, OrderRate),
)
_AFTER_FILTERS: tuple[tuple[Callable[[RiskLimits], bool], _Factory], ...] = (
    (lambda x: x.price_band is not None, PriceBand),
    (lambda x: x.require_stop_loss or x.require_take_profit, StopLossRequired),
    (lambda x: x.daily_loss_limit is not None, DailyLoss),
    (lambda x: not x.allow_pyramiding, Pyramiding),
    (
        lambda x: (
            x.max_position_quantity is not None
            or x.max_position_notional is not None
            or x.max_position_pct_equity is not None
        ),
        PositionSize,
    ),
    (lambda x: x.max_open_positions is not None, OpenPositions),
    (lambda x: x.max_gross_exposure is not None or x.max_net_exposure is not None, TotalExposure),
    (lambda x: x.max_leverage is not None, Leverage),
    (lambda x: x.max_correlation is not None, Correlation),
)


def build_checks(
    config: RiskConfig | None,
    context: RiskContext,
    leverage: Decimal = Decimal(1),
    *,
    gate: RiskCheck | None = None,
) -> list[RiskCheck]:
    """The checks ``config`` asks for, in the order they run, with the venue's rules.

    Parameters
    ----------
    config : RiskConfig or None
        ``None``: only the venue's rules (instrument filters, then balance or margin).
    context : RiskContext
        What the checks read.
    leverage : Decimal
        The account's leverage, for the margin a margin-account order needs.
    gate : RiskCheck, optional
        The trading-state gate (:class:`~tradeforge.risk.gate.TradingStateGate`): put first,
        with or without ``config``.

    Raises
    ------
    ValueError
        When a limit needs what the context lacks (the daily loss limit and the correlation
        limit need its price history).
    """
    filters = InstrumentFilters(context.instruments)
    balance = BalanceCheck(
        context.instruments, context.portfolio, context.open_orders, leverage, context=context
    )
    first = [] if gate is None else [gate]
    if config is None:
        return [*first, filters, balance]
    every = config.every_limits()
    checks = first + [
        make(config, context) for wanted, make in _CONFIGURED if any(map(wanted, every))
    ]
    if config.total_order_rate is not None:
        checks.append(TotalOrderRate(config, context))
    checks.append(filters)
    checks += [make(config, context) for wanted, make in _AFTER_FILTERS if any(map(wanted, every))]
    checks.append(balance)
    return checks
