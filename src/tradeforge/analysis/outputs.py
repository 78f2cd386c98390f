"""A strategy's indicators and signals, computed on given bars without a backtest.

:func:`strategy_outputs` builds the strategy, attaches it to the series the way the vectorized
mode does (no engine unless the strategy reaches for one), runs :meth:`~Strategy.on_start`
and reads back every line :meth:`~Strategy.indicator` registered, in order, and the
``(entries, exits)`` arrays of :meth:`~Strategy.signals` when the strategy defines it. The
analyses compare these outputs between variants of the same bars.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from tradeforge.backtest.config import BacktestConfig
from tradeforge.backtest.vectorized import bind_strategy
from tradeforge.data.replay import BarSeries
from tradeforge.model.instrument import Instrument, InstrumentKind
from tradeforge.strategy.base import Strategy

FloatArray = NDArray[np.float64]
OutputKind = Literal["indicator", "signal"]

_STEP = Decimal("0.00000001")


@dataclass(frozen=True)
class Output:
    """One output line of a strategy.

    Attributes
    ----------
    name : str
        The indicator's name (``sma_fast``, ``bbands[0]``; ``#2`` appended to a repeated
        name), or ``entries`` / ``exits`` for signals.
    kind : {"indicator", "signal"}
    series : int
        Index of the series the line belongs to (one value per bar of it).
    values : numpy.ndarray of float64
        The values; signals as 0.0 and 1.0.
    """

    name: str
    kind: OutputKind
    series: int
    values: FloatArray


def has_signals(strategy: type[Strategy]) -> bool:
    """Whether the class overrides :meth:`~Strategy.signals` (runs in the vectorized mode)."""
    return strategy.signals is not Strategy.signals


def strategy_outputs(
    strategy: type[Strategy], params: Mapping[str, Any], series: list[BarSeries]
) -> tuple[Output, ...]:
    """Every indicator line and signal array of ``strategy`` computed on ``series``.

    Parameters
    ----------
    strategy : type of Strategy
    params : mapping
        Parameter values (validated by the strategy).
    series : list of BarSeries
        The bars, primary first; they are copied, so the same list can be reused.

    Returns
    -------
    tuple of Output
        Indicators in the order ``on_start`` registered them, then ``entries`` and ``exits``
        when the strategy defines :meth:`~Strategy.signals`.
    """
    instance = strategy(**params)
    copies = [s.fresh() for s in series]
    bind_strategy(instance, copies, _instruments(copies), BacktestConfig())
    instance.on_start()
    index = {id(s.cursor): k for k, s in enumerate(copies)}
    names = _unique([line.name or "indicator" for line in instance.indicators])
    out = [
        Output(name, "indicator", index.get(id(line.cursor), 0), line.full())
        for name, line in zip(names, instance.indicators, strict=True)
    ]
    if has_signals(strategy):
        entries, exits = instance.signals()
        out += [
            Output("entries", "signal", 0, np.asarray(entries, dtype=np.float64)),
            Output("exits", "signal", 0, np.asarray(exits, dtype=np.float64)),
        ]
    return tuple(out)


def _unique(names: list[str]) -> list[str]:
    """``["sma", "sma", "rsi"]`` as ``["sma", "sma#2", "rsi"]``."""
    seen: Counter[str] = Counter()
    out = []
    for name in names:
        seen[name] += 1
        out.append(name if seen[name] == 1 else f"{name}#{seen[name]}")
    return out


def _instruments(series: list[BarSeries]) -> list[Instrument]:
    """Plain instruments for the symbols (only used if ``on_start`` reaches the engine)."""
    symbols = dict.fromkeys(s.symbol for s in series)
    return [
        Instrument(
            symbol=symbol,
            venue="sim",
            kind=InstrumentKind.PERPETUAL if symbol.is_derivative else InstrumentKind.SPOT,
            price_tick=_STEP,
            quantity_step=_STEP,
        )
        for symbol in symbols
    ]
