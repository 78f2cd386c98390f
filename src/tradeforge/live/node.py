"""``TradingNode``: the backtest's kernel, strategies, risk engine and portfolio on a live venue.

Life cycle (``docs/live.md``):

1. **start** (:meth:`TradingNode.start`): connect (markets, and the order client in live
   mode); reconcile the store with the venue (:mod:`~tradeforge.live.reconcile`); build the
   kernel (:mod:`~tradeforge.live.kernel`) from the reconciled state; bind the strategies
   (:mod:`~tradeforge.live.host`); load each series' history and run ``on_start`` over it
   (:mod:`~tradeforge.live.warmup`); subscribe to live bars from where the history ends.
2. **run** (:meth:`TradingNode.run`): the kernel's loop, on the calling thread. It drains the
   adapters' inbox: bars go through the :class:`~tradeforge.live.sequencer.BarSequencer`
   (the backtest's delivery order), then to the paper exchange (which matches the working
   orders against the bar), the timers, the trailing stops and breakers, and the strategies'
   ``on_bar``; venue events go to the execution engine and then to the store. In live mode it
   reconciles every ``reconcile.interval``.
3. **stop** (:meth:`TradingNode.stop`; SIGINT, SIGTERM, ``duration``, :meth:`request_stop`):
   the streams end, the strategies get ``on_stop``, open orders are canceled (or left, by
   ``shutdown.orders``), the last events are applied and stored, the run is recorded as
   stopped and the adapters close.

Every order is in the store before the venue hears of it
(:mod:`~tradeforge.live.store_first`). The trading state and the kill switch are
:attr:`TradingNode.trading`.
"""

from __future__ import annotations

import concurrent.futures
import logging
from dataclasses import replace
from typing import Any, Protocol

from tradeforge.adapters.ccxt import Credentials, ExecutionSettings, pump
from tradeforge.common.clock import Clock
from tradeforge.live.clock import NodeClock
from tradeforge.live.config import NodeConfig, credentials_variables
from tradeforge.live.host import StrategyHost, empty_series, series_keys
from tradeforge.live.journal import OrderJournal
from tradeforge.live.kernel import Kernel, build_kernel
from tradeforge.live.reconcile import Difference, Reconciler, StartState, paper_start
from tradeforge.live.sequencer import BarSequencer, SeriesKey
from tradeforge.live.series import append_bar
from tradeforge.live.venue import VenueLink, connect
from tradeforge.live.warmup import Warmup, latest_bars, newest_open_ms
from tradeforge.model.events import (
    OrderEvent,
    OrderFilled,
    OrderRejected,
    OrderSubmitted,
    VenueEvent,
)
from tradeforge.model.market_data import Bar
from tradeforge.model.orders import Order
from tradeforge.persistence.migrations import ensure_schema
from tradeforge.persistence.store import Store
from tradeforge.portfolio.portfolio import Portfolio
from tradeforge.risk.control import TradingControl
from tradeforge.risk.kill_switch import KillSwitchReport
from tradeforge.strategy.base import Strategy

_log = logging.getLogger("tradeforge.live")
NS_PER_MS = 1_000_000
NS_PER_S = 1_000_000_000
_IDLE_S = 0.05
_DRAIN_LIMIT = 1000
"""Messages one turn of the loop delivers at most (bars, timers and orders get their turn)."""


class NodeError(RuntimeError):
    """A node that cannot start (live mode without keys, say)."""


class NodeObserver(Protocol):
    """Hears what the node does (the CLI prints it)."""

    def on_bar(self, bar: Bar) -> None:
        """A live bar was dispatched."""
        ...

    def on_order_event(self, order: Order, event: OrderEvent) -> None:
        """An order was sent, or the venue (or the risk engine) changed it."""
        ...


class TradingNode:
    """One trading node: paper or live, per its config.

    Parameters
    ----------
    config : NodeConfig
    store : Store
        The state store (migrated at start when behind).
    credentials : Credentials, optional
        The venue's API keys (live mode needs them; paper mode reads public data only).
    wall : Clock, optional
        The wall clock (default the system's).
    settings : ExecutionSettings, optional
        The ccxt order client's settings (live mode; the reconcile interval is the config's).
    """

    def __init__(
        self,
        config: NodeConfig,
        store: Store,
        *,
        credentials: Credentials | None = None,
        wall: Clock | None = None,
        settings: ExecutionSettings | None = None,
    ) -> None:
        if config.mode == "live" and credentials is None:
            raise NodeError(
                f"live mode needs the venue's API keys: set {credentials_variables(config)}"
            )
        self.config = config
        self.store = store
        self.credentials = credentials
        self.clock = NodeClock(wall)
        self.settings = settings or ExecutionSettings()
        self.journal = OrderJournal(store, config.store_venue, f"node:{config.name}")
        self.observers: list[NodeObserver] = []
        self.differences: list[Difference] = []
        """What reconciliation found (at start and while running)."""
        self.stop_reason: str | None = None
        self._link: VenueLink | None = None
        self._kernel: Kernel | None = None
        self._host: StrategyHost | None = None
        self._reconciler: Reconciler | None = None
        self._sequencer: BarSequencer | None = None
        self._streams: list[concurrent.futures.Future[Any]] = []
        self._run_id = ""
        self._stopped = False
        self._last_reconcile_ns = 0
        self._looked_ns = 0

    # -- what the node holds ----------------------------------------------------------------

    @property
    def kernel(self) -> Kernel:
        """The engines (after :meth:`start`)."""
        if self._kernel is None:
            raise NodeError("the node has not started")
        return self._kernel

    @property
    def trading(self) -> TradingControl:
        """The trading state, the breakers and the kill switch."""
        return self.kernel.trading

    @property
    def portfolio(self) -> Portfolio:
        """Balances, positions, PnL."""
        return self.kernel.portfolio

    @property
    def strategies(self) -> list[Strategy]:
        """The strategies, in the configured order."""
        return [] if self._host is None else self._host.strategies

    @property
    def strategy_errors(self) -> int:
        """Exceptions raised by strategy hooks so far."""
        return 0 if self._host is None else self._host.errors

    @property
    def link(self) -> VenueLink:
        """The venue link (after :meth:`start`)."""
        if self._link is None:
            raise NodeError("the node has not started")
        return self._link

    def kill_switch(self, reason: str, *, flatten: bool = False) -> KillSwitchReport:
        """Halt trading (until a person resumes it), cancel every open order and, with
        ``flatten``, close every position."""
        return self.trading.kill_switch(reason, flatten=flatten)

    # -- start ------------------------------------------------------------------------------

    def start(self) -> TradingNode:
        """Connect, reconcile, build the kernel, warm the strategies up, subscribe."""
        ensure_schema(self.store)
        keys = series_keys(self.config)
        self._link = link = connect(self.config, self.clock, self.credentials, self._settings())
        try:
            first = next(iter(keys.values()))[0]
            self.clock.hold(link.run(newest_open_ms(link.data, first)) * NS_PER_MS)
            self.clock.release()
            start = self._reconcile_at_start()
            self._run_id = self.journal.start_run(
                self.config.mode, self.clock.timestamp_ns(), self.config.model_dump(mode="json")
            )
            self._build(start, keys)
            self._warm_up()
            self._subscribe()
        except BaseException:
            self._close_link()
            raise
        return self

    def _settings(self) -> ExecutionSettings:
        every = self.config.reconcile.interval.total_seconds()
        return replace(self.settings, reconcile_every=every)

    def _reconcile_at_start(self) -> StartState:
        stored = self.journal.orders()
        if self.config.mode == "paper":
            start = paper_start(stored, self.journal, self.config, self.clock.timestamp_ns())
        else:
            self._reconciler = Reconciler(self.link, self.journal, self.config, self.clock)
            start = self._reconciler.at_start(stored, self.journal.last_run_start())
        self.differences += start.differences
        return start

    def _build(self, start: StartState, keys: dict[str, list[SeriesKey]]) -> None:
        link = self.link
        kernel = build_kernel(
            self.config, self.clock, empty_series(keys), instruments=link.instruments,
            journal=self.journal, start=start, venue=link.orders,
        )  # fmt: skip
        self._kernel = kernel
        link.sinks.board = kernel.trading.board
        kernel.client.observers.append(self._told)
        kernel.execution.rejection_listeners.append(self._rejected)
        counters = OrderJournal.counters(start.orders)
        self._host = StrategyHost(self.config, kernel, link.instruments, counters)

    def _warm_up(self) -> None:
        host, kernel, link = self._require_host(), self.kernel, self.link
        settings = self.config.warmup
        warmup = Warmup(
            lambda key, count: link.run(latest_bars(link.data, key, count)),
            kernel.series, settings.bars, settings.max_bars,
        )  # fmt: skip
        followers = [h.follower for h in host.hosted]
        warmup.plan(followers)
        warmup.load()
        host.start()
        for follower in warmup.grow(followers):
            _log.warning(
                "strategy %s: an indicator has no value at the last of %s history bars; it "
                "trades once it has", follower.book.strategy.strategy_id,
                max(warmup.needs[k] for k in follower.keys),
            )  # fmt: skip
        last = [int(s.ts_close[-1]) for s in kernel.series.values() if len(s)]
        if last:
            self.clock.hold(max(last))
            self.clock.release()
        kernel.follow_prices()
        self._looked_ns = self.clock.timestamp_ns()

    def _subscribe(self) -> None:
        link, series = self.link, self.kernel.series
        last_close = {k: int(s.ts_close[-1]) if len(s) else 0 for k, s in series.items()}
        self._sequencer = BarSequencer(list(series), last_close)
        for (symbol, tf), s in series.items():
            since = int(s.ts_close[-1]) if len(s) else None
            stream = link.data.watch_bars(symbol, tf, since=since)
            self._streams.append(link.loop.spawn(pump(stream, link.inbox)))

    # -- run --------------------------------------------------------------------------------

    def run(self, duration: float | None = None) -> str:
        """Trade until a stop is asked for (or ``duration`` seconds pass), then stop; why it
        stopped."""
        wall = self.clock.wall
        deadline = None if duration is None else wall.timestamp_ns() + int(duration * NS_PER_S)
        self._last_reconcile_ns = wall.timestamp_ns()
        try:
            while self.stop_reason is None:
                self.step()
                if deadline is not None and wall.timestamp_ns() >= deadline:
                    self.stop_reason = "duration"
        finally:
            self.stop()
        return self.stop_reason or "stopped"

    def step(self, timeout: float = _IDLE_S) -> None:
        """One turn of the loop: deliver what arrived, release waiting bars, fire timers,
        reconcile when due."""
        link = self.link
        with self.journal.batch():  # what arrived is stored with one commit
            link.inbox.drain(self._deliver, timeout, _DRAIN_LIMIT)
        for bar in self._require_sequencer().poll(self._wall_s()):
            self._on_bar(bar)
        self._fire_timers(None)
        if self._reconciler is not None:
            self._reconcile_when_due()

    def request_stop(self, reason: str = "requested") -> None:
        """Ask the loop to stop at its next turn (safe from a signal handler)."""
        if self.stop_reason is None:
            self.stop_reason = reason

    def _wall_s(self) -> float:
        return self.clock.wall.timestamp_ns() / NS_PER_S

    def _deliver(self, message: object) -> None:
        if isinstance(message, Bar):
            for bar in self._require_sequencer().push(message, self._wall_s()):
                self._on_bar(bar)
        elif isinstance(message, VenueEvent):
            try:
                self.kernel.client.on_venue_event(message)
            except Exception:
                _log.exception("venue event not applied: %r", message)
        else:
            _log.debug("inbox message ignored: %r", message)

    def _on_bar(self, bar: Bar) -> None:
        kernel, host = self.kernel, self._require_host()
        key = (bar.symbol, bar.timeframe)
        series = kernel.series[key]
        if not append_bar(series, bar):  # not revealed yet: the exchange matches first
            return
        kernel.follow_prices()
        close = int(series.ts_close[-1])
        executing = kernel.execution_series()[bar.symbol] is series
        if executing:
            self._match(bar, close)
        self._fire_timers(close)
        self.clock.hold(close)
        series.cursor.i = len(series) - 1
        host.grew(key)
        risk = kernel.execution.risk
        if executing and risk.prepares:  # the gate's per-bar work, before anything reacts
            risk.prepare(bar.symbol)
        if executing and kernel.execution.trails:
            kernel.execution.on_bar(bar.symbol, bar.high, bar.low)
        if executing and kernel.trading.board is not None:
            kernel.trading.board.on_bar()
        for observer in self.observers:
            observer.on_bar(bar)
        host.on_bar(key, series)
        self.clock.release()

    def _match(self, bar: Bar, close: int) -> None:
        """The paper exchange trades its working orders along the bar (as in a backtest)."""
        exchange, portfolio = self.kernel.exchange, self.kernel.portfolio
        if exchange is None or not exchange.has_working_orders:
            return
        self.clock.hold(bar.ts_open)
        portfolio.booking_close = close
        try:
            exchange.process_bar(
                bar.symbol, bar.ts_open, close, bar.open, bar.high, bar.low, bar.close, bar.volume
            )
        finally:
            portfolio.booking_close = None

    def _fire_timers(self, until: int | None) -> None:
        """Run the timers due by ``until`` (a bar's close; None: now), each with the clock at
        its time, as the strategy that set it (``<strategy id>:<name>``)."""
        host, clock = self._require_host(), self.clock
        for event, callback in clock.due(until):
            clock.hold(event.ts_event)
            owner = next(
                (s for s in host.strategies if event.name.startswith(f"{s.strategy_id}:")), None
            )
            if owner is None:
                callback(event)
            else:
                host.call(owner, "on_timer", callback, event)
            if until is None:
                clock.release()

    def _reconcile_when_due(self) -> None:
        now = self.clock.wall.timestamp_ns()
        interval = int(self.config.reconcile.interval.total_seconds() * NS_PER_S)
        if now - self._last_reconcile_ns < interval:
            return
        self._last_reconcile_ns = now
        self.reconcile_now()

    def reconcile_now(self) -> None:
        """Book fills of orders nobody follows since the last look, and compare balances
        (live mode; the ccxt client reconciles the open orders itself)."""
        reconciler = self._reconciler
        if reconciler is None:
            return
        before = len(reconciler.differences)
        since_ms = (self._looked_ns - self._longest_bar_ns()) // NS_PER_MS
        self._looked_ns = self.clock.timestamp_ns()
        try:
            for order in reconciler.unknown_fills(since_ms):
                self.kernel.execution.restore(order)
                for event in order.events:
                    if isinstance(event, OrderFilled):
                        self.kernel.portfolio.apply_fill(event, order.tags)
            reconciler.check_balances(self.kernel.portfolio)
        except Exception:
            _log.exception("periodic reconciliation failed; the next one tries again")
        self.differences += reconciler.differences[before:]

    def _longest_bar_ns(self) -> int:
        return max(key[1].nanos for key in self.kernel.series)

    # -- observers --------------------------------------------------------------------------

    def _told(self, order: Order, event: OrderEvent) -> None:
        for observer in self.observers:
            observer.on_order_event(order, event)

    def _rejected(self, order: Order, event: OrderRejected) -> None:
        """A rejection by the risk engine (the venue's come through the client): stored."""
        if any(isinstance(e, OrderSubmitted) for e in order.events):
            return
        self.journal.record(order, then=lambda: self._told(order, event))

    # -- stop -------------------------------------------------------------------------------

    def stop(self) -> None:
        """Stop gracefully (idempotent): end the streams, ``on_stop``, cancel or leave open
        orders by policy, apply and store the last events, record the stop, close."""
        if self._stopped:
            return
        self._stopped = True
        reason = self.stop_reason or "stopped"
        try:
            for future in self._streams:
                future.cancel()
            if self._kernel is not None and self._host is not None:
                self._host.stop()
                self._settle_orders()
                self.journal.stop_run(self._run_id, self.clock.timestamp_ns(), reason)
        finally:
            self._close_link()
        _log.info("node %s stopped: %s", self.config.name, reason)

    def _settle_orders(self) -> None:
        execution = self.kernel.execution
        if self.config.shutdown.orders == "cancel":
            canceled = execution.cancel_all()
            _log.info("shutdown: %d open orders canceled", canceled)
        wall = self.clock.wall
        deadline = wall.timestamp_ns() + int(
            self.config.shutdown.timeout.total_seconds() * NS_PER_S
        )
        link = self.link
        while wall.timestamp_ns() < deadline:
            if self.config.shutdown.orders == "cancel" and not execution.open_orders():
                break
            if self.config.shutdown.orders == "leave" and link.inbox.empty():
                break
            link.inbox.drain(self._deliver_events, _IDLE_S)
        if link.orders is not None:
            link.orders.wait_idle(5.0)
        while link.inbox.drain(self._deliver_events, 0.2):
            pass

    def _deliver_events(self, message: object) -> None:
        if isinstance(message, VenueEvent):
            self._deliver(message)

    def _close_link(self) -> None:
        if self._link is not None:
            self._link.close()

    # -- helpers ----------------------------------------------------------------------------

    def _require_host(self) -> StrategyHost:
        if self._host is None:
            raise NodeError("the node has not started")
        return self._host

    def _require_sequencer(self) -> BarSequencer:
        if self._sequencer is None:
            raise NodeError("the node has not started")
        return self._sequencer

    def __enter__(self) -> TradingNode:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
