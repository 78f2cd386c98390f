"""Parameter sweeps side by side: tradeforge's optimizer, backtesting.py's and vectorbt's.

Usage, from the repository root (with the bench environment, see ``bench/README.md``)::

    python -m bench.optimize_peers [--bars 100000] [--seed 42] [--peers NAME ...] [--no-year]

**The sweep.** The SMA cross of ``bench.peers`` (buy 0.01 on a cross up, close on a cross
down, market orders at the next open, 0.1 % commission, 10,000 cash) on seeded GBM 1-minute
bars, over the 100 combinations fast 5..50 step 5 x slow 20..200 step 20 (fast >= slow
included: they trade the mirror image, or never when equal). Every peer maximizes the final
equity among the runs with at least one closed trade (backtesting.py drops runs without
trades from its heatmap; tradeforge is given ``min_trades=1``; vectorbt's columns are filtered
the same way), so all must find (50, 200).

* ``backtesting``: ``FractionalBacktest.optimize(fast=..., slow=..., maximize="Equity Final
  [$]")``: its own process pool (``backtesting.Pool``, fork) on shared-memory bars, and one
  more run of the best at the end, as it always does.
* ``vectorbt``: one parameter broadcast: ``MA.run`` with 100 windows each side, the crossings
  as 100-column arrays, one ``Portfolio.from_signals`` over all columns; single process.
  Its kernels are compiled on 1,000 bars first.
* ``tradeforge``: ``Backtest.optimize(..., executor="process")``, event-driven (every order
  through risk, execution, the simulated exchange and the exact portfolio, on the market-order
  fast path). ``tradeforge-vector``: the same with ``mode="vector", quantity=0.01`` (the
  compiled signal core). Both warm up on 2,000 bars first (numba's disk cache loaded).
* ``year``: tradeforge's event-driven optimizer on one year of 5-minute bars: the built-in
  ``SmaCross`` (99 % of equity per entry) on SOL/USDT 2024 from ``../shared/data`` (GBM
  5-minute bars when that file is missing), 420 combinations (fast 5..70 step 5 x slow
  80..660 step 20).

**Measured.** Each peer runs in a fresh interpreter (``python -m bench.optimize_peers
--child NAME``); the timed region is the optimize call and reading the best parameters (data
conversion and the pool's start included). Memory is sampled every 20 ms from outside, over
the child and every process it started: ``peak RSS`` is the highest sum of their resident
sets (shared pages counted in each process that maps them), ``peak PSS`` the highest sum of
their proportional set sizes (shared pages split between them: the memory really used).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

FAST = range(5, 51, 5)
SLOW = range(20, 201, 20)
YEAR_FAST = range(5, 71, 5)
YEAR_SLOW = range(80, 661, 20)
SIZE = 0.01
CASH = 10_000
COMMISSION = 0.001
EXPECTED_BEST = (50, 200)
PEERS = ("backtesting", "vectorbt", "tradeforge", "tradeforge-vector")
YEAR_FILE = (
    Path(__file__).resolve().parents[2]
    / "shared/data/shin-ltp_freqtrade/binance/SOL_USDT-5m.feather"
)


@dataclass
class ChildResult:
    """What a child reports: its timed region and what it found."""

    name: str
    version: str
    combos: int
    seconds: float
    start: float
    end: float
    best: list[int]
    best_equity: float
    bars: int
    cpu_seconds: float = 0.0
    notes: str = ""
    peak_rss_mb: float = 0.0
    peak_pss_mb: float = 0.0

    @property
    def rate(self) -> float:
        """Combinations per second."""
        return self.combos / self.seconds

    @property
    def cpu_rate(self) -> float:
        """Combinations per CPU second (every process of the run)."""
        return self.combos / self.cpu_seconds


def _span(start: float, end: float, cpu_start: float, cpu_end: float) -> dict[str, float]:
    return {"start": start, "end": end, "cpu_start": cpu_start, "cpu_end": cpu_end}


def cpu_now() -> float:
    """CPU time of this process and of its children that have ended (a pool's workers once
    it is shut down)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


# -- the peers, each run in its own interpreter -------------------------------------------------


def _bars(n: int, seed: int) -> pd.DataFrame:
    from bench.gbm import gbm_bars

    return gbm_bars(n, seed)


def run_backtesting(bars: pd.DataFrame) -> dict[str, Any]:
    """backtesting.py's optimize over the grid (``bench/peers/optimize_backtesting.py``)."""
    from bench.peers.optimize_backtesting import timed_sweep

    return timed_sweep(bars, FAST, SLOW)


def _vbt_sweep(bars: pd.DataFrame) -> tuple[list[int], float, int]:
    import vectorbt as vbt

    naive = bars.tz_convert(None)
    close, price = naive["close"], naive["open"]
    pairs = [(f, s) for f in FAST for s in SLOW]
    fast = vbt.MA.run(close, [f for f, _ in pairs]).ma.to_numpy()
    slow = vbt.MA.run(close, [s for _, s in pairs]).ma.to_numpy()
    prev_fast, prev_slow = np.roll(fast, 1, axis=0), np.roll(slow, 1, axis=0)
    up = (fast > slow) & (prev_fast <= prev_slow)
    down = (fast < slow) & (prev_fast >= prev_slow)
    up[0] = down[0] = False
    entries, exits = np.roll(up, 1, axis=0), np.roll(down, 1, axis=0)
    entries[0] = exits[0] = False  # the last bar's signal never fills
    columns = pd.MultiIndex.from_tuples(pairs, names=["fast", "slow"])
    pf = vbt.Portfolio.from_signals(
        close, pd.DataFrame(entries, index=close.index, columns=columns),
        pd.DataFrame(exits, index=close.index, columns=columns), price=price, size=SIZE,
        size_type="amount", fees=COMMISSION, init_cash=CASH, direction="longonly",
        accumulate=False, freq="1min",
    )  # fmt: skip
    final = pf.final_value()
    traded = pf.trades.closed.count() > 0
    best = final[traded].idxmax()
    return [int(best[0]), int(best[1])], float(final[best]), len(pairs)


def run_vectorbt(bars: pd.DataFrame) -> dict[str, Any]:
    """vectorbt's parameter broadcast over the grid."""
    import vectorbt as vbt

    _vbt_sweep(bars.iloc[:1_000])  # compile the kernels
    start, cpu_start = time.time(), cpu_now()
    best, equity, combos = _vbt_sweep(bars)
    end, cpu_end = time.time(), cpu_now()
    return {"name": "vectorbt broadcast", "version": vbt.__version__, "combos": combos,
            **_span(start, end, cpu_start, cpu_end), "best": best, "best_equity": equity,
            "notes": "numba warmed up on 1,000 bars"}  # fmt: skip


def run_tradeforge(bars: pd.DataFrame, mode: str) -> dict[str, Any]:
    """tradeforge's optimizer over the grid, event-driven or vectorized."""
    from importlib.metadata import version

    from bench.tradeforge_sma import _backtest, run_event_driven, run_vectorized

    (run_event_driven if mode == "event" else run_vectorized)(bars.iloc[:2_000])
    sizing = {"mode": "vector", "quantity": SIZE} if mode == "vector" else {}
    start, cpu_start = time.time(), cpu_now()
    result = _backtest(bars).optimize(
        fast=FAST, slow=SLOW, maximize="final_equity", min_trades=1, progress=False, **sizing
    )  # type: ignore[arg-type]
    best = result.best_params
    end, cpu_end = time.time(), cpu_now()
    label = "tradeforge optimize" + (" (vectorized)" if mode == "vector" else " (event-driven)")
    workers = result.trials["worker"].nunique()
    per_trial = 1000 * result.trials["seconds"].mean()  # wall, in the worker
    return {"name": label, "version": version("tradeforge"), "combos": len(result.trials),
            **_span(start, end, cpu_start, cpu_end), "best": [best["fast"], best["slow"]],
            "best_equity": float(result.best["final_equity"]),
            "notes": f"{workers} worker processes, {per_trial:.0f} ms per trial"}  # fmt: skip


def year_bars() -> tuple[pd.DataFrame, str]:
    """One year of 5-minute bars: SOL/USDT 2024 when the shared data is there, else GBM."""
    if YEAR_FILE.is_file():
        frame = pd.read_feather(YEAR_FILE)
        frame = frame[(frame["date"] >= "2024-01-01") & (frame["date"] < "2025-01-01")]
        return frame.set_index("date")[["open", "high", "low", "close", "volume"]], "SOL/USDT"
    frame = _bars(105_120, 7)
    frame.index = pd.date_range("2024-01-01", periods=len(frame), freq="5min", tz="UTC")
    return frame, "GBM/USD"


def run_year() -> dict[str, Any]:
    """420 combinations of the built-in SmaCross on a year of 5-minute bars, event-driven."""
    from importlib.metadata import version

    from tradeforge.backtest import Backtest
    from tradeforge.strategies import SmaCross

    frame, symbol = year_bars()
    Backtest(frame.iloc[:2_000], SmaCross, symbol=symbol).run()  # numba's cache loaded
    start, cpu_start = time.time(), cpu_now()
    bt = Backtest(frame, SmaCross, cash=CASH, commission=COMMISSION, symbol=symbol)
    result = bt.optimize(fast=YEAR_FAST, slow=YEAR_SLOW, maximize="sharpe", progress=False)
    best = result.best_params
    end, cpu_end = time.time(), cpu_now()
    return {"name": f"tradeforge year of 5m {symbol}", "version": version("tradeforge"),
            "combos": len(result.trials), **_span(start, end, cpu_start, cpu_end),
            "best": [best["fast"], best["slow"]],
            "best_equity": float(result.best["final_equity"]), "bars": len(frame),
            "notes": f"best sharpe {result.best_value:.3f}"}  # fmt: skip


def child(name: str, n: int, seed: int) -> None:
    """Run one peer and print its result as one JSON line."""
    import warnings

    warnings.simplefilter("ignore")
    os.environ["TQDM_DISABLE"] = "1"  # before backtesting.py imports tqdm: no progress bars
    if name == "year":
        report = run_year()
    else:
        bars = _bars(n, seed)
        runners = {
            "backtesting": lambda: run_backtesting(bars),
            "vectorbt": lambda: run_vectorbt(bars),
            "tradeforge": lambda: run_tradeforge(bars, "event"),
            "tradeforge-vector": lambda: run_tradeforge(bars, "vector"),
        }
        report = {"bars": n, **runners[name]()}
    report["seconds"] = report["end"] - report["start"]
    report["cpu_seconds"] = report.pop("cpu_end") - report.pop("cpu_start")
    print("RESULT " + json.dumps(report), flush=True)


# -- memory of a process tree, sampled from outside ---------------------------------------------


@dataclass
class TreeSampler:
    """Samples the resident and proportional memory of a process and its descendants."""

    root: int
    interval: float = 0.02
    samples: list[tuple[float, float, float]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def start(self) -> threading.Thread:
        """Sample in a background thread until :meth:`stop`."""
        thread = threading.Thread(target=self._run, daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        """End the sampling."""
        self._stop.set()

    def peak(self, start: float, end: float) -> tuple[float, float]:
        """Highest RSS and PSS sums (MB) sampled between ``start`` and ``end``."""
        inside = [(r, p) for t, r, p in self.samples if start <= t <= end]
        if not inside:
            return 0.0, 0.0
        return max(r for r, _ in inside), max(p for _, p in inside)

    def _run(self) -> None:
        while not self._stop.is_set():
            pids = [self.root, *_descendants(self.root)]
            rss = sum(_kb(pid, "status", "VmRSS:") for pid in pids) / 1024
            pss = sum(_kb(pid, "smaps_rollup", "Pss:") for pid in pids) / 1024
            self.samples.append((time.time(), rss, pss))
            time.sleep(self.interval)


def _descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(parent, []).append(int(entry))
    found, todo = [], [root]
    while todo:
        for pid in children.get(todo.pop(), []):
            found.append(pid)
            todo.append(pid)
    return found


def _kb(pid: int, name: str, key: str) -> float:
    try:
        for line in Path(f"/proc/{pid}/{name}").read_text().splitlines():
            if line.startswith(key):
                return float(line.split()[1])
    except OSError:
        return 0.0
    return 0.0


def measure(name: str, n: int, seed: int) -> ChildResult:
    """Run one peer in a fresh interpreter, sampling its process tree's memory."""
    command = [sys.executable, "-m", "bench.optimize_peers", "--child", name,
               "--bars", str(n), "--seed", str(seed)]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    sampler = TreeSampler(process.pid)
    thread = sampler.start()
    out, _ = process.communicate()
    sampler.stop()
    thread.join()
    if process.returncode != 0:
        raise RuntimeError(f"{name} failed with status {process.returncode}")
    line = next(x for x in out.splitlines() if x.startswith("RESULT "))
    result = ChildResult(**json.loads(line.removeprefix("RESULT ")))
    result.peak_rss_mb, result.peak_pss_mb = sampler.peak(result.start, result.end)
    return result


# -- the table ---------------------------------------------------------------------------------


def print_table(results: Sequence[ChildResult]) -> None:
    """One row per peer."""
    header = (
        f"{'name':<38}{'version':<9}{'bars':>9}{'combos':>8}{'seconds':>9}{'combos/s':>10}"
        f"{'CPU s':>8}{'per CPU s':>10}{'peak RSS MB':>13}{'peak PSS MB':>13}  best"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        print(
            f"{r.name:<38}{r.version:<9}{r.bars:>9,}{r.combos:>8}{r.seconds:>9.2f}"
            f"{r.rate:>10.1f}{r.cpu_seconds:>8.2f}{r.cpu_rate:>10.1f}{r.peak_rss_mb:>13,.0f}"
            f"{r.peak_pss_mb:>13,.0f}  {tuple(r.best)} {r.best_equity:.6f}  {r.notes}"
        )


def print_ratios(by_name: dict[str, ChildResult]) -> None:
    """Speed and memory ratios of tradeforge to its peers, and the best parameters."""
    pairs = (("tradeforge", "backtesting"), ("tradeforge-vector", "vectorbt"),
             ("tradeforge-vector", "backtesting"))  # fmt: skip
    for ours, theirs in pairs:
        if ours in by_name and theirs in by_name:
            a, b = by_name[ours], by_name[theirs]
            print(f"{a.name} vs {b.name}: {a.rate / b.rate:.1f}x the combinations/s "
                  f"({a.cpu_rate / b.cpu_rate:.1f}x per CPU second), "
                  f"{a.peak_pss_mb / b.peak_pss_mb:.2f}x the peak PSS")  # fmt: skip
    grid = [r for k, r in by_name.items() if k != "year"]
    same = all(tuple(r.best) == EXPECTED_BEST for r in grid)
    print(f"best parameters {EXPECTED_BEST} everywhere: {'yes' if same else 'NO'}")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the peers and the year sweep; non-zero if a grid peer misses (50, 200)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bars", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--peers", nargs="+", choices=[*PEERS, "year"])
    parser.add_argument("--no-year", action="store_true", help="skip the year of 5m bars")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.bars, args.seed)
        return 0
    chosen = list(args.peers or [*PEERS, *([] if args.no_year else ["year"])])
    print(f"{args.bars:,} GBM 1-minute bars, seed {args.seed}; grid {len(FAST)} x {len(SLOW)}")
    by_name: dict[str, ChildResult] = {}
    for name in chosen:
        print(f"running {name} ...", flush=True)
        by_name[name] = measure(name, args.bars, args.seed)
    print()
    print_table(list(by_name.values()))
    print()
    print_ratios(by_name)
    grid = [r for k, r in by_name.items() if k != "year"]
    return 0 if all(tuple(r.best) == EXPECTED_BEST for r in grid) else 1


if __name__ == "__main__":
    raise SystemExit(main())
