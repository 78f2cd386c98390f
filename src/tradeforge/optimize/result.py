"""What a search returns: every trial's parameters, goal values and statistics, the best.

``trials`` has one row per evaluated point, in search order: ``trial`` (the point's number),
the parameters, the goal values (``value``, or ``value_0``, ``value_1`` ... with several
goals), ``eligible`` (enough trades, no NaN, parameters accepted), ``error``, every statistic
of :data:`~tradeforge.optimize.objective.STAT_NAMES` (durations as ``Timedelta``), and how it
ran: ``seconds``, ``worker`` (process id, 0 when read back from a journal) and
``worker_peak_mb``.

The best point is the eligible row with the highest value (the lowest for a minimized goal),
the earliest on ties. With several goals the Pareto front is the set of eligible rows no other
eligible row beats on one goal without losing on another, and ``best_params`` is the front's
best row on the first goal.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tradeforge.optimize.objective import DURATION_STATS, STAT_NAMES, Objective
from tradeforge.optimize.trial import TrialOutcome

RUN_COLUMNS = ("seconds", "worker", "worker_peak_mb")
"""Columns about how a trial ran, not what it found: they differ between runs of a search."""


@dataclass(frozen=True)
class OptimizeResult:
    """The outcome of a search.

    Attributes
    ----------
    trials : DataFrame
        One row per evaluated point (see the module docstring for the columns).
    params : tuple of str
        The searched parameters (the table also has the fixed ones).
    objective : Objective
        The goals.
    method : str
        ``grid``, ``random``, ``tpe``, ``cmaes`` or ``nsga2``.
    strategy : str
        The strategy class name.
    study : str or None
        The study's name when it was stored (resumable), else ``None``.
    space : dict
        The searched space, JSON-ready (each parameter's values, range or fixed value).
    """

    trials: pd.DataFrame
    params: tuple[str, ...]
    objective: Objective
    method: str
    strategy: str
    study: str | None = None
    space: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_outcomes(
        cls,
        outcomes: Sequence[TrialOutcome],
        params: Sequence[str],
        objective: Objective,
        *,
        method: str,
        strategy: str,
        study: str | None = None,
        space: dict[str, Any] | None = None,
    ) -> OptimizeResult:
        """Build the table from the trials' outcomes."""
        frame = trials_frame(outcomes, objective)
        return cls(frame, tuple(params), objective, method, strategy, study, space or {})

    @property
    def value_columns(self) -> list[str]:
        """The goal value columns."""
        return self.objective.value_columns

    @property
    def eligible(self) -> pd.DataFrame:
        """The rows that may be best."""
        return self.trials[self.trials["eligible"]]

    @property
    def pareto(self) -> pd.DataFrame:
        """The eligible rows on the Pareto front of the goals (the best row alone with one
        goal), best first on the first goal."""
        rows = self.eligible
        if rows.empty:
            return rows
        scores = self._scores(rows)
        front = pareto_mask(scores)
        order = np.argsort(-scores[front, 0], kind="stable")
        return rows[front].iloc[order]

    @property
    def best(self) -> pd.Series:
        """The best row (see the module docstring).

        Raises
        ------
        ValueError
            When no trial is eligible.
        """
        rows = self.eligible
        if rows.empty:
            raise ValueError(
                f"no eligible trial among {len(self.trials)}: every run was refused, had a "
                f"NaN value or fewer than {self.objective.min_trades} trades"
            )
        if self.objective.multi:
            return self.pareto.iloc[0]
        return rows.iloc[int(np.argmax(self._scores(rows)[:, 0]))]

    @property
    def best_params(self) -> dict[str, Any]:
        """Every parameter of the best row (fixed ones included), as the strategy takes them."""
        best = self.best
        return {name: _plain(best[name]) for name in self._param_columns()}

    @property
    def best_value(self) -> float | tuple[float, ...]:
        """The best row's goal value (a tuple with several goals)."""
        values = tuple(float(self.best[c]) for c in self.value_columns)
        return values if self.objective.multi else values[0]

    def heatmap(self, x: str, y: str, *, value: str | None = None) -> pd.DataFrame:
        """The best ``value`` (default: the first goal's) for each ``(y, x)`` pair over the
        other parameters: a frame indexed by ``y`` with a column per ``x``."""
        column = value or self.value_columns[0]
        goal = self.objective.goals[0]
        rows = self.eligible
        table = rows.pivot_table(index=y, columns=x, values=column,
                                 aggfunc="max" if goal.maximize else "min")  # fmt: skip
        return table.sort_index().sort_index(axis=1)

    def top(self, n: int = 10) -> pd.DataFrame:
        """The ``n`` best eligible rows, best first (on the first goal)."""
        rows = self.eligible
        order = np.argsort(-self._scores(rows)[:, 0], kind="stable")[:n]
        return rows.iloc[order]

    def report(self, path: str | Path = "optimize.html", *, title: str | None = None) -> Path:
        """Write the search's HTML report: heatmaps, pairwise heatmaps, parameter
        sensitivity, the Pareto front with several goals, the best trials.

        Returns
        -------
        Path
            The file written (see :func:`tradeforge.report.optimize.write_optimize_report`).
        """
        from tradeforge.report.optimize import write_optimize_report  # noqa: PLC0415 - plotly

        return write_optimize_report(self, path, title=title)

    def summary(self, top: int = 10) -> dict[str, Any]:
        """The search as JSON-ready values: method, goals, counts, the best point, and under
        ``rows`` the ``top`` best eligible rows (every row, in search order, with ``top=-1``)."""
        best = self.best if len(self.eligible) else None
        rows = self.trials if top < 0 else self.top(top)
        return {
            "strategy": self.strategy,
            "method": self.method,
            "study": self.study,
            "objective": self.objective.describe(),
            "goals": [{"name": g.name, "direction": g.direction} for g in self.objective.goals],
            "params": list(self.params),
            "space": self.space,
            "trials": len(self.trials),
            "eligible": int(self.trials["eligible"].sum()),
            "best_params": self.best_params if best is not None else None,
            "best_value": _json(self.best_value) if best is not None else None,
            "rows": [_row_json(r) for r in rows.to_dict("records")],
        }

    def _scores(self, rows: pd.DataFrame) -> np.ndarray[Any, np.dtype[np.float64]]:
        """The goal values, each oriented so that higher is better."""
        signs = [1.0 if g.maximize else -1.0 for g in self.objective.goals]
        values: np.ndarray[Any, np.dtype[np.float64]] = rows[self.value_columns].to_numpy(
            dtype=np.float64
        )
        return values * np.asarray(signs, dtype=np.float64)

    def _param_columns(self) -> list[str]:
        skip = {"trial", "eligible", "error", *self.value_columns, *STAT_NAMES, *RUN_COLUMNS}
        return [c for c in self.trials.columns if c not in skip]


def trials_frame(outcomes: Sequence[TrialOutcome], objective: Objective) -> pd.DataFrame:
    """The table of :class:`OptimizeResult` from outcomes."""
    records = []
    for o in outcomes:
        values = dict(zip(objective.value_columns, o.values, strict=True))
        trades = o.stats.get("trades", 0)
        eligible = o.valid and objective.eligible(o.values, trades)
        stats = {k: o.stats.get(k, math.nan) for k in STAT_NAMES}
        records.append({"trial": o.index, **o.params, **values, "eligible": eligible,
                        "error": o.error, **stats, "seconds": o.seconds, "worker": o.worker,
                        "worker_peak_mb": o.peak_rss_mb})  # fmt: skip
    frame = pd.DataFrame.from_records(records)
    if frame.empty:
        return frame
    for name in DURATION_STATS:
        frame[name] = pd.to_timedelta(frame[name], unit="s")
    for name in ("trades", "open_trades"):
        frame[name] = frame[name].astype("Int64")
    return frame.reset_index(drop=True)


def pareto_mask(
    scores: np.ndarray[Any, np.dtype[np.float64]],
) -> np.ndarray[Any, np.dtype[np.bool_]]:
    """Rows no other row dominates (at least as good on every column, better on one);
    higher is better. Equal rows are all kept."""
    order = np.lexsort(tuple(-scores[:, k] for k in reversed(range(scores.shape[1]))))
    front: list[int] = []
    for i in order:
        row = scores[i]
        dominated = any(bool(np.all(scores[j] >= row) and np.any(scores[j] > row)) for j in front)
        if not dominated:
            front.append(int(i))
    mask = np.zeros(len(scores), dtype=bool)
    mask[front] = True
    return mask


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _json(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_json(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _row_json(row: Mapping[Any, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in row.items():
        if isinstance(value, pd.Timedelta):
            out[str(key)] = None if pd.isna(value) else str(value)
        elif value is pd.NA:
            out[str(key)] = None
        else:
            out[str(key)] = _json(_plain(value))
    return out
