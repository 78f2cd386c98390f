"""Parameter search over backtests: grid, random, TPE, CMA-ES and NSGA-II, on all cores.

``Backtest.optimize(fast=range(5, 50, 5), slow=range(20, 200, 20), maximize="sharpe",
constraint=lambda p: p.fast < p.slow)`` is the entry point (``tradeforge optimize`` on the
command line); it returns an :class:`OptimizeResult`. The modules, one idea each:

* :mod:`~tradeforge.optimize.space`: the values each parameter may take, checked against the
  strategy's declared parameters; :mod:`~tradeforge.optimize.expression`: constraints as text;
* :mod:`~tradeforge.optimize.objective`: the goals (statistics or functions of the run);
* :mod:`~tradeforge.optimize.search`: grid and random searches;
  :mod:`~tradeforge.optimize.optuna_search`: TPE, CMA-ES, NSGA-II through optuna;
* :mod:`~tradeforge.optimize.trial`: one trial in a worker; :mod:`~tradeforge.optimize.
  vector_stats`: statistics of vectorized runs;
* :mod:`~tradeforge.optimize.executors`: serial, process pool (bars in shared memory,
  :mod:`~tradeforge.optimize.shared`), Ray;
* :mod:`~tradeforge.optimize.journal`: resumable grids in the store;
  :mod:`~tradeforge.optimize.fingerprint`: what identifies a study;
* :mod:`~tradeforge.optimize.result`: the table of trials, the best point, the Pareto front;
* :mod:`~tradeforge.optimize.progress`: the progress bar; :mod:`~tradeforge.optimize.run`:
  one search from start to end;
* :mod:`~tradeforge.optimize.walkforward`: walk-forward analysis (windows in
  :mod:`~tradeforge.optimize.windows`, test runs in :mod:`~tradeforge.optimize.window_run`,
  the result in :mod:`~tradeforge.optimize.walkforward_result`);
  :mod:`~tradeforge.optimize.multisymbol`: the same sets on several symbols (the result and
  the flag rule in :mod:`~tradeforge.optimize.multisymbol_result`).

See ``docs/optimization.md``.
"""

from tradeforge.optimize.errors import OptimizeError
from tradeforge.optimize.executors import (
    Executor,
    ProcessExecutor,
    RayExecutor,
    SerialExecutor,
    make_executor,
)
from tradeforge.optimize.objective import STAT_NAMES, Goal, Objective
from tradeforge.optimize.result import OptimizeResult
from tradeforge.optimize.space import FloatRange, IntRange, ParameterSpace, Params
from tradeforge.optimize.vector_stats import VectorRun

__all__ = [
    "STAT_NAMES",
    "Executor",
    "FloatRange",
    "Goal",
    "IntRange",
    "Objective",
    "OptimizeError",
    "OptimizeResult",
    "ParameterSpace",
    "Params",
    "ProcessExecutor",
    "RayExecutor",
    "SerialExecutor",
    "VectorRun",
    "make_executor",
]
