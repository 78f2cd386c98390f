"""Robustness analyses of strategies and backtests.

* :func:`lookahead_analysis`: indicators, signals and orders that change when later bars are
  removed (they read the future), with the first bar that differs and the likely cause;
* :func:`recursive_analysis`: indicators whose values depend on how much history was loaded,
  and the history from which they settle;
* :func:`monte_carlo` (:func:`shuffle_trades`, :func:`bootstrap_returns`): distributions of the
  final return and the maximum drawdown under resampled trade orders and bar returns.

See ``docs/analysis.md`` for the methods and what each can and cannot detect.
"""

from tradeforge.analysis.errors import AnalysisError
from tradeforge.analysis.lookahead import LookaheadFinding, LookaheadReport, lookahead_analysis
from tradeforge.analysis.montecarlo import (
    MonteCarloResult,
    MonteCarloSet,
    bootstrap_returns,
    monte_carlo,
    shuffle_trades,
)
from tradeforge.analysis.recursive import RecursiveLine, RecursiveReport, recursive_analysis

__all__ = [
    "AnalysisError",
    "LookaheadFinding",
    "LookaheadReport",
    "MonteCarloResult",
    "MonteCarloSet",
    "RecursiveLine",
    "RecursiveReport",
    "bootstrap_returns",
    "lookahead_analysis",
    "monte_carlo",
    "recursive_analysis",
    "shuffle_trades",
]
