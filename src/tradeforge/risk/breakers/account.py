"""Breakers on the account's results: the day's loss, the drawdown, the losing streak.

Equity is the portfolio's (cash plus positions at the last prices, unrealized PnL in a margin
account), read when the breaker is checked: at each bar's close in a backtest. Money
comparisons are exact: a loss reaches a level ``f`` when ``loss >= f × reference``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tradeforge.portfolio.portfolio import Portfolio
from tradeforge.portfolio.trades import TradeRecord
from tradeforge.risk.breaker_limits import (
    ConsecutiveLossesBreaker as ConsecutiveLossesLimits,
)
from tradeforge.risk.breaker_limits import DailyLossBreaker as DailyLossLimits
from tradeforge.risk.breaker_limits import DrawdownBreaker as DrawdownLimits
from tradeforge.risk.breakers.base import BreakerLevel, CircuitBreaker
from tradeforge.risk.checks.account import DayStartEquity
from tradeforge.risk.checks.text import limit_percent, money, percent
from tradeforge.risk.context import RiskContext

_ZERO = Decimal(0)


class DailyLossBreaker(CircuitBreaker):
    """The day's loss as a fraction of the equity at 00:00 UTC (the start-of-day equity of
    the ``daily_loss_limit`` check: the ledger at midnight, valued at the closes of then).

    Parameters
    ----------
    limits : DailyLossBreaker limits
    context : RiskContext
        Its portfolio and price history (required).
    """

    name = "daily_loss"

    def __init__(self, limits: DailyLossLimits, context: RiskContext) -> None:
        super().__init__(limits)
        if context.history is None:
            raise ValueError("the daily loss breaker needs the context's price history")
        self._portfolio = context.portfolio
        self._day_start = DayStartEquity(context, context.history)
        self._start = self._loss = _ZERO

    def measure(self, now: int) -> Decimal:
        """The day's loss over the start-of-day equity (negative: a gain)."""
        self._start = self._day_start.at(now)
        self._loss = self._start - self._portfolio.equity()
        return self._loss / self._start if self._start > 0 else _ZERO

    def reaches(self, value: Any, threshold: Any) -> bool:
        """``loss >= threshold × start``, exactly."""
        return self._start > 0 and self._loss >= threshold * self._start

    def describe(self, value: Any) -> str:
        """``equity is down 41.20 USD (3.92%) from 1,050.50 USD at 00:00 UTC``."""
        ccy = self._portfolio.currency
        way = "down" if self._loss >= 0 else "up"
        return (
            f"equity is {way} {money(abs(self._loss), ccy)} ({percent(abs(value))}) from "
            f"{money(self._start, ccy)} at 00:00 UTC"
        )

    def threshold_text(self, level: BreakerLevel) -> str:
        """``5%``."""
        return limit_percent(self.threshold(level))


class DrawdownBreaker(CircuitBreaker):
    """How far equity is below its peak (the highest equity seen at a check), as a fraction of
    the peak. Released when the cooldown has passed, it measures from the equity of then.

    Parameters
    ----------
    limits : DrawdownBreaker limits
    portfolio : Portfolio
    """

    name = "drawdown"
    restarts = True

    def __init__(self, limits: DrawdownLimits, portfolio: Portfolio) -> None:
        super().__init__(limits)
        self._portfolio = portfolio
        self._peak: Decimal | None = None
        self._equity = _ZERO

    def measure(self, now: int) -> Decimal:
        """``(peak - equity) / peak``; the peak moves up with equity."""
        self._equity = equity = self._portfolio.equity()
        if self._peak is None or equity > self._peak:
            self._peak = equity
        return (self._peak - equity) / self._peak if self._peak > 0 else _ZERO

    def reaches(self, value: Any, threshold: Any) -> bool:
        """``peak - equity >= threshold × peak``, exactly."""
        peak = self._peak
        return peak is not None and peak > 0 and peak - self._equity >= threshold * peak

    def restart(self, now: int) -> None:
        """The peak becomes the equity now."""
        self._peak = self._portfolio.equity()

    def describe(self, value: Any) -> str:
        """``equity 8,000.00 USDT is 20.00% below its peak 10,000.00 USDT``."""
        ccy = self._portfolio.currency
        peak = self._equity if self._peak is None else self._peak
        return (
            f"equity {money(self._equity, ccy)} is {percent(value)} below its peak "
            f"{money(peak, ccy)}"
        )

    def threshold_text(self, level: BreakerLevel) -> str:
        """``20%``."""
        return limit_percent(self.threshold(level))


class ConsecutiveLossesBreaker(CircuitBreaker):
    """Round trips closed at a loss in a row, net of fees, in the order they closed; a trade
    that is not a loss ends the streak. Released when the cooldown has passed, it counts
    from zero.

    Parameters
    ----------
    limits : ConsecutiveLossesBreaker limits
    portfolio : Portfolio
        Its round trips (``portfolio.trades``).
    """

    name = "consecutive_losses"
    restarts = True

    def __init__(self, limits: ConsecutiveLossesLimits, portfolio: Portfolio) -> None:
        super().__init__(limits)
        self._trades = portfolio.trades
        self._seen = 0
        self._open: list[TradeRecord] = []
        self.streak = 0
        """Losing round trips in a row so far."""

    def measure(self, now: int) -> int:
        """The streak, counting the round trips closed since the last check."""
        self._count_closed()
        return self.streak

    def _count_closed(self) -> None:
        trades = self._trades
        if len(trades) > self._seen:
            self._open += trades[self._seen :]
            self._seen = len(trades)
        if not self._open:
            return
        closed = [t for t in self._open if not t.is_open]
        if closed:
            self._open = [t for t in self._open if t.is_open]
            for trade in sorted(closed, key=_exit_time):
                self.streak = self.streak + 1 if trade.net_pnl < 0 else 0

    def restart(self, now: int) -> None:
        """The streak starts over (trades closed until now are counted first)."""
        self._count_closed()
        self.streak = 0

    def describe(self, value: Any) -> str:
        """``5 losing round trips in a row``."""
        return f"{value} losing round trip{'' if value == 1 else 's'} in a row"


def _exit_time(trade: TradeRecord) -> int:
    return trade.exit_ts if trade.exit_ts is not None else 0
