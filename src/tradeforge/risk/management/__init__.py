"""In-trade management: stop loss, take profit, trailing stop, break-even and time stop.

A strategy hands its position in a symbol to a :class:`TradeManager`::

    def on_start(self):
        self.manage(TradeManager(stop=StopLoss(atr=2), trail=TrailingStop(atr=3),
                                 break_even=BreakEven(r=1), time_stop=TimeStop(bars=48)))

and buys or sells as usual; the manager places the exits of every position that opens, moves
them after each bar and cleans up when the position closes, on the venue when the venue takes
stop orders and emulated otherwise. ``docs/risk.md`` ("In-trade management") says what each
rule does to results, and why its defaults are what they are.
"""

from tradeforge.risk.management.manager import TradeBinding, TradeManager
from tradeforge.risk.management.route import Follower, TradeRoute
from tradeforge.risk.management.rules import (
    BreakEven,
    ManagementError,
    StopLoss,
    TakeProfit,
    TimeStop,
    TrailingStop,
)
from tradeforge.risk.management.trade import ManagedTrade, StopMove

__all__ = [
    "BreakEven",
    "Follower",
    "ManagedTrade",
    "ManagementError",
    "StopLoss",
    "StopMove",
    "TakeProfit",
    "TimeStop",
    "TradeBinding",
    "TradeManager",
    "TradeRoute",
    "TrailingStop",
]
