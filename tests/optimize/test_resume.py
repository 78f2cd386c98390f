"""Interrupted searches resume: a killed grid re-runs only what it had not recorded, an optuna
study continues, and a study is never mixed with another search's results."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import optuna
import pandas as pd
import pytest
from sqlalchemy import func, select

from tests.conftest import REPO_ROOT
from tests.optimize.conftest import BACKENDS, CASH, COMMISSION
from tests.optimize.strategies import COMPUTED_LOG, SLOW_AFTER, CountingSmaCross, read_computed
from tests.optimize.sweep_script import FAST, SLOW, sweep, table
from tradeforge.backtest import Backtest
from tradeforge.optimize import OptimizeError
from tradeforge.optimize.result import RUN_COLUMNS
from tradeforge.optimize.shared import SEGMENT_PREFIX
from tradeforge.persistence import migrations
from tradeforge.persistence.errors import StoreError
from tradeforge.persistence.models import OptimizationPointRecord
from tradeforge.persistence.store import Store, normalize_url

GRID = [(f, s) for f, s in itertools.product(FAST, SLOW)]
KILL_AFTER = 15
"""Recorded points after which the first run is killed (of 60)."""


@pytest.fixture(scope="module")
def reference() -> pd.DataFrame:
    """The table of an uninterrupted search."""
    return table(sweep(None, None, executor="serial"))


def _recorded(url: str) -> list[tuple[int, int]]:
    with Store(url) as store, store.session() as session:
        rows = session.scalars(select(OptimizationPointRecord)).all()
        return [(r.params["fast"], r.params["slow"]) for r in rows]


def _count(url: str) -> int:
    try:
        with Store(url) as store, store.session() as session:
            return int(session.scalar(select(func.count(OptimizationPointRecord.id))) or 0)
    except StoreError:  # the journal's tables may not exist yet
        return 0


def _start(url: str, log: Path, out: Path, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.optimize.sweep_script", url, "kill-test", str(out)],
        cwd=REPO_ROOT, env={**os.environ, COMPUTED_LOG: str(log), **env}, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
    )  # fmt: skip


def _kill_when_recorded(process: subprocess.Popen[str], url: str, count: int) -> None:
    """SIGKILL the run and its workers (the whole process group) once ``count`` points are
    in the journal; remove the shared-memory segment it could not."""
    deadline = time.monotonic() + 120
    while _count(url) < count:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the sweep recorded nothing"
        time.sleep(0.01)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    for segment in Path("/dev/shm").glob(f"{SEGMENT_PREFIX}{process.pid}_*"):
        segment.unlink()


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_killed_grid_resumes_to_the_same_table_without_computing_a_point_twice(
    backend: str, database_url: Callable[[str], str], tmp_path: Path, reference: pd.DataFrame
) -> None:
    url = database_url(backend)
    first_log, second_log = tmp_path / "first.log", tmp_path / "second.log"
    killed = _start(url, first_log, tmp_path / "never.pkl", **{SLOW_AFTER: str(KILL_AFTER)})
    _kill_when_recorded(killed, url, KILL_AFTER)
    before = set(_recorded(url))
    assert KILL_AFTER <= len(before) < len(GRID)
    assert before <= set(read_computed(str(first_log)))  # recorded means computed
    rerun = _start(url, second_log, tmp_path / "table.pkl")
    _, errors = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, errors
    pd.testing.assert_frame_equal(pd.read_pickle(tmp_path / "table.pkl"), reference)
    recorded = _recorded(url)
    assert sorted(recorded) == sorted(GRID)  # every point recorded, each once
    second = read_computed(str(second_log))
    assert len(second) == len(set(second))  # nothing computed twice in the re-run
    assert set(second) == set(GRID) - before  # and nothing recorded before the kill


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_optuna_study_resumes_where_it_stopped(
    backend: str,
    database_url: Callable[[str], str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    btc_1h_q1: pd.DataFrame,
) -> None:
    url = database_url(backend)
    log = tmp_path / "computed.log"
    monkeypatch.setenv(COMPUTED_LOG, str(log))
    bt = Backtest(btc_1h_q1, CountingSmaCross, cash=CASH, commission=COMMISSION,
                  symbol="BTC/USDT")  # fmt: skip
    options = {"fast": range(2, 41), "slow": range(10, 121, 5), "constraint": "fast < slow",
               "method": "tpe", "storage": url, "study": "resume", "executor": "serial",
               "seed": 5}  # fmt: skip
    first = bt.optimize(trials=8, **options)  # type: ignore[arg-type]
    computed_first = read_computed(str(log))
    assert sorted(computed_first) == sorted(first.trials[["fast", "slow"]].itertuples(index=False))
    log.unlink()
    storage = optuna.storages.RDBStorage(normalize_url(url).render_as_string(hide_password=False))
    optuna.load_study(study_name="resume", storage=storage).ask()  # left running by a crash
    second = bt.optimize(trials=16, **options)  # type: ignore[arg-type]
    computed_second = read_computed(str(log))
    assert set(computed_first).isdisjoint(computed_second)
    assert (
        len(computed_second) == len(set(computed_second)) == len(second.trials) - len(first.trials)
    )
    kept = second.trials[second.trials["trial"].isin(first.trials["trial"])]
    pd.testing.assert_frame_equal(
        _stable(kept).reset_index(drop=True), _stable(first.trials).reset_index(drop=True)
    )
    trials = optuna.load_study(study_name="resume", storage=storage).trials
    stale = [t for t in trials if "tradeforge" not in t.user_attrs and t.params == {}]
    assert [t.state for t in stale] == [optuna.trial.TrialState.FAIL]
    counted = [t for t in trials if "tradeforge" in t.user_attrs]
    assert len(counted) == 16
    log.unlink()
    third = bt.optimize(trials=16, **options)  # type: ignore[arg-type]
    assert not log.exists()  # nothing left to compute
    pd.testing.assert_frame_equal(_stable(third.trials), _stable(second.trials))


def _stable(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.drop(columns=list(RUN_COLUMNS))


def test_a_study_refuses_another_search(btc_1h_q1: pd.DataFrame, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'journal.db'}"
    grid = {"fast": [5, 10], "slow": [40], "storage": url, "study": "mine", "executor": "serial"}
    bt = Backtest(btc_1h_q1, CountingSmaCross, cash=CASH, commission=COMMISSION)
    bt.optimize(**grid)  # type: ignore[arg-type]
    other = Backtest(btc_1h_q1, CountingSmaCross, cash=CASH, commission=0.002)
    with pytest.raises(OptimizeError, match="study 'mine' in .* was recorded with other"):
        other.optimize(**grid)  # type: ignore[arg-type]
    with pytest.raises(OptimizeError, match="is a tradeforge store: give optuna studies"):
        bt.optimize(fast=[5, 10], method="tpe", trials=2, storage=url, executor="serial")
    optuna_url = f"sqlite:///{tmp_path / 'optuna.db'}"
    bt.optimize(fast=[5, 10], method="tpe", trials=2, storage=optuna_url, executor="serial")
    with pytest.raises(OptimizeError, match="holds optuna studies: give a grid or random"):
        bt.optimize(fast=[5, 10], storage=optuna_url, executor="serial")


def test_a_finished_study_is_read_back_without_running(
    btc_1h_q1: pd.DataFrame, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'journal.db'}"
    log = tmp_path / "computed.log"
    monkeypatch.setenv(COMPUTED_LOG, str(log))
    bt = Backtest(btc_1h_q1, CountingSmaCross, cash=CASH, commission=COMMISSION)
    grid = {"fast": [5, 10, 15], "slow": [40, 60], "storage": url, "executor": "serial"}
    first = bt.optimize(**grid)  # type: ignore[arg-type]
    assert len(read_computed(str(log))) == 6
    assert first.study is not None and first.study.startswith("CountingSmaCross-grid-")
    wider = bt.optimize(fast=[5, 10, 15, 20], slow=[40, 60], storage=url, executor="serial")
    assert read_computed(str(log))[6:] == [(20, 40), (20, 60)]  # only the new points ran
    assert wider.study == first.study
    pd.testing.assert_frame_equal(_stable(wider.trials.iloc[:6]), _stable(first.trials))
    with Store(url) as store:
        assert migrations.current(store) == migrations.head()
