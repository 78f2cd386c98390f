"""Cross-sectional momentum: hold the symbols that rose the most, rebalanced periodically."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

from tradeforge.model.symbol import Symbol
from tradeforge.model.values import EXACT, Quantity, truncate_to_step
from tradeforge.strategies._sizing import last_close, marked_equity
from tradeforge.strategy import ParameterError, Strategy
from tradeforge.strategy.views import BarView, SeriesView


class MomentumRotation(Strategy):
    """Rotate into the ``top_n`` symbols with the highest trailing return, equal weights.

    Parameters
    ----------
    lookback : int, default 168
        Bars the trailing return spans (168 hourly bars: one week), ``>= 1``. The trailing
        return of a symbol is ``close[-1] / close[-1 - lookback] - 1`` on its own bars.
    top_n : int, default 1
        How many symbols to hold, ``>= 1``.
    rebalance : int, default 24
        Bars between two rebalances, ``>= 1``.
    weight : float, default 0.95
        Share of equity invested in all, split equally: each held symbol targets
        ``weight / top_n`` of equity. ``0 < weight < 1``: the rest pays the fees and absorbs
        the move between a signal close and the next open.
    quote : str, default "USDT"
        Only symbols quoted in this currency are traded (:meth:`is_applicable`).

    Raises
    ------
    ParameterError
        For a count below 1, a ``weight`` outside (0, 1), or an empty ``quote``.

    Notes
    -----
    Data
        One series per symbol, of the same timeframe and aligned in time (e.g. a mapping
        ``{"ETH/USDT": frame, "SOL/USDT": frame, ...}`` of 1h frames given to ``Backtest``).
        Symbols not quoted in ``quote`` get no bars and are never traded.
    Decision bars
        The strategy decides once per bar time, on the bar of the *last* symbol given: bars
        closing at the same instant are delivered in the order the series were given, so every
        symbol's bar of that time is known then. (A time at which the last symbol has no bar
        is skipped.) Decision bars are counted from the first one at which every symbol has at
        least ``lookback + 1`` bars (the warm-up): that one, and every ``rebalance``-th
        decision bar after it, is a rebalance bar.
    Rebalance
        The symbols are ranked by trailing return, highest first (ties: the order given); the
        first ``top_n`` target ``weight / top_n`` of the equity, the others zero. Equity is
        cash plus the positions at the decision bar's closes. The orders are market orders,
        filling at each symbol's next open:

        1. sales first, on the rebalance bar: a symbol with no target is sold entirely, a
           held symbol above its target is sold down to it;
        2. purchases once the sales have filled, i.e. on the next decision bar after them
           (on the rebalance bar itself when nothing had to be sold): each symbol below its
           target is bought up to ``weight / top_n`` of the equity at that bar's closes.

        A quantity is ``target value / close - held``, fees not deducted (the weight leaves
        the room), truncated to the quantity step; less than one step is not traded. This is
        :meth:`~tradeforge.strategy.Strategy.order_target_percent`'s rule, with equity valued
        at the current closes.
    """

    lookback: int = 168
    top_n: int = 1
    rebalance: int = 24
    weight: float = 0.95
    quote: str = "USDT"

    def __init__(self, strategy_id: str | None = None, **params: Any) -> None:
        super().__init__(strategy_id, **params)
        name = type(self).__name__
        for field in ("lookback", "top_n", "rebalance"):
            if getattr(self, field) < 1:
                raise ParameterError(f"{name}: {field} must be >= 1, got {getattr(self, field)}")
        if not (math.isfinite(self.weight) and 0 < self.weight < 1):
            raise ParameterError(f"{name}: weight must be in (0, 1), got {self.weight}")
        if not self.quote.strip():
            raise ParameterError(f"{name}: quote must not be empty")
        self._quote = self.quote.strip().upper()
        self._decisions = 0  # decision bars since the warm-up
        self._pending: dict[Symbol, bool] | None = None

    def is_applicable(self, symbol: Symbol) -> bool:
        """Only symbols quoted in :attr:`quote`."""
        return symbol.quote.upper() == self._quote

    def on_start(self) -> None:
        """Keep a view of every symbol's bars."""
        self.universe: list[Symbol] = self.symbols
        self.bars: dict[Symbol, SeriesView] = {s: self.data(s) for s in self.universe}
        self.last_rebalance: list[Symbol] = []

    def on_bar(self, bar: BarView) -> None:
        """On the last symbol's bar: rebalance when due, then send purchases once sold."""
        if bar.symbol != self.universe[-1]:
            return
        if not self._decisions and min(len(v) for v in self.bars.values()) <= self.lookback:
            return
        due = self._decisions % self.rebalance == 0
        self._decisions += 1
        if due:
            self._pending = self._targets()
            self._sell_down(self._pending)
        if self._pending is not None and not self.open_orders():
            self._buy_up(self._pending)
            self._pending = None

    # -- helpers ----------------------------------------------------------------------------

    def trailing_return(self, symbol: Symbol) -> float:
        """``close[-1] / close[-1 - lookback] - 1`` of ``symbol``."""
        close = self.bars[symbol].close
        return close[-1] / close[-1 - self.lookback] - 1.0

    def _targets(self) -> dict[Symbol, bool]:
        """Which symbols to hold: the ``top_n`` highest trailing returns, ties in given order."""
        ranked = sorted(self.universe, key=self.trailing_return, reverse=True)
        chosen = ranked[: self.top_n]
        self.last_rebalance = chosen
        return {s: s in chosen for s in self.universe}

    def _delta(self, symbol: Symbol, equity: Decimal) -> Decimal:
        """Signed quantity that brings ``symbol`` to ``weight / top_n`` of ``equity`` at its
        last close, truncated to the step."""
        value = EXACT.multiply(equity, Decimal(repr(self.weight)))
        target = value / EXACT.multiply(Decimal(self.top_n), last_close(self, symbol))
        delta = target - self.position(symbol).signed_qty
        step = self.instrument(symbol).quantity_step
        size = truncate_to_step(Quantity(abs(delta)), step)
        return size if delta > 0 else -size

    def _sell_down(self, targets: dict[Symbol, bool]) -> None:
        equity = marked_equity(self)
        for symbol, hold in targets.items():
            if not self.position(symbol).signed_qty:
                continue
            if not hold:
                self.close_position(symbol)
                continue
            delta = self._delta(symbol, equity)
            if delta < 0:
                self.sell(-delta, symbol=symbol)

    def _buy_up(self, targets: dict[Symbol, bool]) -> None:
        equity = marked_equity(self)
        for symbol, hold in targets.items():
            if hold:
                delta = self._delta(symbol, equity)
                if delta > 0:
                    self.buy(delta, symbol=symbol)
