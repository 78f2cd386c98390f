"""The strategy API: what a trader writes, the same in backtest, paper and live trading.

A strategy is a class with typed parameters and ``on_*`` hooks::

    class SmaCross(Strategy):
        fast: int = 10
        slow: int = 30

        def on_start(self):
            self.fast_ma = self.indicator(sma, self.close, self.fast)
            self.slow_ma = self.indicator(sma, self.close, self.slow)

        def on_bar(self, bar):
            if crossover(self.fast_ma, self.slow_ma):
                self.buy()
            elif crossover(self.slow_ma, self.fast_ma):
                self.close_position()

*Parameters* are annotated class attributes with defaults, validated (see
:mod:`tradeforge.strategy.params`) and overridable per run: ``SmaCross(fast=5)``.

*Indicators* are computed once over the whole series in :meth:`Strategy.indicator` and revealed
bar by bar: at a bar, ``line[-1]`` is its value and nothing later is reachable. ``on_bar`` is
first called at the *warm-up* bar, the first bar at which every indicator is defined (not NaN);
:attr:`Strategy.warmup` says which it is.

*Orders* go through the engine's risk and execution engines; a strategy never talks to a venue.
Sizes are exact: a quantity is truncated to the instrument's step, prices are rounded to its
tick (limits toward the passive side). A size is one of ``quantity`` (base units),
``notional`` (quote value, fees included) or ``fraction`` (of equity); without one, the
strategy's :attr:`default_fraction` of equity is used. A market order sized by value gets its
quantity at the fill price (as with Binance's ``quoteOrderQty``); other orders are sized at
their price (or, for a bracket, at the last close).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from tradeforge.common.clock import TimeEvent
from tradeforge.data.lines import Line
from tradeforge.model.enums import OrderSide, OrderType, TrailingOffsetType
from tradeforge.model.events import OrderEvent, OrderInitialized, PositionEvent
from tradeforge.model.instrument import Instrument
from tradeforge.model.market_data import QuoteTick, TradeTick
from tradeforge.model.order_list import OrderList
from tradeforge.model.orderbook import OrderBook
from tradeforge.model.orders import Order
from tradeforge.model.position import Position
from tradeforge.model.symbol import Symbol
from tradeforge.model.timeframe import Timeframe
from tradeforge.model.values import EXACT, Quantity, truncate_to_step
from tradeforge.portfolio.portfolio import Portfolio
from tradeforge.risk.management import TradeBinding, TradeManager, TradeRoute
from tradeforge.risk.sizing import PositionSizer, SizingInputs, strategy_trades
from tradeforge.strategy.context import StrategyContext
from tradeforge.strategy.errors import OrderRequestError
from tradeforge.strategy.params import resolve_parameters
from tradeforge.strategy.views import BarView, SeriesView

_ONE = Decimal(1)


class Strategy:
    """Base class of every strategy. Override the ``on_*`` hooks you need.

    Parameters
    ----------
    strategy_id : str, optional
        Defaults to the class name.
    **params
        Values for the declared parameters (validated; unknown names refused).
    """

    default_fraction: ClassVar[float] = 1.0
    """Share of equity a ``buy()``/``sell()`` without a size uses."""

    timeframes: ClassVar[tuple[str, ...]] = ()
    """Longer timeframes the strategy reads besides its data's own (``("1d",)``); a backtest
    resamples each symbol's bars into them when they are not given."""

    _last_size: tuple[float, Instrument, Quantity] | None = None
    """The last float size given and what it rounded to (most strategies trade one size)."""

    def __init__(self, strategy_id: str | None = None, **params: Any) -> None:
        self.strategy_id = strategy_id or type(self).__name__
        self.params = resolve_parameters(type(self), params)
        for name, value in self.params.items():
            setattr(self, name, value)
        self._ctx: StrategyContext | None = None
        self._indicators: list[Line] = []
        self.warmup = 0

    # -- hooks (override) -------------------------------------------------------------------

    def extra_timeframes(self) -> tuple[str, ...]:
        """Timeframes to build by resampling when the data lacks them (default
        :attr:`timeframes`; override when they depend on parameters)."""
        return self.timeframes

    def is_applicable(self, symbol: Symbol) -> bool:
        """Whether this strategy trades ``symbol``; symbols it refuses get no bars."""
        return True

    def on_start(self) -> None:
        """Once, before the first bar: compute indicators here."""

    def on_bar(self, bar: BarView) -> None:
        """A bar closed (from the warm-up bar on)."""

    def on_trade_tick(self, tick: TradeTick) -> None:
        """A trade printed on a subscribed market."""

    def on_quote_tick(self, tick: QuoteTick) -> None:
        """The best bid or ask changed."""

    def on_order_book(self, book: OrderBook) -> None:
        """The order book changed."""

    def on_order_event(self, event: OrderEvent) -> None:
        """One of this strategy's orders was accepted, rejected, filled, canceled or expired."""

    def on_position_event(self, event: PositionEvent) -> None:
        """A position of this strategy opened, changed or closed."""

    def on_timer(self, event: TimeEvent) -> None:
        """A timer set with :meth:`set_timer` fired."""

    def on_stop(self) -> None:
        """Once, after the last bar."""

    def signals(self) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
        """Entry and exit arrays over the primary series, for the vectorized mode.

        Called after :meth:`on_start` (indicators are computed). Return ``(entries, exits)``,
        one boolean per bar, each decided from data up to that bar's close (use
        :func:`~tradeforge.data.lines.crosses_above`). Strategies without it run event-driven
        only.
        """
        raise NotImplementedError(f"{type(self).__name__} has no vectorized signals()")

    # -- wiring (engine) --------------------------------------------------------------------

    def _bind(self, ctx: StrategyContext) -> None:
        self._ctx = ctx
        self._primary = SeriesView(ctx.series[0])

    @property
    def ctx(self) -> StrategyContext:
        """The engine services (raises before the strategy is attached to an engine)."""
        if self._ctx is None:
            raise RuntimeError(f"strategy {self.strategy_id} is not attached to an engine")
        return self._ctx

    # -- data -------------------------------------------------------------------------------

    @property
    def symbol(self) -> Symbol:
        """The first symbol given to the engine."""
        return self.ctx.series[0].symbol

    @property
    def symbols(self) -> list[Symbol]:
        """Every symbol this strategy trades."""
        return list(dict.fromkeys(s.symbol for s in self.ctx.series))

    @property
    def open(self) -> Line:
        """Opens of the first series."""
        return self._primary.open

    @property
    def high(self) -> Line:
        """Highs of the first series."""
        return self._primary.high

    @property
    def low(self) -> Line:
        """Lows of the first series."""
        return self._primary.low

    @property
    def close(self) -> Line:
        """Closes of the first series."""
        return self._primary.close

    @property
    def volume(self) -> Line:
        """Volumes of the first series."""
        return self._primary.volume

    def data(self, symbol: Symbol | str | None = None, timeframe: str | None = None) -> SeriesView:
        """A series with its history so far (default: the first symbol's shortest timeframe)."""
        sym = Symbol.parse(symbol) if isinstance(symbol, str) else symbol
        tf = Timeframe.parse(timeframe) if timeframe is not None else None
        return SeriesView(self.ctx.find_series(sym, tf))

    @property
    def indicators(self) -> tuple[Line, ...]:
        """Every line :meth:`indicator` made, in order (for plots and reports)."""
        return tuple(self._indicators)

    @property
    def time(self) -> int:
        """The engine's current time, ns UTC."""
        return self.ctx.clock.timestamp_ns()

    def indicator(
        self, fn: Callable[..., Any], *args: Any, name: str | None = None, **kwargs: Any
    ) -> Any:
        """Compute ``fn(*args, **kwargs)`` over whole series once; reveal it bar by bar.

        Lines among ``args`` are passed as whole float64 arrays. The result (an array, or a
        tuple of arrays such as MACD's) must have one value per bar of the series of the first
        line argument; it comes back as a :class:`Line` (or a tuple of lines) that moves with
        that series. The warm-up grows to the first bar where every indicator is defined.
        """
        lines = [a for a in args if isinstance(a, Line)]
        if not lines:
            raise OrderRequestError(f"{self.strategy_id}: indicator {fn!r} needs a series argument")
        base = lines[0]
        values = fn(*[a.full() if isinstance(a, Line) else a for a in args], **kwargs)
        label = str(name or getattr(fn, "__name__", "indicator"))
        outputs = values if isinstance(values, tuple) else (values,)
        result = tuple(
            self._reveal(
                base,
                np.asarray(v, dtype=np.float64),
                f"{label}[{k}]" if len(outputs) > 1 else label,
            )
            for k, v in enumerate(outputs)
        )
        return result if isinstance(values, tuple) else result[0]

    def _reveal(self, base: Line, values: np.ndarray[Any, Any], label: str) -> Line:
        if values.shape != base.full().shape:
            raise OrderRequestError(
                f"{self.strategy_id}: indicator {label} has shape {values.shape}, "
                f"its series {base.full().shape}"
            )
        line = Line(values, base._cursor, label)
        self._indicators.append(line)
        defined = np.flatnonzero(~np.isnan(values))
        if base._cursor is self.ctx.series[0].cursor:
            first = int(defined[0]) if len(defined) else len(values)
            self.warmup = max(self.warmup, first)
        return line

    # -- reads ------------------------------------------------------------------------------

    def position(self, symbol: Symbol | str | None = None) -> Position:
        """The net position in ``symbol`` (default: the first symbol)."""
        return self.ctx.portfolio.position(self._sym(symbol))

    @property
    def portfolio(self) -> Portfolio:
        """Balances, positions, PnL (read them; change them only through orders)."""
        return self.ctx.portfolio

    @property
    def equity(self) -> Decimal:
        """Cash plus open positions at the last prices."""
        return self.ctx.portfolio.equity()

    def open_orders(self, symbol: Symbol | str | None = None) -> list[Order]:
        """This strategy's open orders (of ``symbol``)."""
        sym = self._sym(symbol) if symbol is not None else None
        return [o for o in self.ctx.execution.open_orders(sym) if o.strategy_id == self.strategy_id]

    def instrument(self, symbol: Symbol | str | None = None) -> Instrument:
        """The instrument of ``symbol``."""
        return self.ctx.instruments[self._sym(symbol)]

    # -- orders -----------------------------------------------------------------------------

    def buy(self, quantity: float | Decimal | None = None, **kwargs: Any) -> Order | OrderList:
        """Buy; see :meth:`order` for the arguments. Returns the order (or the bracket)."""
        return self._place(OrderSide.BUY, quantity, kwargs)

    def sell(self, quantity: float | Decimal | None = None, **kwargs: Any) -> Order | OrderList:
        """Sell; see :meth:`order` for the arguments. Returns the order (or the bracket)."""
        return self._place(OrderSide.SELL, quantity, kwargs)

    def _place(
        self, side: OrderSide, quantity: float | Decimal | None, kwargs: dict[str, Any]
    ) -> Order | OrderList:
        if not kwargs and quantity is not None:  # the plain market order, the most common
            return self.ctx.execution.submit(self._market(side, quantity))
        order = self.order(side, quantity, **kwargs)
        if isinstance(order, OrderList):
            return self.ctx.execution.submit_list(order)
        value = None
        if order.order_type is OrderType.MARKET and quantity is None and not order.reduce_only:
            value = self._value(kwargs.get("notional"), kwargs.get("fraction"))
        return self.ctx.execution.submit(order, value)

    def order(
        self,
        side: OrderSide,
        quantity: float | Decimal | None = None,
        *,
        notional: float | Decimal | None = None,
        fraction: float | None = None,
        limit: float | Decimal | None = None,
        stop: float | Decimal | None = None,
        sl: float | Decimal | None = None,
        tp: float | Decimal | None = None,
        symbol: Symbol | str | None = None,
        reduce_only: bool = False,
        tag: str | None = None,
    ) -> Order | OrderList:
        """Build (not send) an order.

        Parameters
        ----------
        side : OrderSide
        quantity, notional, fraction
            The size: base units, quote value (fees included), or share of equity. At most
            one; none means :attr:`default_fraction` of equity.
        limit, stop
            ``limit`` alone: a limit order; ``stop`` alone: a stop-market order; both: a
            stop-limit order; neither: a market order.
        sl, tp
            Stop-loss and take-profit prices: the order becomes a bracket whose exits are
            reduce-only and one-cancels-the-other.
        symbol
            Default: the first symbol.
        """
        sym = self._sym(symbol)
        instrument = self.ctx.instruments[sym]
        tags = (tag,) if tag else ()
        price = instrument.round_price(limit, side) if limit is not None else None
        trigger = instrument.round_price(stop) if stop is not None else None
        qty = self._quantity(
            instrument,
            side,
            quantity,
            notional,
            fraction,
            price or trigger,
            by_value=(sl is None and tp is None and limit is None and stop is None),
        )
        cid = self.ctx.ids.generate()
        ts = self.ctx.clock.timestamp_ns()
        if sl is not None or tp is not None:
            return self._bracket(cid, instrument, side, qty, price, sl, tp, ts, tags)
        kind = _order_type(price, trigger)
        if kind is OrderType.MARKET:
            return Order.market_now(
                cid, sym, side, qty, ts_init=ts, reduce_only=reduce_only,
                tags=tags, strategy_id=self.strategy_id,
            )  # fmt: skip
        return Order(
            cid,
            sym,
            side,
            kind,
            qty,
            ts_init=ts,
            price=price,
            stop_price=trigger,
            reduce_only=reduce_only,
            strategy_id=self.strategy_id,
            tags=tags,
        )

    def submit(self, order: Order | OrderList) -> Order | OrderList:
        """Send an order built with :meth:`order` (or an :class:`OrderList`) as it is."""
        if isinstance(order, OrderList):
            return self.ctx.execution.submit_list(order)
        return self.ctx.execution.submit(order)

    def close_position(
        self, symbol: Symbol | str | None = None, tag: str | None = None
    ) -> Order | None:
        """Close the whole position in ``symbol`` with a reduce-only market order."""
        ctx = self.ctx
        sym = ctx.series[0].symbol if symbol is None else self._sym(symbol)
        held = ctx.portfolio.position(sym).signed_qty
        if not held:
            return None
        order = Order.market_now(
            ctx.ids.generate(), sym, OrderSide.SELL if held > 0 else OrderSide.BUY,
            Quantity(abs(held)), ts_init=ctx.clock.timestamp_ns(), reduce_only=True,
            tags=(tag,) if tag else (), strategy_id=self.strategy_id,
        )  # fmt: skip
        return ctx.execution.submit(order)

    def order_target_percent(
        self, percent: float, symbol: Symbol | str | None = None
    ) -> Order | None:
        """Trade ``symbol`` toward a position worth ``percent`` of equity (1.0 is 100 %),
        valued at the last close; None when already there (within one step)."""
        sym = self._sym(symbol)
        instrument = self.ctx.instruments[sym]
        last = self._last_price(sym)
        target_value = EXACT.multiply(self.ctx.portfolio.equity(), Decimal(repr(percent)))
        held = self.ctx.portfolio.position(sym).signed_qty
        delta = target_value / last - held
        qty = truncate_to_step(Quantity(abs(delta)), instrument.quantity_step)
        if not qty:
            return None
        side = OrderSide.BUY if delta > 0 else OrderSide.SELL
        return self.ctx.execution.submit(self._new_order(sym, side, OrderType.MARKET, qty))

    def oco(self, *orders: Order) -> OrderList:
        """Send orders built with :meth:`order` as one-cancels-the-other."""
        list_id = f"L-{orders[0].client_order_id}"
        rebuilt = [Order.from_init(_with_list(o, list_id)) for o in orders]
        return self.ctx.execution.submit_list(OrderList.oco(list_id, rebuilt))

    def trailing_stop(
        self,
        *,
        distance: float | Decimal | None = None,
        bps: float | None = None,
        symbol: Symbol | str | None = None,
    ) -> Order | None:
        """Protect the position in ``symbol`` with a reduce-only trailing stop ``distance``
        (price units) or ``bps`` (basis points) behind the best price since placement."""
        if (distance is None) == (bps is None):
            raise OrderRequestError(f"{self.strategy_id}: trailing_stop takes distance or bps")
        sym = self._sym(symbol)
        held = self.ctx.portfolio.position(sym).signed_qty
        if not held:
            return None
        offset = Decimal(repr(distance if distance is not None else bps))
        kind = TrailingOffsetType.PRICE if distance is not None else TrailingOffsetType.BASIS_POINTS
        side = OrderSide.SELL if held > 0 else OrderSide.BUY
        order = self._new_order(
            sym,
            side,
            OrderType.TRAILING_STOP_MARKET,
            abs(held),
            trailing_offset=offset,
            trailing_offset_type=kind,
            reduce_only=True,
        )
        return self.ctx.execution.submit(order)

    def cancel(self, order: Order | str) -> bool:
        """Cancel an open order (or a bracket's entry and its held exits)."""
        cid = order if isinstance(order, str) else order.client_order_id
        return self.ctx.execution.cancel(cid)

    def cancel_all(self, symbol: Symbol | str | None = None) -> int:
        """Cancel this strategy's open orders (of ``symbol``); how many."""
        sym = self._sym(symbol) if symbol is not None else None
        return self.ctx.execution.cancel_all(sym, self.strategy_id)

    def set_timer(self, name: str, interval: str | int) -> None:
        """Call :meth:`on_timer` every ``interval`` (a timeframe such as ``"1h"``, or ns)."""
        nanos = Timeframe.parse(interval).nanos if isinstance(interval, str) else interval
        self.ctx.clock.set_timer(f"{self.strategy_id}:{name}", nanos, self.on_timer)

    def size(
        self,
        sizer: PositionSizer,
        *,
        stop: float | Decimal | None = None,
        price: float | Decimal | None = None,
        side: OrderSide | str | None = None,
        symbol: Symbol | str | None = None,
    ) -> Quantity:
        """The quantity ``sizer`` gives for an order of ``symbol`` now (zero: do not trade).

        ``self.buy(self.size(RiskPerTrade(0.01), stop=sl), sl=sl, tp=tp)``. The sizer (see
        :mod:`tradeforge.risk.sizing`) sees this strategy's equity, ``price`` (default: the
        last price), the instrument, ``stop``, ``side`` (when given, the stop is checked to
        lie on its losing side), this strategy's closed trades and the bars of ``symbol``'s
        shortest timeframe so far.
        """
        sym = self._sym(symbol)
        bars = SeriesView(self.ctx.find_series(sym, None))
        return sizer.size(
            SizingInputs.of(
                equity=self.equity,
                price=self._last_price(sym) if price is None else price,
                instrument=self.ctx.instruments[sym],
                stop=stop,
                side=side,
                trades=strategy_trades(self.portfolio.trades, self.ctx.ids.strategy_tag),
                bars=(bars.high.values, bars.low.values, bars.close.values),
                timeframe=bars.timeframe,
            )
        )

    def manage(self, manager: TradeManager, symbol: Symbol | str | None = None) -> TradeManager:
        """Hand this strategy's position in ``symbol`` (default: the first symbol) to an
        in-trade manager, and return it.

        ``self.manage(TradeManager(stop=StopLoss(atr=2), trail=TrailingStop(atr=3)))`` in
        :meth:`on_start`: from then on every position the strategy holds in ``symbol`` gets
        its exits placed when it opens, moved after each bar and canceled when it closes (a
        position already open is taken over). The rules, and what each does to results, are
        in :mod:`tradeforge.risk.management`. One manager per symbol; a manager serves one.
        Management needs the full kernel: a backtest on the market-order fast path starts
        over on it here.
        """
        ctx = self.ctx
        route = ctx.execution
        if not isinstance(route, TradeRoute):
            # the backtest's market-order fast path delivers no events to follow: it starts
            # the run over on the full kernel here
            route.require_kernel("a trade manager")
            raise OrderRequestError(f"{self.strategy_id}: trade management needs the kernel")
        sym = self._sym(symbol)
        managed: dict[Symbol, TradeManager] = vars(self).setdefault("_trade_managers", {})
        if sym in managed:
            raise OrderRequestError(f"{self.strategy_id}: {sym} has a trade manager already")
        binding = TradeBinding(
            self.strategy_id, ctx.instruments[sym], route, ctx.clock, ctx.ids,
            ctx.find_series(sym, None), ctx.portfolio,
        )  # fmt: skip
        manager.bind(binding)
        managed[sym] = manager
        return manager

    # -- internals --------------------------------------------------------------------------

    def _new_order(
        self, symbol: Symbol, side: OrderSide, kind: OrderType, quantity: Decimal, **options: Any
    ) -> Order:
        """An order of this strategy with the next client order id, stamped now."""
        if kind is OrderType.MARKET and options.keys() <= {"reduce_only", "tags"}:
            return Order.market_now(
                self.ctx.ids.generate(), symbol, side, Quantity(quantity),
                ts_init=self.ctx.clock.timestamp_ns(), strategy_id=self.strategy_id, **options,
            )  # fmt: skip
        return Order(
            self.ctx.ids.generate(),
            symbol,
            side,
            kind,
            quantity,
            ts_init=self.ctx.clock.timestamp_ns(),
            strategy_id=self.strategy_id,
            **options,
        )

    def _market(self, side: OrderSide, quantity: float | Decimal) -> Order:
        """What ``order(side, quantity)`` builds, without its other options."""
        ctx = self.ctx
        symbol = ctx.series[0].symbol
        instrument = ctx.instruments[symbol]
        qty = self._quantity(instrument, side, quantity, None, None, None, by_value=True)
        return Order.market_now(
            ctx.ids.generate(), symbol, side, qty,
            ts_init=ctx.clock.timestamp_ns(), strategy_id=self.strategy_id,
        )  # fmt: skip

    def _sym(self, symbol: Symbol | str | None) -> Symbol:
        if symbol is None:
            return self.ctx.series[0].symbol
        return Symbol.parse(symbol) if isinstance(symbol, str) else symbol

    def _last_price(self, symbol: Symbol) -> Decimal:
        last = self.ctx.execution.venue_last_price(symbol)
        if last is None:
            raise OrderRequestError(f"{self.strategy_id}: no price for {symbol} yet")
        return Decimal(repr(last))

    def _quantity(  # noqa: PLR0917 - internal sizing helper
        self,
        instrument: Instrument,
        side: OrderSide,
        quantity: float | Decimal | None,
        notional: float | Decimal | None,
        fraction: float | None,
        price: Decimal | None,
        *,
        by_value: bool,
    ) -> Quantity:
        if (quantity is not None) + (notional is not None) + (fraction is not None) > 1:
            raise OrderRequestError(f"{self.strategy_id}: give one of quantity, notional, fraction")
        if quantity is not None:
            last = self._last_size
            if last is not None and last[0] == quantity and last[1] is instrument:
                return last[2]  # the same size as the last order: most strategies use one
            qty = instrument.round_quantity(
                Decimal(repr(quantity)) if isinstance(quantity, float) else quantity
            )
            if qty > 0 and type(quantity) is float:
                self._last_size = (quantity, instrument, qty)
            if qty <= 0:
                raise OrderRequestError(
                    f"{self.strategy_id}: quantity {quantity} is below the step "
                    f"{instrument.quantity_step} of {instrument.symbol}"
                )
            return qty
        value = self._value(notional, fraction)
        at = price if price is not None else self._last_price(instrument.symbol)
        unit = EXACT.multiply(at, _ONE + instrument.taker_fee)
        qty = Quantity(
            truncate_to_step(Quantity(max(value / unit, Decimal(0))), instrument.quantity_step)
        )
        if qty <= 0 and not by_value:
            raise OrderRequestError(
                f"{self.strategy_id}: a value of {value:.8f} buys less than one step of "
                f"{instrument.symbol} at {at}"
            )
        return Quantity(qty) if qty > 0 else Quantity(instrument.quantity_step)

    def _value(self, notional: float | Decimal | None, fraction: float | None) -> Decimal:
        if notional is not None:
            return Decimal(repr(notional)) if isinstance(notional, float) else Decimal(notional)
        share = self.default_fraction if fraction is None else fraction
        if not 0 < share <= 1 and self.ctx.portfolio.account == "cash":
            raise OrderRequestError(f"{self.strategy_id}: fraction must be in (0, 1], got {share}")
        return EXACT.multiply(self.ctx.portfolio.equity(), Decimal(repr(float(share))))

    def _bracket(  # noqa: PLR0917 - internal bracket builder
        self,
        cid: str,
        instrument: Instrument,
        side: OrderSide,
        qty: Quantity,
        price: Decimal | None,
        sl: float | Decimal | None,
        tp: float | Decimal | None,
        ts: int,
        tags: tuple[str, ...],
    ) -> OrderList:
        if sl is None or tp is None:
            raise OrderRequestError(f"{self.strategy_id}: a bracket needs both sl and tp")
        exit_side = side.opposite
        return OrderList.bracket(
            f"B-{cid}",
            instrument.symbol,
            side,
            qty,
            stop_loss=instrument.round_price(sl, exit_side),
            take_profit=instrument.round_price(tp, exit_side),
            entry_price=price,
            ts_init=ts,
            strategy_id=self.strategy_id,
            tags=tags,
        )


def _order_type(price: Decimal | None, trigger: Decimal | None) -> OrderType:
    if price is not None and trigger is not None:
        return OrderType.STOP_LIMIT
    if price is not None:
        return OrderType.LIMIT
    return OrderType.STOP_MARKET if trigger is not None else OrderType.MARKET


def _with_list(order: Order, list_id: str) -> OrderInitialized:
    init = order.events[0]
    if not isinstance(init, OrderInitialized):  # pragma: no cover - an order starts with it
        raise OrderRequestError(f"order {order.client_order_id} has no OrderInitialized event")
    return replace(init, order_list_id=list_id)
