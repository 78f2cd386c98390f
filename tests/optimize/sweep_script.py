"""A resumable grid search in its own process, for the interruption tests.

``python -m tests.optimize.sweep_script URL STUDY OUT``: the counting SMA cross over 60 points
on BTC/USDT 1h (first half of 2021), on the process pool, journaled in ``URL`` under
``STUDY``; the final table (run columns dropped) is pickled to ``OUT``. Each run of the
strategy is logged to ``$TRADEFORGE_TEST_COMPUTED`` when set.
"""

from __future__ import annotations

import sys

import pandas as pd

from tests.optimize.strategies import CountingSmaCross
from tests.strategies.conftest import bars
from tradeforge.backtest import Backtest
from tradeforge.optimize import OptimizeResult
from tradeforge.optimize.result import RUN_COLUMNS

FAST = range(5, 35, 5)
SLOW = range(40, 140, 10)


def sweep(storage: str | None, study: str | None, executor: str = "process") -> OptimizeResult:
    """The search (also run in the test process, without storage, as the reference)."""
    data = bars("BTC/USDT", "1h", "2021-01-01", "2021-07-01")
    bt = Backtest(data, CountingSmaCross, cash=10_000, commission=0.001, symbol="BTC/USDT")
    return bt.optimize(fast=FAST, slow=SLOW, maximize="sharpe", storage=storage, study=study,
                       executor=executor, workers=2, progress=False)  # fmt: skip


def table(result: OptimizeResult) -> pd.DataFrame:
    """What must be the same however the search ran."""
    return result.trials.drop(columns=list(RUN_COLUMNS))


if __name__ == "__main__":
    url, name, out = sys.argv[1:4]
    table(sweep(url, name)).to_pickle(out)
