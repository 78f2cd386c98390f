"""Engine runs with risk limits, and exact readers of what the gate refused.

Single-symbol runs use :func:`tests.backtest.helpers.run` (constructed bars, books checked to
the last digit). Runs over several symbols use :func:`run_many`, whose scripted strategy acts
on the bars of one chosen symbol (by default the last one given), so that at the moment it
acts every symbol's bar of that close time has been revealed.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import pandas as pd

from tests.backtest.helpers import Action, assert_venue_agrees, instrument, orders, reason
from tradeforge.backtest import Backtest, BacktestResult
from tradeforge.backtest.config import BacktestConfig
from tradeforge.backtest.engine import BacktestEngine
from tradeforge.data import ParquetCatalog
from tradeforge.data.replay import BarSeries
from tradeforge.model.symbol import Symbol
from tradeforge.risk.engine import RiskEngine, RiskRejection
from tradeforge.samples import SAMPLE_CATALOG
from tradeforge.strategy import Strategy

OK = "ok"
"""What :func:`outcomes` says of an order the gate let through."""


def scripted_on(script: Mapping[int, Action], on: str, name: str = "Scripted") -> type[Strategy]:
    """A strategy running ``script[i](self)`` at the close of bar ``i`` of symbol ``on``."""

    def on_bar(self: Strategy, bar: Any) -> None:
        if str(bar.symbol) != on:
            return
        action = script.get(bar.index)
        if action is not None:
            action(self)

    return type(name, (Strategy,), {"on_bar": on_bar})


def run_many(
    data: Mapping[str, pd.DataFrame],
    script: Mapping[int, Action],
    *,
    on: str | None = None,
    cash: float = 1_000,
    tick: str = "0.01",
    step: str = "0.001",
    **config: Any,
) -> BacktestResult:
    """Run ``script`` over several symbols' bars (acting on ``on``'s bars, default the last
    symbol); instruments on the ``sim`` venue with ``tick`` and ``step``, no fees unless
    ``commission``."""
    symbols = list(data)
    strategy = scripted_on(script, on or symbols[-1])
    if "instruments" not in config:
        config["instruments"] = [instrument(s, tick=tick, step=step) for s in symbols]
    result = Backtest(dict(data), strategy, cash=cash, **config).run()
    assert result.accounting_gap() == 0
    assert_venue_agrees(result)
    return result


def run_strategies(
    data: pd.DataFrame, scripts: Mapping[str, Mapping[int, Action]], **config: Any
) -> BacktestEngine:
    """Several scripted strategies (named by the keys) on one constructed series, through
    the :class:`BacktestEngine` (the facade takes one strategy)."""
    series = [BarSeries.from_frame(Symbol.parse("ASSET/USD"), data)]
    engine = BacktestEngine(series, [instrument()], BacktestConfig(cash=Decimal(1_000), **config))
    for name, script in scripts.items():
        engine.add_strategy(scripted_on(script, "ASSET/USD", name)(strategy_id=name))
    engine.run()
    return engine


def outcomes(result: BacktestResult | BacktestEngine) -> list[tuple[str, str]]:
    """Each order's id and the reason the gate refused it, or :data:`OK`."""
    execution = result.run.execution if isinstance(result, BacktestResult) else result.execution
    return [
        (o.client_order_id, reason(o) if _refused_locally(o) else OK)
        for o in execution.orders.values()
    ]


def reasons(result: BacktestResult) -> list[str]:
    """Per order, in submission order: the refusal's reason, or :data:`OK`."""
    return [reason for _, reason in outcomes(result)]


def _refused_locally(order: Any) -> bool:
    """Refused before it reached the venue: initialized, then rejected, nothing between."""
    return [type(e).__name__ for e in order.events] == ["OrderInitialized", "OrderRejected"]


def rejections(result: BacktestResult) -> list[RiskRejection]:
    """What the run's risk engine recorded."""
    risk = result.run.execution.risk  # type: ignore[union-attr]
    assert isinstance(risk, RiskEngine)
    return list(risk.rejections)


def sample_bars(symbol: str, start: str, end: str) -> pd.DataFrame:
    """Real Binance 1h bars of the bundled sample catalog, ``start <= open < end``."""
    frame = ParquetCatalog(SAMPLE_CATALOG).read_bars("binance", symbol, "1h", start, end)
    return frame[["open", "high", "low", "close", "volume"]]


__all__ = [
    "OK",
    "orders",
    "outcomes",
    "reasons",
    "rejections",
    "run_many",
    "run_strategies",
    "sample_bars",
    "scripted_on",
]
