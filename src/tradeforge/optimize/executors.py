"""Where trials run: in this process, in a local process pool, or on a Ray cluster.

Every executor is started once per search with the :class:`~tradeforge.optimize.trial.
TrialSpec` and the bars, then fed points lazily by :meth:`Executor.imap`, which yields
outcomes as they finish (not in submission order) and keeps at most ``2 x workers`` trials in
flight. Pulling points lazily lets a model-based search ask its next point after it has been
told the previous results.

* :class:`SerialExecutor`: one :class:`~tradeforge.optimize.trial.Evaluator` in this process.
* :class:`ProcessExecutor`: ``concurrent.futures.ProcessPoolExecutor``; the bars go into one
  shared-memory segment (:class:`~tradeforge.optimize.shared.SharedBars`) written once, and
  each worker attaches to it and builds its evaluator once, in its initializer. A trial
  carries its parameters in and a :class:`~tradeforge.optimize.trial.TrialOutcome` out.
  Workers are forked where the OS allows (``start_method="fork"``, the default on Linux):
  they start in milliseconds and inherit everything, lambdas and strategies loaded from
  files included. ``"spawn"`` and ``"forkserver"`` need a picklable spec (module-level
  strategy and objective functions).
* :class:`RayExecutor`: the bars and the spec go into Ray's object store once (``ray.put``);
  each trial is a Ray task, and each Ray worker process builds its evaluator once, at its
  first task of the search. It joins a running cluster (``address="auto"``,
  ``"ray://head:10001"``) or an instance already started with ``ray.init``, or starts a
  local one. Ray schedules the tasks; tradeforge has no scheduler of its own.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import multiprocessing
import os
import pickle
import signal
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any, Self, TypeVar

import numpy as np
from numpy.typing import NDArray

from tradeforge.data.replay import BarSeries
from tradeforge.optimize.errors import OptimizeError
from tradeforge.optimize.shared import PackedBars, SharedBars, SharedHandle, attach, pack, unpack
from tradeforge.optimize.trial import Evaluator, TrialOutcome, TrialSpec, release_frozen

Point = tuple[int, dict[str, Any]]
_T = TypeVar("_T")
EXECUTORS = ("serial", "process", "ray")


class Executor(ABC):
    """Runs the trials of one search (use as a context manager, or call :meth:`close`)."""

    name: str = ""

    @property
    @abstractmethod
    def workers(self) -> int:
        """How many trials run at once."""

    @abstractmethod
    def start(self, spec: TrialSpec, series: list[BarSeries], detail: list[BarSeries]) -> None:
        """Share the spec and the bars with the workers, once."""

    @abstractmethod
    def imap(self, points: Iterable[Point]) -> Iterator[TrialOutcome]:
        """Run ``(index, params)`` points, pulled lazily; yield outcomes as they finish."""

    def close(self) -> None:  # noqa: B027 - most executors have something to release
        """Stop the workers and release the shared bars."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class SerialExecutor(Executor):
    """Every trial in this process, one after the other."""

    name = "serial"

    def __init__(self) -> None:
        self._evaluator: Evaluator | None = None

    @property
    def workers(self) -> int:
        """One."""
        return 1

    def start(self, spec: TrialSpec, series: list[BarSeries], detail: list[BarSeries]) -> None:
        """Build the evaluator on the given bars (nothing is copied)."""
        self._evaluator = Evaluator(spec, series, detail)

    def imap(self, points: Iterable[Point]) -> Iterator[TrialOutcome]:
        """Run each point as it is pulled."""
        evaluator = _started(self._evaluator)
        try:
            for index, params in points:
                yield evaluator.evaluate(index, params)
        finally:
            release_frozen()


class ProcessExecutor(Executor):
    """A local process pool on shared-memory bars.

    Parameters
    ----------
    workers : int, optional
        Worker processes; default: the CPUs this process may use.
    start_method : {"fork", "spawn", "forkserver"}, optional
        Default ``"fork"`` where available (Linux, macOS), else the platform's default.
    """

    name = "process"

    def __init__(self, workers: int | None = None, start_method: str | None = None) -> None:
        if workers is not None and workers < 1:
            raise OptimizeError(f"workers must be >= 1, got {workers}")
        self._workers = workers or available_cpus()
        methods = multiprocessing.get_all_start_methods()
        self.start_method = start_method or ("fork" if "fork" in methods else methods[0])
        if self.start_method not in methods:
            raise OptimizeError(
                f"start method {self.start_method!r} is not available here ({', '.join(methods)})"
            )
        self._pool: ProcessPoolExecutor | None = None
        self._shared: SharedBars | None = None

    @property
    def workers(self) -> int:
        """The pool's size."""
        return self._workers

    def start(self, spec: TrialSpec, series: list[BarSeries], detail: list[BarSeries]) -> None:
        """Write the bars to shared memory and start the workers (each attaches once).

        Forked workers start with this process's objects frozen (:func:`gc.freeze`): a
        worker's collector never scans them, so it never writes to their pages, which stay
        shared instead of being copied into every worker (about 0.2 s of CPU per worker and
        as much memory as the parent's heap). This process gets them back once the workers
        are started (unless something else had frozen objects already: then nothing changes).
        """
        if self.start_method != "fork":
            _check_picklable(spec, self.start_method)
        self._shared = SharedBars(series, detail)
        self._pool = ProcessPoolExecutor(
            self._workers,
            mp_context=multiprocessing.get_context(self.start_method),
            initializer=_init_worker,
            initargs=(self._shared.handle, spec),
        )
        freeze = not gc.get_freeze_count()  # objects someone else froze stay as they are
        if freeze:
            gc.freeze()
        try:
            # start every worker now, before anything else (a progress bar) runs a thread
            for future in [self._pool.submit(os.getpid) for _ in range(self._workers)]:
                _result(future)
        finally:
            if freeze:
                gc.unfreeze()

    def imap(self, points: Iterable[Point]) -> Iterator[TrialOutcome]:
        """Run the points in the pool, ``2 x workers`` at most in flight."""
        pool = _started(self._pool)

        def submit(point: Point) -> Future[TrialOutcome]:
            return pool.submit(_run_trial, *point)

        def finished(pending: set[Future[TrialOutcome]]) -> list[Future[TrialOutcome]]:
            return list(wait(pending, return_when=FIRST_COMPLETED).done)

        return _bounded(points, submit, finished, _result, 2 * self._workers)

    def close(self) -> None:
        """Stop the workers (trials not started are dropped) and remove the shared bars."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        if self._shared is not None:
            self._shared.close()
            self._shared = None


@dataclass(frozen=True)
class _RayPayload:
    spec: TrialSpec
    packed: PackedBars
    buffer: NDArray[np.uint8]


class RayExecutor(Executor):
    """Trials as Ray tasks on an existing cluster or a local Ray instance.

    Parameters
    ----------
    address : str, optional
        The cluster to join (``"auto"``, ``"ray://host:10001"``, ``"host:6379"``); without it,
        the Ray instance this process already started with ``ray.init``, or a new local one.
    workers : int, optional
        Trials in flight / 2; default: the cluster's CPUs. A local instance started here gets
        this many CPUs.
    """

    name = "ray"

    def __init__(self, address: str | None = None, workers: int | None = None) -> None:
        if workers is not None and workers < 1:
            raise OptimizeError(f"workers must be >= 1, got {workers}")
        self.address = address
        self._requested = workers
        self._workers = workers or 1
        self._owner = False
        self._ref: Any = None
        self._task: Any = None

    @property
    def workers(self) -> int:
        """The cluster's CPUs (or the number asked for)."""
        return self._workers

    def start(self, spec: TrialSpec, series: list[BarSeries], detail: list[BarSeries]) -> None:
        """Connect (or start Ray), put the spec and the packed bars in the object store."""
        ray = _import_ray()
        if not ray.is_initialized():
            options: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False}
            if self.address is None and self._requested is not None:
                options["num_cpus"] = self._requested
            try:
                ray.init(address=self.address, **options)
            except (ConnectionError, ValueError, RuntimeError) as error:
                raise OptimizeError(f"--address {self.address}: {error}") from None
            self._owner = True
        cpus = int(ray.cluster_resources().get("CPU", 1))
        self._workers = self._requested or max(cpus, 1)
        packed, buffer = pack(series, detail)
        self._ref = ray.put(_RayPayload(spec, packed, buffer))
        self._task = ray.remote(num_cpus=1, max_retries=0)(_ray_trial)

    def imap(self, points: Iterable[Point]) -> Iterator[TrialOutcome]:
        """Submit Ray tasks, ``2 x workers`` at most in flight."""
        ray = _import_ray()
        task, holder = _started(self._task), [self._ref]

        def submit(point: Point) -> Any:
            return task.remote(holder, *point)

        def finished(pending: set[Any]) -> list[Any]:
            ready, _ = ray.wait(list(pending), num_returns=1)
            return list(ready)

        return _bounded(points, submit, finished, ray.get, 2 * self._workers)

    def close(self) -> None:
        """Drop the shared object; shut Ray down if this executor started it."""
        self._ref = None
        if self._owner:
            _import_ray().shutdown()
            self._owner = False


def make_executor(
    kind: str | Executor,
    *,
    workers: int | None = None,
    address: str | None = None,
) -> Executor:
    """An executor by name (``serial``, ``process``, ``ray``), or ``kind`` itself.

    Raises
    ------
    OptimizeError
        For an unknown name, or ``address`` without ``ray``.
    """
    if isinstance(kind, Executor):
        return kind
    if kind not in EXECUTORS:
        raise OptimizeError(f"unknown executor {kind!r}: use {', '.join(EXECUTORS)}")
    if address is not None and kind != "ray":
        raise OptimizeError(f"--address is for the ray executor, not {kind!r}")
    if kind == "serial":
        return SerialExecutor()
    if kind == "process":
        return ProcessExecutor(workers)
    return RayExecutor(address, workers)


def available_cpus() -> int:
    """The CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def _bounded(
    points: Iterable[Point],
    submit: Callable[[Point], Any],
    finished: Callable[[set[Any]], list[Any]],
    result: Callable[[Any], TrialOutcome],
    limit: int,
) -> Iterator[TrialOutcome]:
    """Keep at most ``limit`` points in flight, pulling the next one when one finishes."""
    source = iter(points)
    pending: set[Any] = set()

    def refill() -> None:
        while len(pending) < limit:
            point = next(source, None)
            if point is None:
                return
            pending.add(submit(point))

    refill()
    while pending:
        for handle in finished(pending):
            pending.discard(handle)
            yield result(handle)
        refill()


def _result(future: Future[Any]) -> Any:
    try:
        return future.result()
    except BrokenProcessPool as error:
        raise OptimizeError(
            f"a worker process died ({error}); it may have run out of memory: try fewer --workers"
        ) from error


def _started(value: _T | None) -> _T:
    if value is None:
        raise RuntimeError("the executor was not started")
    return value


def _check_picklable(spec: TrialSpec, method: str) -> None:
    try:
        pickle.dumps(spec)
    except (pickle.PicklingError, AttributeError, TypeError) as error:
        raise OptimizeError(
            f"the search cannot be sent to {method!r} workers ({error}): use module-level "
            "strategies and objective functions, or start_method='fork'"
        ) from None


def _import_ray() -> Any:
    try:
        import ray  # noqa: PLC0415 - an optional dependency, imported when asked for
    except ImportError:
        raise OptimizeError(
            "the ray executor needs Ray: pip install 'tradeforge[cluster]'"
        ) from None
    return ray


# -- in the worker processes -------------------------------------------------------------------

_WORKER: dict[str, Any] = {}
"""A pool worker's evaluator and shared-memory segment, set once by its initializer."""


def _init_worker(handle: SharedHandle, spec: TrialSpec) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    segment, series, detail = attach(handle)
    _WORKER["segment"] = segment
    _WORKER["evaluator"] = Evaluator(spec, series, detail)
    atexit.register(_detach)


def _detach() -> None:
    _WORKER.pop("evaluator", None)
    segment = _WORKER.pop("segment", None)
    if segment is not None:
        with contextlib.suppress(BufferError):  # a view still alive: unmapped at exit anyway
            segment.close()


def _run_trial(index: int, params: dict[str, Any]) -> TrialOutcome:
    evaluator: Evaluator = _WORKER["evaluator"]
    return evaluator.evaluate(index, params)


_RAY_EVALUATORS: dict[str, Evaluator] = {}
"""A Ray worker's evaluator of the current search, keyed by the shared object's id."""


def _ray_trial(holder: list[Any], index: int, params: dict[str, Any]) -> TrialOutcome:
    ray = _import_ray()
    ref = holder[0]  # in a list, so Ray does not fetch the payload for every task
    evaluator = _RAY_EVALUATORS.get(ref.hex())
    if evaluator is None:
        payload: _RayPayload = ray.get(ref)
        series, detail = unpack(payload.buffer, payload.packed)
        evaluator = Evaluator(payload.spec, series, detail)
        _RAY_EVALUATORS.clear()  # one search at a time per worker: release the previous one
        _RAY_EVALUATORS[ref.hex()] = evaluator
    return evaluator.evaluate(index, params)
