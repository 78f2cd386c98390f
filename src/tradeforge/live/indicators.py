"""Indicators that follow growing series.

A strategy computes its indicators once, vectorized, in ``on_start``
(:meth:`Strategy.indicator <tradeforge.strategy.Strategy.indicator>`) and reads them bar by
bar. In a backtest the whole series is known then; on a node it grows by one bar at a time.
An :class:`IndicatorBook` keeps what each ``indicator`` call computed (the function, its
arguments, the lines it made) and computes every one again, in the same order, after the
strategy's series grew: the strategy's lines keep their identity and get the new values, so
its code is the same in every mode, and the values at a bar are the backtest's values at
that bar for the same history. The strategy's ``warmup`` is worked out again with them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from tradeforge.data.lines import Line
from tradeforge.live.series import refill
from tradeforge.strategy.base import Strategy


@dataclass(frozen=True)
class _Recipe:
    """One ``indicator`` call: what it computed and the lines it made."""

    fn: Callable[..., Any]
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    lines: tuple[Line, ...]


class IndicatorBook:
    """The indicators of one strategy, recorded as it makes them, computed again on demand.

    Parameters
    ----------
    strategy : Strategy
        Bound to its context; from now on its ``indicator`` calls are recorded (the node
        creates the book before ``on_start``).
    """

    def __init__(self, strategy: Strategy) -> None:
        self.strategy = strategy
        self.recipes: list[_Recipe] = []
        self._compute = strategy.indicator
        vars(strategy)["indicator"] = self._record

    def _record(
        self, fn: Callable[..., Any], *args: Any, name: str | None = None, **kwargs: Any
    ) -> Any:
        before = len(self.strategy.indicators)
        result = self._compute(fn, *args, name=name, **kwargs)
        lines = self.strategy.indicators[before:]
        self.recipes.append(_Recipe(fn, args, dict(kwargs), lines))
        return result

    def recompute(self) -> None:
        """Compute every indicator again over its series as they are now, in the order they
        were made (an indicator of an indicator reads the new values), and the warm-up."""
        for recipe in self.recipes:
            values = recipe.fn(
                *[a.full() if isinstance(a, Line) else a for a in recipe.args], **recipe.kwargs
            )
            outputs = values if isinstance(values, tuple) else (values,)
            for line, output in zip(recipe.lines, outputs, strict=True):
                refill(line, np.asarray(output, dtype=np.float64))
        self.strategy.warmup = self._warmup()

    def _warmup(self) -> int:
        primary = self.strategy.ctx.series[0].cursor
        firsts = [
            _first_defined(line) for line in self.strategy.indicators if line.cursor is primary
        ]
        return max(firsts, default=0)

    def ready(self) -> bool:
        """Whether every indicator has a value at the last bar of its series."""
        for line in self.strategy.indicators:
            values = line.full()
            if not len(values) or np.isnan(values[-1]):
                return False
        return True


def _first_defined(line: Line) -> int:
    values = line.full()
    defined = np.flatnonzero(~np.isnan(values))
    return int(defined[0]) if len(defined) else len(values)
