"""The process pool gives the serial results exactly, on bars shared once, and cleans up."""

from __future__ import annotations

import gc
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.optimize.conftest import CASH, COMMISSION
from tests.optimize.strategies import FixedSmaCross
from tradeforge.backtest import Backtest
from tradeforge.data.replay import BarSeries
from tradeforge.model.symbol import Symbol
from tradeforge.optimize import OptimizeError, ProcessExecutor
from tradeforge.optimize.objective import Objective, stats_row
from tradeforge.optimize.result import RUN_COLUMNS
from tradeforge.optimize.run import BacktestSetup
from tradeforge.optimize.shared import SEGMENT_PREFIX, SharedBars, attach, pack, unpack
from tradeforge.optimize.trial import Evaluator, TrialSpec
from tradeforge.strategies import SmaCross

SHM = Path("/dev/shm")


def _segments() -> set[str]:
    prefix = f"{SEGMENT_PREFIX}{os.getpid()}_"
    return {p.name for p in SHM.glob(f"{prefix}*")} if SHM.is_dir() else set()


def test_the_process_pool_gives_the_serial_table_exactly(btc_1h_q1: pd.DataFrame) -> None:
    bt = Backtest(btc_1h_q1, SmaCross, cash=CASH, commission=COMMISSION, symbol="BTC/USDT")
    space = {"fast": range(5, 30, 5), "slow": range(20, 80, 20), "constraint": "fast < slow"}
    serial = bt.optimize(executor="serial", **space)
    before = _segments()
    pooled = bt.optimize(executor="process", workers=2, **space)
    pd.testing.assert_frame_equal(
        pooled.trials.drop(columns=list(RUN_COLUMNS)), serial.trials.drop(columns=list(RUN_COLUMNS))
    )
    assert pooled.best_params == serial.best_params
    workers = set(pooled.trials["worker"])
    assert len(workers) == 2 and os.getpid() not in workers
    assert set(serial.trials["worker"]) == {os.getpid()}
    assert _segments() == before  # the shared bars are gone


def test_vector_trials_run_in_the_pool_too(btc_1h_q1: pd.DataFrame) -> None:
    bt = Backtest(btc_1h_q1, FixedSmaCross, cash=CASH, commission=COMMISSION, symbol="BTC/USDT")
    options = {"fast": range(5, 30, 5), "slow": [40, 60], "mode": "vector", "quantity": 0.01}
    serial = bt.optimize(executor="serial", **options)  # type: ignore[arg-type]
    pooled = bt.optimize(executor=ProcessExecutor(workers=2), **options)  # type: ignore[arg-type]
    pd.testing.assert_frame_equal(
        pooled.trials.drop(columns=list(RUN_COLUMNS)), serial.trials.drop(columns=list(RUN_COLUMNS))
    )


def _spec(bt: Backtest) -> TrialSpec:
    setup = BacktestSetup.of(bt)
    return TrialSpec(setup.strategy, setup.config, tuple(setup.instruments), Objective.build())


def test_a_trial_keeps_the_statistics_of_the_run(btc_1h_q1: pd.DataFrame) -> None:
    bt = Backtest(btc_1h_q1, SmaCross, cash=CASH, commission=COMMISSION, symbol="BTC/USDT")
    evaluator = Evaluator(_spec(bt), list(bt._frames), [])
    try:
        outcome = evaluator.evaluate(0, {"fast": 10, "slow": 30})
    finally:
        gc.unfreeze()
    assert outcome.stats == stats_row(bt.run(fast=10, slow=30).stats)
    assert outcome.values == (outcome.stats["sharpe"],)


def test_workers_start_with_the_parents_objects_frozen(btc_1h_q1: pd.DataFrame) -> None:
    bt = Backtest(btc_1h_q1, SmaCross, cash=CASH, commission=COMMISSION, symbol="BTC/USDT")
    gc.unfreeze()  # whatever an earlier test left
    with ProcessExecutor(workers=1) as pool:
        pool.start(_spec(bt), list(bt._frames), [])
        assert gc.get_freeze_count() == 0  # given back here
        assert pool._pool is not None
        assert pool._pool.submit(gc.get_freeze_count).result() > 0  # never scanned there
    gc.freeze()  # frozen by someone else: left frozen
    try:
        with ProcessExecutor(workers=1) as pool:
            pool.start(_spec(bt), list(bt._frames), [])
            assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


def test_bars_round_trip_through_one_shared_block(btc_1h_q1: pd.DataFrame) -> None:
    primary = BarSeries.from_frame(Symbol.parse("BTC/USDT"), btc_1h_q1)
    detail = BarSeries.from_frame(Symbol.parse("BTC/USDT"), btc_1h_q1.iloc[:100])
    packed, buffer = pack([primary], [detail])
    assert packed.nbytes == buffer.nbytes == 6 * 8 * (len(primary) + len(detail))
    (series,), (small,) = unpack(buffer, packed)
    for name in ("ts_open", "open", "high", "low", "close", "volume", "ts_close"):
        np.testing.assert_array_equal(getattr(series, name), getattr(primary, name))
    np.testing.assert_array_equal(small.close, detail.close)
    assert (series.symbol, series.timeframe) == (primary.symbol, primary.timeframe)
    assert not series.close.flags.writeable
    shared = SharedBars([primary], [detail])
    try:
        segment, (mapped,), _ = attach(shared.handle)
        np.testing.assert_array_equal(mapped.close, primary.close)
        assert len(segment.buf) >= packed.nbytes
        del mapped
        segment.close()
    finally:
        shared.close()
    assert shared.handle.name not in _segments()


def test_spawned_workers_need_a_picklable_search(btc_1h_q1: pd.DataFrame) -> None:
    bt = Backtest(btc_1h_q1, SmaCross, cash=CASH, commission=COMMISSION, symbol="BTC/USDT")
    pool = ProcessExecutor(workers=1, start_method="spawn")
    with pytest.raises(OptimizeError, match="cannot be sent to 'spawn' workers"):
        bt.optimize(fast=[5, 10], maximize=lambda run: run.stats.sharpe, executor=pool)
    with pytest.raises(OptimizeError, match="workers must be >= 1, got 0"):
        ProcessExecutor(workers=0)
