"""The orders an event-driven strategy decides, bar by bar, in a real backtest.

A strategy without :meth:`~tradeforge.strategy.Strategy.signals` decides in ``on_bar``, so its
decisions are read off a backtest: every order it created, keyed by the primary bar at whose
close it was created (its ``ts_init``), its side and its type. Runs on data cut at a bar must
decide exactly what the full run decided up to that bar.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from tradeforge.backtest.facade import Backtest
from tradeforge.backtest.result import BacktestResult
from tradeforge.data.replay import BarSeries
from tradeforge.strategy.base import Strategy

Decision = tuple[int, str, str]
"""``(bar, side, order type)``: bar is the primary bar at whose close the order was made."""


def backtest(
    strategy: type[Strategy],
    params: Mapping[str, Any],
    series: list[BarSeries],
    options: Mapping[str, Any],
) -> BacktestResult:
    """Run ``strategy`` on copies of ``series`` with :class:`Backtest` ``options``."""
    data = [s.fresh() for s in series]
    return Backtest(data, strategy, **dict(options)).run(**dict(params))


def instruments_of(result: BacktestResult) -> list[Any]:
    """The instruments a run inferred, to give every cut run the same ticks and steps."""
    return list(result.run.strategies[0].ctx.instruments.values())


def decisions(result: BacktestResult, primary: BarSeries) -> Counter[Decision]:
    """Every order of the run as a :data:`Decision`, counted."""
    orders = result.orders
    if not len(orders):
        return Counter()
    ts = pd.DatetimeIndex(orders["ts_init"]).as_unit("ns").asi8
    bars = np.searchsorted(primary.ts_close, ts, side="left")
    return Counter(
        zip(
            bars.tolist(),
            [str(s).lower() for s in orders["side"]],
            [str(t).lower() for t in orders["type"]],
            strict=True,
        )
    )


def changed_decisions(full: Counter[Decision], part: Counter[Decision], cut: int) -> list[Decision]:
    """Decisions at bars up to ``cut`` that the cut run made a different number of times."""
    upto = Counter({d: n for d, n in full.items() if d[0] <= cut})
    keys = set(upto) | set(part)
    return sorted(d for d in keys if upto[d] != part[d])
