"""Strategy runs, signals, backtest and optimization runs."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tradeforge.model.enums import PositionSide
from tradeforge.model.symbol import Symbol
from tradeforge.persistence.models.base import Base, Id, RowRef
from tradeforge.persistence.types import EnumText


class RunMode(Enum):
    """How a strategy ran."""

    BACKTEST = "backtest"
    PAPER = "paper"
    LIVE = "live"


class StrategyRunRecord(Base):
    """One start-to-stop run of a strategy: its config, the hash of its code, its mode."""

    __tablename__ = "strategy_runs"
    __table_args__ = (UniqueConstraint("run_id"),)

    id: Mapped[Id]
    run_id: Mapped[str] = mapped_column(String(64))
    strategy: Mapped[str] = mapped_column(String(128))
    mode: Mapped[RunMode] = mapped_column(EnumText(RunMode))
    config: Mapped[dict[str, Any]]
    code_hash: Mapped[str | None] = mapped_column(String(64))
    started_at: Mapped[datetime]
    stopped_at: Mapped[datetime | None]
    stop_reason: Mapped[str | None] = mapped_column(Text)


class SignalRecord(Base):
    """A signal from a strategy or an outside source (:class:`~tradeforge.model.signal.Signal`)."""

    __tablename__ = "signals"
    __table_args__ = (Index(None, "symbol", "ts"),)

    id: Mapped[Id]
    strategy_run_id: Mapped[RowRef | None] = mapped_column(
        ForeignKey("strategy_runs.id", ondelete="SET NULL")
    )
    symbol: Mapped[Symbol]
    direction: Mapped[PositionSide] = mapped_column(EnumText(PositionSide))
    ts: Mapped[datetime]
    confidence: Mapped[float] = mapped_column(Float)
    entry: Mapped[Decimal | None]
    stop_loss: Mapped[Decimal | None]
    take_profit: Mapped[Decimal | None]
    source: Mapped[str] = mapped_column(String(128))
    reason: Mapped[str] = mapped_column(Text)


class OptimizationRunRecord(Base):
    """A parameter optimization: the space searched, the objective, every trial, the best."""

    __tablename__ = "optimization_runs"

    id: Mapped[Id]
    strategy: Mapped[str] = mapped_column(String(128))
    venue: Mapped[str] = mapped_column(String(32))
    symbols: Mapped[list[str]]
    timeframe: Mapped[str] = mapped_column(String(8))
    start: Mapped[datetime | None]
    end: Mapped[datetime | None]
    space: Mapped[dict[str, Any]]
    objective: Mapped[str] = mapped_column(String(64))
    trials: Mapped[list[Any]]
    best_params: Mapped[dict[str, Any]]
    best_value: Mapped[float | None] = mapped_column(Float)
    code_hash: Mapped[str | None] = mapped_column(String(64))
    report_path: Mapped[str | None] = mapped_column(Text)
    recorded_at: Mapped[datetime]


class BacktestRunRecord(Base):
    """One backtest: what ran on which data with which parameters, its statistics, its files."""

    __tablename__ = "backtest_runs"
    __table_args__ = (Index(None, "strategy", "recorded_at"),)

    id: Mapped[Id]
    strategy: Mapped[str] = mapped_column(String(128))
    venue: Mapped[str] = mapped_column(String(32))
    symbols: Mapped[list[str]]
    timeframe: Mapped[str] = mapped_column(String(8))
    start: Mapped[datetime | None]
    end: Mapped[datetime | None]
    parameters: Mapped[dict[str, Any]]
    stats: Mapped[dict[str, Any]]
    initial_cash: Mapped[Decimal]
    final_equity: Mapped[Decimal]
    trades: Mapped[int]
    code_hash: Mapped[str | None] = mapped_column(String(64))
    report_path: Mapped[str | None] = mapped_column(Text)
    export_path: Mapped[str | None] = mapped_column(Text)
    optimization_id: Mapped[RowRef | None] = mapped_column(
        ForeignKey("optimization_runs.id", ondelete="SET NULL")
    )
    recorded_at: Mapped[datetime]
