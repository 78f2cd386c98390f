"""A sweep on a local Ray instance and the same sweep serially, in their own process.

``python -m tests.optimize.ray_script OUT``: starts Ray (``ray.init(num_cpus=2,
include_dashboard=False)``), runs a grid and a TPE search on Ray tasks and the grid serially,
and pickles the tables (run columns kept) to ``OUT``. The tests run it in a subprocess so
that Ray's threads never live in the test process, whose other tests fork process pools.
"""

from __future__ import annotations

import os
import pickle
import sys

import ray

from tests.strategies.conftest import bars
from tradeforge.backtest import Backtest
from tradeforge.strategies import SmaCross


def main(out: str) -> None:
    """Run the searches and pickle ``{"serial", "ray", "tpe", "driver"}``."""
    data = bars("BTC/USDT", "1h", "2021-01-01", "2021-04-01")
    bt = Backtest(data, SmaCross, cash=10_000, commission=0.001, symbol="BTC/USDT")
    space = {"fast": range(5, 30, 5), "slow": [40, 60], "constraint": "fast < slow"}
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        on_ray = bt.optimize(executor="ray", progress=False, **space)  # type: ignore[arg-type]
        tpe = bt.optimize(executor="ray", method="tpe", trials=6, progress=False, **space)  # type: ignore[arg-type]
    finally:
        ray.shutdown()
    serial = bt.optimize(executor="serial", progress=False, **space)  # type: ignore[arg-type]
    tables = {"serial": serial.trials, "ray": on_ray.trials, "tpe": tpe.trials,
              "driver": os.getpid()}  # fmt: skip
    with open(out, "wb") as handle:
        pickle.dump(tables, handle)


if __name__ == "__main__":
    main(sys.argv[1])
