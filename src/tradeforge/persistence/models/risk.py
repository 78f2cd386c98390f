"""Risk events (refused orders, breached limits) and changes of the trading state."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tradeforge.persistence.models.base import Base, Id


class RiskEventRecord(Base):
    """A decision of the risk engine worth keeping: a refused order, a breached limit."""

    __tablename__ = "risk_events"
    __table_args__ = (Index(None, "ts"),)

    id: Mapped[Id]
    ts: Mapped[datetime]
    rule: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    strategy_id: Mapped[str | None] = mapped_column(String(64))
    client_order_id: Mapped[str | None] = mapped_column(String(64))
    message: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any]]


class TradingStateChangeRecord(Base):
    """The trading state moved (ACTIVE, REDUCING, HALTED): from what, to what, why, by whom.

    ``source`` is what moved it (a circuit breaker's name, ``manual``, ``kill switch``) and
    ``actor`` who recorded it; ``ts_ns`` is the change's exact time in ns (``ts`` keeps
    microseconds). Rows written before revision 0002 have neither.
    """

    __tablename__ = "trading_state_changes"
    __table_args__ = (Index(None, "ts"),)

    id: Mapped[Id]
    ts: Mapped[datetime]
    old_state: Mapped[str] = mapped_column(String(16))
    new_state: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(128))
    source: Mapped[str | None] = mapped_column(String(64))
    ts_ns: Mapped[int | None] = mapped_column(BigInteger)
