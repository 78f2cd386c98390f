"""The backtest engine: the kernel's engines on a test clock, fed by replayed bars.

It wires a :class:`SimulatedExchange`, a :class:`RiskEngine`, an :class:`ExecutionEngine` and a
:class:`Portfolio` (the same engines paper and live trading use), replays the bars of every
series in close-time order (:func:`~tradeforge.data.replay.merge_schedule`) and, for each bar:

1. the exchange matches the orders working on the bar's symbol (only for the symbol's shortest
   timeframe, the execution series), stamping fills inside the bar;
2. the clock moves to the bar's close and due timers fire;
3. the series' cursor moves, revealing the bar and its indicators (and the risk gate works
   out what the bar made stale, :meth:`~tradeforge.risk.engine.RiskEngine.prepare`);
4. emulated trailing stops move, then each strategy that trades the symbol gets ``on_bar``
   (from its warm-up bar on).

Strategy exceptions become :class:`~tradeforge.strategy.errors.StrategyError`; the engine's
state stays consistent because every order action is atomic.
"""

from __future__ import annotations

import gc
import traceback
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal
from functools import partial
from typing import Any

from tradeforge.backtest.config import BacktestConfig
from tradeforge.backtest.exchange import SimulatedExchange
from tradeforge.backtest.fast_path import FastExecution, FastPathExit
from tradeforge.backtest.models import FixedBpsSlippage, LatencyModel, VolumeParticipation
from tradeforge.backtest.perpetual import MaintenanceMargin
from tradeforge.backtest.venue_account import CashAccount, MarginAccount
from tradeforge.common.bus import MessageBus
from tradeforge.common.clock import TestClock
from tradeforge.common.ids import ClientOrderIdGenerator
from tradeforge.data.replay import BarSeries, merge_schedule
from tradeforge.execution.engine import ExecutionEngine
from tradeforge.model.events import OrderEvent, PositionEvent
from tradeforge.model.instrument import Instrument
from tradeforge.model.orders import Order
from tradeforge.model.symbol import Symbol
from tradeforge.portfolio.portfolio import Portfolio
from tradeforge.risk.build import build_checks
from tradeforge.risk.context import BarHistory, RiskContext
from tradeforge.risk.control import TradingControl
from tradeforge.risk.engine import RiskEngine
from tradeforge.risk.kill_switch import KillSwitchReport
from tradeforge.risk.state import TradingState
from tradeforge.strategy.base import Strategy
from tradeforge.strategy.context import StrategyContext, TradingSwitch
from tradeforge.strategy.errors import StrategyError
from tradeforge.strategy.views import BarView


@dataclass
class EngineRun:
    """What a finished run leaves: the engines and the data, for results to read."""

    series: list[BarSeries]
    strategies: list[Strategy]
    portfolio: Portfolio
    execution: ExecutionEngine | FastExecution
    exchange: SimulatedExchange
    config: BacktestConfig
    bars_processed: int
    fast_path: bool = False
    """Whether the run took the market-order fast path (:mod:`~tradeforge.backtest.fast_path`)."""
    trading: TradingControl | None = None
    """The trading state, its history and the breakers' events."""


class BacktestEngine:
    """Runs strategies over replayed bars through the real engines.

    Parameters
    ----------
    series : list of BarSeries
        The data; the first series is every strategy's primary series.
    instruments : list of Instrument
        One per traded symbol (fees overridden by ``config.commission`` when set).
    config : BacktestConfig
        Venue and account behaviour.
    detail : list of BarSeries, optional
        Lower-timeframe bars of traded symbols: orders trade along their paths instead of the
        assumed open-extreme-extreme-close path of the bars they fall in.
    fast_path : bool
        Route the strategy's orders through a :class:`FastExecution` (one series, one
        strategy, spot; the caller checks
        :func:`~tradeforge.backtest.fast_path.fast_path_blocker` first).
    """

    def __init__(
        self,
        series: list[BarSeries],
        instruments: list[Instrument],
        config: BacktestConfig | None = None,
        detail: list[BarSeries] | None = None,
        *,
        fast_path: bool = False,
    ) -> None:
        if not series:
            raise ValueError("a backtest needs at least one series of bars")
        self.config = config or BacktestConfig()
        self.series = series
        self.instruments = {
            i.symbol: _with_commission(i, self.config.commission) for i in instruments
        }
        missing = {s.symbol for s in series} - set(self.instruments)
        if missing:
            raise ValueError(f"no instrument for {', '.join(map(str, missing))}")
        first = self.series[0]
        self.clock = TestClock(int(first.ts_open[0]) if len(first) else 0)
        currency = self.config.currency or first.symbol.quote
        self.portfolio = Portfolio(
            currency, self.config.cash, list(self.instruments.values()), self.config.account
        )
        self.exchange = self._build_exchange(currency)
        self.portfolio.price_source = self.exchange.last_price
        self._set_detail(detail or [])
        context = RiskContext(
            self.portfolio,
            self.clock,
            self.instruments,
            self._open_orders,
            self.exchange.last_price,
            history=BarHistory(self.series),
            orders=lambda: self.execution.orders,
        )
        self.bus = MessageBus()
        """State changes (``risk.state``) and breaker events (``risk.breaker``) go here."""
        self.trading = TradingControl.build(
            self.config.risk, context, list(self.execution_series().values()), self.bus
        )
        risk = RiskEngine(
            build_checks(self.config.risk, context, self.config.leverage, gate=self.trading.gate),
            self.exchange.last_price,
            context=context,
        )
        self.execution = ExecutionEngine(
            self.clock, risk, self.portfolio, self.exchange, self.instruments
        )
        self.trading.attach(self.execution)
        if self.trading.board is not None and self.config.latency_ms:
            self.trading.board.record_latency(self.config.latency_ms)  # the latency model's
        self.strategies: list[Strategy] = []
        self._current_hook = ("", "")
        self.fast: FastExecution | None = None
        if fast_path:
            account = self.exchange.account
            assert isinstance(account, CashAccount), "the fast path books spot accounts only"
            self.fast = FastExecution(
                self.clock,
                self.portfolio,
                account,
                self.instruments,
                self.exchange.last_price,
                self.exchange.slippage,
                fill_at_close=self.config.market_fill == "close",
            )

    def _open_orders(self) -> list[Order]:
        return self.execution.open_orders()

    def _build_exchange(self, currency: str) -> SimulatedExchange:
        cfg = self.config
        balances = {currency: cfg.cash}
        account = (
            CashAccount(balances)
            if cfg.account == "cash"
            else MarginAccount(balances, cfg.leverage, maintenance=_maintenance(cfg))
        )
        exchange = SimulatedExchange(
            "sim",
            self.instruments.values(),
            clock=self.clock,
            account=account,
            slippage=FixedBpsSlippage(cfg.slippage_bps) if cfg.slippage_bps else None,
            participation=VolumeParticipation(cfg.max_volume_share),
            latency=LatencyModel(int(cfg.latency_ms * 1_000_000)),
            intrabar=cfg.intrabar,
            market_fill=cfg.market_fill,
            supports_contingency=cfg.native_contingency,
            liquidation_fee=cfg.liquidation_fee,
        )
        for s in self.execution_series().values():
            exchange.set_price_source(s.symbol, s.close, s.cursor)
        self._set_funding(exchange)
        return exchange

    def _set_funding(self, exchange: SimulatedExchange) -> None:
        """Give the exchange the configured funding rates of each traded perpetual."""
        for key, rates in (self.config.funding or {}).items():
            symbol = Symbol.parse(key)
            if symbol not in self.instruments:
                traded = ", ".join(map(str, self.instruments))
                raise ValueError(f"funding for {symbol}, which no series trades ({traded})")
            exchange.set_funding(symbol, rates)

    def _set_detail(self, detail: list[BarSeries]) -> None:
        executing = self.execution_series()
        for series in detail:
            traded = executing.get(series.symbol)
            if traded is None:
                raise ValueError(f"detail bars for {series.symbol}, which no series trades")
            if series.timeframe.nanos >= traded.timeframe.nanos:
                raise ValueError(
                    f"detail bars of {series.symbol} must be shorter than {traded.timeframe}, "
                    f"got {series.timeframe}"
                )
            self.exchange.set_detail(series)

    def execution_series(self) -> dict[Symbol, BarSeries]:
        """Each symbol's shortest-timeframe series: the one orders are matched against."""
        best: dict[Symbol, BarSeries] = {}
        for s in self.series:
            if s.symbol not in best or s.timeframe.nanos < best[s.symbol].timeframe.nanos:
                best[s.symbol] = s
        return best

    def add_strategy(self, strategy: Strategy) -> None:
        """Attach ``strategy``: it gets the series of the symbols it declares applicable."""
        series = [s for s in self.series if strategy.is_applicable(s.symbol)]
        if not series:
            raise ValueError(f"strategy {strategy.strategy_id} trades none of the given symbols")
        ctx = StrategyContext(
            strategy.strategy_id,
            self.clock,
            self.fast or self.execution,
            self.portfolio,
            self.instruments,
            series,
            ClientOrderIdGenerator(_tag(strategy.strategy_id), self.clock),
            trading=self._trading_for(strategy.strategy_id),
        )
        strategy._bind(ctx)
        self.execution.register(
            strategy.strategy_id, self._order_listener(strategy), self._position_listener(strategy)
        )
        self.strategies.append(strategy)

    def _trading_for(self, strategy_id: str) -> TradingSwitch:
        view = self.trading.for_strategy(strategy_id)
        return view if self.fast is None else _FastPathTrading(view)

    def kill_switch(self, reason: str, *, flatten: bool = False) -> KillSwitchReport:
        """Halt trading, cancel every open order and, with ``flatten``, close every position
        (:meth:`TradingControl.kill_switch`); ``self.trading.resume(...)`` lifts the halt.

        Raises
        ------
        FastPathExit
            On the market-order fast path, which has no risk gate: the run starts over on the
            full kernel.
        """
        if self.fast is not None:
            raise FastPathExit("the kill switch needs the full kernel")
        return self.trading.kill_switch(reason, flatten=flatten)

    # -- the run ----------------------------------------------------------------------------

    def run(self) -> EngineRun:
        """Replay every bar; return the engines for the results to read."""
        for strategy in self.strategies:
            self._call(strategy, "on_start", strategy.on_start)
        processed = self._replay()
        for strategy in self.strategies:
            self._call(strategy, "on_stop", strategy.on_stop)
        self.portfolio.price_source = None
        for s in self.execution_series().values():  # value positions at the last close
            if len(s):
                self.portfolio.mark(s.symbol, Decimal(repr(float(s.close[-1]))))
        return EngineRun(
            self.series,
            self.strategies,
            self.portfolio,
            self.fast or self.execution,
            self.exchange,
            self.config,
            processed,
            fast_path=self.fast is not None,
            trading=self.trading,
        )

    def _replay(self) -> int:
        # The replay allocates many short-lived objects and holds long-lived arrays; the cyclic
        # collector would scan the long-lived ones again and again. Reference counting frees
        # the short-lived ones. At the end, what the run built (orders, trades, the ledger:
        # long-lived, almost never cyclic) joins the oldest generation unscanned (freeze, then
        # unfreeze), so switching the collector back on does not scan it all at once; the
        # oldest generation is collected as usual, when it has grown enough.
        enabled = gc.isenabled()
        gc.disable()
        try:
            if self.fast is not None:
                return self._replay_fast(self.series[0], self.strategies[0], self.fast)
            if len(self.series) == 1 and len(self.strategies) == 1:
                return self._replay_single(self.series[0], self.strategies[0])
            return self._replay_merged()
        finally:
            if enabled:
                gc.freeze()
                gc.unfreeze()
                gc.enable()

    def _replay_single(self, series: BarSeries, strategy: Strategy) -> int:
        """The hot loop of the common case: one series, one strategy."""
        exchange, clock, execution = self.exchange, self.clock, self.execution
        portfolio = self.portfolio
        symbol, cursor, view = series.symbol, series.cursor, BarView(series)
        ts_open, ts_close = series.ts_open, series.ts_close
        o, h, lo, c, v = series.open, series.high, series.low, series.close, series.volume
        on_bar, warm, timers, trails = (
            strategy.on_bar,
            strategy.warmup,
            clock.pending,
            execution.trails,
        )
        # perpetual hook: a margin account's open positions need every bar (liquidation, funding)
        watch = exchange.position_watch
        board = self.trading.board  # circuit breakers, checked at every close when configured
        prepare = _preparation(execution)  # the risk gate's per-bar work, at the bar's close
        clock.follow(ts_close, cursor)
        try:
            for i in range(len(ts_open)):
                if exchange.has_working_orders or (watch is not None and watch.has_positions):
                    portfolio.booking_close = close_ns = int(ts_close[i])
                    exchange.process_bar(
                        symbol,
                        int(ts_open[i]),
                        close_ns,
                        float(o[i]),
                        float(h[i]),
                        float(lo[i]),
                        float(c[i]),
                        float(v[i]),
                    )
                    portfolio.booking_close = None
                if timers:
                    self._fire_timers(strategy, int(ts_close[i]))
                cursor.i = i
                if prepare is not None:
                    prepare(symbol)
                if trails:
                    execution.on_bar(symbol, float(h[i]), float(lo[i]))
                if board is not None:
                    board.on_bar()
                if i >= warm:
                    try:
                        on_bar(view)
                    except StrategyError:  # a hook called from on_bar failed: named already
                        raise
                    except Exception as exc:
                        raise self._strategy_error(strategy, "on_bar", exc) from exc
        finally:
            clock.follow(None)
            if len(ts_close):
                clock.set_time(max(clock.timestamp_ns(), int(ts_close[cursor.i])))
        return len(ts_open)

    def _replay_fast(self, series: BarSeries, strategy: Strategy, fast: FastExecution) -> int:
        """The loop of the market-order fast path: fill waiting orders at the open, reveal the
        bar, call ``on_bar``."""
        clock, portfolio = self.clock, self.portfolio
        cursor, view = series.cursor, BarView(series)
        ts_open, ts_close = series.ts_open, series.ts_close
        opens, volumes = series.open, series.volume
        on_bar, warm, timers = strategy.on_bar, strategy.warmup, clock.pending
        clock.follow(ts_close, cursor)
        try:
            for i in range(len(ts_open)):
                if fast.working:
                    portfolio.booking_close = int(ts_close[i])
                    fast.fill_working(int(ts_open[i]), float(opens[i]), float(volumes[i]))
                    portfolio.booking_close = None
                if timers:
                    self._fire_timers(strategy, int(ts_close[i]))
                cursor.i = i
                if i >= warm:
                    try:
                        on_bar(view)
                    except StrategyError:
                        raise
                    except Exception as exc:
                        raise self._strategy_error(strategy, "on_bar", exc) from exc
        finally:
            clock.follow(None)
            if len(ts_close):
                clock.set_time(max(clock.timestamp_ns(), int(ts_close[cursor.i])))
        fast.settle_venue()
        return len(ts_open)

    def _replay_merged(self) -> int:
        which, rows = merge_schedule(self.series)
        executing = {id(s) for s in self.execution_series().values()}
        feeds = [self._feed(s, id(s) in executing) for s in self.series]
        exchange, clock, execution = self.exchange, self.clock, self.execution
        watch = exchange.position_watch  # perpetual hook: positions need every bar
        board = self.trading.board
        prepare = _preparation(execution)
        for k, i in zip(which, rows, strict=True):
            series, views, matches = feeds[k]
            if matches and (
                exchange.has_working_orders or (watch is not None and watch.has_positions)
            ):
                clock.set_time(int(series.ts_open[i]))
                self.portfolio.booking_close = int(series.ts_close[i])
                exchange.process_bar(
                    series.symbol, int(series.ts_open[i]), int(series.ts_close[i]), *series.row(i)
                )
                self.portfolio.booking_close = None
            ts = int(series.ts_close[i])
            if clock.pending:
                for strategy in self.strategies:
                    self._fire_timers(strategy, ts)
            clock.set_time(ts)
            series.cursor.i = i
            if matches and prepare is not None:
                prepare(series.symbol)
            if matches and execution.trails:
                execution.on_bar(series.symbol, float(series.high[i]), float(series.low[i]))
            if matches and board is not None:
                board.on_bar()
            for strategy, view in views:
                if strategy.ctx.series[0].cursor.i >= strategy.warmup:
                    self._call(strategy, "on_bar", strategy.on_bar, view)
        return len(rows)

    def _feed(
        self, series: BarSeries, matches: bool
    ) -> tuple[BarSeries, list[tuple[Strategy, BarView]], bool]:
        view = BarView(series)
        takers = [(st, view) for st in self.strategies if series in st.ctx.series]
        return series, takers, matches

    def _fire_timers(self, strategy: Strategy, until: int) -> None:
        for event, callback in self.clock.advance_time(until):
            self._call(strategy, "on_timer", callback, event)

    # -- strategy calls ---------------------------------------------------------------------

    def _call(self, strategy: Strategy, hook: str, fn: Callable[..., Any], *args: Any) -> None:
        try:
            fn(*args)
        except StrategyError:
            raise
        except Exception as exc:
            raise self._strategy_error(strategy, hook, exc) from exc

    def _strategy_error(self, strategy: Strategy, hook: str, exc: BaseException) -> StrategyError:
        ts = self.clock.timestamp_ns()
        when = datetime.fromtimestamp(ts / 1e9, tz=UTC).isoformat()
        text = "".join(traceback.format_exception(exc))
        return StrategyError(strategy.strategy_id, hook, ts, when, text)

    def _order_listener(self, strategy: Strategy) -> Callable[[Order, OrderEvent], None]:
        hook = strategy.on_order_event
        if _is_default(strategy, "on_order_event"):
            return _ignore_order
        return lambda order, event: self._call(strategy, "on_order_event", hook, event)

    def _position_listener(self, strategy: Strategy) -> Callable[[PositionEvent], None]:
        hook = strategy.on_position_event
        if _is_default(strategy, "on_position_event"):
            return _ignore_position
        return lambda event: self._call(strategy, "on_position_event", hook, event)


class _FastPathTrading:
    """A strategy's trading switch on the fast path, which runs no risk gate: the state stays
    ACTIVE (breakers send runs to the full kernel), and the kill switch starts the run over on
    the full kernel."""

    __slots__ = ("_view",)

    def __init__(self, view: TradingSwitch) -> None:
        self._view = view

    @property
    def state(self) -> TradingState:
        return self._view.state

    @property
    def reason(self) -> str:
        return self._view.reason

    def kill_switch(self, reason: str, *, flatten: bool = False) -> KillSwitchReport:
        raise FastPathExit("the kill switch needs the full kernel")


def _preparation(execution: ExecutionEngine) -> Callable[[Symbol], None] | None:
    """What the kernel calls at the close of each bar of an execution series (after the
    cursor moved, before exits move and strategies see the bar): the risk gate's
    :meth:`~tradeforge.risk.engine.RiskEngine.prepare`, when its checks keep per-bar state.

    A replay saves no latency by it, so it prepares only while orders come bar after bar
    (``within=1``): a strategy that trades rarely does not pay for bars no order reads,
    and its next order does the work, with the same outcome."""
    risk = execution.risk
    return partial(risk.prepare, within=1) if risk.prepares else None


def _is_default(strategy: Strategy, name: str) -> bool:
    return getattr(type(strategy), name) is getattr(Strategy, name)


def _ignore_order(order: Order, event: OrderEvent) -> None:
    return None


def _ignore_position(event: PositionEvent) -> None:
    return None


def _tag(strategy_id: str) -> str:
    tag = "".join(ch for ch in strategy_id if ch.isalnum())[:8]
    return tag or "S"


def _maintenance(config: BacktestConfig) -> MaintenanceMargin | None:
    rate = config.maintenance_margin_rate
    return None if rate is None else MaintenanceMargin(rate)


def _with_commission(instrument: Instrument, commission: Decimal | None) -> Instrument:
    if commission is None:
        return instrument
    return replace(instrument, maker_fee=commission, taker_fee=commission)
