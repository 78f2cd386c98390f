"""Engine runs whose scripts reach the engine: trading control by hand, the kill switch, the
breakers' explicit feeds (latency, venue connection), with every event the bus carried.

A script maps a bar index of one symbol (by default the last given) to an action called at
that bar's close with the strategy and the :class:`BacktestEngine`, after the breakers were
checked and before anything else the strategy does.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pandas as pd

from tests.backtest.helpers import SYMBOL, assert_venue_agrees, instrument
from tradeforge.backtest import BacktestResult
from tradeforge.backtest.config import BacktestConfig
from tradeforge.backtest.engine import BacktestEngine
from tradeforge.data.replay import BarSeries
from tradeforge.model.instrument import Instrument
from tradeforge.model.symbol import Symbol
from tradeforge.risk.state import TradingStateChanged
from tradeforge.strategy import Strategy

EngineAction = Callable[[Strategy, BacktestEngine], Any]


@dataclass
class EngineRunResult:
    """The run's result, its engine and what was published on ``risk.*``."""

    result: BacktestResult
    engine: BacktestEngine
    published: list[Any] = field(default_factory=list)

    @property
    def states(self) -> list[tuple[pd.Timestamp, str, str]]:
        """Each state change as (time, state, source)."""
        return [(_utc(c.ts), c.state.value, c.source) for c in self.engine.trading.history]

    @property
    def changes(self) -> list[TradingStateChanged]:
        """The state changes published."""
        return [e for e in self.published if isinstance(e, TradingStateChanged)]


def engine_run(
    data: pd.DataFrame | Mapping[str, pd.DataFrame],
    script: Mapping[int, EngineAction],
    *,
    on: str | None = None,
    cash: float = 1_000,
    instruments: list[Instrument] | None = None,
    **config: Any,
) -> EngineRunResult:
    """Run ``script`` through a :class:`BacktestEngine` (full kernel); books checked exactly."""
    frames = {SYMBOL: data} if isinstance(data, pd.DataFrame) else dict(data)
    series = [BarSeries.from_frame(Symbol.parse(s), f) for s, f in frames.items()]
    made = instruments or [instrument(s) for s in frames]
    engine = BacktestEngine(series, made, BacktestConfig(cash=Decimal(str(cash)), **config))
    target = on or list(frames)[-1]

    def on_bar(self: Strategy, bar: Any) -> None:
        if str(bar.symbol) != target:
            return
        action = script.get(bar.index)
        if action is not None:
            action(self, engine)

    engine.add_strategy(type("Scripted", (Strategy,), {"on_bar": on_bar})())
    published: list[Any] = []
    engine.bus.subscribe("risk.*", published.append)
    result = BacktestResult(engine.run(), {})
    assert result.accounting_gap() == 0
    assert_venue_agrees(result)
    return EngineRunResult(result, engine, published)


def _utc(ns: int) -> pd.Timestamp:
    return pd.Timestamp(ns, unit="ns", tz="UTC")


def each(*actions: EngineAction) -> EngineAction:
    """One action doing ``actions`` in turn."""

    def run_all(strategy: Strategy, engine: BacktestEngine) -> None:
        for action in actions:
            action(strategy, engine)

    return run_all
