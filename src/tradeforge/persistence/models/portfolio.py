"""Positions and their snapshots, balances, and equity snapshots."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tradeforge.model.enums import PositionSide
from tradeforge.model.symbol import Symbol
from tradeforge.persistence.models.base import Base, Id, RowRef
from tradeforge.persistence.types import EnumText


class PositionRecord(Base):
    """A net position's current state; ``position_id`` is the portfolio's id."""

    __tablename__ = "positions"
    __table_args__ = (UniqueConstraint("position_id"), Index(None, "venue", "symbol"))

    id: Mapped[Id]
    position_id: Mapped[str] = mapped_column(String(64))
    venue: Mapped[str] = mapped_column(String(32))
    symbol: Mapped[Symbol]
    strategy_id: Mapped[str | None] = mapped_column(String(64))
    side: Mapped[PositionSide] = mapped_column(EnumText(PositionSide))
    signed_qty: Mapped[Decimal]
    avg_px_open: Mapped[Decimal | None]
    realized_pnl: Mapped[Decimal]
    pnl_currency: Mapped[str] = mapped_column(String(20))
    opened_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]


class PositionSnapshotRecord(Base):
    """A position at one moment, marked to a price."""

    __tablename__ = "position_snapshots"
    __table_args__ = (UniqueConstraint("position_id", "ts"),)

    id: Mapped[Id]
    position_id: Mapped[RowRef] = mapped_column(ForeignKey("positions.id", ondelete="CASCADE"))
    ts: Mapped[datetime]
    signed_qty: Mapped[Decimal]
    avg_px_open: Mapped[Decimal | None]
    mark_price: Mapped[Decimal | None]
    realized_pnl: Mapped[Decimal]
    unrealized_pnl: Mapped[Decimal]


class BalanceRecord(Base):
    """The current balance of one currency in one account."""

    __tablename__ = "balances"
    __table_args__ = (UniqueConstraint("venue", "account", "currency"),)

    id: Mapped[Id]
    venue: Mapped[str] = mapped_column(String(32))
    account: Mapped[str] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(20))
    total: Mapped[Decimal]
    free: Mapped[Decimal]
    locked: Mapped[Decimal]
    updated_at: Mapped[datetime]


class EquitySnapshotRecord(Base):
    """An account's equity at one moment."""

    __tablename__ = "equity_snapshots"
    __table_args__ = (UniqueConstraint("venue", "account", "ts"),)

    id: Mapped[Id]
    venue: Mapped[str] = mapped_column(String(32))
    account: Mapped[str] = mapped_column(String(64))
    ts: Mapped[datetime]
    currency: Mapped[str] = mapped_column(String(20))
    equity: Mapped[Decimal]
    cash: Mapped[Decimal]
    unrealized_pnl: Mapped[Decimal]
