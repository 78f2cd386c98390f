"""The node's strategies: bound to the kernel exactly as a backtest binds them, fed live bars.

Each strategy gets the same :class:`~tradeforge.strategy.context.StrategyContext` a backtest
gives it (the clock, the execution engine as its order route, the portfolio, the instruments,
its series, an id generator and its view of the trading state), so its code does not know the
mode. Its id generator continues from the highest counter in the store, so ids never repeat
after a restart. Its indicators are recorded (:class:`~tradeforge.live.indicators.IndicatorBook`)
and computed again when its series grow.

Unlike a backtest, an exception in a strategy's hook does not stop the node: it is logged
with the strategy, the hook, the time and the traceback, counted in
:attr:`StrategyHost.errors`, and the other strategies go on.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tradeforge.common.ids import ClientOrderIdGenerator
from tradeforge.data.replay import BarSeries
from tradeforge.live.config import NodeConfig, order_id_tag
from tradeforge.live.indicators import IndicatorBook
from tradeforge.live.kernel import Kernel
from tradeforge.live.sequencer import SeriesKey
from tradeforge.live.series import series_of
from tradeforge.live.warmup import Follower
from tradeforge.model.events import OrderEvent, PositionEvent
from tradeforge.model.instrument import Instrument
from tradeforge.model.orders import Order
from tradeforge.model.symbol import Symbol
from tradeforge.strategy.base import Strategy
from tradeforge.strategy.context import StrategyContext
from tradeforge.strategy.views import BarView

_log = logging.getLogger("tradeforge.live")


@dataclass
class Hosted:
    """One strategy on the node."""

    strategy: Strategy
    keys: list[SeriesKey]
    book: IndicatorBook
    fixed: int | None

    @property
    def follower(self) -> Follower:
        """The strategy as the warm-up sees it."""
        return Follower(self.book, self.keys, self.fixed)


def series_keys(config: NodeConfig) -> dict[str, list[SeriesKey]]:
    """Each strategy's series, primary first: its symbols in order, each with its
    timeframes shortest first."""
    out = {}
    for settings in config.strategies:
        built = settings.build()
        timeframes = config.strategy_timeframes(settings, built)
        out[settings.strategy_id] = [
            (symbol, tf) for symbol in config.strategy_symbols(settings) for tf in timeframes
        ]
    return out


def empty_series(keys: dict[str, list[SeriesKey]]) -> dict[SeriesKey, BarSeries]:
    """One empty series per key, in the order strategies name them (ties go in this order)."""
    out: dict[SeriesKey, BarSeries] = {}
    for chain in keys.values():
        for key in chain:
            if key not in out:
                out[key] = series_of(key[0], key[1], [])
    return out


class StrategyHost:
    """Binds the strategies to a kernel and calls their hooks.

    Parameters
    ----------
    config : NodeConfig
    kernel : Kernel
    instruments : dict
    counters : dict
        The highest client order id counter stored per tag.
    """

    def __init__(
        self,
        config: NodeConfig,
        kernel: Kernel,
        instruments: dict[Symbol, Instrument],
        counters: dict[str, int],
    ) -> None:
        self.kernel = kernel
        self.errors = 0
        """Exceptions raised by strategy hooks so far (each logged)."""
        keys = series_keys(config)
        self.hosted = [
            self._bind(s.build(), keys[s.strategy_id], s.warmup_bars, instruments, counters)
            for s in config.strategies
        ]
        kernel.trading.ids.count = counters.get(kernel.trading.ids.strategy_tag, 0)

    @property
    def strategies(self) -> list[Strategy]:
        """The strategies, in the configured order."""
        return [h.strategy for h in self.hosted]

    def _bind(
        self,
        strategy: Strategy,
        keys: list[SeriesKey],
        fixed: int | None,
        instruments: dict[Symbol, Instrument],
        counters: dict[str, int],
    ) -> Hosted:
        kernel, sid = self.kernel, strategy.strategy_id
        tag = order_id_tag(sid)
        ctx = StrategyContext(
            sid, kernel.clock, kernel.execution, kernel.portfolio, instruments,
            [kernel.series[k] for k in keys],
            ClientOrderIdGenerator(tag, kernel.clock, counters.get(tag, 0)),
            trading=kernel.trading.for_strategy(sid),
        )  # fmt: skip
        strategy._bind(ctx)
        kernel.execution.register(
            sid, self._order_listener(strategy), self._position_listener(strategy)
        )
        return Hosted(strategy, keys, IndicatorBook(strategy), fixed)

    # -- hooks ------------------------------------------------------------------------------

    def start(self) -> None:
        """Every strategy's ``on_start`` (over the warm-up history)."""
        for hosted in self.hosted:
            self.call(hosted.strategy, "on_start", hosted.strategy.on_start)

    def stop(self) -> None:
        """Every strategy's ``on_stop``."""
        for hosted in self.hosted:
            self.call(hosted.strategy, "on_stop", hosted.strategy.on_stop)

    def grew(self, key: SeriesKey) -> None:
        """A series got a bar: compute the indicators of the strategies that read it again."""
        for hosted in self.hosted:
            if key in hosted.keys:
                try:
                    hosted.book.recompute()
                except Exception as exc:
                    self._failed(hosted.strategy, "indicator", exc)

    def on_bar(self, key: SeriesKey, series: BarSeries) -> None:
        """Each strategy that reads the series gets ``on_bar`` (from its warm-up bar on)."""
        view = BarView(series)
        for hosted in self.hosted:
            strategy = hosted.strategy
            if key in hosted.keys and strategy.ctx.series[0].cursor.i >= strategy.warmup:
                self.call(strategy, "on_bar", strategy.on_bar, view)

    def call(self, strategy: Strategy, hook: str, fn: Callable[..., Any], *args: Any) -> None:
        """Call a hook of ``strategy``; an exception is logged and counted, not raised."""
        try:
            fn(*args)
        except Exception as exc:
            self._failed(strategy, hook, exc)

    def _failed(self, strategy: Strategy, hook: str, exc: BaseException) -> None:
        self.errors += 1
        when = self.kernel.clock.utc_now().isoformat()
        text = "".join(traceback.format_exception(exc))
        _log.error("strategy %s: %s raised at %s:\n%s", strategy.strategy_id, hook, when, text)

    def _order_listener(self, strategy: Strategy) -> Callable[[Order, OrderEvent], None]:
        return lambda order, event: self.call(
            strategy, "on_order_event", strategy.on_order_event, event
        )

    def _position_listener(self, strategy: Strategy) -> Callable[[PositionEvent], None]:
        return lambda event: self.call(
            strategy, "on_position_event", strategy.on_position_event, event
        )
