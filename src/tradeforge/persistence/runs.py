"""Backtest and optimization runs: record them, list them, show one, compare several.

The CLI records every ``tradeforge backtest`` here (``--no-record`` to skip). The functions
take plain values (names, parameters, a statistics mapping), not a ``BacktestResult``, so the
store does not depend on the backtester; ``recorded_at`` comes from the caller's clock.
"""

from __future__ import annotations

import hashlib
import inspect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tradeforge.model.symbol import Symbol
from tradeforge.persistence import audit
from tradeforge.persistence.errors import StoreError
from tradeforge.persistence.models import BacktestRunRecord, OptimizationRunRecord

COMPARED_STATS = (
    "total_return_pct",
    "cagr_pct",
    "max_drawdown_pct",
    "sharpe",
    "sortino",
    "calmar",
    "win_rate_pct",
    "profit_factor",
    "trades",
    "exposure_pct",
    "fees",
)
"""The statistics ``runs compare`` puts side by side (when the runs have them)."""


@dataclass(frozen=True, slots=True)
class DataSpan:
    """What a run ran on: venue, symbols, timeframe, and the date range asked for."""

    venue: str
    symbols: Sequence[Symbol]
    timeframe: str
    start: datetime | None = None
    end: datetime | None = None


def code_hash(obj: object) -> str | None:
    """SHA-256 of the source file that defines ``obj`` (a strategy class), ``None`` when
    the source is not available (a class built at run time)."""
    try:
        source = inspect.getsource(inspect.getmodule(obj) or obj)  # type: ignore[arg-type]
    except (OSError, TypeError):
        return None
    return hashlib.sha256(source.encode("utf-8")).hexdigest()


def record_backtest(
    session: Session,
    *,
    strategy: str,
    span: DataSpan,
    parameters: Mapping[str, Any],
    stats: Mapping[str, Any],
    initial_cash: Decimal,
    final_equity: Decimal,
    recorded_at: datetime,
    code_hash: str | None = None,
    report_path: str | None = None,
    export_path: str | None = None,
    optimization_id: int | None = None,
    actor: str = "tradeforge",
) -> BacktestRunRecord:
    """Store one backtest and append ``backtest.recorded`` to the audit log.

    Parameters
    ----------
    session : Session
        The unit of work.
    strategy : str
        The strategy's name (class name or built-in name).
    span : DataSpan
        The data it ran on.
    parameters : mapping
        The strategy parameters, JSON-ready.
    stats : mapping
        The statistics, JSON-ready (``Stats.to_json()``: non-finite numbers as ``None``).
    initial_cash, final_equity : Decimal
        Exact.
    recorded_at : datetime
        When, timezone-aware (the caller's clock).
    code_hash : str, optional
        :func:`code_hash` of the strategy.
    report_path, export_path : str, optional
        Where its HTML report and exports were written.
    optimization_id : int, optional
        The optimization run this backtest belongs to.
    actor : str
        Who ran it, for the audit log.

    Returns
    -------
    BacktestRunRecord
        The stored run, its ``id`` set.
    """
    run = BacktestRunRecord(
        strategy=strategy,
        venue=span.venue,
        symbols=[str(s) for s in span.symbols],
        timeframe=span.timeframe,
        start=span.start,
        end=span.end,
        parameters=dict(parameters),
        stats=dict(stats),
        initial_cash=initial_cash,
        final_equity=final_equity,
        trades=int(stats.get("trades", 0) or 0),
        code_hash=code_hash,
        report_path=report_path,
        export_path=export_path,
        optimization_id=optimization_id,
        recorded_at=recorded_at,
    )
    session.add(run)
    session.flush()
    details = {"strategy": strategy, "parameters": dict(parameters)}
    audit.append(
        session,
        ts=recorded_at,
        actor=actor,
        action="backtest.recorded",
        subject=f"backtest_run:{run.id}",
        details=details,
    )
    return run


def record_optimization(
    session: Session,
    *,
    strategy: str,
    span: DataSpan,
    space: Mapping[str, Any],
    objective: str,
    trials: Sequence[Mapping[str, Any]],
    recorded_at: datetime,
    maximize: bool = True,
    code_hash: str | None = None,
    report_path: str | None = None,
    actor: str = "tradeforge",
) -> OptimizationRunRecord:
    """Store an optimization: the space, the objective and every trial; the best is derived.

    Parameters
    ----------
    trials : sequence of mapping
        One per trial: ``{"params": {...}, "value": float or None}`` (``None``: failed).
    maximize : bool
        Whether the best trial has the highest (default) or the lowest value.

    Returns
    -------
    OptimizationRunRecord
        The stored run; ``best_params`` and ``best_value`` are the best finished trial's.
    """
    finished = [t for t in trials if t.get("value") is not None]
    best = (max if maximize else min)(finished, key=lambda t: t["value"]) if finished else None
    run = OptimizationRunRecord(
        strategy=strategy,
        venue=span.venue,
        symbols=[str(s) for s in span.symbols],
        timeframe=span.timeframe,
        start=span.start,
        end=span.end,
        space=dict(space),
        objective=objective,
        trials=[dict(t) for t in trials],
        best_params=dict(best["params"]) if best is not None else {},
        best_value=float(best["value"]) if best is not None else None,
        code_hash=code_hash,
        report_path=report_path,
        recorded_at=recorded_at,
    )
    session.add(run)
    session.flush()
    audit.append(
        session,
        ts=recorded_at,
        actor=actor,
        action="optimization.recorded",
        subject=f"optimization_run:{run.id}",
        details={"strategy": strategy, "trials": len(trials)},
    )
    return run


def list_runs(
    session: Session, *, strategy: str | None = None, limit: int = 50
) -> Sequence[BacktestRunRecord]:
    """The latest backtest runs, newest first, in one query."""
    query = select(BacktestRunRecord)
    if strategy is not None:
        query = query.where(BacktestRunRecord.strategy == strategy)
    query = query.order_by(BacktestRunRecord.recorded_at.desc(), BacktestRunRecord.id.desc())
    return session.scalars(query.limit(limit)).all()


def get_run(session: Session, run_id: int) -> BacktestRunRecord:
    """One backtest run.

    Raises
    ------
    StoreError
        When there is no run with this id.
    """
    run = session.get(BacktestRunRecord, run_id)
    if run is None:
        raise StoreError(f"no backtest run {run_id}; `tradeforge runs list` shows the runs")
    return run


def compare_runs(session: Session, run_ids: Sequence[int]) -> list[BacktestRunRecord]:
    """Several runs, in the order asked, loaded in one query.

    Raises
    ------
    StoreError
        When an id is unknown (all unknown ids are named).
    """
    found = {
        run.id: run
        for run in session.scalars(
            select(BacktestRunRecord).where(BacktestRunRecord.id.in_(list(run_ids)))
        )
    }
    missing = [str(i) for i in run_ids if i not in found]
    if missing:
        raise StoreError(f"no backtest run {', '.join(missing)}")
    return [found[i] for i in run_ids]


def comparison_table(runs: Sequence[BacktestRunRecord]) -> list[tuple[str, list[Any]]]:
    """Rows of ``(label, value per run)``: strategy, parameters, final equity, then the
    :data:`COMPARED_STATS` any of the runs has."""
    rows: list[tuple[str, list[Any]]] = [
        ("strategy", [r.strategy for r in runs]),
        ("parameters", [params_text(r.parameters) for r in runs]),
        ("data", [f"{r.venue} {' '.join(r.symbols)} {r.timeframe}" for r in runs]),
        ("final_equity", [r.final_equity for r in runs]),
    ]
    for name in COMPARED_STATS:
        if any(name in r.stats for r in runs):
            rows.append((name, [r.stats.get(name) for r in runs]))
    return rows


def params_text(parameters: Mapping[str, Any]) -> str:
    """``fast=10, slow=30``, or ``defaults`` when there are none."""
    return ", ".join(f"{k}={v}" for k, v in parameters.items()) or "defaults"
