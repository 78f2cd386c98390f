"""The trade manager: one strategy's position in one symbol, managed from entry to exit.

A :class:`TradeManager` composes the rules of :mod:`~tradeforge.risk.management.rules`. Once
bound to a strategy and a symbol (:meth:`Strategy.manage <tradeforge.strategy.Strategy.manage>`)
it follows the kernel's events and bars:

* **position opened** (or flipped): the levels are computed from the average entry price and
  the ATR at the last bar closed; on the venue the stop and the take profit are sent as
  reduce-only orders (one OCO list when both exist), so they can trade in the entry's bar;
* **bar closed**: the best price takes in the bar, the stop tightens when a rule says so, and
  the venue's stop order is amended (``modify``); a time stop that is due closes the position
  at market; emulated exits are tested against the bar first;
* **position changed**: the exits are resized to the position;
* **position closed**: whatever is left of the exits is canceled (a filled exit's OCO partner
  is canceled by the OCO).

**On the venue or emulated.** The exits are kept on the venue when it takes stop-market (and,
for a take profit, take-profit-market) orders and ``emulate`` is false. They then fill as the
venue's orders do: at the level, or at the open when a bar gaps beyond it, inside the bar that
reaches it. Otherwise they are emulated: after each bar closes, a bar whose low (a short: high)
reached the stop, or whose high (low) reached the take profit, makes the manager send a
reduce-only market order, which fills as any market order: at the next bar's open (or at that
close with ``market_fill="close"``). When a bar reaches both, the stop is taken (the emulation
cannot see the order inside a bar). Levels move at the same bar closes both ways, so the same
bar triggers both; only the fill differs. A venue exit that is rejected, or canceled by the
venue, turns the trade's management to emulation: the position is never left without its
exits.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
from numpy.typing import NDArray

from tradeforge.common.clock import Clock
from tradeforge.common.ids import ClientOrderIdGenerator
from tradeforge.data.replay import BarSeries
from tradeforge.indicators.volatility import atr
from tradeforge.model.enums import OrderType
from tradeforge.model.events import OrderEvent, PositionEvent
from tradeforge.model.instrument import Instrument
from tradeforge.model.orders import Order
from tradeforge.model.symbol import Symbol
from tradeforge.model.values import Price, Quantity
from tradeforge.portfolio.portfolio import Portfolio
from tradeforge.risk.management.placement import TIME_STOP_TAG, ExitOrders, VenueExits
from tradeforge.risk.management.route import TradeRoute
from tradeforge.risk.management.rules import (
    BreakEven,
    ManagementError,
    StopLoss,
    TakeProfit,
    TimeStop,
    TrailingStop,
)
from tradeforge.risk.management.trade import ExitRules, Levels, ManagedTrade, StopMove


@dataclass(frozen=True)
class TradeBinding:
    """What a manager works with: the strategy's id, order ids and route, the symbol's
    instrument and shortest series, the clock and the portfolio (built by
    :meth:`Strategy.manage <tradeforge.strategy.Strategy.manage>`)."""

    strategy_id: str
    instrument: Instrument
    route: TradeRoute
    clock: Clock
    ids: ClientOrderIdGenerator
    series: BarSeries
    portfolio: Portfolio


class TradeManager:
    """Places and moves the exits of a strategy's position in one symbol.

    Parameters
    ----------
    stop : StopLoss, optional
        The initial stop loss.
    take_profit : TakeProfit, optional
        The take profit.
    trail : TrailingStop, optional
        A trailing stop (with or without an initial stop loss: it starts ``distance`` from the
        entry).
    break_even : BreakEven, optional
        Move the stop to the entry once the trade has run far enough.
    time_stop : TimeStop, optional
        Close the position at market after a number of bars or a duration.
    emulate : bool
        Emulate the exits even when the venue takes stop orders (default False: on the venue
        when it can). See the module's docstring for how the two fill.

    Attributes
    ----------
    trade : ManagedTrade or None
        The position under management now (its ``stop``, ``target``, ``best`` ...).
    moves : list of StopMove
        Every stop level set, for every trade, in order.

    Raises
    ------
    ManagementError
        Without any rule, or with a break-even in R and no stop loss.
    """

    def __init__(
        self,
        *,
        stop: StopLoss | None = None,
        take_profit: TakeProfit | None = None,
        trail: TrailingStop | None = None,
        break_even: BreakEven | None = None,
        time_stop: TimeStop | None = None,
        emulate: bool = False,
    ) -> None:
        self.rules = ExitRules(stop, take_profit, trail, break_even, time_stop)
        self.emulate = emulate
        self.trade: ManagedTrade | None = None
        self.moves: list[StopMove] = []
        self._binding: TradeBinding | None = None
        self._atrs: dict[int, NDArray[np.float64]] = {}

    # -- wiring -----------------------------------------------------------------------------

    def bind(self, binding: TradeBinding) -> None:
        """Start managing ``binding``'s symbol (a position already open is taken over).

        Raises
        ------
        ManagementError
            When this manager is bound already.
        """
        if self._binding is not None:
            raise ManagementError(f"this TradeManager manages {self._binding.instrument.symbol}")
        self._binding = binding
        self._levels = Levels(self.rules, binding.instrument, self._atr)
        self._orders = ExitOrders(
            binding.strategy_id, binding.instrument.symbol, binding.ids, binding.clock
        )
        self._venue = VenueExits(self._orders, binding.route)
        self._native = self._venue_of(binding)
        binding.route.follow(binding.strategy_id, self)
        held = binding.portfolio.position(binding.instrument.symbol)
        if held.is_open and held.avg_px_open is not None and held.ts_opened is not None:
            self._start(held.signed_qty, held.avg_px_open, held.ts_opened)

    @property
    def symbol(self) -> Symbol:
        """The symbol managed."""
        return self._bound.instrument.symbol

    @property
    def on_venue(self) -> bool:
        """Whether new trades keep their exits on the venue (else emulated).

        Raises
        ------
        ManagementError
            Before the manager is attached.
        """
        return self._venue_of(self._bound)

    def _venue_of(self, binding: TradeBinding) -> bool:
        return not self.emulate and self._venue_takes(binding.route)

    @property
    def _bound(self) -> TradeBinding:
        if self._binding is None:
            raise ManagementError("this TradeManager is not attached: use Strategy.manage")
        return self._binding

    def _venue_takes(self, route: TradeRoute) -> bool:
        needed = [OrderType.STOP_MARKET] if self.rules.stops else []
        if self.rules.take_profit is not None:
            needed.append(OrderType.TAKE_PROFIT_MARKET)
        return all(route.venue_supports(kind) for kind in needed)

    # -- the kernel's events ----------------------------------------------------------------

    def on_position_event(self, event: PositionEvent) -> None:
        """Start, resize or end the managed trade."""
        if event.symbol != self.symbol:
            return
        side = (event.signed_qty > 0) - (event.signed_qty < 0)
        if self.trade is not None and side != self.trade.side:  # closed, or flipped
            self._end(event.client_order_id)
        if not side or event.avg_px_open is None:
            return
        trade = self.trade
        if trade is None:
            self._start(event.signed_qty, event.avg_px_open, event.ts_opened)
            return
        trade.entry, trade.quantity = event.avg_px_open, event.quantity
        if not trade.emulated:
            self._venue.resize(event.quantity)

    def on_order_event(self, order: Order, event: OrderEvent) -> None:
        """Notice an exit that closed without a fill: emulate from then on."""
        trade = self.trade
        if trade is None or not order.is_closed or order.filled_qty:
            return
        if order is trade.exit_order:  # refused or canceled: the next bar tries again
            trade.exit_order = None
            self._emulate(trade)
        elif (
            not trade.emulated
            and self._venue.owns(order.client_order_id)
            and self._venue.lost(order)
        ):
            self._emulate(trade)

    def on_bar(self, symbol: Symbol, high: float, low: float) -> None:
        """A bar closed: test emulated exits and the time stop, then move the stop."""
        trade = self.trade
        if trade is None or trade.exit_order is not None or symbol != self.symbol:
            return
        if trade.emulated:
            touched = self._levels.touched(trade, high, low)
            if touched:
                self._exit(trade, touched)
                return
        if self._time_is_up(trade):
            self._exit(trade, TIME_STOP_TAG)
            return
        before = (trade.stop, trade.target)
        self._levels.after_bar(trade, high, low)
        if trade.stop is not None and trade.stop != before[0]:
            self.moves.append(
                StopMove(self._bound.clock.timestamp_ns(), trade.stop, trade.stop_rule)
            )
        if not trade.emulated and (trade.stop, trade.target) != before:
            self._venue.follow(trade)

    # -- the trade's life -------------------------------------------------------------------

    def _start(self, signed_qty: Decimal, entry: Price, opened_ns: int) -> None:
        binding = self._bound
        series = binding.series
        side = 1 if signed_qty > 0 else -1
        first = int(np.searchsorted(series.ts_close, opened_ns, side="right"))
        best = Decimal(entry)
        last = series.cursor.i
        if last >= first:  # taken over after bars were held: the best price of those bars
            held = series.high[first : last + 1] if side > 0 else series.low[first : last + 1]
            seen = Decimal(repr(float(held.max() if side > 0 else held.min())))
            if side * (seen - best) > 0:
                best = seen
        trade = ManagedTrade(
            side,
            Decimal(entry),
            Quantity(abs(signed_qty)),
            opened_ns,
            first,
            best,
            not self._native,
        )
        self.trade = trade
        self._levels.open(trade)
        if trade.stop is not None:
            self.moves.append(StopMove(binding.clock.timestamp_ns(), trade.stop, trade.stop_rule))
        if not trade.emulated:
            self._place(trade)

    def _place(self, trade: ManagedTrade) -> None:
        self._venue.place(trade)
        if trade.emulated:  # a leg was refused while the list went out: withdraw the other
            self._venue.withdraw()

    def _end(self, closing_order: str) -> None:
        trade = self.trade
        self.trade = None
        if trade is None:
            return
        if self._venue.owns(closing_order):  # an exit filled: its OCO partner goes with it
            self._venue.stop_order = self._venue.target_order = None
        else:
            self._venue.withdraw()
        pending = trade.exit_order
        if pending is not None and pending.client_order_id != closing_order and pending.is_open:
            self._bound.route.cancel(pending.client_order_id)

    def _exit(self, trade: ManagedTrade, tag: str) -> None:
        """Close the trade at market (the venue's exits withdrawn first)."""
        self._venue.withdraw()
        order = self._orders.market(trade, tag)
        trade.exit_order = order
        self._bound.route.submit(order)

    def _emulate(self, trade: ManagedTrade) -> None:
        trade.emulated = True
        self._venue.withdraw()

    def _time_is_up(self, trade: ManagedTrade) -> bool:
        rule = self.rules.time_stop
        if rule is None:
            return False
        binding = self._bound
        bars = binding.series.cursor.i + 1 - trade.first_bar
        return rule.due(bars, binding.clock.timestamp_ns() - trade.opened_ns)

    def _atr(self, period: int) -> Decimal | None:
        series = self._bound.series
        values = self._atrs.get(period)
        if values is None:
            values = self._atrs[period] = atr(series.high, series.low, series.close, period)
        i = series.cursor.i
        value = float(values[i]) if i >= 0 else math.nan
        return None if math.isnan(value) else Decimal(repr(value))
