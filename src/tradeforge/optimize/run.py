"""One search from start to end: check the settings, pick the points, run them, build the
result. ``Backtest.optimize`` and ``tradeforge optimize`` both end here."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tradeforge.backtest.config import BacktestConfig
from tradeforge.data.replay import BarSeries
from tradeforge.model.instrument import Instrument
from tradeforge.optimize import search
from tradeforge.optimize.errors import OptimizeError
from tradeforge.optimize.executors import Executor, make_executor
from tradeforge.optimize.expression import ExpressionConstraint
from tradeforge.optimize.fingerprint import study_fingerprint
from tradeforge.optimize.objective import GoalSpec, Objective
from tradeforge.optimize.progress import SearchProgress
from tradeforge.optimize.result import OptimizeResult
from tradeforge.optimize.space import Constraint, ParameterSpace
from tradeforge.optimize.trial import Mode, TrialOutcome, TrialSpec
from tradeforge.strategy.base import Strategy

if TYPE_CHECKING:
    from tradeforge.backtest.facade import Backtest
    from tradeforge.persistence.store import Store

# optuna (the model-based methods) and the journal's store (a stored grid) are imported by the
# searches that use them: a grid in memory never waits for them
METHODS = ("grid", "random", *search.MODEL_BASED)
DEFAULT_TRIALS = 100


@dataclass(frozen=True)
class BacktestSetup:
    """What a ``Backtest`` holds, handed to the optimizer."""

    strategy: type[Strategy]
    series: list[BarSeries]
    detail: list[BarSeries]
    instruments: list[Instrument]
    config: BacktestConfig

    @classmethod
    def of(cls, backtest: Backtest) -> BacktestSetup:
        """What ``backtest`` holds (its bars, detail, instruments and venue settings)."""
        return cls(backtest.strategy, list(backtest._frames), list(backtest._detail),
                   list(backtest._instruments), backtest.config)  # fmt: skip


@dataclass(frozen=True)
class _Search:
    """The checked settings of one search."""

    space: ParameterSpace
    spec: TrialSpec
    method: str
    trials: int
    constraint: Constraint | None
    seed: int | None


def optimize_backtest(
    setup: BacktestSetup,
    space: Mapping[str, Any],
    *,
    maximize: GoalSpec | Sequence[GoalSpec] | None = None,
    minimize: GoalSpec | Sequence[GoalSpec] | None = None,
    method: str = "grid",
    trials: int | None = None,
    constraint: Constraint | str | None = None,
    mode: Mode = "event",
    quantity: float = 0.0,
    fraction: float = 0.0,
    min_trades: int = 0,
    executor: str | Executor = "process",
    workers: int | None = None,
    address: str | None = None,
    storage: str | Store | None = None,
    study: str | None = None,
    seed: int | None = 0,
    progress: bool | None = None,
) -> OptimizeResult:
    """Search the parameters of ``setup.strategy``; see ``Backtest.optimize`` for every option.

    Raises
    ------
    ParameterError
        For a parameter the strategy does not declare or a value its type refuses.
    OptimizeError
        For any other bad setting, naming it.
    """
    checked = _check(
        setup, space, maximize=maximize, minimize=minimize, method=method, trials=trials,
        constraint=constraint, mode=mode, quantity=quantity, fraction=fraction,
        min_trades=min_trades, seed=seed,
    )  # fmt: skip
    fingerprint = (
        study_fingerprint(checked.spec, setup.series, setup.detail) if storage is not None else ""
    )
    name = study or f"{setup.strategy.__name__}-{checked.method}-{fingerprint[:12] or 'memory'}"
    pool = make_executor(executor, workers=workers, address=address)
    run = _run_grid if checked.method in ("grid", "random") else _run_optuna
    outcomes = run(setup, checked=checked, pool=pool, storage=storage, name=name,
                   fingerprint=fingerprint, progress=progress)  # fmt: skip
    return OptimizeResult.from_outcomes(
        outcomes, checked.space.names, checked.spec.objective, method=checked.method,
        strategy=setup.strategy.__name__, study=name if storage is not None else None,
        space=_json_ready(checked.space.describe()),
    )  # fmt: skip


def _run_grid(
    setup: BacktestSetup,
    *,
    checked: _Search,
    pool: Executor,
    storage: str | Store | None,
    name: str,
    fingerprint: str,
    progress: bool | None,
) -> list[TrialOutcome]:
    space = checked.space
    if checked.method == "grid":
        points = search.grid_points(space, checked.constraint)
    else:
        points = search.random_points(space, checked.constraint, checked.trials, checked.seed)
    journal = None
    if storage is not None:
        from tradeforge.optimize.journal import open_journal  # noqa: PLC0415 - see METHODS

        journal = open_journal(
            storage, name, fingerprint, strategy=space.strategy,
            objective=checked.spec.objective.describe(), space=_json_ready(space.describe()),
        )  # fmt: skip
    try:
        stored = journal.finished() if journal is not None else {}
        done = search.done_count(points, stored)
        bar = SearchProgress(len(points), f"{checked.method} {space.strategy}", progress, done)
        if done == len(points):
            return search.run_points(points, stored, pool, journal, bar)
        with pool, bar:
            pool.start(checked.spec, setup.series, setup.detail)
            return search.run_points(points, stored, pool, journal, bar)
    finally:
        if journal is not None:
            journal.close()


def _run_optuna(
    setup: BacktestSetup,
    *,
    checked: _Search,
    pool: Executor,
    storage: str | Store | None,
    name: str,
    fingerprint: str,
    progress: bool | None,
) -> list[TrialOutcome]:
    from tradeforge.optimize import optuna_search  # noqa: PLC0415 - see METHODS
    from tradeforge.persistence.store import Store  # noqa: PLC0415 - see METHODS

    if isinstance(storage, Store):
        raise OptimizeError("optuna searches take a storage URL, not a Store")
    with optuna_search.quiet_optuna():
        objective = checked.spec.objective
        sampler = optuna_search.make_sampler(
            checked.method, checked.seed, checked.trials, objective.multi
        )
        study = optuna_search.open_study(storage, name, fingerprint, objective, sampler)
        done = optuna_search.counted_trials(study)
        if done >= checked.trials:
            return optuna_search.study_outcomes(study)
        description = f"{checked.method} {checked.space.strategy}"
        bar = SearchProgress(checked.trials, description, progress, done)
        with pool, bar:
            pool.start(checked.spec, setup.series, setup.detail)
            return optuna_search.run_study(
                study, space=checked.space, objective=objective, constraint=checked.constraint,
                trials=checked.trials, executor=pool, progress=bar,
            )  # fmt: skip


def _check(
    setup: BacktestSetup,
    space_spec: Mapping[str, Any],
    *,
    maximize: GoalSpec | Sequence[GoalSpec] | None,
    minimize: GoalSpec | Sequence[GoalSpec] | None,
    method: str,
    trials: int | None,
    constraint: Constraint | str | None,
    mode: Mode,
    quantity: float,
    fraction: float,
    min_trades: int,
    seed: int | None,
) -> _Search:
    space = ParameterSpace.build(setup.strategy, space_spec)
    objective = Objective.build(maximize, minimize, min_trades)
    if method not in METHODS:
        raise OptimizeError(f"unknown method {method!r}: use {', '.join(METHODS)}")
    if method == "grid" and trials is not None:
        raise OptimizeError("a grid search runs every point: give trials to random, tpe, cmaes "
                            "or nsga2")  # fmt: skip
    count = DEFAULT_TRIALS if trials is None else trials
    if count < 1:
        raise OptimizeError(f"trials must be >= 1, got {count}")
    _check_mode(setup.strategy, mode, quantity, fraction)
    spec = TrialSpec(setup.strategy, setup.config, tuple(setup.instruments), objective, mode,
                     float(quantity), float(fraction))  # fmt: skip
    names = [*space.dimensions, *space.fixed]
    return _Search(space, spec, method, count, _constraint(constraint, names), seed)


def _check_mode(strategy: type[Strategy], mode: str, quantity: float, fraction: float) -> None:
    if mode == "event":
        if quantity or fraction:
            raise OptimizeError("quantity and fraction size the vector mode's orders: the "
                                "event mode's strategy sizes its own")  # fmt: skip
        return
    if mode != "vector":
        raise OptimizeError(f"unknown mode {mode!r}: use event or vector")
    if strategy.signals is Strategy.signals:
        raise OptimizeError(f"{strategy.__name__} has no signals(): use mode 'event'")
    if (quantity > 0) == (fraction > 0):
        raise OptimizeError("the vector mode needs exactly one of quantity > 0 or fraction > 0")


def _constraint(given: Constraint | str | None, names: list[str]) -> Constraint | None:
    if given is None or callable(given):
        return given
    if isinstance(given, str):
        return ExpressionConstraint(given, names)
    raise OptimizeError(f"constraint must be a function or an expression, got {given!r}")


def _json_ready(value: Mapping[str, Any]) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(json.dumps(value, default=str))
    return loaded
