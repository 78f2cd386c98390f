"""NautilusTrader running the SMA-cross strategy of ``bench.peers.common``.

Low-level API: a ``BacktestEngine`` with one simulated venue ``SIM`` (CASH account, HEDGING
OMS, 10,000 USDT, bar execution on), a ``GBM/USDT`` spot ``CurrencyPair`` built here with
price precision 6 and size precision 6 (so 0.01 units and 1e-6 prices are exact), taker
fee 0.1% (market orders pay the taker fee, in USDT), and the bars as
``GBM/USDT.SIM-1-MINUTE-LAST-EXTERNAL``.

Fill timing. The bars' index is the bar's open time; the wrangler gets
``ts_init_delta=60s`` so each bar's ``ts_init`` is its close, as Nautilus's bar execution
requires. NautilusTrader 1.221 has no "fill at next bar open" mode: the matching engine
replays each bar as open, high, low, close, then the strategy's ``on_bar`` runs, and a
market order it submits fills at once against the top of the book, which is that bar's
close, at the bar's close time, which is also the next bar's open time. A latency model
does not help: the delayed order is released only after the next bar has been replayed
whole, so it fills at the next bar's close. The ``gbm_bars`` walk has no gaps
(``open[i+1] == close[i]``), so the fill at ``close[i]`` is the fill at ``open[i+1]``,
to the price and to the nanosecond. On gapped data the prices would differ; ``run``
flags that in the result's notes.

HEDGING rather than NETTING: on every position event the portfolio recomputes the
instrument's realized PnL, and under NETTING the one reused position collects a snapshot per
round trip that this walks, so the cost per trade grows with the trades done: at 1M bars
(19,590 trades) NETTING ran at ~10k bars/s against ~20-23k with HEDGING. Same results.
"""

from __future__ import annotations

import importlib
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
from bench.peers.common import CASH, COMMISSION, FAST, SIZE, SLOW, PeerResult, measure

NAME = "NautilusTrader"
VENUE = "SIM"
SYMBOL = "GBM/USDT"
PRECISION = 6
BAR_NS = 60 * 10**9
MODULES = (  # imported before the timer starts, like the other peers' packages
    "nautilus_trader.backtest.engine",
    "nautilus_trader.indicators",
    "nautilus_trader.model.instruments",
    "nautilus_trader.persistence.wranglers",
    "nautilus_trader.trading.strategy",
)


def make_instrument() -> Any:
    """A GBM/USDT spot pair on SIM: 1e-6 price and size increments, 0.1% fees."""
    from nautilus_trader.model.currencies import USDT
    from nautilus_trader.model.enums import CurrencyType
    from nautilus_trader.model.identifiers import InstrumentId, Symbol, Venue
    from nautilus_trader.model.instruments import CurrencyPair
    from nautilus_trader.model.objects import Currency, Price, Quantity

    increment = f"{10**-PRECISION:.{PRECISION}f}"
    return CurrencyPair(
        instrument_id=InstrumentId(Symbol(SYMBOL), Venue(VENUE)),
        raw_symbol=Symbol(SYMBOL.replace("/", "")),
        base_currency=Currency("GBM", 8, 0, "Synthetic GBM coin", CurrencyType.CRYPTO),
        quote_currency=USDT,
        price_precision=PRECISION,
        size_precision=PRECISION,
        price_increment=Price.from_str(increment),
        size_increment=Quantity.from_str(increment),
        ts_event=0,
        ts_init=0,
        maker_fee=Decimal(str(COMMISSION)),
        taker_fee=Decimal(str(COMMISSION)),
        margin_init=Decimal(0),
        margin_maint=Decimal(0),
    )


def _strategy(instrument: Any, bar_type: Any) -> Any:
    """The SMA-cross Strategy instance (nautilus_trader is imported lazily: it is optional)."""
    from nautilus_trader.indicators import SimpleMovingAverage
    from nautilus_trader.model.enums import OrderSide
    from nautilus_trader.trading.config import StrategyConfig
    from nautilus_trader.trading.strategy import Strategy

    class SmaCross(Strategy):  # type: ignore[misc]
        """Buy ``SIZE`` on a cross up, close the position on a cross down; count trades."""

        def __init__(self) -> None:
            super().__init__(StrategyConfig(log_events=False, log_commands=False))
            self.fast = SimpleMovingAverage(FAST)
            self.slow = SimpleMovingAverage(SLOW)
            self.previous: tuple[float, float] | None = None
            self.closed_trades = 0
            self.quantity = instrument.make_qty(SIZE)

        def on_start(self) -> None:
            self.register_indicator_for_bars(bar_type, self.fast)
            self.register_indicator_for_bars(bar_type, self.slow)
            self.subscribe_bars(bar_type)

        def on_bar(self, bar: Any) -> None:
            if not self.slow.initialized:
                return
            fast, slow = self.fast.value, self.slow.value
            previous, self.previous = self.previous, (fast, slow)
            if previous is None:
                return
            flat = self.portfolio.is_flat  # only asked on a cross (``and`` short-circuits)
            if previous[0] <= previous[1] and fast > slow and flat(instrument.id):
                order = self.order_factory.market(instrument.id, OrderSide.BUY, self.quantity)
                self.submit_order(order)
            elif previous[0] >= previous[1] and fast < slow and not flat(instrument.id):
                self.close_all_positions(instrument.id)

        def on_position_closed(self, event: Any) -> None:
            self.closed_trades += 1

    return SmaCross()


def _engine(instrument: Any) -> Any:
    """A BacktestEngine with the SIM venue and the instrument; ERROR logging, no analysis."""
    from nautilus_trader.backtest.engine import BacktestEngine, BacktestEngineConfig
    from nautilus_trader.config import LoggingConfig
    from nautilus_trader.model.currencies import USDT
    from nautilus_trader.model.enums import AccountType, OmsType
    from nautilus_trader.model.identifiers import TraderId, Venue
    from nautilus_trader.model.objects import Money

    config = BacktestEngineConfig(
        trader_id=TraderId("BENCH-001"),
        logging=LoggingConfig(log_level="ERROR"),
        run_analysis=False,  # the post-run statistics report; this benchmark reads none of it
    )
    engine = BacktestEngine(config=config)
    engine.add_venue(
        venue=Venue(VENUE),
        oms_type=OmsType.HEDGING,
        account_type=AccountType.CASH,
        base_currency=None,
        starting_balances=[Money(CASH, USDT)],
        bar_execution=True,
    )
    engine.add_instrument(instrument)
    return engine


def to_bars(bars: pd.DataFrame, instrument: Any, bar_type: Any) -> list[Any]:
    """Nautilus ``Bar`` objects, ``ts_init`` at each bar's close (index + 1 minute)."""
    from nautilus_trader.persistence.wranglers import BarDataWrangler

    wrangler = BarDataWrangler(bar_type=bar_type, instrument=instrument)
    return list(wrangler.process(bars, ts_init_delta=BAR_NS))


def _final_equity(engine: Any, instrument: Any, last_close: float) -> tuple[float, int]:
    """USDT balance plus any open position marked at the last close; open trade count."""
    from nautilus_trader.model.currencies import USDT

    account = engine.portfolio.account(instrument.id.venue)
    units = sum(float(p.quantity) for p in engine.cache.positions_open())
    return float(account.balance_total(USDT)) + units * last_close, int(units > 0)


def run(bars: pd.DataFrame) -> PeerResult:
    """Run the strategy on ``bars`` and report the result."""
    import nautilus_trader
    from nautilus_trader.model.data import BarType

    for module in MODULES:
        importlib.import_module(module)
    gapless = bool(np.array_equal(bars["open"].to_numpy()[1:], bars["close"].to_numpy()[:-1]))
    with measure() as timing:
        instrument = make_instrument()
        bar_type = BarType.from_str(f"{instrument.id}-1-MINUTE-LAST-EXTERNAL")
        engine = _engine(instrument)
        engine.add_data(to_bars(bars, instrument, bar_type))
        strategy = _strategy(instrument, bar_type)
        engine.add_strategy(strategy)
        engine.run()
        equity, open_trades = _final_equity(engine, instrument, float(bars["close"].iloc[-1]))
    closed = strategy.closed_trades
    engine.dispose()
    return PeerResult(
        name=NAME,
        version=nautilus_trader.__version__,
        bars=len(bars),
        seconds=timing.seconds,
        closed_trades=closed,
        open_trades=open_trades,
        final_equity=equity,
        peak_rss_mb=timing.peak_rss_mb,
        start_rss_mb=timing.start_rss_mb,
        cpu_seconds=timing.cpu_seconds,
        notes="" if gapless else "gapped bars: fills at close[i], not open[i+1]",
    )
