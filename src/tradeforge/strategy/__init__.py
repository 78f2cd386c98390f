"""The strategy API."""

from tradeforge.data.lines import Line, LookAheadError, crossover, crossunder
from tradeforge.strategy.base import Strategy
from tradeforge.strategy.errors import OrderRequestError, StrategyError
from tradeforge.strategy.params import ParameterError

__all__ = [
    "Line",
    "LookAheadError",
    "OrderRequestError",
    "ParameterError",
    "Strategy",
    "StrategyError",
    "crossover",
    "crossunder",
]
