"""Instruments: a venue's markets and their trading rules."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tradeforge.model.instrument import InstrumentKind
from tradeforge.model.symbol import Symbol
from tradeforge.persistence.models.base import Base, Id
from tradeforge.persistence.types import EnumText


class InstrumentRecord(Base):
    """One market of one venue (see :class:`tradeforge.model.instrument.Instrument`)."""

    __tablename__ = "instruments"
    __table_args__ = (UniqueConstraint("venue", "symbol"),)

    id: Mapped[Id]
    venue: Mapped[str] = mapped_column(String(32))
    symbol: Mapped[Symbol]
    kind: Mapped[InstrumentKind] = mapped_column(EnumText(InstrumentKind))
    price_tick: Mapped[Decimal]
    quantity_step: Mapped[Decimal]
    min_quantity: Mapped[Decimal]
    max_quantity: Mapped[Decimal | None]
    min_notional: Mapped[Decimal]
    maker_fee: Mapped[Decimal]
    taker_fee: Mapped[Decimal]
    contract_size: Mapped[Decimal]
    settle: Mapped[str | None] = mapped_column(String(20))
    max_leverage: Mapped[Decimal]
    is_inverse: Mapped[bool]
    expiry: Mapped[datetime | None]
    updated_at: Mapped[datetime]
