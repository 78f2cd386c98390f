"""Circuit breakers: measures of the account and the market that move the trading state.

:class:`BreakerBoard` owns them (built from ``RiskConfig.breakers`` with
:meth:`BreakerBoard.from_config`), is fed by the kernel and holds the
:class:`~tradeforge.risk.state.TradingStateMachine` at REDUCING or HALTED while a breaker is
tripped. See ``docs/risk.md``, "Circuit breakers".
"""

from tradeforge.risk.breakers.account import (
    ConsecutiveLossesBreaker,
    DailyLossBreaker,
    DrawdownBreaker,
)
from tradeforge.risk.breakers.base import (
    BreakerEvent,
    BreakerLevel,
    CircuitBreaker,
    CircuitBreakerReleased,
    CircuitBreakerTripped,
)
from tradeforge.risk.breakers.board import BreakerBoard
from tradeforge.risk.breakers.market import VolatilityBreaker, realized_volatility, relative_atr
from tradeforge.risk.breakers.venue import ConnectionBreaker, ErrorRateBreaker, LatencyBreaker

__all__ = [
    "BreakerBoard",
    "BreakerEvent",
    "BreakerLevel",
    "CircuitBreaker",
    "CircuitBreakerReleased",
    "CircuitBreakerTripped",
    "ConnectionBreaker",
    "ConsecutiveLossesBreaker",
    "DailyLossBreaker",
    "DrawdownBreaker",
    "ErrorRateBreaker",
    "LatencyBreaker",
    "VolatilityBreaker",
    "realized_volatility",
    "relative_atr",
]
