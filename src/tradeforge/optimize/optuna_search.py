"""Model-based searches with optuna: TPE, CMA-ES and NSGA-II (multi-objective), ask and tell.

The driver asks optuna for a point, runs it on the executor and tells optuna the goal values
when it finishes, keeping ``2 x workers`` trials in flight (TPE's constant liar accounts for
the running ones). Around optuna's samplers:

* a point the constraint refuses is told as ``PRUNED`` and does not count as a trial (after
  :data:`MAX_REFUSED` refusals in a row the search stops with an error);
* a point already evaluated, in this run or an earlier one of the study, is told its recorded
  values again instead of being run twice (optuna samples discrete spaces with repeats);
* a run the strategy refuses (``ParameterError``), with a NaN value, or with fewer closed
  trades than ``min_trades`` is told as ``FAIL``: it counts, but does not steer the sampler;
* every trial keeps the run's statistics in its user attribute ``"tradeforge"``, so the result
  table can be rebuilt from the storage alone.

Studies live in optuna's storage: in memory, or an RDB URL (``sqlite:///optuna.db``,
``postgresql://...``) where a study of the same name resumes: ``trials`` is the study's total,
so a re-run only runs what is missing. Trials left ``RUNNING`` by an interrupted run are marked
``FAIL`` when the study is opened again (one driver per study at a time). Integer ranges and
``range(...)`` values become ``IntDistribution``; float ranges ``FloatDistribution``; other
value lists are categorical. With several workers the order of tells, and so the sampled
points, depend on timing; a serial run with a seed is reproducible.
"""

from __future__ import annotations

import importlib.util
import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import optuna
from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from optuna.trial import Trial, TrialState
from sqlalchemy import inspect

from tradeforge.optimize.errors import OptimizeError
from tradeforge.optimize.executors import Executor, Point
from tradeforge.optimize.fingerprint import decode_number, encode_number, point_key
from tradeforge.optimize.objective import Objective
from tradeforge.optimize.progress import SearchProgress
from tradeforge.optimize.search import MODEL_BASED
from tradeforge.optimize.space import (
    Choice,
    Constraint,
    Dimension,
    FloatRange,
    IntRange,
    ParameterSpace,
    Params,
)
from tradeforge.optimize.trial import TrialOutcome
from tradeforge.persistence.store import Store, display_url, normalize_url

METHODS = MODEL_BASED
USER_ATTR = "tradeforge"
FINGERPRINT_ATTR = "tradeforge_fingerprint"
MAX_REFUSED = 1_000
"""Consecutive points the constraint may refuse before the search gives up."""


def make_sampler(
    method: str, seed: int | None, trials: int, multi: bool
) -> optuna.samplers.BaseSampler:
    """The optuna sampler of ``method``.

    Raises
    ------
    OptimizeError
        For CMA-ES with several goals, or without the ``cmaes`` package.
    """
    if method == "tpe":
        return optuna.samplers.TPESampler(seed=seed)
    if method == "cmaes":
        if multi:
            raise OptimizeError("method 'cmaes' optimizes one goal: use 'nsga2' or 'tpe'")
        if importlib.util.find_spec("cmaes") is None:
            raise OptimizeError("method 'cmaes' needs the cmaes package: pip install cmaes")
        return optuna.samplers.CmaEsSampler(seed=seed, warn_independent_sampling=False)
    population = max(4, min(50, trials // 4))
    return optuna.samplers.NSGAIISampler(seed=seed, population_size=population)


def distributions(space: ParameterSpace) -> dict[str, BaseDistribution]:
    """One optuna distribution per searched parameter."""
    return {name: _distribution(dim) for name, dim in space.dimensions.items()}


def _distribution(dim: Dimension) -> BaseDistribution:
    if isinstance(dim, IntRange):
        return IntDistribution(dim.low, dim.high, log=dim.log, step=dim.step)
    if isinstance(dim, FloatRange):
        return FloatDistribution(dim.low, dim.high, log=dim.log, step=dim.step)
    assert isinstance(dim, Choice)
    values = dim.options
    steps = {b - a for a, b in itertools.pairwise(values)}
    if (all(type(v) is int for v in values) and len(steps) == 1
            and (step := next(iter(steps))) > 0):  # fmt: skip
        return IntDistribution(values[0], values[-1], step=step)
    return CategoricalDistribution(values)


def open_study(
    storage: str | None,
    name: str,
    fingerprint: str,
    objective: Objective,
    sampler: optuna.samplers.BaseSampler,
) -> optuna.Study:
    """The study ``name`` (new, or resumed from ``storage``), its stale running trials failed.

    Raises
    ------
    OptimizeError
        When the storage holds tradeforge's own tables, or the study was recorded with another
        fingerprint or other goal directions.
    """
    rdb = _rdb_storage(storage) if storage is not None else None
    directions = [g.direction for g in objective.goals]
    study = optuna.create_study(
        storage=rdb, sampler=sampler, study_name=name, directions=directions, load_if_exists=True
    )
    recorded = study.user_attrs.get(FINGERPRINT_ATTR)
    if recorded is None:
        study.set_user_attr(FINGERPRINT_ATTR, fingerprint)
    elif recorded != fingerprint or [d.name.lower() for d in study.directions] != directions:
        raise OptimizeError(
            f"study {name!r} was recorded with other strategy code, bars, venue settings, mode "
            "or goals: give another --study name"
        )
    for stale in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        study.tell(stale.number, state=TrialState.FAIL)
    return study


def _rdb_storage(url: str) -> optuna.storages.RDBStorage:
    parsed = normalize_url(url)
    with Store(parsed) as store, store.translate_errors():
        tables = set(inspect(store.engine).get_table_names())
    if "optimization_studies" in tables or "audit_log" in tables:
        raise OptimizeError(
            f"--storage {display_url(parsed)} is a tradeforge store: give optuna studies a "
            "database of their own"
        )
    return optuna.storages.RDBStorage(parsed.render_as_string(hide_password=False))


def run_study(
    study: optuna.Study,
    *,
    space: ParameterSpace,
    objective: Objective,
    constraint: Constraint | None,
    trials: int,
    executor: Executor,
    progress: SearchProgress,
) -> list[TrialOutcome]:
    """Bring the study to ``trials`` counted trials; every distinct point it evaluated, in
    order of its first trial."""
    known = {point_key(o.params): o for o in study_outcomes(study)}
    driver = _Driver(study, space=space, objective=objective, constraint=constraint,
                     known=known, progress=progress)  # fmt: skip
    for outcome in executor.imap(driver.points(trials - counted_trials(study))):
        driver.finish(outcome)
    return study_outcomes(study)


@contextmanager
def quiet_optuna() -> Iterator[None]:
    """Optuna logs warnings only inside the block (not a line per trial)."""
    verbosity = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        yield
    finally:
        optuna.logging.set_verbosity(verbosity)


def counted_trials(study: optuna.Study) -> int:
    """Trials of the study that count towards ``trials`` (finished, with our record)."""
    return len(_counted(study))


def _counted(study: optuna.Study) -> list[optuna.trial.FrozenTrial]:
    states = (TrialState.COMPLETE, TrialState.FAIL)
    return [t for t in study.get_trials(deepcopy=False, states=states) if USER_ATTR in t.user_attrs]


def study_outcomes(study: optuna.Study) -> list[TrialOutcome]:
    """Each distinct point of the study's counted trials, numbered by its first trial."""
    seen: dict[str, TrialOutcome] = {}
    for trial in sorted(_counted(study), key=lambda t: t.number):
        record = trial.user_attrs[USER_ATTR]
        params = dict(record["params"])
        key = point_key(params)
        if key not in seen:
            seen[key] = TrialOutcome(
                trial.number, params,
                tuple(float(decode_number(v)) for v in record["values"]),
                {k: decode_number(v) for k, v in record["stats"].items()},
                record["error"], record["seconds"],
            )  # fmt: skip
    return list(seen.values())


class _Driver:
    """Asks points, tells results; one per run of :func:`run_study`."""

    def __init__(
        self,
        study: optuna.Study,
        *,
        space: ParameterSpace,
        objective: Objective,
        constraint: Constraint | None,
        known: dict[str, TrialOutcome],
        progress: SearchProgress,
    ) -> None:
        self.study, self.space, self.objective = study, space, objective
        self.constraint, self.known, self.progress = constraint, known, progress
        self.waiting: dict[str, list[Trial]] = {}
        self.distributions = distributions(space)

    def points(self, count: int) -> Iterator[Point]:
        """Ask ``count`` counted trials; yield the points that need a run."""
        asked = 0
        while asked < count:
            trial, params = self._ask_admissible()
            asked += 1
            key = point_key(params)
            if key in self.known:
                self._tell(trial, self.known[key])
            elif key in self.waiting:
                self.waiting[key].append(trial)
            else:
                self.waiting[key] = [trial]
                yield trial.number, params

    def finish(self, outcome: TrialOutcome) -> None:
        """Tell every trial waiting for this point."""
        key = point_key(outcome.params)
        self.known[key] = outcome
        for trial in self.waiting.pop(key, []):
            self._tell(trial, outcome)

    def _ask_admissible(self) -> tuple[Trial, dict[str, Any]]:
        for _ in range(MAX_REFUSED):
            trial = self.study.ask(self.distributions)
            params = self.space.point(trial.params)
            if self.constraint is None or self.constraint(Params(params)):
                return trial, params
            self.study.tell(trial, state=TrialState.PRUNED)
        raise OptimizeError(
            f"the constraint refused {MAX_REFUSED:,} sampled points in a row: loosen it or "
            "narrow the ranges"
        )

    def _tell(self, trial: Trial, outcome: TrialOutcome) -> None:
        trial.set_user_attr(
            USER_ATTR,
            {
                "params": {k: encode_number(v) for k, v in outcome.params.items()},
                "values": [encode_number(v) for v in outcome.values],
                "stats": {k: encode_number(v) for k, v in outcome.stats.items()},
                "error": outcome.error,
                "seconds": outcome.seconds,
            },
        )
        trades = outcome.stats.get("trades", 0.0)
        if outcome.valid and self.objective.eligible(outcome.values, trades):
            values = list(outcome.values)
            self.study.tell(trial, values if self.objective.multi else values[0])
        else:
            self.study.tell(trial, state=TrialState.FAIL)
        self.progress.advance()
