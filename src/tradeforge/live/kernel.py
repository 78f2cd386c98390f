"""The node's kernel: the backtest's engines, wired the same way, on live bars.

:func:`build_kernel` builds what :class:`~tradeforge.backtest.engine.BacktestEngine` builds
(a :class:`Portfolio`, the trading control with its gate and breakers, the
:class:`RiskEngine` from :func:`~tradeforge.risk.build.build_checks`, the
:class:`ExecutionEngine`), with three differences at the edges: the clock is the node's
(:class:`~tradeforge.live.clock.NodeClock`), the venue is the paper exchange or the ccxt
client behind the store-first rule (:class:`~tradeforge.live.store_first.StoreFirstClient`),
and the portfolio opens from the reconciled state (the stored fills booked again). The
trading state is restored from the store and every change is stored as it happens.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from tradeforge.backtest.exchange import SimulatedExchange
from tradeforge.backtest.models import FixedBpsSlippage
from tradeforge.backtest.venue_account import CashAccount
from tradeforge.common.bus import MessageBus
from tradeforge.data.replay import BarSeries
from tradeforge.execution.engine import ExecutionClient, ExecutionEngine
from tradeforge.live.clock import NodeClock
from tradeforge.live.config import NodeConfig
from tradeforge.live.journal import OrderJournal
from tradeforge.live.reconcile import StartState
from tradeforge.live.sequencer import SeriesKey
from tradeforge.live.store_first import StoreFirstClient
from tradeforge.model.instrument import Instrument
from tradeforge.model.orders import Order
from tradeforge.model.symbol import Symbol
from tradeforge.persistence.store import Store
from tradeforge.persistence.trading_state import TradingStateRepository, record_changes
from tradeforge.portfolio.portfolio import Portfolio
from tradeforge.risk.build import build_checks
from tradeforge.risk.context import BarHistory, RiskContext
from tradeforge.risk.control import TradingControl
from tradeforge.risk.engine import RiskEngine


@dataclass
class Kernel:
    """The engines of one node.

    Attributes
    ----------
    clock : NodeClock
    portfolio : Portfolio
    execution : ExecutionEngine
    trading : TradingControl
        The trading state, the breakers and the kill switch.
    bus : MessageBus
        State changes and breaker events.
    client : StoreFirstClient
        The venue as the engine sees it.
    exchange : SimulatedExchange or None
        The paper venue (None in live mode).
    series : dict
        Every series by (symbol, timeframe).
    last_price : callable
        ``last_price(symbol)``: the close at the cursor of the symbol's execution series.
    """

    clock: NodeClock
    portfolio: Portfolio
    execution: ExecutionEngine
    trading: TradingControl
    bus: MessageBus
    client: StoreFirstClient
    exchange: SimulatedExchange | None
    series: dict[SeriesKey, BarSeries]
    last_price: Callable[[Symbol], float | None]

    def execution_series(self) -> dict[Symbol, BarSeries]:
        """Each symbol's shortest-timeframe series: the one orders trade against."""
        return _execution_series(self.series)

    def follow_prices(self) -> None:
        """Point the paper exchange at the execution series' closes (after they grew)."""
        if self.exchange is not None:
            for symbol, series in self.execution_series().items():
                self.exchange.set_price_source(symbol, series.close, series.cursor)


def build_kernel(
    config: NodeConfig,
    clock: NodeClock,
    series: dict[SeriesKey, BarSeries],
    *,
    instruments: dict[Symbol, Instrument],
    journal: OrderJournal,
    start: StartState,
    venue: ExecutionClient | None,
) -> Kernel:
    """Wire the engines (``venue``: the ccxt client in live mode; None: a paper exchange)."""
    portfolio = _portfolio(config, instruments, start)
    executing = _execution_series(series)
    prices = _LastPrices(executing)
    portfolio.price_source = prices
    exchange = None if venue is not None else _paper_exchange(config, clock, instruments, portfolio)
    engine = _EngineRef()
    client = StoreFirstClient(venue or _required(exchange), journal, engine.find, prices)
    context = RiskContext(
        portfolio, clock, instruments, engine.open_orders, prices,
        history=BarHistory(series.values()), orders=engine.orders,
    )  # fmt: skip
    bus = MessageBus()
    trading = TradingControl.build(config.risk, context, list(executing.values()), bus)
    _restore_trading_state(journal.store, trading, bus)
    risk = RiskEngine(
        build_checks(config.risk, context, gate=trading.gate), prices, context=context
    )
    execution = engine.engine = ExecutionEngine(clock, risk, portfolio, client, instruments)
    trading.attach(execution)
    for order in start.orders:
        execution.restore(order)
    execution.relink()  # held exits, OCO siblings, trailing stops
    kernel = Kernel(clock, portfolio, execution, trading, bus, client, exchange, series, prices)
    kernel.follow_prices()
    return kernel


class _EngineRef:
    """The execution engine, for what is built before it (the risk context, the client)."""

    engine: ExecutionEngine | None = None

    def _get(self) -> ExecutionEngine:
        assert self.engine is not None, "the execution engine is not built yet"
        return self.engine

    def find(self, client_order_id: str) -> Order | None:
        return self._get().orders.get(client_order_id)

    def open_orders(self) -> list[Order]:
        return self._get().open_orders()

    def orders(self) -> dict[str, Order]:
        return self._get().orders


def _required(exchange: SimulatedExchange | None) -> SimulatedExchange:
    assert exchange is not None
    return exchange


class _LastPrices:
    """``last_price(symbol)``: the close at the cursor of its execution series."""

    def __init__(self, executing: dict[Symbol, BarSeries]) -> None:
        self._series = executing

    def __call__(self, symbol: Symbol) -> float | None:
        series = self._series.get(symbol)
        if series is None or series.cursor.i < 0:
            return None
        return float(series.close[series.cursor.i])


def _portfolio(
    config: NodeConfig, instruments: dict[Symbol, Instrument], start: StartState
) -> Portfolio:
    portfolio = Portfolio(config.currency, start.cash, list(instruments.values()))
    for order, fill in OrderJournal.fills(start.orders):
        portfolio.apply_fill(fill, order.tags)
    return portfolio


def _paper_exchange(
    config: NodeConfig,
    clock: NodeClock,
    instruments: dict[Symbol, Instrument],
    portfolio: Portfolio,
) -> SimulatedExchange:
    """The local exchange of a paper node, holding what the portfolio holds."""
    balances = {portfolio.currency: portfolio.cash}
    for symbol, position in portfolio.positions().items():
        if position.signed_qty:
            balances[symbol.base] = Decimal(position.signed_qty)
    paper = config.paper
    return SimulatedExchange(
        f"{config.venue.venue_name}-paper",
        instruments.values(),
        clock=clock,
        account=CashAccount(balances),
        slippage=FixedBpsSlippage(paper.slippage_bps) if paper.slippage_bps else None,
        intrabar=paper.intrabar,
        market_fill=paper.market_fill,
    )


def _restore_trading_state(store: Store, trading: TradingControl, bus: MessageBus) -> None:
    with store.session() as session:
        trading.machine.restore(TradingStateRepository(session).history())
    record_changes(store, bus, actor="node")


def _execution_series(series: dict[SeriesKey, BarSeries]) -> dict[Symbol, BarSeries]:
    best: dict[Symbol, BarSeries] = {}
    for s in series.values():
        if s.symbol not in best or s.timeframe.nanos < best[s.symbol].timeframe.nanos:
            best[s.symbol] = s
    return best
