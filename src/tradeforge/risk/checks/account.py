"""The daily loss limit: no new exposure once the day's loss reaches a share of the equity the
account had when the UTC day began.

The start-of-day equity is exact, not the equity at the first order of the day: cash and
positions as the portfolio's ledger had them at 00:00 UTC, valued at the closes of the bars
that closed at or before 00:00 (``RiskContext.history``), as the equity curve values them.
"""

from __future__ import annotations

from decimal import Decimal

from tradeforge.model.symbol import Symbol
from tradeforge.portfolio.portfolio import LedgerEntry
from tradeforge.risk.account_view import clearly_below
from tradeforge.risk.checks.base import LimitCheck
from tradeforge.risk.checks.text import limit_percent, money, percent
from tradeforge.risk.context import PriceHistory, RiskContext
from tradeforge.risk.limits import RiskConfig, RiskLimits
from tradeforge.risk.projection import Exposure, prepare_exposure
from tradeforge.risk.ticket import Ticket, Verdict

NANOS_PER_DAY = 86_400 * 1_000_000_000
_ZERO = Decimal(0)


class DayStartEquity:
    """The equity at the start of the current UTC day, from the ledger and the closes.

    Ledger entries are read once, in order, up to each new day's start (an entry counts from
    the close of the bar it was booked in, as in the equity curve). The figure is fixed for
    the day by the day's first order (:meth:`at`). Worked out ahead at a bar's close
    (:meth:`prepare`) at 00:00 exactly, it is provisional: another symbol's 00:00 bar or a
    fill booked at 00:00 may still come, so the first order reads it only if the ledger's
    length and the held symbols' last close times are still those it was worked out from
    (else it works it out again, as without the preparation).
    """

    def __init__(self, context: RiskContext, history: PriceHistory) -> None:
        self._portfolio = context.portfolio
        self._instruments = context.instruments
        self._history = history
        self._read = 0
        self._cash = context.portfolio.initial_cash
        self._held: dict[Symbol, tuple[Decimal, Decimal]] = {}  # quantity, cost basis
        self._day = -1
        self._equity = _ZERO
        self._provisional: tuple[int, tuple[int | None, ...]] | None = None  # what it read

    def at(self, now_ns: int) -> Decimal:
        """The equity at 00:00 UTC of the day of ``now_ns`` (fixed for the day from now)."""
        day = now_ns // NANOS_PER_DAY
        if day != self._day:
            self._day = day
            self._equity = self._compute(day * NANOS_PER_DAY)
        elif self._stale():
            self._equity = self._compute(day * NANOS_PER_DAY)
        self._provisional = None
        return self._equity

    def prepare(self, now_ns: int) -> None:
        """At a bar's close: the figure of the day of ``now_ns``, as its first order would
        work it out (fixed once the clock is past 00:00; provisional at 00:00 exactly)."""
        if now_ns % NANOS_PER_DAY:
            self.at(now_ns)  # every bar that closed at 00:00 has been seen (a replay)
            return
        day = now_ns // NANOS_PER_DAY
        if day != self._day or self._stale():
            self._day = day
            self._equity = self._compute(now_ns)
            self._provisional = self._inputs()

    def _stale(self) -> bool:
        """A provisional figure whose inputs changed since it was worked out."""
        return self._provisional is not None and self._provisional != self._inputs()

    def _inputs(self) -> tuple[int, tuple[int | None, ...]]:
        """What the figure was read from and may still change at 00:00: the ledger's length
        and the last close time of each symbol held (the same symbols while the length is)."""
        last_close = self._history.last_close_time
        return len(self._portfolio.ledger), tuple(
            last_close(symbol) for symbol, (qty, _) in self._held.items() if qty
        )

    def _compute(self, start: int) -> Decimal:
        ledger = self._portfolio.ledger
        while self._read < len(ledger) and _counts_from(ledger[self._read]) <= start:
            entry = ledger[self._read]
            self._cash = entry.cash
            self._held[entry.symbol] = (entry.position_qty, entry.position_cost)
            self._read += 1
        margin = self._portfolio.account == "margin"
        equity = self._cash
        for symbol, (qty, cost) in self._held.items():
            if not qty:
                continue
            close = self._history.close_at(symbol, start)
            if close is None:  # no bar closed yet: valued at what it cost
                equity += _ZERO if margin else cost
                continue
            instrument = self._instruments.get(symbol)
            size = instrument.contract_size if instrument is not None else Decimal(1)
            value = qty * size * Decimal(repr(close))
            equity += value - cost if margin else value
        return equity


def _counts_from(entry: LedgerEntry) -> int:
    return entry.ts if entry.counts_from is None else entry.counts_from


class DailyLoss(LimitCheck):
    """Refuses orders that add exposure once equity is ``daily_loss_limit`` (a fraction) or
    more below the start-of-day equity."""

    rule = "daily_loss_limit"

    def __init__(self, config: RiskConfig, context: RiskContext) -> None:
        if context.history is None:
            raise ValueError("daily_loss_limit needs the context's price history")
        super().__init__(config, context)
        self._start = DayStartEquity(context, context.history)
        self._begun: tuple[Decimal | None, float] = (None, 0.0)  # the start, in floats
        self._currency = context.portfolio.currency
        prepare_exposure(context)
        context.prepare_with(f"day_start {id(self)}", self.prepare)

    def prepare(self, symbol: Symbol | None = None) -> None:
        """At a bar's close: the start-of-day equity of a new day, as the day's first order
        would work it out (:meth:`DayStartEquity.prepare`)."""
        self._start.prepare(self._context.clock.timestamp_ns())

    def bind(self, strategy_id: str | None, limits: RiskLimits) -> Verdict | None:
        """See :meth:`LimitCheck.bind`."""
        most = limits.daily_loss_limit
        if most is None:
            return None
        share = float(most)

        def verdict(ticket: Ticket) -> str:
            after = ticket.projected or ticket.exposure()
            if not after.adds:
                return ""
            start = self._start.at(ticket.now)
            if start <= _ZERO:
                return ""
            if not after.valued and _clearly_within(after, self._float(start), share):
                return ""
            loss = start - after.equity
            if loss < most * start:
                return ""
            return _down(loss, start, most, self._currency)

        return verdict

    def _float(self, start: Decimal) -> float:
        """``start`` in floats (converted once per start-of-day equity)."""
        seen, begun = self._begun
        if seen is not start:
            begun = float(start)
            self._begun = (start, begun)
        return begun


def _down(loss: Decimal, start: Decimal, most: Decimal, ccy: str) -> str:
    return (
        f"daily loss limit: equity is down {money(loss, ccy)} ({percent(loss / start)}) "
        f"from {money(start, ccy)} at 00:00 UTC, the limit is {limit_percent(most)}"
    )


def _clearly_within(after: Exposure, begun: float, share: float) -> bool:
    """The day's loss below ``share`` of the start-of-day equity (both in floats: ``begun``),
    by the estimates (the exact figures decide near the limit, and write the reason)."""
    estimate = after.estimate()
    if estimate is None:
        return False
    slack = estimate.tolerance + 1e-12 * abs(begun)  # start's own conversion
    return clearly_below(begun - estimate.equity, share * begun, slack)
