"""The same sweep on a local Ray cluster gives the serial table (Ray runs in a subprocess)."""

from __future__ import annotations

import pickle
import subprocess
import sys
from pathlib import Path

import pandas as pd

from tests.conftest import REPO_ROOT
from tradeforge.optimize.result import RUN_COLUMNS


def test_a_ray_sweep_gives_the_serial_table(tmp_path: Path) -> None:
    out = tmp_path / "tables.pkl"
    done = subprocess.run(
        [sys.executable, "-m", "tests.optimize.ray_script", str(out)],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    with out.open("rb") as handle:
        tables = pickle.load(handle)
    serial, on_ray, tpe = tables["serial"], tables["ray"], tables["tpe"]
    pd.testing.assert_frame_equal(
        on_ray.drop(columns=list(RUN_COLUMNS)), serial.drop(columns=list(RUN_COLUMNS))
    )
    assert len(on_ray) == 10
    workers = set(on_ray["worker"])
    assert tables["driver"] not in workers  # Ray's worker processes ran the trials
    assert 1 <= len(workers) <= 2
    assert 1 <= len(tpe) <= 6
    assert (tpe["fast"] < tpe["slow"]).all()
    rows = serial.set_index(["fast", "slow"])
    for _, row in tpe.iterrows():  # TPE's points on Ray have the grid's statistics
        assert row["sharpe"] == rows.loc[(row["fast"], row["slow"]), "sharpe"]
