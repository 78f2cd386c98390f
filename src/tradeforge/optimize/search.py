"""Grid and random searches: every point of the grid, or a seeded sample of it, each run once.

Points are numbered in grid order (``itertools.product`` of the dimensions as given, the last
varying fastest), after the constraint. A random search draws ``trials`` distinct points of
that grid with ``numpy.random.default_rng(seed)`` and keeps them in grid order, as
backtesting.py's randomized grid does. With a journal, points already recorded under the study
are read back instead of run (see :mod:`tradeforge.optimize.journal`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from tradeforge.optimize.errors import OptimizeError
from tradeforge.optimize.executors import Executor, Point
from tradeforge.optimize.fingerprint import point_key
from tradeforge.optimize.progress import SearchProgress
from tradeforge.optimize.space import Constraint, ParameterSpace
from tradeforge.optimize.trial import TrialOutcome

if TYPE_CHECKING:  # the journal's store (alembic, the migrations) only for a stored study
    from tradeforge.optimize.journal import Journal, StoredPoint

MODEL_BASED = ("tpe", "cmaes", "nsga2")
"""The model-based methods (:mod:`~tradeforge.optimize.optuna_search`), named here so that
checking a method does not import optuna (half a second)."""


def grid_points(space: ParameterSpace, constraint: Constraint | None) -> list[dict[str, Any]]:
    """Every admissible grid point, in grid order.

    Raises
    ------
    OptimizeError
        When the constraint refuses every point.
    """
    points = space.grid(constraint)
    if not points:
        raise OptimizeError(f"the constraint refuses all {space.grid_size():,} grid points")
    return points


def random_points(
    space: ParameterSpace, constraint: Constraint | None, trials: int, seed: int | None
) -> list[dict[str, Any]]:
    """``trials`` distinct admissible grid points (all of them when there are fewer), drawn
    with ``default_rng(seed)``, in grid order."""
    points = grid_points(space, constraint)
    if trials >= len(points):
        return points
    chosen = np.random.default_rng(seed).choice(len(points), size=trials, replace=False)
    return [points[int(k)] for k in np.sort(chosen)]


def run_points(
    points: list[dict[str, Any]],
    stored: dict[str, StoredPoint],
    executor: Executor,
    journal: Journal | None,
    progress: SearchProgress,
) -> list[TrialOutcome]:
    """Run every point not in ``stored`` (a journal's finished points); the outcomes of all
    points in point order. Each new outcome is recorded in ``journal`` as it arrives, so an
    interruption keeps it.
    """
    outcomes: dict[int, TrialOutcome] = {}
    todo: list[Point] = []
    for index, params in enumerate(points):
        found = stored.get(point_key(params))
        if found is not None:
            outcomes[index] = restored(index, params, found)
        else:
            todo.append((index, params))
    try:
        for outcome in executor.imap(todo) if todo else ():
            outcomes[outcome.index] = outcome
            if journal is not None:
                journal.record(outcome)
            progress.advance()
    finally:
        if journal is not None:
            journal.flush()
    return [outcomes[k] for k in sorted(outcomes)]


def restored(index: int, params: dict[str, Any], point: StoredPoint) -> TrialOutcome:
    """A recorded point as an outcome (its worker and memory are not known any more)."""
    return TrialOutcome(index, params, point.values, point.stats, point.error, point.seconds)


def done_count(points: list[dict[str, Any]], stored: dict[str, StoredPoint]) -> int:
    """How many of ``points`` are in ``stored``."""
    return sum(point_key(p) in stored for p in points)
