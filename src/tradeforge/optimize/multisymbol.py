"""Multi-symbol validation: the same parameter sets on several symbols, each symbol on its own.

``validate_symbols({"BTC/USDT": btc, "ETH/USDT": eth, "SOL/USDT": sol}, SmaCross,
{"fast": [5, 10], "slow": [30, 60]})`` runs every parameter set (a grid, as
``Backtest.optimize`` takes it, or a list of explicit sets) on each symbol's bars alone, one
``Backtest`` per symbol with the same settings, through the optimizer's executors, and returns
a :class:`~tradeforge.optimize.multisymbol_result.MultiSymbolResult`: the goal per set and
symbol, its aggregates across symbols, and the sets flagged as working on one symbol only.
See "Multi-symbol validation" in ``docs/optimization.md``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from tradeforge.backtest.facade import Backtest, Data
from tradeforge.optimize import search
from tradeforge.optimize.errors import OptimizeError
from tradeforge.optimize.executors import Executor, make_executor
from tradeforge.optimize.expression import ExpressionConstraint
from tradeforge.optimize.multisymbol_result import FlagRule, MultiSymbolResult
from tradeforge.optimize.objective import GoalSpec, Objective
from tradeforge.optimize.progress import SearchProgress
from tradeforge.optimize.result import OptimizeResult
from tradeforge.optimize.run import BacktestSetup
from tradeforge.optimize.space import Constraint, FloatRange, IntRange, ParameterSpace
from tradeforge.optimize.trial import TrialSpec
from tradeforge.strategy.base import Strategy
from tradeforge.strategy.params import ParameterError, resolve_parameters

ParamSets = Mapping[str, Any] | Sequence[Mapping[str, Any]]


def validate_symbols(
    data: Mapping[str, Data],
    strategy: type[Strategy],
    params: ParamSets,
    *,
    maximize: GoalSpec | None = None,
    minimize: GoalSpec | None = None,
    constraint: Constraint | str | None = None,
    min_trades: int = 0,
    threshold: float = 0.0,
    dominance: float = 3.0,
    executor: str | Executor = "process",
    workers: int | None = None,
    address: str | None = None,
    progress: bool | None = None,
    **backtest_options: Any,
) -> MultiSymbolResult:
    """Run the same parameter sets on each symbol; aggregate; flag single-symbol sets.

    Parameters
    ----------
    data : mapping of symbol to bars
        Each symbol's bars (a DataFrame, or what ``Backtest`` takes), backtested alone.
    strategy : type of Strategy
    params : mapping or list of mappings
        A space as ``Backtest.optimize`` takes it (every grid point is a set; all single
        values make one set), or explicit sets ``[{"fast": 5, "slow": 30}, ...]``.
    maximize, minimize : str or callable
        The goal (default: maximize ``sharpe``).
    constraint : callable or str, optional
        Grid points it refuses are not run (a space only).
    min_trades : int
        A run with fewer closed trades counts as not working (NaN value).
    threshold : float
        A set *works* on a symbol when its value is above ``threshold`` (below, for a
        minimized goal). Changes the flags and ``pass_share``.
    dominance : float
        The dominance factor of the flag rule (see
        :class:`~tradeforge.optimize.multisymbol_result.FlagRule`).
    executor, workers, address
        Where the runs go (``process``, ``serial``, ``ray``); started once per symbol.
    progress : bool, optional
        A progress bar per symbol.
    **backtest_options
        ``Backtest`` settings (``cash``, ``commission`` ...), the same for every symbol.

    Returns
    -------
    MultiSymbolResult
        ``values`` (sets × symbols), ``aggregate`` (per set), ``flagged``, ``report(path)``.

    Raises
    ------
    ParameterError
        For an unknown parameter or a value its type refuses.
    OptimizeError
        For no symbol, several goals, or a constraint with explicit sets.
    """
    if not data:
        raise OptimizeError("give at least one symbol's bars")
    objective = Objective.build(maximize, minimize, min_trades)
    if objective.multi:
        raise OptimizeError("multi-symbol validation compares one goal: give one")
    names, points = parameter_sets(strategy, params, constraint)
    pool = make_executor(executor, workers=workers, address=address)
    runs = {}
    for symbol, frames in data.items():
        backtest = Backtest(frames, strategy, symbol=str(symbol), **backtest_options)
        runs[str(symbol)] = _run_symbol(
            backtest, points, names, objective, pool=pool, progress=progress
        )
    return MultiSymbolResult.build(runs, names, objective, FlagRule(threshold, dominance))


def parameter_sets(
    strategy: type[Strategy], params: ParamSets, constraint: Constraint | str | None
) -> tuple[list[str], list[dict[str, Any]]]:
    """The parameter names shown and every set, checked against the strategy's parameters.

    Raises
    ------
    ParameterError, OptimizeError
        See :func:`validate_symbols`.
    """
    if isinstance(params, Mapping) and _is_space(params):
        space = ParameterSpace.build(strategy, params)
        names = [*space.dimensions, *space.fixed]
        rule = (
            ExpressionConstraint(constraint, names) if isinstance(constraint, str) else constraint
        )
        return space.names, search.grid_points(space, rule)
    if constraint is not None:
        raise OptimizeError("a constraint filters a space's grid: explicit sets take none")
    sets = [params] if isinstance(params, Mapping) else list(params)
    if not sets:
        raise OptimizeError("give at least one parameter set")
    points = [_checked_set(strategy, s) for s in sets]
    return list(dict.fromkeys(k for p in points for k in p)), points


def _is_space(params: Mapping[str, Any]) -> bool:
    """Whether some value is a sequence or a range (a grid), not a single value."""
    return any(
        isinstance(v, IntRange | FloatRange)
        or (isinstance(v, Iterable) and not isinstance(v, str | bytes))
        for v in params.values()
    )


def _checked_set(strategy: type[Strategy], given: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(given, Mapping):
        raise ParameterError(f"{strategy.__name__}: a parameter set is a mapping, got {given!r}")
    resolved = resolve_parameters(strategy, given)
    return {k: resolved[k] for k in given}


def _run_symbol(
    backtest: Backtest,
    points: list[dict[str, Any]],
    names: list[str],
    objective: Objective,
    *,
    pool: Executor,
    progress: bool | None,
) -> OptimizeResult:
    """Every set on one symbol's bars, on the executor; a table as a grid search's."""
    setup = BacktestSetup.of(backtest)
    spec = TrialSpec(setup.strategy, setup.config, tuple(setup.instruments), objective)
    symbol = str(setup.series[0].symbol)
    bar = SearchProgress(len(points), f"{setup.strategy.__name__} {symbol}", progress)
    with pool, bar:
        pool.start(spec, setup.series, setup.detail)
        outcomes = search.run_points(points, {}, pool, None, bar)
    return OptimizeResult.from_outcomes(
        outcomes, names, objective, method="sets", strategy=setup.strategy.__name__
    )
