"""What a search optimizes: statistics by name or functions of the run, each maximized or
minimized, and the statistics row every trial keeps.

A goal is a key of :class:`~tradeforge.backtest.stats.Stats` (``"sharpe"``,
``"total_return_pct"``, ``"max_drawdown_pct"`` ...) or a callable taking the run's result
(:class:`~tradeforge.backtest.result.BacktestResult`, or in vector mode a
:class:`~tradeforge.optimize.vector_stats.VectorRun`; both have ``.stats``) and returning a
number. Several goals make a multi-objective search (a Pareto front). Money statistics
(``final_equity``, ``fees``) are compared as floats, durations in seconds.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

import pandas as pd

from tradeforge.backtest.stats import Stats
from tradeforge.optimize.errors import OptimizeError

STAT_NAMES: tuple[str, ...] = tuple(
    k for k in Stats._keys if k not in ("start", "end", "per_symbol")
)
"""The statistics every trial records, in ``Stats`` order (all but start, end, per symbol)."""

DURATION_STATS: tuple[str, ...] = (
    "duration",
    "max_drawdown_duration",
    "avg_drawdown_duration",
    "avg_trade_duration",
    "max_trade_duration",
)
"""Statistics that are durations: recorded in seconds, shown as ``Timedelta`` in tables."""

INT_STATS: tuple[str, ...] = ("trades", "open_trades")

GoalSpec = str | Callable[[Any], float]


def stat_number(value: object) -> float:
    """A statistic as a float: decimals exactly rounded, durations in seconds."""
    if isinstance(value, pd.Timedelta):
        return float(value.total_seconds())
    if isinstance(value, Decimal):
        return float(value)
    return float(value)  # type: ignore[arg-type]


def stats_row(stats: Stats) -> dict[str, float]:
    """Every statistic of :data:`STAT_NAMES` as a number (trade counts stay integers)."""
    return {
        k: int(getattr(stats, k)) if k in INT_STATS else stat_number(getattr(stats, k))
        for k in STAT_NAMES
    }


@dataclass(frozen=True)
class Goal:
    """One thing to optimize.

    Attributes
    ----------
    name : str
        The statistic, or the callable's name.
    maximize : bool
        Higher is better (else lower is).
    fn : callable, optional
        ``fn(result) -> float``; ``None`` reads the statistic ``name``.
    """

    name: str
    maximize: bool
    fn: Callable[[Any], float] | None = None

    @property
    def direction(self) -> Literal["maximize", "minimize"]:
        """``"maximize"`` or ``"minimize"``."""
        return "maximize" if self.maximize else "minimize"

    def evaluate(self, result: Any, row: Mapping[str, float]) -> float:
        """The goal's value for one run (``row``: its :func:`stats_row`)."""
        if self.fn is None:
            return float(row[self.name])
        return float(self.fn(result))

    def signature(self) -> str:
        """Text that changes when the goal does (for study fingerprints)."""
        if self.fn is None:
            return f"{self.direction}:{self.name}"
        code = getattr(self.fn, "__code__", None)
        body = repr((code.co_code, code.co_consts)) if code is not None else repr(self.fn)
        digest = hashlib.sha256(body.encode()).hexdigest()[:16]
        return f"{self.direction}:{self.name}:{digest}"


@dataclass(frozen=True)
class Objective:
    """The goals of a search, and the fewest closed trades a run needs to count.

    Attributes
    ----------
    goals : tuple of Goal
        One goal (a single-objective search) or several (multi-objective).
    min_trades : int
        Runs with fewer closed trades are kept in the table but never best (and are told to
        model-based searches as failed): a parameter set that never trades is no answer.
    """

    goals: tuple[Goal, ...]
    min_trades: int = 0

    @classmethod
    def build(
        cls,
        maximize: GoalSpec | Sequence[GoalSpec] | None = None,
        minimize: GoalSpec | Sequence[GoalSpec] | None = None,
        min_trades: int = 0,
    ) -> Objective:
        """Goals from ``maximize`` then ``minimize`` (each a name, a callable or a list).

        Without either, the goal is to maximize ``sharpe``.

        Raises
        ------
        OptimizeError
            For an unknown statistic (the message lists them), a goal given twice, or a
            negative ``min_trades``.
        """
        if min_trades < 0:
            raise OptimizeError(f"min_trades must be >= 0, got {min_trades}")
        goals = [_goal(g, True) for g in _listed(maximize)]
        goals += [_goal(g, False) for g in _listed(minimize)]
        if not goals:
            goals = [Goal("sharpe", True)]
        goals = _unique_names(goals)
        return cls(tuple(goals), min_trades)

    @property
    def multi(self) -> bool:
        """Whether there are several goals."""
        return len(self.goals) > 1

    @property
    def value_columns(self) -> list[str]:
        """The table columns of the goals' values: ``value``, or ``value_0``, ``value_1``."""
        return ["value"] if not self.multi else [f"value_{k}" for k in range(len(self.goals))]

    def values(self, result: Any, row: Mapping[str, float]) -> tuple[float, ...]:
        """Every goal's value for one run."""
        return tuple(g.evaluate(result, row) for g in self.goals)

    def eligible(self, values: Sequence[float], trades: float) -> bool:
        """Whether a run may be best: enough closed trades and no NaN value."""
        return trades >= self.min_trades and not any(math.isnan(v) for v in values)

    def describe(self) -> str:
        """``maximize sharpe`` or ``maximize total_return_pct, maximize max_drawdown_pct``."""
        return ", ".join(f"{g.direction} {g.name}" for g in self.goals)

    def signature(self) -> str:
        """Text that changes when the goals do (for study fingerprints)."""
        return ";".join(g.signature() for g in self.goals)


def _listed(spec: GoalSpec | Sequence[GoalSpec] | None) -> list[GoalSpec]:
    if spec is None:
        return []
    if isinstance(spec, str) or callable(spec):
        return [spec]
    return list(spec)


def _goal(spec: GoalSpec, maximize: bool) -> Goal:
    if callable(spec):
        name = getattr(spec, "__name__", "objective")
        return Goal("objective" if name == "<lambda>" else name, maximize, spec)
    if spec not in STAT_NAMES:
        raise OptimizeError(f"unknown statistic {spec!r} to optimize: use {', '.join(STAT_NAMES)}")
    return Goal(spec, maximize)


def _unique_names(goals: list[Goal]) -> list[Goal]:
    named = [g for g in goals if g.fn is None]
    if len({g.name for g in named}) < len(named):
        raise OptimizeError(f"a statistic is given twice: {', '.join(g.name for g in named)}")
    out: list[Goal] = []
    used: set[str] = set()
    for goal in goals:
        name, k = goal.name, 1
        while name in used:
            name, k = f"{goal.name}_{k}", k + 1
        used.add(name)
        out.append(goal if name == goal.name else Goal(name, goal.maximize, goal.fn))
    return out
