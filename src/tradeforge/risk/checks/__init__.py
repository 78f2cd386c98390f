"""The pre-trade checks, one small class per limit (see :mod:`tradeforge.risk.build`)."""

from tradeforge.risk.checks.account import DailyLoss, DayStartEquity
from tradeforge.risk.checks.exposure import (
    Leverage,
    OpenPositions,
    PositionSize,
    Pyramiding,
    TotalExposure,
)
from tradeforge.risk.checks.market import AllowedMarkets, Correlation, TradingHours
from tradeforge.risk.checks.orders import (
    DuplicateOrder,
    OrderRate,
    PriceBand,
    StopLossRequired,
    TotalOrderRate,
)
from tradeforge.risk.checks.venue import BalanceCheck, InstrumentFilters

__all__ = [
    "AllowedMarkets",
    "BalanceCheck",
    "Correlation",
    "DailyLoss",
    "DayStartEquity",
    "DuplicateOrder",
    "InstrumentFilters",
    "Leverage",
    "OpenPositions",
    "OrderRate",
    "PositionSize",
    "PriceBand",
    "Pyramiding",
    "StopLossRequired",
    "TotalExposure",
    "TotalOrderRate",
    "TradingHours",
]
