"""Orders, the full history of their states, and their fills."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tradeforge.model.enums import (
    LiquiditySide,
    OrderSide,
    OrderStatus,
    OrderType,
    TimeInForce,
)
from tradeforge.model.symbol import Symbol
from tradeforge.persistence.models.base import Base, Id, RowRef
from tradeforge.persistence.types import EnumText


class OrderRecord(Base):
    """An order's specification and its current state; one row per client order id."""

    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("client_order_id"),
        Index(None, "status"),
        Index(None, "strategy_id", "created_at"),
    )

    id: Mapped[Id]
    client_order_id: Mapped[str] = mapped_column(String(64))
    venue_order_id: Mapped[str | None] = mapped_column(String(64))
    venue: Mapped[str] = mapped_column(String(32))
    symbol: Mapped[Symbol]
    strategy_id: Mapped[str | None] = mapped_column(String(64))
    strategy_run_id: Mapped[RowRef | None] = mapped_column(
        ForeignKey("strategy_runs.id", ondelete="SET NULL")
    )
    side: Mapped[OrderSide] = mapped_column(EnumText(OrderSide))
    order_type: Mapped[OrderType] = mapped_column(EnumText(OrderType))
    time_in_force: Mapped[TimeInForce] = mapped_column(EnumText(TimeInForce))
    quantity: Mapped[Decimal]
    price: Mapped[Decimal | None]
    stop_price: Mapped[Decimal | None]
    trailing_offset: Mapped[Decimal | None]
    trailing_offset_type: Mapped[str | None] = mapped_column(String(32))
    expire_time: Mapped[datetime | None]
    post_only: Mapped[bool]
    reduce_only: Mapped[bool]
    tags: Mapped[list[str]]
    order_list_id: Mapped[str | None] = mapped_column(String(64))
    parent_order_id: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[OrderStatus] = mapped_column(EnumText(OrderStatus))
    filled_qty: Mapped[Decimal]
    avg_px: Mapped[Decimal | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    states: Mapped[list[OrderStateRecord]] = relationship(
        back_populates="order",
        order_by="OrderStateRecord.seq",
        cascade="all, delete-orphan",
        lazy="raise",
    )
    fills: Mapped[list[FillRecord]] = relationship(
        back_populates="order", order_by="FillRecord.ts", lazy="raise"
    )


class OrderStateRecord(Base):
    """One event in an order's life: the status it led to and the event's exact fields.

    ``event`` is the event class (``OrderAccepted``) and ``data`` its fields as exact text,
    so the order can be rebuilt with :meth:`tradeforge.model.orders.Order.from_events`.
    """

    __tablename__ = "order_states"
    __table_args__ = (UniqueConstraint("order_id", "seq"),)

    id: Mapped[Id]
    order_id: Mapped[RowRef] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    seq: Mapped[int]
    event: Mapped[str] = mapped_column(String(32))
    status: Mapped[OrderStatus] = mapped_column(EnumText(OrderStatus))
    ts: Mapped[datetime]
    reason: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]]

    order: Mapped[OrderRecord] = relationship(back_populates="states", lazy="raise")


class FillRecord(Base):
    """One execution of an order (see :class:`tradeforge.model.fill.Fill`)."""

    __tablename__ = "fills"
    __table_args__ = (UniqueConstraint("order_id", "trade_id"), Index(None, "symbol", "ts"))

    id: Mapped[Id]
    order_id: Mapped[RowRef] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    trade_id: Mapped[str] = mapped_column(String(64))
    client_order_id: Mapped[str] = mapped_column(String(64))
    venue_order_id: Mapped[str | None] = mapped_column(String(64))
    symbol: Mapped[Symbol]
    side: Mapped[OrderSide] = mapped_column(EnumText(OrderSide))
    quantity: Mapped[Decimal]
    price: Mapped[Decimal]
    fee: Mapped[Decimal]
    fee_currency: Mapped[str] = mapped_column(String(20))
    liquidity_side: Mapped[LiquiditySide] = mapped_column(EnumText(LiquiditySide))
    ts: Mapped[datetime]

    order: Mapped[OrderRecord] = relationship(back_populates="fills", lazy="raise")
