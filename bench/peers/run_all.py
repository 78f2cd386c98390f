"""Run every installed peer framework on the same GBM bars and compare them.

Usage, from the repository root::

    python -m bench.peers.run_all [N_BARS] [--seed SEED] [--peers NAME ...] [--in-process]

Each peer runs in a fresh interpreter (a spawned child process) that generates the bars
itself, so no peer pays for another's imports or leftover memory and the peak RSS is the
peer's own; the timed part is the peer's ``run`` (conversion into its format included,
bar generation excluded). Every peer's trade count and final equity are checked against
``bench.peers.reference``.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import math
import multiprocessing
import warnings
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

from bench.gbm import gbm_bars
from bench.peers import reference
from bench.peers.common import PeerResult

REL_TOL = 1e-6


@dataclass(frozen=True)
class Peer:
    """A peer runner module and the package it needs."""

    key: str
    module: str
    package: str


PEERS = (
    Peer("tradeforge", "bench.peers.tradeforge_peer", "tradeforge"),
    Peer("tradeforge-vector", "bench.peers.tradeforge_vector_peer", "tradeforge"),
    Peer("backtesting", "bench.peers.backtesting_peer", "backtesting"),
    Peer("backtrader", "bench.peers.backtrader_peer", "backtrader"),
    Peer("vectorbt", "bench.peers.vectorbt_peer", "vectorbt"),
    Peer("nautilus", "bench.peers.nautilus_peer", "nautilus_trader"),
)


def run_peer(module: str, n: int, seed: int) -> PeerResult:
    """Generate the bars and run one peer module on them (in whatever process calls it)."""
    bars = gbm_bars(n, seed)
    runner = importlib.import_module(module)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result: PeerResult = runner.run(bars)
    return result


def run_isolated(module: str, n: int, seed: int) -> PeerResult:
    """``run_peer`` in a freshly spawned interpreter."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(run_peer, module, n, seed).result()


def available(peers: Sequence[Peer]) -> list[Peer]:
    """The peers whose package imports; print a skip message for the others."""
    found = []
    for peer in peers:
        if importlib.util.find_spec(peer.package) is None:
            print(f"skipping {peer.key}: package {peer.package!r} is not installed")
        else:
            found.append(peer)
    return found


def _mb(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.0f}"


def _seconds(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def print_table(results: Sequence[PeerResult]) -> None:
    """The speed table, fastest first, with each peer's time as a multiple of the fastest."""
    fastest = min(result.seconds for result in results)
    header = (
        f"{'name':<27}{'version':<13}{'bars/s':>13}{'seconds':>10}{'CPU s':>9}{'trades':>8}"
        f"{'final equity':>18}{'peak RSS MB':>13}{'start RSS':>11}{'vs fastest':>12}"
    )
    print(header)
    print("-" * len(header))
    for r in sorted(results, key=lambda item: item.seconds):
        print(
            f"{r.name:<27}{r.version:<13}{r.bars_per_second:>13,.0f}{r.seconds:>10.3f}"
            f"{_seconds(r.cpu_seconds):>9}{r.trades:>8}{r.final_equity:>18.9f}{_mb(r.peak_rss_mb):>13}"
            f"{_mb(r.start_rss_mb):>11}{r.seconds / fastest:>11.1f}x"
        )


def mismatches(results: Sequence[PeerResult], expected: PeerResult) -> int:
    """Print each peer's difference from the reference; return how many disagree."""
    print(
        f"\nreference: {expected.trades} trades ({expected.closed_trades} closed + "
        f"{expected.open_trades} open), final equity {expected.final_equity:.9f}"
    )
    failures = 0
    for r in results:
        trades_diff = r.trades - expected.trades
        equity_diff = r.final_equity - expected.final_equity
        relative = abs(equity_diff) / abs(expected.final_equity)
        agree = trades_diff == 0 and r.open_trades == expected.open_trades
        agree = agree and math.isfinite(relative) and relative <= REL_TOL
        failures += not agree
        print(
            f"{r.name:<27}trades {trades_diff:+d}  open {r.open_trades}  "
            f"equity {equity_diff:+.3e} (rel {relative:.1e})  "
            f"{'OK' if agree else 'MISMATCH'}{'  ' + r.notes if r.notes else ''}"
        )
    return failures


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=1_000_000, help="number of bars")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--peers", nargs="+", choices=[p.key for p in PEERS], help="only these peers"
    )
    parser.add_argument(
        "--in-process", action="store_true", help="run peers in this process (no isolation)"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the peers, print the table and the comparison; non-zero if any peer disagrees."""
    args = parse_args(argv)
    chosen = [p for p in PEERS if args.peers is None or p.key in args.peers]
    print(f"{args.n:,} GBM 1-minute bars, seed {args.seed}")
    expected = reference.run(gbm_bars(args.n, args.seed))
    results = []
    for peer in available(chosen):
        print(f"running {peer.key} ...", flush=True)
        runner = run_peer if args.in_process else run_isolated
        results.append(runner(peer.module, args.n, args.seed))
    if not results:
        print("no peer installed")
        return 1
    print()
    print_table(results)
    return 1 if mismatches(results, expected) else 0


if __name__ == "__main__":
    raise SystemExit(main())
