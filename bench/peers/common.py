"""What every peer runner shares: the strategy's parameters, the result type and a stopwatch.

The strategy, the same in every peer:

- SMA cross on close, fast ``FAST`` and slow ``SLOW`` bars. A cross up on bar ``i`` is
  ``fast[i-1] <= slow[i-1] and fast[i] > slow[i]``; a cross down is the mirror image.
- Cross up while flat: buy ``SIZE`` units with a market order. Cross down while long:
  close the position. Long only, no pyramiding.
- An order decided on bar ``i``'s close fills at bar ``i+1``'s open; a signal on the last
  bar never fills.
- Commission ``COMMISSION`` of the notional on every fill, no slippage, starting cash ``CASH``.
- Final equity is cash plus any open position marked at the last close (no forced close).
"""

from __future__ import annotations

import resource
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

FAST = 10
SLOW = 30
SIZE = 0.01
COMMISSION = 0.001
CASH = 10_000.0

_CLEAR_REFS = Path("/proc/self/clear_refs")
_STATUS = Path("/proc/self/status")


@dataclass(frozen=True)
class PeerResult:
    """One peer's run of the strategy.

    ``trades`` counts round trips: ``closed_trades`` plus ``open_trades`` (0 or 1, the
    position still open at the end, marked at the last close). ``peak_rss_mb`` is the
    process's peak resident memory during the timed run and ``start_rss_mb`` its resident
    memory when the run started (framework imported, input bars in memory).
    ``cpu_seconds`` is the process's CPU time over the run: on a busy machine it is a steadier
    figure than the wall time ``seconds``.
    """

    name: str
    version: str
    bars: int
    seconds: float
    closed_trades: int
    open_trades: int
    final_equity: float
    peak_rss_mb: float | None = None
    start_rss_mb: float | None = None
    cpu_seconds: float | None = None
    notes: str = ""

    @property
    def trades(self) -> int:
        """Closed plus open round trips."""
        return self.closed_trades + self.open_trades

    @property
    def bars_per_second(self) -> float:
        """Throughput of the timed run."""
        return self.bars / self.seconds if self.seconds > 0 else float("inf")


@dataclass
class Measurement:
    """Wall and CPU time and peak resident memory of a timed block, filled in when it ends."""

    seconds: float = 0.0
    cpu_seconds: float = 0.0
    peak_rss_mb: float | None = None
    start_rss_mb: float | None = None


def _reset_peak_rss() -> bool:
    """Reset the kernel's high-water mark of this process's RSS (Linux >= 4.0)."""
    try:
        _CLEAR_REFS.write_text("5")
    except OSError:
        return False
    return True


def _status_mb(field: str) -> float | None:
    """A memory field of /proc/self/status (``VmRSS``, ``VmHWM``) in MB, if readable."""
    try:
        lines = _STATUS.read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return None


def current_rss_mb() -> float | None:
    """This process's resident memory now, in MB (Linux only)."""
    return _status_mb("VmRSS")


def _peak_rss_mb(reset_worked: bool) -> float | None:
    """Peak RSS in MB since the last reset, or over the process's life if reset failed."""
    if reset_worked:
        return _status_mb("VmHWM")
    try:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    except (OSError, ValueError):
        return None


@contextmanager
def measure() -> Iterator[Measurement]:
    """Time the block (wall and CPU) and record the process's peak RSS during it.

    The peak is the whole process's resident memory (the input bars included), reset at the
    start of the block where the kernel allows it.
    """
    result = Measurement(start_rss_mb=current_rss_mb())
    reset_worked = _reset_peak_rss()
    start, cpu_start = time.perf_counter(), time.process_time()
    try:
        yield result
    finally:
        result.seconds = time.perf_counter() - start
        result.cpu_seconds = time.process_time() - cpu_start
        result.peak_rss_mb = _peak_rss_mb(reset_worked)
